"""Interface strings and locale formatting, one bundle per language.

Input: the gettext catalogs in locales/<lang>/LC_MESSAGES/messages.po. They are compiled
in memory on every build, so no compiled .mo file is kept in the repository. Output:
a `Locale` bundle per language (gettext, Babel date and number formatting) and a Jinja
environment per language with `jinja2.ext.i18n` and StrictUndefined.
"""

from __future__ import annotations

import copy
import datetime
import functools
import hashlib
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import babel
import jinja2
import jinja2.ext
import jinja2.lexer
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import (
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
)
from babel.support import NullTranslations, Translations
from babel.units import format_unit
from markupsafe import Markup

from .dates import PartialDate
from .errors import Problems
from .load import display_path
from .schema import Figure

# How large amounts name their magnitude: German style abbreviates ("141,82 Mio. €"),
# English style spells it out ("€141.82 million").
COMPACT_STYLE = {"de": "short", "en": "long"}

# Interface strings are written in English in templates and code; other languages translate them.
SOURCE_LANGUAGE = "en"


@functools.cache
def cldr(code: str) -> babel.Locale:
    """Babel's CLDR data for a language code, parsed once per process."""
    return babel.Locale.parse(code)


@functools.cache
def _own_name(code: str) -> str:
    locale = cldr(code)
    return locale.get_display_name(code).capitalize() if locale else code


@dataclass(frozen=True)
class Locale:
    """A language's interface strings and formatting rules."""

    code: str
    translations: NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)

    @property
    def name(self) -> str:
        """The language's name in itself, e.g. 'Deutsch'."""
        return _own_name(self.code)

    def language_name(self, code: str) -> str:
        """Another language's name in this one: 'Englisch', 'German'."""
        return cldr(self.code).languages.get(code, code)

    def format_date(self, date: PartialDate) -> str:
        """A date at its own precision: '9. September 2024', 'Oktober 2024' or '2021'."""
        if date.precision == "day":
            return format_date(_as_date(date), format="long", locale=self.code)
        if date.precision == "month":
            return format_skeleton("yMMMM", _as_date(date), locale=self.code)
        return str(date.year)

    def format_number(self, number: float) -> str:
        return format_decimal(number, locale=self.code)

    def format_figure(self, figure: Figure) -> str:
        """A key figure in this locale: '141,82 Mio. €', 'more than 4,000', '500.000 m²'."""
        value, unit = figure.value, figure.unit
        if unit == "eur":
            text = self.format_euros(value)
        elif unit == "million-eur":
            text = self.format_compact_euros(value * 1_000_000)
        elif unit == "percent":
            text = format_percent(value / 100, locale=self.code, decimal_quantization=False)
        elif unit == "square-metres":
            text = format_unit(value, "area-square-meter", length="short", locale=self.code)
        else:
            text = format_decimal(value, locale=self.code)
        if figure.qualifier == "more-than":
            return self.gettext("more than %(value)s") % {"value": text}
        if figure.qualifier == "about":
            return self.gettext("about %(value)s") % {"value": text}
        return text

    def format_euros(self, amount: float) -> str:
        """An exact euro amount: '2.500 €', '1.234,50 €' / '€2,500', '€1,234.50'."""
        pattern = copy.copy(cldr(self.code).currency_formats["standard"])
        cents = 0 if amount == int(amount) else 2
        pattern.frac_prec = (cents, cents)  # whole euros without ',00', cents always with two digits
        return format_currency(amount, "EUR", format=pattern, locale=self.code, currency_digits=False)

    def format_compact_euros(self, amount: float) -> str:
        """A large euro amount in words the way this language's press writes it:
        '141,82 Mio. €', '2,5 Mrd. €' / '€141.82 million', '€2.5 billion'.

        The number and the currency sign's place come from CLDR via Babel; whether the
        magnitude is abbreviated ('Mio.') or spelled out ('million') is house style.
        """
        if abs(amount) < 1_000_000:
            return self.format_euros(amount)
        style = COMPACT_STYLE.get(self.code, "short")
        number = format_compact_decimal(amount, format_type=style, fraction_digits=2, locale=self.code)
        pattern = cldr(self.code).currency_formats["standard"]
        sign = get_currency_symbol("EUR", locale=self.code)
        return pattern.prefix[0].replace("¤", sign) + number + pattern.suffix[0].replace("¤", sign)


def _as_date(date: PartialDate) -> datetime.date:
    return datetime.date(date.year, date.month or 1, date.day or 1)


def load_locales(locales_dir: Path, languages: tuple[str, ...], problems: Problems) -> dict[str, Locale]:
    """Compile each language's catalog in memory; report broken and incomplete catalogs."""
    locales = {}
    for lang in languages:
        path = locales_dir / lang / "LC_MESSAGES" / "messages.po"
        shown = display_path(path)
        if not path.is_file():
            if lang != SOURCE_LANGUAGE:
                problems.warning(
                    shown,
                    0,
                    f"no interface translations for '{lang}'",
                    "run 'make translations' and translate the new catalog",
                )
            locales[lang] = Locale(lang, NullTranslations())
            continue
        try:
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=lang, abort_invalid=True)
        except (PoFileError, ValueError, UnicodeDecodeError) as exc:
            problems.error(
                shown,
                getattr(exc, "lineno", 0),
                f"broken catalog: {exc}",
                "fix the entry or run 'make translations' again",
            )
            continue
        if lang != SOURCE_LANGUAGE:
            for message in catalog:
                if message.id and (not message.string or message.fuzzy):
                    state = "fuzzy" if message.fuzzy else "untranslated"
                    line = message.lineno or 0
                    problems.warning(
                        shown,
                        line,
                        f"interface string {state}: {message.id!r}",
                        "translate it and remove the fuzzy flag",
                    )
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        locales[lang] = Locale(lang, Translations(buffer))
    return locales


def catalog_digest(locales_dir: Path, lang: str) -> str:
    """A digest of a language's catalog file as it is now ('' when there is none)."""
    path = locales_dir / lang / "LC_MESSAGES" / "messages.po"
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=20).hexdigest()
    except OSError:
        return ""


class _SnapshotLoader(jinja2.BaseLoader):
    """Templates from texts read once per build: name → (source, path as shown)."""

    def __init__(self, templates: Mapping[str, tuple[str, str]]):
        self.templates = templates

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        if template not in self.templates:
            raise jinja2.TemplateNotFound(template)
        source, shown = self.templates[template]
        return source, shown, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(self.templates)


class LiteralTranslations(jinja2.ext.Extension):
    """Looks up each `_("literal")` in a table of translations, not in the catalog on every call.

    An environment speaks one language, so a call with a literal and no variables always gives
    the same text. When a template is compiled, each such call becomes a lookup in the table
    `_literal_translations`, which holds what the call would have returned (`jinja2.ext.i18n`'s
    newstyle `gettext` where the template autoescapes: the translation marked safe, with `%%`
    made `%`). An item list used to ask the catalog eight times per item for the names of the
    actor types, through two context calls each.

    Calls with variables, `{% trans %}` blocks, `ngettext`, messages whose format needs
    variables and templates that do not autoescape everywhere are left to run as before.
    Extracting messages (`make translations`) reads the templates without this extension.
    """

    table = "_literal_translations"  # the global the compiled lookups read

    def __init__(self, environment: jinja2.Environment):
        super().__init__(environment)
        environment.extend(literal_gettext=None)

    def filter_stream(self, stream: jinja2.lexer.TokenStream) -> Iterator[jinja2.lexer.Token]:
        tokens = list(stream)
        gettext, autoescape = self.environment.literal_gettext, self.environment.autoescape
        if callable(autoescape):
            autoescape = autoescape(stream.name)
        switched = any(token.type == "name" and token.value == "autoescape" for token in tokens)
        if gettext is None or not autoescape or switched:
            yield from tokens
            return
        table = self.environment.globals.setdefault(self.table, _Translated(gettext))
        index = 0
        while index < len(tokens):
            call = [token.type for token in tokens[index : index + 4]]
            after_name = index > 0 and tokens[index - 1].type in ("dot", "pipe")
            if call == ["name", "lparen", "string", "rparen"] and tokens[index].value == "_" and not after_name:
                lineno, message = tokens[index].lineno, tokens[index + 2].value
                try:
                    table[message]
                except (TypeError, ValueError, KeyError):  # a format only variables can fill
                    pass
                else:
                    yield from (
                        jinja2.lexer.Token(lineno, "name", self.table),
                        jinja2.lexer.Token(lineno, "lbracket", "["),
                        jinja2.lexer.Token(lineno, "string", message),
                        jinja2.lexer.Token(lineno, "rbracket", "]"),
                    )
                    index += 4
                    continue
            yield tokens[index]
            index += 1


class _Translated(dict):
    """message → what `_(message)` returns in an autoescaping template, made on first use."""

    def __init__(self, gettext: Callable[[str], str]):
        super().__init__()
        self.gettext = gettext

    def __missing__(self, message: str) -> Markup:
        text = self[message] = Markup(self.gettext(message)) % {}
        return text


def make_environment(templates: Mapping[str, tuple[str, str]], locale: Locale) -> jinja2.Environment:
    """A Jinja environment whose `_()` and `{% trans %}` speak `locale`'s language.

    `templates` are the template texts by name, as `load.load_templates` read them.
    """
    env = jinja2.Environment(
        loader=_SnapshotLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n", LiteralTranslations],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(locale.translations, newstyle=True)
    env.literal_gettext = locale.translations.gettext
    env.filters["date"] = locale.format_date
    env.filters["number"] = locale.format_number
    env.filters["figure"] = locale.format_figure
    env.filters["language_name"] = locale.language_name
    return env

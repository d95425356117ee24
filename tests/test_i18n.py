"""Dates at their precision, formatted per locale; catalogs compiled in memory."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import jinja2
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from conftest import FIXTURE, snapshot

from sitegen.dates import PartialDate
from sitegen.errors import Problems
from sitegen.i18n import LiteralTranslations, Locale, load_locales, make_environment
from sitegen.pipeline import PROJECT_DIR, BuildOptions, build
from sitegen.schema import Figure


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-09-09", PartialDate(2024, 9, 9)),
        (dt.date(2024, 9, 9), PartialDate(2024, 9, 9)),
        ("2024-10", PartialDate(2024, 10)),
        (2021, PartialDate(2021)),
        ("2021", PartialDate(2021)),
    ],
)
def test_partial_dates_parse(value, expected):
    assert PartialDate.parse(value) == expected


@pytest.mark.parametrize("value", ["2024-13", "2024-02-30", "9.9.2024", "soon", 3.5])
def test_bad_dates_are_refused(value):
    with pytest.raises(ValueError):
        PartialDate.parse(value)


@pytest.fixture(scope="module")
def locales():
    problems = Problems()
    loaded = load_locales(PROJECT_DIR / "locales", ("de", "en"), problems)
    assert not problems.items, [str(p) for p in problems.items]
    return loaded


@pytest.mark.parametrize(
    ("date", "de", "en"),
    [
        (PartialDate(2024, 9, 9), "9. September 2024", "September 9, 2024"),
        (PartialDate(2024, 10), "Oktober 2024", "October 2024"),
        (PartialDate(2021), "2021", "2021"),
    ],
)
def test_dates_are_formatted_at_their_precision(locales, date, de, en):
    assert locales["de"].format_date(date) == de
    assert locales["en"].format_date(date) == en


def test_catalogs_translate_and_pluralize(locales):
    assert locales["de"].gettext("Skip to content") == "Zum Inhalt springen"
    assert locales["en"].gettext("Skip to content") == "Skip to content"
    for count, de, en in ((1, "1 Akteur", "1 actor"), (12, "12 Akteure", "12 actors")):
        assert (
            locales["de"].translations.ngettext("%(count)s actor", "%(count)s actors", count) % {"count": count} == de
        )
        assert (
            locales["en"].translations.ngettext("%(count)s actor", "%(count)s actors", count) % {"count": count} == en
        )
    assert locales["de"].name == "Deutsch" and locales["en"].name == "English"


def test_untranslated_interface_string_is_a_warning(tmp_path):
    po = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\nmsgid "Home"\nmsgstr ""\n')
    problems = Problems()
    load_locales(tmp_path, ("de",), problems)
    assert [str(p) for p in problems.warnings] == [
        f"{po}:5: warning: interface string untranslated: 'Home' — translate it and remove the fuzzy flag"
    ]


@pytest.mark.parametrize(
    ("figure", "de", "en"),
    [
        (Figure("a", 141.82, "million-eur"), "141,82 Mio. €", "€141.82 million"),
        (Figure("a", 2500, "million-eur"), "2,5 Mrd. €", "€2.5 billion"),
        (Figure("a", 0.95, "million-eur"), "950.000 €", "€950,000"),
        (Figure("a", 2500, "eur"), "2.500 €", "€2,500"),
        (Figure("a", 1234.5, "eur"), "1.234,50 €", "€1,234.50"),
        (Figure("a", 4000, "count", "more-than"), "mehr als 4.000", "more than 4,000"),
        (Figure("a", 12.5, "percent"), "12,5 %", "12.5%"),
        (Figure("a", 500000, "square-metres", "about"), "etwa 500.000 m²", "about 500,000 m²"),
    ],
)
def test_figures_are_formatted_per_locale(locales, figure, de, en):
    def plain(text: str) -> str:
        return text.replace("\N{NO-BREAK SPACE}", " ").replace("\N{NARROW NO-BREAK SPACE}", " ")

    assert plain(locales["de"].format_figure(figure)) == de
    assert plain(locales["en"].format_figure(figure)) == en


def test_every_interface_string_in_templates_and_code_is_translated(tmp_path):
    """Catches a string added to a template without `make translations` (gettext would fall back silently)."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-o",
            str(pot),
            ".",
        ],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        used = {message.id for message in read_po(handle) if message.id}
    with (PROJECT_DIR / "locales/de/LC_MESSAGES/messages.po").open("rb") as handle:
        german = {message.id: message for message in read_po(handle, locale="de") if message.id}
    missing = sorted(str(m) for m in used - set(german))
    untranslated = sorted(
        str(m) for m in used & set(german) if not german[m].string or german[m].fuzzy or not all(german[m].string)
    )
    assert (missing, untranslated) == ([], []), "run 'make translations' and translate the new strings"


class _Recording(Translations):
    """A catalog that lists the messages it was asked for."""

    asked: list[str]

    def gettext(self, message: str) -> str:
        self.asked.append(message)
        return super().gettext(message)

    ugettext = gettext  # what jinja2.ext.i18n calls when a catalog has it, as Babel's do


def _locale(entries: dict[str, str]) -> Locale:
    catalog = Catalog(locale="de")
    for message, translation in entries.items():
        catalog.add(message, translation)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = _Recording(buffer)
    translations.asked = []
    return Locale("de", translations)


LITERALS = (
    '<p title="{{ _("Fish & chips") }}">{{ _("Fish & chips") }}</p>'
    "<p>{{ _('%(n)s left', n=3) }} {{ _('100%% sure') }} {{ _('Not in the catalog') }}</p>"
    '<p>{{ {"a": _("Fish & chips"), "b": _("<b>bold</b>")}[kind] }} {{ (_("Fish & chips") ~ "<")|lower }}</p>'
    "{% set _text = _('100%% sure') %}<p>{{ _text }} {{ _('%(x)s') if false else '' }}</p>"
)


def test_literal_translations_are_compiled_into_the_template_and_render_as_the_calls_did():
    """`_("literal")` gives what i18n's newstyle gettext would: translated, `%%` made `%`,
    marked safe; calls with variables, and formats that need them, are left to run."""
    locale = _locale({"Fish & chips": "Fisch & Pommes", "%(n)s left": "noch %(n)s", "100%% sure": "100%% sicher"})
    folded = make_environment({"t.html": (LITERALS, "t.html")}, locale)
    plain = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"])
    plain.install_gettext_translations(locale.translations, newstyle=True)
    for kind in ("a", "b"):
        expected = plain.from_string(LITERALS).render(kind=kind)
        assert folded.get_template("t.html").render(kind=kind) == expected
    assert "Fisch & Pommes</p>" in expected and "noch 3" in expected and "100% sicher" in expected
    locale.translations.asked.clear()
    folded.get_template("t.html").render(kind="a")
    assert locale.translations.asked == ["%(n)s left"]  # the literals were translated once, when compiling
    assert set(folded.globals[LiteralTranslations.table]) == {
        "Fish & chips",
        "100%% sure",
        "Not in the catalog",
        "<b>bold</b>",
    }


def test_templates_render_the_same_site_with_translations_compiled_in(tmp_path, monkeypatch):
    """Every file of the fixture site, with `LiteralTranslations` and with every call left to
    run when a page is rendered, in both languages."""
    options = dict(content_dir=FIXTURE, cache_dir=None, jobs=1)
    assert not build(BuildOptions(output_dir=tmp_path / "folded", **options)).problems.errors
    monkeypatch.setattr(LiteralTranslations, "filter_stream", lambda self, stream: stream)
    assert not build(BuildOptions(output_dir=tmp_path / "calls", **options)).problems.errors
    folded, calls = snapshot(tmp_path / "folded"), snapshot(tmp_path / "calls")
    assert folded == calls and len([name for name in folded if name.endswith(".html")]) > 20

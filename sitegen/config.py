"""site.yaml's values → a checked `SiteConfig`. Reads no files; `load` hands it the values.

Every mistake in the settings is reported with its line, all of them in one run; the
build stops when any is found, since every page depends on the settings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from babel import Locale, UnknownLocaleError

from .errors import Problems
from .schema import CONTROL, LISTED_SECTIONS, SLUG

UNTRANSLATED_CHOICES = ("show", "hide")
# Folder names site.yaml's `sections:` gives per language: the listed sections and the search page.
FOLDERS = (*LISTED_SECTIONS, "search")


@dataclass(frozen=True)
class SiteConfig:
    """Settings from content/site.yaml."""

    languages: tuple[str, ...]
    default_language: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    base_url: str
    section_names: Mapping[str, Mapping[str, str]]  # section (or "search") → language → URL folder
    publisher: Mapping[str, str] = field(default_factory=dict)  # the imprint's details
    # "show": lists in a language also show pages that exist only in another language,
    # marked with that language; "hide": they list only the pages translated into it.
    untranslated: str = "show"
    path: str = "site.yaml"


def check_config(
    values: dict[str, Any], lines: dict[str, int], shown: str, problems: Problems, base_url: str | None = None
) -> SiteConfig | None:
    """Check site.yaml's settings; `base_url` (from the command line) overrides the file's."""
    known = (
        "languages",
        "default_language",
        "title",
        "description",
        "base_url",
        "sections",
        "publisher",
        "untranslated",
    )
    ok = True
    for key in values:
        if key not in known:
            problems.unknown(shown, lines[key], "setting", key, known)
            ok = False
    for key in ("languages", "default_language", "title", "base_url", "sections"):
        if key not in values:
            problems.error(shown, 1, f"setting '{key}' is missing", "add it (see README.md)")
            ok = False
    if not ok:
        return None

    languages = values["languages"]
    if not (isinstance(languages, list) and languages and all(isinstance(x, str) for x in languages)):
        problems.error(
            shown, lines["languages"], "languages must be a list of language codes", "write languages: [de, en]"
        )
        return None
    for lang in languages:
        try:
            Locale.parse(lang)
        except (ValueError, UnknownLocaleError):
            problems.error(shown, lines["languages"], f"unknown language code '{lang}'", "use codes such as de or en")
            ok = False
    if len(set(languages)) != len(languages):
        problems.error(shown, lines["languages"], "a language is listed twice", "list each language once")
        ok = False
    default = values["default_language"]
    if default not in languages:
        problems.error(
            shown,
            lines["default_language"],
            f"default language '{default}' is not in languages",
            f"use one of: {', '.join(languages)}",
        )
        ok = False

    def per_language(key: str, required: bool) -> dict[str, str]:
        nonlocal ok
        value = values.get(key, {})
        if not isinstance(value, dict):
            problems.error(
                shown, lines[key], f"'{key}' must give one text per language", f"write {key}: {{de: …, en: …}}"
            )
            ok = False
            return {}
        for lang in languages:
            if required and not (isinstance(value.get(lang), str) and value[lang].strip()):
                problems.error(shown, lines[key], f"'{key}' has no text for '{lang}'", f"add {lang}: … under {key}")
                ok = False
            elif value.get(lang) is not None and not isinstance(value[lang], str):
                problems.error(shown, lines[key], f"'{key}' for '{lang}' is not text", "write it on the same line")
                ok = False
            elif isinstance(value.get(lang), str) and CONTROL.search(value[lang]):
                problems.error(
                    shown, lines[key], f"'{key}' for '{lang}' contains a control character", "delete the escape"
                )
                ok = False
        for lang in value:
            if lang not in languages:
                problems.error(
                    shown,
                    lines[key],
                    f"'{key}' names language '{lang}', which is not in languages",
                    "remove it or add the language",
                )
                ok = False
        return {lang: str(text).strip() for lang, text in value.items()}

    title = per_language("title", True)
    description = per_language("description", False) if "description" in values else {}

    url = values["base_url"]
    if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+(/\S*)?$", url):
        problems.error(
            shown,
            lines["base_url"],
            "base_url must be an absolute web address",
            "write e.g. base_url: https://example.org/",
        )
        ok = False
        url = "/"
    url = base_url or url
    if not url.endswith("/"):
        url += "/"

    sections = values["sections"]
    section_names: dict[str, dict[str, str]] = {}
    if not isinstance(sections, dict):
        problems.error(
            shown, lines["sections"], "sections must map each section to its folder name per language", "see README.md"
        )
        return None
    for name, names in sections.items():
        if name not in FOLDERS:
            # str(): YAML keys may be numbers, dates or null, too.
            problems.unknown(shown, lines["sections"], "section", str(name), FOLDERS)
            ok = False
            continue
        if not isinstance(names, dict):
            problems.error(
                shown,
                lines["sections"],
                f"section '{name}' needs a folder name per language",
                f"write {name}: {{de: …, en: …}}",
            )
            ok = False
            continue
        for lang in languages:
            folder = names.get(lang)
            if not (isinstance(folder, str) and SLUG.match(folder)):
                problems.error(
                    shown,
                    lines["sections"],
                    f"section '{name}' has no valid folder name for '{lang}'",
                    "use lowercase letters, digits and hyphens, e.g. akteure",
                )
                ok = False
        section_names[name] = {lang: str(names.get(lang)) for lang in languages}
    for name in LISTED_SECTIONS:
        if name not in sections:
            problems.error(
                shown, lines["sections"], f"section '{name}' has no folder names", f"add {name}: {{de: …, en: …}}"
            )
            ok = False
    # The search page's folder is optional: "search" in every language unless named.
    section_names.setdefault("search", dict.fromkeys(languages, "search"))
    for lang in languages:
        folders = [names[lang] for names in section_names.values()]
        if len(set(folders)) != len(folders):
            problems.error(
                shown,
                lines["sections"],
                f"two sections share a folder name in '{lang}'",
                "give each section its own name",
            )
            ok = False
    publisher = values.get("publisher") or {}
    fields = ("name", "address", "email", "phone", "responsible")
    if not isinstance(publisher, dict):
        problems.error(
            shown, lines["publisher"], "publisher must list the imprint's details", f"give {', '.join(fields)}"
        )
        ok = False
        publisher = {}
    for key, value in publisher.items():
        if key not in fields:
            problems.unknown(shown, lines["publisher"], "publisher detail", str(key), fields)
            ok = False
        elif value is not None and not isinstance(value, str):
            problems.error(shown, lines["publisher"], f"publisher {key} must be text", "put it in quotes")
            ok = False
    publisher = {key: str(publisher.get(key) or "").strip() for key in fields}
    if not all(publisher.get(key) for key in ("name", "address", "email")):
        problems.warning(
            shown,
            lines.get("publisher", 1),
            "the imprint's publisher details are incomplete",
            "fill in publisher: name, address and email before publishing",
        )
    untranslated = values.get("untranslated", "show")
    if untranslated not in UNTRANSLATED_CHOICES:
        problems.error(
            shown,
            lines["untranslated"],
            f"untranslated must be one of: {', '.join(UNTRANSLATED_CHOICES)}",
            "'show' lists untranslated pages with their language; 'hide' leaves them out of lists",
        )
        ok = False
    if not ok:
        return None
    return SiteConfig(
        languages=tuple(languages),
        default_language=default,
        title=MappingProxyType(title),
        description=MappingProxyType(description),
        base_url=url,
        section_names=MappingProxyType({k: MappingProxyType(v) for k, v in section_names.items()}),
        publisher=MappingProxyType(publisher),
        untranslated=untranslated,
        path=shown,
    )

"""Pages in one language only, translation status, stale translations and `--strict`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import build_into, run_cli, soup

from sitegen.pipeline import PROJECT_DIR

CONTENT = PROJECT_DIR / "content"


def titles(doc, selector: str = ".item-list a") -> list[str]:
    return [a.get_text(strip=True) for a in doc.select(selector)]


def test_untranslated_pages_can_be_hidden_from_lists(site_dir, tmp_path):
    config = site_dir / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "untranslated: hide\n", encoding="utf-8")
    output = tmp_path / "out"
    result = build_into(site_dir, output)
    assert not result.problems.errors, [str(p) for p in result.problems.errors]
    # gmp exists only in German: gone from English lists, relations and counts ...
    assert "GMP-Herstellung" not in titles(soup(output / "en/topics/index.html"))
    assert "GMP-Herstellung" not in titles(soup(output / "en/actors/izi/index.html"))
    english_home = soup(output / "en/index.html")
    topics_card = english_home.select_one(".cards a[href='topics/']")
    assert "1 topic" in topics_card.get_text(" ", strip=True)
    # ... still listed in German, and its German page still says it is not translated.
    assert "GMP-Herstellung" in titles(soup(output / "de/themen/index.html"))
    assert "not translated yet" in soup(output / "de/themen/gmp/index.html").select_one(".lang-switch").get_text()


def test_untranslated_setting_refuses_other_values(site_dir, tmp_path):
    config = site_dir / "site.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "untranslated: maybe\n", encoding="utf-8")
    result = build_into(site_dir, tmp_path / "out")
    line = text.count("\n") + 1
    assert [str(p) for p in result.problems.errors] == [
        f"{config}:{line}: untranslated must be one of: show, hide — 'show' lists untranslated pages with their "
        "language; 'hide' leaves them out of lists"
    ]


def status(content: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli("status", "--content", str(content), *args)


def states(content: Path) -> dict[str, dict[str, str]]:
    """'section/slug' → language → state, from `status --json`."""
    result = status(content, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return {
        f"{p['section']}/{p['slug']}": {lang: v["state"] for lang, v in p["languages"].items()} for p in data["pages"]
    }


def test_status_lists_every_page_with_each_language(site_dir):
    found = states(site_dir)
    assert found["topics/gmp"] == {"de": "source", "en": "missing"}
    assert found["actors/izi"] == {"de": "source", "en": "unreviewed"}  # nothing accepted yet
    assert len(found) == 10
    text = status(site_dir)
    assert text.returncode == 0
    assert re.search(r"^topics/gmp\s+source\s+missing$", text.stdout, re.M)
    assert "10 translations: 0 current, 0 stale, 9 unreviewed, 1 missing." in text.stdout
    assert status(site_dir, "--strict").returncode == 1


def test_accepting_a_folder_makes_every_translation_current(site_dir):
    accepted = status(site_dir, "--accept", str(site_dir))
    assert accepted.returncode == 0, accepted.stderr
    assert f"accepted {site_dir}/actors/izi.en.md as a translation of {site_dir}/actors/izi.de.md (new)" in (
        accepted.stdout.splitlines()
    )
    found = states(site_dir)
    assert {lang_states["en"] for lang_states in found.values()} == {"current", "missing"}
    record = json.loads((site_dir / "translations.json").read_text(encoding="utf-8"))
    assert record["translations"]["actors/izi.en.md"]["source_text"]["title"] == "Fraunhofer-Institut für Zelltherapie"
    # The record is not content: the build does not mistake it for a misplaced file.
    assert not build_into(site_dir, site_dir.parent / "out").problems.errors


def test_editing_the_source_makes_the_translation_stale_until_accepted(site_dir, tmp_path):
    assert status(site_dir, "--accept", str(site_dir)).returncode == 0
    source = site_dir / "actors/izi.de.md"
    source.write_text(source.read_text(encoding="utf-8").replace("stellt Produkte", "fertigt Produkte"), "utf-8")

    assert states(site_dir)["actors/izi"]["en"] == "stale"
    report = status(site_dir).stdout
    assert f"{site_dir}/actors/izi.en.md is stale; {source} changed since it was accepted:" in report
    assert (
        "body: … Institut arbeitet an [[zelltherapie]] und [-stellt-] {+fertigt+} Produkte nach "
        "[[gmp|GMP-Regeln]] her. ## …" in report
    )

    output = tmp_path / "out"
    result = build_into(site_dir, output)
    assert [str(p) for p in result.problems.warnings] == [
        f"{site_dir}/actors/izi.en.md:1: warning: translation is out of date: {source} changed since it was "
        f"accepted (body) — update it, then run 'python build.py status --accept {site_dir}/actors/izi.en.md' "
        f"(for a typo fix in the source, accept {source} instead)"
    ]
    note = soup(output / "en/actors/izi/index.html").select_one(".translation-note")
    assert "the original (German) has been changed" in note.get_text(" ", strip=True)
    assert note.a["href"] == "../../../de/akteure/izi/" and note.a["hreflang"] == "de"
    assert soup(output / "de/akteure/izi/index.html").select_one(".translation-note") is None
    assert soup(output / "en/actors/tud/index.html").select_one(".translation-note") is None

    assert status(site_dir, "--accept", str(site_dir / "actors/izi.en.md")).returncode == 0
    assert states(site_dir)["actors/izi"]["en"] == "current"
    result = build_into(site_dir, output)
    assert not result.problems.warnings
    assert soup(output / "en/actors/izi/index.html").select_one(".translation-note") is None


def test_a_typo_fix_in_the_source_is_accepted_without_touching_the_translation(site_dir):
    assert status(site_dir, "--accept", str(site_dir)).returncode == 0
    source, translation = site_dir / "actors/tud.de.md", site_dir / "actors/tud.en.md"
    before = translation.read_bytes()
    text = source.read_text(encoding="utf-8")
    title = text.split("title: ", 1)[1].split("\n", 1)[0]
    source.write_text(text.replace(title, title.replace("Universität", "Univresität"), 1), "utf-8")
    assert states(site_dir)["actors/tud"]["en"] == "stale"
    source.write_text(text, "utf-8")  # the typo fixed again: back to what was accepted
    assert states(site_dir)["actors/tud"]["en"] == "current"
    source.write_text(text.replace(title, title + " (TUD)", 1), "utf-8")
    assert states(site_dir)["actors/tud"]["en"] == "stale"
    accepted = status(site_dir, "--accept", str(source))
    assert accepted.stdout.strip() == f"accepted {translation} as a translation of {source} (was stale)"
    assert states(site_dir)["actors/tud"]["en"] == "current"
    assert translation.read_bytes() == before


def test_rewrapping_the_source_does_not_make_translations_stale(site_dir):
    assert status(site_dir, "--accept", str(site_dir)).returncode == 0
    source = site_dir / "actors/izi.de.md"
    source.write_text(source.read_text(encoding="utf-8").replace("stellt Produkte nach\n", "stellt\nProdukte nach "))
    assert states(site_dir)["actors/izi"]["en"] == "current"


def test_removing_a_translation_fails_strict_status_and_the_list_shows_the_fallback(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    assert status(content, "--strict").returncode == 0  # the real site is fully translated
    (content / "actors/acl.en.md").unlink()
    result = status(content, "--strict", "--short")
    assert result.returncode == 1
    assert re.search(r"^actors/acl\s+source\s+missing$", result.stdout, re.M)

    output = tmp_path / "output"
    assert not build_into(content, output).problems.errors
    index = soup(output / "en/actors/index.html")
    assert index.select_one(".fallback-note").get_text(" ", strip=True).startswith("1 entry is not translated yet.")
    [link] = [a for a in index.select(".az-group .item-list a") if a.get("hreflang") == "de"]
    assert link["href"] == "../../de/akteure/acl/" and link["lang"] == "de"
    assert link.find_next_sibling("span", class_="lang-tag").get_text() == "DE"
    # The record of the removed translation is dropped at the next acceptance.
    assert status(content, "--accept", str(content / "actors/agil.en.md")).returncode == 0
    record = json.loads((content / "translations.json").read_text(encoding="utf-8"))
    assert "actors/acl.en.md" not in record["translations"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("../elsewhere", "is not inside the content folder — name a file or folder under {content}"),
        ("topics/gmp.de.md", "has no translation to accept — write the translation first; 'status' lists them"),
        ("actors/nope.en.md", "names no page file — check the path"),
    ],
)
def test_accept_refuses_what_it_cannot_accept(site_dir, target, message):
    result = status(site_dir, "--accept", str(site_dir / target))
    assert result.returncode == 1
    assert f"{site_dir / target}: {message.format(content=site_dir)}" in result.stderr
    assert not (site_dir / "translations.json").exists()


def test_a_broken_record_is_reported_with_its_line(site_dir, tmp_path):
    (site_dir / "translations.json").write_text('{\n  "translations": {\n    "actors/izi.en.md": [\n', "utf-8")
    result = build_into(site_dir, tmp_path / "out")
    assert [str(p) for p in result.problems.errors] == [
        f"{site_dir}/translations.json:4: broken translation record: Expecting value — restore "
        f"{site_dir}/translations.json from version control, or delete it and accept the translations again"
    ]


def test_strict_build_turns_warnings_into_errors(site_dir, tmp_path):
    locales = tmp_path / "locales"
    shutil.copytree(PROJECT_DIR / "locales", locales)
    catalog = locales / "de/LC_MESSAGES/messages.po"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace('msgstr "Erwähnt auf"', 'msgstr ""'), encoding="utf-8")
    line = text.split('msgstr "Erwähnt auf"')[0].count("\n") + 1
    expected = (
        f"{catalog}:{line - 1}: interface string untranslated: 'Mentioned on' — translate it and remove the fuzzy flag"
    )

    lenient = build_into(site_dir, tmp_path / "a", locales_dir=locales)
    assert not lenient.problems.errors and lenient.written
    strict = build_into(site_dir, tmp_path / "b", locales_dir=locales, strict=True)
    assert [str(p) for p in strict.problems.errors] == [expected]
    assert not strict.written and not (tmp_path / "b").exists()


def test_a_record_nested_too_deeply_is_a_problem_not_a_crash():
    from sitegen.errors import Problems
    from sitegen.translations import parse_ledger

    problems = Problems()
    assert parse_ledger("[" * 100_000 + "]" * 100_000, "content/translations.json", problems) == {}
    assert [str(p) for p in problems.errors] == [
        "content/translations.json:1: broken translation record: nested too deeply — restore content/translations.json"
        " from version control, or delete it and accept the translations again"
    ]

"""The real site in content/: complete, bilingual, cross-linked and in our own words."""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from conftest import build_into, snapshot, soup
from test_build import resolve_href

from sitegen.pipeline import PROJECT_DIR

CONTENT = PROJECT_DIR / "content"
SEED_OVERLAP = PROJECT_DIR.parent / "shared" / "tools" / "seed_overlap.py"
MINIMUM = {"actors": 45, "topics": 15, "projects": 6, "news": 8}


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    output = tmp_path_factory.mktemp("real") / "output"
    result = build_into(CONTENT, output)
    assert not result.problems.errors, [str(p) for p in result.problems.errors]
    return result.site, output


def test_builds_with_no_warning_but_the_publisher(real, tmp_path):
    result = build_into(CONTENT, tmp_path / "output")
    # The publisher's details are not in the sources; everything else must be clean.
    warnings = [p.message for p in result.problems.warnings]
    assert warnings in ([], ["the imprint's publisher details are incomplete"]), warnings


def test_counts(real):
    site, _ = real
    for section, minimum in MINIMUM.items():
        assert len(site.sections[section]) >= minimum, section


def test_every_entity_exists_in_both_languages_with_its_counterpart_linked(real):
    site, output = real
    for section in MINIMUM:
        for slug in site.sections[section]:
            versions = site.entities[slug].versions
            assert set(versions) == {"de", "en"}, f"{section}/{slug} is missing a translation"
            for lang, other in (("de", "en"), ("en", "de")):
                file = output / versions[lang].url / "index.html"
                link = soup(file).select_one(f'.lang-switch a[hreflang="{other}"]')
                target, _ = resolve_href(output, file, link["href"])
                assert target == output / versions[other].url / "index.html"


def test_every_actor_has_a_topic_and_every_topic_lists_its_actors(real):
    site, output = real
    for slug in site.sections["actors"]:
        assert site.entities[slug].relations.get("topics"), f"actor {slug} has no topic"
    for slug in site.sections["topics"]:
        actors = site.entities[slug].relations.get("actors", ())
        assert actors, f"topic {slug} lists no actor"
        for lang in ("de", "en"):
            doc = soup(output / site.entities[slug].versions[lang].url / "index.html")
            section = doc.find(id="_rel-actors").find_parent("section")
            shown = {a["href"].rstrip("/").rsplit("/", 1)[1] for a in section.select("li > a")}
            assert shown == set(actors), f"{lang} topic {slug}"


def test_every_page_is_reachable_from_the_home_pages(real):
    _, output = real
    pages = {p for p in output.rglob("*.html") if p.name != "404.html"}
    reached, queue = set(), [output / "de/index.html", output / "en/index.html"]
    while queue:
        file = queue.pop()
        if file in reached:
            continue
        reached.add(file)
        doc = soup(file)
        # Links, and the search form's target (the search page).
        hrefs = [a["href"] for a in doc.find_all("a", href=True)] + [
            f["action"] for f in doc.find_all("form", action=True)
        ]
        for href in hrefs:
            if href and not urlsplit(href).scheme and not href.startswith(("mailto:", "#")):
                target, _ = resolve_href(output, file, href)
                assert target.is_file(), f"{file}: {href}"
                queue.append(target)
    assert pages - reached == {output / "index.html"}  # the chooser is the entry, not a target


# Typical ASCII spellings of German umlauts and ß that must not appear in German text.
SUBSTITUTES = re.compile(
    r"\b(fuer|ueber|koennen|moeglich|waehrend|Universitaet|Foerderung|Groesse|Strasse|Aerzte|Gruendung|"
    r"Qualitaet|Massstab|gross|groesste|Loesung|Unterstuetzung|Muenchen|Patienteninnen|Gebaeude|Geraete)\b",
    re.IGNORECASE,
)


def test_german_text_uses_umlauts_and_sharp_s():
    for path in sorted(CONTENT.rglob("*.de.md")):
        text = re.sub(
            r"\[\[[^\]]*\]\]|^(topics|partners|member_of|actors|projects|related|include|slug):.*$",
            "",
            path.read_text(encoding="utf-8"),
            flags=re.MULTILINE,
        )
        text = re.sub(r"^\s*- (id: )?[a-z0-9-]+$|\bid: [a-z0-9-]+|^\s+[a-z0-9-]+:(?= )", "", text, flags=re.MULTILINE)
        found = SUBSTITUTES.findall(text)
        assert not found, f"{path}: {found}"


@pytest.mark.skipif(not SEED_OVERLAP.is_file(), reason="../shared/tools/seed_overlap.py is not beside this clone")
def test_content_does_not_repeat_the_seeds():
    done = subprocess.run([sys.executable, str(SEED_OVERLAP), str(CONTENT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


def test_every_translation_is_current():
    result = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "build.py"), "status", "--strict", "--short"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 stale, 0 unreviewed, 0 missing." in result.stdout


def test_builds_are_byte_identical(real, tmp_path):
    _, output = real
    again = tmp_path / "again"
    assert build_into(CONTENT, again).written
    assert snapshot(again) == snapshot(output)

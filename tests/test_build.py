"""End to end: the fixture site built and its HTML parsed, link by link."""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from conftest import FIXTURE, build_into, run_cli, soup

PAGES_BOTH = ["akteure/izi", "akteure/tud", "akteure/netzwerk", "themen/zelltherapie", "aktuelles/strategie"]
EN_PATH = {"akteure": "actors", "themen": "topics", "aktuelles": "news", "projekte": "projects"}
EN_SLUG = {"zelltherapie": "cell-therapy"}  # the English file sets its own URL name


def en(path: str) -> str:
    section, slug = path.split("/")
    return f"{EN_PATH[section]}/{EN_SLUG.get(slug, slug)}"


def page(output: Path, path: str):
    return soup(output / path / "index.html")


def html_files(output: Path) -> list[Path]:
    return sorted(output.rglob("*.html"))


def resolve_href(output: Path, page_file: Path, href: str) -> tuple[Path, str]:
    """The file an internal href leads to from `page_file`, and its #fragment."""
    target, fragment = urldefrag(href)
    base = page_file.parent.relative_to(output).as_posix()
    joined = posixpath.normpath(posixpath.join(base, target)) if target else page_file.relative_to(output).as_posix()
    path = output / joined
    if path.is_dir() or target.endswith("/"):
        path = path / "index.html"
    return path, fragment


def test_both_languages_and_missing_translation(built_fixture):
    for path in PAGES_BOTH:
        assert (built_fixture / "de" / path / "index.html").is_file()
        assert (built_fixture / "en" / en(path) / "index.html").is_file()
    assert (built_fixture / "de/themen/gmp/index.html").is_file()
    assert not (built_fixture / "en/topics/gmp").exists()


def test_every_page_has_lang_title_description_and_canonical(built_fixture):
    for file in html_files(built_fixture):
        doc = soup(file)
        assert doc.html["lang"] in ("de", "en"), file
        assert doc.title.get_text(strip=True), file
        assert doc.find("meta", attrs={"name": "description"})["content"].strip(), file
        if file.name != "404.html":
            assert doc.find("link", rel="canonical")["href"].startswith("https://example.org/sub/"), file
        assert len(doc.find_all("h1")) == 1, file


def test_every_internal_link_and_anchor_resolves(built_fixture):
    checked = 0
    for file in html_files(built_fixture):
        if file.name == "404.html":
            continue  # its links are from the site root; checked separately
        doc = soup(file)
        for tag in doc.find_all(["a", "link", "script", "img"]):
            href = tag.get("href") or tag.get("src")
            if not href or urlsplit(href).scheme:
                continue
            target, fragment = resolve_href(built_fixture, file, href)
            assert target.is_file(), f"{file}: {href} → {target}"
            if fragment:
                assert soup(target).find(id=fragment), f"{file}: {href} has no #{fragment}"
            checked += 1
    assert checked > 200


def test_switcher_reaches_the_same_page_in_the_other_language(built_fixture):
    for path in PAGES_BOTH:
        for lang, other, here, there in (("de", "en", path, en(path)), ("en", "de", en(path), path)):
            file = built_fixture / lang / here / "index.html"
            link = soup(file).select_one(f'.lang-switch a[hreflang="{other}"]')
            target, _ = resolve_href(built_fixture, file, link["href"])
            assert target == built_fixture / other / there / "index.html"
            assert soup(target).html["lang"] == other


def test_alternates_list_existing_languages_and_x_default(built_fixture):
    doc = page(built_fixture, "en/actors/izi")
    alternates = {link["hreflang"]: link["href"] for link in doc.select("link[rel=alternate][hreflang]")}
    assert alternates == {
        "de": "https://example.org/sub/de/akteure/izi/",
        "en": "https://example.org/sub/en/actors/izi/",
        "x-default": "https://example.org/sub/de/akteure/izi/",
    }
    only_de = page(built_fixture, "de/themen/gmp")
    assert {link["hreflang"] for link in only_de.select("link[rel=alternate][hreflang]")} == {"de", "x-default"}


def test_untranslated_page_is_listed_marked_and_switcher_says_so(built_fixture):
    index = page(built_fixture, "en/topics")
    link = index.find("a", string="GMP-Herstellung")
    assert link["hreflang"] == "de" and link["lang"] == "de"
    assert link["href"] == "../../de/themen/gmp/"
    switch = page(built_fixture, "de/themen/gmp").select_one(".lang-switch li[lang=en]")
    assert "not translated yet" in switch.get_text()
    assert switch.a["href"] == "../../../en/topics/"


def related(doc, heading: str) -> list[str]:
    section = doc.find("h2", string=heading).find_parent("section")
    return [a.get_text(strip=True) for a in section.select("li > a")]


@pytest.mark.parametrize(
    ("path", "heading", "expected"),
    [
        ("de/akteure/izi", "Themen", ["GMP-Herstellung", "Zell- und Gentherapie"]),
        ("en/actors/izi", "Topics", ["Cell and gene therapy", "GMP-Herstellung"]),
        (
            "de/themen/zelltherapie",
            "Akteure",
            ["Fraunhofer-Institut für Zelltherapie", "Technische Universität Dresden"],
        ),
        (
            "en/topics/cell-therapy",
            "Actors",
            ["Dresden University of Technology", "Fraunhofer Institute for Cell Therapy"],
        ),
        # partners are symmetric: declared only on izi
        ("de/akteure/tud", "Partner", ["Fraunhofer-Institut für Zelltherapie"]),
        ("en/actors/tud", "Partners", ["Fraunhofer Institute for Cell Therapy"]),
        # member_of ↔ members
        (
            "de/akteure/netzwerk",
            "Mitglieder",
            ["Fraunhofer-Institut für Zelltherapie", "Technische Universität Dresden"],
        ),
        ("en/actors/izi", "Member of", ["Cell Network Saxony"]),
        # news → actors, and back
        ("en/news/strategie", "Actors", ["Fraunhofer Institute for Cell Therapy"]),
        ("de/akteure/izi", "Aktuelles", ["Nationale Strategie veröffentlicht"]),
        ("en/topics/cell-therapy", "News", ["National strategy published"]),
        # related topics are symmetric: declared only on zelltherapie
        ("de/themen/gmp", "Verwandte Themen", ["Zell- und Gentherapie"]),
        # backlinks from [[links]] in text
        ("de/akteure/izi", "Erwähnt auf", ["Nationale Strategie veröffentlicht", "Technische Universität Dresden"]),
        ("en/topics/cell-therapy", "Mentioned on", ["Fraunhofer Institute for Cell Therapy", "Test site Saxony"]),
        ("de/themen/gmp", "Erwähnt auf", ["Fraunhofer-Institut für Zelltherapie"]),
    ],
)
def test_relations_appear_on_both_ends(built_fixture, path, heading, expected):
    assert related(page(built_fixture, path), heading) == expected


def test_cross_links_resolve_per_language(built_fixture):
    de_body = page(built_fixture, "de/akteure/izi").select_one(".body")
    assert de_body.find("a", string="Zell- und Gentherapie")["href"] == "../../themen/zelltherapie/"
    assert de_body.find("a", string="GMP-Regeln")["href"] == "../../themen/gmp/"
    assert de_body.find("a", href="../../themen/zelltherapie/#verfahren")
    en_body = page(built_fixture, "en/actors/izi").select_one(".body")
    assert en_body.find("a", string="Cell and gene therapy")["href"] == "../../topics/cell-therapy/"
    fallback = en_body.find("a", hreflang="de")
    assert fallback["href"] == "../../../de/themen/gmp/" and "GMP rules" in fallback.get_text()


def test_dates_at_their_precision_in_each_language(built_fixture):
    assert page(built_fixture, "de/aktuelles/strategie").time.get_text() == "9. September 2024"
    assert page(built_fixture, "en/news/strategie").time.get_text() == "September 9, 2024"
    assert page(built_fixture, "de/aktuelles/foerderung").time.get_text() == "Oktober 2024"
    assert page(built_fixture, "en/news/foerderung").time["datetime"] == "2024-10"
    news = [a.get_text() for a in page(built_fixture, "de/aktuelles").select(".item-list li > a")]
    assert news == ["Zweite Förderphase", "Nationale Strategie veröffentlicht"]  # newest first


def test_interface_strings_come_from_the_catalogs(built_fixture):
    de_home = page(built_fixture, "de")
    assert de_home.select_one(".skip-link").get_text() == "Zum Inhalt springen"
    assert de_home.select_one(".site-nav")["aria-label"] == "Bereiche"


def test_breadcrumbs_lead_home_and_to_the_section(built_fixture):
    crumbs = page(built_fixture, "en/actors/izi").select(".breadcrumbs li")
    assert [c.get_text(strip=True) for c in crumbs] == ["Home", "Actors", "Fraunhofer Institute for Cell Therapy"]
    assert crumbs[-1]["aria-current"] == "page"


def test_root_chooser_and_404(built_fixture):
    chooser = soup(built_fixture / "index.html")
    assert {a["href"] for a in chooser.select("main a")} == {"de/", "en/"}
    missing = soup(built_fixture / "404.html")
    assert {a["href"] for a in missing.select("main a")} == {"/sub/de/", "/sub/en/"}
    assert [s["lang"] for s in missing.select("main section")] == ["de", "en"]


def test_plain_page_renders_tables(built_fixture):
    assert page(built_fixture, "de/about").select_one(".body table td").get_text() == "A"


def test_command_line_builds_a_content_folder(tmp_path):
    output = tmp_path / "site"
    done = run_cli("--content", str(FIXTURE), "--output", str(output), "--base-url", "https://example.com/x/")
    assert done.returncode == 0, done.stderr
    assert "Built 31 HTML files" in done.stdout
    canonical = page(output, "de/akteure/izi").find("link", rel="canonical")["href"]
    assert canonical == "https://example.com/x/de/akteure/izi/"


def test_rebuild_removes_pages_that_no_longer_exist(site_dir, tmp_path):
    output = tmp_path / "output"
    assert build_into(site_dir, output).written
    (site_dir / "news/foerderung.de.md").unlink()
    (site_dir / "news/foerderung.en.md").unlink()
    assert build_into(site_dir, output).written
    assert not (output / "de/aktuelles/foerderung").exists()
    assert (output / "de/aktuelles/strategie/index.html").is_file()
    assert not list(tmp_path.glob(".output.*")), "no staging folders are left behind"


def test_drafts_are_left_out_unless_asked_for(site_dir, tmp_path):
    text = (site_dir / "actors/netzwerk.de.md").read_text()
    (site_dir / "actors/netzwerk.de.md").write_text(text.replace("city: Leipzig", "city: Leipzig\ndraft: true"))
    (site_dir / "actors/tud.de.md").write_text((site_dir / "actors/tud.de.md").read_text() + "\n[[netzwerk]]\n")
    result = build_into(site_dir, tmp_path / "out")
    assert result.written
    assert [str(w).split(": ", 1)[1] for w in result.problems.warnings] == [
        "warning: link [[netzwerk]] leads to a draft — it is shown as plain text until the draft is published"
    ]
    assert not (tmp_path / "out/de/akteure/netzwerk").exists()
    # relations to the draft are left out, not errors
    assert page(tmp_path / "out", "de/akteure/izi").find("h2", string="Mitglied in") is None
    assert build_into(site_dir, tmp_path / "drafts", drafts=True).written
    assert (tmp_path / "drafts/de/akteure/netzwerk/index.html").is_file()


def test_refuses_to_replace_a_folder_it_did_not_make(site_dir, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    result = build_into(site_dir, precious)
    assert [str(p) for p in result.problems.errors] == [
        f"{precious}: the folder holds files this generator did not write — empty it or choose another output folder"
    ]
    assert (precious / "thesis.txt").read_text() == "years of work"


def test_refuses_output_over_the_content(site_dir):
    result = build_into(site_dir, site_dir)
    assert "replacing it would delete" in str(result.problems.errors[0])
    assert (site_dir / "site.yaml").is_file()


def test_localized_slug_sets_the_url_and_links_follow_it(built_fixture):
    assert (built_fixture / "en/topics/cell-therapy/index.html").is_file()
    assert not (built_fixture / "en/topics/zelltherapie").exists()
    doc = page(built_fixture, "de/themen/zelltherapie")
    alternates = {link["hreflang"]: link["href"] for link in doc.select("link[rel=alternate][hreflang]")}
    assert alternates["en"] == "https://example.org/sub/en/topics/cell-therapy/"
    assert doc.select_one('.lang-switch a[hreflang="en"]')["href"] == "../../../en/topics/cell-therapy/"


def test_a_to_z_index_with_letter_anchors(built_fixture):
    index = page(built_fixture, "de/akteure")
    letters = [a.get_text() for a in index.select(".az a")]
    assert letters == ["F", "T", "Z"]
    for link in index.select(".az a"):
        heading = index.find(id=link["href"][1:])
        assert heading.name == "h2" and heading.get_text() == link.get_text()
    assert [a.get_text() for a in index.select("#_letter-z ~ ul a")] == ["Zellnetz Sachsen"]


def test_key_figures_are_formatted_in_each_language(built_fixture):
    def figures(lang: str, path: str) -> dict[str, str]:
        section = page(built_fixture, f"{lang}/{path}").find("section", class_="key-figures")
        return {
            div.dt.get_text(strip=True): " ".join(div.dd.get_text().replace("\N{NO-BREAK SPACE}", " ").split())
            for div in section.find_all("div")
        }

    assert figures("de", "akteure/izi") == {
        "Investitionen": "141,82 Mio. €",
        "Klinische Studien": "mehr als 350",
        "Fläche": "500.000 m²",
    }
    assert figures("en", "actors/izi") == {
        "Investment": "€141.82 million",
        "Clinical trials": "more than 350",
        "Floor space": "500,000 m²",
    }


def test_section_counts_use_each_languages_plural_forms(built_fixture):
    def cards(lang: str) -> list[str]:
        return [" ".join(span.get_text().split()) for span in page(built_fixture, lang).select(".cards .meta")]

    assert cards("de") == ["3 Akteure", "2 Themen", "0 Projekte", "2 Meldungen"]
    assert cards("en") == ["3 actors", "2 topics", "0 projects", "2 news items"]
    note = page(built_fixture, "en/topics").select_one(".fallback-note").get_text(" ", strip=True)
    assert note.startswith("1 entry is not translated yet.")
    assert page(built_fixture, "de/themen").select_one(".fallback-note") is None

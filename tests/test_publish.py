"""Ready for static hosts and offline reading: sitemap, robots.txt, feeds, metadata,
fingerprinted assets, the offline zip, self-containment and deterministic output."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import feedparser
import pytest
from conftest import FIXTURE, build_into, run_cli, snapshot, soup
from lxml import etree

from sitegen.assets import fingerprint
from sitegen.pipeline import BuildOptions, pack

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "https://example.org/life-sciences/"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The fixture site published under a sub-path."""
    output = tmp_path_factory.mktemp("publish") / "output"
    result = build_into(FIXTURE, output, base_url=BASE)
    assert not result.problems.errors, [str(p) for p in result.problems.errors]
    return output


def pages(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.html") if p.name != "404.html")


def address(output: Path, page: Path) -> str:
    path = page.relative_to(output).as_posix()
    return BASE + (path[: -len("index.html")] if path.endswith("index.html") else path)


# -- sitemap and robots.txt ---------------------------------------------------------------


def test_sitemap_is_valid_against_the_sitemaps_org_schema(site):
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap-with-alternates.xsd")))
    document = etree.parse(str(site / "sitemap.xml"))
    assert schema.validate(document), schema.error_log
    # The schema is not a formality: a language alternate without its address fails it.
    broken = etree.fromstring(etree.tostring(document))
    del broken.find(".//x:link", NS).attrib["href"]
    assert not schema.validate(broken)


def test_sitemap_lists_every_page_once_with_reciprocal_alternates(site):
    document = etree.parse(str(site / "sitemap.xml"))
    entries = {
        url.findtext("s:loc", namespaces=NS): {
            link.get("hreflang"): link.get("href") for link in url.findall("x:link", NS)
        }
        for url in document.findall("s:url", NS)
    }
    assert sorted(entries) == sorted(address(site, page) for page in pages(site))
    for loc, alternates in entries.items():
        if loc == BASE:
            continue  # the language chooser: x-default of the home pages
        assert "x-default" in alternates, loc
        languages = {lang: href for lang, href in alternates.items() if lang != "x-default"}
        assert loc in languages.values(), f"{loc} does not list itself"
        for href in languages.values():
            assert {k: v for k, v in entries[href].items()} == alternates, f"{loc} ↔ {href} not reciprocal"
    # A page in one language only has no alternate in the other.
    assert set(entries[BASE + "de/themen/gmp/"]) == {"de", "x-default"}


def test_robots_txt_names_the_sitemap(site):
    assert (site / "robots.txt").read_text() == f"User-agent: *\nAllow: /\n\nSitemap: {BASE}sitemap.xml\n"


# -- metadata in pages ---------------------------------------------------------------------


def test_canonical_and_open_graph_use_the_base_url(site):
    for page in pages(site):
        doc = soup(page)
        canonical = doc.find("link", rel="canonical")["href"]
        assert canonical == address(site, page), page
        og = {meta["property"]: meta["content"] for meta in doc.find_all("meta", property=True)}
        assert og["og:url"] == canonical and og["og:title"] and og["og:description"], page
        assert og["og:locale"] == {"de": "de_DE", "en": "en_US"}[doc.html["lang"]], page
    news = {
        m["property"]: m["content"]
        for m in soup(site / "en/news/strategie/index.html").find_all("meta")
        if m.get("property")
    }
    assert news["og:type"] == "article" and news["og:locale:alternate"] == "de_DE"


def json_ld(page: Path) -> dict:
    [script] = soup(page).find_all("script", type="application/ld+json")
    return json.loads(script.string)


def test_structured_data_in_the_page_language(site):
    home = json_ld(site / "de/index.html")
    assert home == {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": "Testseite Sachsen",
        "description": home["description"],
        "url": BASE + "de/",
        "inLanguage": "de",
    }
    actor = json_ld(site / "en/actors/izi/index.html")
    assert actor["@type"] == "ResearchOrganization" and actor["inLanguage"] == "en"
    assert actor["name"] == "Fraunhofer Institute for Cell Therapy"
    assert actor["address"] == {"@type": "PostalAddress", "addressLocality": "Leipzig"}
    assert actor["foundingDate"] == "2005"
    assert {"@type": "Organization", "name": "Cell Network Saxony", "url": BASE + "en/actors/netzwerk/"} in (
        actor["memberOf"]
    )
    news = json_ld(site / "de/aktuelles/strategie/index.html")
    assert news["@type"] == "NewsArticle" and news["inLanguage"] == "de"
    assert news["headline"] == "Nationale Strategie veröffentlicht" and news["datePublished"] == "2024-09-09"
    # JSON-LD cannot end the script element early, whatever the text contains.
    assert "</" not in soup(site / "de/index.html").find("script", type="application/ld+json").string


# -- Atom feeds ------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "path"), [("de", "de/aktuelles/feed.xml"), ("en", "en/news/feed.xml")])
def test_atom_feed_per_language(site, lang, path):
    raw = (site / path).read_bytes()
    parsed = feedparser.parse(raw)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = etree.fromstring(raw)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    # RFC 4287's requirements for a feed and for each entry.
    for name in ("id", "title", "updated", "author"):
        assert root.find(ATOM + name) is not None, name
    self_link = root.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == BASE + path
    entries = root.findall(ATOM + "entry")
    assert entries
    timestamps = [entry.findtext(ATOM + "updated") for entry in entries]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", t) for t in timestamps)
    assert timestamps == sorted(timestamps, reverse=True)
    assert root.findtext(ATOM + "updated") == timestamps[0]
    ids = [entry.findtext(ATOM + "id") for entry in entries]
    assert len(set(ids)) == len(ids)
    for entry in entries:
        link = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        assert link.startswith(BASE + lang + "/")
        page = site / urlsplit(link).path.removeprefix("/life-sciences/") / "index.html"
        assert soup(page).h1.get_text(strip=True) == entry.findtext(ATOM + "title")
    # Every page of the language announces its feed.
    link = soup(site / f"{lang}/index.html").find("link", type="application/atom+xml")
    assert (site / lang / link["href"]).resolve() == (site / path).resolve()


def test_news_without_a_date_is_left_out_of_the_feed(site_dir, tmp_path):
    news = site_dir / "news/foerderung.de.md"
    news.write_text(re.sub(r"^date: .*\n", "", news.read_text(encoding="utf-8"), flags=re.M), encoding="utf-8")
    output = tmp_path / "out"
    assert not build_into(site_dir, output).problems.errors
    titles = [entry.title for entry in feedparser.parse((output / "de/aktuelles/feed.xml").read_bytes()).entries]
    assert titles == ["Nationale Strategie veröffentlicht"]


# -- assets ----------------------------------------------------------------------------------


def test_assets_are_named_by_their_content(site):
    stylesheet = soup(site / "de/index.html").find("link", rel="stylesheet")["href"]
    assert re.fullmatch(r"\.\./assets/style\.[0-9a-f]{8}\.css", stylesheet)
    data = (site / "de" / stylesheet).resolve().read_bytes()
    assert stylesheet.split(".")[-2] == hashlib.sha256(data).hexdigest()[:8]
    assert not (site / "assets/style.css").exists()


def test_stylesheet_references_follow_renamed_assets():
    files, names = fingerprint(
        {
            "assets/fonts/sans.woff2": b"font",
            "assets/style.css": b"@font-face { src: url('fonts/sans.woff2') format('woff2'); }\n"
            b"a { background: url(data:image/png;base64,AA==); }",
        }
    )
    font = names["assets/fonts/sans.woff2"]
    assert re.fullmatch(r"assets/fonts/sans\.[0-9a-f]{8}\.woff2", font)
    css = files[names["assets/style.css"]].decode()
    assert f"url('{font.removeprefix('assets/')}')" in css and "url(data:image/png;base64,AA==)" in css


# -- self-contained and deterministic ------------------------------------------------------------


def test_nothing_loads_from_another_host(site):
    loaded = {"script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src", "video": "src"}
    checked = 0
    for page in sorted(site.rglob("*.html")):
        doc = soup(page)
        for tag in doc.find_all(True):
            attribute = loaded.get(tag.name) or (
                "href"
                if tag.name == "link" and tag.get("rel") != ["alternate"] and tag.get("rel") != ["canonical"]
                else None
            )
            value = tag.get(attribute) if attribute else None
            if value:
                assert not urlsplit(value).netloc and not value.startswith("//"), f"{page}: {tag}"
                checked += 1
            assert not re.search(r"url\(\s*['\"]?(https?:)?//", tag.get("style", "")), f"{page}: {tag}"
    assert checked >= len(list(site.rglob("*.html")))  # at least each page's stylesheet
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", text), css


def test_two_builds_are_byte_identical(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert build_into(FIXTURE, first, base_url=BASE).written
    assert build_into(FIXTURE, second, base_url=BASE).written
    assert snapshot(first) == snapshot(second)


# -- the offline copy --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pack")
    archive = folder / "site.zip"
    result = pack(BuildOptions(content_dir=FIXTURE, base_url=BASE), archive)
    assert result.written, [str(p) for p in result.problems.errors]
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(folder / "unpacked")
    [top] = (folder / "unpacked").iterdir()
    return top


def test_every_reference_in_the_offline_copy_names_a_file(unpacked):
    checked = 0
    for page in sorted(unpacked.rglob("*.html")):
        for tag in soup(page).find_all(["a", "link", "script", "img"]):
            reference = tag.get("href") or tag.get("src")
            if not reference or urlsplit(reference).scheme or tag.get("rel") in (["canonical"], ["alternate"]):
                continue
            target, fragment = urldefrag(reference)
            if not target:
                continue  # a link within the page
            assert not target.endswith("/") and not target.startswith("/"), f"{page}: {reference}"
            resolved = (page.parent / target).resolve()
            assert resolved.is_file(), f"{page}: {reference}"
            if fragment:
                assert soup(resolved).find(id=fragment), f"{page}: {reference}"
            checked += 1
    assert checked > 300


def test_offline_copy_opens_at_index_html_with_a_note(unpacked):
    chooser = soup(unpacked / "index.html")
    assert [a["href"] for a in chooser.select(".cards a")] == ["de/index.html", "en/index.html"]
    note = (unpacked / "README.txt").read_text(encoding="utf-8")
    assert "index.html" in note and "Entpacken Sie" in note and "Unzip the file" in note


def test_packing_twice_gives_the_same_zip(tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    assert pack(BuildOptions(content_dir=FIXTURE), first).written
    assert pack(BuildOptions(content_dir=FIXTURE), second).written
    assert first.read_bytes() == second.read_bytes()


def test_pack_command_names_the_zip(tmp_path):
    archive = tmp_path / "copy.zip"
    result = run_cli("pack", "--content", str(FIXTURE), "--zip", str(archive))
    assert result.returncode == 0, result.stderr
    assert f"into {archive}; unzip it and open index.html." in result.stdout
    with zipfile.ZipFile(archive) as opened:
        assert "testseite-sachsen/index.html" in opened.namelist()


def test_an_event_is_described_as_an_event(site_dir, tmp_path):
    news = site_dir / "news/foerderung.de.md"
    news.write_text(news.read_text(encoding="utf-8").replace("---\n", "---\nkind: event\n", 1), encoding="utf-8")
    output = tmp_path / "out"
    assert not build_into(site_dir, output).problems.errors
    event = json_ld(output / "en/news/foerderung/index.html")
    assert event["@type"] == "Event" and event["inLanguage"] == "en" and event["startDate"] == "2024-10"
    assert "headline" not in event


def test_pack_with_a_content_error_writes_no_zip(site_dir, tmp_path):
    (site_dir / "actors/izi.de.md").write_text("---\ntitel: x\n---\n", encoding="utf-8")
    archive = tmp_path / "copy.zip"
    result = run_cli("pack", "--content", str(site_dir), "--zip", str(archive))
    assert result.returncode == 1
    assert f"{site_dir}/actors/izi.de.md:2: unknown field 'titel' — did you mean 'title'?" in result.stderr
    assert "no zip was written" in result.stderr and not archive.exists()


def test_every_page_forbids_inline_script_and_other_hosts(built_fixture: Path):
    """A Content-Security-Policy on every page, and nothing in the pages that it would block."""
    for path in sorted(built_fixture.rglob("*.html")):
        page = soup(path)
        policy = page.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert policy, path
        directives = dict(d.strip().split(" ", 1) for d in policy["content"].split(";"))
        assert directives["default-src"] == directives["script-src"] == directives["style-src"] == "'self'", path
        assert "unsafe" not in policy["content"] and directives["object-src"] == "'none'"
        assert page.find("meta", attrs={"name": "referrer"})["content"] == "strict-origin-when-cross-origin"
        for script in page.find_all("script"):
            # Only files from the site run; JSON-LD is data, not script.
            assert script.get("src") or script.get("type") == "application/ld+json", (path, script)
        for tag in page.find_all(True):
            assert not any(name.startswith("on") for name in tag.attrs), (path, tag.name)
            assert "style" not in tag.attrs, (path, tag.name)
        for link in page.find_all("a", href=re.compile(r"^(https?:)?//")):
            assert "noopener" in link.get("rel", []), (path, link)

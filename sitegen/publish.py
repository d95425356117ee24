"""What hosts, search engines and feed readers read: sitemap, robots.txt, Atom feeds,
and each page's Open Graph and schema.org data.

Input: the Site and the absolute addresses of its pages (from `--base-url` or
site.yaml's `base_url`). Output: file bytes, or plain dicts for the templates to
embed. XML is built with ElementTree, never pasted together as text, and nothing
depends on the time of the build, so the same content gives the same bytes.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any

import babel

from .dates import PartialDate
from .model import Entity, Site, Version

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_NS = "http://www.w3.org/XML/1998/namespace"
FEED_NAME = "feed.xml"

# schema.org types for the kinds of actor; all are kinds of Organization.
ORGANIZATION_TYPES = {
    "research-institute": "ResearchOrganization",
    "university": "CollegeOrUniversity",
    "clinic": "MedicalOrganization",
    "agency": "GovernmentOrganization",
}

Absolute = Callable[[str], str]  # site path → absolute URL


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"


def sitemap(pages: Iterable[tuple[str, list[tuple[str, str]]]]) -> bytes:
    """sitemap.xml: every page's address with its language alternates (`hreflang`, x-default)."""
    ET.register_namespace("", SITEMAP_NS)
    ET.register_namespace("xhtml", XHTML_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for loc, alternates in sorted(pages):
        url = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = loc
        for hreflang, href in alternates:
            ET.SubElement(url, f"{{{XHTML_NS}}}link", rel="alternate", hreflang=hreflang, href=href)
    return _xml(root)


def robots(base_url: str) -> bytes:
    """robots.txt: everything may be crawled; the sitemap is named with its full address."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {base_url}sitemap.xml\n".encode()


def feed_path(site: Site, lang: str) -> str:
    return site.section_url("news", lang) + FEED_NAME


def _timestamp(date: PartialDate) -> str:
    """Atom wants a full time; a date known to the day or month starts at its first moment."""
    return f"{date.year:04d}-{date.month or 1:02d}-{date.day or 1:02d}T00:00:00Z"


def atom_feed(site: Site, lang: str, title: str, absolute: Absolute) -> bytes | None:
    """The news of one language as an Atom feed (RFC 4287), newest first.

    Atom requires a date for every entry, so news without a date are left out;
    None when no dated news exists in this language.
    """
    news = [
        (entity, entity.versions[lang])
        for slug in site.sections["news"]
        if lang in (entity := site.entities[slug]).versions and entity.facts.get("date")
    ]
    if not news:
        return None
    news.sort(key=lambda pair: (pair[0].facts["date"].sort_key(), pair[0].slug), reverse=True)
    ET.register_namespace("", ATOM_NS)

    def atom(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", attributes)
        element.text = text
        return element

    root = ET.Element(f"{{{ATOM_NS}}}feed", {f"{{{XML_NS}}}lang": lang})
    self_url = absolute(feed_path(site, lang))
    atom(root, "id", self_url)
    atom(root, "title", title)
    if site.config.description.get(lang):
        atom(root, "subtitle", site.config.description[lang])
    atom(root, "updated", _timestamp(news[0][0].facts["date"]))
    author = atom(root, "author")
    atom(author, "name", site.config.publisher.get("name") or site.config.title[lang])
    atom(root, "link", rel="self", type="application/atom+xml", href=self_url)
    atom(root, "link", rel="alternate", type="text/html", href=absolute(site.section_url("news", lang)))
    for entity, version in news:
        url = absolute(version.url)
        entry = atom(root, "entry")
        atom(entry, "id", url)
        atom(entry, "title", version.title)
        atom(entry, "updated", _timestamp(entity.facts["date"]))
        atom(entry, "published", _timestamp(entity.facts["date"]))
        atom(entry, "link", rel="alternate", type="text/html", hreflang=lang, href=url)
        for slug in entity.relations.get("topics", ()):
            atom(entry, "category", term=slug, label=site.version(slug, lang).title)
        atom(entry, "summary", version.summary)
        # The body's links are relative to its page; xml:base says which page that is.
        atom(entry, "content", version.body_html, type="html", **{f"{{{XML_NS}}}base": url})
    return _xml(root)


@functools.cache
def og_locale(lang: str) -> str:
    """Open Graph wants language_TERRITORY: 'de' → 'de_DE', 'en' → 'en_US' (CLDR's likely region)."""
    locale = babel.Locale.parse(babel.core.get_global("likely_subtags").get(lang, lang))
    return f"{locale.language}_{locale.territory}" if locale.territory else locale.language


def structured_data(
    site: Site, lang: str, kind: str, url: str, absolute: Absolute, version: Version | None = None
) -> dict[str, Any] | None:
    """schema.org data for a page in its language: WebSite, Organization, NewsArticle or Event."""
    config = site.config
    base: dict[str, Any] = {"@context": "https://schema.org", "url": url, "inLanguage": lang}
    if kind == "home":
        return {**base, "@type": "WebSite", "name": config.title[lang], "description": config.description.get(lang, "")}
    if version is None:
        return None
    entity = site.entities[version.slug]

    def named(slugs: Iterable[str], schema_type: str) -> list[dict[str, str]]:
        shown = [site.version(slug, lang) for slug in slugs]
        return [{"@type": schema_type, "name": v.title, "url": absolute(v.url)} for v in shown]

    data: dict[str, Any] = {**base, "name": version.title, "description": version.summary}
    if kind == "actors":
        return _organization(entity, version, data, named)
    if kind == "news":
        publisher = {"@type": "Organization", "name": config.publisher.get("name") or config.title[lang]}
        date = entity.facts.get("date")
        if entity.facts.get("kind") == "event":
            data["@type"] = "Event"
            if date:
                data["startDate"] = date.isoformat()
        else:
            data |= {"@type": "NewsArticle", "headline": version.title, "publisher": publisher}
            if date:
                data["datePublished"] = date.isoformat()
        if entity.relations.get("topics"):
            data["about"] = named(entity.relations["topics"], "Thing")
        if entity.relations.get("actors"):
            data["mentions"] = named(entity.relations["actors"], "Organization")
        return data
    return {**data, "@type": "WebPage"}


def _organization(entity: Entity, version: Version, data: dict[str, Any], named) -> dict[str, Any]:
    facts = entity.facts
    data["@type"] = ORGANIZATION_TYPES.get(facts.get("type"), "Organization")
    if version.short_title:
        data["alternateName"] = version.short_title
    if facts.get("website"):
        data["sameAs"] = [facts["website"]]
    if facts.get("founded"):
        data["foundingDate"] = str(facts["founded"])
    if facts.get("city"):
        data["address"] = {"@type": "PostalAddress", "addressLocality": facts["city"]}
    if facts.get("coordinates"):
        latitude, longitude = facts["coordinates"]
        data["geo"] = {"@type": "GeoCoordinates", "latitude": latitude, "longitude": longitude}
    if entity.relations.get("member_of"):
        data["memberOf"] = named(entity.relations["member_of"], "Organization")
    if entity.relations.get("topics"):
        data["knowsAbout"] = named(entity.relations["topics"], "Thing")
    return data

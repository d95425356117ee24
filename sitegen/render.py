"""(Site, language) → output files in memory. Reads the Site; writes nothing to disk.

Every page gets the same frame from `_Page`: its language, title and description, a
language switcher that leads to the same page in each other language (or says that
the page is not translated yet), `hreflang` alternates, breadcrumbs and the site
navigation. Links are written relative to the page, so the site works under any
sub-path and from disk; only the 404 page, which a host serves at any address, uses
links from the site's root.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import traceback
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import jinja2
import pyuca
from jinja2 import meta

from . import network, parallel, publish
from .dates import PartialDate
from .errors import Problems
from .i18n import Locale
from .load import display_path
from .maps import Geography, Marker, locator_map, state_map
from .markup import relative_url
from .memo import Fingerprint, Memo, intern, memoized
from .model import Entity, Site, Version
from .schema import HOME_SLUG, LISTED_SECTIONS, slugify
from .store import PageShards
from .write import ON_DISK, Signature, Staging


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Marks a string for extraction; it is translated where it is shown."""
    return message


SECTION_TITLES = {
    "actors": N_("Actors"),
    "topics": N_("Topics"),
    "projects": N_("Projects"),
    "news": N_("News"),
    "pages": N_("About this site"),
}

SECTION_DESCRIPTIONS = {
    "actors": N_("Institutes, universities, clinics, companies, networks and agencies in Saxony's life sciences."),
    "topics": N_("The fields Saxony's life-sciences actors work in, from cell therapy to medical technology."),
    "projects": N_("Joint projects and funded clusters of Saxony's life-sciences network."),
    "news": N_("News and events from Saxony's life-sciences network, newest first."),
}

# The network picture shows at most this many nodes (the real site has about 80).
PICTURED_NODES = 160
# The first item of the keys the network picture is kept by in `PageCache.models`.
PICTURE_KEYS = ("network", "network-picture")

# Entity section → template; list sections have an index page each.
TEMPLATES = {
    "actors": "actor.html",
    "topics": "topic.html",
    "projects": "project.html",
    "news": "news.html",
    "pages": "page.html",
}


@dataclass
class PageCache:
    """Rendered pages kept by what they were made from; see memo.py."""

    memo: Memo
    fingerprint: Fingerprint
    templates: Mapping[str, str]  # template name → digest of it and every template it uses
    catalogs: Mapping[str, str]  # language → digest of its interface catalog
    counts: dict[str, int]  # pages "rendered" and "reused" by this build
    models: Memo  # list items, reused while their values are equal
    assets: dict[str, Mapping[str, str]] = field(default_factory=dict)  # page path → the assets it names
    shards: PageShards | None = None  # where workers writing into a staging folder keep the pages they make


@dataclass(frozen=True, slots=True)
class Item:
    """One entity as a list shows it in one language (possibly a fallback version)."""

    slug: str
    section: str
    title: str
    summary: str
    url: str  # site path
    lang: str  # language of the version shown
    translated: bool  # False when the list's language has no version of it
    facts: Mapping[str, Any]

    @property
    def date(self) -> PartialDate | None:
        return self.facts.get("date") or self.facts.get("start")


# A page to render: its frame, its template, what the template shows (made when the page
# is rendered), and the model objects a profile is made from (`SiteRenderer.depends`).
PageSpec = tuple["_Page", str, Callable[[], dict[str, Any]], tuple | None]


class PageWork(Protocol):
    """Work for each page, done by the process that renders it (`make`, given the page's
    site path); the build process takes in what it gave (`add`)."""

    def make(self, path: str) -> Any: ...

    def add(self, made: Any) -> None: ...


@functools.cache
def _collator() -> pyuca.Collator:
    return pyuca.Collator()  # the Unicode Collation Algorithm's default table, loaded once


# Sort keys by text, worked out once (pyuca takes a tenth of a millisecond for a title);
# a build keeps them for the next in its cache (store.py).
SORT_KEYS: dict[str, tuple[int, ...]] = {}


def collation_key(text: str) -> tuple[int, ...]:
    """Sort key by the Unicode Collation Algorithm: 'Ärzte' files with 'Arzt', 'ß' with 'ss'."""
    key = SORT_KEYS.get(text)
    if key is None:
        key = SORT_KEYS[text] = tuple(_collator().sort_key(text))
    return key


def initial(text: str) -> str:
    """The letter a title is filed under in an A–Z list: 'Ärzte' → 'A', '5G' → '#'."""
    first = unicodedata.normalize("NFKD", text.lstrip())[:1].upper()[:1]  # "ß".upper() is "SS"
    return first if "A" <= first <= "Z" else "#"


def by_initial(items: list[Item]) -> list[tuple[str, list[Item]]]:
    """Items (already in A–Z order) grouped under their initial letters."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(initial(item.title), []).append(item)
    return sorted(groups.items(), key=lambda group: (group[0] != "#", group[0]))


class SiteRenderer:
    """Renders every page of one language with that language's environment."""

    def __init__(
        self,
        site: Site,
        lang: str,
        env: jinja2.Environment,
        locales: Mapping[str, Locale],
        asset_names: Mapping[str, str],
        geography: Geography,
        feed: tuple[str, str] | None = None,
        cache: PageCache | None = None,
    ):
        self.site, self.lang, self.env, self.locales = site, lang, env, locales
        self.asset_names = asset_names
        self.geography = geography
        self.feed = feed  # this language's news feed: (site path, title), if it has one
        self.cache = cache
        self._items: dict[str, Item] = {}
        self.locale = locales[lang]
        self.config = site.config
        # The footer lists the plain pages on every page; sorted once per language.
        self.footer_pages = self.items(slug for slug in site.sections["pages"] if slug != HOME_SLUG)

    # -- what pages are made from (for the cache) -----------------------------------
    def compact(self, value: Any) -> Any:
        """`value` with entities, versions and list items replaced by stand-ins digested once per build."""
        kind = type(value)
        if kind in (Entity, Version, Item):
            return self.cache.fingerprint.shared(value)
        if kind in (list, tuple):
            return kind(map(self.compact, value))
        if kind is dict:
            return {key: self.compact(item) for key, item in value.items()}
        return value

    def digest_ahead(self) -> None:
        """Make the list item of every entity, and digest it, every entity and every
        version (`compact`), and what every page of the language shares, before workers
        are forked to render the pages."""
        _ = self.frame_inputs
        for slug, entity in self.site.entities.items():
            self.compact(entity)
            for version in entity.versions.values():
                self.compact(version)
            if self.listed(slug):
                self.compact(self.item(slug))

    @functools.cached_property
    def frame_inputs(self) -> str:
        """A digest of what every page of this language shares: settings, footer, feed, maps."""
        site = self.site
        footer = self.compact(self.footer_pages)
        return self.cache.fingerprint.digest(
            site.config, self.lang, site.index_files, footer, self.feed, self.geography
        )

    # -- lists -------------------------------------------------------------------
    def item(self, slug: str) -> Item:
        if slug not in self._items:
            self._items[slug] = self._make_item(slug)
        return self._items[slug]

    def _make_item(self, slug: str) -> Item:
        version = self.site.version(slug, self.lang)
        entity = self.site.entities[slug]
        values = (
            slug,
            entity.section,
            version.title,
            version.summary,
            version.url,
            version.lang,
            version.lang == self.lang,
        )
        # The same item as last build while its values and its entity's facts (an
        # interned object, so its id stands for its values) are the same.
        models = self.cache.models if self.cache else None
        return intern(models, ("item", *values, id(entity.facts)), lambda: Item(*values, entity.facts))

    def items(self, slugs) -> list[Item]:
        """Entities as list entries: news newest first (undated last), anything else by title."""
        items = [self.item(slug) for slug in slugs if self.listed(slug)]
        if items and all(i.section == "news" for i in items):
            dated = sorted(
                (i for i in items if i.date), key=lambda i: (i.date.sort_key(), collation_key(i.title)), reverse=True
            )
            return dated + sorted((i for i in items if not i.date), key=lambda i: collation_key(i.title))
        return sorted(items, key=lambda i: collation_key(i.title))

    def listed(self, slug: str) -> bool:
        """Whether lists in this language show the entity: always, unless untranslated ones are hidden."""
        return self.config.untranslated == "show" or self.lang in self.site.entities[slug].versions

    def relations(self, slug: str) -> dict[str, list[Item]]:
        return {name: self.items(slugs) for name, slugs in self.site.entities[slug].relations.items()}

    # -- pages -------------------------------------------------------------------
    def pages(self, only: Collection[str] | None = None) -> Iterator[PageSpec]:
        """Every page of this language, or those at the site paths `only`: its frame, its
        template, what it shows (made on demand), and for a profile the model objects that
        is made from (see `depends`)."""
        site, lang = self.site, self.lang

        def wanted(path: str) -> bool:
            return only is None or path in only

        intro = self.intro()
        if wanted(site.home_url(lang)):
            description = intro.summary if intro else self.config.description.get(lang, "")
            home = _Page(self, site.home_url(lang), self.config.title[lang], description, kind="home")
            yield (
                home,
                "home.html",
                lambda: dict(
                    intro=intro,
                    sections=self.section_overview(),
                    figures=self.key_figures(),
                    latest_news=self.items(site.sections["news"])[:5],
                    topics=self.items(site.sections["topics"]),
                    **self.city_map(home.url(site.section_url("actors", lang))),
                ),
                None,
            )
        for section in LISTED_SECTIONS:
            if wanted(site.section_url(section, lang)):
                description = self.locale.gettext(SECTION_DESCRIPTIONS[section])
                page = _Page(self, site.section_url(section, lang), "", description, section=section, kind="section")
                yield page, "section.html", functools.partial(self.section_context, section, page), None
        if wanted(site.search_url(lang)):
            gettext = self.locale.gettext
            search = _Page(
                self, site.search_url(lang), gettext("Search"), gettext("Search the pages of this site."), kind="search"
            )
            yield (
                search,
                "search.html",
                lambda: dict(search_root=relative_url(site.search_url(lang), ""), index_files=site.index_files),
                None,
            )
        for entity in site.entities.values():
            version = entity.versions.get(lang)
            if version is None or version is intro or not wanted(version.url):
                continue
            page = _Page(self, version.url, version.title, version.summary, section=entity.section, version=version)
            context = functools.partial(self.entity_context, entity, version)
            yield page, TEMPLATES[entity.section], context, self.depends(entity)

    def depends(self, entity: Entity) -> tuple:
        """The model objects a profile page is made from, besides what all pages of the
        language share (`frame_inputs`): the entity itself, the entities it relates to and
        those linking to it, which its lists and structured data show. While these are the
        same objects (the model interns unchanged ones), the page is the same."""
        entities = self.site.entities
        related = tuple(entities[slug] for slugs in entity.relations.values() for slug in slugs)
        backlinks = self.site.backlinks.get((entity.slug, self.lang), ())
        return entity, related, backlinks, tuple(entities[slug] for slug in backlinks)

    def intro(self) -> Version | None:
        """The home page's introduction (pages/home) in this language, if there is one."""
        entity = self.site.entities.get(HOME_SLUG)
        return entity.versions.get(self.lang) if entity and entity.section == "pages" else None

    def section_context(self, section: str, page: _Page) -> dict[str, Any]:
        items = self.items(self.site.sections[section])
        context = dict(items=items, groups=by_initial(items) if section != "news" else [], cities=[], network=None)
        if section == "actors":
            context.update(self.city_map(""))  # the markers lead to the lists on the page
        if section == "topics":
            context.update(self.network(page.url))
        return context

    def entity_context(self, entity: Entity, version: Version) -> dict[str, Any]:
        context = dict(
            entity=entity,
            version=version,
            facts=entity.facts,
            relations=self.relations(entity.slug),
            backlinks=self.items(self.site.backlinks.get((entity.slug, self.lang), ())),
            locator=None,
        )
        position = self.geography.position(entity.facts) if entity.section == "actors" else None
        if position:
            place = entity.facts.get("city") or version.title
            title = self.locale.gettext("%(place)s on the map of Saxony") % {"place": place}
            context["locator"] = locator_map(self.geography, position, title)
        return context

    # -- the home page's pictures ----------------------------------------------------
    @functools.cached_property
    def cities(self) -> list[tuple[str, str, list[Item]]]:
        """Each city with a known position and the actors there: (name, anchor id, items), A–Z."""
        found: dict[str, list[str]] = {}
        for slug in self.site.sections["actors"]:
            facts = self.site.entities[slug].facts
            if facts.get("city") and self.geography.position(facts) and self.listed(slug):
                found.setdefault(facts["city"], []).append(slug)
        names = sorted(found, key=collation_key)
        return [(name, f"city-{slugify(name)}", self.items(found[name])) for name in names]

    def city_map(self, index_href: str) -> dict[str, Any]:
        """The state map with a marker per city, each linking to that city's actors on the
        actors index (`index_href`, the link to it; '' on the index itself), and the same
        links as a list beside it."""
        gettext, ngettext = self.locale.gettext, self.locale.ngettext
        markers, cities = [], []
        for name, anchor, items in self.cities:
            href = f"{index_href}#{anchor}"
            label = ngettext("%(city)s: %(num)d actor", "%(city)s: %(num)d actors", len(items)) % {
                "city": name,
                "num": len(items),
            }
            position = self.geography.places.get(name) or self.geography.position(items[0].facts)
            markers.append(Marker(name, label, href, len(items), position))
            cities.append(dict(name=name, anchor=anchor, href=href, label=label, actors=items))
        title = gettext("Map of Saxony")
        description = gettext("The cities where the actors on this site are; each marker links to the actors there.")
        return dict(city_map=state_map(self.geography, markers, title, description), cities=cities)

    def network(self, link: Callable[[str], str]) -> dict[str, Any]:
        """The picture of how actors, networks and topics connect, with the same links as a
        list (`connections`); `link` makes a page's link from a site path."""
        site, gettext = self.site, self.locale.gettext
        nodes, edges = [], []
        for slug, entity in site.entities.items():
            if entity.section not in ("actors", "topics") or not self.listed(slug):
                continue
            version = site.version(slug, self.lang)
            kind = (
                "topic" if entity.section == "topics" else "network" if entity.facts["type"] == "network" else "actor"
            )
            other = version.lang if version.lang != self.lang else ""
            label = version.short_title or version.title
            nodes.append(network.Node(slug, label, kind, link(version.url), other))
            for name, edge_kind in (("topics", "topic"), ("member_of", "member"), ("partners", "partner")):
                if entity.section == "actors":
                    edges += [network.Edge(slug, target, edge_kind) for target in entity.relations.get(name, ())]
        pairs = tuple(sorted({tuple(sorted((edge.source, edge.target))) for edge in edges}))
        # A picture of more nodes than a screen can tell apart shows the best connected
        # ones (topics first); the list after it names every connection.
        degree = Counter(slug for pair in pairs for slug in pair)
        ranked = sorted(nodes, key=lambda n: (n.kind != "topic", -degree[n.id], n.id))
        ids = tuple(sorted(node.id for node in ranked[:PICTURED_NODES]))
        shown = set(ids)
        pairs = tuple(pair for pair in pairs if pair[0] in shown and pair[1] in shown)
        labelled = tuple(node.id for node in nodes if node.kind != "actor" and node.id in shown)
        models = self.cache.models if self.cache else None
        positions = memoized(models, ("network", ids, pairs, labelled), lambda: network.layout(ids, pairs, labelled))
        legend = {
            "topic": gettext("Topic"),
            "network": gettext("Network or cluster"),
            "actor": gettext("Actor"),
        }
        title = gettext("How actors, networks and topics connect")
        description = gettext(
            "Each topic and network is linked to the actors working on it or belonging to it; "
            "lines between actors are partnerships. The list after the picture gives the same links."
        )

        def draw() -> dict[str, Any]:
            pictured = [node for node in nodes if node.id in positions]
            svg = network.network_svg(pictured, edges, positions, title=title, description=description, legend=legend)
            return dict(network=svg, connections=network.connections(nodes, edges, collation_key))

        # Placing the labels takes a while: the same picture as last build is taken as it is.
        # Kept by a digest of what it shows: a key of thousands of nodes is slow to load
        # from the cache and to look up.
        shows = repr((nodes, edges, sorted(positions.items()), title, description, sorted(legend.items())))
        key = ("network-picture", hashlib.blake2b(shows.encode(), digest_size=20).hexdigest())
        return memoized(models, key, draw)

    def key_figures(self) -> list[tuple[int, str]]:
        """Counts the home page leads with: actors, networks, topics, cities, connections."""
        site, ngettext = self.site, self.locale.ngettext
        actors = [slug for slug in site.sections["actors"] if self.listed(slug)]
        networks = sum(1 for slug in actors if site.entities[slug].facts.get("type") == "network")
        topics = sum(1 for slug in site.sections["topics"] if self.listed(slug))
        cities = len(self.cities)
        pairs = {
            frozenset((slug, other))
            for slug, entity in site.entities.items()
            for others in entity.relations.values()
            for other in others
        }
        counts = [
            (len(actors), ngettext("actor", "actors", len(actors))),
            (networks, ngettext("network or cluster", "networks and clusters", networks)),
            (topics, ngettext("topic", "topics", topics)),
            (cities, ngettext("city", "cities", cities)),
            (len(pairs), ngettext("connection between them", "connections between them", len(pairs))),
        ]
        return [(count, label) for count, label in counts if count]

    def section_title(self, section: str) -> str:
        return self.locale.gettext(SECTION_TITLES[section])

    def section_overview(self) -> list[tuple[str, str, int]]:
        return [
            (
                section,
                self.site.section_url(section, self.lang),
                sum(1 for slug in self.site.sections[section] if self.listed(slug)),
            )
            for section in LISTED_SECTIONS
        ]


class _Page:
    """The frame every page shares: URLs, alternates, switcher, breadcrumbs, navigation."""

    def __init__(
        self,
        renderer: SiteRenderer,
        path: str,
        title: str,
        description: str,
        section: str = "",
        version: Version | None = None,
        absolute_links: bool = False,
        kind: str = "",
    ):
        self.r, self.path, self.title, self.description = renderer, path, title, description
        self.section, self.version, self.absolute_links = section, version, absolute_links
        # What the page is: home, section (an index), chooser, 404, or the entity's section.
        self.kind = kind or (version.section if version else "")
        self.assets_used: dict[str, str] = {}  # what asset() named while rendering

    def url(self, target: str) -> str:
        if self.absolute_links:
            return urlsplit(self.r.config.base_url).path + target
        return relative_url(self.path, target, self.r.site.index_files)

    def asset(self, name: str) -> str:
        """The link to a file of assets/ by its source name, e.g. asset('style.css')."""
        path = f"assets/{name}"
        if path not in self.r.asset_names:
            raise jinja2.TemplateRuntimeError(f"no file assets/{name}")
        self.assets_used[path] = self.r.asset_names[path]
        return self.url(self.r.asset_names[path])

    def absolute(self, target: str) -> str:
        return self.r.config.base_url + target

    def counterparts(self) -> dict[str, str]:
        """This page's address in each language that has it."""
        site, config = self.r.site, self.r.config
        if self.version is not None:
            return {lang: v.url for lang, v in site.entities[self.version.slug].versions.items()}
        if self.kind == "search":
            return {lang: site.search_url(lang) for lang in config.languages}
        if self.section:
            return {lang: site.section_url(self.section, lang) for lang in config.languages}
        if self.path in {"", *(site.home_url(lang) for lang in config.languages)}:
            return {lang: site.home_url(lang) for lang in config.languages}
        return {}

    def switcher(self) -> list[dict[str, Any]]:
        site, lang = self.r.site, self.r.lang
        counterparts = self.counterparts()
        entries = []
        for other in self.r.config.languages:
            locale = self.r.locales[other]
            entry = {
                "lang": other,
                "name": locale.name,
                "current": other == lang,
                "url": None,
                "note": "",
                "fallback": None,
                "fallback_label": "",
            }
            if other in counterparts:
                entry["url"] = self.url(counterparts[other])
            elif other != lang:
                # Not translated: say so in the visitor's other language and offer that
                # language's section index instead of a dead link.
                entry["note"] = locale.gettext("not translated yet")
                fallback = (
                    site.section_url(self.section, other) if self.section in LISTED_SECTIONS else site.home_url(other)
                )
                entry["fallback"] = self.url(fallback)
                entry["fallback_label"] = locale.gettext("go to the overview")
            entries.append(entry)
        return entries

    def alternates(self) -> list[tuple[str, str]]:
        counterparts = self.counterparts()
        links = [(lang, self.absolute(path)) for lang, path in counterparts.items()]
        if counterparts:
            config = self.r.config
            is_home = self.path in ("", self.r.site.home_url(self.r.lang))
            default = "" if is_home else counterparts.get(config.default_language, next(iter(counterparts.values())))
            links.append(("x-default", self.absolute(default)))
        return links

    def open_graph(self) -> list[tuple[str, str]]:
        """Open Graph properties: what a link preview shows, in the page's language."""
        config, lang = self.r.config, self.r.lang
        properties = [
            ("og:type", "article" if self.kind == "news" else "website"),
            ("og:title", self.title or config.title[lang]),
            ("og:description", self.description),
            ("og:url", self.absolute(self.path)),
            ("og:site_name", config.title[lang]),
            ("og:locale", publish.og_locale(lang)),
        ]
        others = [other for other in self.counterparts() if other != lang]
        return properties + [("og:locale:alternate", publish.og_locale(other)) for other in others]

    def nav_state(self, section: str) -> str:
        """aria-current for a navigation entry: the section's index, or a page inside it."""
        if section != self.section:
            return ""
        return "true" if self.version is not None else "page"

    def breadcrumbs(self) -> list[tuple[str, str]]:
        site, lang, gettext = self.r.site, self.r.lang, self.r.locale.gettext
        crumbs = [(gettext("Home"), self.url(site.home_url(lang)))]
        if self.section in LISTED_SECTIONS and self.version is not None:
            crumbs.append((self.r.section_title(self.section), self.url(site.section_url(self.section, lang))))
        return crumbs

    def render(
        self,
        template: str,
        problems: Problems,
        make_context: Callable[[], dict[str, Any]],
        depends: tuple | None = None,
    ) -> dict[str, bytes]:
        """The page's file. With a cache, the last build's when nothing it is made from changed.

        Two checks find that out. The quick one, for profiles: the same model objects as
        last time (`depends`, compared by identity first) with the same language-wide
        inputs; nothing of the page is made. The thorough one: a digest of everything the
        template receives (`_cache_key`), for pages whose objects changed in a way that
        may not show, or that have no `depends`.
        """
        site, lang, cache = self.r.site, self.r.lang, self.r.cache
        shared = None
        if cache is not None and depends is not None:
            shared = (self.r.frame_inputs, cache.templates.get(template, ""), cache.catalogs.get(lang, ""))
            known = cache.memo.get(("depends", self.path))
            if known is not None and known[0] == shared and known[1] == depends and self._assets_same(known[3]):
                cache.memo.get(known[4])  # kept for when `depends` changes in a way that does not show
                cache.counts["reused"] += 1
                cache.assets[self.path] = known[3]
                return known[2]
        context = make_context()
        structured_data = publish.structured_data(
            site, lang, self.kind, self.absolute(self.path), self.absolute, self.version
        )
        key = None
        if cache is not None:
            key = self._cache_key(template, context, structured_data, cache)
            known = cache.memo.get(key)
            if known is not None and self._assets_same(known[1]):
                cache.counts["reused"] += 1
                cache.assets[self.path] = known[1]
                if shared is not None:
                    cache.memo.put(("depends", self.path), (shared, depends, *known, key))
                return known[0]
        frame = dict(
            lang=lang,
            languages=self.r.config.languages,
            site_title=self.r.config.title[lang],
            page_title=self.title,
            description=self.description,
            section=self.section,
            path=self.path,
            url=self.url,
            asset=self.asset,
            canonical=self.absolute(self.path),
            alternates=self.alternates(),
            switcher=self.switcher(),
            breadcrumbs=self.breadcrumbs(),
            nav=[(s, self.url(site.section_url(s, lang)), self.nav_state(s)) for s in LISTED_SECTIONS],
            pages=self.r.footer_pages,
            publisher=self.r.config.publisher,
            home_url=self.url(site.home_url(lang)),
            search_url=self.url(site.search_url(lang)),
            kind=self.kind,
            section_title=self.r.section_title,
            feed=(self.url(self.r.feed[0]), self.r.feed[1]) if self.r.feed else None,
            og=self.open_graph(),
            structured_data=structured_data,
        )
        frame.update(context)
        try:
            html = self.r.env.get_template(template).render(frame)
        except jinja2.TemplateError as exc:
            report_template_error(exc, problems)
            return {}
        files = {_file_for(self.path): html.encode("utf-8")}
        if key is not None:
            cache.memo.put(key, (files, self.assets_used))
            if shared is not None:
                cache.memo.put(("depends", self.path), (shared, depends, files, self.assets_used, key))
            cache.counts["rendered"] += 1
            cache.assets[self.path] = self.assets_used
        return files

    def _assets_same(self, used: Mapping[str, str]) -> bool:
        """Whether every asset the page named last time still has the same file name."""
        return all(self.r.asset_names.get(path) == name for path, name in used.items())

    def _cache_key(self, template: str, context: dict[str, Any], structured_data: Any, cache: PageCache) -> str:
        """Everything the page is made from, so a reused page is the page a render would give.

        The frame every page shares (switcher, alternates, navigation, breadcrumbs, Open
        Graph, footer) is made from the page's own attributes, its addresses in the other
        languages, the site settings, the language's catalog, and the footer and feed of
        its language; it is not made at all when the page is reused, so those inputs are
        what the key covers, with the template's own data (`context`). Anything else a
        frame part starts to read must be added here; the incremental-build tests compare
        cached and fresh builds after many kinds of change.
        """
        compact = self.r.compact
        return cache.fingerprint.digest(
            template,
            cache.templates.get(template, ""),
            cache.catalogs.get(self.r.lang, ""),
            self.r.frame_inputs,
            self.path,
            self.title,
            self.description,
            self.section,
            self.kind,
            self.absolute_links,
            compact(self.version),
            self.counterparts(),
            structured_data,
            compact(context),
        )


def template_versions(env: jinja2.Environment, templates: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Each template's digest over its own text and that of every template it extends,
    includes or imports, so a page is rendered again exactly when one of those changed."""
    uses = {}
    for name, (source, _) in templates.items():
        try:
            named = set(meta.find_referenced_templates(env.parse(source)))
        except jinja2.TemplateSyntaxError:
            named = {None}  # reported when a page is rendered with it
        uses[name] = set(templates) if None in named else named & set(templates)
    versions = {}
    for name in templates:
        closure, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current not in closure:
                closure.add(current)
                todo.extend(uses[current])
        digest = hashlib.blake2b(digest_size=20)
        for used in sorted(closure):
            digest.update(f"{len(used)}:{used}{len(templates[used][0])}:{templates[used][0]}".encode())
        versions[name] = digest.hexdigest()
    return versions


def render_pages(
    pages: list[tuple],
    problems: Problems,
    cache: PageCache | None,
    jobs: int,
    staging: Staging | None = None,
    meanwhile: Callable[[], None] | None = None,
    each: PageWork | None = None,
) -> list[dict[str, bytes]]:
    """The files of each of `pages` (as `SiteRenderer.pages` gives them), in their order;
    `meanwhile` is called while they render (see `parallel.run_all`), `each` does its
    work for every page in the process that renders it.

    They are rendered, or taken from the cache, by up to `jobs` processes: each returns a
    page's files with what it reported and the cache entries it made or used, and these
    are added here in the order of the pages, so the build is the one a single process
    makes. With `staging`, each process also writes the pages it made into the new
    output folder right away, so that writing is shared out too and done while other
    pages render, and sends the page back as `ON_DISK` rather than its bytes, in the
    files and in the cache's entry: this process never holds the pages it did not render
    (150 MiB of its memory at 5,000 actors). The cache's entries with the bytes are kept
    by the process that made them, in the cache's `shards`. The live preview (one job)
    renders here, with the quick checks of `depends`.
    """
    if parallel.workers(len(pages), jobs) == 1:
        done = []
        with parallel.collecting():
            for page, template, context, depends in pages:
                done.append(page.render(template, problems, context, depends))
                if staging is not None:
                    staging.write(done[-1])
                if each is not None:
                    each.add(each.make(page.path))
        if meanwhile is not None:
            meanwhile()
        return done
    memo, counts, assets = (cache.memo, cache.counts, cache.assets) if cache is not None else (Memo(), {}, {})
    known = memo.snapshot()

    def render(page: tuple) -> tuple:
        """In a worker process (more than one job means forked workers), so the cache's
        memo, counts and assets are swapped there only: a memo of this page's own, reading
        the build's, hands back the pages it made, and the keys of those it reused (this
        process has them already, so they are not sent back)."""
        page, template, context, depends = page
        found = Problems()
        if cache is None:
            files = page.render(template, found, context, depends)
            written = write(files)
            return files, None, found.items, [], [], {}, {}, written, work(page)
        cache.memo, cache.counts, cache.assets = Memo(known), dict.fromkeys(counts, 0), {}
        files = page.render(template, found, context, depends)
        made, reused = [], []
        for key, value in cache.memo.items():
            if isinstance(key, str):
                if known.get(key) is value:
                    reused.append(key)
                else:
                    made.append((key, value))
        same = next((key for key in reused if known[key][0] is files), None)
        if made and staging is not None and cache.shards is not None:
            cache.shards.add(made)  # with the bytes, which `write` then takes out
        written = write(files, mine=same is None)
        done = None if same else files, same, found.items, made, reused, cache.counts, cache.assets, written
        return *done, work(page)

    def work(page: _Page) -> Any:
        return each.make(page.path) if each is not None else None

    def write(files: dict[str, bytes], mine: bool = True) -> dict[str, Signature]:
        """Write a page into `staging`; a page made here (`mine`) then goes back to the
        build as `ON_DISK`, its cache entry too, which holds the same dict."""
        if staging is None:
            return {}
        written = staging.write(files)
        if mine:
            files.update(dict.fromkeys(files, ON_DISK))
        return written

    files = []
    # Workers that render (nearly) every page are renewed as they go, to keep their memory
    # small (parallel.LIFETIMES). With pages in the cache most are only looked up, by keys
    # made from digests of the model's objects, and a new worker would work those out again.
    for page_files, same, found, made, reused, page_counts, page_assets, written, worked in parallel.run_all(
        render, pages, jobs, renew=not known, meanwhile=meanwhile
    ):
        problems.items.extend(found)
        if each is not None:
            each.add(worked)
        if staging is not None:
            staging.add(written)
        for key in reused:
            memo.get(key)  # used by this build
        for key, value in made:
            memo.put(key, value)
        for name, count in page_counts.items():
            counts[name] += count
        assets.update(page_assets)
        files.append(page_files if same is None else known[same][0])
    return files


def _file_for(path: str) -> str:
    return path + "index.html" if path.endswith("/") or not path else path


def report_template_error(exc: jinja2.TemplateError, problems: Problems) -> None:
    """A template mistake as `templates/x.html:line: …`, found from Jinja's traceback."""
    name, line = getattr(exc, "filename", None) or getattr(exc, "name", None), getattr(exc, "lineno", 0)
    if not name:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.startswith(("templates", "/")) and frame.filename.endswith(".html"):
                name, line = display_path(Path(frame.filename)), frame.lineno
                break
    problems.error(name or "templates", line or 0, f"template error: {exc.message or exc}", "fix the template")


def render_site(
    site: Site,
    envs: Mapping[str, jinja2.Environment],
    locales: Mapping[str, Locale],
    problems: Problems,
    asset_names: Mapping[str, str],
    geography: Geography,
    feeds: Mapping[str, tuple[str, str]],
    cache: PageCache | None = None,
    jobs: int = 1,
    staging: Staging | None = None,
    each: PageWork | None = None,
    after: Callable[[], None] | None = None,
    before_workers: Callable[[], object] | None = None,
) -> dict[str, bytes]:
    """Every page of every language, plus the root language chooser, the 404 page, the
    sitemap and robots.txt. With `staging`, the pages are written into it as they are
    rendered (see `render_pages`).

    The caller's work: `each` for every page, by the process that renders it (the search
    entries); `after` once the other pages are made, before the search pages (the search
    files, whose names it adds to `asset_names`). `before_workers` is called before the
    workers that render the pages are forked.

    `asset_names` maps each file of assets/ to its name in the output (with its hash);
    `geography` places actors on the maps; `feeds` names each language's news feed (see
    `news_feeds`), which its pages link to. With a `cache`, a page whose inputs are all
    unchanged is taken from the last build. With nothing to reuse, the pages are
    rendered by up to `jobs` processes.
    """
    for slug in site.sections["actors"]:
        entity = site.entities[slug]
        city = entity.facts.get("city")
        if city and not geography.position(entity.facts):
            problems.warning(
                entity.versions[entity.original_lang].source,
                0,
                f"the city '{city}' has no position on the map",
                f"add '{city}: [latitude, longitude]' to data/places.yaml, or give the actor coordinates",
            )
    # Every title's and city's sort key, worked out once in this process rather than in
    # each worker (whose keys would be lost, so that each build would load pyuca again);
    # a build has most of them already (pipeline._sort_keys).
    for entity in site.entities.values():
        for version in entity.versions.values():
            collation_key(version.title)
        if entity.facts.get("city"):
            collation_key(entity.facts["city"])
    files: dict[str, bytes] = {}
    pages = site_pages(site, envs, locales, asset_names, geography, feeds, cache)

    # Made in this process, not by the workers: with a cache, the topic overviews, while
    # the workers render the other pages, so that the cache (and the next build) keeps
    # their network pictures, whose layout takes a while (a worker's would be lost); then
    # the sitemap. The search pages last, once `after` has made the search files.
    first: list[PageSpec] = []
    pictured: list[PageSpec] = []
    last: list[PageSpec] = []
    for spec in pages:
        page = spec[0]
        if page.kind == "search":
            last.append(spec)
        elif cache is not None and page.kind == "section" and page.section == "topics":
            pictured.append(spec)
        else:
            first.append(spec)
    found = Problems()  # reported after the others', as a build in one process does

    def meanwhile() -> None:
        for page_files in render_pages(pictured, found, cache, 1, staging, each=each):
            files.update(page_files)
        files["sitemap.xml"] = _sitemap(pages, cache)

    if parallel.workers(len(first), jobs) > 1:
        # Compiled here once: each worker forked from this process (and, in a build with
        # no pages in its cache, each one that replaces it) would compile them again.
        for env in envs.values():
            for name in env.list_templates():
                with contextlib.suppress(jinja2.TemplateError):  # reported when a page uses it
                    env.get_template(name)
        # The same for the list items and the digests of the model's objects, which the
        # pages' cache keys are made of: a worker would work out those of every page it
        # renders, though other workers have (0.5 s here at 5,000 actors, in each).
        if cache is not None:
            for renderer in {id(page.r): page.r for page, *_ in first}.values():
                renderer.digest_ahead()
    if before_workers is not None:
        before_workers()
    for page_files in render_pages(first, problems, cache, jobs, staging, meanwhile, each):
        files.update(page_files)
    if after is not None:
        after()
    for page_files in render_pages(last, found, cache, 1, staging, each=each):
        files.update(page_files)
    problems.items.extend(found.items)
    files["robots.txt"] = publish.robots(site.config.base_url)
    return files


def _sitemap(pages: list[PageSpec], cache: PageCache | None) -> bytes:
    """The sitemap of `pages` (all but the 404 page), in their order."""
    sitemap = [(page.absolute(page.path), page.alternates()) for page, *_ in pages if page.kind != "404"]
    if cache is None:
        return publish.sitemap(sitemap)
    # Kept with the pages (whose cache keeps keys that are strings).
    key = "sitemap.xml:" + hashlib.blake2b(repr(sitemap).encode(), digest_size=20).hexdigest()
    return memoized(cache.memo, key, lambda: publish.sitemap(sitemap))


def news_feeds(site: Site, locales: Mapping[str, Locale]) -> tuple[dict[str, bytes], dict[str, tuple[str, str]]]:
    """Each language's Atom feed of its news: the files, and for the pages of each
    language with a feed, its (site path, title)."""
    absolute = functools.partial(str.__add__, site.config.base_url)
    files, feeds = {}, {}
    for lang in site.config.languages:
        title = f"{locales[lang].gettext(SECTION_TITLES['news'])} · {site.config.title[lang]}"
        feed = publish.atom_feed(site, lang, title, absolute)
        if feed is not None:
            feeds[lang] = (publish.feed_path(site, lang), title)
            files[feeds[lang][0]] = feed
    return files, feeds


def site_pages(
    site: Site,
    envs: Mapping[str, jinja2.Environment],
    locales: Mapping[str, Locale],
    asset_names: Mapping[str, str],
    geography: Geography,
    feeds: Mapping[str, tuple[str, str]],
    cache: PageCache | None = None,
    only: Collection[str] | None = None,
) -> list[PageSpec]:
    """Every page of the site (or those at the site paths `only`), ready to render: the
    pages of each language, then the root language chooser and the 404 page."""
    pages = [
        page
        for lang in site.config.languages
        for page in SiteRenderer(site, lang, envs[lang], locales, asset_names, geography, feeds.get(lang), cache).pages(
            only
        )
    ]
    default = site.config.default_language
    renderer = SiteRenderer(site, default, envs[default], locales, asset_names, geography, cache=cache)
    if only is None or "" in only:
        homes = [
            (lang, locales[lang].name, site.config.title[lang], site.home_url(lang)) for lang in site.config.languages
        ]
        both_titles = " · ".join(site.config.title[lang] for lang in site.config.languages)
        chooser = _Page(renderer, "", "", site.config.description.get(default, ""), kind="chooser")
        pages.append((chooser, "chooser.html", lambda: dict(homes=homes, site_title=both_titles), None))
    if only is None or "404.html" in only:
        notices = [
            {
                "lang": lang,
                "heading": locales[lang].gettext("Page not found"),
                "text": locales[lang].gettext(
                    "There is no page at this address. It may have moved, or the link may be mistyped."
                ),
                "link": locales[lang].gettext("Go to the home page"),
                "home": site.home_url(lang),
            }
            for lang in site.config.languages
        ]
        titles = " · ".join(n["heading"] for n in notices)
        # Hosts serve the 404 page at any address, so its links start from the site root;
        # read from disk it is just a page at the root, and relative links work.
        missing = _Page(renderer, "404.html", "", titles, absolute_links=not site.index_files, kind="404")
        pages.append((missing, "404.html", lambda: dict(notices=notices, site_title=titles), None))
    return pages

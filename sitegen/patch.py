"""The live preview's shortcut: saved Markdown bodies → the few files they change.

Most saves in the preview change the text of a page and nothing else. A build passes
over every page of the site, even when it reuses them all: about two seconds at 10,000
pages. A patch starts from the last good build instead. It reads the saved files again,
converts their bodies, renders the pages that show them, and brings the search files
(and the pages that name them) up to date; its time does not grow with the site.

A patch is made only when it gives exactly the files and problems a build would give:
every saved file is a page the last build had, its front matter is unchanged (to the
line), the last build reported no problem in it, no translation of it is recorded, and
its new body needs no message and links to the same pages with the same heading ids
(so no other page's lists, backlinks or link checks change). Anything else (a new,
renamed or deleted file, a title or a fact, a template, a catalog, an asset) goes
through a build: `patch` returns None. The tests compare patched sites with fresh builds.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from .assets import fingerprint
from .errors import Problems
from .load import IGNORED, SourceDocument, display_path, reload_document
from .markup import LinkTarget, MarkdownRenderer
from .memo import BuildCache
from .model import Site, TooDeepError, converted_body
from .pipeline import BuildOptions, BuildResult, section_label
from .render import PageCache, news_feeds, render_pages, site_pages
from .schema import HOME_SLUG, SECTIONS
from .search import search_entry, search_script
from .translations import record_key


def patch(last: BuildResult, changed: Iterable[str], options: BuildOptions, cache: BuildCache) -> BuildResult | None:
    """The site after the saves of `changed` (file paths), made from `last`, the result of
    the last good build or patch with `options` and `cache`; None when it takes a build.

    `cache.counts` says how many pages were rendered and reused.
    """
    content, site, rendering = last.content, last.site, last.rendering
    if content is None or site is None or rendering is None or last.problems.errors:
        return None
    documents = {doc.path: doc for doc in content.documents}
    saved = _saved_documents(changed, options.content_dir, documents, last, cache)
    if saved is None:
        return None
    cache.counts = {"rendered": 0, "reused": 0}
    for doc in saved:
        site = _with_body(site, doc, cache)
        if site is None:
            return None
        documents[doc.path] = doc
    slugs = {doc.slug for doc in saved}
    files = dict(last.files)
    locales = rendering.theme.locales

    # The search files name every page with its text.
    search = dict(rendering.search)
    generated = {}
    for lang in site.config.languages:
        label = section_label(locales[lang])
        entries = {slug: search_entry(site, slug, lang, label, cache.search) for slug in slugs}
        entries = {slug: entry for slug, entry in entries.items() if entry is not None}  # listed in `lang`
        if any(entry != search[lang].get(slug) for slug, entry in entries.items()):
            search[lang] = {**search[lang], **entries}
            generated[f"assets/search-{lang}.js"] = search_script(lang, search[lang].values())
    assets = {**rendering.assets, **generated}
    renamed, names = fingerprint(
        assets, {path: name for path, name in rendering.asset_names.items() if path not in generated}
    )
    moved = {path for path, name in names.items() if name != rendering.asset_names.get(path)}
    for path in moved:
        files.pop(rendering.asset_names.get(path, ""), None)
        files[names[path]] = renamed[names[path]]

    # News feeds carry the text of each news item.
    if any(site.entities[slug].section == "news" for slug in slugs):
        feed_files, feeds = news_feeds(site, locales)
        if feeds != rendering.feeds:
            return None
        files.update(feed_files)

    # The pages: those of the saved pages' entities (in every language, since each is
    # given its entity), and every page naming a search file that got a new name.
    paths = {version.url for slug in slugs for version in site.entities[slug].versions.values()}
    paths.update(page for page, used in rendering.page_assets.items() if not moved.isdisjoint(used))
    theme = rendering.theme
    pages = PageCache(
        cache.pages,
        cache.fingerprint,
        theme.templates,
        theme.catalogs,
        cache.counts,
        cache.models,
        dict(rendering.page_assets),
    )
    specs = site_pages(site, theme.envs, locales, names, rendering.geography, rendering.feeds, pages, only=paths)
    found = Problems()
    for page_files in render_pages(specs, found, pages, jobs=1):
        files.update(page_files)
    if found or len(specs) != len(paths):
        return None
    cache.counts["reused"] = sum(name.endswith(".html") for name in files) - cache.counts["rendered"]
    return BuildResult(
        problems=Problems(list(last.problems.items)),
        site=site,
        files=files,
        content=replace(content, documents=list(documents.values())),
        rendering=replace(rendering, assets=assets, asset_names=names, search=search, page_assets=pages.assets),
    )


def _saved_documents(
    changed: Iterable[str], content_dir: Path, known: Mapping[str, SourceDocument], last: BuildResult, cache: BuildCache
) -> list[SourceDocument] | None:
    """The saved pages whose bodies changed, read again (`known`: the last build's documents
    by path); None when a change is more than that."""
    content = last.content
    reported = {problem.path for problem in last.problems.items}
    recorded = content.record.keys()
    languages = content.config.languages
    folder = os.path.abspath(content_dir)
    saved = []
    for path in sorted(set(changed)):
        parts = Path(os.path.relpath(os.path.abspath(path), folder)).parts
        if len(parts) != 2 or parts[0] not in SECTIONS:
            return None
        section, name = parts
        if IGNORED.search(name):
            continue  # an editor's backup or swap file, which builds leave alone too
        shown = f"{display_path(content_dir / section)}/{name}"
        old = known.get(shown)
        if old is None or not os.path.isfile(path) or shown in reported:
            return None
        problems = Problems()
        new = reload_document(content_dir / section, name, content.config, problems, cache)
        if new is None or problems:
            return None
        if new.body_digest == old.body_digest and new == old:
            continue  # saved as it was
        if replace(new, body=old.body, body_digest=old.body_digest) != old:
            return None  # the front matter changed
        if new.slug == HOME_SLUG or any(record_key(section, new.slug, lang) in recorded for lang in languages):
            return None  # the home page shows it; a translation's state may change
        saved.append(new)
    return saved


def _with_body(site: Site, doc: SourceDocument, cache: BuildCache) -> Site | None:
    """`site` with the new body of `doc`, if nothing but that page's text changes."""
    entity = site.entities.get(doc.slug)
    version = entity.versions.get(doc.lang) if entity else None
    if version is None or version.source != doc.path:
        return None
    links = _LinkTable(site, doc.lang)
    try:
        rendered, linked = converted_body(
            doc, version.url, _renderer(doc.lang, site.index_files), links, cache.markdown
        )
    except TooDeepError:
        return None
    if rendered.removed or rendered.anchors != version.anchors or linked != version.links:
        return None
    for link in rendered.links:
        if link.target is None:
            return None
        if link.anchor and link.anchor not in site.entities[link.slug].versions[link.target.lang].anchors:
            return None
    version = replace(version, body_html=rendered.html)
    entity = replace(entity, versions=MappingProxyType({**entity.versions, doc.lang: version}))
    return replace(site, entities=MappingProxyType({**site.entities, doc.slug: entity}))


@dataclass(frozen=True)
class _LinkTable:
    """Where a [[slug]] leads from a page in `lang`: the link table `build_site` makes."""

    site: Site
    lang: str

    def get(self, slug: str) -> LinkTarget | None:
        if slug not in self.site.entities:
            return None
        version = self.site.version(slug, self.lang)
        return LinkTarget(version.url, version.title, version.lang)


@functools.lru_cache(maxsize=8)
def _renderer(lang: str, index_files: bool) -> MarkdownRenderer:
    return MarkdownRenderer(lang, index_files)

"""The build, stage by stage: load → model → markup (inside model) → render → write.

`serve`, `check`, tests and the command line all build through `build()`, so there
is exactly one way content becomes a site.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2

from . import parallel, store
from .assets import fingerprint
from .config import SiteConfig
from .errors import Problem, Problems
from .i18n import Locale, catalog_digest, load_locales, make_environment
from .load import (
    SourceDocument,
    display_path,
    load_assets,
    load_config,
    load_documents,
    load_templates,
    read_translation_record,
)
from .maps import Geography, load_geography
from .memo import BuildCache
from .model import Site, build_site
from .render import (
    PICTURE_KEYS,
    SECTION_TITLES,
    SORT_KEYS,
    PageCache,
    collation_key,
    news_feeds,
    render_site,
    template_versions,
)
from .schema import slugify
from .search import PageSearchEntries, search_script
from .translations import Acceptance, TranslationState, parse_ledger, translation_states, warn_stale
from .write import Staging, UnsafeOutputError, check_output_dir, let_go_of_all, recover_output, write_zip

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BuildOptions:
    content_dir: Path = PROJECT_DIR / "content"
    output_dir: Path = PROJECT_DIR / "output"
    base_url: str | None = None
    drafts: bool = False
    strict: bool = False  # warnings count as errors
    offline: bool = False  # links name index.html, for reading from disk (the `pack` copy)
    templates_dir: Path = PROJECT_DIR / "templates"
    locales_dir: Path = PROJECT_DIR / "locales"
    assets_dir: Path = PROJECT_DIR / "assets"
    data_dir: Path = PROJECT_DIR / "data"  # the outline of Saxony and places, for the maps
    jobs: int = 1  # processes that convert and render (the command line's default: all cores)
    cache_dir: Path | None = None  # what a build keeps for the next (store.py); None: nothing


@dataclass
class BuildResult:
    problems: Problems = field(default_factory=Problems)
    site: Site | None = None
    # The site's files by path. From `build`, a page a worker process wrote into output/
    # holds `write.ON_DISK` in place of its bytes.
    files: dict[str, bytes] = field(default_factory=dict)
    written: bool = False
    zip_path: Path | None = None  # where `pack` wrote the zip
    unchanged: bool = False  # nothing had changed since the last build: output/ was left as it was
    summary: dict[str, int] = field(default_factory=dict)  # "html" files, and pages per language
    counts: dict[str, int] = field(default_factory=dict)  # pages "rendered" and "reused" (`build` only)
    content: Content | None = None  # what the site was made from (a good build's)
    rendering: Rendering | None = None  # what its files were made with (a good build's)

    def summarize(self) -> dict[str, int]:
        """The HTML files written and the pages of each language (from the last build when unchanged)."""
        if self.unchanged or self.site is None:
            return self.summary
        entities = self.site.entities.values()
        languages = self.site.config.languages
        return {
            "html": sum(1 for name in self.files if name.endswith(".html")),
            **{lang: sum(1 for e in entities if lang in e.versions) for lang in languages},
        }

    @property
    def pages(self) -> int:
        return self.summarize().get("html", 0)


@dataclass(frozen=True)
class Content:
    """content/ as read and checked file by file, before the files are put together."""

    config: SiteConfig
    documents: list[SourceDocument]
    broken: frozenset[str]  # slugs with a file that could not be read (already reported)
    record: Mapping[str, Acceptance]  # accepted translations (content/translations.json)
    record_path: str

    def translation_states(self) -> list[TranslationState]:
        return translation_states(self.config, self.documents, self.record)


def load_content(options: BuildOptions, problems: Problems, cache: BuildCache | None = None) -> Content | None:
    """content/ → settings, documents and the translation record; None if unusable."""
    content = options.content_dir
    if not content.is_dir():
        problems.error(display_path(content), 0, "content folder not found", "pass --content DIR or create content/")
        return None
    config = load_config(content, problems, options.base_url)
    if config is None:
        return None
    documents, broken = load_documents(content, config, problems, cache, options.jobs)
    record_path, record_text = read_translation_record(content, problems)
    record = parse_ledger(record_text, record_path, problems)
    return Content(config, documents, broken, record, record_path)


def load_site(
    options: BuildOptions, problems: Problems, cache: BuildCache | None = None
) -> tuple[Content | None, Site | None]:
    """content/ → (what was read, Site); the Site is None when the content has errors
    (they are in `problems`)."""
    content = load_content(options, problems, cache)
    if content is None:
        return None, None
    states = content.translation_states()
    warn_stale(states, problems)
    stale = frozenset((s.slug, s.lang) for s in states if s.state == "stale")
    site = build_site(
        content.config,
        content.documents,
        problems,
        drafts=options.drafts,
        stale=stale,
        index_files=options.offline,
        cache=cache,
        broken=content.broken,
        jobs=options.jobs,
        meanwhile=lambda: _sort_keys(content.documents),
    )
    return content, None if problems else site


def _sort_keys(documents: list[SourceDocument]) -> None:
    """Work out the sort key of every title and city (`collation_key`), as the lists of
    the pages will ask for them, while other processes convert the bodies: 0.3 s at
    5,000 actors with pyuca's table, which the build used to spend after them, with the
    other cores idle. A build that finds them in its cache has nothing to do here."""
    for doc in documents:
        for name in ("title", "city"):
            value = doc.fields.get(name)
            if isinstance(value, str):
                collation_key(value)


@dataclass(frozen=True)
class Theme:
    """The templates and interface catalogs a build renders with, one environment per language."""

    locales: Mapping[str, Locale]
    envs: Mapping[str, jinja2.Environment]
    templates: Mapping[str, str]  # template → digest of it and every template it uses
    catalogs: Mapping[str, str]  # language → digest of its catalog
    problems: tuple[Problem, ...]  # what reading them found (warnings), reported on each build


def load_theme(
    options: BuildOptions, languages: tuple[str, ...], problems: Problems, cache: BuildCache
) -> Theme | None:
    """templates/ and locales/ ready to render with; the last build's when they are unchanged."""
    found = Problems()
    templates = load_templates(options.templates_dir, found)
    catalogs = {lang: catalog_digest(options.locales_dir, lang) for lang in languages}
    key = (options.templates_dir, options.locales_dir, tuple(templates.items()), tuple(catalogs.items()))
    theme = cache.environments.get(key)
    if theme is None:
        locales = load_locales(options.locales_dir, languages, found)
        if found:
            problems.items.extend(found.items)
            return None
        envs = {lang: make_environment(templates, locales[lang]) for lang in languages}
        versions = template_versions(next(iter(envs.values())), templates)
        theme = Theme(locales, envs, versions, catalogs, tuple(found.items))
        cache.environments = {key: theme}  # only the latest is worth keeping
    problems.items.extend(theme.problems)
    return theme


@dataclass(frozen=True)
class Rendering:
    """What a good build made its files with, so the live preview can patch them (patch.py)."""

    theme: Theme
    geography: Geography
    assets: Mapping[str, bytes]  # the files of assets/ and the search files, before renaming
    asset_names: Mapping[str, str]  # their names in the output
    search: Mapping[str, Mapping[str, bytes]]  # language → slug → that page's search entry (JSON, UTF-8)
    feeds: Mapping[str, tuple[str, str]]  # language → its news feed's (site path, title)
    page_assets: Mapping[str, Mapping[str, str]]  # page path → the assets it names, with their names


def section_label(locale: Locale) -> Callable[[str], str]:
    """A section's title in `locale`'s language, as the search results name it."""
    return lambda section: locale.gettext(SECTION_TITLES[section])


def render(
    site: Site,
    options: BuildOptions,
    problems: Problems,
    cache: BuildCache,
    staging: Staging | None = None,
    shards: store.PageShards | None = None,
    before_workers: Callable[[], object] | None = None,
) -> tuple[dict[str, bytes], Rendering | None]:
    """The site's files, and what they were made with; ({}, None) after an error. With
    `staging`, the pages are written into it as they are rendered, and the workers that
    render them keep their cache entries in `shards`; `before_workers` is called before
    those are forked."""
    theme = load_theme(options, site.config.languages, problems, cache)
    if theme is None:
        return {}, None
    locales = theme.locales
    languages = site.config.languages
    assets = load_assets(options.assets_dir)
    scripts = {f"assets/search-{lang}.js" for lang in languages}
    files, asset_names = fingerprint({path: data for path, data in assets.items() if path not in scripts})
    # The search entries are made by the processes that render the pages; the search
    # files (which only the search pages name) once the other pages are made. They are
    # generated, but named by their content like any asset.
    labels = {lang: section_label(locales[lang]) for lang in languages}
    page_entries = PageSearchEntries(site, labels, cache.search)
    search: dict[str, dict[str, bytes]] = {}

    def search_files() -> None:
        search.update({lang: page_entries.entries(lang) for lang in languages})
        made = {f"assets/search-{lang}.js": search_script(lang, entries.values()) for lang, entries in search.items()}
        assets.update(made)
        renamed, names = fingerprint(made)
        files.update(renamed)
        asset_names.update(names)

    geography = load_geography(options.data_dir, problems)
    if geography is None:
        return {}, None
    feed_files, feeds = news_feeds(site, locales)
    files.update(feed_files)
    pages = PageCache(
        cache.pages, cache.fingerprint, theme.templates, theme.catalogs, cache.counts, cache.models, shards=shards
    )
    files.update(
        render_site(
            site,
            theme.envs,
            locales,
            problems,
            asset_names,
            geography,
            feeds,
            pages,
            options.jobs,
            staging,
            page_entries,
            search_files,
            before_workers,
        )
    )
    return files, Rendering(theme, geography, assets, asset_names, search, feeds, pages.assets)


def build_files(
    options: BuildOptions,
    cache: BuildCache | None = None,
    staging: Staging | None = None,
    shards: store.PageShards | None = None,
    loaded: Callable[[Site], None] | None = None,
    before_workers: Callable[[], object] | None = None,
) -> BuildResult:
    """Build the site in memory: every stage up to the files, nothing written but the
    pages into `staging` and their cache entries into `shards`, when given (see `build`).
    `loaded` is called with the site when the content has been read, checked and
    converted without an error, before the pages are made; `before_workers` before the
    workers that render them are forked.

    The live preview passes the same `cache` to every build, so only what changed is
    read, converted and rendered again; the files are the same as without it.
    """
    cache = cache or BuildCache()
    cache.next_build()
    result = BuildResult()
    problems = result.problems
    content, result.site = load_site(options, problems, cache)
    if result.site is None:
        return result
    if loaded is not None:
        loaded(result.site)
    result.files, rendering = render(result.site, options, problems, cache, staging, shards, before_workers)
    if options.strict:
        problems.make_warnings_errors()
    cache.failed = bool(problems)
    if not problems.errors:
        result.content, result.rendering = content, rendering
    return result


def page_sources(site: Site) -> dict[str, str]:
    """Each page file made from a content file, with that file (for `check`'s messages)."""
    return {
        version.url + "index.html": version.source
        for entity in site.entities.values()
        for version in entity.versions.values()
    }


def build(options: BuildOptions) -> BuildResult:
    """Build the site; write output/ only when no stage found an error.

    What an interrupted build left beside output/ is put right first, so output/ holds a
    whole site again even when this build then stops at an error. The pages are written
    into a new folder beside output/ while they are rendered (write.Staging), and it
    takes the place of output/ at the end; after an error it is deleted. Two builds into
    the same folder render and write side by side and take turns swapping their sites
    in; a problem with the folder (unsafe to replace, held too long by another build,
    not writable) is reported.

    Python's cycle collector is paused in this process while it builds: the build's
    objects last until it ends, and each collection would walk them all.
    """
    with parallel.collector_paused():
        return _build(options)


def _refuse(options: BuildOptions, result: BuildResult, exc: OSError | UnsafeOutputError) -> BuildResult:
    """`result`, with why output/ could not be written."""
    if isinstance(exc, UnsafeOutputError):
        result.problems.error(display_path(exc.path), 0, exc.what, exc.how)
    else:
        result.problems.error(
            display_path(options.output_dir),
            0,
            f"cannot write the site: {exc}",
            "check free disk space and permissions",
        )
    return result


def _build(options: BuildOptions) -> BuildResult:
    try:
        protected = [options.templates_dir, options.locales_dir, options.assets_dir, PROJECT_DIR]
        check_output_dir(options.output_dir, protected, options.content_dir)
        recover_output(options.output_dir)
    except (UnsafeOutputError, OSError) as exc:
        return _refuse(options, BuildResult(), exc)
    cache, inputs, stamp = BuildCache(), None, None
    if options.cache_dir is not None:
        inputs, stamp = _inputs_digest(options), store.read_stamp(options.cache_dir)
        unchanged = _unchanged(options, inputs, stamp)
        if unchanged is not None:
            return unchanged
    try:
        staging = Staging(options.output_dir)
    except (UnsafeOutputError, OSError) as exc:
        return _refuse(options, BuildResult(), exc)
    if stamp is not None:
        staging.prepare(_folders(stamp.get("output") or {}, options.output_dir.absolute()))
    shards, known = None, {}
    if options.cache_dir is not None:
        known = load_cache(options.cache_dir, cache)
        with suppress(OSError):  # then the pages are not kept: `_keep_pages` says why
            shards = store.PageShards(options.cache_dir)
    try:
        return _build_into(options, cache, staging, shards, known, inputs)
    finally:
        if shards is not None:
            shards.close()


def _build_into(
    options: BuildOptions,
    cache: BuildCache,
    staging: Staging,
    shards: store.PageShards | None,
    known: Mapping[str, int],
    inputs: str | None,
) -> BuildResult:
    """The rest of `build`, once the new folder is made and the cache loaded."""
    # Once the content is read and converted, two jobs start beside this process, in a
    # stretch where it works alone and a core would be idle: another process saves what
    # was read and converted (a second and a half at 5,000 actors), and the staging
    # folder's helper makes the folders of the pages (when the last build's were not
    # asked for already). The workers that render the pages are forked once that process
    # has ended, so that its memory and theirs never add up (it copies what it reads to
    # save it, some 300 MB at 5,000 actors); it has about a second on the other core
    # while this one gets the pages ready. Once the pages are made, another process saves
    # the rest of the cache while this one writes the other files and swaps the site in.
    kept_aside: list[Callable[[], bool]] = []

    def loaded(site: Site) -> None:
        staging.prepare(page.rpartition("/")[0] for page in page_sources(site))
        if options.cache_dir is not None:
            kept_aside.append(_aside(lambda: _keep_sources(options.cache_dir, cache, known)))

    try:
        try:
            result = build_files(options, cache, staging, shards, loaded, lambda: [wait() for wait in kept_aside])
        except OSError as exc:  # writing a page
            staging.discard()
            return _refuse(options, BuildResult(), exc)
        except BaseException:
            staging.discard()
            raise
        result.counts = dict(cache.counts)
        if result.problems:
            staging.discard()
            return result
        if options.cache_dir is not None:
            kept_aside.append(_aside(lambda: _keep_made(options.cache_dir, cache, known)))
        try:
            output = staging.publish(result.files, page_sources(result.site))
        except (UnsafeOutputError, OSError) as exc:
            return _refuse(options, result, exc)
        result.written = True
        if options.cache_dir is not None:
            kept = all([wait() for wait in kept_aside])
            _keep_pages(options.cache_dir, cache, known, inputs if kept else None, result, output, shards)
        return result
    finally:
        for wait in kept_aside:
            wait()


def _aside(keep: Callable[[], bool]) -> Callable[[], bool]:
    """Part of the cache saved by another process (`parallel.aside`), which lets go of the
    folders the build holds: stopped, the build leaves them free to be cleaned up at once."""
    return parallel.aside(keep, forked=let_go_of_all)


def load_cache(cache_dir: Path, cache: BuildCache) -> dict[str, int]:
    """Give `cache` what the last good build kept in `cache_dir` (store.py); how many
    entries there were of each kind."""
    return {
        "files": store.load_files(cache_dir, cache.files),
        "markdown": store.load_markdown(cache_dir, cache.markdown),
        "pages": store.load_pages(cache_dir, cache.pages),
        "search": store.load_search(cache_dir, cache.search),
        "pictures": store.load_pictures(cache_dir, cache.models),
        "sort keys": store.load_sort_keys(cache_dir, SORT_KEYS),
    }


def _inputs_digest(options: BuildOptions) -> str | None:
    """What the build reads (see store.inputs_digest), with every option but `jobs`."""
    folders = [options.content_dir, options.templates_dir, options.locales_dir, options.assets_dir, options.data_dir]
    return store.inputs_digest([folder.absolute() for folder in folders], replace(options, jobs=0))


def _unchanged(options: BuildOptions, inputs: str | None, stamp: Mapping[str, Any] | None) -> BuildResult | None:
    """The last build's result when neither what it read nor what it wrote has changed since
    (`stamp`, as it recorded them)."""
    if inputs is None or stamp is None or stamp["inputs"] != inputs:
        return None
    if stamp["output"] != store.output_signature(options.output_dir.absolute()):
        return None
    report = stamp["report"]
    return BuildResult(
        problems=Problems(list(report["problems"])), written=True, unchanged=True, summary=report["summary"]
    )


def _folders(output: Mapping[str, Any], output_dir: Path) -> set[str]:
    """The folders (site paths) of the files a build wrote into `output_dir` (its stamp's
    signature of the output)."""
    prefix = f"{output_dir}/"
    return {path[len(prefix) :].rpartition("/")[0] for path in output if str(path).startswith(prefix)}


def _keep_sources(folder: Path, cache: BuildCache, known: Mapping[str, int]) -> bool:
    """Save for the next build what this one read and converted, where it changed; False
    when the cache cannot be written (the next build then just does more work)."""
    try:
        if cache.parsed or len(cache.files) != known["files"]:
            store.save_files(folder, cache.files)
        if cache.converted or len(cache.markdown.items()) != known["markdown"]:
            store.save_markdown(folder, cache.markdown)
    except OSError:
        return False
    return True


def _keep_made(folder: Path, cache: BuildCache, known: Mapping[str, int]) -> bool:
    """Save for the next build the search entries, sort keys and pictures this one made,
    where they changed; False when the cache cannot be written."""
    try:
        if cache.search.made or len(cache.search.items()) != known["search"]:
            store.save_search(folder, cache.search)
        if len(SORT_KEYS) != known["sort keys"]:
            store.save_sort_keys(folder, SORT_KEYS)
        store.save_pictures(folder, cache.models, PICTURE_KEYS)
    except OSError:
        return False
    return True


def _keep_pages(
    folder: Path,
    cache: BuildCache,
    known: Mapping[str, int],
    inputs: str | None,
    result: BuildResult,
    output: Mapping[str, tuple[int, int, int]],
    shards: store.PageShards | None,
) -> None:
    """Save the pages this build rendered or reused (where they changed) and its stamp;
    without `inputs` (a file changed during the build, or the cache could not be written)
    the stamp is removed instead, so the next build looks at everything."""
    try:
        # The pages file holds the entries with string keys: the pages and the sitemap.
        kept_pages = sum(isinstance(key, str) for key, _ in cache.pages.items())
        if shards is None:
            inputs = None  # the cache folder could not be written
        elif cache.counts["rendered"] or kept_pages != known["pages"]:
            store.save_pages(folder, cache.pages, shards)
        if inputs is None:
            store.forget_stamp(folder)
        else:
            report = {"problems": tuple(result.problems.items), "summary": result.summarize()}
            store.write_stamp(folder, inputs, output, report)
    except OSError:
        with suppress(OSError):
            store.forget_stamp(folder)


def pack(options: BuildOptions, zip_path: Path | None = None) -> BuildResult:
    """Build the offline copy (links name index.html) into a zip; output/ is not touched.

    The zip holds one folder named after the site's title; without `zip_path` it is
    written as `<that name>.zip` in the current folder. `result.zip_path` says where.
    """
    result = build_files(replace(options, offline=True))
    if result.problems:
        return result
    config = result.site.config
    folder = slugify(config.title[config.default_language]) or "site"
    zip_path = result.zip_path = zip_path or Path(f"{folder}.zip")
    files = {**result.files, **offline_readme(result.site)}
    try:
        write_zip(files, zip_path, folder)
    except OSError as exc:
        result.problems.error(
            display_path(zip_path), 0, f"cannot write the zip: {exc}", "check free disk space and permissions"
        )
        return result
    result.written = True
    return result


def offline_readme(site: Site) -> dict[str, bytes]:
    """A short note in every language on how to open the unpacked copy."""
    notes = {
        "de": "Diese Kopie der Website funktioniert ohne Internet. Entpacken Sie die ZIP-Datei und öffnen "
        "Sie die Datei index.html in diesem Ordner mit einem Browser (Doppelklick genügt meist).",
        "en": "This copy of the website works without the internet. Unzip the file and open index.html "
        "in this folder with a web browser (a double click usually does it).",
    }
    parts = [f"{site.config.title[lang]}\n\n{notes[lang]}\n" for lang in site.config.languages if lang in notes]
    return {"README.txt": "\n".join(parts).encode("utf-8")}

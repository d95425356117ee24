"""The build, stage by stage: load → model → markup (inside model) → render → write.

`serve`, `check`, tests and the command line all build through `build()`, so there
is exactly one way content becomes a site.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .config import SiteConfig
from .errors import Problems
from .i18n import load_locales, make_environment
from .load import SourceDocument, display_path, load_assets, load_config, load_documents, read_translation_record
from .model import Site, build_site
from .render import render_site
from .translations import Acceptance, TranslationState, parse_ledger, translation_states, warn_stale
from .write import UnsafeOutputError, check_output_dir, write_site

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BuildOptions:
    content_dir: Path = PROJECT_DIR / "content"
    output_dir: Path = PROJECT_DIR / "output"
    base_url: str | None = None
    drafts: bool = False
    strict: bool = False  # warnings count as errors
    templates_dir: Path = PROJECT_DIR / "templates"
    locales_dir: Path = PROJECT_DIR / "locales"
    assets_dir: Path = PROJECT_DIR / "assets"


@dataclass
class BuildResult:
    problems: Problems = field(default_factory=Problems)
    site: Site | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    written: bool = False

    @property
    def pages(self) -> int:
        return sum(1 for name in self.files if name.endswith(".html"))


@dataclass(frozen=True)
class Content:
    """content/ as read and checked file by file, before the files are put together."""

    config: SiteConfig
    documents: list[SourceDocument]
    record: Mapping[str, Acceptance]  # accepted translations (content/translations.json)
    record_path: str

    def translation_states(self) -> list[TranslationState]:
        return translation_states(self.config, self.documents, self.record)


def load_content(options: BuildOptions, problems: Problems) -> Content | None:
    """content/ → settings, documents and the translation record; None if unusable."""
    content = options.content_dir
    if not content.is_dir():
        problems.error(display_path(content), 0, "content folder not found", "pass --content DIR or create content/")
        return None
    config = load_config(content, problems, options.base_url)
    if config is None:
        return None
    documents = load_documents(content, config, problems)
    record_path, record_text = read_translation_record(content, problems)
    record = parse_ledger(record_text, record_path, problems)
    return Content(config, documents, record, record_path)


def load_site(options: BuildOptions, problems: Problems) -> Site | None:
    """content/ → Site, or None when the content has errors (they are in `problems`)."""
    content = load_content(options, problems)
    if content is None:
        return None
    states = content.translation_states()
    warn_stale(states, problems)
    stale = frozenset((s.slug, s.lang) for s in states if s.state == "stale")
    site = build_site(content.config, content.documents, problems, drafts=options.drafts, stale=stale)
    return None if problems else site


def render(site: Site, options: BuildOptions, problems: Problems) -> dict[str, bytes]:
    locales = load_locales(options.locales_dir, site.config.languages, problems)
    if problems:
        return {}
    envs = {lang: make_environment(options.templates_dir, locales[lang]) for lang in site.config.languages}
    files = load_assets(options.assets_dir)
    files.update(render_site(site, envs, locales, problems))
    return files


def build(options: BuildOptions) -> BuildResult:
    """Build the site; write output/ only when no stage found an error."""
    result = BuildResult()
    problems = result.problems
    try:
        protected = [options.templates_dir, options.locales_dir, options.assets_dir, PROJECT_DIR]
        check_output_dir(options.output_dir, protected, options.content_dir)
    except UnsafeOutputError as exc:
        problems.error(display_path(exc.path), 0, exc.what, exc.how)
        return result
    result.site = load_site(options, problems)
    if result.site is None:
        return result
    result.files = render(result.site, options, problems)
    if options.strict:
        problems.make_warnings_errors()
    if problems:
        return result
    try:
        write_site(result.files, options.output_dir)
    except OSError as exc:
        problems.error(
            display_path(options.output_dir),
            0,
            f"cannot write the site: {exc}",
            "check free disk space and permissions",
        )
        return result
    result.written = True
    return result

"""The build, stage by stage: load → model → markup (inside model) → render → write.

`serve`, `check`, tests and the command line all build through `build()`, so there
is exactly one way content becomes a site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problems
from .i18n import load_locales, make_environment
from .load import display_path, load_assets, load_config, load_documents
from .model import Site, build_site
from .render import render_site
from .write import UnsafeOutputError, check_output_dir, write_site

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BuildOptions:
    content_dir: Path = PROJECT_DIR / "content"
    output_dir: Path = PROJECT_DIR / "output"
    base_url: str | None = None
    drafts: bool = False
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


def load_site(options: BuildOptions, problems: Problems) -> Site | None:
    """content/ → Site, or None when the content has errors (they are in `problems`)."""
    content = options.content_dir
    if not content.is_dir():
        problems.error(display_path(content), 0, "content folder not found", "pass --content DIR or create content/")
        return None
    config = load_config(content, problems, options.base_url)
    if config is None:
        return None
    documents = load_documents(content, config, problems)
    site = build_site(config, documents, problems, drafts=options.drafts)
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

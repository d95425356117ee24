"""The built site → what is wrong with it, page by page (`build.py check`).

Input: an output folder as a build left it. Every HTML page is parsed with
beautifulsoup4 and checked: each internal `href`/`src` leads to a file, and each
`#anchor` to an element with that id; language alternates are reciprocal; each page
has a language, a title, one `h1` and a description; pictures have `alt` text.
Each finding names the output file and, from the build's record, the content file
the page was made from.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

from bs4 import BeautifulSoup

from .errors import Problems
from .load import display_path
from .write import read_sources

# Elements whose address the browser loads or follows, and the attribute holding it.
_REFERENCES = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src", "form": "action"}


def check_site(output_dir: Path, problems: Problems) -> int:
    """Report every finding in `problems`; returns the number of pages checked."""
    sources = read_sources(output_dir)
    pages = {p.relative_to(output_dir).as_posix(): p for p in sorted(output_dir.rglob("*.html"))}
    parsed = {name: BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser") for name, path in pages.items()}
    ids = {name: {tag["id"] for tag in doc.find_all(id=True)} for name, doc in parsed.items()}
    canonical = {}
    for name, doc in parsed.items():
        link = doc.find("link", rel="canonical")
        if link and link.get("href"):
            canonical[link["href"]] = name

    for name, doc in parsed.items():
        shown = display_path(pages[name])
        source = sources.get(name)

        def report(what: str, how: str, shown=shown, source=source) -> None:
            where = f" (made from {source})" if source else ""
            problems.error(shown, 0, what + where, how)

        _check_basics(doc, report)
        if name == "404.html":
            continue  # its links start at the host's root, wherever it is served
        for tag in doc.find_all(list(_REFERENCES)):
            reference = tag.get(_REFERENCES[tag.name])
            if tag.name == "link" and set(tag.get("rel", [])) & {"canonical", "alternate"}:
                continue  # absolute addresses of the published site, checked below
            if not reference or urlsplit(reference).scheme or reference.startswith(("//", "mailto:")):
                continue
            target, fragment = _resolve(name, reference)
            if target.startswith("../") or not (output_dir / target).is_file():
                report(f"link to '{reference}' leads nowhere", "fix the [[link]] or the template")
                continue
            if fragment and target in ids and unquote(fragment) not in ids[target]:
                report(f"link to '{reference}': no element with id '{fragment}' there", "fix the #anchor")
        _check_alternates(name, doc, parsed, canonical, report)
    return len(pages)


def _resolve(page: str, reference: str) -> tuple[str, str]:
    """The output file a relative reference from `page` leads to, and its #fragment."""
    target, fragment = urldefrag(reference)
    if not target:
        return page, fragment
    path = unquote(urlsplit(target).path)
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    if path.endswith("/") or path in ("", "."):
        joined = posixpath.normpath(posixpath.join(joined, "index.html"))
    return joined, fragment


def _check_basics(doc: BeautifulSoup, report) -> None:
    html = doc.find("html")
    if not (html and html.get("lang")):
        report("the page does not say its language", "give <html> a lang attribute")
    if not (doc.title and doc.title.get_text(strip=True)):
        report("the page has no title", "give the page a <title>")
    headings = len(doc.find_all("h1"))
    if headings != 1:
        report(f"the page has {headings} h1 headings, not one", "start headings in Markdown at ##")
    description = doc.find("meta", attrs={"name": "description"})
    if not (description and description.get("content", "").strip()):
        report("the page has no description", "give the page a summary")
    for image in doc.find_all("img"):
        if image.get("alt") is None:
            report(f"picture '{image.get('src', '')}' has no alt text", "describe it: ![what it shows](file)")


def _check_alternates(name: str, doc: BeautifulSoup, parsed, canonical, report) -> None:
    """Each language alternate must exist and list this page back."""
    own = doc.find("link", rel="canonical")
    own_url = own.get("href") if own else None
    alternates = doc.select("link[rel=alternate][hreflang]")
    # A language version must be listed back as a language; a page that is only the
    # others' x-default (the language chooser) as their x-default.
    is_version = any(a.get("href") == own_url and a["hreflang"] != "x-default" for a in alternates)
    for link in alternates:
        if link["hreflang"] == "x-default" or link.get("href") == own_url:
            continue
        other = canonical.get(link.get("href"))
        if other is None:
            report(f"alternate '{link.get('href')}' ({link['hreflang']}) is no page of this site", "rebuild the site")
            continue
        back = {
            alt.get("href")
            for alt in parsed[other].select("link[rel=alternate][hreflang]")
            if alt["hreflang"] != "x-default" or not is_version
        }
        if own_url not in back:
            report(f"alternate {other} does not list this page back", "rebuild the site")

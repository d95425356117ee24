"""Helpers of the browser tests: which page of each kind to look at, browser tabs in every
colour scheme and width that record script errors and requests, and why a page scrolls
sideways."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from axe_playwright_python.base import AXE_FILE_PATH as AXE_SCRIPT
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response

from sitegen.errors import Problems
from sitegen.load import load_config
from sitegen.pipeline import PROJECT_DIR, BuildResult
from sitegen.schema import HOME_SLUG

CHROMIUM = Path("/usr/bin/chromium")
# --no-sandbox: CI runs as root. The rest stop Chromium's own background traffic, which a
# closed network would refuse.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COLOR_SCHEMES = ("light", "dark")
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
SEARCH_QUERY = "Leipzig"  # finds pages in every language

LANGUAGES = load_config(PROJECT_DIR / "content", Problems()).languages
# Page kinds that exist once per language. Section indexes and profiles are named after
# the section; a profile is the section's page with the most HTML (it shows the most of
# its template: facts, figures, relations, backlinks).
SECTION_OF_PROFILE = {"actor": "actors", "topic": "topics", "project": "projects", "news": "news", "page": "pages"}
KINDS = (
    "home",
    *(f"{section}-index" for section in ("actors", "topics", "projects", "news")),
    *SECTION_OF_PROFILE,
    "search",
    "search-results",  # the search page after typing SEARCH_QUERY
)
# Every page kind once: the language chooser and 404 page are shared by all languages.
PAGE_IDS = ("chooser", "404", *(f"{lang}-{kind}" for lang in LANGUAGES for kind in KINDS))


@dataclass(frozen=True)
class SitePage:
    path: str  # below the site's root, e.g. "de/akteure/fraunhofer-izi/"
    source: str | None  # the content file it was made from, for messages
    query: str | None = None  # typed into the search field once the page has loaded


@dataclass(frozen=True)
class ServedSite:
    root: Path  # the built site
    url: str  # where it is served, ending in "/"
    pages: dict[str, SitePage]  # PAGE_IDS → the page of that kind
    sources: dict[str, str]  # page file ("de/akteure/x/index.html") → the content file it was made from

    def address(self, page_id: str) -> str:
        return self.url + self.pages[page_id].path

    def describe(self, page_id: str) -> str:
        """How a failure names a page: its id, address and content file."""
        page = self.pages[page_id]
        made_from = f", made from {page.source}" if page.source else ""
        typed = f", after typing “{page.query}”" if page.query else ""
        return f"{page_id} ({self.address(page_id)}{made_from}{typed})"


def pages_of_every_kind(result: BuildResult) -> dict[str, SitePage]:
    site = result.site
    pages = {"chooser": SitePage("index.html", None), "404": SitePage("404.html", None)}
    for lang in LANGUAGES:
        pages[f"{lang}-home"] = SitePage(site.home_url(lang), site.version(HOME_SLUG, lang).source)
        for section in ("actors", "topics", "projects", "news"):
            pages[f"{lang}-{section}-index"] = SitePage(site.section_url(section, lang), None)
        for kind, section in SECTION_OF_PROFILE.items():
            versions = [
                entity.versions[lang]
                for slug in site.sections[section]
                if lang in (entity := site.entities[slug]).versions
                and entity.versions[lang].url != site.home_url(lang)
                and entity.versions[lang].url + "index.html" in result.files
            ]
            assert versions, f"no {kind} page in {lang} to test"
            largest = max(versions, key=lambda version: (len(result.files[version.url + "index.html"]), version.url))
            pages[f"{lang}-{kind}"] = SitePage(largest.url, largest.source)
        pages[f"{lang}-search"] = SitePage(site.search_url(lang), None)
        pages[f"{lang}-search-results"] = SitePage(site.search_url(lang), None, query=SEARCH_QUERY)
    assert set(pages) == set(PAGE_IDS)
    return pages


@dataclass
class Tab:
    """One browser page kept open from test to test in its own context (a colour scheme and
    a width), with what went wrong since it last opened a page. Reusing it is about four
    times faster than a new context per page, whose first axe run starts cold.
    """

    page: Page
    errors: list[str] = field(default_factory=list)  # uncaught exceptions and console errors
    missing: list[str] = field(default_factory=list)  # addresses answered with an error status
    requests: list[str] = field(default_factory=list)

    def open(self, site: ServedSite, page_id: str) -> None:
        self.errors.clear()
        self.missing.clear()
        self.requests.clear()
        self.page.goto(site.address(page_id))
        query = site.pages[page_id].query
        if query:
            self.page.locator("#_search-input").fill(query)
            self.page.locator("#_search-results:not([aria-busy]) li").first.wait_for()

    def problems(self, site: ServedSite) -> list[str]:
        """Script errors, broken references, and requests to any other host (the site loads
        nothing from elsewhere)."""
        return (
            [f"script error: {error}" for error in self.errors]
            + [f"not found: {url}" for url in self.missing]
            + [f"request to another host: {url}" for url in self.requests if not url.startswith(site.url)]
        )


@contextmanager
def open_tabs(browser: Browser) -> Iterator[dict[str, Tab]]:
    """A tab per variant ("light/phone", "dark/desktop", …), axe-core loaded into every page."""
    contexts = []
    tabs = {}
    try:
        for scheme in COLOR_SCHEMES:
            for width, viewport in WIDTHS.items():
                # A plain narrow window, not Chromium's mobile emulation: that one zooms out
                # to fit a page that is too wide, hiding the sideways scrolling we look for.
                context = browser.new_context(viewport=viewport, color_scheme=scheme, device_scale_factor=1)
                contexts.append(context)
                context.add_init_script(path=str(AXE_SCRIPT))
                tabs[f"{scheme}/{width}"] = tab = Tab(context.new_page())
                tab.page.on("pageerror", functools.partial(_record_error, tab))
                tab.page.on("console", functools.partial(_record_console, tab))
                tab.page.on("response", functools.partial(_record_response, tab))
                tab.page.on("request", functools.partial(_record_request, tab))
        yield tabs
    finally:
        for context in contexts:
            context.close()


def _record_error(tab: Tab, error: Exception) -> None:
    tab.errors.append(str(error))


def _record_console(tab: Tab, message: ConsoleMessage) -> None:
    # A failed load is logged as a console error too; `missing` names its address instead.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        tab.errors.append(message.text)


def _record_request(tab: Tab, request: Request) -> None:
    tab.requests.append(request.url)


def _record_response(tab: Tab, response: Response) -> None:
    # Chromium asks for /favicon.ico by itself; the site has no icon.
    if response.status >= 400 and not response.url.endswith("/favicon.ico"):
        tab.missing.append(f"{response.url} ({response.status})")


# The elements that reach past the right edge of the window, widest first, leaving out those
# inside a box that scrolls or clips them (they do not widen the page).
_OVERFLOWING = """() => {
  const limit = window.innerWidth;
  const clipped = (el) => { for (el = el.parentElement; el && el !== document.body; el = el.parentElement)
      if (getComputedStyle(el).overflowX !== 'visible') return true; return false; };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + [...el.classList].map((c) => '.' + c).join('');
  const path = (el) => { const parts = []; for (; el && el !== document.body; el = el.parentElement)
      parts.unshift(name(el)); return parts.join(' > '); };
  return [...document.body.querySelectorAll('*')]
    .map((el) => [el, el.getBoundingClientRect().right])
    .filter(([el, right]) => right > limit + 0.5 && !clipped(el))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([el, right]) => `${path(el)} reaches ${Math.round(right)}px`);
}"""


def sideways_scrolling(page: Page) -> str | None:
    """Why the page scrolls sideways (WCAG 1.4.10 Reflow), or None when it does not."""
    scroll_width, window_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if scroll_width <= window_width:
        return None
    culprits = "\n    ".join(page.evaluate(_OVERFLOWING)) or "(no element found; a pseudo-element or margin?)"
    return f"scrolls sideways: {scroll_width}px wide in a {window_width}px window; widest:\n    {culprits}"

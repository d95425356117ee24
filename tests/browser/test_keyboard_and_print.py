"""Keyboard use and print, in Chromium: what axe cannot see.

- The first Tab reaches the skip link, which becomes visible and moves focus to the content.
- Tabbing through the home page and the topics index reaches every link, the map's
  markers and the network picture's nodes included, and each focused link shows an outline.
- A profile printed has no header, navigation, search or language switch, keeps its
  title, facts and text, and prints as a PDF (artifacts/print/<lang>-actor.pdf).
"""

from __future__ import annotations

import pytest

from sitegen.pipeline import PROJECT_DIR

from .browsing import ServedSite, Tab

pytestmark = pytest.mark.browser
PRINTS = PROJECT_DIR / "artifacts" / "print"

# What has keyboard focus, and whether it shows it: an outline on the element, or for a
# link in an SVG picture, a changed stroke on its shape.
_FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  let shown = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shape = element.querySelector && element.querySelector(".map-marker, .net-shape");
  if (shape) shown = shown || parseFloat(getComputedStyle(shape).strokeWidth) >= 3;
  return {href: element.getAttribute("href"), tag: element.tagName.toLowerCase(),
          text: (element.textContent || "").trim().slice(0, 60), shown};
}"""


def test_the_skip_link_comes_first_and_leads_to_the_content(tabs: dict[str, Tab], served_site: ServedSite):
    page = tabs["light/desktop"].page
    tabs["light/desktop"].open(served_site, "de-actor")
    page.keyboard.press("Tab")
    focused = page.evaluate(_FOCUSED)
    assert focused["href"] == "#_main" and focused["shown"], focused
    box = page.locator(".skip-link").bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0  # on screen while focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#_main"


@pytest.mark.parametrize("page_id", ["de-home", "en-topics-index", "de-actors-index"])
def test_tab_reaches_every_link_with_a_visible_focus(tabs: dict[str, Tab], served_site: ServedSite, page_id: str):
    tab = tabs["light/desktop"]
    tab.open(served_site, page_id)
    page = tab.page
    links = page.evaluate(
        "() => [...document.querySelectorAll('a[href]')]"
        ".filter(a => a.getClientRects().length && !a.closest('details:not([open])'))"
        ".map(a => a.getAttribute('href'))"
    )
    reached, unseen = [], []
    for _ in range(len(links) + 20):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused["tag"] == "body":
            break
        if focused["href"] is not None:
            reached.append(focused["href"])
            if not focused["shown"]:
                unseen.append(focused)
    assert sorted(reached) == sorted(links), set(links) ^ set(reached)
    assert not unseen, unseen
    if page_id == "de-home":
        assert any(href.endswith("#city-leipzig") for href in reached)  # the map's marker and list


def test_a_profile_prints_without_navigation(tabs: dict[str, Tab], served_site: ServedSite):
    tab = tabs["light/desktop"]
    for lang in ("de", "en"):
        tab.open(served_site, f"{lang}-actor")
        page = tab.page
        page.emulate_media(media="print")
        try:
            hidden = page.evaluate(
                "() => ['.site-header', '.site-nav', '.site-search', '.lang-switch', '.breadcrumbs']"
                ".map(s => document.querySelector(s)).filter(Boolean)"
                ".map(e => getComputedStyle(e).display)"
            )
            assert hidden and set(hidden) == {"none"}, hidden
            for selector in ("h1", ".facts", ".body"):
                assert page.locator(selector).first.is_visible(), selector
            PRINTS.mkdir(parents=True, exist_ok=True)
            pdf = page.pdf(path=PRINTS / f"{lang}-actor.pdf", format="A4")
            assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
        finally:
            page.emulate_media(media="screen")

"""Screenshots of the home page, an actor, a topic and a news item in every language, at
phone and desktop width, for people to look at: artifacts/screenshots/<lang>-<kind>-<width>.png
(whole pages, light colour scheme). At phone width no page may scroll sideways.

Run with `make test-browser`; each run overwrites the files.
"""

from __future__ import annotations

import struct

import pytest

from sitegen.pipeline import PROJECT_DIR

from .browsing import LANGUAGES, WIDTHS, ServedSite, Tab, sideways_scrolling

pytestmark = pytest.mark.browser
SCREENSHOTS = PROJECT_DIR / "artifacts" / "screenshots"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Bytes per pixel: a blank page compresses to less than 0.01, these pages to about 0.1–0.2.
LEAST_DENSITY = 0.03


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", ["home", "actor", "topic", "news"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_screenshot(tabs: dict[str, Tab], served_site: ServedSite, lang: str, kind: str, width: str):
    tab = tabs[f"light/{width}"]
    page_id = f"{lang}-{kind}"
    tab.open(served_site, page_id)
    viewport = WIDTHS[width]
    path = SCREENSHOTS / f"{lang}-{kind}-{viewport['width']}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    png = tab.page.screenshot(path=path, full_page=True, animations="disabled")

    assert png.startswith(PNG_SIGNATURE) and path.read_bytes() == png
    png_width, png_height = struct.unpack(">II", png[16:24])  # the IHDR chunk comes first
    assert png_width == viewport["width"] and png_height >= viewport["height"], (path, png_width, png_height)
    assert len(png) > LEAST_DENSITY * png_width * png_height, f"{path} looks blank: {len(png)} bytes"
    if width == "phone":
        assert not (scrolling := sideways_scrolling(tab.page)), f"{served_site.describe(page_id)} {scrolling}"

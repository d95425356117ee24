"""The offline copy in a real browser: Debian's Chromium opens the unpacked zip from disk
(file://), chooses a language, follows links, switches language and searches.

Run with `make test-browser` (needs the system package `chromium`)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from sitegen.pipeline import BuildOptions, pack

from .browsing import CHROMIUM, LAUNCH_ARGS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("offline")
    archive = folder / "site.zip"
    result = pack(BuildOptions(), archive)  # the real site
    assert result.written, [str(p) for p in result.problems.errors]
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(folder)
    [top] = [p for p in folder.iterdir() if p.is_dir()]
    return top


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), "install Debian's chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, unpacked):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requests = []
    page.errors = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    yield page
    assert not page.errors, page.errors
    assert all(url.startswith("file://") for url in page.requests), [
        url for url in page.requests if not url.startswith("file://")
    ]
    context.close()


def test_choose_language_follow_links_and_switch(page: Page, unpacked: Path):
    page.goto((unpacked / "index.html").as_uri())
    page.get_by_role("link", name="Deutsch").click()
    expect(page).to_have_url((unpacked / "de/index.html").as_uri())
    expect(page.locator("html")).to_have_attribute("lang", "de")

    page.locator(".site-nav").get_by_role("link", name="Akteure").click()
    expect(page).to_have_url((unpacked / "de/akteure/index.html").as_uri())
    page.get_by_role("link", name="Fraunhofer-Institut für Zelltherapie und Immunologie", exact=False).first.click()
    expect(page).to_have_url((unpacked / "de/akteure/fraunhofer-izi/index.html").as_uri())
    stylesheet_applied = page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position")
    assert stylesheet_applied == "absolute"

    page.locator(".lang-switch").get_by_role("link", name="English").click()
    expect(page).to_have_url((unpacked / "en/actors/fraunhofer-izi/index.html").as_uri())
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # A [[link]] in the text leads on, and back to the other language again.
    page.locator(".body a").first.click()
    assert page.url.startswith((unpacked / "en").as_uri()) and page.url.endswith("/index.html")
    page.locator(".lang-switch").get_by_role("link", name="Deutsch").click()
    assert page.url.startswith((unpacked / "de").as_uri())


def test_search_from_the_header_works_from_disk(page: Page, unpacked: Path):
    page.clock.install()  # the page's timers run only when the test says so
    page.goto((unpacked / "de/index.html").as_uri())
    page.locator(".site-search input").fill("Kliniken")
    page.locator(".site-search input").press("Enter")
    expect(page).to_have_url((unpacked / "de/suche/index.html").as_uri() + "?q=Kliniken")
    results = page.locator("#_search-results li")
    expect(results.first).to_be_visible()
    assert "gefunden" in page.locator("#_search-status").inner_text()
    titles = results.locator("a").all_inner_texts()
    assert any("Klinik" in title for title in titles), titles  # 'Kliniken' finds 'Klinikum'

    # Umlauts may be left out, and typing searches as you go.
    search = page.locator("#_search-input")
    search.fill("Universitat Leipzig")
    # Until typing pauses, the list is busy: it still holds the last query's results,
    # which name the university too.
    expect(page.locator("#_search-results")).to_have_attribute("aria-busy", "true")
    page.clock.run_for(200)
    expect(page.locator("#_search-results")).not_to_have_attribute("aria-busy", "true")
    expect(results.locator("a", has_text="Universität Leipzig").first).to_be_visible()
    # Keyboard only: Tab from the field reaches the first result, Enter opens it.
    search.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the search button
    focused = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(focused)


def test_english_search_and_no_match(page: Page, unpacked: Path):
    page.goto((unpacked / "en/search/index.html").as_uri() + "?q=therapies")
    results = page.locator("#_search-results li")
    expect(results.first).to_be_visible()
    assert any("therap" in text.lower() for text in results.all_inner_texts())
    page.locator("#_search-input").fill("xylophonorchester")
    expect(page.locator("#_search-status")).to_have_text("No page matches “xylophonorchester”.")
    expect(results).to_have_count(0)

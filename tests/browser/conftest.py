"""The browser tests' shared fixtures: the real site built once and served over HTTP on
127.0.0.1, Chromium, and a tab in it per colour scheme and width.

Run with `make test-browser` (needs the system packages `chromium` and a Java runtime).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, sync_playwright

from sitegen.pipeline import BuildOptions, build, page_sources

from .browsing import CHROMIUM, LAUNCH_ARGS, ServedSite, Tab, open_tabs, pages_of_every_kind


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def served_site(tmp_path_factory) -> Iterator[ServedSite]:
    """The real site (content/), built once and served on a free port of 127.0.0.1."""
    root = tmp_path_factory.mktemp("served") / "site"
    result = build(BuildOptions(output_dir=root))
    assert result.written, [str(p) for p in result.problems.errors]
    handler = functools.partial(_QuietHandler, directory=str(root))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        host, port = server.server_address[:2]
        yield ServedSite(root, f"http://{host}:{port}/", pages_of_every_kind(result), page_sources(result.site))
        server.shutdown()
        thread.join()


# The browser is started once per module, not per session: Playwright's sync API refuses to
# start while another instance runs in the thread, and test_offline_copy.py starts its own.
# A launch takes a fraction of a second.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium, started once per test module."""
    assert CHROMIUM.exists(), "the browser tests need Debian's chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def tabs(browser: Browser) -> Iterator[dict[str, Tab]]:
    """A tab per colour scheme and width ("light/phone", "dark/desktop", …), kept for the module."""
    with open_tabs(browser) as tabs:
        yield tabs

"""The live preview as an editor meets it: `python build.py serve` in a terminal, a browser
on the page, files saved in an editor."""

from __future__ import annotations

import json
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tornado.httpclient
import tornado.websocket
from bs4 import BeautifulSoup
from conftest import FIXTURE
from tornado.ioloop import IOLoop
from tornado.websocket import websocket_connect

from sitegen.pipeline import PROJECT_DIR


class Server:
    def __init__(self, content: Path):
        self.content = content
        self.process = subprocess.Popen(
            [sys.executable, str(PROJECT_DIR / "build.py"), "serve", "--content", str(content), "--port", "0"],
            cwd=PROJECT_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        line = self.wait_for_line(lambda line: "Serving the preview" in line, timeout=60)
        self.url = line.split(" at ")[1].split(" ")[0]
        assert self.url.startswith("http://127.0.0.1:")

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for_line(self, test: Callable[[str], bool], timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                assert self.process.poll() is None, "\n".join(self.log)
                continue
            self.log.append(line)
            if test(line):
                return line
        raise AssertionError("no such line; the server said:\n" + "\n".join(self.log))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def page_until(self, path: str, test: Callable[[BeautifulSoup], bool], timeout: float = 20) -> BeautifulSoup:
        deadline = time.monotonic() + timeout
        while True:
            status, text = self.get(path)
            page = BeautifulSoup(text, "html.parser")
            if test(page):
                return page
            assert time.monotonic() < deadline, f"{path} never passed the test; last answer ({status}):\n{text[:2000]}"
            time.sleep(0.05)

    def save(self, name: str, text: str) -> None:
        (self.content / name).write_text(text, encoding="utf-8")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    content = tmp_path / "content"
    shutil.copytree(FIXTURE, content)
    running = Server(content)
    yield running
    running.stop()


def problems_panel(page: BeautifulSoup):
    return page.find(id="sitegen-problems")


def test_serves_the_site_with_drafts_and_the_reload_client(server: Server):
    status, text = server.get("/de/akteure/izi/")
    page = BeautifulSoup(text, "html.parser")
    assert status == 200
    assert page.html["lang"] == "de" and page.h1.get_text(strip=True) == "Fraunhofer-Institut für Zelltherapie"
    assert page.find("script", src=lambda src: src and src.startswith("/livereload.js"))
    assert problems_panel(page) is None
    # Every link of the page leads to a served file.
    for link in page.find_all("a", href=True):
        href = link["href"]
        if not href.startswith(("http", "#", "mailto:")):
            target = urllib.parse.urljoin("/de/akteure/izi/", href.split("#")[0])
            assert server.get(target)[0] == 200, href
    assert server.get("/livereload.js")[0] == 200
    assert server.get("/de/akteure/gibt-es-nicht/")[0] == 404
    # A draft is part of the preview (and of no build without --drafts).
    server.save(
        "actors/entwurf.de.md",
        "---\ntitle: Ein Entwurf\nsummary: Noch nicht fertig.\ntype: startup\ndraft: true\n---\n",
    )
    server.page_until("/de/akteure/entwurf/", lambda page: page.h1 and "Ein Entwurf" in page.h1.get_text())


def test_an_edit_appears_and_a_broken_edit_keeps_the_last_good_page(server: Server):
    source = server.content / "actors/izi.de.md"
    original = source.read_text(encoding="utf-8")

    server.save("actors/izi.de.md", original.replace("Das Institut arbeitet", "Das Institut forscht und arbeitet"))
    page = server.page_until("/de/akteure/izi/", lambda page: "forscht und arbeitet" in page.get_text())
    server.wait_for_line(lambda line: "izi.de.md changed: built in" in line)
    assert problems_panel(page) is None

    # Broken YAML: the page still shows the last good build, with the problem on top.
    server.save("actors/izi.de.md", original.replace("city: Leipzig", "city: [Leipzig"))
    page = server.page_until("/de/akteure/izi/", lambda page: problems_panel(page) is not None)
    panel = problems_panel(page).get_text(" ", strip=True)
    assert "izi.de.md:7: broken YAML" in panel
    assert "forscht und arbeitet" in page.find("main").get_text()  # the last good page
    server.wait_for_line(lambda line: "izi.de.md:7: broken YAML" in line)
    server.wait_for_line(lambda line: "the last good site is still served" in line)
    # Every page says so, not only the broken one.
    assert problems_panel(server.page_until("/en/", lambda page: True)) is not None

    # Fixed: the panel is gone and the fix is shown.
    server.save("actors/izi.de.md", original.replace("city: Leipzig", "city: Dresden"))
    page = server.page_until("/de/akteure/izi/", lambda page: problems_panel(page) is None)
    assert "Dresden" in page.get_text()


def test_the_open_page_is_told_to_reload_after_every_build(server: Server):
    messages: list[dict] = []

    async def listen() -> None:
        socket = await websocket_connect(server.url.replace("http", "ws") + "livereload")
        socket.write_message(
            json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]})
        )
        messages.append(json.loads(await socket.read_message()))
        socket.write_message(json.dumps({"command": "info", "url": server.url + "de/"}))
        time.sleep(0.2)
        source = server.content / "topics/gmp.de.md"
        source.write_text(source.read_text(encoding="utf-8") + "\nNoch ein Satz.\n", encoding="utf-8")
        messages.append(json.loads(await socket.read_message()))
        socket.close()

    IOLoop.current().run_sync(listen, timeout=30)
    assert messages[0]["command"] == "hello"
    assert messages[1]["command"] == "reload"


def test_requests_outside_the_site_are_not_found(server: Server):
    for path in (
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/de/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "//etc/passwd",
    ):
        status, text = server.get(path)
        assert status == 404 and "root:" not in text


def test_a_site_broken_from_the_start_is_served_once_fixed(tmp_path: Path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE, content)
    good = (content / "topics/gmp.de.md").read_text(encoding="utf-8")
    (content / "topics/gmp.de.md").write_text(good.replace("title:", "titel:"), encoding="utf-8")
    server = Server(content)
    try:
        status, text = server.get("/de/")
        panel = problems_panel(BeautifulSoup(text, "html.parser"))
        assert status == 503 and "gmp.de.md:2: unknown field 'titel'" in panel.get_text(" ", strip=True)
        server.save("topics/gmp.de.md", good)
        page = server.page_until("/de/", lambda page: problems_panel(page) is None)
        assert page.html["lang"] == "de"
    finally:
        server.stop()


def test_malformed_requests_get_an_error_and_the_server_goes_on(server: Server):

    host, port = urllib.parse.urlsplit(server.url).hostname, urllib.parse.urlsplit(server.url).port
    requests = [
        b"GARBAGE\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /de/ HTTP/9.9\r\n\r\n",
        b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /%00/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /de/ HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"GET /de/ HTTP/1.1\r\n" + b"X: " + b"y" * 200_000 + b"\r\n\r\n",
        b"\x00\xff\xfe\r\n\r\n",
        b"GET /de/ HTTP/1.1\r\nHost: x\r\n",  # never finished: the server must not wait on it alone
    ]
    for request in requests:
        with socket.create_connection((host, port), timeout=5) as connection:
            try:
                connection.sendall(request)
                connection.shutdown(socket.SHUT_WR)
                answer = connection.recv(200)
            except OSError:
                answer = b""  # the server may close on us; that is an answer too
        if answer:
            status = int(answer.split(b" ", 2)[1])
            assert status in (400, 404, 405, 413, 414, 431, 505), (request[:40], answer)
            assert b"Traceback" not in answer
        assert server.get("/de/")[0] == 200  # still serving
    assert not any("Traceback" in line for line in server.log)


def test_only_the_previews_own_pages_may_listen_for_reloads(server: Server):
    async def connect(origin: str | None) -> bool:
        headers = {"Origin": origin} if origin else {}
        request = tornado.httpclient.HTTPRequest(server.url.replace("http", "ws") + "livereload", headers=headers)
        try:
            connection = await websocket_connect(request)
        except tornado.websocket.WebSocketError:
            return False
        except tornado.httpclient.HTTPClientError:
            return False
        connection.close()
        return True

    assert IOLoop.current().run_sync(lambda: connect(server.url.rstrip("/")), timeout=10)
    assert not IOLoop.current().run_sync(lambda: connect("https://evil.example"), timeout=10)

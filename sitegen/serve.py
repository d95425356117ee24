"""`build.py serve`: the live preview. Builds, serves, watches, rebuilds, reloads the browser.

The site is built with drafts and kept in memory; output/ is not touched, so a draft
never reaches the folder that is published. Every change under content/, templates/,
locales/ or assets/ starts a build through the same cache (see memo.py), so only what
depends on the change is made again. When a build succeeds its site replaces the one
served; when it fails the last good site stays, and every page shows the problems in a
panel until they are fixed. Either way the open pages reload by themselves: the
livereload client (served by the livereload package, like everything else from this
machine) listens on a WebSocket and the server tells it when a build is done.

Requests are answered from the built files only: a path is looked up in memory, never
joined to a folder on disk, so no request can reach a file outside the site.
"""

from __future__ import annotations

import gc
import html
import mimetypes
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket
import watchfiles
from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado.ioloop import IOLoop

from .errors import Problem
from .load import display_path
from .memo import BuildCache
from .patch import patch
from .pipeline import BuildOptions, BuildResult, build_files, load_cache

# The preview's own files live under a path no built file can have (built names never
# start with a dot).
OWN = "/.sitegen/"
PANEL_CSS = b"""\
#sitegen-problems { position: fixed; inset: auto 0 0 0; z-index: 2147483647; max-height: 60vh; overflow: auto;
  margin: 0; padding: 1rem 1.25rem; background: #fff4f2; color: #3a0b05; border-top: 4px solid #b3261e;
  font: 15px/1.45 system-ui, sans-serif; box-shadow: 0 -4px 16px rgb(0 0 0 / 0.25); }
#sitegen-problems h2 { margin: 0 0 .5rem; font-size: 1.05rem; color: #8c1d18; }
#sitegen-problems p { margin: 0 0 .5rem; }
#sitegen-problems ol { margin: 0; padding-left: 1.25rem; }
#sitegen-problems li { margin: .25rem 0; }
#sitegen-problems code { font: 14px/1.4 ui-monospace, monospace; word-break: break-word; }
"""


class Preview:
    """The served site: the last good build, the problems of the latest one, and the cache."""

    def __init__(self, options: BuildOptions, log: Callable[[str], None] = print):
        # One process: forking beside the watcher's and server's threads is not safe, and
        # after the first build there are only a few pages to make anyway.
        self.options = replace(options, drafts=True, jobs=1)
        self.cache = BuildCache()
        if options.cache_dir is not None:  # what the last build read and made
            load_cache(options.cache_dir, self.cache)
        self.files: dict[str, bytes] = {}
        self.errors: list[Problem] = []
        self.log = log
        self.builds = 0
        self.last: BuildResult | None = None  # the last build or patch, while it was good
        self.patched = False  # whether the last change was patched in (patch.py) rather than built

    def rebuild(self, changed: Iterable[str] = ()) -> bool:
        """Build again, or patch the last good site when `changed` (the saved files) allows;
        keep the last good site if this build has errors."""
        started = time.perf_counter()
        changed = sorted(changed)
        result = patch(self.last, changed, self.options, self.cache) if changed and self.last else None
        self.patched = result is not None
        if result is None:
            result = build_files(self.options, self.cache)
        seconds = time.perf_counter() - started
        self.builds += 1
        self.last = None if result.problems.errors else result
        prefix = ""
        if changed:
            more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
            prefix = f"{display_path(Path(changed[0]))}{more} changed: "
        for problem in result.problems.warnings + result.problems.errors:
            self.log(str(problem))
        if result.problems:
            self.errors = result.problems.errors
            kept = "the last good site is still served" if self.files else "nothing to serve until they are fixed"
            self.log(f"{prefix}{len(self.errors)} error(s) in {seconds:.2f} s; {kept}.")
        else:
            self.files, self.errors = result.files, []
            counts = self.cache.counts
            self.log(
                f"{prefix}built in {seconds:.2f} s: {counts['rendered']} page(s) rendered, "
                f"{counts['reused']} unchanged."
            )
        return not result.problems

    def tidy(self) -> None:
        """Collect garbage and set everything that survives aside from the collector.

        The cache holds many objects that live from build to build; frozen, they are not
        walked by the collections that happen during a build. Run while nobody waits.
        """
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    # -- answers ------------------------------------------------------------------
    def lookup(self, path: str) -> tuple[int, str, bytes, str | None]:
        """(status, content type, body, redirect) for a request path such as '/de/akteure/'."""
        if path.startswith(OWN):
            if path == OWN + "preview.css":
                return 200, "text/css; charset=utf-8", PANEL_CSS, None
            return 404, "text/plain; charset=utf-8", b"not found", None
        if not self.files:
            return 503, "text/html; charset=utf-8", self.problems_page(), None
        name = path.lstrip("/")
        if name == "" or name.endswith("/"):
            name += "index.html"
        if name in self.files:
            return 200, _content_type(name), self.files[name], None
        if name + "/index.html" in self.files:
            return 301, "text/plain; charset=utf-8", b"", path + "/"
        return 404, "text/html; charset=utf-8", self.files.get("404.html", b"<title>404</title>"), None

    def problems_panel(self) -> str:
        items = "".join(f"<li><code>{html.escape(str(p))}</code></li>" for p in self.errors)
        return (
            '<aside id="sitegen-problems" role="alert" lang="en">'
            f"<h2>The last change could not be built: {len(self.errors)} problem(s)</h2>"
            "<p>This page shows the last good build. Fix the files named below and save; "
            "the page reloads by itself.</p>"
            f"<ol>{items}</ol></aside>"
        )

    def problems_page(self) -> bytes:
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Problems · preview</title>'
            f'<link rel="stylesheet" href="{OWN}preview.css"></head><body>{self.problems_panel()}</body></html>'
        ).encode()

    def decorate(self, page: bytes, port: int) -> bytes:
        """Add the reload client, and the problems panel while the latest build has errors."""
        head = f'<script src="/livereload.js?port={port}"></script>'
        if self.errors:
            head += f'<link rel="stylesheet" href="{OWN}preview.css">'
        page = page.replace(b"</head>", head.encode() + b"</head>", 1)
        if self.errors:
            body = page.find(b"<body")
            end = page.find(b">", body) + 1 if body >= 0 else 0
            page = page[:end] + self.problems_panel().encode() + page[end:]
        return page


def _content_type(name: str) -> str:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith(("javascript", "xml")) else kind


class PageHandler(tornado.web.RequestHandler):
    def initialize(self, preview: Preview, port: int) -> None:
        self.preview, self.port = preview, port

    def get(self, path: str) -> None:
        status, kind, body, location = self.preview.lookup("/" + path)
        if location:
            self.redirect(location, permanent=True)
            return
        if kind.startswith("text/html"):
            body = self.preview.decorate(body, self.port)
        self.set_status(status)
        self.set_header("Content-Type", kind)
        self.set_header("Cache-Control", "no-store")  # always the latest build
        self.write(body)

    def head(self, path: str) -> None:
        self.get(path)


class ReloadSocket(LiveReloadHandler):
    """livereload's WebSocket, open only to pages of this preview.

    livereload accepts a connection from any web page; a page of another site open in
    the same browser could then listen in. Tornado's own check allows only pages whose
    origin is the address the preview is reached at.
    """

    def check_origin(self, origin: str) -> bool:
        return tornado.websocket.WebSocketHandler.check_origin(self, origin)


def reload_browsers() -> None:
    """Tell every open page to reload (the livereload protocol's 'reload' command)."""
    for waiter in list(LiveReloadHandler.waiters):
        try:
            waiter.write_message({"command": "reload", "path": "*", "liveCSS": False, "liveImg": False})
        except tornado.websocket.WebSocketClosedError:
            LiveReloadHandler.waiters.discard(waiter)


def watched(options: BuildOptions) -> list[Path]:
    folders = [options.content_dir, options.templates_dir, options.locales_dir, options.assets_dir, options.data_dir]
    return [folder for folder in folders if folder.is_dir()]


def serve(options: BuildOptions, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Build, serve and watch until interrupted. Port 0 picks a free port."""
    try:
        sockets = tornado.netutil.bind_sockets(port, host, family=socket.AF_INET if ":" not in host else 0)
    except OSError as exc:
        print(f"cannot listen on {host}:{port}: {exc.strerror} — pass another --port", file=sys.stderr)
        return 1
    port = sockets[0].getsockname()[1]
    preview = Preview(options, log=lambda line: print(line, flush=True))
    loop = IOLoop.current()
    stop, ready = threading.Event(), threading.Event()

    tidy: list[object] = []  # the scheduled tidy-up, if any

    def rebuild(changes: set[str]) -> None:
        preview.rebuild(changes)
        reload_browsers()
        if not preview.patched:  # a patch leaves little behind to collect
            if tidy:
                loop.remove_timeout(tidy.pop())
            tidy.append(loop.call_later(2.0, preview.tidy))

    def watch() -> None:
        # With a timeout the watcher reports (nothing) once it is watching, so the first
        # build starts only when no save can go unseen.
        for changes in watchfiles.watch(
            *watched(preview.options), stop_event=stop, debounce=400, step=30, rust_timeout=200, yield_on_timeout=True
        ):
            ready.set()
            if changes:
                loop.add_callback(rebuild, {path for _, path in changes})

    threading.Thread(target=watch, name="watch", daemon=True).start()
    ready.wait(timeout=10)
    preview.rebuild()
    preview.tidy()
    application = tornado.web.Application(
        [
            (r"/livereload", ReloadSocket),
            (r"/livereload\.js", LiveReloadJSHandler),
            (r"/(.*)", PageHandler, {"preview": preview, "port": port}),
        ]
    )
    server = tornado.httpserver.HTTPServer(application)
    server.add_sockets(sockets)
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    print(f"Serving the preview (drafts included) at {url} — press Ctrl+C to stop.", flush=True)
    try:
        loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
    print("Preview stopped.")
    return 0

"""How long an editor waits: from saving one actor's body to the preview serving the new page.

    python -m bench.preview_edit [--actors 1000] [--runs 5]

Generates a corpus (bench/corpus.py) in a temporary folder, starts `build.py serve` on
it, and opens the actor's page as a browser does: it loads the page and connects to the
livereload WebSocket. Then it saves an edit to the actor's body several times; each time
it waits for the message telling the page to reload, loads the page again and checks
that the edit is in it. Prints each wait from save to loaded page, the median, and the
preview's own build times.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tornado.ioloop import IOLoop
from tornado.websocket import websocket_connect

from bench.corpus import generate

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder) / "content"
        generate(content, args.actors)
        command = [sys.executable, str(PROJECT_DIR / "build.py"), "serve", "--content", str(content), "--port", "0"]
        server = subprocess.Popen(
            command, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            log = []
            for line in server.stdout:
                log.append(line.rstrip())
                if "Serving the preview" in line:
                    break
            url = re.search(r"http://\S+/", log[-1]).group(0)
            print(next(line for line in log if "built in" in line))  # the first build
            slug = f"akteur-{args.actors // 2:05d}"
            source = content / "actors" / f"{slug}.de.md"
            original = source.read_text(encoding="utf-8")
            page = f"{url}de/akteure/{slug}/"
            waits = IOLoop.current().run_sync(lambda: _edits(url, page, source, original, args.runs))
            source.write_text(original, encoding="utf-8")
            print(f"{args.actors} actors: median save → page loaded again {statistics.median(waits):.3f} s")
            server.terminate()
            rebuilds = [line for line in server.stdout.read().splitlines() if "changed: built in" in line]
            print("the preview's builds:", ", ".join(line.split("built in ")[1].split(" s")[0] for line in rebuilds))
        finally:
            server.terminate()
            server.wait(timeout=10)


async def _edits(url: str, page: str, source: Path, original: str, runs: int) -> list[float]:
    """Save `runs` edits to `source`; after each, wait for the reload and load `page`."""
    socket = await websocket_connect(url.replace("http", "ws") + "livereload")
    socket.write_message(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
    await socket.read_message()  # hello
    _get(page)
    socket.write_message(json.dumps({"command": "info", "url": page}))
    waits = []
    for run in range(runs):
        time.sleep(2.5)  # let the preview settle, as between two saves
        marker = f"Messpunkt-{run}-{time.time_ns()}"
        started = time.perf_counter()
        source.write_text(original.replace("\n\n", f"\n\n{marker}\n\n", 1), encoding="utf-8")
        while True:
            message = json.loads(await socket.read_message())
            if message.get("command") == "reload" and marker in _get(page):
                break
        waits.append(time.perf_counter() - started)
        print(f"save → page loaded again: {waits[-1]:.3f} s")
    socket.close()
    return waits


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


if __name__ == "__main__":
    main()

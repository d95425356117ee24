"""How long an editor waits: from saving one actor's body to the preview serving the new page.

    python -m bench.preview_edit [--actors 1000] [--runs 5]

Generates a corpus (bench/corpus.py) in a temporary folder, starts `build.py serve` on
it, then saves an edit to one actor's body several times and polls the page until the
edit is served. Prints each wait, the median, and the preview's own build times.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

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
            waits = []
            for run in range(args.runs):
                time.sleep(2.5)  # let the preview settle, as between two saves
                marker = f"Messpunkt-{run}-{time.time_ns()}"
                started = time.perf_counter()
                source.write_text(original.replace("\n\n", f"\n\n{marker}\n\n", 1), encoding="utf-8")
                while marker not in _get(f"{url}de/akteure/{slug}/"):
                    time.sleep(0.005)
                waits.append(time.perf_counter() - started)
                print(f"save → served: {waits[-1]:.3f} s")
            source.write_text(original, encoding="utf-8")
            print(f"{args.actors} actors: median save → served {statistics.median(waits):.3f} s")
            server.terminate()
            rebuilds = [line for line in server.stdout.read().splitlines() if "changed: built in" in line]
            print("the preview's builds:", ", ".join(line.split("built in ")[1].split(" s")[0] for line in rebuilds))
        finally:
            server.terminate()
            server.wait(timeout=10)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


if __name__ == "__main__":
    main()

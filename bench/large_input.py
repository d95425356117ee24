"""How long a build of a very large input takes, and how much memory it needs at most.

    python -m bench.large_input [--actors 4762] [--size 5000000]

builds two sites with the real command line, each in a fresh process, and prints the
wall time, the peak memory (maximum resident set size) and the pages written:

- the test fixture (`tests/fixtures/mini`) with one actor's body replaced by about 5 MB
  of realistic Markdown: paragraphs, headings, lists, tables and [[links]];
- a generated site of `--actors` actors (`bench.corpus`), about 2.1 files per actor, so
  4,762 actors and their 238 topics make 10,000 Markdown files.

`tests/test_large_input.py` builds the first one on every test run and checks bounds.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import body, generate

PROJECT_DIR = Path(__file__).resolve().parent.parent
FIXTURE = PROJECT_DIR / "tests" / "fixtures" / "mini"
BIG_ACTOR = "actors/izi.de.md"  # the fixture file whose body is replaced
BIG_FILE_END = "Hier endet der lange Text."
# Pages of the fixture a long body may link to, with and without a heading.
LINKS = ["tud", "netzwerk", "zelltherapie", "gmp", "zelltherapie#verfahren", "tud|die Universität"]


def large_body(size: int, seed: int = 5) -> str:
    """At least `size` bytes of German Markdown as an editor writes it, ending in BIG_FILE_END.

    Each part has a heading of its own (so the anchors differ) and then what
    `bench.corpus` writes for a page: paragraphs, subheadings, lists, tables and links.
    """
    rng = random.Random(seed)
    parts, length, number = [], 0, 0
    while length < size:
        number += 1
        part = f"## Abschnitt {number}\n\n{body(rng, 'de', LINKS)}"
        parts.append(part)
        length += len(part.encode("utf-8")) + 1
    return "\n".join([*parts, BIG_FILE_END, ""])


def big_file_site(dest: Path, size: int = 5_000_000) -> Path:
    """A copy of the fixture site in `dest` with one actor's body about `size` bytes long."""
    shutil.copytree(FIXTURE, dest)
    path = dest / BIG_ACTOR
    text = path.read_text(encoding="utf-8")
    front_matter = text[: text.index("\n---\n", 4) + 5]
    path.write_text(front_matter + large_body(size), encoding="utf-8")
    return dest


def measure(content: Path, output: Path) -> dict[str, object]:
    """Build `content` into `output` with build.py in a fresh process; its time, peak memory, pages."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.large_input", "--measure", str(content), str(output)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the measuring process failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def _measure_here(content: Path, output: Path) -> None:
    """Run the command line's build in this process, then print what it took as JSON."""
    from sitegen.cli import main

    start = time.perf_counter()
    status = main(["--content", str(content), "--output", str(output)])
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    pages = sum(1 for _ in output.rglob("*.html")) if output.is_dir() else 0
    print(json.dumps({"status": status, "seconds": round(seconds, 2), "peak_mb": peak_kb // 1024, "pages": pages}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, default=4762, help="actors of the generated site (default: 4762)")
    parser.add_argument("--size", type=int, default=5_000_000, help="bytes of the long body (default: 5 MB)")
    parser.add_argument("--measure", nargs=2, type=Path, metavar=("CONTENT", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure_here(*args.measure)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        content = big_file_site(work / "big-file", args.size)
        size = (content / BIG_ACTOR).stat().st_size
        print(f"one file of {size / 1e6:.1f} MB in the fixture site: {_report(measure(content, work / 'out-1'))}")
        counts = generate(work / "many-files", args.actors)
        files = counts["files"] + 1  # and site.yaml
        print(f"{files:,} files ({args.actors:,} actors): {_report(measure(work / 'many-files', work / 'out-2'))}")


def _report(figures: dict[str, object]) -> str:
    status = "built" if figures["status"] == 0 else f"FAILED (exit status {figures['status']})"
    return f"{status} in {figures['seconds']} s, peak memory {figures['peak_mb']} MB, {figures['pages']:,} pages"


if __name__ == "__main__":
    main()

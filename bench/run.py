"""`make bench`: this generator against Pelican, MkDocs and Hugo on one synthetic corpus.

    python -m bench.run [--actors 1000 5000] [--runs 3] [--edits 5] [--write]

For each size N it generates the corpus (bench/corpus.py: N actors and N/20 topics in
German and English), then measures, each several times (medians are reported):

- this generator: a cold build (no cache, no output folder), a warm build (the cache of
  the last build, a new process, a new output folder, so every file is written), a
  build with nothing changed (cache and output folder as the last build left them), and
  the live preview: from saving one actor's body to the preview serving the changed page;
- the peers, installed into .venv-bench (bench/requirements-peers.txt): a full build of
  the same corpus by Pelican, by MkDocs with mkdocs-static-i18n and by Hugo, and Hugo's
  server from saving the same actor's file to serving the changed page.

Every figure is wall time, CPU time and peak memory (bench/measure.py), and each of this
generator's is printed as a ratio to the peers'. The cold builds and the peers' builds
take turns, a round at a time, so that a drift in the machine's speed affects both sides
of a ratio alike. Each build writes into a new folder, and none is deleted until the
benchmark ends (`Outputs`; several GB at 5,000 actors). Before each measured build the
disks are synced and, where the benchmark runs as root, the kernel's caches dropped, so
that no build pays for the files the builds before it made; not before a build with
nothing changed, which is run again at once. With --write the results are kept in
bench/results/N.json and the tables of bench/RESULTS.md are made again from them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

from bench import peers
from bench.corpus import generate
from bench.measure import Measurement, drop_kernel_caches, measure
from sitegen.parallel import default_jobs

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_DIR / "bench" / "results"
RESULTS_FILE = PROJECT_DIR / "bench" / "RESULTS.md"
EDITED = ("actors", "akteur-00010", "de")  # the page every edit changes: section, slug, language

# Target: this generator's figure at most `ratio` × the peer's (issue 9), at N = 5,000.
TARGETS = [
    ("cold build", "cold", "pelican", "build", 0.4),
    ("cold build", "cold", "mkdocs", "build", 0.4),
    ("warm build", "warm", "hugo", "build", 0.6),
    ("edit in the live preview", "edit", "hugo", "edit", 0.5),
    ("peak memory (cold build)", "cold", "hugo", "build", 0.4),
]
UNCHANGED_LIMIT = 1.5  # seconds, a build with nothing changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=3, help="runs of each build (default 3)")
    parser.add_argument("--edits", type=int, default=5, help="edits in each live preview (default 5)")
    parser.add_argument("--peers", nargs="*", choices=peers.PEERS, default=list(peers.PEERS))
    parser.add_argument("--write", action="store_true", help="keep the results and update bench/RESULTS.md")
    args = parser.parse_args()
    venv = peers.ensure_env(PROJECT_DIR) if args.peers else None
    # Every folder the builds wrote is deleted at the very end (see `Outputs`).
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        for actors in args.actors:
            result = run(actors, Path(folder) / str(actors), args.runs, args.edits, args.peers, venv)
            print_result(result)
            if args.write:
                RESULTS_DIR.mkdir(exist_ok=True)
                (RESULTS_DIR / f"{actors}.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.write:
        write_results_file()


class Outputs:
    """A new output folder for every measured build, none deleted until the benchmark ends.

    On a file system that does not reuse the inodes of files deleted in the last
    minutes (ext4 without a journal, as on the machine of bench/RESULTS.md), each new
    file is found a place past all of them: a build that follows the deletion of the
    last build's 20,000 files and folders pays for it (a second of system time at 5,000
    actors, after the caches were dropped; several without). A build into a folder of
    its own finds nothing deleted, whichever tool it is.
    """

    def __init__(self, folder: Path) -> None:
        self.folder, self.made = folder, 0

    def new(self, what: str) -> Path:
        self.made += 1
        return self.folder / f"out-{self.made:02d}-{what}"


def run(actors: int, folder: Path, runs: int, edits: int, peer_names: list[str], venv: Path | None) -> dict:
    content = folder / "site" / "content"
    counts = generate(content, actors=actors)
    old = time.time() - 60  # saved a while ago, as an editor's files are
    for path in content.rglob("*"):
        os.utime(path, (old, old))
    result = {"actors": actors, "files": counts, "machine": machine(), "versions": versions(peer_names, venv)}
    outputs = Outputs(folder)
    projects = {name: peers.prepare(name, content, folder / name) for name in peer_names}
    cold: list[Measurement] = []
    theirs: dict[str, list[Measurement]] = {name: [] for name in peer_names}
    last_output: dict[str, Path] = {}  # each peer's, for its page count and its server
    # The cold builds side by side, a round at a time (this generator's, then each
    # peer's): the machine's speed drifts over minutes, and a ratio should not show it.
    for _ in range(runs):
        cold.append(cold_build(content, outputs))
        log("ours cold", cold[-1])
        for name in peer_names:
            last_output[name] = outputs.new(name)
            theirs[name].append(checked(measure(peers.command(name, projects[name], last_output[name], venv))))
            log(f"{name} build", theirs[name][-1])
    result["ours"] = bench_ours(content, outputs, runs, edits, cold)
    for name in peer_names:
        result[name] = bench_peer(name, projects[name], theirs[name], last_output[name], edits, venv)
    return result


def log(what: str, m: Measurement) -> None:
    print(f"  {what}: {m.wall:.2f} s, {m.cpu:.2f} s CPU, {m.peak_mb:.0f} MiB", flush=True)


# -- this generator --------------------------------------------------------------------


def our_build(content: Path, output: Path, *options: str) -> list[str]:
    return [sys.executable, str(PROJECT_DIR / "build.py"), "--content", str(content), "--output", str(output), *options]


def cold_build(content: Path, outputs: Outputs, sample: bool = False) -> Measurement:
    shutil.rmtree(content.parent / ".sitegen-cache", ignore_errors=True)  # a few files
    return checked(measure(our_build(content, outputs.new("cold")), sample=sample), "Built ")


def bench_ours(content: Path, outputs: Outputs, runs: int, edits: int, cold: list[Measurement]) -> dict:
    """This generator's figures, given its cold builds."""
    figures: dict[str, list[Measurement]] = {"cold": cold, "cold, one process": [], "warm": [], "unchanged": []}
    memory = {"cold": cold_build(content, outputs, sample=True)}  # the processes' memory added up (slower)
    log("ours cold, memory", memory["cold"])
    for run in range(runs + 1):  # the cache of the last build, in a new folder
        output = outputs.new("warm")
        m = checked(measure(our_build(content, output), sample=run == runs), "Built ")
        log("ours warm" if run < runs else "ours warm, memory", m)
        if run < runs:
            figures["warm"].append(m)
        else:
            memory["warm"] = m
    for _ in range(runs):
        # Run again at once, as an editor would: it looks at every file, and reads no more
        # from disk than the kernel has kept from the build before.
        figures["unchanged"].append(checked(measure(our_build(content, output), drop_caches=False), "Nothing changed"))
        log("ours nothing changed", figures["unchanged"][-1])
    one_process = our_build(content, outputs.new("one-process"), "--jobs", "1", "--no-cache")
    figures["cold, one process"].append(checked(measure(one_process), "Built "))
    log("ours cold, one process", figures["cold, one process"][-1])
    page = content / EDITED[0] / f"{EDITED[1]}.{EDITED[2]}.md"
    port = free_port()
    server = [sys.executable, str(PROJECT_DIR / "build.py"), "serve", "--content", str(content), "--port", str(port)]
    url = f"http://127.0.0.1:{port}/de/akteure/{EDITED[1]}/"
    waits = edit_in_preview(server, url, page, edits, ready_text="Serving the preview")
    print(f"  ours edit in preview: {', '.join(f'{w:.3f}' for w in waits)} s", flush=True)
    result = {name: summary(found) for name, found in figures.items()}
    for name, m in memory.items():
        result[name]["peak_mb"] = m.peak_mb  # of all processes together, not the largest one
    return {**result, "edit": {"waits": waits}}


# -- the peers -------------------------------------------------------------------------


def bench_peer(name: str, project: Path, builds: list[Measurement], output: Path, edits: int, venv: Path) -> dict:
    """A peer's figures, given its full builds (the last one into `output`)."""
    result = {"build": summary(builds), "html": sum(1 for _ in output.rglob("*.html"))}
    if name == "hugo":
        page = next(project.rglob(f"{EDITED[1]}.{EDITED[2]}.md"))
        built = [path for path in output.rglob(f"{EDITED[1]}/index.html") if 'lang="de"' in path.read_text()[:300]]
        port = free_port()
        url = f"http://127.0.0.1:{port}/{built[0].parent.relative_to(output).as_posix()}/"
        waits = edit_in_preview(peers.hugo_server_command(project, port, venv), url, page, edits, "Web Server is")
        print(f"  hugo server edit: {', '.join(f'{w:.3f}' for w in waits)} s", flush=True)
        result["edit"] = {"waits": waits}
    return result


# -- the live preview ------------------------------------------------------------------


def edit_in_preview(server: list[str], url: str, page: Path, edits: int, ready_text: str) -> list[float]:
    """Start `server`, then save `edits` changes to `page`; each time, the seconds from the
    save until `url` serves the change (asked for every 5 ms, as a reloading browser would)."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(server, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_for(lambda: _read_log(log).find(ready_text) >= 0, 900, f"{server[0]} did not start", log)
            wait_for(lambda: fetch(url) is not None, 120, f"{url} was not served", log)
            return _time_edits(url, page, edits, log)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _time_edits(url: str, page: Path, edits: int, log) -> list[float]:
    original, waits = page.read_text(encoding="utf-8"), []
    try:
        for number in range(edits):
            time.sleep(1.5)  # the watcher settles, as between an editor's saves
            marker = f"Bearbeitung {number} {time.time_ns()}"
            saved = time.perf_counter()
            page.write_text(original + f"\n{marker}\n", encoding="utf-8")
            wait_for(lambda marker=marker: marker in (fetch(url) or ""), 120, "the edit never arrived", log)
            waits.append(time.perf_counter() - saved)
    finally:
        page.write_text(original, encoding="utf-8")
    return waits


def wait_for(condition: Callable[[], bool], seconds: float, what: str, log) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} within {seconds} s:\n{_read_log(log)[-3000:]}")
        time.sleep(0.005)


def _read_log(log) -> str:
    log.seek(0)
    return log.read().decode("utf-8", "replace")


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- figures ---------------------------------------------------------------------------


def checked(m: Measurement, expect: str = "") -> Measurement:
    if m.returncode or expect not in m.output:
        raise SystemExit(f"the build failed (exit status {m.returncode}):\n{m.output[-3000:]}")
    return m


def summary(found: list[Measurement]) -> dict:
    return {
        "wall": statistics.median(m.wall for m in found),
        "cpu": statistics.median(m.cpu for m in found),
        "peak_mb": statistics.median(m.peak_mb for m in found),
        "runs": [{k: v for k, v in asdict(m).items() if k != "output"} for m in found],
    }


def machine() -> dict:
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": model,
        "cores": default_jobs(),
        "memory_gib": round(memory, 1),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
        "caches_dropped": drop_kernel_caches(),  # before each measured build (measure.py)
    }


def versions(peer_names: list[str], venv: Path | None) -> dict:
    ours = {name: version(name) for name in ("markdown", "jinja2", "pyyaml", "nh3")}
    return {"ours": ours, **{name: peers.version(name, venv) for name in peer_names}}


def edit_median(entry: dict) -> float:
    return statistics.median(entry["edit"]["waits"])


def figure(result: dict, ours: str, peer: str, kind: str, what: str = "wall") -> tuple[float, float]:
    mine = edit_median(result["ours"]) if ours == "edit" else result["ours"][ours][what]
    theirs = edit_median(result[peer]) if kind == "edit" else result[peer][kind][what]
    return mine, theirs


def target_rows(result: dict) -> list[tuple[str, str, float, float, float, bool]]:
    rows = []
    for label, ours, peer, kind, limit in TARGETS:
        if peer not in result:
            continue
        what = "peak_mb" if label.startswith("peak") else "wall"
        mine, theirs = figure(result, ours, peer, kind, what)
        rows.append((label, peer, mine, theirs, mine / theirs, mine / theirs <= limit))
    unchanged = result["ours"]["unchanged"]["wall"]
    rows.append(
        ("nothing changed", "(1.5 s)", unchanged, UNCHANGED_LIMIT, unchanged / UNCHANGED_LIMIT, unchanged <= 1.5)
    )
    return rows


def print_result(result: dict) -> None:
    print(f"\n{result['actors']} actors:")
    for line in tables(result):
        print(line)


def tables(result: dict) -> list[str]:
    lines = ["| build | wall (s) | CPU (s) | peak memory (MiB) |", "|---|---:|---:|---:|"]
    for name, label in [
        ("cold", "this generator, cold"),
        ("cold, one process", "this generator, cold, --jobs 1"),
        ("warm", "this generator, warm"),
        ("unchanged", "this generator, nothing changed"),
    ]:
        entry = result["ours"][name]
        lines.append(f"| {label} | {entry['wall']:.2f} | {entry['cpu']:.2f} | {entry['peak_mb']:.0f} |")
    for peer in peers.PEERS:
        if peer in result:
            entry = result[peer]["build"]
            name = result["versions"][peer]
            lines.append(f"| {name}, full build | {entry['wall']:.2f} | {entry['cpu']:.2f} | {entry['peak_mb']:.0f} |")
    lines += ["", "| live preview, save → changed page served | median (s) | runs (s) |", "|---|---:|---|"]
    for name, label in [("ours", "this generator"), ("hugo", "Hugo server")]:
        if name in result:
            waits = result[name]["edit"]["waits"]
            lines.append(f"| {label} | {statistics.median(waits):.3f} | {', '.join(f'{w:.3f}' for w in waits)} |")
    lines += ["", "| target | against | ours | theirs | ratio | met |", "|---|---|---:|---:|---:|---|"]
    for label, peer, mine, theirs, ratio, met in target_rows(result):
        suffix = " MiB" if label.startswith("peak") else " s"
        lines.append(
            f"| {label} | {peer} | {mine:.2f}{suffix} | {theirs:.2f}{suffix} | {ratio:.2f} | {'yes' if met else 'no'} |"
        )
    return lines


START, END = "<!-- results: made by `python -m bench.run --write` -->", "<!-- end of results -->"


def write_results_file() -> None:
    """Put the tables of every bench/results/*.json between the markers of RESULTS.md."""
    found = sorted(
        (json.loads(path.read_text(encoding="utf-8")) for path in RESULTS_DIR.glob("*.json")),
        key=lambda r: r["actors"],
    )
    parts = [START]
    for result in found:
        m, files = result["machine"], result["files"]
        parts += [
            "",
            f"### {result['actors']:,} actors ({files['files']:,} content files), {m['date']}",
            "",
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['system']}, Python {m['python']}"
            + (
                "; the kernel's caches dropped before each build but those with nothing changed. "
                if m.get("caches_dropped")
                else ". "
            )
            + "Versions: "
            + ", ".join(f"{k} {v}" for k, v in result["versions"]["ours"].items())
            + "; "
            + "; ".join(v for k, v in result["versions"].items() if k != "ours")
            + ".",
            "",
            *tables(result),
        ]
    parts += ["", END]
    text = (
        RESULTS_FILE.read_text(encoding="utf-8")
        if RESULTS_FILE.exists()
        else f"# Benchmark results\n\n{START}\n{END}\n"
    )
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    RESULTS_FILE.write_text(head + "\n".join(parts) + tail, encoding="utf-8")


if __name__ == "__main__":
    main()

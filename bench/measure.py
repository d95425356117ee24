"""Wall time, CPU time and peak memory of a command and every process it starts.

    measure(["hugo", "--quiet"], cwd=project)
    measure(build, sample=True)  # peak memory of several processes together

The command runs under a small wrapper (this file, run as a script), which reports the
wall time, the user and system time of the command and its children (Linux counts a
child in once it has been waited for, as build workers and Hugo's threads are), and the
largest resident set of any one of them (`ru_maxrss`): the peak memory of a command that
is one process, exactly, and read without disturbing it.

A command that forks workers needs their memory added up: with `sample=True` the peak
is the highest total of the processes' proportional set sizes (PSS: each page shared
between processes counted once, split between them), read from /proc every 50 ms.
Reading PSS walks the processes' page tables and slows a build by up to a third, so
times are taken from runs without sampling.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.05
_REPORT = "\n@@measure "


@dataclass(frozen=True)
class Measurement:
    wall: float  # seconds
    cpu: float  # seconds, user + system, of the command and its children
    peak_mb: float  # MiB: the largest process, or with `sample` the highest PSS total
    returncode: int
    output: str  # stdout and stderr, for a failed command's message


def measure(
    argv: list[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    sample: bool = False,
    drop_caches: bool = True,
) -> Measurement:
    # What the runs before wrote (a site of 10,000 files, a cache of 400 MB) is flushed to
    # disk first, so that no build pays for the writes of the one before it, and (unless
    # the command is to find the kernel as the last one left it) the kernel's caches are
    # dropped, where this process may.
    os.sync()
    if drop_caches:
        drop_kernel_caches()
    wrapper = [sys.executable, str(Path(__file__).resolve()), *argv]
    process = subprocess.Popen(
        wrapper, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    peak = [0]
    done = threading.Event()

    def sampling() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_pss_kb(process.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sampling, daemon=True)
    if sample:
        sampler.start()
    raw, _ = process.communicate()
    done.set()
    if sample:
        sampler.join()
    output, _, report = raw.decode("utf-8", "replace").rpartition(_REPORT)
    figures = json.loads(report)
    peak_kb = peak[0] if sample else figures["maxrss_kb"]
    return Measurement(figures["wall"], figures["cpu"], peak_kb / 1024, figures["returncode"], output)


def drop_kernel_caches() -> bool:
    """Have the kernel drop the file contents, names and inodes it keeps in memory, so that
    every build starts from the same state, reading its input from disk; False where this
    process may not (it takes root), and nothing is dropped.

    On the machine of bench/RESULTS.md, making 10,000 folders with a file each after
    deleting the same ones took 2.8 s, then 4.9, 7.4 and 9.8 s as the loop was repeated
    (the same with only the names and inodes dropped), and 0.8–1.8 s each time with
    everything dropped; five-line loops, no generator. Without this, whichever build
    follows the deletion of many files pays for the builds before it: warm builds of
    this generator took 7.2, 8.4 and 12.3 s in a row, and 8.3, 5.7 and 5.5 s with it.
    """
    try:
        with open("/proc/sys/vm/drop_caches", "w") as caches:
            caches.write("3\n")
    except OSError:
        return False
    return True


def tree_pss_kb(pid: int) -> int:
    """The PSS of `pid` and all its descendants, in KiB (0 for processes already gone)."""
    return sum(_pss_kb(each) for each in _tree(pid))


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo.extend(int(child) for child in children.read().split())
        except OSError:
            continue
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _wrap(argv: list[str]) -> None:
    """Run `argv`, then print what it took, after its own output."""
    started = time.perf_counter()
    returncode = subprocess.run(argv, stdin=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss}
    sys.stdout.flush()
    print(_REPORT + json.dumps({**figures, "returncode": returncode}), end="", flush=True)


if __name__ == "__main__":
    _wrap(sys.argv[1:])

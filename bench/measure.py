"""Wall time, CPU time and peak memory of a command and every process it starts.

    measure(["hugo", "--quiet"], cwd=project)

CPU time is the user and system time of the command and its children (Linux counts a
child in once it has been waited for, as build workers and Hugo's threads are). Peak
memory is the highest total of the processes' proportional set sizes (PSS: each page
shared between processes counted once, split between them), read from /proc every
50 ms, so a build that forks workers is charged for what they really add, and a
single process for its resident memory.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.05


@dataclass(frozen=True)
class Measurement:
    wall: float  # seconds
    cpu: float  # seconds, user + system, of the command and its children
    peak_mb: float  # highest PSS total of its processes, in MiB
    returncode: int
    output: str  # stdout and stderr, for a failed command's message


def measure(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Measurement:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_pss_kb(process.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measurement(wall, cpu, peak[0] / 1024, process.returncode, output.decode("utf-8", "replace"))


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

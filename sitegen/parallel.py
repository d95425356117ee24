"""Work spread over several processes: the `--jobs` of a build.

A build hands a list of items and a function to `run_all`, which gives back the results
in the order of the items, as a loop would. The worker processes are forked from the
build, so they start with everything it has made so far (the link tables, the site
model, the templates) and only the items' indices and the results cross between
processes. When asked, a worker that has done its part is replaced by a new fork
(`LIFETIMES`), so the memory the workers copy from the build stays small. Where
processes cannot be forked (Windows, macOS) or there is too little work to be worth
starting them, the items are done in this process, one after another.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items per process a fork costs more than it saves.
MIN_ITEMS_PER_JOB = 24

# How many workers, one after another, do each process's share of a `run_all` that asks
# for it. A worker copies each page of this process's memory whose objects it reads
# (Python counts the references to an object in the object itself), so its memory grows
# with every item it does; one that has done its part of the work is replaced by a new
# fork, which starts with nothing copied, but also without what the last one worked out.
LIFETIMES = 4

# The work of the current `run_all`, set before the workers are forked; they read it.
_work: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def workers(items: int, jobs: int, per_job: int = MIN_ITEMS_PER_JOB) -> int:
    """How many processes `run_all` uses for this many items, if each is to do `per_job`
    of them at least: 1 means this one alone."""
    return max(min(jobs, items // per_job), 1) if can_fork() else 1


def run_all(
    function: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    renew: bool = False,
    per_job: int = MIN_ITEMS_PER_JOB,
    meanwhile: Callable[[], None] | None = None,
) -> list[R]:
    """`[function(item) for item in items]`, done by up to `jobs` processes, each with
    `per_job` items at least; with `renew`, each process's share by `LIFETIMES` workers
    one after another.

    `meanwhile` is called in this process while the workers work (after the items, when
    this process does them), for work of its own that needs none of their results. With
    `renew`, workers are forked while it runs and start with its work half done: it must
    not change anything `function` reads.
    """
    jobs = workers(len(items), jobs, per_job)
    if jobs == 1:
        with collecting():
            results = [function(item) for item in items]
        if meanwhile is not None:
            meanwhile()
        return results
    global _work
    _work = (function, items)
    try:
        # Small chunks, so a process that got slow items is not waited for at the end.
        size = max(1, min(64, len(items) // (jobs * 8)))
        chunks = [range(start, min(start + size, len(items))) for start in range(0, len(items), size)]
        # Objects set aside from the collector are not touched by it in the workers, so
        # the memory they share with this process stays shared instead of being copied.
        gc.freeze()
        # A worker collects its garbage, though the build may have paused the collector.
        lifetime = -(-len(chunks) // (jobs * LIFETIMES)) if renew else None  # in chunks
        with multiprocessing.get_context("fork").Pool(jobs, initializer=gc.enable, maxtasksperchild=lifetime) as pool:
            working = pool.map_async(_run_chunk, chunks, chunksize=1)
            if meanwhile is not None:
                meanwhile()
            done = working.get()
    finally:
        gc.unfreeze()
        _work = None
    return [result for chunk in done for result in chunk]


def aside(function: Callable[[], bool], forked: Callable[[], None] | None = None) -> Callable[[], bool]:
    """`function()` done by a forked process while this one goes on; what this returns
    waits for that process and gives the result. Where processes cannot be forked, the
    function is done here, at once. `forked` is called first in the forked process only.

    The process starts with a copy of this one, so `function` sees everything made so
    far and nothing made after; it can only hand back whether it succeeded.
    """
    try:
        process = os.fork() if can_fork() else None
    except OSError:  # no process to spare
        process = None
    if process is None:
        result = function()
        return lambda: result
    if process == 0:  # the forked process: nothing of this one's after `function`
        succeeded = False
        try:
            if forked is not None:
                forked()
            succeeded = function()
        except Exception:
            traceback.print_exc()  # a bug, shown as it would be in this process
            sys.stderr.flush()
        finally:
            os._exit(0 if succeeded else 1)

    ended: list[bool] = []

    def wait() -> bool:
        if not ended:  # a process is waited for once; after that its result is known
            _, status = os.waitpid(process, 0)
            ended.append(os.waitstatus_to_exitcode(status) == 0)
        return ended[0]

    return wait


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused, in this process, while a build makes objects that
    last until its end (the cache read from disk, the site model, the files). Each
    collection walks every object made so far and frees almost nothing: in a warm build
    at 5,000 actors, the collections took longer than the loading of the cache."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()  # what `collecting` set aside can be freed once the build is over
        if enabled:
            gc.enable()


@contextlib.contextmanager
def collecting() -> Iterator[None]:
    """The cycle collector on while this process converts bodies or renders pages, work
    that leaves garbage with cycles behind (a one-process build at 5,000 actors grew by
    160 MiB without it), as the workers do it. What was made before is set aside first
    (`gc.freeze`), so that the collections walk only what the work makes."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        if not enabled:
            gc.disable()


def _run_chunk(indices: range) -> list[Any]:
    function, items = _work
    return [function(items[index]) for index in indices]

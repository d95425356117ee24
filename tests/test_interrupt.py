"""Interrupted and concurrent builds: output/ is always one complete build, old or new.

The builds that get stopped run as child processes (`CHILD` below runs the same `main`
as build.py) and are stopped with SIGKILL, so no `finally` or `except` of the build gets
to tidy up: what they leave is what a crash, a power cut of the process or `kill -9`
would leave. The next build, or `recover_output`, must make it whole again.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import build_into, run_cli, snapshot

from sitegen import write
from sitegen.pipeline import PROJECT_DIR
from sitegen.write import MARKER, output_lock, recover_output

# A child build: `python -c CHILD MODE STOP PAUSE build.py-arguments…`.
#   MODE   "exchange" (the one-step swap, where the system has it) or "renames" (the
#          two-rename fallback used elsewhere)
#   STOP   "" to run to the end, or the step at which the child kills itself (see STOPS)
#   PAUSE  seconds to sleep before each file written and (x40) before each step of the
#          swap: it stretches the few milliseconds of writing of the small fixture site,
#          so that kills at random moments land in it often enough; the order of the
#          steps is unchanged
CHILD = """
import os, pathlib, shutil, signal, sys, time
import sitegen.write as write
from sitegen.cli import main

mode, stop, pause, *args = sys.argv[1:]
pause = float(pause)
output = pathlib.Path(args[args.index("--output") + 1]).absolute()
written = 0

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if mode == "renames":
    write._exchange = lambda first, second: False

write_file, rename, exchange = write._write_file, pathlib.Path.rename, write._exchange
write_marker, discard, rmtree = write._write_marker, write._discard, shutil.rmtree

def staged_write_file(path, data):
    global written
    written += 1
    if stop == "staging" and written == 10:
        die()
    time.sleep(pause)
    return write_file(path, data)

def staged_write_marker(folder, sources):
    if stop == "marker":
        die()
    return write_marker(folder, sources)

def staged_rename(self, target):
    if stop == "swap" and pathlib.Path(target) == output and ".new-" in self.name:
        die()  # with "renames": between the two renames, output/ is gone
    time.sleep(pause * 40)
    return rename(self, target)

def staged_exchange(first, second):
    if stop == "swap" and mode == "exchange":
        die()
    time.sleep(pause * 40)
    return exchange(first, second)

def staged_discard(folder):
    if stop == "cleanup":
        die()
    time.sleep(pause * 40)
    return discard(folder)

def staged_rmtree(path, *rest, **options):
    if stop == "cleanup-started":
        die()  # the marker of the old site is gone, its files are not
    return rmtree(path, *rest, **options)

pathlib.Path.rename, write._write_file = staged_rename, staged_write_file
write._write_marker, write._exchange, write._discard = staged_write_marker, staged_exchange, staged_discard
shutil.rmtree = staged_rmtree
sys.exit(main(args))
"""

# Where a stopped build was, and what the next build must make of it.
STOPS = {
    "staging": "old",  # ten files of the new site written
    "marker": "old",  # every file written, but not the marker that says so
    "swap": "old",  # renames: between the two renames; exchange: just before the exchange
    "cleanup": "new",  # swapped, the old site not yet deleted
    "cleanup-started": "new",  # the old site's marker deleted, its files not yet
}

# The fixture site, and a new version of it: a changed title (on many pages) and a new page.
RENAMED = (
    "title: Fraunhofer-Institut für Zelltherapie\n",
    "title: Fraunhofer-Institut für Zelltherapie und Immunologie\n",
)
NEW_PAGE = """---
title: Neues Labor eröffnet
summary: Ein Labor für Zelltherapie nimmt die Arbeit auf.
date: "2024-10-01"
kind: news
actors: [izi]
---
Das [[izi]] eröffnet ein neues Labor.
"""
BROKEN_PAGE = NEW_PAGE.replace("actors: [izi]", "actors: [niemand]")


def use_version(content: Path, version: str) -> None:
    """Make the content folder the "old" (the fixture) or the "new" site."""
    izi = content / "actors/izi.de.md"
    text = izi.read_text(encoding="utf-8")
    old, new = RENAMED if version == "new" else reversed(RENAMED)
    izi.write_text(text.replace(old, new), encoding="utf-8")
    page = content / "news/neu.de.md"
    if version == "new":
        page.write_text(NEW_PAGE, encoding="utf-8")
    else:
        page.unlink(missing_ok=True)


def run_child(mode: str, stop: str, pause: float, content: Path, output: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, stop, str(pause), "--content", str(content), "--output", str(output)],
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def beside(output: Path) -> list[str]:
    """What a build keeps beside the output folder: staging, retired folders, the lock."""
    return sorted(path.name for path in output.parent.glob(f".{output.name}.*"))


def folder_state(folder: Path, sites: dict[str, dict[str, bytes]]) -> str:
    """Which complete site `folder` holds ("old" or "new"), "missing", or "partial"."""
    if not folder.exists():
        return "missing"
    files = snapshot(folder)
    return next((name for name, site in sites.items() if files == site), "partial")


@pytest.fixture
def sites(site_dir, tmp_path) -> dict[str, dict[str, bytes]]:
    """Every file of the old and the new site, from builds nobody stopped."""
    found = {}
    for version in ("new", "old"):  # leaves site_dir at "old"
        use_version(site_dir, version)
        assert build_into(site_dir, tmp_path / f"reference-{version}").written
        found[version] = snapshot(tmp_path / f"reference-{version}")
    assert found["old"] != found["new"] and set(found["old"]) != set(found["new"])
    return found


def test_a_build_killed_at_random_moments_leaves_the_old_or_the_new_site(site_dir, tmp_path, sites):
    output = tmp_path / "output"
    assert build_into(site_dir, output).written
    # How long one build takes, start to end, in the same child that is killed below.
    started = time.perf_counter()
    use_version(site_dir, "new")
    done = run_child("exchange", "", 0.003, site_dir, tmp_path / "timed")
    assert done.wait(timeout=120) == 0, done.stderr.read()
    duration = time.perf_counter() - started
    assert folder_state(tmp_path / "timed", sites) == "new"
    use_version(site_dir, "old")

    chance = random.Random(20240909)
    landed = Counter()
    current = "old"
    for attempt in range(30):
        mode = ("exchange", "renames")[attempt % 2]
        # Half the kills at any moment of the build, half in its last part, where it writes.
        earliest = 0.6 * duration if attempt % 4 >= 2 else 0
        wanted = "new" if current == "old" else "old"
        use_version(site_dir, wanted)
        child = run_child(mode, "", 0.003, site_dir, output)
        try:
            child.wait(timeout=chance.uniform(earliest, 1.1 * duration))
            killed = False
        except subprocess.TimeoutExpired:
            child.kill()
            killed = True
        child.wait(timeout=60)
        child.stderr.close()

        # Right after the kill: output/ is one of the two sites, or (only between the two
        # renames) missing while the old site waits complete beside it.
        state = folder_state(output, sites)
        left = [output.parent / name for name in beside(output) if not name.endswith(".lock")]
        complete = {folder_state(folder, sites) for folder in left if (folder / MARKER).exists()}
        if state == "missing":
            assert mode == "renames" or write._renameat2 is None, "the exchange never leaves output/ missing"
            assert current in complete, f"attempt {attempt}: output/ is missing and so is the old site"
            landed["between the renames"] += 1
        else:
            assert state in (current, wanted), f"attempt {attempt}: output/ holds a mix of sites"
            assert complete <= {current, wanted}
            if not killed:
                landed["not killed: the build had finished"] += 1
            elif not left:
                landed["before writing" if state == current else "after writing"] += 1
            elif state == current:
                landed["while staging" if not complete else "staged, before the swap"] += 1
            else:
                landed["after the swap, cleaning up"] += 1

        # What the next build does first: afterwards output/ is whole and nothing is left.
        recover_output(output)
        recovered = folder_state(output, sites)
        assert recovered == (current if state == "missing" else state)
        assert beside(output) == []
        current = recovered

    print(f"\n{sum(landed.values())} builds, one takes {duration:.2f} s; stopped:", dict(landed))
    done = run_cli("--content", str(site_dir), "--output", str(output))
    assert done.returncode == 0, done.stderr
    assert folder_state(output, sites) == wanted
    assert beside(output) == []


@pytest.mark.parametrize(
    ("stop", "mode"),
    [*((stop, "exchange") for stop in STOPS), ("swap", "renames"), ("cleanup", "renames")],
)
def test_a_build_killed_at_each_step_is_recovered(site_dir, tmp_path, sites, stop, mode):
    output = tmp_path / "output"
    assert build_into(site_dir, output).written
    use_version(site_dir, "new")
    child = run_child(mode, stop, 0, site_dir, output)
    assert child.wait(timeout=120) == -9, child.stderr.read()
    child.stderr.close()

    left = {name.split("-")[0]: output.parent / name for name in beside(output)}
    if stop == "swap" and mode == "renames":
        # The one moment without output/: both sites are complete beside it.
        assert not output.exists()
        assert folder_state(left[".output.old"], sites) == "old"
        assert folder_state(left[".output.new"], sites) == "new"
    else:
        assert folder_state(output, sites) == STOPS[stop]
    # Pages are written before the lock is taken; from the marker on, a killed build
    # cannot remove the lock file, but the system has released the lock.
    assert (".output.lock" in left) == (stop != "staging")

    # The next build finds an error and writes nothing, yet output/ is whole again.
    (site_dir / "news/kaputt.de.md").write_text(BROKEN_PAGE, encoding="utf-8")
    assert not build_into(site_dir, output).written
    assert folder_state(output, sites) == STOPS[stop]
    assert beside(output) == []

    (site_dir / "news/kaputt.de.md").unlink()
    assert build_into(site_dir, output).written
    assert folder_state(output, sites) == "new"
    assert beside(output) == []


def test_recovery_touches_only_what_a_build_left(site_dir, tmp_path, sites):
    output = tmp_path / "output"
    assert build_into(site_dir, output).written
    ours = [".output.new-abcd1234", ".output.old-x_y_z_00"]
    others = [".output.new-short", ".output.old-abcdefghi", ".outputs.new-abcd1234", ".other.old-abcd1234"]
    for name in ours + others:
        (tmp_path / name / "de").mkdir(parents=True)
        (tmp_path / name / "de/index.html").write_text("kept?")
    (tmp_path / ".output.new-file0000").write_text("a file, not a folder")
    (tmp_path / ".output.new-link0000").symlink_to(tmp_path / ".other.old-abcd1234")

    use_version(site_dir, "new")
    assert build_into(site_dir, output).written
    assert folder_state(output, sites) == "new"
    assert beside(output) == sorted([".output.new-file0000", ".output.new-link0000", *others[:2]])
    assert all((tmp_path / name / "de/index.html").read_text() == "kept?" for name in others)


def test_recovery_leaves_the_folder_of_a_running_build_alone(site_dir, tmp_path, sites):
    output = tmp_path / "output"
    running = write.Staging(output)  # another build, still rendering and writing pages
    running.write({"de/index.html": b"<p>half a site</p>"})
    assert build_into(site_dir, output).written
    assert folder_state(output, sites) == "old"
    assert (running.folder / "de/index.html").read_bytes() == b"<p>half a site</p>"
    assert beside(output) == [running.folder.name]
    running.discard()  # that build found an error
    assert beside(output) == []


def test_without_output_the_retired_site_comes_back_before_a_staged_one(tmp_path, site_dir, sites):
    output = tmp_path / "output"
    assert build_into(site_dir, output).written
    output.rename(tmp_path / ".output.old-aaaaaaaa")
    use_version(site_dir, "new")
    assert build_into(site_dir, tmp_path / ".output.new-bbbbbbbb").written
    recover_output(output)
    assert folder_state(output, sites) == "old"
    assert beside(output) == []

    # Only a complete staged site (the first build, stopped before its rename): it is used.
    assert build_into(site_dir, tmp_path / "staged").written
    (tmp_path / "staged").rename(tmp_path / ".fresh.new-cccccccc")
    recover_output(tmp_path / "fresh")
    assert folder_state(tmp_path / "fresh", sites) == "new"


def test_builds_started_together_take_turns(site_dir, tmp_path, sites):
    """Two builds of different sites into one folder: both succeed, one whole site stays."""
    other = tmp_path / "other-content"
    shutil.copytree(site_dir, other)
    use_version(other, "new")
    assert build_into(other, tmp_path / "reference-other").written
    sites = {"old": sites["old"], "new": snapshot(tmp_path / "reference-other")}
    output = tmp_path / "output"
    for _ in range(2):
        children = [run_child("exchange", "", 0.002, content, output) for content in (site_dir, other)]
        for child in children:
            assert child.wait(timeout=120) == 0, child.stderr.read()
            child.stderr.close()
        assert folder_state(output, sites) in ("old", "new")
        assert beside(output) == []


def test_a_build_waits_while_another_writes(site_dir, tmp_path, sites):
    output = tmp_path / "output"
    held, release = threading.Event(), threading.Event()

    def other_build():
        with output_lock(output):
            held.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=other_build)
    holder.start()
    held.wait(timeout=10)
    threading.Timer(1.0, release.set).start()
    started = time.perf_counter()
    result = build_into(site_dir, output)
    holder.join()
    assert result.written, [str(p) for p in result.problems.errors]
    assert time.perf_counter() - started >= 1.0
    assert folder_state(output, sites) == "old"
    assert beside(output) == []


def test_a_build_that_waits_too_long_says_why(site_dir, tmp_path, sites, monkeypatch):
    output = tmp_path / "output"
    assert build_into(site_dir, output).written
    use_version(site_dir, "new")
    monkeypatch.setattr(write, "LOCK_WAIT", 0.3)
    with output_lock(output):
        result = build_into(site_dir, output)
    assert not result.written
    assert [str(p) for p in result.problems.errors] == [
        f"{output}: another build is writing this folder — wait for it to finish or choose another --output"
    ]
    assert folder_state(output, sites) == "old"


def test_the_command_line_reports_a_busy_folder(site_dir, tmp_path):
    """As a user sees it: the message, exit status 1, no traceback."""
    short_wait = (
        "import sys, sitegen.write; sitegen.write.LOCK_WAIT = 0.3; from sitegen.cli import main; sys.exit(main())"
    )
    with output_lock(tmp_path / "output"):
        done = subprocess.run(
            [sys.executable, "-c", short_wait, "--content", str(site_dir), "--output", "output"],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert "output: another build is writing this folder — wait for it to finish or choose another --output" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "output").exists()


def test_the_lock_is_held_by_one_build_at_a_time(tmp_path):
    """Each holder removes the lock file as it lets go; those that waited on the removed
    file must notice and lock the new one, not hold the lock beside it."""
    output = tmp_path / "output"
    inside, most = [], []

    def hold():
        for _ in range(5):
            with output_lock(output, wait=30):
                inside.append(1)
                most.append(len(inside))
                time.sleep(0.005)
                inside.pop()

    workers = [threading.Thread(target=hold) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(most) == 30 and max(most) == 1
    assert beside(output) == []

"""The only code that touches output/: build the new site aside, then swap it in whole.

Input: the rendered files (site path → bytes). The new site is written into a fresh
folder beside output/ (`.output.new-XXXXXXXX`) and then put in place, so a visitor or a
preview server never sees a half-written site, a build with errors writes nothing,
and files of pages that no longer exist are gone with the old folder.

A file whose bytes are those of the same file in the last build is not written again:
the new folder gets a hard link to it, so it keeps its modification time and deploy
tools see only the files that really changed.

The order of steps is what makes an interrupted build harmless:

1. Stage: when the build starts it makes the new folder (`Staging`) and holds an `flock`
   on it for as long as it runs, so that recovery in another build leaves it alone. Each
   page is written into it as soon as it is rendered, by the process that rendered it;
   the other files follow when all is rendered. A build with errors deletes the folder.
2. Lock: for the last steps a build holds `.output.lock` beside output/, so two builds
   into the same folder take turns; one that waits too long gives up with
   `OutputBusyError`.
3. Recover: whatever an earlier, interrupted build left beside output/ is put right
   (`recover_output`) — a missing output/ gets its last complete site back, and
   unfinished or retired folders no running build holds are deleted.
4. Mark: the marker file is written last, so a folder with a marker is a complete site
   and one without is unfinished.
5. Swap: on Linux one `renameat2(RENAME_EXCHANGE)` trades the two folders at once;
   elsewhere two renames (output/ → `.output.old-XXXXXXXX`, new → output/) leave a moment
   without output/, which step 3 of the next build repairs from the retired copy.
6. Delete the old site, its marker first, so a half-deleted folder never looks complete.

This holds when a build is stopped (Ctrl-C, kill, a crash), not when the machine loses
power: the files are not synced to disk (`fsync`), which on a large site would cost
more than the guarantee is worth for a folder that the next build rewrites anyway.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: builds into the same folder are not kept apart
    fcntl = None

# Marks a folder as made by this generator, so replacing it cannot destroy other work.
MARKER = ".sitegen-output"

# How long a build waits for another one writing the same output folder (seconds).
LOCK_WAIT = 60.0

# Names of the folders a build makes beside output/, after ".<output's name>" (tempfile's
# eight random characters).
_LEFTOVER = re.compile(r"\.(?:new|old)-[a-z0-9_]{8}")


class UnsafeOutputError(Exception):
    """The output folder must not be replaced: what is wrong and what to do instead."""

    def __init__(self, path: Path, what: str, how: str):
        super().__init__(f"{path}: {what} — {how}")
        self.path, self.what, self.how = path, what, how


class OutputBusyError(UnsafeOutputError):
    """Another build held the output folder for longer than this one would wait."""

    def __init__(self, path: Path):
        super().__init__(
            path, "another build is writing this folder", "wait for it to finish or choose another --output"
        )


def check_output_dir(output_dir: Path, protected: list[Path], content_dir: Path) -> None:
    """Refuse an output folder whose replacement would delete something of value.

    `protected` folders must not be the output folder or inside it; the output folder
    must not be inside `content_dir`, where it would be read as content.
    """
    target = output_dir.resolve()
    if target == Path(target.anchor) or target == Path.home().resolve():
        raise UnsafeOutputError(
            output_dir, "refusing to replace this folder", "choose a folder of its own, e.g. output/"
        )
    for keep in (*protected, content_dir):
        if keep.resolve().is_relative_to(target):
            raise UnsafeOutputError(
                output_dir, f"replacing it would delete {keep}", "choose a separate folder, e.g. output/"
            )
    if target.is_relative_to(content_dir.resolve()):
        raise UnsafeOutputError(
            output_dir, "the output folder is inside the content folder", "choose a folder outside it, e.g. output/"
        )
    if target.exists() and not target.is_dir():
        raise UnsafeOutputError(output_dir, "exists and is not a folder", "remove it or choose another output folder")
    _refuse_foreign(output_dir)


def _refuse_foreign(output_dir: Path) -> None:
    if output_dir.is_dir() and any(output_dir.iterdir()) and not (output_dir / MARKER).exists():
        raise UnsafeOutputError(
            output_dir,
            "the folder holds files this generator did not write",
            "empty it or choose another output folder",
        )


Signature = tuple[int, int, int]  # a written file's size, modification time and inode


def signature(stat: os.stat_result) -> Signature:
    """What `store.output_signature` records of a file, from its `os.stat`."""
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


class _OnDisk:
    """Stands for the bytes of a page a worker wrote into the staging folder, in the files
    it sends back to the build (see render.render_pages)."""

    def __reduce__(self) -> str:
        return "ON_DISK"  # the one object, in every process

    def __repr__(self) -> str:
        return "ON_DISK"


ON_DISK: Any = _OnDisk()


class Staging:
    """The new site, written beside output/ while the build still renders it.

    A build makes it when it starts, so that each page is written as soon as it is
    rendered, by whichever process rendered it; `publish` then writes the rest and swaps
    the folder in place of output/. While the build runs it holds an `flock` on the
    folder itself: recovery in another build leaves a folder held that way alone, and the
    system lets go of it when the build (with all its processes) ends or is killed, so a
    dead build's folder is deleted as before.
    """

    def __init__(self, output_dir: Path):
        self.output_dir = output_dir.absolute()
        self.output_dir.parent.mkdir(parents=True, exist_ok=True)
        # Made and held under the output lock, so no recovery sees it unheld.
        with output_lock(self.output_dir):
            self.folder = Path(tempfile.mkdtemp(prefix=f".{self.output_dir.name}.new-", dir=self.output_dir.parent))
            self._handle = hold(self.folder)
        self._made = {self.folder}
        self._helper: subprocess.Popen | None = None
        self._prepared: set[str] = set()
        self.written: dict[str, Signature] = {}  # by this process, or handed to it by `add`

    def prepare(self, folders: Iterable[str]) -> None:
        """Start making `folders` (site paths) in another process while the build goes on.

        Making thousands of folders is mostly the system's work (0.7 s for 10,000 here),
        and the build has a core to spare while it loads, and for a while after it has
        converted the bodies; given the folders of the last build's files, or of the
        pages to come, most of the pages find their folders made. Those left empty are
        removed in `publish`. Once per build: a second call does nothing.
        """
        if self._helper is not None:
            return
        wanted = set()
        for folder in folders:
            path = PurePosixPath(folder)
            if folder and not path.is_absolute() and ".." not in path.parts:
                wanted |= _with_parents(folder)
        if not wanted:
            return
        paths = b"\0".join(os.fsencode(self.folder / folder) for folder in sorted(wanted))
        try:
            helper = subprocess.Popen([sys.executable, "-I", "-S", "-c", _MAKE_FOLDERS], stdin=subprocess.PIPE)
        except OSError:  # no process to spare: the pages make their folders themselves
            return
        self._helper, self._prepared = helper, wanted
        # A helper that is gone has made fewer folders, that is all.
        with suppress(OSError), helper.stdin:
            helper.stdin.write(paths)

    def write(self, files: Mapping[str, bytes]) -> dict[str, Signature]:
        """Write `files` (site path → bytes) into the folder; their signatures.

        A file whose bytes are those of the same file in output/ becomes a second name
        of it (see `_keep_unchanged`). Safe to call from a forked worker process: what
        it wrote goes back to the build, which passes it to `add`.
        """
        signatures = {}
        for name, data in files.items():
            path = self.folder / name
            if path.parent not in self._made:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(path.parent)
            stat = _keep_unchanged(self.output_dir / name, path, data) or _write_file(path, data)
            signatures[name] = signature(stat)
        self.written.update(signatures)
        return signatures

    def add(self, signatures: Mapping[str, Signature]) -> None:
        """Files another process wrote into the folder."""
        self.written.update(signatures)

    def publish(self, files: dict[str, bytes], sources: Mapping[str, str]) -> dict[str, Signature]:
        """Write those of `files` not written yet, then put the folder in place of output/.

        The marker also records which source file each page came from (`sources`), so
        `check` can name it beside a problem it finds in the built page. While another
        build swaps its own site in this one waits, up to `LOCK_WAIT` seconds, then
        raises `OutputBusyError`. Returns every file of the new output/ by its path,
        with its signature: what `store.output_signature` finds there.
        """
        try:
            self.write({name: data for name, data in sorted(files.items()) if name not in self.written})
            self._stop_helper()
            self._remove_unused()
            os.chmod(self.folder, 0o755)
            with output_lock(self.output_dir):
                _recover(self.output_dir)
                # Checked again now that no other build can change the folder.
                _refuse_foreign(self.output_dir)
                _write_marker(self.folder, sources)
                self.written[MARKER] = signature(os.stat(self.folder / MARKER))
                _swap(self.folder, self.output_dir)
        except BaseException:
            self.discard()
            raise
        self._let_go()
        return {f"{self.output_dir}/{name}": written for name, written in self.written.items()}

    def discard(self) -> None:
        """Delete the folder: the build wrote nothing to output/."""
        self._stop_helper(kill=True)
        _discard(self.folder)
        self._let_go()

    def _stop_helper(self, kill: bool = False) -> None:
        if self._helper is not None:
            if kill:
                self._helper.kill()
            self._helper.wait()
            self._helper = None

    def _remove_unused(self) -> None:
        """Remove the prepared folders no file went into, the deepest first."""
        used = set()
        for name in self.written:
            used |= _with_parents(name.rpartition("/")[0])
        for folder in sorted(self._prepared - used, key=lambda folder: folder.count("/"), reverse=True):
            with suppress(OSError):
                os.rmdir(self.folder / folder)

    def _let_go(self) -> None:
        if self._handle is not None:
            let_go(self._handle)
            self._handle = None


def _with_parents(folder: str) -> set[str]:
    """A folder (a site path) and the folders it is in: "a/b" → {"a", "a/b"}; "" → set()."""
    parts = folder.split("/") if folder else []
    return {"/".join(parts[:end]) for end in range(1, len(parts) + 1)}


# `Staging.prepare`'s helper: makes the folders it reads (parents first, NUL-separated)
# and stops when the staging folder is gone (the build was stopped and tidied up).
_MAKE_FOLDERS = """
import os, sys
for path in sys.stdin.buffer.read().split(b"\\0"):
    try:
        os.mkdir(path)
    except FileExistsError:
        pass
    except OSError:
        break
"""


# The handles of the folders this process holds (`hold`).
_HELD: set[int] = set()


def hold(folder: Path) -> int | None:
    """Lock `folder` as in use by this build; the open handle that holds the lock (the
    system lets go of it when every process that has the handle has ended, or closed it:
    `let_go`)."""
    if fcntl is None:
        return None
    handle = os.open(folder, os.O_RDONLY)
    fcntl.flock(handle, fcntl.LOCK_EX)
    _HELD.add(handle)
    return handle


def let_go(handle: int) -> None:
    """Close a handle `hold` gave."""
    _HELD.discard(handle)
    os.close(handle)


def let_go_of_all() -> None:
    """In a process forked from the build that writes none of the folders it holds: close
    this process's copies of their handles, so that the folders are free once the build
    has ended (or was stopped), whether this process has ended or not."""
    for handle in list(_HELD):
        let_go(handle)


def in_use(folder: Path) -> bool:
    """Whether a running build holds `folder` (see `hold`)."""
    if fcntl is None:
        return False
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(handle)
    return False


def write_site(
    files: Mapping[str, bytes], output_dir: Path, sources: Mapping[str, str] | None = None
) -> dict[str, Signature]:
    """Write `files` into a new folder and swap it in place of `output_dir` (see
    `Staging.publish`)."""
    return Staging(output_dir).publish(files, sources or {})


def _write_file(path: Path, data: bytes) -> os.stat_result:
    """Write `data` as a new file at `path`; its stat."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
    try:
        write_all(handle, data)
        return os.fstat(handle)
    finally:
        os.close(handle)


def write_all(handle: int, data: bytes) -> None:
    """Write all of `data` to the open file `handle` (`os.write` may write less)."""
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


def _keep_unchanged(old: Path, new: Path, data: bytes) -> os.stat_result | None:
    """Put the file of the last build at `new` when it holds `data` already, as a second
    name of it (a hard link): its modification time stays, so tools that upload what
    changed (rsync, most deploy tools) leave it alone. Its stat, or None when it must be
    written."""
    try:
        stat = os.stat(old, follow_symlinks=False)
        if stat.st_size != len(data) or old.read_bytes() != data:
            return None
        os.link(old, new, follow_symlinks=False)
    except OSError:  # no such file, or a file system without hard links
        return None
    return stat


def _write_marker(folder: Path, sources: Mapping[str, str]) -> None:
    # Written last: its presence is what tells recovery that the folder is complete.
    marker = {
        "about": "Made by the site generator; this folder is replaced on every build.",
        "sources": dict(sorted(sources.items())),
    }
    (folder / MARKER).write_text(json.dumps(marker, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _swap(staging: Path, output_dir: Path) -> None:
    try:
        if not os.path.lexists(output_dir):
            staging.rename(output_dir)
            return
        if _exchange(staging, output_dir):
            _discard(staging)  # it holds the old site now
            return
        retired = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.old-", dir=output_dir.parent))
        retired.rmdir()
        output_dir.rename(retired)
    except BaseException:
        _discard(staging)
        raise
    # A build stopped here leaves no output/; the next one puts `retired` back (`_recover`).
    try:
        staging.rename(output_dir)
    except BaseException:
        retired.rename(output_dir)  # put the last good site back
        _discard(staging)
        raise
    _discard(retired)


def _find_renameat2():
    if not sys.platform.startswith("linux"):
        return None
    function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)  # glibc 2.28 and later
    if function is not None:
        function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        function.restype = ctypes.c_int
    return function


_renameat2 = _find_renameat2()
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(first: Path, second: Path) -> bool:
    """Trade two paths in one step; False where the system or file system cannot."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # an old kernel, or a file system without it
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def _discard(folder: Path) -> None:
    """Delete a retired or unfinished folder; it loses its marker first, so that a folder
    half deleted is never taken for a complete site."""
    with suppress(OSError):
        if folder.is_symlink():
            folder.unlink()
            return
        (folder / MARKER).unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)


def lock_path(output_dir: Path) -> Path:
    """The lock file of `output_dir`: beside it, since the folder itself is replaced."""
    return output_dir.parent / f".{output_dir.name}.lock"


@contextmanager
def output_lock(output_dir: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the lock of `output_dir` for as long as the `with` block runs.

    Waits up to `wait` seconds (default `LOCK_WAIT`) while another build holds it, then
    raises `OutputBusyError`. The lock is an `flock` on a file beside the folder, so the
    system releases it when a build is killed. The holder removes the file before letting
    go; a build that waited on the removed file sees that it was replaced and locks the
    current one instead.
    """
    if fcntl is None:
        yield
        return
    path = lock_path(output_dir.absolute())
    deadline = time.monotonic() + (LOCK_WAIT if wait is None else wait)
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not _flock_before(handle, deadline):
                raise OutputBusyError(output_dir)
            if _is_current(handle, path):
                break
        except BaseException:
            os.close(handle)
            raise
        os.close(handle)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)  # while still holding it, see above
        os.close(handle)


def _flock_before(handle: int, deadline: float) -> bool:
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(0.05, left))


def _is_current(handle: int, path: Path) -> bool:
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(handle)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def recover_output(output_dir: Path) -> None:
    """Put right what an interrupted build left beside `output_dir` (see `_recover`).

    Does nothing while another build holds the folder: that build recovers it itself.
    """
    output_dir = output_dir.absolute()
    if not output_dir.parent.is_dir():
        return
    with suppress(OutputBusyError), output_lock(output_dir, wait=0):
        _recover(output_dir)


def _recover(output_dir: Path) -> None:
    """With the lock held: give a missing `output_dir` its last complete site back, then
    delete every folder an interrupted build left beside it.

    Only a build stopped between the two renames of `_swap` leaves no output/; it leaves
    the retired old site and the complete new one. The old one goes back: the stopped
    build never said it succeeded, so the old site is the last good one.
    """
    leftovers = _leftovers(output_dir)
    if not os.path.lexists(output_dir):
        complete = [folder for folder in leftovers if (folder / MARKER).is_file()]
        retired = [folder for folder in complete if folder.name.startswith(f".{output_dir.name}.old-")]
        chosen = max(retired or complete, key=lambda folder: (folder / MARKER).stat().st_mtime, default=None)
        if chosen is not None:
            chosen.rename(output_dir)
            leftovers.remove(chosen)
    for folder in leftovers:
        _discard(folder)


def _leftovers(output_dir: Path) -> list[Path]:
    """The staging and retired folders of `output_dir` — by name, never anything else —
    that no running build holds."""
    prefix = f".{output_dir.name}"
    with os.scandir(output_dir.parent) as entries:
        return sorted(
            Path(entry.path)
            for entry in entries
            if entry.name.startswith(prefix)
            and _LEFTOVER.fullmatch(entry.name, len(prefix))
            and entry.is_dir(follow_symlinks=False)
            and not in_use(Path(entry.path))
        )


# A fixed time for every zip entry, so the same site gives the same zip, byte for byte.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def write_zip(files: Mapping[str, bytes], zip_path: Path, folder: str) -> None:
    """The site as a zip with one top folder, written aside and renamed into place.

    Entries are sorted and carry a fixed date, so packing the same site twice gives the
    same bytes.
    """
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{zip_path.name}.", dir=zip_path.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                entry = zipfile.ZipInfo(f"{folder}/{name}", date_time=_ZIP_TIME)
                entry.external_attr = 0o644 << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, files[name])
        os.replace(temporary, zip_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_sources(output_dir: Path) -> dict[str, str]:
    """The page → source file record a build left in its marker file ({} if none)."""
    try:
        return json.loads((output_dir / MARKER).read_text(encoding="utf-8")).get("sources", {})
    except (OSError, ValueError, AttributeError):
        return {}

"""What a build keeps on disk for the next one, in the cache folder (`.sitegen-cache/`).

These files, only ever read by this generator:

- `files.pickle`: every content file as the last build read and checked it, with what
  it found wrong, by its path, size, times and inode (memo.py's `FileEntry`), with the
  fingerprint of a translation source's text once worked out. A build in a new process
  parses only the files that changed.
- `markdown.pickle`: every body converted by the last good build, by what it was made
  from (its text's digest, its address, its language, the kind of links) and with the
  titles and addresses of the pages it links to, which are compared before an entry is
  used (model.py). A build in a new process converts only the bodies that changed.
- `pages.pickle` and a folder `pages-XXXXXXXX`: every page of the last good build, by a
  digest of everything its template received (render.py). A page whose digest is
  unchanged is not rendered again. The pages the build's workers rendered are in the
  folder, a file per worker (`PageShards`); the pages file holds the others and names
  the folder.
- `pictures.pickle`: the network pictures, their layout and labels placed, by a digest
  of the nodes and edges they show (render.py's `SiteRenderer.network`).
- `search.pickle`: each page's entry in the search files, by its address, title,
  summary and a digest of its text (search.py).
- `sort-keys.pickle`: the sort key of every title and city (render.py's `collation_key`).
- `stamp.pickle`: a digest of everything the last good build read (each input file's
  size, times and inode; the options; the generator's own code) and of the output folder
  it wrote, with what it reported. A build whose inputs and output folder are both
  unchanged has nothing to do: it reports the same again and leaves output/ as it is.

All are keyed by the generator's version (`code_version`: its source and the versions of
the libraries that shape the HTML), so a new generator starts afresh. A cache file that
cannot be read is ignored and replaced: the cache only ever saves time. It is pickle, so
the cache folder must be as trusted as the code: it is the project's own, like output/.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from contextlib import suppress
from importlib.metadata import version
from pathlib import Path
from typing import Any

from .memo import RACY_SECONDS, FileEntry, Memo
from .write import ON_DISK, hold, in_use, let_go, signature, write_all

FILES_FILE = "files.pickle"
MARKDOWN_FILE = "markdown.pickle"
PAGES_FILE = "pages.pickle"
PICTURES_FILE = "pictures.pickle"
SEARCH_FILE = "search.pickle"
SORT_KEYS_FILE = "sort-keys.pickle"
STAMP_FILE = "stamp.pickle"
_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def code_version() -> str:
    """A digest of the generator's code and of the libraries whose output it writes."""
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(_PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for library in ("markdown", "nh3", "jinja2", "babel", "pyyaml", "networkx", "numpy", "pyuca"):
        digest.update(f"{library}={version(library)}\0".encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _read(path: Path) -> Any:
    """The value pickled at `path` for this version of the generator, or None."""
    try:
        with open(path, "rb") as handle:
            stored = pickle.load(handle)
    except Exception:  # missing, cut short, from another Python: the cache only saves time
        return None
    if not isinstance(stored, tuple) or len(stored) != 2 or stored[0] != code_version():
        return None
    return stored[1]


def _write(path: Path, value: Any) -> None:
    """Pickle `value` at `path`, aside first, so a stopped build leaves the old file whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump((code_version(), value), out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- what was read, and tables that only grow ---------------------------------------------


def load_files(cache_dir: Path, files: dict[str, FileEntry]) -> int:
    """Add the content files the last good build read (memo.py's `BuildCache.files`)."""
    return _load_table(cache_dir / FILES_FILE, files)


def save_files(cache_dir: Path, files: Mapping[str, FileEntry]) -> None:
    _write(cache_dir / FILES_FILE, dict(files))


def _load_table(path: Path, table: dict) -> int:
    """Add the entries kept at `path` to `table`; how many there were."""
    entries = _read(path)
    if not isinstance(entries, dict):
        return 0
    table.update(entries)
    return len(entries)


def save_sort_keys(cache_dir: Path, keys: Mapping[str, Any]) -> None:
    _write(cache_dir / SORT_KEYS_FILE, dict(keys))


def load_sort_keys(cache_dir: Path, keys: dict[str, Any]) -> int:
    return _load_table(cache_dir / SORT_KEYS_FILE, keys)


def load_pictures(cache_dir: Path, memo: Memo) -> int:
    """Give `memo` the network pictures the last good build drew; how many there were."""
    return _offer(cache_dir / PICTURES_FILE, memo)


def save_pictures(cache_dir: Path, memo: Memo, kinds: tuple[str, ...]) -> None:
    """Keep the entries of `memo` this build used whose keys start with one of `kinds`."""
    entries = {key: value for key, value in memo.items() if isinstance(key, tuple) and key and key[0] in kinds}
    _write(cache_dir / PICTURES_FILE, entries)


def load_search(cache_dir: Path, memo: Memo) -> int:
    """Give `memo` the search entries the last good build made; how many there were."""
    return _offer(cache_dir / SEARCH_FILE, memo)


def save_search(cache_dir: Path, memo: Memo) -> None:
    _write(cache_dir / SEARCH_FILE, dict(memo.items()))


# -- converted Markdown ---------------------------------------------------------------


def _offer(path: Path, memo: Memo) -> int:
    """Give `memo` the entries kept at `path` for the next build; how many there were."""
    entries: dict = {}
    found = _load_table(path, entries)
    memo.offer(entries)
    return found


def load_markdown(cache_dir: Path, memo: Memo) -> int:
    """Give `memo` the conversions the last good build kept; how many there were."""
    return _offer(cache_dir / MARKDOWN_FILE, memo)


def save_markdown(cache_dir: Path, memo: Memo) -> None:
    """Keep the conversions this build used, and only those."""
    _write(cache_dir / MARKDOWN_FILE, dict(memo.items()))


# -- rendered pages --------------------------------------------------------------------


class PageShards:
    """The cache entries of the pages a build's workers render, kept by each worker in a
    file of its own as it renders them: the build process neither gets their bytes back
    nor pickles them (a second of a cold build at 5,000 actors, and the 220 MB the pages
    took at its end).

    The build makes the folder `.pages-XXXXXXXX` in the cache folder when it starts and
    holds it (`write.hold`) while it runs; `keep` gives it its final name, which the pages
    file then names. A folder a build left behind, stopped before that, is not held any
    more: the next build that saves its pages deletes it, with the folders of the pages
    files before.
    """

    def __init__(self, cache_dir: Path) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=".pages-", dir=cache_dir))
        self._handle = hold(self.folder)
        self._kept = False
        self._out: tuple[int, int] | None = None  # this process's id and its file's handle

    def add(self, entries: list[tuple[str, Any]]) -> None:
        """Keep the entries of a page; in the process that rendered it. Each is written
        at once, so a worker that is renewed or ends loses nothing."""
        process = os.getpid()
        if self._out is None or self._out[0] != process:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
            self._out = (process, os.open(self.folder / str(process), flags, 0o644))
            write_all(self._out[1], pickle.dumps(code_version()))
        write_all(self._out[1], pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL))

    def keep(self) -> str:
        """Give the folder its final name (the build went well); that name."""
        kept = self.folder.with_name(self.folder.name[1:])
        os.rename(self.folder, kept)
        self.folder, self._kept = kept, True
        return kept.name

    def close(self) -> None:
        """Let go of the folder; unless it was kept, delete it."""
        if not self._kept:
            shutil.rmtree(self.folder, ignore_errors=True)
        if self._handle is not None:
            let_go(self._handle)
            self._handle = None


def load_pages(cache_dir: Path, memo: Memo) -> int:
    """Give `memo` the pages the last good build rendered, by the digest of what each was
    made from (render.py's `_cache_key`); how many there were."""
    stored = _read(cache_dir / PAGES_FILE)
    if not isinstance(stored, dict) or not isinstance(stored.get("entries"), dict):
        return 0
    entries = stored["entries"]
    folder = stored.get("shards")
    if isinstance(folder, str) and folder == Path(folder).name:
        with suppress(OSError):
            for path in sorted((cache_dir / folder).iterdir()):
                entries.update(_read_shard(path))
    memo.offer(entries)
    return len(entries)


def _read_shard(path: Path) -> dict[str, Any]:
    """The entries a worker kept in `path` (`PageShards.add`); those before a part that
    cannot be read."""
    entries: dict[str, Any] = {}
    with suppress(Exception), open(path, "rb") as handle:
        if pickle.load(handle) != code_version():
            return entries
        while True:
            try:
                entries.update(pickle.load(handle))
            except EOFError:
                break
    return entries


def save_pages(cache_dir: Path, memo: Memo, shards: PageShards | None = None) -> None:
    """Keep the pages this build rendered or reused, and only those: the pages file holds
    those this process has the bytes of, and names the folder of those the workers kept
    (`shards`); the folders of earlier builds are deleted."""
    entries = {key: value for key, value in memo.items() if isinstance(key, str) and not _on_disk(value)}
    folder = shards.keep() if shards is not None else None
    _write(cache_dir / PAGES_FILE, {"entries": entries, "shards": folder})
    with os.scandir(cache_dir) as found:
        for entry in found:
            old = entry.name.startswith("pages-") and entry.name != folder
            left = entry.name.startswith(".pages-") and not in_use(Path(entry.path))
            if (old or left) and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)


def _on_disk(value: Any) -> bool:
    """Whether a page's entry stands for one a worker wrote and kept (see render_pages)."""
    return isinstance(value, tuple) and isinstance(value[0], dict) and ON_DISK in value[0].values()


# -- the stamp of the last good build ------------------------------------------------


def inputs_digest(folders: Iterable[Path], settings: Any) -> str | None:
    """A digest of every file under `folders` (by size, times and inode) and of `settings`,
    or None when a file was modified so recently that another change in the same clock
    tick could go unseen."""
    now = time.time()
    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr((code_version(), os.getcwd(), settings)).encode())
    for folder in folders:
        digest.update(f"\0{folder}\0".encode())
        for path, stat in _walk(folder):
            if now - stat.st_mtime < RACY_SECONDS:
                return None
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ctime_ns}\0{stat.st_ino}\0".encode())
    return digest.hexdigest()


def output_signature(output_dir: Path) -> dict[str, tuple[int, int, int]]:
    """Every file of the output folder by its path, with its size, modification time and inode."""
    return {path: signature(stat) for path, stat in _walk(output_dir)}


def _walk(folder: Path) -> list[tuple[str, os.stat_result]]:
    """Every entry under `folder` that is not a folder, with its stat (symbolic links followed)."""
    found, todo = [], [str(folder)]
    while todo:
        current = todo.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir():
                            todo.append(entry.path)
                        else:
                            found.append((entry.path, entry.stat()))
                    except OSError:
                        found.append((entry.path, os.lstat(entry.path)))
        except OSError:
            found.append((current, os.stat_result((0,) * 10)))  # unreadable: the build reports it
    found.sort(key=lambda item: item[0])
    return found


def read_stamp(cache_dir: Path) -> Mapping[str, Any] | None:
    stamp = _read(cache_dir / STAMP_FILE)
    return stamp if isinstance(stamp, dict) else None


def write_stamp(
    cache_dir: Path, inputs: str, output: Mapping[str, tuple[int, int, int]], report: Mapping[str, Any]
) -> None:
    """Record the inputs and the `output_signature` of the build that just wrote its folder."""
    _write(cache_dir / STAMP_FILE, {"inputs": inputs, "output": dict(output), "report": dict(report)})


def forget_stamp(cache_dir: Path) -> None:
    (cache_dir / STAMP_FILE).unlink(missing_ok=True)

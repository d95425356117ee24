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
- `pages.pickle`: every page of the last good build, by a digest of everything its
  template received (render.py). A page whose digest is unchanged is not rendered again.
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
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

from .memo import RACY_SECONDS, FileEntry, Memo
from .write import signature

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


def load_pages(cache_dir: Path, memo: Memo) -> int:
    """Give `memo` the pages the last good build rendered, by the digest of what each was
    made from (render.py's `_cache_key`); how many there were."""
    return _offer(cache_dir / PAGES_FILE, memo)


def save_pages(cache_dir: Path, memo: Memo) -> None:
    """Keep the pages this build rendered or reused, and only those."""
    _write(cache_dir / PAGES_FILE, {key: value for key, value in memo.items() if isinstance(key, str)})


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

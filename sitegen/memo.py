"""What a build may reuse from the build before: read files, converted Markdown, rendered pages.

Every build goes through a `BuildCache`; a plain build starts with an empty one, the
live preview keeps one between builds. Each entry is keyed by everything its result is
made from, so a build with a cache writes exactly the files a build without one writes:

- a content file is parsed again when its size, modification time or inode changed, and
  always when it was modified within the last seconds before it was read (a second edit
  in the same clock tick would otherwise go unseen; git treats such files the same way);
- a Markdown body is converted again when its text, page address or language changed,
  or when a page it links to got another title or address (the links are recorded);
- a page is rendered again when anything its template receives changed (the values
  are fingerprinted, see `Fingerprint`), when a template it uses or its language's
  catalog changed, or when an asset it names got another file name. A profile page
  made from the same model objects as last time (unchanged objects are interned, see
  `intern`) is not even fingerprinted: comparing the objects by identity settles it.

Entries not used by a good build are dropped after it, so a long preview session does
not grow without bound; a failed build drops nothing.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import os
import pickle
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

V = TypeVar("V")
_MISSING = object()

# A file modified less than this long before it was read may change again unseen
# within the same timestamp; its entry is not trusted by the next build.
RACY_SECONDS = 2.0


class Memo(Generic[V]):
    """Values by key, kept for one more build: what a build does not use is dropped."""

    def __init__(self, previous: dict[Hashable, V] | None = None) -> None:
        self._previous: dict[Hashable, V] = previous or {}
        self._current: dict[Hashable, V] = {}
        self.made = 0  # values put since the build started

    def snapshot(self) -> dict[Hashable, V]:
        """Everything the memo holds, as one dict (for a memo that reads through to it)."""
        return {**self._previous, **self._current}

    def get(self, key: Hashable) -> V | None:
        value = self._current.get(key, _MISSING)
        if value is _MISSING:
            value = self._previous.get(key, _MISSING)
            if value is _MISSING:
                return None
            self._current[key] = value
        return value

    def put(self, key: Hashable, value: V) -> V:
        self._current[key] = value
        self.made += 1
        return value

    def offer(self, entries: dict[Hashable, V]) -> None:
        """Entries for the next build to use (from a cache file); ones it does not use are dropped after it."""
        self._current.update(entries)

    def items(self) -> list[tuple[Hashable, V]]:
        """What this build has used or made so far."""
        return list(self._current.items())

    def next_build(self, keep_all: bool = False) -> None:
        """Start a build; drop what the last one did not use, unless `keep_all` (it failed)."""
        self._previous = {**self._previous, **self._current} if keep_all else self._current
        self._current = {}
        self.made = 0


def file_signature(stat: os.stat_result, now: float) -> tuple[int, ...] | None:
    """What identifies a file's content cheaply, or None when it was modified too recently to trust."""
    if now - stat.st_mtime < RACY_SECONDS:
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


class Fingerprint:
    """Digests of the values a template receives, equal when the values are.

    The values are serialized with pickle: strings, numbers, containers and frozen
    dataclasses exactly, with their types, and dict order kept (templates iterate it).
    Read-only mappings are taken as the dicts they show. What pickle cannot serialize
    (a function, a generator) raises, so a value the digest cannot see into never
    reaches a cached template unnoticed. Two equal sets may iterate in different
    orders and serialize differently: that costs a render, never a wrong page.
    """

    def __init__(self) -> None:
        self._shared: Memo[tuple[Any, SharedRef]] = Memo()

    def next_build(self, keep_all: bool = False) -> None:
        self._shared.next_build(keep_all)

    def shared(self, value: Any) -> SharedRef:
        """A stand-in for a frozen object many pages show, digested once.

        The entry keeps the object alive, so its id is not reused while it lasts; the
        model reuses unchanged objects from build to build (`intern`), so their digests
        carry over too.
        """
        known = self._shared.get(id(value))
        if known is None:
            known = self._shared.put(id(value), (value, SharedRef(type(value).__qualname__, self.digest(value))))
        return known[1]

    def digest(self, *values: Any) -> str:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=5)
        # Without its memo pickle writes every object in full, so values that are equal
        # serialize the same whether or not they share objects.
        pickler.fast = True
        pickler.dump(values)
        return hashlib.blake2b(buffer.getbuffer(), digest_size=20).hexdigest()


@dataclass(frozen=True, slots=True)
class SharedRef:
    kind: str
    digest: str

    def __reduce__(self):
        # Digested by its values: a slotted dataclass is otherwise pickled through
        # `dataclasses.fields`, for each of the twenty stand-ins a page's key holds.
        return SharedRef, (self.kind, self.digest)


def read_only(mapping: dict) -> MappingProxyType:
    return MappingProxyType(mapping)


def _reduce_mapping_proxy(proxy: MappingProxyType) -> tuple[Any, ...]:
    return read_only, (dict(proxy),)


copyreg.pickle(MappingProxyType, _reduce_mapping_proxy)


@dataclass(slots=True)
class FileEntry:
    signature: tuple[int, ...]
    context: Hashable  # the settings the file was checked against
    result: Any
    problems: tuple  # what checking it reported, reported again on every build


@dataclass
class BuildCache:
    """Everything one build hands to the next; see the module's description."""

    files: dict[str, FileEntry] = field(default_factory=dict)
    markdown: Memo = field(default_factory=Memo)
    pages: Memo = field(default_factory=Memo)
    search: Memo = field(default_factory=Memo)  # each page's entry in the search files (search.py)
    models: Memo = field(default_factory=Memo)  # model objects, reused while their values are equal
    environments: dict[Hashable, Any] = field(default_factory=dict)
    fingerprint: Fingerprint = field(default_factory=Fingerprint)
    started: float = 0.0
    failed: bool = False  # whether the last build stopped on errors
    counts: dict[str, int] = field(default_factory=dict)  # pages rendered and reused by the last build
    converted: int = 0  # Markdown bodies converted by the last build
    parsed: int = 0  # content files parsed by the last build (not taken from `files`)
    _seen_files: set[str] = field(default_factory=set)

    def next_build(self) -> None:
        """Start a build. After a failed build nothing is dropped: the build that fixes
        the mistake can still reuse everything the last good build made."""
        self.started = time.time()
        self.counts = {"rendered": 0, "reused": 0}
        self.converted = self.parsed = 0
        for memo in (self.markdown, self.pages, self.search, self.models):
            memo.next_build(keep_all=self.failed)
        self.fingerprint.next_build(keep_all=self.failed)
        self.failed = True  # until the build says it finished
        self._seen_files.clear()

    def cached_file(self, path: str, stat: os.stat_result, context: Hashable) -> FileEntry | None:
        self._seen_files.add(path)
        entry = self.files.get(path)
        if entry and entry.signature == file_signature(stat, self.started) and entry.context == context:
            return entry
        return None

    def remember_file(self, path: str, stat: os.stat_result, context: Hashable, result: Any, problems) -> None:
        self.parsed += 1
        signature = file_signature(stat, self.started)
        if signature is None:
            self.files.pop(path, None)
        else:
            self.files[path] = FileEntry(signature, context, result, tuple(problems))

    def forget_unseen_files(self) -> None:
        """Drop the entries of files this build did not look at (deleted or renamed)."""
        for path in set(self.files) - self._seen_files:
            del self.files[path]


def intern(memo: Memo | None, key: Hashable, make: Callable[[], V]) -> V:
    """The object made last time for an equal `key`, else a new one: unchanged model
    objects keep their identity from build to build, and with it their digests.

    `key` must hold every value the object is made from. A key that cannot be hashed
    (an unhashable value in the front matter) just means a new object.
    """
    try:
        hash(key)
    except TypeError:
        memo = None
    return memoized(memo, key, make)


def memoized(memo: Memo | None, key: Hashable, make: Callable[[], V]) -> V:
    """The value kept for `key`, else `make()` (kept for next time); without a memo, just `make()`."""
    if memo is None:
        return make()
    value = memo.get(key)
    return value if value is not None else memo.put(key, make())

"""content/ → source documents and site settings; assets/ → files to copy.

This is the only module that reads the content folder. Each Markdown file becomes a
`SourceDocument`: where it came from (path and the line each field is on), its
section, slug and language, its checked front matter and its Markdown body. Every
problem found on the way is added to the `Problems` collector with its file and line;
a file with problems is left out, so later stages only see well-formed documents.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from types import MappingProxyType
from typing import Any

import yaml

from . import parallel
from .config import SiteConfig, check_config
from .errors import Problem, Problems, did_you_mean
from .memo import BuildCache
from .schema import SCHEMAS, SECTIONS, SLUG, convert, slugify

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FILE_NAME = re.compile(r"^(?P<slug>.+?)\.(?P<lang>[A-Za-z_-]+)\.md$")
# Which translation was accepted against which source text; see the `translations` module.
TRANSLATION_RECORD = "translations.json"
IGNORED = re.compile(r"^\.|~$|\.sw[a-p]$|^#.*#$")  # hidden files and editor leftovers
# Front matter needs three levels at most (figures: a list of mappings); libyaml's composer
# crashes on some ten thousand, and deeper values would be deep for every later stage too.
MAX_YAML_DEPTH = 20
MAX_YAML_VALUES = 100_000  # what aliases may expand to: plenty for any page, no "billion laughs"
_TOO_DEEP = (
    f"nesting too deep (more than {MAX_YAML_DEPTH} levels of lists and mappings)",
    "flatten the value: fields hold text, numbers, lists of them or a list of figures",
)
# Characters XML cannot hold (NUL is reported on its own): invisible, and fatal to the feeds.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f]")
# Files each process should have to read before reading is shared out: a file takes
# about a quarter of a millisecond, starting a process some tens.
READS_PER_JOB = 400
# What SafeConstructor raises besides YAMLError for a value it cannot make.
_CONSTRUCTOR_ERRORS = (yaml.YAMLError, ValueError, TypeError, LookupError, AttributeError, ArithmeticError)


def display_path(path: Path) -> str:
    """The path as an editor would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, RuntimeError, OSError):  # outside, or a symbolic link in a loop
        return str(path)


@dataclass(frozen=True)
class SourceDocument:
    path: str  # as shown in messages
    section: str
    slug: str
    lang: str
    fields: Mapping[str, Any]
    field_lines: Mapping[str, int]
    item_lines: Mapping[str, tuple[int, ...]]
    body: str
    body_line: int  # file line of the body's first line
    body_digest: bytes  # of the body's text: what the converted body is cached by

    def line_of(self, name: str) -> int:
        return self.field_lines.get(name, 1)

    @functools.cached_property
    def text_fingerprint(self) -> str:
        """The fingerprint of the text a translator translates from this file (see
        translations.py): worked out once and kept with the file as parsed, so in the
        cache too, and a warm build compares translations without reading a body."""
        from .translations import fingerprint, translatable_text

        return fingerprint(translatable_text(self))


@dataclass(slots=True)
class YamlMapping:
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    item_lines: dict[str, tuple[int, ...]] = field(default_factory=dict)


def parse_yaml_mapping(text: str, path: str, first_line: int, problems: Problems) -> YamlMapping | None:
    """Parse YAML that must be a mapping, keeping the file line of every key and list item."""
    shape = _yaml_shape_problem(text)
    if shape is not None:
        line, what, how = shape
        problems.error(path, first_line + line, what, how)
        return None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + (mark.line if mark else 0)
        what = getattr(exc, "problem", None) or "cannot be read"
        context = getattr(exc, "context", None)
        problems.error(
            path,
            line,
            f"broken YAML: {what}" + (f" ({context})" if context else ""),
            "check indentation, colons and quotes; put text containing ': ' in quotes",
        )
        return None
    result = YamlMapping()
    if node is None:
        return result
    if not isinstance(node, yaml.MappingNode):
        problems.error(path, first_line, "expected fields as 'name: value' lines", "see README.md for an example")
        return None
    constructor = yaml.constructor.SafeConstructor()
    for key_node, value_node in node.value:
        line = first_line + key_node.start_mark.line
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            problems.error(path, line, "a field name must be a plain word", "write e.g. 'title: …'")
            continue
        if key in result.values:
            problems.error(
                path,
                line,
                f"field '{key}' appears twice (first on line {result.lines[key]})",
                "keep one of them",
            )
            continue
        try:
            result.values[key] = constructor.construct_document(value_node)
        except _CONSTRUCTOR_ERRORS as exc:
            # PyYAML raises plain Python errors for some values it cannot make, such as
            # `2024-02-30` (a date that does not exist) or `!!int abc`.
            mark = getattr(exc, "problem_mark", None)
            if isinstance(exc, yaml.YAMLError):
                what = getattr(exc, "problem", None) or "cannot be read"
            elif isinstance(exc, ValueError):
                what = str(exc).split(";")[0]  # e.g. "day is out of range for month"
            else:
                what = "it does not fit the type its tag (!!…) names"
            problems.error(
                path,
                first_line + mark.line if mark else line,
                f"broken YAML value for '{key}': {what}",
                "quote the value to keep it as text",
            )
            continue
        result.lines[key] = line
        if isinstance(value_node, yaml.SequenceNode):
            result.item_lines[key] = tuple(first_line + n.start_mark.line for n in value_node.value)
    return result


def _yaml_shape_problem(text: str) -> tuple[int, str, str] | None:
    """A problem with how deep or how large the YAML in `text` would become, as (line, what,
    how), found from its parser events before anything is built; None when there is none.

    libyaml's composer crashes the interpreter on some ten thousand nested levels, and a few
    aliases that repeat each other (a "billion laughs") expand into more values than memory
    holds, so both are refused before composing. Broken YAML is left to `yaml.compose` to
    describe.
    """
    open_collections: list[tuple[str | None, int]] = []  # (anchor, values seen before it)
    deepest_below: list[int] = [0]  # per open collection and the document: deepest child
    depth_of: dict[str, int] = {}  # anchor → levels of nesting it stands for
    size_of: dict[str, int] = {}  # anchor → values it stands for
    values = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            line = event.start_mark.line
            if isinstance(event, yaml.CollectionStartEvent):
                if len(open_collections) >= MAX_YAML_DEPTH:
                    return line, *_TOO_DEEP
                open_collections.append((event.anchor, values))
                deepest_below.append(0)
                values += 1
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, before = open_collections.pop()
                depth, size = deepest_below.pop() + 1, values - before
            elif isinstance(event, yaml.AliasEvent):
                if any(event.anchor == anchor for anchor, _ in open_collections):
                    return (
                        line,
                        f"the alias *{event.anchor} is inside what it stands for",
                        "an alias may only repeat a value that is complete; write the values out",
                    )
                anchor, depth, size = None, depth_of.get(event.anchor, 0), size_of.get(event.anchor, 1)
                values += size
                if values > MAX_YAML_VALUES:
                    return (
                        line,
                        f"aliases repeat too much: the fields would hold more than {MAX_YAML_VALUES:,} values",
                        f"write the values out instead of repeating *{event.anchor}",
                    )
                if len(open_collections) + depth > MAX_YAML_DEPTH:
                    return line, *_TOO_DEEP
            elif isinstance(event, yaml.ScalarEvent):
                anchor, depth, size = event.anchor, 0, 1
                values += 1
            else:
                continue
            if anchor is not None:
                depth_of[anchor], size_of[anchor] = depth, size
            deepest_below[-1] = max(deepest_below[-1], depth)
    except yaml.YAMLError:
        return None
    return None


def read_text(path: Path, shown: str, problems: Problems) -> str | None:
    """File text as UTF-8 with Unix newlines; a clear problem for any other encoding."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.error(shown, 0, f"cannot be read: {exc.strerror}", "check that the file exists and may be read")
        return None
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        # A byte-order mark is invisible in most editors but ends up in the first field's name.
        problems.error(
            shown,
            1,
            "the file starts with a byte-order mark (BOM)",
            "save it as UTF-8 without BOM (editors offer 'UTF-8' beside 'UTF-8 with BOM')",
        )
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.error(
            shown,
            line,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} in column {column})",
            "save the file with UTF-8 encoding",
        )
        return None
    if "\x00" in text:
        problems.error(
            shown,
            text[: text.index("\x00")].count("\n") + 1,
            "contains a NUL byte",
            "this is not a text file; remove it",
        )
        return None
    control = _CONTROL.search(text)
    if control:
        problems.error(
            shown,
            text.count("\n", 0, control.start()) + 1,
            f"contains the control character U+{ord(control.group()):04X}",
            "delete it: no page can show it, and it makes the feeds invalid XML (it often comes with copied text)",
        )
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_config(content_dir: Path, problems: Problems, base_url: str | None = None) -> SiteConfig | None:
    """Read and check content/site.yaml."""
    path = content_dir / "site.yaml"
    shown = display_path(path)
    if not path.is_file():
        problems.error(shown, 0, "site settings are missing", "create site.yaml (see README.md)")
        return None
    text = read_text(path, shown, problems)
    parsed = parse_yaml_mapping(text, shown, 1, problems) if text is not None else None
    if parsed is None:
        return None
    return check_config(parsed.values, parsed.lines, shown, problems, base_url)


def read_translation_record(content_dir: Path, problems: Problems) -> tuple[str, str | None]:
    """content/translations.json's text (None when there is none yet), and its path as shown."""
    path = content_dir / TRANSLATION_RECORD
    shown = display_path(path)
    return shown, (read_text(path, shown, problems) if path.is_file() else None)


def load_documents(
    content_dir: Path, config: SiteConfig, problems: Problems, cache: BuildCache | None = None, jobs: int = 1
) -> tuple[list[SourceDocument], frozenset[str]]:
    """Every Markdown file under content/<section>/, checked against its section's schema,
    and the slugs of well-named files that could not be read (their problems are reported).

    With a `cache`, a file unchanged since the last build is not read again; what was
    found wrong with it is reported again. The files to read are read and checked by up
    to `jobs` processes (parallel.py) when there are enough of them.
    """
    cache = cache or BuildCache()
    looked: list[tuple[str, SourceDocument | _Unread | None]] = []  # (file name, what it gave)
    root = content_dir.resolve()
    for entry in sorted(content_dir.iterdir()):
        shown = display_path(entry)
        if IGNORED.search(entry.name) or entry.name in ("site.yaml", TRANSLATION_RECORD):
            continue
        link_problem = _symlink_problem(entry, root, "folder")
        if link_problem:
            problems.error(shown, 0, *link_problem)
            continue
        if entry.is_dir() and entry.name in SECTIONS:
            # os.scandir says what each entry is without asking the file system again.
            with os.scandir(entry) as scan:
                files = sorted(scan, key=lambda file: file.name)
            for file in files:
                if not IGNORED.search(file.name):
                    found = _look_at(file, f"{shown}/{file.name}", entry.name, root, config, problems, cache)
                    looked.append((file.name, found))
        elif entry.is_dir():
            problems.unknown(shown, 0, "section folder", entry.name, SECTIONS)
        else:
            problems.error(
                shown,
                0,
                "file in the wrong place",
                f"put pages in a section folder ({', '.join(SECTIONS)}), e.g. content/pages/{entry.name}",
            )
    unread = [found for _, found in looked if isinstance(found, _Unread)]
    _prefetch(file.path for file in unread)
    if parallel.workers(len(unread), jobs, READS_PER_JOB) > 1:
        read = iter(parallel.run_all(_read, unread, jobs, per_job=READS_PER_JOB))
    else:  # here, with the collector left paused (see pipeline.build): what is read lasts
        read = map(_read, unread)
    documents, broken = [], set()
    for name, found in looked:
        document = _remember(found, next(read), problems, cache) if isinstance(found, _Unread) else found
        if document:
            documents.append(document)
        elif (match := _FILE_NAME.match(name)) and match["lang"] in config.languages:
            broken.add(match["slug"])
    cache.forget_unseen_files()
    return documents, frozenset(broken)


def _prefetch(paths: Iterable[str]) -> None:
    """Ask the system to start reading `paths` from disk now, all at once.

    With the files not in memory (a first build after a restart), reading them one after
    another waits for the disk some 10,000 times; asked for together, the disk reads
    them in one sweep. At 5,000 actors (10,500 files), reading them in one process took
    1.1 s alone, and 0.16 s after the 0.13 s these requests took. Where the system has
    no such request (Windows), the files are just read as they come.
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    for path in paths:
        try:
            # Without waiting, should it have become a named pipe since it was looked at.
            handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:  # reading it will say what is wrong
            continue
        try:
            advise(handle, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(handle)


def reload_document(
    section_dir: Path, name: str, config: SiteConfig, problems: Problems, cache: BuildCache
) -> SourceDocument | None:
    """content/<section>/<name> read and checked again as `load_documents` reads it (for the
    live preview, which knows which file was saved); None when it is no good document."""
    root = section_dir.parent.resolve()
    shown = display_path(section_dir)
    link_problem = _symlink_problem(section_dir, root, "folder")
    if link_problem:
        problems.error(shown, 0, *link_problem)
        return None
    found = _look_at(_PathEntry(section_dir / name), f"{shown}/{name}", section_dir.name, root, config, problems, cache)
    return _remember(found, _read(found), problems, cache) if isinstance(found, _Unread) else found


class _PathEntry:
    """A path with the part of `os.DirEntry`'s interface that `_look_at` uses."""

    def __init__(self, path: Path):
        self.name, self.path, self._path = path.name, str(path), path

    def is_symlink(self) -> bool:
        return self._path.is_symlink()

    def is_dir(self) -> bool:
        return self._path.is_dir()

    def stat(self) -> os.stat_result:
        return self._path.stat()


@dataclass(frozen=True)
class _Unread:
    """A content file with a good name that the cache has nothing for: to be read (`_read`)."""

    path: str
    shown: str
    section: str
    slug: str
    lang: str
    stat: os.stat_result
    source: bool  # in the default language: the file its translations are made from


def _look_at(
    file: os.DirEntry | _PathEntry,
    shown: str,
    section: str,
    root: Path,
    config: SiteConfig,
    problems: Problems,
    cache: BuildCache,
) -> SourceDocument | _Unread | None:
    """A content file as its name, its kind and the cache say: the document the cache
    keeps for it, the file to read, or None (after reporting why it is no document)."""
    link_problem = _symlink_problem(Path(file.path), root, "file") if file.is_symlink() else None
    if link_problem:
        problems.error(shown, 0, *link_problem)
        return None
    if file.is_dir():
        problems.error(
            shown, 0, "folders inside a section are not allowed", f"move its files up into content/{section}/"
        )
        return None
    if not file.name.endswith(".md"):
        problems.error(
            shown, 0, "only Markdown files (.md) belong in content/", "put pictures and other files in assets/"
        )
        return None
    match = _FILE_NAME.match(file.name)
    if not match:
        problems.error(
            shown,
            0,
            "the file name does not say its language",
            f"name it <slug>.{config.default_language}.md, e.g. {file.name[:-3]}.{config.default_language}.md",
        )
        return None
    slug, lang = match["slug"], match["lang"]
    if lang not in config.languages:
        hint = did_you_mean(lang, config.languages) or f"languages are {', '.join(config.languages)}"
        problems.error(shown, 0, f"unknown language '{lang}' in the file name", hint)
        return None
    if not SLUG.match(slug):
        problems.error(
            shown,
            0,
            f"'{slug}' is not a valid slug",
            f"use lowercase letters, digits and single hyphens, e.g. '{slugify(slug) or 'page'}'",
        )
        return None

    try:
        stat = file.stat()
    except OSError as exc:
        problems.error(shown, 0, f"cannot be read: {exc.strerror}", "check that the file exists and may be read")
        return None
    if not S_ISREG(stat.st_mode):  # reading a named pipe or a device would wait forever
        problems.error(shown, 0, "is not a regular file", "only Markdown files belong in content/; remove it")
        return None
    entry = cache.cached_file(shown, stat, (section, slug, lang))
    if entry is not None:
        problems.items.extend(entry.problems)
        return entry.result
    return _Unread(file.path, shown, section, slug, lang, stat, lang == config.default_language)


def _read(file: _Unread) -> tuple[SourceDocument | None, list[Problem]]:
    """The file read and checked, and what was found wrong with it (in a worker process
    when `load_documents` shares the reading out)."""
    found = Problems()
    document = _parse_file(Path(file.path), file.shown, file.section, file.slug, file.lang, found)
    if document is not None and file.source:
        _ = document.text_fingerprint  # kept with the document: worked out here, side by side
    return document, found.items


def _remember(
    file: _Unread, read: tuple[SourceDocument | None, list[Problem]], problems: Problems, cache: BuildCache
) -> SourceDocument | None:
    document, found = read
    problems.items.extend(found)
    cache.remember_file(file.shown, file.stat, (file.section, file.slug, file.lang), document, found)
    return document


def _parse_file(
    path: Path, shown: str, section: str, slug: str, lang: str, problems: Problems
) -> SourceDocument | None:
    """Read and check one content file whose name is already known to be right."""
    text = read_text(path, shown, problems)
    if text is None:
        return None
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        problems.error(
            shown, 1, "no front matter", "start the file with a '---' line, then the fields, then another '---' line"
        )
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.error(shown, 1, "the front matter is not closed", "add a line with '---' after the last field")
        return None
    parsed = parse_yaml_mapping("\n".join(lines[1:end]), shown, 2, problems)
    if parsed is None:
        return None

    schema = SCHEMAS[section]
    fields: dict[str, Any] = {}
    valid = True
    for name, value in parsed.values.items():
        line = parsed.lines[name]
        spec = schema.get(name)
        if spec is None:
            problems.unknown(shown, line, "field", name, schema)
            valid = False
            continue
        try:
            fields[name] = convert(spec, value)
        except ValueError as exc:
            what, _, how = str(exc).partition(" — ")
            problems.error(shown, line, f"'{name}': {what}", how)
            valid = False
    for name, spec in schema.items():
        if spec.required and spec.translatable and name not in parsed.values:
            problems.error(shown, 1, f"required field '{name}' is missing", f"add '{name}: …' to the front matter")
            valid = False
    if not valid:
        return None
    body = "\n".join(lines[end + 1 :])
    return SourceDocument(
        path=shown,
        section=section,
        slug=slug,
        lang=lang,
        fields=MappingProxyType(fields),
        field_lines=MappingProxyType(dict(parsed.lines)),
        item_lines=MappingProxyType(dict(parsed.item_lines)),
        body=body,
        body_line=end + 2,
        body_digest=hashlib.blake2b(body.encode("utf-8", "surrogatepass"), digest_size=16).digest(),
    )


def load_templates(templates_dir: Path, problems: Problems) -> dict[str, tuple[str, str]]:
    """Every template under templates/ by its name, with its text and its path as shown.

    The build renders from these texts, so what it renders is what it fingerprinted.
    """
    templates = {}
    for dirpath, dirnames, filenames in os.walk(templates_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not IGNORED.search(name):
                path = Path(dirpath) / name
                shown = display_path(path)
                text = read_text(path, shown, problems)
                if text is not None:
                    templates[path.relative_to(templates_dir).as_posix()] = (text, shown)
    return templates


def load_assets(assets_dir: Path) -> dict[str, bytes]:
    """Every file under assets/, keyed by its path below the output folder."""
    files = {}
    if assets_dir.is_dir():
        for dirpath, dirnames, filenames in os.walk(assets_dir):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if not IGNORED.search(name):
                    path = Path(dirpath) / name
                    files["assets/" + path.relative_to(assets_dir).as_posix()] = path.read_bytes()
    return files


def _symlink_problem(path: Path, root: Path, kind: str) -> tuple[str, str] | None:
    """What is wrong with the symbolic link `path` to a `kind` ('file' or 'folder'), if anything."""
    if not path.is_symlink():
        return None
    try:
        target = path.resolve()
    except (RuntimeError, OSError):  # a loop: RuntimeError up to Python 3.12, OSError after
        return "is a symbolic link that leads to itself", f"remove it, or link to an existing {kind}"
    if _inside(target, root):
        return None
    if kind == "folder":
        return "links to a folder outside the content folder", "move the folder into content/ instead of linking to it"
    return "links to a file outside the content folder", "copy the file into content/ instead of linking to it"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False

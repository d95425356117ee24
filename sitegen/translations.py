"""Translation status: which translations exist, and whether each still matches its source.

Input: the source documents and the record of accepted translations,
`content/translations.json`. Output: one `TranslationState` per page and language.

Each page has one *source*, the file that states its facts (the default language's),
and every other language is a translation of it. A translation is

- **current** when the source's translatable text is what it was when the translation
  was last accepted,
- **stale** when the source has changed since (the record keeps the accepted text, so
  the change can be shown word by word, as gettext keeps a message's previous text),
- **unreviewed** when it was never accepted, and **missing** when there is no file.

Texts are compared word by word, so re-wrapping a paragraph changes nothing. The record
is written only by `status --accept`, after a person has reviewed the translation; an
accepted typo fix in a source (`--accept` on the source file) leaves every translation
file untouched.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .config import SiteConfig
from .errors import Problems
from .load import SourceDocument, display_path
from .schema import SCHEMAS, SECTIONS

STATES = ("source", "current", "stale", "unreviewed", "missing")
# States that `status --strict` and CI treat as unfinished work.
UNFINISHED = ("stale", "unreviewed", "missing")
# Fields a translator translates; a page's own URL name (`slug:`) is not text to translate.
_UNTRACKED = {"slug"}
_MAX_HUNKS = 8  # per field, in the status report


@dataclass(frozen=True)
class Acceptance:
    """What a translation was last accepted against: its source's text at that moment."""

    source_hash: str
    source_text: Mapping[str, str]


@dataclass(frozen=True)
class TranslationState:
    slug: str
    section: str
    lang: str
    state: str  # one of STATES
    path: str  # the file as shown in messages; for a missing one, where it would be
    source_path: str
    source_lang: str
    changes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # field → word-level changes

    @property
    def key(self) -> str:
        return record_key(self.section, self.slug, self.lang)


def record_key(section: str, slug: str, lang: str) -> str:
    """A translation's name in the record: its path below content/."""
    return f"{section}/{slug}.{lang}.md"


def translatable_text(doc: SourceDocument) -> dict[str, str]:
    """The text a translator translates: title, summary, labels and body, as plain strings."""
    text = {}
    for name, spec in SCHEMAS[doc.section].items():
        if spec.translatable and name not in _UNTRACKED and name in doc.fields:
            value = doc.fields[name]
            if isinstance(value, Mapping):
                value = "\n".join(f"{key}: {label}" for key, label in sorted(value.items()))
            text[name] = str(value)
    text["body"] = doc.body.strip("\n")
    return text


def fingerprint(text: Mapping[str, str]) -> str:
    """A short hash of the words of each field: re-wrapping or re-indenting changes nothing."""
    words = {name: " ".join(value.split()) for name, value in text.items() if value.strip()}
    data = json.dumps(words, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:12]


def word_changes(old: str, new: str, context: int = 5) -> tuple[str, ...]:
    """What changed from `old` to `new`, word by word: '… liegt in [-Leipzig-]{+Dresden+} und …'."""
    before, after = old.split(), new.split()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    hunks = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        parts = before[max(0, i1 - context) : i1]
        if i2 > i1:
            parts.append("[-" + " ".join(before[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + " ".join(after[j1:j2]) + "+}")
        parts += before[i2 : i2 + context]
        lead = "… " if i1 > context else ""
        tail = " …" if i2 + context < len(before) else ""
        hunks.append(lead + " ".join(parts) + tail)
    return tuple(hunks)


# -- the record ------------------------------------------------------------------


def parse_ledger(data: str | None, shown: str, problems: Problems) -> dict[str, Acceptance]:
    """The record's JSON text → accepted translations by key; a broken record is an error."""
    if data is None:
        return {}
    hint = f"restore {shown} from version control, or delete it and accept the translations again"
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as exc:
        problems.error(shown, exc.lineno, f"broken translation record: {exc.msg}", hint)
        return {}
    except RecursionError:
        problems.error(shown, 1, "broken translation record: nested too deeply", hint)
        return {}
    entries = raw.get("translations") if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        problems.error(shown, 1, "broken translation record: no 'translations' mapping", hint)
        return {}
    ledger = {}
    for key, entry in entries.items():
        text = entry.get("source_text") if isinstance(entry, dict) else None
        if not (
            isinstance(text, dict)
            and isinstance(entry.get("source_hash"), str)
            and all(isinstance(v, str) for v in text.values())
        ):
            line = next((n for n, row in enumerate(data.split("\n"), 1) if json.dumps(key) in row), 1)
            problems.error(shown, line, f"broken translation record for '{key}'", hint)
            continue
        ledger[key] = Acceptance(entry["source_hash"], MappingProxyType(dict(text)))
    return ledger


def write_ledger(path: Path, ledger: Mapping[str, Acceptance]) -> None:
    """Write the record whole (a temporary file renamed over the old one), keys sorted."""
    data = {
        "about": (
            "Written by 'python build.py status --accept'. For each translation: the text of its "
            "source when the translation was last accepted. Do not edit by hand."
        ),
        "translations": {
            key: {"source_hash": entry.source_hash, "source_text": dict(entry.source_text)}
            for key, entry in sorted(ledger.items())
        },
    }
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


# -- status ------------------------------------------------------------------------


def _pages(config: SiteConfig, documents: Iterable[SourceDocument]) -> dict[tuple[str, str], dict[str, SourceDocument]]:
    """(section, slug) → language → document, sections in their usual order."""
    pages: dict[tuple[str, str], dict[str, SourceDocument]] = {}
    for doc in documents:
        pages.setdefault((doc.section, doc.slug), {})[doc.lang] = doc
    order = sorted(pages, key=lambda key: (SECTIONS.index(key[0]), key[1]))
    return {key: pages[key] for key in order}


def _source(docs: Mapping[str, SourceDocument], config: SiteConfig) -> SourceDocument:
    """The file a page is translated from: the default language's, else the first language's."""
    return docs.get(config.default_language) or next(docs[lang] for lang in config.languages if lang in docs)


def translation_states(
    config: SiteConfig,
    documents: Iterable[SourceDocument],
    ledger: Mapping[str, Acceptance],
) -> list[TranslationState]:
    """Every page in every language, with its state; sources included as state 'source'."""
    states = []
    for (section, slug), docs in _pages(config, documents).items():
        source = _source(docs, config)
        current_hash = source.text_fingerprint
        for lang in config.languages:
            doc = docs.get(lang)
            path = doc.path if doc else str(Path(source.path).with_name(f"{slug}.{lang}.md"))
            state, changes = "source", {}
            if doc is None:
                state = "missing"
            elif doc is not source:
                accepted = ledger.get(record_key(section, slug, lang))
                if accepted is None:
                    state = "unreviewed"
                elif accepted.source_hash == current_hash:
                    state = "current"
                else:
                    state = "stale"
                    text = translatable_text(source)
                    for name in dict.fromkeys([*text, *accepted.source_text]):
                        old, new = accepted.source_text.get(name, ""), text.get(name, "")
                        if old.split() != new.split():
                            changes[name] = word_changes(old, new)
            states.append(
                TranslationState(slug, section, lang, state, path, source.path, source.lang, MappingProxyType(changes))
            )
    return states


def warn_stale(states: Iterable[TranslationState], problems: Problems) -> None:
    """A build warning for each translation whose source changed after it was accepted."""
    for state in states:
        if state.state == "stale":
            problems.warning(
                state.path,
                1,
                f"translation is out of date: {state.source_path} changed since it was accepted "
                f"({', '.join(state.changes)})",
                f"update it, then run 'python build.py status --accept {state.path}' "
                f"(for a typo fix in the source, accept {state.source_path} instead)",
            )


def accept(
    targets: Iterable[Path],
    content_dir: Path,
    config: SiteConfig,
    documents: Iterable[SourceDocument],
    ledger: Mapping[str, Acceptance],
    problems: Problems,
) -> tuple[dict[str, Acceptance], list[str]]:
    """Accept the translations named by `targets` (files or folders) against their sources today.

    A translation file accepts itself; a source file accepts all its translations (a typo fix
    that needs no new translation); a folder accepts every translation inside it.
    """
    root = content_dir.resolve()
    pages = _pages(config, documents)
    files = {}
    for docs in pages.values():
        source = _source(docs, config)
        for doc in docs.values():
            files[(root / doc.section / f"{doc.slug}.{doc.lang}.md")] = (doc, source)
    updated, report = dict(ledger), []
    to_accept: dict[str, tuple[SourceDocument, SourceDocument]] = {}
    for target in targets:
        shown = display_path(target)
        where = target.resolve()
        if where != root and root not in where.parents:
            problems.error(
                shown, 0, "is not inside the content folder", f"name a file or folder under {display_path(content_dir)}"
            )
            continue
        chosen = [pair for file, pair in files.items() if file == where or where in file.parents]
        if not chosen:
            hint = "check the path" if not where.exists() else "only pages (<slug>.<lang>.md) have translations"
            problems.error(shown, 0, "names no page file", hint)
            continue
        before_target = len(to_accept)
        for doc, source in chosen:
            if doc is not source:
                to_accept[doc.path] = (doc, source)
            else:  # a source: all its translations
                for other in pages[doc.section, doc.slug].values():
                    if other is not source:
                        to_accept[other.path] = (other, source)
        if len(to_accept) == before_target:
            problems.error(shown, 0, "has no translation to accept", "write the translation first; 'status' lists them")
    for translation, source in to_accept.values():
        text = translatable_text(source)
        key = record_key(translation.section, translation.slug, translation.lang)
        before = updated.get(key)
        updated[key] = Acceptance(fingerprint(text), MappingProxyType(text))
        if before is None:
            was = "new"
        else:
            was = "was current" if before.source_hash == updated[key].source_hash else "was stale"
        report.append(f"accepted {translation.path} as a translation of {source.path} ({was})")
    # Records of translations whose files are gone are dropped, so the record stays tidy.
    existing = {record_key(d.section, d.slug, d.lang) for docs in pages.values() for d in docs.values()}
    return {key: entry for key, entry in updated.items() if key in existing}, report


# -- reports -------------------------------------------------------------------------


def summary(states: Iterable[TranslationState]) -> dict[str, int]:
    counts = dict.fromkeys(STATES[1:], 0)
    for state in states:
        if state.state != "source":
            counts[state.state] += 1
    return counts


def as_json(config: SiteConfig, states: list[TranslationState]) -> dict:
    """The status for machines: every page with each language's state, and the totals."""
    pages: dict[tuple[str, str], dict] = {}
    for state in states:
        page = pages.setdefault(
            (state.section, state.slug),
            {"section": state.section, "slug": state.slug, "source": state.source_lang, "languages": {}},
        )
        entry = {"state": state.state, "file": state.path}
        if state.changes:
            entry["changes"] = {name: list(hunks) for name, hunks in state.changes.items()}
        page["languages"][state.lang] = entry
    return {"languages": list(config.languages), "pages": list(pages.values()), "summary": summary(states)}


def as_text(config: SiteConfig, states: list[TranslationState], everything: bool = True) -> str:
    """The status for people: a table of pages × languages, then what changed in stale ones."""
    by_page: dict[tuple[str, str], dict[str, TranslationState]] = {}
    for state in states:
        by_page.setdefault((state.section, state.slug), {})[state.lang] = state
    shown = {key: row for key, row in by_page.items() if everything or any(s.state in UNFINISHED for s in row.values())}
    lines = []
    if shown:
        width = max(len(f"{section}/{slug}") for section, slug in shown) + 2
        lines.append("page".ljust(width) + "".join(lang.ljust(12) for lang in config.languages).rstrip())
        for (section, slug), row in shown.items():
            cells = "".join(row[lang].state.ljust(12) for lang in config.languages)
            lines.append(f"{section}/{slug}".ljust(width) + cells.rstrip())
    stale = [s for s in states if s.state == "stale"]
    for state in stale:
        lines += ["", f"{state.path} is stale; {state.source_path} changed since it was accepted:"]
        for name, hunks in state.changes.items():
            for hunk in hunks[:_MAX_HUNKS]:
                lines.append(f"  {name}: {hunk}")
            if len(hunks) > _MAX_HUNKS:
                lines.append(f"  {name}: … and {len(hunks) - _MAX_HUNKS} more changes")
    counts = summary(states)
    total = sum(counts.values())
    lines += ["", f"{total} translations: " + ", ".join(f"{n} {name}" for name, n in counts.items()) + "."]
    if any(counts[name] for name in UNFINISHED):
        lines.append(
            "After reviewing a translation, accept it: python build.py status --accept FILE "
            "(a source file accepts a typo fix for all its translations; a folder accepts everything in it)."
        )
    return "\n".join(lines)

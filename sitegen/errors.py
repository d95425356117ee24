"""Problems in the user's input, and the collector that reports them all at once.

A user's mistake is a `Problem` carrying the file and line it was found at, what is
wrong and how to fix it. Stages add problems to a `Problems` collector instead of
raising, so one run reports every mistake; the build stops before writing anything
when the collector holds an error. Anything that is not a user's mistake is a bug
and is left to raise normally.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        label = "" if self.severity == "error" else f"{self.severity}: "
        hint = f" — {self.hint}" if self.hint else ""
        return f"{where}: {label}{self.message}{hint}"


@dataclass
class Problems:
    """Collects problems from every stage; `errors` decide whether the build may write."""

    items: list[Problem] = field(default_factory=list)

    def error(self, path: str | Path, line: int, message: str, hint: str = "") -> None:
        self.items.append(Problem(str(path), line, message, hint))

    def warning(self, path: str | Path, line: int, message: str, hint: str = "") -> None:
        self.items.append(Problem(str(path), line, message, hint, "warning"))

    def unknown(self, path: str | Path, line: int, kind: str, name: str, known: Iterable[str]) -> None:
        """An unknown name, with the nearest known one or else the list of known ones."""
        known = list(known)
        self.error(
            path, line, f"unknown {kind} '{name}'", did_you_mean(name, known) or f"use one of: {', '.join(known)}"
        )

    def make_warnings_errors(self) -> None:
        """For `--strict`: every warning so far stops the build like an error."""
        self.items = [Problem(p.path, p.line, p.message, p.hint) for p in self.items]

    @property
    def errors(self) -> list[Problem]:
        return sorted({p for p in self.items if p.severity == "error"})

    @property
    def warnings(self) -> list[Problem]:
        return sorted({p for p in self.items if p.severity == "warning"})

    def __bool__(self) -> bool:
        return bool(self.errors)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A 'did you mean …?' hint for a near-miss, or '' when nothing is close."""
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""

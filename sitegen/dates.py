"""Dates as precise as the sources give them: a year, a month or a day."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, order=True, slots=True)
class PartialDate:
    """A calendar date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    def isoformat(self) -> str:
        """ISO 8601 at the known precision, as `<time datetime>` accepts it."""
        text = f"{self.year:04d}"
        if self.month:
            text += f"-{self.month:02d}"
        if self.day:
            text += f"-{self.day:02d}"
        return text

    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    @classmethod
    def parse(cls, value: object) -> PartialDate:
        """Read `2024`, `"2024-10"`, `"2024-09-09"` or a YAML date; ValueError otherwise."""
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError("expected a date such as 2024, 2024-10 or 2024-10-24")
        match = _PARTIAL.match(value.strip())
        if not match:
            raise ValueError(f"'{value}' is not a date — write 2024, 2024-10 or 2024-10-24")
        year, month, day = (int(g) if g else None for g in match.groups())
        try:
            dt.date(year, month or 1, day or 1)
        except ValueError:
            raise ValueError(f"'{value}' is not a real calendar date") from None
        return cls(year, month, day)

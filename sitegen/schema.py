"""What each section's front matter may hold: fields, types, allowed values, relations.

`SCHEMAS` maps a section to its fields. A field is either translatable (each language
file states it in its own words) or a language-neutral fact (stated once per entity).
`RELATIONS` declares every typed link between entities once; the model derives the
other end (inverse or symmetric) from it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .dates import PartialDate

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Characters XML cannot hold; YAML lets them into text as escapes ("\x07").
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def slugify(text: str) -> str:
    """A slug for `text`, readable in German: umlauts spelled out, other runs hyphenated."""
    text = text.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


ACTOR_TYPES = (
    "research-institute",
    "university",
    "clinic",
    "company",
    "startup",
    "network",
    "agency",
    "infrastructure",
)
NEWS_KINDS = ("news", "event")
FIGURE_UNITS = ("count", "eur", "million-eur", "percent", "square-metres")
FIGURE_QUALIFIERS = ("more-than", "about")
# Titles, summaries, cities and labels are a line or a sentence; sorting titles for lists
# takes time that grows with the square of their length.
MAX_TEXT = 500
MAX_FIGURE = 10**15  # above this, a float no longer holds every whole number
PAGE_INCLUDES = ("publisher",)
# A plain page with this slug is the home page's introduction, not a page of its own.
HOME_SLUG = "home"


@dataclass(frozen=True, slots=True)
class Figure:
    """A key figure: a number with a unit, formatted per locale when shown."""

    id: str
    value: int | float
    unit: str
    qualifier: str = ""


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text | int | bool | url | date | choice | coordinates | slug | slugs | figures | labels
    required: bool = False
    translatable: bool = False
    choices: tuple[str, ...] = ()
    target: str = ""  # for kind 'slugs': the section the slugs name


@dataclass(frozen=True)
class Relation:
    """`section.field` lists slugs of `target`; the target shows them under `inverse`."""

    section: str
    field: str
    target: str
    inverse: str  # for a symmetric relation, the same name as `field`

    @property
    def symmetric(self) -> bool:
        return self.section == self.target and self.field == self.inverse


RELATIONS = (
    Relation("actors", "topics", "topics", "actors"),
    Relation("actors", "partners", "actors", "partners"),
    Relation("actors", "member_of", "actors", "members"),
    Relation("topics", "related", "topics", "related"),
    Relation("projects", "actors", "actors", "projects"),
    Relation("projects", "topics", "topics", "projects"),
    Relation("news", "actors", "actors", "news"),
    Relation("news", "topics", "topics", "news"),
    Relation("news", "projects", "projects", "news"),
)


def _fields(*fields: Field) -> dict[str, Field]:
    common = (
        Field("title", "text", required=True, translatable=True),
        Field("short_title", "text", translatable=True),
        Field("summary", "text", required=True, translatable=True),
        Field("slug", "slug", translatable=True),  # this language's URL name, if not the file's
        Field("draft", "bool"),
        Field("figures", "figures"),
        Field("figure_labels", "labels", translatable=True),
    )
    return {f.name: f for f in common + fields}


def _relations(section: str) -> tuple[Field, ...]:
    return tuple(Field(r.field, "slugs", target=r.target) for r in RELATIONS if r.section == section)


SCHEMAS: dict[str, dict[str, Field]] = {
    "actors": _fields(
        Field("type", "choice", required=True, choices=ACTOR_TYPES),
        Field("city", "text"),
        Field("founded", "int"),
        Field("website", "url"),
        Field("coordinates", "coordinates"),
        *_relations("actors"),
    ),
    "topics": _fields(*_relations("topics")),
    "projects": _fields(
        Field("start", "date"),
        Field("end", "date"),
        Field("website", "url"),
        *_relations("projects"),
    ),
    "news": _fields(
        Field("date", "date"),
        Field("kind", "choice", choices=NEWS_KINDS),
        *_relations("news"),
    ),
    "pages": _fields(Field("include", "choice", choices=PAGE_INCLUDES)),
}

SECTIONS = tuple(SCHEMAS)
# Sections whose pages live under a localized folder name; plain pages sit at /<lang>/<slug>/.
LISTED_SECTIONS = ("actors", "topics", "projects", "news")


def convert(field: Field, value: object) -> object:
    """Check one front-matter value against its field; return it in model form.

    Raises ValueError with a message an editor can act on.
    """
    kind = field.kind
    if kind == "text":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise ValueError("expected text — write it on the same line, e.g. title: Leipzig")
        control = CONTROL.search(value)
        if control:
            raise ValueError(f"contains the control character U+{ord(control.group()):04X} — delete the escape")
        if len(value.strip()) > MAX_TEXT:
            raise ValueError(
                f"{len(value.strip()):,} characters are too many here — shorten it to at most {MAX_TEXT};"
                " longer text belongs in the body"
            )
        return value.strip()
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected a whole number such as 1997 — write digits only, without quotes")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("expected true or false — write true or false, without quotes")
        return value
    if kind == "url":
        parts = urlsplit(value) if isinstance(value, str) else None
        if not parts or parts.scheme not in ("http", "https") or not parts.netloc or CONTROL.search(value):
            raise ValueError(
                "expected a web address starting with https:// or http://"
                " — write the whole address, e.g. https://www.example.org/"
            )
        return value
    if kind == "date":
        try:
            return PartialDate.parse(value)
        except ValueError as exc:
            if " — " in str(exc):
                raise
            raise ValueError(f"{exc} — write the date as it is known: 2024, 2024-10 or 2024-10-24") from None
    if kind == "choice":
        if value not in field.choices:
            raise ValueError(f"{_quoted(value)} is not allowed — use one of: {', '.join(field.choices)}")
        return value
    if kind == "coordinates":
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            and -90 <= value[0] <= 90
            and -180 <= value[1] <= 180
        )
        if not ok:
            raise ValueError("expected [latitude, longitude] in degrees — write e.g. [51.34, 12.37]")
        return (float(value[0]), float(value[1]))
    if kind == "slug":
        if not (isinstance(value, str) and SLUG.match(value)):
            raise ValueError(f"{_quoted(value)} is not a valid slug — use lowercase letters, digits and single hyphens")
        return value
    if kind == "slugs":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("expected a list of slugs — write e.g. [tu-dresden]")
        return tuple(v.strip() for v in value)
    if kind == "figures":
        return _figures(value)
    if kind == "labels":
        ok = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) and v.strip() and len(v) <= MAX_TEXT and not CONTROL.search(v)
            for k, v in value.items()
        )
        if not ok:
            raise ValueError(
                "expected one label per figure id — write e.g. figure_labels: {jobs-2018: New jobs in 2018}"
            )
        return {k: v.strip() for k, v in value.items()}
    raise AssertionError(f"unknown field kind {kind!r}")


def _quoted(value: object) -> str:
    """A value as a message shows it: text and numbers quoted (long ones shortened), others by kind."""
    if isinstance(value, (list, tuple, set, dict)):
        return "a list" if not isinstance(value, dict) else "a mapping"
    text = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in str(value)[:80])  # no terminal codes
    return f"'{text}'" if len(str(value)) <= 80 else f"'{text[:77]}…'"


def _figures(value: object) -> tuple[Figure, ...]:
    example = "write e.g. figures: [{id: jobs-2018, value: 361, unit: count}]"
    if not isinstance(value, list):
        raise ValueError(f"expected a list of figures — {example}")
    figures = []
    for entry in value:
        if not isinstance(entry, dict) or not {"id", "value", "unit"} <= set(entry):
            raise ValueError(f"each figure needs id, value and unit — {example}")
        unknown = set(entry) - {"id", "value", "unit", "qualifier"}
        if unknown:
            first = sorted(map(str, unknown))[0]  # field names may be numbers or dates, too
            raise ValueError(f"unknown figure field '{first}' — figures have id, value, unit, qualifier")
        number, figure = entry["value"], f"figure {_quoted(entry['id'])}"
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise ValueError(f"{figure}: value must be a plain number such as 141.82 — no units or dots for thousands")
        # .nan, .inf and numbers beyond a float's precision cannot be formatted as figures.
        if not (isinstance(number, int) or math.isfinite(number)) or abs(number) >= MAX_FIGURE:
            raise ValueError(f"{figure}: value must be a number below 10^15 — write the number the source states")
        if entry["unit"] not in FIGURE_UNITS:
            raise ValueError(
                f"{figure}: unit {_quoted(entry['unit'])} is not allowed — use one of: {', '.join(FIGURE_UNITS)}"
            )
        qualifier = entry.get("qualifier") or ""
        if qualifier and qualifier not in FIGURE_QUALIFIERS:
            allowed = ", ".join(FIGURE_QUALIFIERS)
            raise ValueError(f"{figure}: qualifier {_quoted(qualifier)} is not allowed — use one of: {allowed}")
        if not (isinstance(entry["id"], str) and SLUG.match(entry["id"])):
            raise ValueError(
                f"figure id {_quoted(entry['id'])} is not valid — use lowercase letters, digits and hyphens"
            )
        if entry["id"] in {f.id for f in figures}:
            raise ValueError(f"figure id '{entry['id']}' is used twice — give each figure its own id")
        figures.append(Figure(entry["id"], number, entry["unit"], qualifier))
    return tuple(figures)

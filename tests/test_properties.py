"""Random content never crashes the build: it builds, or it reports problems (hypothesis).

Each example copies the fixture site and writes a few generated files into it: front
matter with random fields and values (valid and broken YAML, tags, anchors and aliases,
deep nesting), Markdown with random structure and [[links]], files with random names
in random folders. Then it builds over an earlier good build. The build must not raise.
If it finds errors, each one names a file that exists and a line inside it, says what is
wrong and how to fix it, and output/ is left as it was; otherwise the site is written.

The examples are the same on every run (`derandomize=True`, no example database), so a
failure in CI fails on every machine. To search further on your own machine, run with
SITEGEN_EXAMPLES=500: that many examples per test, new ones on every run. A failure
prints the files that caused it.
Every bug found this way also has a plain example test (at the end of this file and in
test_large_input.py), so it stays covered whichever examples are drawn.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from conftest import FIXTURE, build_into, snapshot, write
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sitegen.schema import ACTOR_TYPES, FIGURE_UNITS, NEWS_KINDS, SCHEMAS, SECTIONS

EXAMPLES = int(os.environ.get("SITEGEN_EXAMPLES", "0"))
SETTINGS = dict(
    deadline=None,
    derandomize=not EXAMPLES,  # the same examples on every run, so CI is reproducible
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
BUILD_SECONDS = 20  # one build of the small fixture taking longer is a hang

SLUGS = ["izi", "tud", "netzwerk", "zelltherapie", "gmp", "strategie", "foerderung", "about", "home", "imprint"]
ANCHORS = ["verfahren", "herstellung", "methods", "", "gibt-es-nicht", "Verfahren"]
FIELD_NAMES = sorted({name for schema in SCHEMAS.values() for name in schema})
RELATION_FIELDS = ["topics", "partners", "member_of", "related", "actors", "projects"]

# ---------------------------------------------------------------------------------------
# Front matter


def _long_text(n: int) -> str:
    return "Lebenswissenschaften " * n


SCALARS = st.one_of(
    st.text(max_size=30),  # any Unicode, control characters included
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),  # with nan and infinities
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
    st.sampled_from(
        [*SLUGS, *ACTOR_TYPES, *NEWS_KINDS, *FIGURE_UNITS, "more-than", "publisher", "2024", "2024-10", "2024-02-30"]
        + ["https://example.org/", "javascript:alert(1)", "", " ", "~", "null", "yes", "Ä", "a: b", "#", "---"]
    ),
    st.integers(min_value=200, max_value=20_000).map(_long_text),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "value", "unit", "qualifier"]) | st.text(max_size=8), inner, max_size=4
        )
    ),
    max_leaves=8,
)
FIGURES = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.sampled_from(["jobs", "budget", "Jobs", ""]) | st.text(max_size=6),
            "value": st.integers() | st.floats() | st.text(max_size=5),
            "unit": st.sampled_from([*FIGURE_UNITS, "m2"]),
        },
        optional={"qualifier": st.sampled_from(["more-than", "about", "circa"]), "extra": SCALARS},
    ),
    max_size=3,
)
LABELS = st.dictionaries(st.sampled_from(["jobs", "budget", "area"]) | st.text(max_size=6), SCALARS, max_size=3)
TARGETS = st.lists(st.sampled_from(SLUGS) | st.text(max_size=12), max_size=4)


@st.composite
def random_fields(draw) -> dict:
    """Front matter as values: known fields and others, each with any value."""
    keys = st.sampled_from(FIELD_NAMES) | st.text(min_size=1, max_size=12)
    result = draw(st.dictionaries(keys, VALUES, max_size=6))
    if draw(st.booleans()):
        result.update(title=draw(st.text(min_size=1, max_size=40)), summary=draw(st.text(min_size=1, max_size=80)))
    if draw(st.booleans()):
        result["type"] = draw(st.sampled_from(ACTOR_TYPES) | SCALARS)
    for name in draw(st.lists(st.sampled_from(RELATION_FIELDS), max_size=2)):
        result[name] = draw(TARGETS | st.sampled_from(SLUGS))
    if draw(st.booleans()):
        result["figures"] = draw(FIGURES)
        result["figure_labels"] = draw(LABELS)
    return result


TEXT = st.text(min_size=1, max_size=60).filter(str.strip)  # control characters and all
PLAUSIBLE = {
    "text": TEXT | st.integers(min_value=1, max_value=30).map(_long_text),
    "int": st.integers(min_value=-(10**6), max_value=10**12),
    "bool": st.booleans(),
    "url": st.sampled_from(["https://example.org/", "http://x.de/a?b=c&d=<e>\"'", "https://bücher.de/ü#x"]),
    "date": st.dates().map(str) | st.integers(min_value=1000, max_value=9999) | st.just("2024-10"),
    "coordinates": st.tuples(st.floats(-90, 90), st.floats(-180, 180)).map(list),
    "slug": st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True),
}
EXISTING = {"actors": ["izi", "tud", "netzwerk"], "topics": ["zelltherapie", "gmp"], "projects": []}


@st.composite
def plausible_fields(draw, section: str) -> dict:
    """Front matter that fits `section`'s schema: every value of the right kind, odd ones included."""
    schema = SCHEMAS[section]
    result = {"title": draw(PLAUSIBLE["text"]), "summary": draw(PLAUSIBLE["text"])}
    for name in draw(st.lists(st.sampled_from(sorted(schema)), max_size=5, unique=True)):
        spec = schema[name]
        if spec.kind in PLAUSIBLE:
            result[name] = draw(PLAUSIBLE[spec.kind])
        elif spec.kind == "choice":
            result[name] = draw(st.sampled_from(spec.choices))
        elif spec.kind == "slugs":
            result[name] = draw(st.lists(st.sampled_from(EXISTING[spec.target] or ["x"]), max_size=2, unique=True))
        elif spec.kind in ("figures", "labels"):
            ids = draw(st.lists(st.sampled_from(["jobs", "budget", "area"]), max_size=3, unique=True))
            figures = [
                {"id": i, "value": draw(st.integers() | st.floats()), "unit": draw(st.sampled_from(FIGURE_UNITS))}
                for i in ids
            ]
            result.update(figures=figures, figure_labels={i: draw(TEXT) for i in ids})
    if "type" in schema:
        result["type"] = draw(st.sampled_from(ACTOR_TYPES))
    result.pop("draft", None)  # a draft is left out: nothing of it would be rendered
    return result


_BOMB = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 9))
# YAML that a dump of values never contains: tags, anchors, aliases, broken syntax.
RAW_YAML = [
    "title: !!python/object:os.system ls",
    "summary: !!python/name:os.system ''",
    "founded: !!int abc",
    "founded: !!int ''",
    "founded: !!float ''",
    "founded: 1" + "0" * 5000,
    "date: 2024-02-30",
    "start: 2024-13-01",
    "date: !!timestamp nope",
    "draft: !!bool vielleicht",
    "title: !!binary 'kein base64!'",
    "topics: !!set {gmp, tud}",
    "figures: !!omap [a]",
    "title: !!str [a]",
    "title: &t Ein Titel\nsummary: *t",
    "partners: &p [tud, netzwerk]\nmember_of: *p",
    "related: *nirgends",
    "x: &a [&b [ja, ja, ja], *b, *b]\ntopics: *a",
    "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + _BOMB + "type: *l8",
    "loop: &r [*r]\ntype: *r",
    "figure_labels: &m {jobs: *m}",
    "<<: {title: Zusammengeführt}",
    "x: &base {title: a}\ny: {<<: *base, summary: b}",
    "? [a, b]\n: c",
    "? title\n: Komplex",
    "title: [nicht geschlossen",
    "\ttitle: Tabulator",
    "summary: 'nicht geschlossen",
    "type: " + "[" * 30 + "]" * 30,
    "summary: " + "{a: " * 40 + "}" * 40,
    "title: " + "[" * 3000 + "]" * 3000,
    "- eine Liste",
    "...",
    "%YAML 1.1",
    "title: \x07Glocke",
    "title: \x1b[31mrot",
    "title: a\u2028b",
    "summary: \x85",
    "coordinates: [.nan, .inf]",
    "coordinates: [91, 0]",
    "figures: [{id: a, value: .nan, unit: count}]\nfigure_labels: {a: A}",
    "figures: [{id: a, value: .inf, unit: percent}]\nfigure_labels: {a: A}",
    "figures: [{id: a, value: 1, unit: count, 1: x, b: y}]",
    "figure_labels: {a: A, 1: B}",
    "title:",
    ": leer",
    "title: x: y",
    "slug: Großes Haus",
    "slug: ../../etc",
    "type: [company]",
    "kind: {news: ja}",
    "website: ftp://example.org",
    "include: publisher",
    "  ---",
]


@st.composite
def front_matter(draw, section: str = "actors") -> str:
    """The YAML between the '---' lines: plausible or random values, sometimes raw YAML between them."""
    plausible = draw(st.booleans())
    dumped = yaml.safe_dump(
        draw(plausible_fields(section) if plausible else random_fields()),
        allow_unicode=draw(st.booleans()),
        default_flow_style=draw(st.sampled_from([False, True, None])),
        sort_keys=False,
        width=draw(st.sampled_from([80, 20, 1000])),
    )
    lines = dumped.splitlines() if dumped.strip() != "{}" else []
    for raw in [] if plausible else draw(st.lists(st.sampled_from(RAW_YAML) | st.text(max_size=40), max_size=3)):
        lines.insert(draw(st.integers(0, len(lines))), raw)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Markdown


@st.composite
def cross_link(draw) -> str:
    target = draw(st.sampled_from(SLUGS) if draw(st.integers(0, 3)) else st.text(max_size=12))
    anchor = None if draw(st.integers(0, 3)) else draw(st.sampled_from(ANCHORS) | st.text(max_size=8))
    label = draw(st.none() | st.text(max_size=12))
    return f"[[{target}{'' if anchor is None else '#' + anchor}{'' if label is None else '|' + label}]]"


INLINE_PIECES = st.one_of(
    st.text(max_size=20),
    cross_link(),
    st.sampled_from(
        ["*betont*", "**stark**", "_x_", "`code`", "[a](https://example.org)", "[b](javascript:alert(1))", "[c]("]
        + ["<span onclick='x'>s</span>", "<script>alert(1)</script>", "<b>", "</i>", "<!-- x", "&", "&#0;", "\\"]
        + ["[[", "]]", "[[[", "]]]", "[[a[[b]]", "[[|]]", "[[#]]", "[[gmp]", "[^1]", "  \n", "{: #id }", "<"]
    ),
)


@st.composite
def inline(draw) -> str:
    return " ".join(draw(st.lists(INLINE_PIECES, min_size=1, max_size=6)))


@st.composite
def nested_list(draw) -> str:
    unit = draw(st.sampled_from([2, 4]))
    items = draw(
        st.lists(
            st.tuples(st.integers(0, 6), st.sampled_from(["-", "*", "+", "1.", "2)"]), inline()),
            min_size=1,
            max_size=6,
        )
    )
    return "\n".join(" " * (level * unit) + f"{marker} {text}" for level, marker, text in items)


@st.composite
def table(draw) -> str:
    columns = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(inline(), min_size=0, max_size=5), max_size=4))
    head = "| " + " | ".join(f"S{i}" for i in range(columns)) + " |"
    rule = draw(st.sampled_from(["|" + "---|" * columns, "|:--|--:|", ""]))
    return "\n".join([head, rule, *("| " + " | ".join(row) + " |" for row in rows)])


BLOCKS = st.one_of(
    inline(),
    st.builds(lambda n, text: "#" * n + " " + text, st.integers(1, 7), inline()),
    nested_list(),
    table(),
    st.builds(lambda n, text: ">" * n + " " + text, st.integers(1, 5), inline()),
    st.builds(
        lambda fence, text, close: f"{fence}\n{text}\n{fence if close else ''}",
        st.sampled_from(["```", "~~~"]),
        st.text(max_size=30),
        st.booleans(),
    ),
    st.sampled_from(
        [
            "Fußnote[^1].\n\n[^1]: Die Fußnote.",
            "[^x]: Fußnote ohne Verweis",
            "*[GMP]: Good Manufacturing Practice\n\nGMP steht hier.",
            '!!! note "Titel"\n    Ein Hinweis.',
            "!!! \n",
            "Begriff\n:   Erklärung",
            '## Titel {: #eigene-id .klasse onclick="x" }',
            "## Verfahren\n\n## Verfahren",
            "<details><summary>Mehr</summary>Text</details>",
            '<a href="javascript:alert(1)">x</a>',
            '<img src="x" onerror="alert(1)">',
            "<style>body{}</style>",
            "<div markdown=1>*x*</div>",
            "---",
            "***",
            "Titel\n=====",
            "<",
            "[[" * 50 + "]]" * 50,
        ]
    ),
    st.text(max_size=80),
)


# Nesting around the limit (MAX_NESTING in sitegen/model.py) and far beyond it.
DEPTHS = st.integers(1, 20) | st.integers(90, 110) | st.integers(300, 3000)
DEEP_BLOCKS = st.one_of(
    DEPTHS.map(lambda n: ">" * n + " x"),
    DEPTHS.map(lambda n: "> " * n + "x"),
    DEPTHS.map(lambda n: "*" * n + "x" + "*" * n),
    DEPTHS.map(lambda n: "\n".join("    " * i + "- x" for i in range(min(n, 300)))),
    DEPTHS.map(lambda n: "\n".join("  " * i + "1. x" for i in range(min(n, 300)))),
    DEPTHS.map(lambda n: "<div>" * n + "x" + "</div>" * n),
    DEPTHS.map(lambda n: "a " + "<span>" * n + "x"),
    DEPTHS.map(lambda n: "[" * n + "x" + "]" * n),
)


@st.composite
def markdown(draw) -> str:
    """Blocks of every kind; one in five bodies also nests something deeply."""
    blocks = draw(st.lists(BLOCKS, max_size=6))
    if draw(st.integers(0, 4)) == 0:
        blocks.insert(draw(st.integers(0, len(blocks))), draw(DEEP_BLOCKS))
    return "\n\n".join(blocks)


# ---------------------------------------------------------------------------------------
# Files


@st.composite
def document(draw, section: str) -> str | bytes:
    """A content file: usually front matter and a body, sometimes a damaged one."""
    text = f"---\n{draw(front_matter(section))}\n---\n{draw(markdown())}\n"
    damage = draw(st.sampled_from(["none"] * 6 + ["no front matter", "unclosed", "empty", "crlf", "bom", "latin-1"]))
    if damage == "no front matter":
        return draw(markdown())
    if damage == "unclosed":
        return text.replace("\n---\n", "\n", 1)
    if damage == "empty":
        return ""
    if damage == "crlf":
        return text.replace("\n", "\r\n")
    if damage == "bom":
        return "\ufeff" + text
    if damage == "latin-1":
        return text.encode("latin-1", errors="replace")
    return text


def _fits_file_system(name: str) -> bool:
    return name not in (".", "..") and "/" not in name and "\x00" not in name and len(name.encode()) <= 200


FILE_NAMES = st.one_of(
    st.builds(
        lambda slug, lang: f"{slug}.{lang}.md",
        st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True) | st.sampled_from(SLUGS),
        st.sampled_from(["de", "en", "fr", "DE", "d_e", "e-n"]),
    ),
    st.sampled_from(
        [".verborgen.de.md", "ohne-endung", "x.md", "x.de", "x.de.md~", "#x.de.md#", ".x.de.md.swp", "a.b.de.md"]
        + ["Groß.de.md", "mit leerzeichen.en.md", "ß.de.md", "x..de.md", "-x.de.md", "x-.de.md", "x--y.de.md"]
        + ["akteure.de.md", "search.en.md", "home.en.md", "a" * 150 + ".de.md", "x.de.md.md", ".de.md", "..de.md"]
    ),
    st.text(min_size=1, max_size=30),
).filter(_fits_file_system)
FOLDER_NAMES = [*SECTIONS, *SECTIONS, "", "actor", "Actors", "pages/unter", "actors/.git"]
TOP_FOLDERS = {name.split("/")[0] for name in FOLDER_NAMES}


@st.composite
def files(draw) -> dict[str, str | bytes]:
    """One to three files with random names in random folders, plus sometimes a changed fixture file."""
    result = {}
    for _ in range(draw(st.integers(1, 3))):
        folder, name = draw(st.sampled_from(FOLDER_NAMES)), draw(FILE_NAMES)
        if not folder and name in TOP_FOLDERS:
            continue  # a file where a folder must go could not be written
        result[f"{folder}/{name}" if folder else name] = draw(document(folder if folder in SECTIONS else "actors"))
    if draw(st.booleans()):
        name = draw(st.sampled_from(["actors/tud.en.md", "topics/gmp.de.md", "news/strategie.de.md"]))
        result[name] = draw(document(name.split("/")[0]))
    return result


# ---------------------------------------------------------------------------------------
# The property


class BuildTookTooLong(BaseException):
    """Raised from a timer signal; a BaseException, so no `except Exception` in the build hides it."""


@functools.cache
def good_output() -> tuple[Path, dict[str, bytes]]:
    """A good build of the fixture, and its files, for every example to build over.

    Not a fixture: hypothesis would print it with every failing example.
    """
    output = Path(tempfile.mkdtemp(prefix="sitegen-good-")) / "output"
    atexit.register(shutil.rmtree, output.parent, ignore_errors=True)
    assert build_into(FIXTURE, output).written
    return output, snapshot(output)


def _line_count(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + data.replace(b"\r\n", b"").count(b"\r") + 1


def check_build(files: dict[str, str | bytes]) -> None:
    """Write `files` into a copy of the fixture, build it over a good build, check the outcome."""
    good, before = good_output()
    with tempfile.TemporaryDirectory() as tmp:
        content, output = Path(tmp) / "content", Path(tmp) / "output"
        shutil.copytree(FIXTURE, content)
        shutil.copytree(good, output)
        files = {name: data for name, data in files.items() if not (content / name).is_dir()}
        write(content, files)

        def too_long(*_):
            raise BuildTookTooLong(f"a build took longer than {BUILD_SECONDS} s")

        previous = signal.signal(signal.SIGALRM, too_long)
        signal.alarm(BUILD_SECONDS)
        try:
            result = build_into(content, output)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

        event("built" if result.written else "reported")
        if result.problems:
            assert not result.written
            assert snapshot(output) == before, "a build with errors changed output/"
        else:
            assert result.written
            assert (output / "index.html").is_file()
            for feed in output.rglob("*.xml"):  # the feeds and the sitemap, with any text in them
                ElementTree.parse(feed)
        for problem in result.problems.items:
            shown = str(problem)
            assert problem.path and shown.startswith(problem.path), shown
            assert problem.message.strip(), shown
            if problem.severity == "error":
                assert problem.hint.strip() and shown.endswith(f" — {problem.hint}"), shown
            path = Path(problem.path)
            assert os.path.lexists(path), f"{shown}\n(the problem names no existing file)"
            if path.is_file() and path.is_relative_to(content):
                assert 0 <= problem.line <= _line_count(path), f"{shown}\n(line outside the file)"


def _examples(default: int) -> int:
    return EXAMPLES or default


@settings(max_examples=_examples(70), **SETTINGS)
@given(data=st.data(), section=st.sampled_from(SECTIONS))
def test_random_front_matter_builds_or_is_reported(data, section):
    text = data.draw(front_matter(section), label="front matter")
    check_build({f"{section}/neu.de.md": f"---\n{text}\n---\nEin Text mit [[gmp]].\n"})


@settings(max_examples=_examples(60), **SETTINGS)
@given(body=markdown(), translated=markdown())
def test_random_markdown_builds_or_is_reported(body, translated):
    head = "---\ntitle: Neu\nsummary: Ein neuer Akteur.\ntype: company\ntopics: [gmp]\n---\n"
    izi = (FIXTURE / "actors/izi.en.md").read_text(encoding="utf-8")
    english = izi[: izi.index("\n---\n", 4) + 5]  # its front matter, with the figures' labels
    check_build({"actors/neu.de.md": head + body, "actors/izi.en.md": english + translated})


@settings(max_examples=_examples(40), **SETTINGS)
@given(written=files())
def test_random_files_build_or_are_reported(written):
    check_build(written)


SETTING_VALUES = {
    "languages": st.sampled_from([["de", "en"], ["en", "de"], ["de"], ["de", "en", "fr"], ["de", "de"], ["xx"], []]),
    "default_language": st.sampled_from(["de", "en", "fr", ""]),
    "base_url": st.sampled_from(["https://example.org/", "http://localhost:8000/a/b", "example.org", "https://"]),
    "untranslated": st.sampled_from(["show", "hide", "zeigen"]),
    "sections": st.fixed_dictionaries(
        {
            name: st.fixed_dictionaries({"de": st.sampled_from([name, "x", "Akteure", ""]), "en": st.just(name)})
            for name in ("actors", "topics", "news", "projects")
        },
        optional={"search": st.fixed_dictionaries({"de": st.sampled_from(["suche", "akteure"])})},
    ),
}


@st.composite
def settings_file(draw) -> str:
    """The fixture's site.yaml with one to three settings changed, added or removed."""
    values = yaml.safe_load((FIXTURE / "site.yaml").read_text(encoding="utf-8"))
    names = [*SETTING_VALUES, "title", "description", "publisher", "sections", "unbekannt"]
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)):
        if draw(st.integers(0, 5)) == 0:
            values.pop(name, None)
        elif name in SETTING_VALUES and draw(st.booleans()):
            values[name] = draw(SETTING_VALUES[name])
        else:
            values[name] = draw(VALUES)
    lines = yaml.safe_dump(values, allow_unicode=True, sort_keys=False).splitlines()
    for raw in draw(st.lists(st.sampled_from(RAW_YAML), max_size=1)):
        lines.insert(draw(st.integers(0, len(lines))), raw)
    return "\n".join(lines) + "\n"


@settings(max_examples=_examples(30), **SETTINGS)
@given(text=settings_file())
def test_random_settings_build_or_are_reported(text):
    check_build({"site.yaml": text})


# ---------------------------------------------------------------------------------------
# What the examples above found, as plain examples (the fixes are in load, schema, config
# and model; the messages are checked in test_errors.py style).

ACTOR = "---\ntitle: Neu\nsummary: Ein neuer Akteur.\ntype: company\n{extra}---\nText.\n"

FOUND = {
    # SafeConstructor raised ValueError, AttributeError or IndexError: a traceback.
    "impossible date": (
        {"actors/neu.de.md": ACTOR.format(extra="founded: 2024-02-30\n")},
        "actors/neu.de.md:5: broken YAML value for 'founded': day is out of range for month"
        " — quote the value to keep it as text",
    ),
    "tag that does not fit": (
        {"actors/neu.de.md": ACTOR.format(extra="founded: !!timestamp nope\n")},
        "actors/neu.de.md:5: broken YAML value for 'founded': it does not fit the type its tag (!!…) names"
        " — quote the value to keep it as text",
    ),
    "number that is not one": (
        {"actors/neu.de.md": ACTOR.format(extra="founded: !!int ''\n")},
        "actors/neu.de.md:5: broken YAML value for 'founded': it does not fit the type its tag (!!…) names"
        " — quote the value to keep it as text",
    ),
    # Sorting the unknown names of a figure raised TypeError.
    "figure field names of mixed types": (
        {"actors/neu.de.md": ACTOR.format(extra="figures: [{id: a, value: 1, unit: count, 1: x, b: y}]\n")},
        "actors/neu.de.md:5: 'figures': unknown figure field '1' — figures have id, value, unit, qualifier",
    ),
    # Babel raised OverflowError while rendering the page.
    "infinite figure": (
        {"actors/neu.de.md": ACTOR.format(extra="figures: [{id: a, value: .inf, unit: eur}]\nfigure_labels: {a: A}\n")},
        "actors/neu.de.md:5: 'figures': figure 'a': value must be a number below 10^15"
        " — write the number the source states",
    ),
    "huge figure": (
        {"actors/neu.de.md": ACTOR.format(extra=f"figures: [{{id: a, value: {10**400}, unit: percent}}]\n")},
        "actors/neu.de.md:5: 'figures': figure 'a': value must be a number below 10^15"
        " — write the number the source states",
    ),
    # Shown as "nan" on the page.
    "figure that is not a number": (
        {
            "actors/neu.de.md": ACTOR.format(
                extra="figures: [{id: a, value: .nan, unit: count}]\nfigure_labels: {a: A}\n"
            )
        },
        "actors/neu.de.md:5: 'figures': figure 'a': value must be a number below 10^15"
        " — write the number the source states",
    ),
    # The message quoted the value: RecursionError for deep lists, minutes and gigabytes for aliases.
    "list where a choice belongs": (
        {"actors/neu.de.md": ACTOR.replace("type: company", "type: [[company]]").format(extra="")},
        "actors/neu.de.md:4: 'type': a list is not allowed — use one of: research-institute, university,"
        " clinic, company, startup, network, agency, infrastructure",
    ),
    "aliases that expand a billion times": (
        {
            "actors/neu.de.md": ACTOR.format(
                extra="l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + _BOMB + "partners: *l8\n"
            )
        },
        "actors/neu.de.md:10: aliases repeat too much: the fields would hold more than 100,000 values"
        " — write the values out instead of repeating *l4",
    ),
    "alias inside what it stands for": (
        {"actors/neu.de.md": ACTOR.format(extra="partners: &r [tud, *r]\n")},
        "actors/neu.de.md:5: the alias *r is inside what it stands for"
        " — an alias may only repeat a value that is complete; write the values out",
    ),
    # difflib raised TypeError for a setting name that is a number.
    "section named by a number": (
        {"site.yaml": (FIXTURE / "site.yaml").read_text().replace("  actors:", "  1: {de: x, en: y}\n  actors:")},
        "site.yaml:10: unknown section '1' — use one of: actors, topics, projects, news, search",
    ),
    "publisher detail named by a number": (
        {"site.yaml": (FIXTURE / "site.yaml").read_text().replace("publisher:\n", "publisher:\n  2024: x\n")},
        "site.yaml:15: unknown publisher detail '2024' — use one of: name, address, email, phone, responsible",
    ),
    # A list was accepted as a description and shown as "['a', 'b']".
    "description that is not text": (
        {"site.yaml": (FIXTURE / "site.yaml").read_text().replace("de: Eine kleine Testseite.", "de: [a, b]")},
        "site.yaml:6: 'description' for 'de' is not text — write it on the same line",
    ),
    # The feeds were not well-formed XML (found by the check that parses them).
    "control character in the text": (
        {"actors/neu.de.md": ACTOR.format(extra="").replace("Text.", "Text mit \x1b[31m Farbe.")},
        "actors/neu.de.md:6: contains the control character U+001B"
        " — delete it: no page can show it, and it makes the feeds invalid XML (it often comes with copied text)",
    ),
    "control character written as an escape": (
        {"actors/neu.de.md": ACTOR.replace("title: Neu", 'title: "Neu\\a"').format(extra="")},
        "actors/neu.de.md:2: 'title': contains the control character U+0007 — delete the escape",
    ),
    "control character in the site's title": (
        {"site.yaml": (FIXTURE / "site.yaml").read_text().replace("de: Testseite Sachsen", 'de: "Test\\bseite"')},
        "site.yaml:3: 'title' for 'de' contains a control character — delete the escape",
    ),
    # Sorting a title of 400,000 characters for the lists took minutes (pyuca is quadratic).
    "title too long": (
        {"actors/neu.de.md": ACTOR.replace("title: Neu", "title: " + "Lang " * 200).format(extra="")},
        "actors/neu.de.md:2: 'title': 999 characters are too many here — shorten it to at most 500;"
        " longer text belongs in the body",
    ),
    # Python-Markdown's toc extension raised RecursionError.
    "emphasis nested too deeply": (
        {"actors/neu.de.md": ACTOR.format(extra="").replace("Text.", "Text.\n\n" + "*" * 5000 + "x" + "*" * 5000)},
        "actors/neu.de.md:6: the text is nested too deeply (more than 100 levels)"
        " — flatten the quotes, lists, emphasis or HTML elements from here on",
    ),
}


@pytest.mark.parametrize("case", FOUND, ids=list(FOUND))
def test_found_by_hypothesis_is_reported(case, site_dir, tmp_path):
    files, expected = FOUND[case]
    write(site_dir, files)
    result = build_into(site_dir, tmp_path / "output")
    assert not result.written
    assert f"{site_dir}/{expected}" in [str(p) for p in result.problems.errors]


def test_files_that_cannot_be_read_as_text_are_reported(site_dir, tmp_path):
    """Found while writing the examples: a symbolic link to itself raised RuntimeError, and
    a named pipe made the build wait forever."""
    (site_dir / "actors" / "schleife.de.md").symlink_to("schleife.de.md")
    (site_dir / "kreis").symlink_to("kreis")
    os.mkfifo(site_dir / "actors" / "rohr.de.md")
    result = build_into(site_dir, tmp_path / "output")
    assert not result.written
    assert [str(p) for p in result.problems.errors] == [
        f"{site_dir}/actors/rohr.de.md: is not a regular file — only Markdown files belong in content/; remove it",
        f"{site_dir}/actors/schleife.de.md: is a symbolic link that leads to itself"
        " — remove it, or link to an existing file",
        f"{site_dir}/kreis: is a symbolic link that leads to itself — remove it, or link to an existing folder",
    ]

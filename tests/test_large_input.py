"""Very large and very deep input: built within bounded time and memory, or reported.

A 5 MB Markdown body builds in a fresh process, and the time and peak memory are checked
against generous bounds; `python -m bench.large_input` prints the figures, and those of a
site of 10,000 files, which takes too long for every test run. Text nested thousands of
levels deep (quotes, lists, emphasis, HTML elements, YAML) is a problem with file and
line, reported by the command line with exit status 1, never a crash.
"""

from __future__ import annotations

from conftest import run_cli, snapshot, write

from bench.large_input import BIG_ACTOR, BIG_FILE_END, big_file_site, measure
from sitegen import model
from sitegen.load import MAX_YAML_DEPTH
from sitegen.markup import MarkdownRenderer
from sitegen.model import MAX_NESTING

# Far above what the build needs (about 8 s and 160 MB on a 2-core machine): these catch
# a change that makes large input quadratic or keeps copies of it, not a slow machine.
MAX_SECONDS = 60
MAX_PEAK_MB = 1536


def test_five_megabyte_body_builds_within_bounds(tmp_path):
    content = big_file_site(tmp_path / "content", 5_000_000)
    assert (content / BIG_ACTOR).stat().st_size >= 5_000_000
    figures = measure(content, tmp_path / "output")
    assert figures["status"] == 0, figures
    assert figures["seconds"] < MAX_SECONDS, figures
    assert figures["peak_mb"] < MAX_PEAK_MB, figures
    page = (tmp_path / "output" / "de" / "akteure" / "izi" / "index.html").read_text(encoding="utf-8")
    assert BIG_FILE_END in page  # the whole body made it to the page
    assert page.count('<h2 id="abschnitt-') > 500  # its headings, each with its own anchor


ACTOR = "---\ntitle: Tief\nsummary: Zu tief verschachtelt.\ntype: company\ncity: Leipzig\n---\n{body}\n"
TOO_DEEP = (
    f"the text is nested too deeply (more than {MAX_NESTING} levels)"
    " — flatten the quotes, lists, emphasis or HTML elements from here on"
)
YAML_TOO_DEEP = (
    f"nesting too deep (more than {MAX_YAML_DEPTH} levels of lists and mappings)"
    " — flatten the value: fields hold text, numbers, lists of them or a list of figures"
)
DEEP = {
    "actors/zitate.de.md": (ACTOR.format(body="Vorweg.\n\n" + ">" * 10_000 + " Zitat"), 9, TOO_DEEP),
    "actors/zitate-mit-abstand.de.md": (ACTOR.format(body="> " * 10_000 + "Zitat"), 7, TOO_DEEP),
    # Tabs, so the file stays 12 MB; one level per tab, as Python-Markdown reads them.
    "actors/listen.de.md": (
        ACTOR.format(body="\n".join("\t" * level + "- Punkt" for level in range(5_000))),
        7 + MAX_NESTING,
        TOO_DEEP,
    ),
    "actors/betont.de.md": (ACTOR.format(body="*" * 10_000 + "x" + "*" * 10_000), 7, TOO_DEEP),
    "actors/elemente.de.md": (ACTOR.format(body="<div>" * 10_000 + "x" + "</div>" * 10_000), 7, TOO_DEEP),
    "actors/yaml.de.md": (ACTOR.replace("city: Leipzig", "topics: " + "[" * 10_000 + "]" * 10_000), 5, YAML_TOO_DEEP),
    # libyaml's composer crashed the interpreter (SIGSEGV) at this depth.
    "actors/yaml-tiefer.de.md": (
        ACTOR.replace("city: Leipzig", "partners:\n  " + "{a: " * 30_000 + "}" * 30_000),
        6,
        YAML_TOO_DEEP,
    ),
}


def test_pathological_nesting_is_reported_not_a_crash(site_dir, tmp_path):
    content, output = site_dir, tmp_path / "output"
    assert run_cli("--content", str(content), "--output", str(output)).returncode == 0
    before = snapshot(output)

    write(content, {name: text for name, (text, _, _) in DEEP.items()})
    done = run_cli("--content", str(content), "--output", str(output))
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    for name, (_, line, message) in DEEP.items():
        assert f"{content}/{name}:{line}: {message}" in done.stderr, (name, done.stderr[-2000:])
    assert snapshot(output) == before


def test_elements_nested_one_level_too_deep_are_found():
    # At the limit, the HTML has just few enough '<' to pass without being walked through;
    # one level more, and it is walked through and refused.
    renderer = MarkdownRenderer("de")
    for levels, refused in ((MAX_NESTING, False), (MAX_NESTING + 1, True)):
        result = model._convert(renderer, "<div>" * levels + "x" + "</div>" * levels, "de/akteure/a/", {})
        assert isinstance(result, model.TooDeepError) is refused, levels
    # Many elements side by side are not deep.
    wide = "\n\n".join(f"- *{n}*" for n in range(MAX_NESTING * 3))
    assert not isinstance(model._convert(renderer, wide, "de/akteure/a/", {}), model.TooDeepError)

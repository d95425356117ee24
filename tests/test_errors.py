"""Every kind of bad input: the exact message, all problems at once, output/ untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import build_into, run_cli, snapshot, write

from sitegen.pipeline import PROJECT_DIR

ACTOR = """---
title: Neu
summary: Ein neuer Akteur.
type: company
city: Leipzig
{extra}---
{body}
"""


def actor(extra: str = "", body: str = "Text.") -> str:
    return ACTOR.format(extra=extra, body=body)


def messages(content, tmp_path):
    """Build the broken site over a good earlier build; return its messages and prove output/ kept."""
    output = tmp_path / "output"
    before = snapshot(output)
    result = build_into(content, output)
    assert result.problems, "the build should have failed"
    assert not result.written
    assert snapshot(output) == before
    return [str(p) for p in result.problems.errors]


@pytest.fixture
def good_output(site_dir, tmp_path):
    result = build_into(site_dir, tmp_path / "output")
    assert result.written
    return tmp_path / "output"


CASES = {
    "unknown field with suggestion": (
        {"actors/neu.de.md": actor("titel: Falsch\n")},
        "actors/neu.de.md:6: unknown field 'titel' — did you mean 'title'?",
    ),
    "broken YAML": (
        {"actors/neu.de.md": actor("topics: [zelltherapie\n")},
        "actors/neu.de.md:7: broken YAML: did not find expected ',' or ']' (while parsing a flow sequence)"
        " — check indentation, colons and quotes; put text containing ': ' in quotes",
    ),
    "value not allowed": (
        {"actors/neu.de.md": ACTOR.format(extra="", body="x").replace("type: company", "type: firma")},
        "actors/neu.de.md:4: 'type': 'firma' is not allowed — use one of: research-institute, university,"
        " clinic, company, startup, network, agency, infrastructure",
    ),
    "wrong type": (
        {"actors/neu.de.md": actor("founded: neunzehnhundert\n")},
        "actors/neu.de.md:6: 'founded': expected a whole number such as 1997 — write digits only, without quotes",
    ),
    "missing required translatable field": (
        {"actors/neu.en.md": "---\ntitle: New\n---\nText.\n"},
        "actors/neu.en.md:1: required field 'summary' is missing — add 'summary: …' to the front matter",
    ),
    "missing required fact": (
        {"actors/neu.de.md": actor().replace("type: company\n", "")},
        "actors/neu.de.md:1: required field 'type' is missing — add 'type: …' to the front matter",
    ),
    "unknown link": (
        {"actors/neu.de.md": actor(body="Erstens.\n\nSiehe [[zeltherapie]].")},
        "actors/neu.de.md:9: link [[zeltherapie]]: no page with slug 'zeltherapie' — did you mean 'zelltherapie'?",
    ),
    "link without a slug": (
        {"actors/neu.de.md": actor(body="[[#verfahren]]")},
        "actors/neu.de.md:7: link [[#verfahren]] names no page — write [[slug]] or [[slug#heading]]",
    ),
    "unknown anchor": (
        {"actors/neu.de.md": actor(body="[[zelltherapie#verfahen]]")},
        "actors/neu.de.md:7: link [[zelltherapie#verfahen]]: {content}/topics/zelltherapie.de.md has no heading"
        " '#verfahen' — did you mean 'verfahren'?",
    ),
    "unknown relation target": (
        {"actors/neu.de.md": actor("topics:\n  - zelltherapie\n  - gmpp\n")},
        "actors/neu.de.md:8: topics: no topic with slug 'gmpp' — did you mean 'gmp'?",
    ),
    "relation to the wrong section": (
        {"actors/neu.de.md": actor("partners: [gmp]\n")},
        "actors/neu.de.md:6: partners: 'gmp' is in topics, not actors — list only actors here",
    ),
    "fact stated in a translation": (
        {"actors/izi.en.md": "---\ntitle: IZI\nsummary: An institute.\ncity: Halle\n---\nText.\n"},
        "actors/izi.en.md:4: 'city' is a language-neutral fact and is stated in {content}/actors/izi.de.md"
        " — remove it here; facts are stated once, in the de file",
    ),
    "duplicate slug": (
        {"topics/izi.de.md": "---\ntitle: IZI\nsummary: Doppelt.\n---\n"},
        "topics/izi.de.md: slug 'izi' is already used by {content}/actors/izi.de.md"
        " — slugs name one page across all sections; rename one of the files",
    ),
    "duplicate field": (
        {"actors/neu.de.md": actor("title: Noch einmal\n")},
        "actors/neu.de.md:6: field 'title' appears twice (first on line 2) — keep one of them",
    ),
    "no front matter": (
        {"actors/neu.de.md": "Nur Text.\n"},
        "actors/neu.de.md:1: no front matter"
        " — start the file with a '---' line, then the fields, then another '---' line",
    ),
    "unclosed front matter": (
        {"actors/neu.de.md": "---\ntitle: Neu\n"},
        "actors/neu.de.md:1: the front matter is not closed — add a line with '---' after the last field",
    ),
    "bad encoding": (
        {"actors/neu.de.md": actor(body="Gr\xf6\xdfe").encode("latin-1")},
        "actors/neu.de.md:7: not UTF-8 text (byte 0xf6 in column 3) — save the file with UTF-8 encoding",
    ),
    "file in the wrong place": (
        {"neu.de.md": actor()},
        "neu.de.md: file in the wrong place — put pages in a section folder (actors, topics, projects, news,"
        " pages), e.g. content/pages/neu.de.md",
    ),
    "unknown section folder": (
        {"actor/neu.de.md": actor()},
        "actor: unknown section folder 'actor' — did you mean 'actors'?",
    ),
    "file name without language": (
        {"actors/neu.md": actor()},
        "actors/neu.md: the file name does not say its language — name it <slug>.de.md, e.g. neu.de.md",
    ),
    "unknown language": (
        {"actors/neu.fr.md": actor()},
        "actors/neu.fr.md: unknown language 'fr' in the file name — languages are de, en",
    ),
    "bad slug": (
        {"actors/Neue Firma.de.md": actor()},
        "actors/Neue Firma.de.md: 'Neue Firma' is not a valid slug — use lowercase letters, digits and single"
        " hyphens, e.g. 'neue-firma'",
    ),
    "non-Markdown file": (
        {"actors/bild.png": b"\x89PNG"},
        "actors/bild.png: only Markdown files (.md) belong in content/ — put pictures and other files in assets/",
    ),
    "URL claimed twice": (
        {"pages/akteure.de.md": "---\ntitle: Akteure\nsummary: Doppelt.\n---\n"},
        "pages/akteure.de.md: its address /de/akteure/ is already taken by the actors index"
        " ({content}/site.yaml) — rename the file to another slug",
    ),
    "figure without a label": (
        {"actors/neu.de.md": actor("figures: [{id: jobs, value: 361, unit: count}]\n")},
        "actors/neu.de.md:1: figure 'jobs' has no label — add 'jobs: …' under figure_labels",
    ),
    "figure value as text": (
        {"actors/neu.de.md": actor("figures: [{id: jobs, value: '361 Jobs', unit: count}]\n")},
        "actors/neu.de.md:6: 'figures': figure 'jobs': value must be a plain number such as 141.82"
        " — no units or dots for thousands",
    ),
    "figure label without a figure": (
        {
            "actors/neu.de.md": actor(
                "figures: [{id: jobs, value: 1, unit: count}]\nfigure_labels: {jobs: a, jbos: b}\n"
            )
        },
        "actors/neu.de.md:7: figure_labels: no figure with id 'jbos' — did you mean 'jobs'?",
    ),
    "two pages claim one URL through a localized slug": (
        {"topics/gmp.en.md": "---\ntitle: GMP\nsummary: GMP.\nslug: cell-therapy\n---\n"},
        "topics/zelltherapie.en.md: its address /en/topics/cell-therapy/ is already taken by {content}/topics/gmp.en.md"
        " — set another 'slug:' in one of the two files",
    ),
    "bad localized slug": (
        {"topics/gmp.en.md": "---\ntitle: GMP\nsummary: GMP.\nslug: Zell Therapie\n---\n"},
        "topics/gmp.en.md:4: 'slug': 'Zell Therapie' is not a valid slug"
        " — use lowercase letters, digits and single hyphens",
    ),
    "front matter that is not a mapping": (
        {"actors/neu.de.md": "---\n- a\n- b\n---\nText.\n"},
        "actors/neu.de.md:2: expected fields as 'name: value' lines — see README.md for an example",
    ),
    "a year as text": (
        {"actors/neu.de.md": actor("founded: neunzehnhundert\n")},
        "actors/neu.de.md:6: 'founded': expected a whole number such as 1997 — write digits only, without quotes",
    ),
    "a list where text belongs": (
        {"actors/neu.de.md": "---\ntitle: [Neu, Alt]\nsummary: x\ntype: company\n---\n"},
        "actors/neu.de.md:2: 'title': expected text — write it on the same line, e.g. title: Leipzig",
    ),
    "a list where a web address belongs": (
        {"actors/neu.de.md": actor("website: [https://example.org]\n")},
        "actors/neu.de.md:6: 'website': expected a web address starting with https:// or http://"
        " — write the whole address, e.g. https://www.example.org/",
    ),
    "misspelled relation target": (
        {"actors/neu.de.md": actor("topics: [zelltherapy]\n")},
        "actors/neu.de.md:6: topics: no topic with slug 'zelltherapy' — did you mean 'zelltherapie'?",
    ),
    "byte-order mark": (
        {"actors/neu.de.md": b"\xef\xbb\xbf" + actor().encode()},
        "actors/neu.de.md:1: the file starts with a byte-order mark (BOM)"
        " — save it as UTF-8 without BOM (editors offer 'UTF-8' beside 'UTF-8 with BOM')",
    ),
    "empty file": (
        {"actors/neu.de.md": ""},
        "actors/neu.de.md:1: no front matter — start the file with a '---' line, then the fields,"
        " then another '---' line",
    ),
    "broken site.yaml": (
        {"site.yaml": "title: [x\n"},
        "site.yaml:2: broken YAML: did not find expected ',' or ']' (while parsing a flow sequence)"
        " — check indentation, colons and quotes; put text containing ': ' in quotes",
    ),
    "site.yaml that is not a mapping": (
        {"site.yaml": "- de\n- en\n"},
        "site.yaml:1: expected fields as 'name: value' lines — see README.md for an example",
    ),
    "unknown setting": (
        {"site.yaml": "languages: [de, en]\ndefault_language: de\ntitel: x\n"},
        "site.yaml:3: unknown setting 'titel' — did you mean 'title'?",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_is_reported_exactly(case, site_dir, good_output, tmp_path):
    files, expected = CASES[case]
    write(site_dir, files)
    found = messages(site_dir, tmp_path)
    assert f"{site_dir}/" + expected.format(content=site_dir) in found


def test_all_problems_are_reported_in_one_run(site_dir, good_output, tmp_path):
    write(
        site_dir,
        {
            "actors/a.de.md": actor("titel: x\n"),
            "actors/b.de.md": actor(body="[[nirgends]]"),
            "actors/c.de.md": actor("partners: [unbekannt]\n"),
        },
    )
    found = messages(site_dir, tmp_path)
    assert len(found) == 3
    assert [m.split(":")[0].rsplit("/", 1)[1] for m in found] == ["a.de.md", "b.de.md", "c.de.md"]


def test_cli_prints_path_line_and_exits_1_leaving_output(site_dir, good_output, tmp_path):
    write(site_dir, {"actors/neu.de.md": actor(body="[[fehlt]]")})
    before = snapshot(good_output)
    done = run_cli("--content", str(site_dir), "--output", str(good_output))
    assert done.returncode == 1
    assert f"{site_dir}/actors/neu.de.md:7: link [[fehlt]]: no page with slug 'fehlt'" in done.stderr
    assert "Traceback" not in done.stderr
    assert "nothing was written" in done.stderr
    assert snapshot(good_output) == before


def test_template_mistake_is_reported_with_template_line(site_dir, tmp_path):
    templates = tmp_path / "templates"
    import shutil

    from sitegen.pipeline import PROJECT_DIR

    shutil.copytree(PROJECT_DIR / "templates", templates)
    (templates / "page.html").write_text(
        '{% extends "base.html" %}\n{% block main %}{{ nothing_here }}{% endblock %}\n'
    )
    result = build_into(site_dir, tmp_path / "output", templates_dir=templates)
    messages = [str(p) for p in result.problems.errors]
    assert any(m.startswith(f"{templates}/page.html:2: template error: 'nothing_here' is undefined") for m in messages)
    assert not (tmp_path / "output").exists()


def test_a_link_out_of_the_content_folder_is_refused(site_dir, good_output, tmp_path):
    outside = tmp_path / "secret.de.md"
    outside.write_text(actor(), encoding="utf-8")
    (site_dir / "actors/geheim.de.md").symlink_to(outside)
    assert messages(site_dir, tmp_path) == [
        f"{site_dir}/actors/geheim.de.md: links to a file outside the content folder"
        " — copy the file into content/ instead of linking to it"
    ]


def test_raw_html_is_cleaned_with_a_warning_and_front_matter_is_escaped(site_dir, tmp_path):
    write(
        site_dir,
        {
            "actors/neu.de.md": actor(body='Text.\n\n<script>alert("x")</script>\n\n<p onmouseover="x()">Hallo</p>\n')
            .replace("title: Neu", "title: Neu <script>alert(1)</script>")
            .replace("summary: Ein neuer Akteur.", "summary: '<img src=x onerror=alert(1)>'"),
        },
    )
    result = build_into(site_dir, tmp_path / "output")
    assert not result.problems.errors
    assert [str(p) for p in result.problems.warnings if "neu.de.md" in p.path] == [
        f"{site_dir}/actors/neu.de.md:9: warning: <script> was removed from the text"
        " — write the text in Markdown; only simple HTML without scripts or styles is kept",
        f"{site_dir}/actors/neu.de.md:11: warning: the attribute onmouseover= of <p> was removed from the text"
        " — write the text in Markdown; only simple HTML without scripts or styles is kept",
    ]
    page = (tmp_path / "output/de/akteure/neu/index.html").read_text(encoding="utf-8")
    assert "alert" not in page.split("</head>")[1].replace("&lt;script&gt;alert(1)&lt;/script&gt;", "").replace(
        "&lt;img src=x onerror=alert(1)&gt;", ""
    )
    assert "<h1>Neu &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
    assert "onmouseover" not in page and "<img" not in page


def test_a_section_folder_linked_from_elsewhere_is_refused(site_dir, good_output, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    shutil.move(site_dir / "news", elsewhere)
    (site_dir / "news").symlink_to(elsewhere, target_is_directory=True)
    assert messages(site_dir, tmp_path) == [
        f"{site_dir}/news: links to a folder outside the content folder"
        " — move the folder into content/ instead of linking to it"
    ]


@pytest.mark.parametrize("target", ["root", "home", "project", "above the project", "content", "templates"])
def test_output_folders_whose_replacement_would_lose_work_are_refused(site_dir, target):
    folder = {
        "root": Path("/"),
        "home": Path.home(),
        "project": PROJECT_DIR,
        "above the project": PROJECT_DIR.parent,
        "content": site_dir,
        "templates": PROJECT_DIR / "templates",
    }[target]
    before = sorted(p.name for p in folder.iterdir())
    result = run_cli("--content", str(site_dir), "--output", str(folder))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "refusing to replace this folder" in result.stderr or "would delete" in result.stderr, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == before


def test_a_broken_file_does_not_bring_consequential_errors_in_its_translation(site_dir, good_output, tmp_path):
    source = site_dir / "actors/izi.de.md"
    source.write_text(source.read_text(encoding="utf-8").replace("city: Leipzig", "city: [Leipzig"), encoding="utf-8")
    found = messages(site_dir, tmp_path)
    assert len(found) == 1 and found[0].startswith(f"{site_dir}/actors/izi.de.md:"), found
    assert "broken YAML" in found[0]

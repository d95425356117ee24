"""`build.py check` on a built site: clean sites pass, each kind of planted defect is found."""

from __future__ import annotations

import shutil

import pytest
from conftest import FIXTURE, build_into, run_cli

from sitegen.load import display_path
from sitegen.pipeline import PROJECT_DIR


@pytest.fixture
def built(tmp_path):
    output = tmp_path / "site"
    assert build_into(FIXTURE, output).written
    return output


def plant(page, old: str, new: str) -> None:
    text = page.read_text(encoding="utf-8")
    assert old in text, old
    page.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_freshly_built_site_has_no_findings(built):
    result = run_cli("check", "--output", str(built))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Checked 31 pages in {built}: no problems found.\n"


def test_the_real_site_has_no_findings(tmp_path):
    output = tmp_path / "real"
    assert build_into(PROJECT_DIR / "content", output).written
    result = run_cli("check", "--output", str(output))
    assert result.returncode == 0, result.stdout + result.stderr


PAGE = "de/akteure/izi/index.html"
SOURCE = display_path(FIXTURE / "actors/izi.de.md")


@pytest.mark.parametrize(
    ("old", "new", "finding"),
    [
        ('href="../../themen/gmp/"', 'href="../../themen/gnp/"', "link to '../../themen/gnp/' leads nowhere"),
        ("#verfahren", "#verfahrn", "link to '../../themen/zelltherapie/#verfahrn': no element with id 'verfahrn'"),
        ('<html lang="de">', "<html>", "the page does not say its language"),
        ("<title>", "<title>\n</title><meta name=x content='", "the page has no title"),
        ("</h1>", "</h1><h1>Zweite</h1>", "the page has 2 h1 headings, not one"),
        ('<meta name="description" content="', '<meta name="description" content=" " data-x="', "no description"),
        ('<div class="body">', '<div class="body"><img src="../../../assets/x.png">', "has no alt text"),
    ],
)
def test_each_planted_defect_is_found_with_its_source(built, old, new, finding):
    plant(built / PAGE, old, new)
    result = run_cli("check", "--output", str(built))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if finding in line]
    assert lines and lines[0].startswith(f"{built / PAGE}: "), result.stderr
    assert f"(made from {SOURCE})" in lines[0]


def test_alternates_must_link_back(built):
    english = built / "en/actors/izi/index.html"
    plant(
        english,
        'hreflang="de" href="https://example.org/sub/de/akteure/izi/"',
        'hreflang="de" href="https://example.org/sub/de/akteure/tud/"',
    )
    result = run_cli("check", "--output", str(built))
    assert result.returncode == 1
    assert f"{built / PAGE}: alternate en/actors/izi/index.html does not list this page back" in result.stderr
    english_finding = f"{english}: alternate de/akteure/tud/index.html does not list this page back"
    assert english_finding in result.stderr


def test_missing_site_is_reported(tmp_path):
    result = run_cli("check", "--output", str(tmp_path / "nothing"))
    assert result.returncode == 1 and "no built site here" in result.stderr


def test_a_missing_stylesheet_is_found(built):
    stylesheet = next((built / "assets").glob("style.*.css"))
    shutil.move(stylesheet, built / "style.css")
    result = run_cli("check", "--output", str(built))
    assert result.returncode == 1 and f"link to '../{stylesheet.relative_to(built)}' leads nowhere" in result.stderr

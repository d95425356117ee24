"""The editors' guides and the README name only commands that exist."""

from __future__ import annotations

import re

import pytest

from sitegen.cli import main
from sitegen.pipeline import PROJECT_DIR

DOCUMENTS = ["README.md", "docs/editors-guide.en.md", "docs/leitfaden-redaktion.de.md"]


def commands(pattern: str) -> set[str]:
    found = set()
    for name in DOCUMENTS:
        found |= set(re.findall(pattern, (PROJECT_DIR / name).read_text(encoding="utf-8")))
    return found


def test_both_guides_exist_and_link_each_other():
    english = (PROJECT_DIR / "docs/editors-guide.en.md").read_text(encoding="utf-8")
    german = (PROJECT_DIR / "docs/leitfaden-redaktion.de.md").read_text(encoding="utf-8")
    assert "(leitfaden-redaktion.de.md)" in english and "(editors-guide.en.md)" in german
    # The same steps in both: clone, preview, new page, links, translations, problems, publishing.
    assert english.count("\n## ") == german.count("\n## ") >= 8


@pytest.mark.parametrize("command", sorted(commands(r"python build\.py (\w+)")))
def test_every_build_py_command_in_the_docs_exists(command: str, capsys):
    with pytest.raises(SystemExit) as exit_status:
        main([command, "--help"])
    assert exit_status.value.code == 0, command


@pytest.mark.parametrize("target", sorted(commands(r"`make (\w[\w-]*)")))
def test_every_make_target_in_the_docs_exists(target: str):
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^{re.escape(target)}:", makefile, re.MULTILINE), target

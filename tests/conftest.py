"""Shared test helpers: the fixture site, building into a temporary folder, parsing output."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from sitegen.pipeline import PROJECT_DIR, BuildOptions, build

FIXTURE = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture site's content folder."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURE, target)
    return target


def write(root: Path, files: dict[str, str | bytes]) -> None:
    """Write (or overwrite) a few files below `root`."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")


def build_into(content: Path, output: Path, **options):
    """Build in-process; returns the BuildResult."""
    return build(BuildOptions(content_dir=content, output_dir=output, **options))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run `python build.py ARGS` as a user would, from the project folder."""
    return subprocess.run(
        [sys.executable, str(PROJECT_DIR / "build.py"), *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` with its bytes, to prove a folder was left untouched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def built_fixture(tmp_path_factory) -> Path:
    """The fixture site built once for the read-only end-to-end tests."""
    output = tmp_path_factory.mktemp("fixture") / "output"
    result = build_into(FIXTURE, output)
    assert not result.problems, [str(p) for p in result.problems.errors]
    return output

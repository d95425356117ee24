"""Incremental builds: after any series of changes, a build with the preview's cache
makes exactly the files a fresh build makes, and renders only what depends on a change."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import FIXTURE

from bench.corpus import generate
from sitegen.memo import BuildCache
from sitegen.pipeline import PROJECT_DIR, BuildOptions, build_files


class Workspace:
    """A copy of content, templates, catalogs and assets that the test edits."""

    def __init__(self, root: Path, content: Path):
        self.root = root
        for name in ("templates", "locales", "assets"):
            shutil.copytree(PROJECT_DIR / name, root / name)
        shutil.copytree(content, root / "content")
        self.options = BuildOptions(
            content_dir=root / "content",
            templates_dir=root / "templates",
            locales_dir=root / "locales",
            assets_dir=root / "assets",
            drafts=True,  # as the preview builds
        )
        self.cache = BuildCache()
        self.clock = time.time() - 10_000
        self.age_everything()

    def age_everything(self) -> None:
        """Give every file an old timestamp, so the cache trusts what it read."""
        for path in self.root.rglob("*"):
            self.age(path)

    def age(self, path: Path) -> None:
        # A distinct time for every change, well before the build: the cache must
        # notice the change by the file's signature alone, not by its recent mtime.
        self.clock += 1
        os.utime(path, (self.clock, self.clock))

    def write(self, name: str, text: str) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.age(path)

    def edit(self, name: str, old: str, new: str) -> None:
        text = (self.root / name).read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        self.write(name, text.replace(old, new, 1))

    def rename(self, old: str, new: str) -> None:
        (self.root / old).rename(self.root / new)
        self.age(self.root / new)

    def delete(self, name: str) -> None:
        (self.root / name).unlink()

    def check(self):
        """Build incrementally and from scratch; both must give the same files and problems."""
        incremental = build_files(self.options, self.cache)
        counts = dict(self.cache.counts)
        fresh = build_files(self.options)
        assert incremental.problems.items == fresh.problems.items
        assert sorted(incremental.files) == sorted(fresh.files)
        different = [name for name in fresh.files if incremental.files[name] != fresh.files[name]]
        assert different == []
        return incremental, counts


@pytest.fixture
def mini(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path, FIXTURE)


def pages(result) -> int:
    return sum(name.endswith(".html") for name in result.files)


def test_a_series_of_changes_gives_what_a_fresh_build_gives(mini: Workspace):
    result, counts = mini.check()
    assert counts["rendered"] == pages(result) and counts["reused"] == 0

    # Nothing changed: nothing is rendered again.
    result, counts = mini.check()
    assert counts == {"rendered": 0, "reused": pages(result)}

    # A body edit: the page in both languages (each shows the entity) and the search
    # page of that language, whose index file changed name.
    mini.edit("content/actors/tud.de.md", "\n---\n", "\n---\nEin neuer erster Satz.\n\n")
    result, counts = mini.check()
    assert counts["rendered"] == 3
    assert "Ein neuer erster Satz." in result.files["de/akteure/tud/index.html"].decode()

    # A title: lists, related pages and every [[link]] that shows it change too.
    mini.edit("content/topics/zelltherapie.de.md", "title: ", "title: Neu ")
    result, counts = mini.check()
    assert 3 < counts["rendered"] < pages(result)

    # A new [[link]] in a body: the page it leads to lists the linking page among its
    # backlinks, and shows that page's new title when it changes.
    mini.edit("content/actors/izi.de.md", "\n---\n", "\n---\nSiehe [[foerderung]].\n\n")
    result, _ = mini.check()
    assert "Fraunhofer-Institut für Zelltherapie" in result.files["de/aktuelles/foerderung/index.html"].decode()
    mini.edit("content/actors/izi.de.md", "title: Fraunhofer-Institut", "title: Das Fraunhofer-Institut")
    result, _ = mini.check()
    assert "Das Fraunhofer-Institut" in result.files["de/aktuelles/foerderung/index.html"].decode()

    # A new page, a rename and a deletion.
    mini.write(
        "content/actors/neu.de.md",
        "---\ntitle: Neuer Akteur\nsummary: Ganz neu.\ntype: startup\ntopics: [gmp]\n---\nText.\n",
    )
    mini.check()
    mini.rename("content/actors/neu.de.md", "content/actors/umbenannt.de.md")
    result, _ = mini.check()
    assert "de/akteure/umbenannt/index.html" in result.files and "de/akteure/neu/index.html" not in result.files
    mini.delete("content/actors/umbenannt.de.md")
    result, _ = mini.check()
    assert "de/akteure/umbenannt/index.html" not in result.files

    # A draft is shown in the preview; marking it published changes nothing else.
    mini.edit("content/news/strategie.de.md", "---\n", "---\ndraft: true\n")
    mini.check()

    # A template used by one kind of page only: only those pages are rendered again.
    mini.edit("templates/news.html", "{% block relations %}", "{% block relations %}<!-- news -->")
    result, counts = mini.check()
    news_pages = sum(1 for name in result.files if "/aktuelles/" in name or "/news/" in name)
    assert 0 < counts["rendered"] <= news_pages

    # The base template and the catalog: every page (of that language) again.
    mini.edit("templates/base.html", "</body>", "<!-- base --></body>")
    result, counts = mini.check()
    assert counts["rendered"] == sum(b"<!-- base -->" in data for data in result.files.values()) > pages(result) - 3
    mini.edit("locales/de/LC_MESSAGES/messages.po", 'msgstr "Akteure"', 'msgstr "Beteiligte"')
    result, counts = mini.check()
    assert "Beteiligte" in result.files["de/index.html"].decode()
    assert counts["rendered"] >= pages(result) // 2

    # An asset: its name changes, so every page naming it is rendered again.
    mini.edit("assets/style.css", "\n", "\n/* changed */\n")
    mini.check()

    # Site settings.
    mini.edit("content/site.yaml", "title:\n  de: ", "title:\n  de: Neu ")
    mini.check()


def test_a_broken_edit_and_its_fix(mini: Workspace):
    mini.check()
    mini.edit("content/actors/izi.de.md", "city: Leipzig", "city: [Leipzig")
    result, _ = mini.check()
    assert result.problems and not result.files
    mini.edit("content/actors/izi.de.md", "city: [Leipzig", "city: Dresden")
    result, counts = mini.check()
    assert not result.problems.errors and "Dresden" in result.files["de/akteure/izi/index.html"].decode()
    assert counts["rendered"] < pages(result)

    mini.edit("templates/actor.html", "{% block", "{% bloc")
    result, _ = mini.check()
    assert any("templates/actor.html" in str(p) for p in result.problems.errors)
    mini.edit("templates/actor.html", "{% bloc", "{% block")
    mini.check()


def test_a_generated_site_after_edits(tmp_path: Path):
    generate(tmp_path / "corpus", actors=60)
    space = Workspace(tmp_path / "work", tmp_path / "corpus")
    space.check()
    last = "content/actors/akteur-00059"  # nobody lists the last actor as a partner
    space.edit(f"{last}.en.md", "\n---\n", "\n---\nA new first sentence.\n\n")
    space.edit("content/actors/akteur-00010.de.md", "title: ", "title: Umbenannt ")
    space.check()
    space.rename(f"{last}.de.md", "content/actors/akteur-neu.de.md")
    space.rename(f"{last}.en.md", "content/actors/akteur-neu.en.md")
    space.check()
    space.delete("content/actors/akteur-neu.de.md")
    space.check()
    space.edit("content/topics/thema-0001.de.md", "---\n", "---\ndraft: true\n")
    space.check()

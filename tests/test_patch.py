"""The live preview's patches (patch.py): a saved body is patched into the last site
only when that gives the files and problems a fresh build gives; anything more is built."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from conftest import FIXTURE
from test_incremental import Workspace

from bench.corpus import generate
from sitegen.pipeline import build_files
from sitegen.serve import Preview


class PreviewSpace(Workspace):
    """A workspace with a preview on it, told of each saved file as the watcher tells it."""

    def __init__(self, root: Path, content: Path):
        super().__init__(root, content)
        self.log: list[str] = []
        self.preview = Preview(self.options, log=self.log.append)
        assert self.preview.rebuild()

    def save(self, *edits: tuple[str, str, str]) -> Preview:
        """Make the edits (file, old text, new text), then let the preview take them in."""
        for name, old, new in edits:
            self.edit(name, old, new)
        self.preview.rebuild(str(self.root / name) for name, _, _ in edits)
        return self.preview

    def same_as_fresh(self) -> None:
        """The preview serves what a fresh build of the same files gives."""
        fresh = build_files(self.options)
        preview = self.preview
        assert [str(p) for p in preview.last.problems.items] == [str(p) for p in fresh.problems.items]
        assert sorted(preview.files) == sorted(fresh.files)
        assert [name for name in fresh.files if preview.files[name] != fresh.files[name]] == []


@pytest.fixture
def space(tmp_path: Path) -> PreviewSpace:
    return PreviewSpace(tmp_path, FIXTURE)


def search_data(files: dict[str, bytes], lang: str) -> dict:
    name = next(n for n in files if re.fullmatch(rf"assets/search-{lang}\.\w+\.js", n))
    text = files[name].decode()
    return json.loads(text[text.index("=") + 1 : text.rindex(";")])


def test_a_body_edit_is_patched_into_its_pages_and_the_search(space: PreviewSpace):
    old_search = next(n for n in space.preview.files if n.startswith("assets/search-de."))
    preview = space.save(("content/actors/tud.de.md", "forscht gemeinsam", "forscht seit Neuestem gemeinsam"))
    assert preview.patched
    # Its page in both languages (each is given the entity) and the German search page,
    # which names the German search file, now under a new name.
    assert preview.cache.counts["rendered"] == 3
    assert "seit Neuestem" in preview.files["de/akteure/tud/index.html"].decode()
    assert old_search not in preview.files
    texts = [d["text"] for d in search_data(preview.files, "de")["documents"] if d["url"] == "de/akteure/tud/"]
    assert texts == ["Die Universität forscht seit Neuestem gemeinsam mit dem Fraunhofer-Institut für Zelltherapie."]
    assert "changed: built in" in space.log[-1] and "3 page(s) rendered" in space.log[-1]
    space.same_as_fresh()

    # Patches follow one another, each from the last.
    preview = space.save(("content/actors/tud.en.md", "\n---\n", "\n---\nA new first sentence.\n\n"))
    assert preview.patched
    space.same_as_fresh()
    # Back to the texts of before: the profiles made for them are taken from the cache;
    # the two search pages are rendered again, for the search files' names.
    preview = space.save(
        ("content/actors/tud.de.md", "forscht seit Neuestem gemeinsam", "forscht gemeinsam"),
        ("content/actors/tud.en.md", "\n---\nA new first sentence.\n\n", "\n---\n"),
    )
    assert preview.patched and preview.cache.counts["rendered"] == 2
    space.same_as_fresh()


def test_several_files_a_news_item_and_an_untranslated_page(space: PreviewSpace):
    preview = space.save(
        ("content/news/foerderung.de.md", "Nachricht mit", "Eine *Nachricht* mit"),
        ("content/actors/izi.en.md", "\n---\n", "\n---\nMore text.\n\n"),
    )
    assert preview.patched
    feed = next(data for name, data in preview.files.items() if name.startswith("de/") and name.endswith(".xml"))
    assert "Eine <em>Nachricht</em> mit" in html.unescape(feed.decode())
    space.same_as_fresh()

    # A page only in German is in the English search too: both search files change.
    before = {lang: search_data(preview.files, lang) for lang in ("de", "en")}
    preview = space.save(("content/topics/gmp.de.md", "Nur auf Deutsch", "Weiterhin nur auf Deutsch"))
    assert preview.patched
    for lang in ("de", "en"):
        assert search_data(preview.files, lang) != before[lang]
    space.same_as_fresh()


def test_saves_that_change_nothing_or_only_editor_files(space: PreviewSpace):
    space.write("content/actors/tud.de.md~", "a backup")
    preview = space.save(("content/actors/tud.de.md", "Die Universität", "Die Universität"))
    assert preview.patched and preview.cache.counts["rendered"] == 0
    preview.rebuild([str(space.root / "content/actors/tud.de.md~"), str(space.root / "content/actors/.tud.de.md.swp")])
    assert preview.patched and preview.cache.counts["rendered"] == 0
    space.same_as_fresh()


@pytest.mark.parametrize(
    ("name", "old", "new", "why"),
    [
        ("content/actors/tud.de.md", "Die Universität", "## Neu\n\nDie Universität", "a heading: new anchor"),
        ("content/actors/tud.de.md", "[[izi]]", "[[izi]] und [[netzwerk]]", "a new link: a new backlink"),
        ("content/actors/tud.de.md", "[[izi]]", "Fraunhofer", "a link less: a backlink less"),
        ("content/actors/tud.de.md", "city: Dresden", "city: Leipzig", "a fact"),
        ("content/actors/tud.de.md", "title: Technische", "title: Die Technische", "a title"),
        ("content/actors/tud.de.md", "type: university\n", "type: university\n\n", "the front matter's lines"),
        ("content/pages/home.de.md", "\n---\n", "\n---\nNeu.\n\n", "the home page shows its body"),
        ("content/site.yaml", "de: Testseite", "de: Neue Testseite", "the settings"),
    ],
)
def test_anything_more_than_a_body_is_built(space: PreviewSpace, name: str, old: str, new: str, why: str):
    preview = space.save((name, old, new))
    assert not preview.patched, why
    assert not preview.errors
    space.same_as_fresh()


def test_a_body_with_a_problem_is_built_and_so_is_its_fix(space: PreviewSpace):
    preview = space.save(("content/actors/tud.de.md", "[[izi]]", "[[izi-gibt-es-nicht]]"))
    assert not preview.patched and preview.errors  # reported, and the last good site stays
    assert "Die Universität forscht gemeinsam mit dem" in preview.files["de/akteure/tud/index.html"].decode()
    preview = space.save(("content/actors/tud.de.md", "[[izi-gibt-es-nicht]]", "[[izi]]"))
    assert not preview.patched and not preview.errors
    space.same_as_fresh()

    # A warning names the file: the build that removes it is a build too.
    preview = space.save(("content/actors/tud.de.md", "Die Universität", "<script>x()</script>\n\nDie Universität"))
    assert not preview.patched and any("was removed" in line for line in space.log)
    preview = space.save(("content/actors/tud.de.md", "<script>x()</script>\n\n", ""))
    assert not preview.patched
    space.same_as_fresh()


def test_new_and_deleted_files_and_recorded_translations_are_built(space: PreviewSpace):
    space.write("content/actors/neu.de.md", "---\ntitle: Neu\nsummary: Ganz neu.\ntype: startup\n---\nText.\n")
    assert not space.preview.rebuild([str(space.root / "content/actors/neu.de.md")]) or not space.preview.patched
    space.same_as_fresh()
    space.delete("content/actors/neu.de.md")
    space.preview.rebuild([str(space.root / "content/actors/neu.de.md")])
    assert not space.preview.patched
    space.same_as_fresh()

    # A recorded translation is stale or current by its source's text: a build decides.
    record = {"translations": {"actors/tud.en.md": {"source_hash": "0" * 16, "source_text": {"body": "alt"}}}}
    space.write("content/translations.json", json.dumps(record))
    space.preview.rebuild([str(space.root / "content/translations.json")])
    preview = space.save(("content/actors/tud.de.md", "forscht", "arbeitet"))
    assert not preview.patched
    space.same_as_fresh()


def test_a_generated_site(tmp_path: Path):
    generate(tmp_path / "corpus", actors=40)
    space = PreviewSpace(tmp_path / "work", tmp_path / "corpus")
    name = "content/actors/akteur-00020"
    preview = space.save((f"{name}.de.md", "\n---\n", "\n---\nEin neuer Absatz mit *Betonung*.\n\n"))
    assert preview.patched
    preview = space.save((f"{name}.en.md", "\n---\n", "\n---\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"))
    assert preview.patched
    space.same_as_fresh()

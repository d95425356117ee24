"""`build.py new`: scaffolded pages hold every required field, build as drafts, refuse bad slugs."""

from __future__ import annotations

import pytest
import yaml
from conftest import build_into, run_cli, snapshot, soup

from sitegen.scaffold import KINDS
from sitegen.schema import SCHEMAS


def front_matter(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1]) or {}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_new_page_has_every_required_field_and_builds_as_a_draft(site_dir, tmp_path, kind):
    result = run_cli("new", kind, "neue-seite", "--content", str(site_dir))
    assert result.returncode == 0, result.stderr
    section = KINDS[kind]
    german, english = site_dir / section / "neue-seite.de.md", site_dir / section / "neue-seite.en.md"
    assert result.stdout.splitlines()[:2] == [f"wrote {german}", f"wrote {english}"]
    facts, text = front_matter(german), front_matter(english)
    required = {name for name, spec in SCHEMAS[section].items() if spec.required}
    assert required <= set(facts) and facts["draft"] is True
    translatable = {name for name, spec in SCHEMAS[section].items() if spec.required and spec.translatable}
    assert set(text) == translatable  # facts only in the German file
    optional = [name for name, spec in SCHEMAS[section].items() if not spec.required and name != "draft"]
    assert all(f"# {name}:" in german.read_text(encoding="utf-8") for name in optional)  # offered, commented out

    output = tmp_path / "out"
    published = build_into(site_dir, output)
    assert not published.problems.errors, [str(p) for p in published.problems.errors]
    assert not list(output.rglob("neue-seite"))  # a draft is left out ...
    preview = build_into(site_dir, tmp_path / "preview", drafts=True)
    assert not preview.problems.errors, [str(p) for p in preview.problems.errors]
    [page] = (tmp_path / "preview/de").rglob("neue-seite/index.html")  # ... and shown when asked for
    assert soup(page).h1.get_text() == "Neue Seite"


@pytest.mark.parametrize(
    ("slug", "where", "message"),
    [
        ("izi", "actors/izi.de.md", "the slug 'izi' is taken by this page — choose another slug for the new one"),
        ("gmp", "topics/gmp.de.md", "the slug 'gmp' is taken by this page — choose another slug for the new one"),
        (
            "Neues Institut",
            "actors/Neues Institut.de.md",
            "'Neues Institut' is not a valid slug — use lowercase letters, digits and single hyphens, "
            "e.g. 'neues-institut'",
        ),
    ],
)
def test_new_refuses_a_taken_or_bad_slug(site_dir, slug, where, message):
    before = snapshot(site_dir)
    result = run_cli("new", "actor", slug, "--content", str(site_dir))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"{site_dir / where}: {message}", "Nothing was written."]
    assert snapshot(site_dir) == before

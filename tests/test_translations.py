"""Pages in one language only, translation status, stale translations and `--strict`."""

from __future__ import annotations

from conftest import build_into, soup


def titles(doc, selector: str = ".item-list a") -> list[str]:
    return [a.get_text(strip=True) for a in doc.select(selector)]


def test_untranslated_pages_can_be_hidden_from_lists(site_dir, tmp_path):
    config = site_dir / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "untranslated: hide\n", encoding="utf-8")
    output = tmp_path / "out"
    result = build_into(site_dir, output)
    assert not result.problems.errors, [str(p) for p in result.problems.errors]
    # gmp exists only in German: gone from English lists, relations and counts ...
    assert "GMP-Herstellung" not in titles(soup(output / "en/topics/index.html"))
    assert "GMP-Herstellung" not in titles(soup(output / "en/actors/izi/index.html"))
    english_home = soup(output / "en/index.html")
    topics_card = english_home.select_one(".cards a[href='topics/']")
    assert "1 topic" in topics_card.get_text(" ", strip=True)
    # ... still listed in German, and its German page still says it is not translated.
    assert "GMP-Herstellung" in titles(soup(output / "de/themen/index.html"))
    assert "not translated yet" in soup(output / "de/themen/gmp/index.html").select_one(".lang-switch").get_text()


def test_untranslated_setting_refuses_other_values(site_dir, tmp_path):
    config = site_dir / "site.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "untranslated: maybe\n", encoding="utf-8")
    result = build_into(site_dir, tmp_path / "out")
    line = text.count("\n") + 1
    assert [str(p) for p in result.problems.errors] == [
        f"{config}:{line}: untranslated must be one of: show, hide — 'show' lists untranslated pages with their "
        "language; 'hide' leaves them out of lists"
    ]

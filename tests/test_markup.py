"""Markdown → HTML: editor features, heading anchors and [[cross-links]]."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from sitegen import markup, search
from sitegen.markup import LinkTarget, MarkdownRenderer, relative_url, slugify_heading

CONTENT = Path(__file__).resolve().parent.parent / "content"

TARGETS = {
    "car-t": {"de": LinkTarget("de/themen/car-t/", "CAR-T-Zelltherapie", "de")},
    "gmp": {"de": LinkTarget("en/topics/gmp/", "GMP manufacturing", "en")},
}


def resolve(slug: str):
    return TARGETS.get(slug, {}).get("de")


def assert_renders(source: str, expected: str, page: str = "de/akteure/izi/") -> None:
    assert MarkdownRenderer("de").render(source, page, resolve).html == expected


def test_plain_cross_link_uses_target_title_and_relative_url():
    assert_renders("Siehe [[car-t]].", '<p>Siehe <a href="../../themen/car-t/">CAR-T-Zelltherapie</a>.</p>')


def test_cross_link_with_text_and_anchor():
    assert_renders(
        "[[car-t#herstellung|hier]]",
        '<p><a href="../../themen/car-t/#herstellung">hier</a></p>',
    )


def test_cross_link_to_untranslated_page_is_marked_with_its_language():
    assert_renders(
        "[[gmp]]",
        '<p><a href="../../../en/topics/gmp/" hreflang="en" lang="en">GMP manufacturing '
        '<span class="lang-tag">EN</span></a></p>',
    )


def test_cross_links_in_code_are_left_alone():
    assert_renders("`[[car-t]]`", "<p><code>[[car-t]]</code></p>")


def test_links_are_recorded_with_unresolved_ones():
    rendered = MarkdownRenderer("de").render("[[car-t]] [[nope|x]]", "de/", resolve)
    assert [(link.slug, link.target is not None) for link in rendered.links] == [("car-t", True), ("nope", False)]


def test_tables_and_heading_anchors():
    rendered = MarkdownRenderer("de").render("## Über Größe\n\n| a | b |\n|---|---|\n| 1 | 2 |", "de/", resolve)
    assert '<h2 id="ueber-groesse">Über Größe</h2>' in rendered.html
    assert "<table>" in rendered.html and "<td>1</td>" in rendered.html
    assert "ueber-groesse" in rendered.anchors


def test_german_quotes_in_german_only():
    assert MarkdownRenderer("de").render('"Zitat"', "de/", resolve).html == "<p>„Zitat“</p>"
    assert MarkdownRenderer("en").render('"quote"', "en/", resolve).html == "<p>“quote”</p>"


def test_renderer_is_reusable_without_leaking_state():
    renderer = MarkdownRenderer("de")
    renderer.render("## Eins\n\n[[car-t]]", "de/", resolve)
    second = renderer.render("## Eins", "de/", resolve)
    assert second.links == () and second.anchors == ("eins",)


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("de/akteure/x/", "de/", "../../"),
        ("", "de/", "de/"),
        ("de/", "assets/style.css", "../assets/style.css"),
        ("de/", "de/", "./"),
        ("404.html", "en/", "en/"),
        ("de/akteure/x/", "", "../../../"),
    ],
)
def test_relative_url(source, target, expected):
    assert relative_url(source, target) == expected


def test_slugify_heading():
    assert slugify_heading("Straße & Größe!") == "strasse-groesse"


def test_titles_sort_as_german_readers_expect():
    from sitegen.render import collation_key, initial

    titles = ["Zelle", "Ärzte", "Arzt", "Straße", "Strand", "Öl", "Ozean", "über", "Uhr", "agil", "ACL"]
    assert sorted(titles, key=collation_key) == [
        "ACL",
        "agil",
        "Arzt",
        "Ärzte",
        "Öl",
        "Ozean",
        "Strand",
        "Straße",
        "über",
        "Uhr",
        "Zelle",
    ]
    assert [initial(t) for t in ("Ärzte", "über", "5G im Gesundheitswesen", "ßx")] == ["A", "U", "#", "S"]


def test_links_to_other_sites_are_marked_external_and_noopener():
    html = MarkdownRenderer("en").render("[a](https://example.org/) [b](/de/) [[car-t]]", "en/", resolve).html
    links = {a["href"]: a.get("rel") for a in BeautifulSoup(html, "html.parser").find_all("a")}
    assert links["https://example.org/"] == ["external", "noopener"]
    assert links["/de/"] is None and all(rel is None for href, rel in links.items() if "car-t" in href)


def test_raw_html_is_cleaned_by_an_allow_list_and_each_removal_is_named_with_its_line():
    source = (
        'Text <b onclick="steal()">fett</b> und <abbr title="Good Manufacturing Practice">GMP</abbr><sup>1</sup>.\n'
        "\n"
        "<script>alert(1)</script>\n"
        "\n"
        "[klick](javascript:alert(1)) [mail](mailto:info@example.org)\n"
        "\n"
        '<iframe src="https://example.org/"></iframe>\n'
        "\n"
        '<div style="position:fixed;inset:0">Überall</div>\n'
    )
    rendered = MarkdownRenderer("de").render(source, "de/", resolve)
    page = BeautifulSoup(rendered.html, "html.parser")
    assert not page.find(["script", "iframe"]) and "alert" not in rendered.html
    assert not any(name.startswith("on") or name == "style" for tag in page.find_all(True) for name in tag.attrs)
    assert page.find("a", string="klick").get("href") is None
    assert page.find("a", string="mail")["href"] == "mailto:info@example.org"
    assert page.find("abbr")["title"] == "Good Manufacturing Practice" and page.find("sup").get_text() == "1"
    assert page.find("b").get_text() == "fett" and page.find("div").get_text() == "Überall"
    assert [(line, what) for line, what, _ in rendered.removed] == [
        (1, "the attribute onclick= of <b>"),
        (3, "<script>"),
        (5, "a javascript: link"),
        (7, "<iframe>"),
        (9, "the attribute style= of <div>"),
    ]
    assert {advice for _, _, advice in rendered.removed} == {
        "write the text in Markdown; only simple HTML without scripts or styles is kept"
    }


@pytest.mark.parametrize("title", ["# Über uns", "Über uns\n========"])
def test_a_level_one_heading_is_reported_where_it_is_written(title):
    # Neither '<' nor ':' in the body: what Markdown itself makes is checked too.
    rendered = MarkdownRenderer("de").render(f"Erster Absatz.\n\n{title}\n\nMehr Text.", "de/", resolve)
    assert not BeautifulSoup(rendered.html, "html.parser").find("h1")
    ((line, what, advice),) = rendered.removed
    assert (line, what) == (3, "a level-1 heading") and "'##'" in advice


def test_a_picture_is_reported_where_it_is_written():
    rendered = MarkdownRenderer("en").render("Text.\n\nSee ![the lab](lab.png) here.", "en/", resolve)
    assert not BeautifulSoup(rendered.html, "html.parser").find("img")
    ((line, what, advice),) = rendered.removed
    assert (line, what) == (3, "a picture") and "[what it shows](address)" in advice


def test_html_written_as_html_gets_the_advice_for_html():
    rendered = MarkdownRenderer("en").render('Text.\n\n<h1>Big</h1>\n\n<img src="x.png" alt="x">', "en/", resolve)
    assert [(line, what) for line, what, _ in rendered.removed] == [(3, "<h1>"), (5, "<img>")]


@pytest.mark.parametrize(
    "href",
    ["#fn:1", "?a=b:c", "../x:y/", "javascript:alert(1)", "JavaScript:alert(1)", " javascript:x", "java\tscript:x",
     "data:text/html,x", "vbscript:x", "https://example.org/a:b", "mailto:a@b.de", "tel:+49", "ftp://example.org"],
)  # fmt: skip
def test_a_link_is_reported_removed_exactly_when_the_sanitizer_removes_it(href):
    rendered = MarkdownRenderer("de").render(f'Text <a href="{href}">x</a>', "de/", resolve)
    kept = BeautifulSoup(rendered.html, "html.parser").find("a").get("href") is not None
    assert kept == (rendered.removed == ())


def test_footnotes_are_kept_without_a_word():
    rendered = MarkdownRenderer("de").render("Text[^1]\n\n[^1]: Fuß", "de/", resolve)
    page = BeautifulSoup(rendered.html, "html.parser")
    assert page.find("a", class_="footnote-ref")["href"] == "#fn:1" and rendered.removed == ()
    assert page.find("a", class_="footnote-backref")["title"] == "Zurück zu Fußnote 1 im Text"
    english = MarkdownRenderer("en").render("Text[^1]\n\n[^1]: Foot", "en/", resolve).html
    assert 'title="Back to footnote 1 in the text"' in english


def test_plain_markdown_loses_nothing_to_the_sanitizer():
    source = (
        "## Über uns\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n- eins\n- [[car-t]]\n\n> Zitat\n\n`<script>` als Code\n\n"
        '„Zitat“, "Anführung", Leipzig\'s & Dresdens -- und... ‚so‘\n'
    )
    rendered = MarkdownRenderer("de").render(source, "de/", resolve)
    assert rendered.removed == ()
    page = BeautifulSoup(rendered.html, "html.parser")
    assert page.find("h2", id="ueber-uns") and page.find("table") and page.find("blockquote")
    assert page.find("code").get_text() == "<script>"


# -- converting with only the extensions a body uses -----------------------------------


def _full_converter_html(text: str, lang: str = "de") -> str:
    """`text` converted with every extension and processor, and with Python-Markdown's
    processors as they come (without `markup._quicken`)."""
    renderer = MarkdownRenderer(lang)
    renderer._uses = lambda text: frozenset(markup._OPTIONAL)
    with mock.patch.object(markup, "_quicken", lambda md: None):
        return renderer.render(text, "de/akteure/izi/", resolve).html


def _content_bodies() -> list[str]:
    return [path.read_text(encoding="utf-8").split("---", 2)[2] for path in sorted(CONTENT.glob("*/*.md"))]


def test_extensions_left_out_change_nothing_on_the_real_content():
    bodies = _content_bodies()
    assert len(bodies) > 50
    for body in bodies:
        for lang in ("de", "en"):
            assert MarkdownRenderer(lang).render(body, "de/akteure/izi/", resolve).html == _full_converter_html(
                body, lang
            )


# Markdown's special characters and words, so random texts hit every extension's syntax.
_PIECES = st.sampled_from(
    ["a", "ß", " ", "\n", "\n\n", "    ", "\t", "|", "-", "--", "*", "_", "`", "```", "~~~", "[", "]", "(", ")",
     "[^1]", "[^1]: x", "{", "}", "{: .x}", "{#id}", ":", ": ", "*[", "*[HTML]: Hyper", "HTML", "!!!", "!!! note",
     "\n\na | b\n--- | ---\nc | d\n\n", "\n\nTerm\n  : Def\n\n", "\n## Kopf {#id}\n", "\n\n!!! note\n    x\n\n",
     "\n\n```\ncode\n```\n\n", "x[^n]\n\n[^n]: Fuß\n", "\n\n*[ABC]: Abc\n", "„so“",
     "a -- b", "\n\n| --- | --- |\n", "\n---\n", "<a title='--'>x</a>", "`--`", "![a'b](c)",
     "'", '"', "...", "<<", ">>", "&", "#", "## ", ">", "1.", "<b>", "[[car-t]]", "=", "+", "\\",
     "  \n", "\r", "\x02", "\x03", "!", "<https://example.org>", "<a@b.de>", "&amp;", "**", "__", "`x`",
     "[TOC]", "\n\n[TOC]\n\n", "\n# Kopf\n", "\n### Kopf {data-toc-label='K'}\n", "<h2>roh</h2>",
     "\n\nTitel\n===\n", "\nTitel\n---", "\n\n* * *\n", "\n- - -\n", "___", "\n   \n", "   ", "> > ", "\n> ",
     "[r]: https://example.org", "\n[r]:", "]:", "\\#", "&#35;", "\n\n> ## Kopf\n> Titel\n> ---\n", "\n- ## x\n",
     "## a &amp; <b>b</b>\n", "## `x` *y*\n"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_extensions_left_out_change_nothing_on_random_text(text):
    assert MarkdownRenderer("de").render(text, "de/akteure/izi/", resolve).html == _full_converter_html(text)


@pytest.mark.parametrize("text", ["a\r: b", "<h2></h2>: b", "<h2></h2>&#3: b", ">r\n>\t: b", "- a\n\n    : b"])
def test_a_definition_is_found_wherever_markdown_starts_its_line(text):
    html = MarkdownRenderer("de").render(text, "de/akteure/izi/", resolve).html
    assert html == _full_converter_html(text) and "<dd>" in html


# Texts whose only inline syntax is [[links]], in the blocks they may stand in.
_LINK_PIECES = st.sampled_from(
    ["a", "ß", " ", "\n", "\n\n", "[[car-t]]", "[[gmp|Text]]", "[[nope]]", "[[car-t#x]]", "[[", "]]", "[", "]",
     "- ", "1. ", "## ", "> ", "    ", "| a | b |\n|---|---|\n| [[car-t]] | c |\n", "\n```\n[[car-t]]\n```\n",
     "Titel\n---\n"]
)  # fmt: skip


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(_LINK_PIECES, max_size=30).map("".join))
def test_a_body_with_only_cross_links_converts_as_with_every_pattern(text):
    renderer = MarkdownRenderer("de")
    assert renderer.render(text, "de/akteure/izi/", resolve).html == _full_converter_html(text)


def test_texts_without_cross_links_are_passed_over_in_a_body_with_nothing_else():
    renderer = MarkdownRenderer("de")
    html = renderer.render("## Kopf\n\nSiehe [[car-t]].\n\n- eins\n- [[gmp|zwei]]", "de/a/", resolve).html
    assert html.count("<a href=") == 2
    ((_, converter),) = renderer._converters.items()
    assert type(converter.treeprocessors["inline"]).__name__ == "_CrossLinksOnly"
    renderer.render("Siehe [[car-t]] und *mehr*.", "de/a/", resolve)  # emphasis too: Markdown's own
    kinds = {type(md.treeprocessors["inline"]).__name__ for md in renderer._converters.values()}
    assert kinds == {"_CrossLinksOnly", "InlineProcessor"}


def test_a_body_without_quotes_tables_or_footnotes_is_converted_without_those_extensions():
    renderer = MarkdownRenderer("de")
    renderer.render("## Titel\n\nText ohne Besonderes.", "de/a/", resolve)
    renderer.render("| A | B |\n| --- | --- |\n| a | b |", "de/a/", resolve)  # dashes only in the border
    renderer.render('Mit „Zitat“ und "Anführung" | Tabelle', "de/a/", resolve)
    extensions = [sorted(used & markup._OPTIONAL_EXTENSIONS.keys()) for used in renderer._converters]
    assert sorted(extensions) == [[], ["smarty", "tables"], ["tables"]]
    renderer.render("| A | B |\n| --- | --- |\n| a -- b | b |", "de/a/", resolve)  # a dash in a cell
    assert ["smarty", "tables"] in [sorted(used & markup._OPTIONAL_EXTENSIONS.keys()) for used in renderer._converters]


@pytest.mark.parametrize(
    "text",
    [
        "Zeile  \numbrochen", "Tab\t\numbrochen", "Tab \t\numbrochen", "Wagenrücklauf  \r\nund", "alt  \rMac",
        "Steuer \x02 \nzeichen", "*stern* und **fett**", "_strich_ und __fett__", "a\\*b\\_c", "`Code`",
        "![Bild](bild.png)", "![Bild][b]\n\n[b]: bild.png", "<https://example.org>", "<info@example.org>",
        "<b>fett</b>", "&amp; &#169; &copy;", "[Link](https://example.org)", "[Link][r]\n\n[r]: https://example.org",
        "[r]\n\n[r]: https://example.org", "[[car-t]]", "[\x02[car-t]]", "!\x02[Bild](bild.png)", "ohne alles",
        "\\[[car-t]]", "\\[[car-t]]\n\n[car-t]: https://example.org", "[[car-t]](https://example.org)",
        "![[car-t]]", "`[[car-t]]`", "[[car-t\\]]]", "[Text [[car-t]]](https://example.org)", "[[[car-t]]](x)",
        "[[a](https://example.org)]]", "[[car-t]] [r]\n\n[r]: https://example.org", "[[x\n]](y)",
    ],
)  # fmt: skip
def test_inline_patterns_left_out_change_nothing(text):
    assert MarkdownRenderer("de").render(text, "de/akteure/izi/", resolve).html == _full_converter_html(text)


def test_only_a_body_with_the_marker_gets_a_table_of_contents_and_every_body_heading_ids():
    renderer = MarkdownRenderer("de")
    text = "## Über uns\n\n## Über uns[^1] {data-toc-label='Wir'}\n\n### Eigen\n\n### Kopf {#eigen}\n\n[^1]: Fuß"
    ids = ["ueber-uns", "ueber-uns_1", "eigen_1", "eigen"]
    rendered = renderer.render(text, "de/a/", resolve)
    page = BeautifulSoup(rendered.html, "html.parser")
    assert [h["id"] for h in page.find_all(["h2", "h3"])] == ids
    assert page.find("div", class_="toc") is None and rendered.removed == ()
    page = BeautifulSoup(renderer.render("[TOC]\n\n" + text, "de/a/", resolve).html, "html.parser")
    assert [a["href"] for a in page.find("div", class_="toc").find_all("a")] == [f"#{id}" for id in ids]
    kinds = {("toc" in used, type(md.treeprocessors["toc"]).__name__) for used, md in renderer._converters.items()}
    assert kinds == {(False, "_HeadingIds"), (True, "TocTreeprocessor")}


def test_a_body_is_converted_with_only_the_inline_patterns_its_text_can_match():
    renderer = MarkdownRenderer("de")
    html = renderer.render("Text mit [[car-t]] und [Link](https://example.org).", "de/a/", resolve).html
    assert 'href="../themen/car-t/"' in html and 'href="https://example.org"' in html
    [converter] = renderer._converters.values()
    assert _patterns(converter) == {"crosslink", "reference", "link", "short_reference"}
    html = renderer.render("Nur [[car-t]] und ![[car-t]].", "de/a/", resolve).html
    assert html.count('href="../themen/car-t/"') == 2
    assert _patterns(renderer._converters[renderer._used]) == {"crosslink"}
    html = renderer.render("Nur *betont*, `Code` und &amp; — ohne Links.", "de/a/", resolve).html
    assert "<em>betont</em>" in html and "<code>Code</code>" in html
    assert _patterns(renderer._converters[renderer._used]) == {"em_strong", "backtick", "entity"}


def _patterns(converter) -> set[str]:
    return {name for name in markup._OPTIONAL_PATTERNS if name in converter.inlinePatterns}


# -- the plain text of a body, for the search ---------------------------------------------

_HTML_PIECES = st.sampled_from(
    ["<", ">", "<!--", "-->", "<b>", "</b>", '<a href="x>y">', "<br/>", "&amp;", "&lt;", "&gt;", "&nbsp;", "&#169;",
     "&", "&amp", "a", "ß", " ", "\n", "\t", "\xa0", "\u2009"]
)  # fmt: skip


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.lists(_HTML_PIECES, max_size=30).map("".join))
def test_the_search_text_of_html_is_what_markupsafe_strips_it_to(html):
    assert search.plain_text(html) == " ".join(Markup(html).striptags().split())


def test_the_search_text_of_every_real_body_is_what_markupsafe_strips_it_to():
    for body in _content_bodies():
        html = MarkdownRenderer("de").render(body, "de/akteure/izi/", resolve).html
        assert search.plain_text(html) == " ".join(Markup(html).striptags().split())

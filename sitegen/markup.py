"""Markdown → HTML for one page, with `[[slug]]` links resolved against the site's URLs.

Input: a page's Markdown body, its language, its own URL and a resolver that maps a
slug to the target page's URL and title in that language. Output: a `Rendered` with
the HTML, every cross-link it contains (for backlinks and checks) and the ids of its
headings (so `[[slug#anchor]]` can be checked against them). No other state is kept.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from typing import NamedTuple
from xml.etree.ElementTree import Element, SubElement

import markdown
import nh3
from markdown import preprocessors, util
from markdown.extensions import toc
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import InlineProcessor as InlineTreeprocessor
from markdown.treeprocessors import Treeprocessor

from .schema import slugify

# [[slug]], [[slug|text]], [[slug#anchor]], [[slug#anchor|text]]
WIKILINK = r"\[\[([^\[\]\n]+?)\]\]"
_ID = re.compile(r' id="([^"]+)"')  # in the sanitizer's HTML, one space before each attribute


class LinkTarget(NamedTuple):
    """Where a [[link]] leads. A named tuple: whole link tables compare at C speed (model.py)."""

    url: str  # site path of the target page, e.g. "de/themen/car-t/"
    title: str
    lang: str  # the language of the target page; differs when the page is not translated


@dataclass(frozen=True, slots=True)
class CrossLink:
    slug: str
    anchor: str
    text: str  # the link as written, for messages
    target: LinkTarget | None

    def __reduce__(self):
        # Pickled by its values (a build's cache holds some 150,000 of them): a slotted
        # dataclass is otherwise pickled and read back through `dataclasses.fields`,
        # which took two thirds of the time of saving the conversions, and of reading them.
        return CrossLink, (self.slug, self.anchor, self.text, self.target)


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    links: tuple[CrossLink, ...]
    anchors: tuple[str, ...]  # sorted, so that digests of it are the same in every process
    removed: tuple[tuple[int, str, str], ...] = ()  # (line in the body, what, how instead) sanitized out

    def __reduce__(self):
        return Rendered, (self.html, self.links, self.anchors, self.removed)  # as CrossLink's


# What a body's HTML may contain: what Markdown makes, and the simple HTML an editor might
# write by hand. Everything else is removed by nh3 (an allow-list sanitizer): scripts,
# event handlers, styles, frames, forms, embedded objects and links with other schemes.
ALLOWED_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    ]
)
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "title", "dir"},
    "a": {"href", "hreflang", "rel"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "noscript", "iframe", "object", "embed"})
# Markdown's own tables give alignment as a style; dropped silently (the CSP forbids inline styles).
_ALIGNMENT = re.compile(r"text-align:\s*(left|right|center);?")


# Made once: `nh3.clean` would take in the allow-lists again for every body (a quarter
# of its time).
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(_DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=None,  # rel is ours: external links get "external noopener"
    strip_comments=True,
)


def sanitize(html: str) -> str:
    """`html` with everything outside the allow-list removed."""
    return _CLEANER.clean(html)


# A link's scheme, as browsers (and nh3) read it: after leading blanks and control
# characters, with tabs and line breaks taken out. "#fn:1" (a footnote) has none.
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_URL_NOISE = re.compile(r"^[\x00-\x20]+|[\t\n\r]")


def _scheme(url: str) -> str:
    """The scheme of `url`, in lowercase; "" for a relative one."""
    found = _SCHEME.match(_URL_NOISE.sub("", url))
    return found[1].lower() if found else ""


# Elements Markdown itself makes that the sanitizer removes, with where they are written
# in the source and what to write instead. Raw HTML gets the general advice.
_HTML_ADVICE = "write the text in Markdown; only simple HTML without scripts or styles is kept"
_MARKDOWN_MADE = {
    "h1": (
        "a level-1 heading",
        re.compile(r"^ {0,3}#(?!#)|^.*\n {0,3}=+[ \t]*$", re.MULTILINE),  # '# Title', or 'Title' over '==='
        "start the text's headings at '##': the page's title is its only level-1 heading",
    ),
    "img": (
        "a picture",
        re.compile(r"!\["),
        "the text shows no pictures: describe it in words, or link to it with [what it shows](address)",
    ),
}


class _Removals(HTMLParser):
    """What `sanitize` will take out of some HTML, described for the editor."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []  # (what, how it starts in the source)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.found.append((f"<{tag}>", f"<{tag}"))
            return
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name == "style" and tag in ("th", "td") and _ALIGNMENT.fullmatch((value or "").strip()):
                continue
            if name not in allowed:
                self.found.append((f"the attribute {name}= of <{tag}>", name))
            elif name == "href" and (scheme := _scheme(value or "")) and scheme not in URL_SCHEMES:
                self.found.append((f"a {scheme}: link", f"{scheme}:"))

    def handle_comment(self, data: str) -> None:
        pass  # comments are dropped without a word: they were never shown


def _removals(html: str, source: str) -> tuple[tuple[int, str, str], ...]:
    """Each thing `sanitize` removes from `html`: the line of `source` it was written on,
    what it is, and how to write it instead."""
    parser = _Removals()
    parser.feed(html)
    parser.close()
    lowered, found = source.lower(), []
    for what, start in dict.fromkeys(parser.found):
        at, advice = lowered.find(start.lower()), _HTML_ADVICE
        if at < 0 and (made := _MARKDOWN_MADE.get(what.strip("<>"))):
            what, syntax, advice = made
            at = written.start() if (written := syntax.search(source)) else -1
        found.append((lowered.count("\n", 0, at) + 1 if at >= 0 else 1, what, advice))
    return tuple(found)


def _removes_anything(html: str, cleaned: str) -> bool:
    """Whether `cleaned`, `html` after `sanitize`, lost anything. The sanitizer writes some
    characters differently (‚ for &sbquo;), never one that starts a tag: what it removed
    always leaves fewer of them."""
    return cleaned != html and unescape(cleaned) != unescape(html)


Resolver = Callable[[str], "LinkTarget | None"]


def relative_url(from_path: str, to_path: str, index_files: bool = False) -> str:
    """Link from the page at site path `from_path` to `to_path` (paths of folders end in '/').

    With `index_files`, a link to a folder names its index.html, as a browser reading the
    site from disk (file://) does not look for one by itself.
    """
    # Site paths are plain ('de/themen/car-t/', 'assets/style.css'): no '.', '..' or '//'.
    from_parts = from_path.split("/")[:-1]  # the folder the page is in
    to_parts = to_path.split("/")
    if to_parts[-1] == "":
        to_parts.pop()
    common = 0
    for here, there in zip(from_parts, to_parts, strict=False):
        if here != there:
            break
        common += 1
    target = "/".join([".."] * (len(from_parts) - common) + to_parts[common:]) or "."
    if to_path.endswith("/") or not to_path:
        target = "./" if target == "." else target + "/"
        if index_files:
            target = "index.html" if target == "./" else target + "index.html"
    return target


def slugify_heading(text: str, separator: str = "-") -> str:
    """Heading ids as Python-Markdown's toc asks for them; `separator` is always '-' here.

    Ids are lowercase letters, digits and hyphens; the templates' own ids start with '_',
    so a heading can never take an id the page frame uses.
    """
    return slugify(text) or "section"


class _CrossLinkProcessor(InlineProcessor):
    def __init__(self, renderer: MarkdownRenderer):
        super().__init__(WIKILINK)
        self.renderer = renderer

    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's name)
        target_text, _, label = m.group(1).partition("|")
        slug, _, anchor = target_text.strip().partition("#")
        slug, anchor, label = slug.strip(), anchor.strip(), label.strip()
        target = self.renderer.resolve(slug)
        self.renderer.links.append(CrossLink(slug, anchor, m.group(0), target))
        if target is None:
            el = Element("span", {"class": "broken-link"})
            el.text = label or slug
            return el, m.start(0), m.end(0)
        href = relative_url(self.renderer.page_url, target.url, self.renderer.index_files)
        el = Element("a", {"href": href + (f"#{anchor}" if anchor else "")})
        el.text = label or target.title
        if target.lang != self.renderer.lang:
            # The page exists only in another language: say so instead of hiding it.
            el.set("hreflang", target.lang)
            if not label:  # the target's own title is in the target's language
                el.set("lang", target.lang)
            tag = SubElement(el, "span", {"class": "lang-tag"})
            tag.text = target.lang.upper()
            tag.tail = ""
            el.text = (label or target.title) + " "
        return el, m.start(0), m.end(0)


_QUOTES = {
    # German typography: „so“ for double quotes; single quotes stay as apostrophes.
    "de": {"left-double-quote": "&bdquo;", "right-double-quote": "&ldquo;"},
}


# The title of a footnote's link back to the text (Python-Markdown's is English only).
_BACKLINK_TITLES = {"de": "Zurück zu Fußnote %d im Text", "en": "Back to footnote %d in the text"}


class _CrossLinksOnly(InlineTreeprocessor):
    """Markdown's inline processor, for a body whose only inline syntax is [[links]]: a text
    without '[[' is passed over, instead of having the pattern tried on it (most texts of
    such a body have none)."""

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        return super()._InlineProcessor__handleInline(data, patternIndex) if "[[" in data else data


class _ExternalLinks(Treeprocessor):
    """Links to other sites say so (`rel="external"`) and get no hold on this page (`noopener`)."""

    def run(self, root: Element) -> None:
        for link in root.iter("a"):
            if link.get("href", "").startswith(("http://", "https://", "//")):
                link.set("rel", "external noopener")


# What makes the text of a heading read differently as HTML: entities, tags and the
# placeholders of Markdown's escapes and stored HTML.
_MARKUP_IN_TEXT = re.compile(r"[&<>\x02\x03]")


class _HeadingIds(toc.TocTreeprocessor):
    """The ids toc gives the headings, without the table of contents, which only a body
    with the `[TOC]` marker shows: building and serializing that table for every body
    took about a twentieth of its conversion."""

    def run(self, doc: Element) -> None:
        used = {el.attrib["id"] for el in doc.iter() if "id" in el.attrib}
        counters: dict[str, int] = {}
        for el in doc.iter():
            if isinstance(el.tag, str) and self.header_rgx.match(el.tag):
                self.set_level(el)
                if "id" not in el.attrib:
                    if len(el) or _MARKUP_IN_TEXT.search(el.text or ""):
                        name = toc.strip_tags(toc.render_inner_html(toc.remove_fnrefs(el), self.md))
                    else:  # what the line above gives for plain text, without writing it as HTML
                        name = " ".join((el.text or "").split())
                    el.attrib["id"] = toc.unique(self.slugify(unescape(name), self.sep), used, counters)
                el.attrib.pop("data-toc-label", None)


class _HeadingIdsExtension(toc.TocExtension):
    TreeProcessorClass = _HeadingIds


# The Markdown extensions every body is converted with, in this order.
EXTENSIONS = (
    "tables",
    "fenced_code",
    "footnotes",
    "attr_list",
    "def_list",
    "abbr",
    "sane_lists",
    "admonition",
    "smarty",
    "toc",
)
# Extensions that change nothing in a text without their marker, so a body without it is
# converted without them (tests/test_markup.py checks the HTML is the same either way).
# Each marker finds everything the extension's own patterns start with, or more: any of
# some strings (`str in text` is many times quicker than a regular expression). Only
# strings: where a line starts is for Markdown to say (a tab, a quote's '>' or raw HTML
# before a definition's ':' can all end up as the start of a line).
_OPTIONAL_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "tables": ("|",),
    "fenced_code": ("```", "~~~"),
    "footnotes": ("[^",),
    "attr_list": ("{",),
    "def_list": (":",),
    "abbr": ("*[",),
    "admonition": ("!!!",),
    "smarty": ("'", '"', "...", "<<", ">>"),
    "toc": ("[TOC]",),  # without its marker, the headings still get their ids (_HeadingIds)
}
# Markdown's own inline patterns (and ours, "crosslink"), with what each needs in the text
# to match anything; a body without it is converted without them. Every pattern is tried
# on every text of the body, so those that cannot match cost a third of a conversion.
# Markdown turns each tab into spaces and each '\r' into a newline before it looks for
# them, so the line break is also kept where a tab or a '\r' could make its two spaces.
_OPTIONAL_PATTERNS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",),
    "escape": ("\\",),
    "reference": ("[",),
    "link": ("[",),
    "short_reference": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("<",),
    "html": ("<",),
    "linebreak": ("  \n", "  \r", "\t"),
    "entity": ("&",),
    "em_strong": ("*", "_"),
    "crosslink": ("[[",),  # (_CROSSLINKS finds the links themselves)
}
# Our [[links]] are matched before Markdown's links and images, so these look for their
# '[' in the text without the [[links]]: most bodies have no other.
_OUTSIDE_CROSSLINKS = frozenset(
    {"reference", "link", "short_reference", "image_link", "image_reference", "short_image_ref"}
)
# Markdown's own processors that change nothing in a text without these, by the registry
# that holds them: the HTML in the text (and its entities: all else passes untouched), and
# what Markdown's escapes ('\\*') leave for `unescape` to read.
_OPTIONAL_PROCESSORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "html_block": ("preprocessors", ("<", "&")),
    "unescape": ("treeprocessors", ("\\",)),
}
_OPTIONAL = {
    **_OPTIONAL_EXTENSIONS,
    **_OPTIONAL_PATTERNS,
    **{name: marker for name, (_, marker) in _OPTIONAL_PROCESSORS.items()},
}
_CROSSLINKS = re.compile(WIKILINK)
# Dashes are smarty's too, but '--' is mostly a table's border row; a body whose only
# dashes are of that kind is converted without smarty, and again with it if its HTML
# shows '--' in a text after all (`_TEXT_DASHES` on the HTML without its tags).
_TEXT_DASHES = re.compile(r"--(?![^<]*>)")


# The characters of each string of two or more in the markers: a string is only looked
# for where each of its characters occurs (`char in text` is a scan many times quicker).
_CHARACTERS = {part: tuple(set(part)) for marker in _OPTIONAL.values() for part in marker if len(part) > 1}


def _occurs(marker: tuple[str, ...], text: str, seen: dict[str, bool]) -> bool:
    """Whether any of `marker`'s strings occurs in `text`; `seen` holds what was found for
    each string in `text` so far, as several markers share some."""
    for part in marker:
        found = seen.get(part)
        if found is None:
            found = seen[part] = all(char in text for char in _CHARACTERS.get(part, ())) and part in text
        if found:
            return True
    return False


class _NormalizeWhitespace(preprocessors.NormalizeWhitespace):
    """Python-Markdown's, with its regular expression used only where it can match (a line
    of spaces ends in ' \\n'): it took a twentieth of a conversion."""

    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines).replace(util.STX, "").replace(util.ETX, "")
        source = source.replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
        source = source.expandtabs(self.md.tab_length)
        if " \n" in source:
            source = _BLANK_LINES.sub("\n", source)
        return source.split("\n")


_BLANK_LINES = re.compile(r"(?<=\n) +\n")


def _may_be_heading(block: str) -> bool:  # '## Title'
    return block.startswith("#") or "\n#" in block


def _may_be_underlined(block: str) -> bool:  # 'Title' over '===' or '---'
    end = block.find("\n")
    return end >= 0 and block[end + 1 : end + 2] in ("=", "-")


def _may_be_rule(block: str) -> bool:  # '---', '* * *', '___'
    return block.count("-") > 2 or block.count("*") > 2 or block.count("_") > 2


# What Markdown's block processors cannot match a block without: each block is looked at
# for it before the processor's pattern is tried (`in` and `count` are many times quicker
# than the patterns, which were tried on every paragraph: a fifth of a conversion).
_BLOCK_NEEDS: dict[str, Callable[[str], bool]] = {
    "hashheader": _may_be_heading,
    "setextheader": _may_be_underlined,
    "hr": _may_be_rule,
    "quote": lambda block: ">" in block,
    "table": lambda block: "|" in block,
    "deflist": lambda block: ":" in block,
}


def _quicken(md: markdown.Markdown) -> None:
    """Make `md` convert as before, only sooner: its block processors look for what their
    patterns need first; its check for block-level tags (some 80 a body) looks in a set,
    not a list, and once for each tag; its whitespace is normalized without a regular
    expression where it cannot match."""
    blocks = md.parser.blockprocessors
    for name, needs in _BLOCK_NEEDS.items():
        if name in blocks:
            blocks[name].test = lambda parent, block, needs=needs, test=blocks[name].test: (
                needs(block) and test(parent, block)
            )
    # A reference ('[id]: address') is looked for by `run`; its test always passes.
    reference = blocks["reference"]
    reference.run = lambda parent, pending, run=reference.run: "]:" in pending[0] and run(parent, pending)
    block_level = frozenset(md.block_level_elements)
    md.is_block_level = functools.cache(lambda tag: isinstance(tag, str) and tag.lower().rstrip("/") in block_level)
    md.preprocessors.register(_NormalizeWhitespace(md), "normalize_whitespace", 30)


class MarkdownRenderer:
    """One Markdown converter per language, reused for every page of that language."""

    def __init__(self, lang: str, index_files: bool = False):
        self.lang, self.index_files = lang, index_files
        self.page_url = ""
        self.resolve: Resolver = lambda slug: None
        self.links: list[CrossLink] = []
        self._converters: dict[frozenset[str], markdown.Markdown] = {}
        self._used: frozenset[str] = frozenset()

    def _uses(self, text: str) -> frozenset[str]:
        """The optional extensions and inline patterns whose syntax occurs in `text`: one
        that does not occur gives the same HTML without it, and costs time (smarty alone
        half of it)."""
        if "\x02" in text or "\x03" in text:  # Markdown removes them first
            text = text.replace("\x02", "").replace("\x03", "")
        rest = _CROSSLINKS.sub("", text) if "[[" in text else text
        seen: dict[str, bool] = {}
        seen_in_rest: dict[str, bool] = {} if rest is not text else seen
        return frozenset(
            name
            for name, marker in _OPTIONAL.items()
            if (_occurs(marker, rest, seen_in_rest) if name in _OUTSIDE_CROSSLINKS else _occurs(marker, text, seen))
        )

    def _convert(self, used: frozenset[str], text: str) -> str:
        self._used, self.links = used, []
        md = self._converters.get(used)
        if md is None:
            md = self._converters[used] = self._make_converter(used)
        md.reset()
        return md.convert(text)

    def _make_converter(self, optional: frozenset[str]) -> markdown.Markdown:
        extensions: list[str | markdown.Extension] = [
            name for name in EXTENSIONS if name not in _OPTIONAL_EXTENSIONS or name in optional
        ]
        if "toc" not in optional:
            extensions.append(_HeadingIdsExtension(slugify=slugify_heading))
        md = markdown.Markdown(
            extensions=extensions,
            extension_configs={
                "toc": {"slugify": slugify_heading},
                "smarty": {"substitutions": _QUOTES.get(self.lang, {})},
                "footnotes": {"BACKLINK_TITLE": _BACKLINK_TITLES.get(self.lang, _BACKLINK_TITLES["en"])},
            },
            output_format="html",
        )
        for name in _OPTIONAL_PATTERNS.keys() - optional:
            if name in md.inlinePatterns:
                md.inlinePatterns.deregister(name)
        for name in _OPTIONAL_PROCESSORS.keys() - optional:
            getattr(md, _OPTIONAL_PROCESSORS[name][0]).deregister(name)
        _quicken(md)
        # Priority above the link pattern (160) so '[[' is never read as a Markdown link.
        if "crosslink" in optional:
            md.inlinePatterns.register(_CrossLinkProcessor(self), "crosslink", 175)
            if len(md.inlinePatterns) == 1:
                md.treeprocessors.register(_CrossLinksOnly(md), "inline", 20)
        # After the inline patterns (20), which make the links.
        md.treeprocessors.register(_ExternalLinks(md), "external_links", 15)
        return md

    def render(self, text: str, page_url: str, resolve: Resolver) -> Rendered:
        self.page_url, self.resolve, self.links = page_url, resolve, []
        html = self._convert(self._uses(text), text)
        if "smarty" not in self._used and "--" in text and _TEXT_DASHES.search(html):
            html = self._convert(self._used | {"smarty"}, text)
        # What was removed is looked for only in a body that lost something (a tenth of
        # the time of a conversion).
        cleaned = sanitize(html)
        removed = _removals(html, text) if _removes_anything(html, cleaned) else ()
        return Rendered(cleaned, tuple(self.links), tuple(sorted(set(_ID.findall(cleaned)))), removed)

"""Source documents → one frozen `Site`: entities, URLs, relations both ways, backlinks.

Everything a page shows about other pages is settled here, before any page is
rendered: translations are paired by slug, language-neutral facts are taken from one
file per entity, every URL is claimed once, relations get their other end, Markdown
bodies are converted with their `[[links]]` resolved, and backlinks are gathered.
Mistakes that span files (duplicate slugs, unknown link targets, facts stated in a
translation) are reported here. The returned `Site` is only read afterwards.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from . import parallel
from .config import SiteConfig
from .errors import Problems, did_you_mean
from .load import SourceDocument
from .markup import LinkTarget, MarkdownRenderer, Rendered
from .memo import BuildCache, Memo, intern
from .schema import HOME_SLUG, LISTED_SECTIONS, RELATIONS, SCHEMAS

# Quotes, lists, emphasis and elements nest this deep at most. Python-Markdown recurses per
# level: deeper text is slow (lists take minutes at a few thousand levels), stops nesting
# where the interpreter's recursion limit nears, or raises RecursionError.
MAX_NESTING = 100
# The start of a line: indentation, quote markers and list markers.
_LINE_PREFIX = re.compile(r"^(?:[ \t]*(?:>|[*+-](?=[ \t])|\d{1,9}[.)](?=[ \t])))*[ \t]*", re.M)
_MARKER = re.compile(r">|[*+-]|\d+[.)]")
# A line that starts with more of their characters than MAX_NESTING: only such a line can
# nest too deep, and few bodies have one, so the others are not looked at line by line.
# (After a '\n', the literal lets the search skip to each line: `^` with re.M tries every
# character, ten times slower; the first line is matched on its own.)
_LONG_PREFIX = re.compile(rf"[ \t>*+\-\d.)]{{{MAX_NESTING + 1}}}")
_LONG_PREFIX_LATER = re.compile(rf"\n[ \t>*+\-\d.)]{{{MAX_NESTING + 1}}}")
# Start and end tags of the converted HTML, which the sanitizer has closed; void elements
# (<br>, <hr>, …) have no end tag and are not counted.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
_VOID_TAGS = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "source", "track", "wbr"})

NEUTRAL_FIELDS = {
    section: tuple(name for name, spec in schema.items() if not spec.translatable)
    for section, schema in SCHEMAS.items()
}


@dataclass(frozen=True, slots=True)
class Version:
    """One language version of an entity: what that language's page says."""

    slug: str
    section: str
    lang: str
    title: str
    short_title: str
    summary: str
    body_html: str
    url: str  # site path, e.g. "de/akteure/fraunhofer-izi/"
    source: str  # the file it came from, for messages
    anchors: tuple[str, ...]  # the ids of its headings, sorted
    links: tuple[str, ...]  # slugs this version links to in its text
    figure_labels: Mapping[str, str]  # figure id → label in this language
    stale: bool = False  # a translation whose source changed after it was accepted


@dataclass(frozen=True, slots=True)
class Entity:
    """Everything one slug stands for: its facts once, its text per language."""

    slug: str
    section: str
    facts: Mapping[str, Any]
    versions: Mapping[str, Version]
    relations: Mapping[str, tuple[str, ...]]  # relation name → related slugs, both ends
    original_lang: str  # the language of the file that states the facts; others translate it

    def version(self, lang: str, languages: Iterable[str]) -> Version:
        """The page in `lang`, or the first existing one of `languages` when untranslated."""
        if lang in self.versions:
            return self.versions[lang]
        return next(self.versions[other] for other in languages if other in self.versions)


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    entities: Mapping[str, Entity]
    sections: Mapping[str, tuple[str, ...]]  # section → slugs in file order
    backlinks: Mapping[tuple[str, str], tuple[str, ...]]  # (slug, lang) → slugs mentioning it
    index_files: bool = False  # links name index.html (the offline copy)

    def version(self, slug: str, lang: str) -> Version:
        return self.entities[slug].version(lang, self.languages_from(lang))

    def languages_from(self, lang: str) -> tuple[str, ...]:
        """Languages to fall back on for `lang`: the default first, then the rest in order."""
        return _fallback_order(self.config, lang)

    def home_url(self, lang: str) -> str:
        return f"{lang}/"

    def section_url(self, section: str, lang: str) -> str:
        return f"{lang}/{self.config.section_names[section][lang]}/"

    def search_url(self, lang: str) -> str:
        return f"{lang}/{self.config.section_names['search'][lang]}/"


def page_url(config: SiteConfig, section: str, slug: str, lang: str) -> str:
    if section == "pages" and slug == HOME_SLUG:
        return f"{lang}/"
    if section in LISTED_SECTIONS:
        return f"{lang}/{config.section_names[section][lang]}/{slug}/"
    return f"{lang}/{slug}/"


def build_site(
    config: SiteConfig,
    documents: list[SourceDocument],
    problems: Problems,
    drafts: bool = False,
    stale: frozenset[tuple[str, str]] = frozenset(),
    index_files: bool = False,
    cache: BuildCache | None = None,
    broken: frozenset[str] = frozenset(),
    jobs: int = 1,
    meanwhile: Callable[[], None] | None = None,
) -> Site:
    """Pair, check and link the documents; the Site is complete when this returns.

    `stale` names the (slug, language) translations whose source changed since they
    were accepted; their pages say so. `index_files` makes every link to a folder name
    its index.html, for reading from disk. With a `cache`, a body converted by the last
    build is reused when its text, address and the pages it links to are unchanged.
    `broken` names slugs with a file that could not be read: what is missing because of
    it is not reported again. The bodies not taken from the cache are converted by up
    to `jobs` processes; `meanwhile` is called while they are (see `parallel.run_all`).
    """
    cache = cache or BuildCache()
    markdown, models = cache.markdown, cache.models
    grouped = _group_by_slug(documents, config, problems)
    facts = {slug: _facts(docs, config, problems, slug in broken) for slug, docs in grouped.items()}
    # Drafts are left out, and so are relations to them; the pages relating to a draft
    # stay valid and show the relation once the draft is published.
    hidden = set() if drafts else {slug for slug, f in facts.items() if f.get("draft")}
    relations = _relate(grouped, facts, config, problems, hidden)
    grouped = {slug: docs for slug, docs in grouped.items() if slug not in hidden}
    urls = _claim_urls(grouped, config, problems)

    # The link map is complete before any Markdown is converted, so every [[link]]
    # resolves against the final URLs and titles.
    titles = {(slug, doc.lang): doc.fields["title"] for slug, docs in grouped.items() for doc in docs.values()}
    fallback = {lang: _fallback_order(config, lang) for lang in config.languages}

    # Where a [[slug]] leads from a page in each language: the page in that language,
    # else the first version in the fallback order.
    own: dict[str, dict[str, LinkTarget]] = {lang: {} for lang in config.languages}
    for (slug, lang), url in urls.items():
        own[lang][slug] = LinkTarget(url, titles[slug, lang], lang)
    link_tables = {
        lang: {slug: target for other in reversed(fallback[lang]) for slug, target in own[other].items()}
        for lang in config.languages
    }

    renderers = {lang: MarkdownRenderer(lang, index_files) for lang in config.languages}
    pages = [
        (doc, urls[slug, lang]) for slug, docs in grouped.items() for lang, doc in docs.items() if (slug, lang) in urls
    ]
    cache.converted = _convert_all(pages, renderers, link_tables, markdown, jobs, meanwhile)
    versions: dict[str, dict[str, Version]] = defaultdict(dict)
    link_sites = []
    for slug, docs in grouped.items():
        for lang, doc in docs.items():
            if (slug, lang) not in urls:
                continue  # its address is taken; already reported
            try:
                rendered, linked = converted_body(doc, urls[slug, lang], renderers[lang], link_tables[lang], markdown)
            except TooDeepError as exc:
                problems.error(
                    doc.path,
                    doc.body_line + exc.line,
                    f"the text is nested too deeply (more than {MAX_NESTING} levels)",
                    "flatten the quotes, lists, emphasis or HTML elements from here on",
                )
                rendered, linked = Rendered("", (), ()), ()
            values = dict(
                slug=slug,
                section=doc.section,
                lang=lang,
                title=doc.fields["title"],
                short_title=doc.fields.get("short_title", ""),
                summary=doc.fields["summary"],
                body_html=rendered.html,
                url=urls[slug, lang],
                source=doc.path,
                anchors=rendered.anchors,
                links=linked,
                stale=(slug, lang) in stale,
            )
            labels = doc.fields.get("figure_labels", {})
            versions[slug][lang] = intern(
                models,
                ("version", *values.items(), *labels.items()),
                lambda values=values, labels=labels: Version(**values, figure_labels=MappingProxyType(labels)),
            )
            for line, what, advice in rendered.removed:
                problems.warning(doc.path, doc.body_line + line - 1, f"{what} was removed from the text", advice)
            if slug not in broken:  # the figures are in the file that could not be read
                _check_figure_labels(doc, facts[slug].get("figures") or (), problems)
            link_sites.append((doc, rendered.links))
    _check_links(link_sites, grouped, versions, hidden, problems)

    entities = {}
    for slug, docs in grouped.items():
        if not versions[slug]:
            continue
        section, original = next(iter(docs.values())).section, _primary(docs, config).lang
        related = relations.get(slug, {})
        # The versions are interned, so their ids stand for their values (and the
        # entity keeps them alive while its entry lasts).
        key = ("entity", slug, section, original, *facts[slug].items(), *related.items())
        key += tuple((lang, id(version)) for lang, version in versions[slug].items())
        entities[slug] = intern(
            models,
            key,
            lambda slug=slug, section=section, original=original, related=related: Entity(
                slug=slug,
                section=section,
                facts=MappingProxyType(facts[slug]),
                versions=MappingProxyType(versions[slug]),
                relations=MappingProxyType(related),
                original_lang=original,
            ),
        )
    sections = {section: tuple(slug for slug, e in entities.items() if e.section == section) for section in SCHEMAS}
    backlinks: dict[tuple[str, str], list[str]] = defaultdict(list)
    for slug, entity in entities.items():
        for lang in config.languages:
            shown = entity.version(lang, fallback[lang])
            for target in shown.links:
                if target != slug and slug not in backlinks[target, lang]:
                    backlinks[target, lang].append(slug)
    return Site(
        config=config,
        entities=MappingProxyType(entities),
        sections=MappingProxyType(sections),
        backlinks=MappingProxyType({k: tuple(v) for k, v in backlinks.items()}),
        index_files=index_files,
    )


def _convert_all(
    pages: list[tuple[SourceDocument, str]],
    renderers: Mapping[str, MarkdownRenderer],
    link_tables: Mapping[str, Mapping[str, LinkTarget]],
    memo: Memo,
    jobs: int,
    meanwhile: Callable[[], None] | None = None,
) -> int:
    """Convert every body the memo has no good entry for, in up to `jobs` processes, and
    keep the results in the memo, where `converted_body` finds them; how many there were.
    `meanwhile` is called while they are converted."""
    todo = [
        (doc, url) for doc, url in pages if _known(doc, url, renderers[doc.lang], link_tables[doc.lang], memo) is None
    ]

    def convert(page: tuple[SourceDocument, str]) -> tuple[Rendered, tuple, tuple, tuple] | TooDeepError:
        doc, url = page
        return _convert(renderers[doc.lang], doc.body, url, link_tables[doc.lang])

    for (doc, url), result in zip(todo, parallel.run_all(convert, todo, jobs, meanwhile=meanwhile), strict=True):
        memo.put(_memo_key(doc, url, renderers[doc.lang]), result)
    return len(todo)


def _memo_key(doc: SourceDocument, url: str, renderer: MarkdownRenderer) -> tuple:
    """What a body's HTML is made from, besides the pages it links to: its text (by its
    digest), its address, its language and the kind of links."""
    return (renderer.lang, renderer.index_files, url, doc.body_digest)


def _known(doc, url, renderer, link_table, memo: Memo):
    """The memo's conversion of the body, if its links still lead to the same titles and
    addresses (the targets it found are compared with the link table's, all at once)."""
    known = memo.get(_memo_key(doc, url, renderer))
    if isinstance(known, TooDeepError):
        return known  # it depends on the text alone
    if known is not None and tuple(map(link_table.get, known[2])) == known[3]:
        return known
    return None


def converted_body(
    doc: SourceDocument, url: str, renderer: MarkdownRenderer, link_table: Mapping[str, LinkTarget], memo: Memo
) -> tuple[Rendered, tuple[str, ...]]:
    """The body as HTML, and the slugs of the pages it links to (each once)."""
    known = _known(doc, url, renderer, link_table, memo)
    if known is None:
        known = memo.put(_memo_key(doc, url, renderer), _convert(renderer, doc.body, url, link_table))
    if isinstance(known, TooDeepError):
        raise known
    return known[0], known[1]


def _convert(
    renderer: MarkdownRenderer, body: str, url: str, link_table: Mapping[str, LinkTarget]
) -> tuple[Rendered, tuple[str, ...], tuple[str, ...], tuple[LinkTarget | None, ...]] | TooDeepError:
    """The body converted: (HTML, slugs linked to, every link's slug, every link's target),
    or the TooDeepError that says where it nests too deeply."""
    try:
        _check_nesting(body)
        try:
            rendered = renderer.render(body, url, link_table.get)
        except RecursionError:
            raise TooDeepError(0) from None
        if _nests_too_deep(rendered.html):
            raise TooDeepError(0)
    except TooDeepError as exc:
        return exc
    links = rendered.links
    linked = tuple(dict.fromkeys(link.slug for link in links if link.target))
    return rendered, linked, tuple(link.slug for link in links), tuple(link.target for link in links)


class TooDeepError(Exception):
    """A body nests deeper than MAX_NESTING; `line` counts from the body's first line (0)."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


def _check_nesting(body: str) -> None:
    """Refuse Markdown whose lines start deeper than MAX_NESTING, before it is converted.

    Each quote or list marker at the start of a line is a level, and so are four columns of
    indentation (after the one space that follows each marker).
    """
    if not _LONG_PREFIX.match(body) and not _LONG_PREFIX_LATER.search(body):
        return
    for match in _LINE_PREFIX.finditer(body):
        prefix = match.group(0)
        if len(prefix) > MAX_NESTING:  # every level takes a character: most lines stop here
            markers = len(_MARKER.findall(prefix))
            columns = prefix.count(" ") + 4 * prefix.count("\t") - markers
            if markers + max(columns, 0) // 4 > MAX_NESTING:
                raise TooDeepError(body.count("\n", 0, match.start()))


def _nests_too_deep(html: str) -> bool:
    """Whether the elements of `html`, as the sanitizer writes it, nest deeper than
    MAX_NESTING. Each element it writes that can hold another has a start and an end tag,
    so HTML with at most 2 × MAX_NESTING + 1 '<' cannot, and is not walked tag by tag."""
    return html.count("<") > 2 * MAX_NESTING + 1 and _html_depth(html) > MAX_NESTING


def _html_depth(html: str) -> int:
    """How deep the elements of `html` nest."""
    depth = deepest = 0
    for closing, tag, self_closing in _TAG.findall(html):
        if self_closing or tag.lower() in _VOID_TAGS:
            continue
        if closing:
            depth = max(depth - 1, 0)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _fallback_order(config: SiteConfig, lang: str) -> tuple[str, ...]:
    others = [x for x in config.languages if x != lang]
    others.sort(key=lambda x: x != config.default_language)
    return (lang, *others)


def _group_by_slug(documents, config, problems) -> dict[str, dict[str, SourceDocument]]:
    grouped: dict[str, dict[str, SourceDocument]] = {}
    for doc in documents:
        docs = grouped.setdefault(doc.slug, {})
        first = next(iter(docs.values()), None)
        if first is not None and first.section != doc.section:
            problems.error(
                doc.path,
                0,
                f"slug '{doc.slug}' is already used by {first.path}",
                "slugs name one page across all sections; rename one of the files",
            )
            continue
        docs[doc.lang] = doc
    # Languages in the configured order, so the primary version is found first.
    return {slug: {lang: docs[lang] for lang in config.languages if lang in docs} for slug, docs in grouped.items()}


def _primary(docs: Mapping[str, SourceDocument], config: SiteConfig) -> SourceDocument:
    """The file that states the entity's facts: the default language's, else the first."""
    return docs.get(config.default_language) or next(iter(docs.values()))


def _facts(docs, config, problems, incomplete: bool = False) -> dict[str, Any]:
    primary = _primary(docs, config)
    section = primary.section
    for doc in docs.values():
        if doc is primary:
            continue
        for name in NEUTRAL_FIELDS[section]:
            if name in doc.fields:
                problems.error(
                    doc.path,
                    doc.line_of(name),
                    f"'{name}' is a language-neutral fact and is stated in {primary.path}",
                    f"remove it here; facts are stated once, in the {primary.lang} file",
                )
    for name, spec in SCHEMAS[section].items():
        if spec.required and not spec.translatable and name not in primary.fields and not incomplete:
            problems.error(
                primary.path, 1, f"required field '{name}' is missing", f"add '{name}: …' to the front matter"
            )
    # Every fact of the section is present, None when not stated, so templates can ask
    # for any of them.
    return {name: primary.fields.get(name) for name in NEUTRAL_FIELDS[section]}


def _claim_urls(grouped, config, problems) -> dict[tuple[str, str], str]:
    """Give every version its URL; two pages claiming one URL is an error naming both."""
    reserved: dict[str, str] = {}  # addresses of generated pages, with what they are
    for lang in config.languages:
        reserved[f"{lang}/"] = f"the {lang} home page"
        for section in LISTED_SECTIONS:
            reserved[f"{lang}/{config.section_names[section][lang]}/"] = f"the {section} index ({config.path})"
        reserved[f"{lang}/{config.section_names['search'][lang]}/"] = f"the search page ({config.path})"
    claimers: dict[str, SourceDocument] = {}
    urls = {}
    for slug, docs in grouped.items():
        for lang, doc in docs.items():
            url = page_url(config, doc.section, doc.fields.get("slug", slug), lang)
            if doc.section == "pages" and slug == HOME_SLUG:
                urls[slug, lang] = url  # the home page's own introduction
                continue
            holder = claimers.get(url)
            if holder is not None or url in reserved:
                localized = "slug" in doc.fields or (holder is not None and "slug" in holder.fields)
                problems.error(
                    doc.path,
                    0,
                    f"its address /{url} is already taken by {holder.path if holder else reserved[url]}",
                    "set another 'slug:' in one of the two files" if localized else "rename the file to another slug",
                )
                continue
            claimers[url] = doc
            urls[slug, lang] = url
    return urls


def _relate(grouped, facts, config, problems, hidden) -> dict[str, dict[str, tuple[str, ...]]]:
    """Check every relation's targets and add the other end of each."""
    sections = {slug: next(iter(docs.values())).section for slug, docs in grouped.items()}
    related: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))

    def add(slug: str, name: str, other: str) -> None:
        if other not in related[slug][name]:
            related[slug][name].append(other)

    for slug, docs in grouped.items():
        if slug in hidden:
            continue
        primary = _primary(docs, config)
        for rel in RELATIONS:
            if sections[slug] != rel.section:
                continue
            targets = facts[slug][rel.field] or ()
            lines = primary.item_lines.get(rel.field) or (primary.line_of(rel.field),) * len(targets)
            seen = set()
            for target, line in zip(targets, lines, strict=True):
                if target in seen:
                    problems.error(primary.path, line, f"'{target}' is listed twice in {rel.field}", "remove one")
                    continue
                seen.add(target)
                if target == slug:
                    problems.error(primary.path, line, f"'{rel.field}' names the page itself", "remove it")
                elif target not in sections:
                    candidates = [s for s, sec in sections.items() if sec == rel.target]
                    hint = (
                        did_you_mean(target, candidates)
                        or f"create content/{rel.target}/{target}.<lang>.md or fix the slug"
                    )
                    problems.error(primary.path, line, f"{rel.field}: no {rel.target[:-1]} with slug '{target}'", hint)
                elif sections[target] != rel.target:
                    problems.error(
                        primary.path,
                        line,
                        f"{rel.field}: '{target}' is in {sections[target]}, not {rel.target}",
                        f"list only {rel.target} here",
                    )
                elif target not in hidden:
                    add(slug, rel.field, target)
                    add(target, rel.inverse, slug)
    return {slug: {name: tuple(v) for name, v in rels.items()} for slug, rels in related.items()}


def _check_figure_labels(doc: SourceDocument, figures, problems: Problems) -> None:
    """Each figure has a label in every language, and every label names a figure."""
    labels = doc.fields.get("figure_labels", {})
    ids = [figure.id for figure in figures]
    line = doc.line_of("figure_labels") if "figure_labels" in doc.fields else 1
    for figure_id in ids:
        if figure_id not in labels:
            problems.error(
                doc.path, line, f"figure '{figure_id}' has no label", f"add '{figure_id}: …' under figure_labels"
            )
    for figure_id in labels:
        if figure_id not in ids:
            hint = did_you_mean(figure_id, ids) or "remove it, or add the figure to figures"
            problems.error(doc.path, line, f"figure_labels: no figure with id '{figure_id}'", hint)


def _check_links(link_sites, grouped, versions, hidden, problems) -> None:
    """Report every [[link]] to an unknown page or anchor, at the line it is written on."""
    known = sorted(grouped)
    for doc, links in link_sites:
        for link in links:
            if link.target is not None and not link.anchor:
                continue  # the common case: nothing to report
            before = doc.body[: max(doc.body.find(link.text), 0)]
            line = doc.body_line + before.count("\n")
            if link.target is None and link.slug in hidden:
                problems.warning(
                    doc.path,
                    line,
                    f"link {link.text} leads to a draft",
                    "it is shown as plain text until the draft is published",
                )
            elif not link.slug:
                problems.error(doc.path, line, f"link {link.text} names no page", "write [[slug]] or [[slug#heading]]")
            elif link.target is None:
                hint = did_you_mean(link.slug, known) or "check the slug, or create the page"
                problems.error(doc.path, line, f"link {link.text}: no page with slug '{link.slug}'", hint)
            elif link.anchor:
                target = versions[link.slug][link.target.lang]
                if link.anchor not in target.anchors:
                    hint = did_you_mean(link.anchor, target.anchors) or (
                        f"anchors there: {', '.join(sorted(target.anchors))}"
                        if target.anchors
                        else f"{target.source} has no headings to link to"
                    )
                    problems.error(
                        doc.path, line, f"link {link.text}: {target.source} has no heading '#{link.anchor}'", hint
                    )

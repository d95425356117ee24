"""Site → one search file per language: the pages the browser's search looks through.

The file is a script that hands its documents to the search page
(`window.sitegenSearchData = {...}`), loaded by a `<script>` tag rather than fetched,
so search works from disk (file://) as well as online. The browser builds a Lunr index
from it (assets/search.js); German pages use Lunr's German stemmer, so 'Kliniken' finds
'Klinik' and 'Arzte' finds 'Ärzte'. Nothing is sent anywhere: the search runs in the page.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from html import unescape

from markupsafe import Markup

from .memo import Memo, memoized
from .model import Site, Version


def search_entry(
    site: Site, slug: str, lang: str, section_label: Callable[[str], str], memo: Memo | None = None
) -> bytes | None:
    """The page of `slug` as the search in `lang` finds it: address, title, section, summary
    and plain text, as JSON in UTF-8; None when the lists of `lang` do not show it.

    A page not translated into `lang` is included (in its own language, marked) unless
    site.yaml hides untranslated pages. `memo` keeps each entry made, by what it is made of.
    """
    if not _listed(site, slug, lang):
        return None
    key, version, section = _entry_key(site, slug, lang, section_label)
    return memoized(memo, key, lambda: encode(version, section))


def _listed(site: Site, slug: str, lang: str) -> bool:
    return lang in site.entities[slug].versions or site.config.untranslated != "hide"


def _entry_key(site: Site, slug: str, lang: str, section_label: Callable[[str], str]) -> tuple[tuple, Version, str]:
    """What the entry of `slug` in `lang` is made of (its key in the memo), its version and section."""
    version = site.version(slug, lang)
    section = section_label(site.entities[slug].section)
    body = hashlib.blake2b(version.body_html.encode(), digest_size=16).digest()
    return ("search", version.url, version.title, section, version.summary, version.lang, body), version, section


class PageSearchEntries:
    """The search entries of every language, made by the processes that render the pages:
    each entry by the one that renders the page of the version it shows, which has read
    that page's text already (render.py's `render_site`, with `make` and `add`).

    A process that made the entries of a page in this one, the build process, would read
    every text once more, after the workers were forked: the memory pages it read would
    be copied, as Python counts the references to an object in the object (60 MB at
    5,000 actors, beside the workers' memory).
    """

    def __init__(self, site: Site, section_labels: Mapping[str, Callable[[str], str]], memo: Memo | None = None):
        self.site, self.section_labels, self.memo = site, section_labels, memo
        # Each page's address → the entries (language, slug) that show its version.
        self.shown: dict[str, list[tuple[str, str]]] = {}
        for lang in site.config.languages:
            for slug in site.entities:
                if _listed(site, slug, lang):
                    self.shown.setdefault(site.version(slug, lang).url, []).append((lang, slug))
        self.found: dict[tuple[str, str], bytes] = {}

    def make(self, path: str) -> list[tuple[str, str, tuple, bytes | None]]:
        """The entries that show the page at `path`, with their keys; in the process that
        renders it. One the memo holds is not sent back (None): this process has it."""
        made = []
        for lang, slug in self.shown.get(path, ()):
            key, version, section = _entry_key(self.site, slug, lang, self.section_labels[lang])
            known = self.memo.get(key) if self.memo is not None else None
            made.append((lang, slug, key, None if known is not None else encode(version, section)))
        return made

    def add(self, made: list[tuple[str, str, tuple, bytes | None]]) -> None:
        """Take in what `make` gave, in the build process."""
        for lang, slug, key, entry in made:
            if entry is None:
                entry = self.memo.get(key)
            elif self.memo is not None:
                self.memo.put(key, entry)
            self.found[lang, slug] = entry

    def entries(self, lang: str) -> dict[str, bytes]:
        """The entry of every page a visitor of `lang` can reach from the lists, by slug in
        the site's order; those no page was rendered for are made here."""
        label = self.section_labels[lang]
        entries = {}
        for slug in self.site.entities:
            entry = self.found.get((lang, slug)) or search_entry(self.site, slug, lang, label, self.memo)
            if entry is not None:
                entries[slug] = entry
        return entries


def encode(version: Version, section: str) -> bytes:
    document = {
        "url": version.url,
        "title": version.title,
        "section": section,
        "summary": version.summary,
        "text": plain_text(version.body_html),
        "lang": version.lang,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


# A tag: from '<' to the next '>', as markupsafe's `striptags` finds it.
_TAG = re.compile(r"<[^>]*>")


def plain_text(html: str) -> str:
    """The text of `html` with its words separated by single spaces: what markupsafe's
    `striptags` gives, which builds the text again after each tag it removes (a second
    of a cold build at 5,000 actors). Its comments are left to it: removing one can
    join two halves into another."""
    if "<!--" in html:
        text = Markup(html).striptags()
    else:
        text = _TAG.sub("", html)
        if "&" in text:  # an entity may stand for a space (&nbsp;), so before the spaces are made single
            text = unescape(text)
    return " ".join(text.split())


def search_script(lang: str, entries: Iterable[bytes]) -> bytes:
    """The script that hands the documents (`entries`, as JSON) to the search page."""
    documents = b", ".join(entries)
    return b'window.sitegenSearchData = {"documents": [%s], "lang": %s};\n' % (documents, json.dumps(lang).encode())

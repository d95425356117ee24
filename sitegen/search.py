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
from collections.abc import Callable, Iterable
from html import unescape

from markupsafe import Markup

from .memo import Memo, memoized
from .model import Site, Version


def search_entries(
    site: Site, lang: str, section_label: Callable[[str], str], memo: Memo | None = None
) -> dict[str, bytes]:
    """Every page a visitor of `lang` can reach from the lists, as the JSON of its search
    document (see `search_entry`), by slug in the site's order."""
    entries = {}
    for slug in site.entities:
        entry = search_entry(site, slug, lang, section_label, memo)
        if entry is not None:
            entries[slug] = entry
    return entries


def search_entry(
    site: Site, slug: str, lang: str, section_label: Callable[[str], str], memo: Memo | None = None
) -> bytes | None:
    """The page of `slug` as the search in `lang` finds it: address, title, section, summary
    and plain text, as JSON in UTF-8; None when the lists of `lang` do not show it.

    A page not translated into `lang` is included (in its own language, marked) unless
    site.yaml hides untranslated pages. `memo` keeps each entry made, by what it is made of.
    """
    entity = site.entities[slug]
    if lang not in entity.versions and site.config.untranslated == "hide":
        return None
    version = site.version(slug, lang)
    section = section_label(entity.section)
    body = hashlib.blake2b(version.body_html.encode(), digest_size=16).digest()
    key = ("search", version.url, version.title, section, version.summary, version.lang, body)
    return memoized(memo, key, lambda: encode(version, section))


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

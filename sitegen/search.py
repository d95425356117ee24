"""Site → one search file per language: the pages the browser's search looks through.

The file is a script that hands its documents to the search page
(`window.sitegenSearchData = {...}`), loaded by a `<script>` tag rather than fetched,
so search works from disk (file://) as well as online. The browser builds a Lunr index
from it (assets/search.js); German pages use Lunr's German stemmer, so 'Kliniken' finds
'Klinik' and 'Arzte' finds 'Ärzte'. Nothing is sent anywhere: the search runs in the page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from markupsafe import Markup

from .memo import Memo, memoized
from .model import Site


def search_entries(
    site: Site, lang: str, section_label: Callable[[str], str], fragments: Memo | None = None
) -> dict[str, bytes]:
    """Every page a visitor of `lang` can reach from the lists, as the JSON of its search
    document (see `search_entry`), by slug in the site's order."""
    entries = {}
    for slug in site.entities:
        entry = search_entry(site, slug, lang, section_label, fragments)
        if entry is not None:
            entries[slug] = entry
    return entries


def search_entry(
    site: Site, slug: str, lang: str, section_label: Callable[[str], str], fragments: Memo | None = None
) -> bytes | None:
    """The page of `slug` as the search in `lang` finds it: address, title, section, summary
    and plain text, as JSON in UTF-8; None when the lists of `lang` do not show it.

    A page not translated into `lang` is included (in its own language, marked) unless
    site.yaml hides untranslated pages. `fragments` keeps each text and document made.
    """
    entity = site.entities[slug]
    if lang not in entity.versions and site.config.untranslated == "hide":
        return None
    version = site.version(slug, lang)
    document = {
        "url": version.url,
        "title": version.title,
        "section": section_label(entity.section),
        "summary": version.summary,
        "text": memoized(fragments, version.body_html, lambda: plain_text(version.body_html)),
        "lang": version.lang,
    }
    return memoized(fragments, ("search", *document.items()), lambda: encode(document))


def encode(document: dict[str, str]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


def plain_text(html: str) -> str:
    return " ".join(Markup(html).striptags().split())


def search_script(lang: str, entries: Iterable[bytes]) -> bytes:
    """The script that hands the documents (`entries`, as JSON) to the search page."""
    documents = b", ".join(entries)
    return b'window.sitegenSearchData = {"documents": [%s], "lang": %s};\n' % (documents, json.dumps(lang).encode())

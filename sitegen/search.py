"""Site → one search file per language: the pages the browser's search looks through.

The file is a script that hands its documents to the search page
(`window.sitegenSearchData = {...}`), loaded by a `<script>` tag rather than fetched,
so search works from disk (file://) as well as online. The browser builds a Lunr index
from it (assets/search.js); German pages use Lunr's German stemmer, so 'Kliniken' finds
'Klinik' and 'Arzte' finds 'Ärzte'. Nothing is sent anywhere: the search runs in the page.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from markupsafe import Markup

from .memo import Memo, memoized
from .model import Site


def search_documents(
    site: Site, lang: str, section_label: Callable[[str], str], texts: Memo | None = None
) -> list[dict[str, str]]:
    """Every page a visitor of `lang` can reach from the lists, with its plain text.

    Pages not translated into `lang` are included (in their own language, marked) unless
    site.yaml hides untranslated pages.
    """
    documents = []
    for entity in site.entities.values():
        if lang not in entity.versions and site.config.untranslated == "hide":
            continue
        version = site.version(entity.slug, lang)
        documents.append(
            {
                "url": version.url,
                "title": version.title,
                "section": section_label(entity.section),
                "summary": version.summary,
                "text": memoized(texts, version.body_html, lambda v=version: plain_text(v.body_html)),
                "lang": version.lang,
            }
        )
    return documents


def plain_text(html: str) -> str:
    return " ".join(Markup(html).striptags().split())


def search_script(lang: str, documents: list[dict[str, str]], fragments: Memo | None = None) -> bytes:
    """The script that hands `documents` to the search page; `fragments` keeps each one's JSON."""

    def encode(document: dict[str, str]) -> str:
        return json.dumps(document, ensure_ascii=False, sort_keys=True)

    parts = (memoized(fragments, ("search", *d.items()), lambda d=d: encode(d)) for d in documents)
    data = f'{{"documents": [{", ".join(parts)}], "lang": {json.dumps(lang)}}}'
    return f"window.sitegenSearchData = {data};\n".encode()

"""`new KIND SLUG`: the German and English files of a new page, ready to fill in.

Output: content/<section>/<slug>.<lang>.md for every language, with each required field
and, commented out, the optional ones, each with a short note. The default language's
file holds the facts; the others only text. New pages start as drafts (`draft: true`),
so the site keeps building while they are written; the preview shows them.
"""

from __future__ import annotations

from pathlib import Path

from .config import SiteConfig
from .errors import Problems
from .load import display_path
from .schema import ACTOR_TYPES, NEWS_KINDS, SCHEMAS, SECTIONS, SLUG, slugify

KINDS = {"actor": "actors", "topic": "topics", "project": "projects", "news": "news"}

# What each field is for, as a comment beside it in the new file.
NOTES = {
    "title": "the page's title",
    "short_title": "a shorter name for lists and links",
    "summary": "one sentence: what the page is about",
    "slug": "this language's own URL name, if not the file name",
    "draft": "remove this line to publish the page",
    "type": f"one of: {', '.join(ACTOR_TYPES)}",
    "city": "e.g. Leipzig",
    "founded": "year, e.g. 1990",
    "website": "https://…",
    "coordinates": "[latitude, longitude], e.g. [51.34, 12.37]",
    "topics": "slugs of topics, e.g. [cell-gene-therapy]",
    "partners": "slugs of partner actors (shown on both pages)",
    "member_of": "slugs of networks this actor belongs to",
    "related": "slugs of related topics (shown on both pages)",
    "actors": "slugs of the actors involved",
    "projects": "slugs of related projects",
    "start": 'date: "2024", "2024-10" or "2024-10-01"',
    "end": 'date: "2024", "2024-10" or "2024-10-01"',
    "date": 'date: "2024", "2024-10" or "2024-10-01"',
    "kind": f"one of: {', '.join(NEWS_KINDS)}",
    "figures": "key figures: - {id: staff, value: 120, unit: count}",
    "figure_labels": "a label per figure id, in this language",
}
PLACEHOLDER = {"summary": "TODO", "type": ACTOR_TYPES[0]}


def scaffold(kind: str, slug: str, content_dir: Path, config: SiteConfig, problems: Problems) -> dict[Path, str]:
    """The new files and their text; nothing is written when a problem is reported."""
    section = KINDS[kind]
    shown = display_path(content_dir / section / f"{slug}.{config.default_language}.md")
    if not SLUG.match(slug):
        hint = f"use lowercase letters, digits and single hyphens, e.g. '{slugify(slug) or 'new-page'}'"
        problems.error(shown, 0, f"'{slug}' is not a valid slug", hint)
        return {}
    taken = sorted(p for s in SECTIONS for p in (content_dir / s).glob(f"{slug}.*.md"))
    if taken:
        problems.error(
            display_path(taken[0]), 0, f"the slug '{slug}' is taken by this page", "choose another slug for the new one"
        )
        return {}
    title = slug.replace("-", " ").title()
    files = {}
    for lang in config.languages:
        primary = lang == config.default_language
        lines = ["---"]
        for name, spec in SCHEMAS[section].items():
            if not (primary or spec.translatable) or name == "draft":
                continue
            value = title if name == "title" else PLACEHOLDER.get(name, "")
            note = f"  # {NOTES[name]}" if name in NOTES else ""
            lines.append(f"{name}: {value}{note}" if spec.required else f"# {name}:{note}")
        if primary:
            lines.append(f"draft: true  # {NOTES['draft']}")
        lines += ["---", "", "TODO: the text of the page, in Markdown. Link to other pages with `[[slug]]`.", ""]
        files[content_dir / section / f"{slug}.{lang}.md"] = "\n".join(lines)
    return files

"""A synthetic bilingual content folder of any size, the same for the same arguments.

    python -m bench.corpus DEST --actors 1000

writes DEST/site.yaml and N actors with N/20 topics, each in German and English, in
this project's content format: YAML front matter with typed fields and relations
(topics, partners, related topics), and Markdown bodies of 400–800 words with headings,
lists, a table and [[links]] to other pages. German text has umlauts and ß. The words
are filler; the shape is what a real site of that size looks like to the generator.
The benchmark (issue 9) and the incremental-build tests build sites from it.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

SITE_YAML = """\
languages: [de, en]
default_language: de
title:
  de: Lebenswissenschaften in Sachsen (Testkorpus)
  en: Life Sciences in Saxony (test corpus)
description:
  de: Ein erzeugter Inhaltsordner für Messungen und Tests.
  en: A generated content folder for measurements and tests.
base_url: https://example.org/
sections:
  actors: {de: akteure, en: actors}
  topics: {de: themen, en: topics}
  news: {de: aktuelles, en: news}
  projects: {de: projekte, en: projects}
  search: {de: suche, en: search}
untranslated: show
"""

# Cities with a position in data/places.yaml, so the maps can place every actor.
CITIES = ("Leipzig", "Dresden", "Chemnitz")
TYPES = ("research-institute", "university", "clinic", "company", "startup", "network", "agency", "infrastructure")

WORDS = {
    "de": [
        "Zelltherapie",
        "Gentherapie",
        "Medizintechnik",
        "Diagnostik",
        "Forschung",
        "Entwicklung",
        "Herstellung",
        "Klinik",
        "Studie",
        "Patientinnen",
        "Patienten",
        "Größe",
        "Qualität",
        "Prüfung",
        "Förderung",
        "Gründung",
        "Netzwerk",
        "Zusammenarbeit",
        "Labor",
        "Verfahren",
        "Wirkstoff",
        "Gewebe",
        "Immunologie",
        "Bildgebung",
        "Sensorik",
        "Software",
        "Daten",
        "Versorgung",
        "Ärztinnen",
        "Ärzte",
        "Hochschule",
        "Institut",
        "Unternehmen",
        "Ausgründung",
        "Schwerpunkt",
        "Anwendung",
        "Zulassung",
        "Prozess",
        "Automatisierung",
        "Biobank",
        "Infrastruktur",
        "Plattform",
        "Wissen",
        "Transfer",
        "Märkte",
        "Gespräche",
        "Maßnahmen",
        "Schlüssel",
        "Übersicht",
    ],
    "en": [
        "cell",
        "therapy",
        "gene",
        "therapy",
        "medical",
        "technology",
        "diagnostics",
        "research",
        "development",
        "manufacturing",
        "clinic",
        "study",
        "patients",
        "quality",
        "testing",
        "funding",
        "founding",
        "network",
        "collaboration",
        "laboratory",
        "method",
        "compound",
        "tissue",
        "immunology",
        "imaging",
        "sensors",
        "software",
        "data",
        "care",
        "physicians",
        "university",
        "institute",
        "company",
        "spin-off",
        "focus",
        "application",
        "approval",
        "process",
        "automation",
        "biobank",
        "infrastructure",
        "platform",
        "knowledge",
        "transfer",
        "markets",
        "talks",
        "measures",
        "keys",
        "overview",
    ],
}
JOINERS = {
    "de": ["und", "mit", "für", "über", "durch", "zwischen", "sowie", "im", "am", "zur", "zum", "bei", "nach"],
    "en": ["and", "with", "for", "about", "through", "between", "as", "well", "in", "at", "to", "by", "after"],
}
HEADINGS = {
    "de": ("Schwerpunkte", "Zusammenarbeit", "Geschichte", "Angebote", "Ausblick", "Kennzahlen"),
    "en": ("Focus", "Collaboration", "History", "Services", "Outlook", "Figures"),
}
TABLE_HEAD = {"de": ("Bereich", "Beschreibung"), "en": ("Area", "Description")}


def _sentence(rng: random.Random, lang: str, links: list[str]) -> str:
    words = [rng.choice(WORDS[lang]) if i % 3 else rng.choice(JOINERS[lang]) for i in range(rng.randint(8, 16))]
    if links and rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), f"[[{rng.choice(links)}]]")
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, lang: str, links: list[str]) -> str:
    return " ".join(_sentence(rng, lang, links) for _ in range(rng.randint(3, 6)))


def body(rng: random.Random, lang: str, links: list[str]) -> str:
    """400–800 words of Markdown: paragraphs under headings, a list, a table, [[links]]."""
    target = rng.randint(400, 800)
    parts, words = [], 0
    headings = list(HEADINGS[lang])
    rng.shuffle(headings)
    while words < target:
        if headings and parts and rng.random() < 0.35:
            parts.append(f"## {headings.pop()}")
        roll = rng.random()
        if roll < 0.12:
            block = "\n".join(f"- {_sentence(rng, lang, links)}" for _ in range(rng.randint(3, 5)))
        elif roll < 0.18:
            head = TABLE_HEAD[lang]
            rows = [f"| {rng.choice(WORDS[lang])} | {_sentence(rng, lang, [])} |" for _ in range(rng.randint(2, 4))]
            block = "\n".join([f"| {head[0]} | {head[1]} |", "| --- | --- |", *rows])
        else:
            block = _paragraph(rng, lang, links)
        parts.append(block)
        words += len(block.split())
    return "\n\n".join(parts) + "\n"


def _front_matter(fields: dict[str, object]) -> str:
    lines = ["---"]
    for name, value in fields.items():
        if isinstance(value, list):
            lines.append(f"{name}: [{', '.join(value)}]")
        else:
            lines.append(f'{name}: "{value}"' if isinstance(value, str) and ":" in value else f"{name}: {value}")
    return "\n".join([*lines, "---", ""])


def generate(dest: Path, actors: int = 1000, seed: int = 1) -> dict[str, int]:
    """Write the corpus into `dest` (which must not hold one already); returns counts."""
    rng = random.Random(seed)
    topics = max(1, actors // 20)
    topic_slugs = [f"thema-{i:04d}" for i in range(topics)]
    actor_slugs = [f"akteur-{i:05d}" for i in range(actors)]
    dest.mkdir(parents=True)
    (dest / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    for section in ("actors", "topics"):
        (dest / section).mkdir()
    files = 0
    for i, slug in enumerate(topic_slugs):
        related = sorted(set(rng.sample(topic_slugs[:i], min(i, rng.randint(0, 2)))))
        for lang, name in (("de", "Thema"), ("en", "Topic")):
            fields: dict[str, object] = {"title": f"{name} {i + 1}: {rng.choice(WORDS[lang]).capitalize()}"}
            fields["summary"] = _sentence(rng, lang, [])
            if lang == "de" and related:
                fields["related"] = related
            text = _front_matter(fields) + body(rng, lang, topic_slugs[:i])
            (dest / "topics" / f"{slug}.{lang}.md").write_text(text, encoding="utf-8")
            files += 1
    for i, slug in enumerate(actor_slugs):
        facts: dict[str, object] = {
            "type": rng.choice(TYPES),
            "city": rng.choice(CITIES),
            "topics": sorted(rng.sample(topic_slugs, min(topics, rng.randint(1, 3)))),
        }
        partners = sorted(set(rng.sample(actor_slugs[:i], min(i, rng.randint(0, 3)))))
        if partners:
            facts["partners"] = partners
        links = partners + list(facts["topics"])
        for lang, name in (("de", "Akteur"), ("en", "Actor")):
            fields = {"title": f"{name} {i + 1} {rng.choice(CITIES)} {rng.choice(WORDS[lang]).capitalize()}"}
            fields["summary"] = _sentence(rng, lang, [])
            if lang == "de":
                fields.update(facts)
            text = _front_matter(fields) + body(rng, lang, links)
            (dest / "actors" / f"{slug}.{lang}.md").write_text(text, encoding="utf-8")
            files += 1
    return {"actors": actors, "topics": topics, "files": files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="folder to create (must not exist)")
    parser.add_argument("--actors", type=int, default=1000, help="number of actors (topics: a twentieth)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    counts = generate(args.dest, args.actors, args.seed)
    print(f"{args.dest}: {counts['actors']} actors, {counts['topics']} topics, {counts['files']} files")


if __name__ == "__main__":
    main()

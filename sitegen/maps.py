"""Maps of Saxony, drawn at build time as SVG to be inlined in a page.

The state's outline comes from `data/saxony.geojson` (geoBoundaries; `data/saxony.LICENSE.md`
says what its licence allows and which credit it asks for, which the templates show under
every map). A place is put on the map by its latitude and longitude: an actor's own
`coordinates`, or else the position of its `city` from `data/places.yaml`.

Two pictures are made: the state with one marker per city, each a link, for the home
and the actors index; and a small locator map, an image with one dot, for a profile.
Both are deterministic (coordinates rounded to a tenth of a unit), carry a title and a
description for assistive technology, use classes and presentation attributes only
(no inline styles, no scripts), and scale to the width of their container.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from .errors import Problems
from .load import display_path, parse_yaml_mapping, read_text
from .schema import Field, convert

Position = tuple[float, float]  # (latitude, longitude) in degrees, as `coordinates` are written
COORDINATES = Field("coordinates", "coordinates")


@dataclass(frozen=True)
class Geography:
    """The outline of the state and the known positions of places in it."""

    rings: tuple[tuple[Position, ...], ...]  # the outline's polygons (exterior rings)
    places: Mapping[str, Position]  # place name as written in `city:` → position

    def position(self, facts: Mapping[str, Any]) -> Position | None:
        """Where an actor is: its own coordinates, else its city's position, else None."""
        if facts.get("coordinates"):
            return tuple(facts["coordinates"])
        return self.places.get(facts.get("city") or "")


@dataclass(frozen=True)
class Marker:
    """One place on the state map: a link to what is there."""

    name: str  # shown beside the marker, e.g. 'Leipzig'
    label: str  # the link's accessible name, e.g. 'Leipzig: 32 actors'
    href: str
    count: int  # how many things are there; sets the marker's size
    position: Position


def load_geography(data_dir: Path, problems: Problems) -> Geography | None:
    """data/saxony.geojson and data/places.yaml, checked; None (with problems) if unusable."""
    outline_path, places_path = data_dir / "saxony.geojson", data_dir / "places.yaml"
    rings = _read_outline(outline_path, display_path(outline_path), problems)
    places = _read_places(places_path, display_path(places_path), problems)
    if rings is None or places is None:
        return None
    return Geography(rings, places)


def _read_outline(path: Path, shown: str, problems: Problems) -> tuple[tuple[Position, ...], ...] | None:
    text = read_text(path, shown, problems)
    if text is None:
        return None
    try:
        data = json.loads(text)
        polygons = []
        for feature in data["features"]:
            geometry = feature["geometry"]
            kind, coordinates = geometry["type"], geometry["coordinates"]
            polygons += [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
        # GeoJSON positions are [longitude, latitude]; only exterior rings are drawn.
        rings = tuple(tuple((float(lat), float(lon)) for lon, lat, *_ in polygon[0]) for polygon in polygons)
    except json.JSONDecodeError as exc:
        problems.error(shown, exc.lineno, f"broken JSON: {exc.msg}", "restore the file from data/ in git")
        return None
    except (KeyError, TypeError, ValueError, IndexError):
        rings = ()
    if not rings:
        problems.error(shown, 1, "no polygon of the state found", "use a GeoJSON FeatureCollection of (Multi)Polygons")
        return None
    return rings


def _read_places(path: Path, shown: str, problems: Problems) -> dict[str, Position] | None:
    if not path.is_file():
        return {}
    text = read_text(path, shown, problems)
    parsed = parse_yaml_mapping(text, shown, 1, problems) if text is not None else None
    if parsed is None:
        return None
    places = {}
    for name, value in parsed.values.items():
        try:
            places[name] = convert(COORDINATES, value)  # the rule of an actor's `coordinates:`
        except ValueError:
            problems.error(
                shown, parsed.lines[name], f"'{name}' needs [latitude, longitude]", f"write e.g. {name}: [51.34, 12.37]"
            )
    return places


class _Projection:
    """Latitude and longitude → SVG units: equirectangular, true to scale at the middle latitude."""

    def __init__(self, rings: Sequence[Sequence[Position]], width: float, padding: float):
        lats = [lat for ring in rings for lat, _ in ring]
        lons = [lon for ring in rings for _, lon in ring]
        self.north, self.west = max(lats), min(lons)
        self.stretch = math.cos(math.radians((max(lats) + min(lats)) / 2))
        self.scale = (width - 2 * padding) / ((max(lons) - self.west) * self.stretch)
        self.padding = padding
        self.width = width
        self.height = round((self.north - min(lats)) * self.scale + 2 * padding, 1)

    def __call__(self, position: Position) -> tuple[float, float]:
        lat, lon = position
        x = self.padding + (lon - self.west) * self.stretch * self.scale
        y = self.padding + (self.north - lat) * self.scale
        return round(x, 1), round(y, 1)

    def path(self, rings: Sequence[Sequence[Position]]) -> str:
        parts = []
        for ring in rings:
            points = [self(position) for position in ring]
            parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in points) + "Z")
        return "".join(parts)


def _heading(prefix: str, title: str, description: str) -> str:
    return f'<title id="{prefix}-title">{escape(title)}</title><desc id="{prefix}-desc">{escape(description)}</desc>'


def state_map(
    geography: Geography, markers: Sequence[Marker], title: str, description: str, id_prefix: str = "map"
) -> str:
    """The state with a linked marker per place, larger where more is."""
    project = _Projection(geography.rings, 640, 24)
    parts = [
        f'<svg class="state-map" viewBox="0 0 {project.width:g} {project.height:g}" role="group" '
        f'aria-labelledby="{id_prefix}-title" aria-describedby="{id_prefix}-desc">',
        _heading(id_prefix, title, description),
        f'<path class="map-state" d="{project.path(geography.rings)}"/>',
    ]
    # Larger markers first, so a small one next to a large one stays visible and clickable.
    for marker in sorted(markers, key=lambda m: (-m.count, m.name)):
        x, y = project(marker.position)
        radius = round(min(7 + 3 * math.sqrt(marker.count), 26), 1)
        # The name goes to the right of the marker, or to its left near the right edge.
        right = x < project.width * 0.7
        text_x = round(x + radius + 6 if right else x - radius - 6, 1)
        anchor = "start" if right else "end"
        parts.append(
            f'<a class="map-place" href="{escape(marker.href)}" aria-label="{escape(marker.label)}">'
            f"<title>{escape(marker.label)}</title>"
            f'<circle class="map-marker" cx="{x:g}" cy="{y:g}" r="{radius:g}"/>'
            f'<text class="map-name" x="{text_x:g}" y="{y:g}" dy="0.35em" text-anchor="{anchor}">'
            f"{escape(marker.name)}</text></a>"
        )
    parts.append("</svg>")
    return "".join(parts)


def locator_map(geography: Geography, position: Position, title: str, id_prefix: str = "locator") -> str:
    """A small picture of the state with one dot: where a profile's subject is."""
    project, outline = _outline(geography.rings, 240, 8)
    x, y = project(position)
    return (
        f'<svg class="locator-map" viewBox="0 0 {project.width:g} {project.height:g}" role="img" '
        f'aria-labelledby="{id_prefix}-title">'
        f'<title id="{id_prefix}-title">{escape(title)}</title>'
        f'<path class="map-state" d="{outline}"/>'
        f'<circle class="map-dot" cx="{x:g}" cy="{y:g}" r="7"/>'
        "</svg>"
    )


@functools.lru_cache(maxsize=8)
def _outline(rings: tuple[tuple[Position, ...], ...], width: int, padding: int) -> tuple[_Projection, str]:
    """The projection of the state to this size, and its outline as an SVG path: the same
    for every profile, made once (it took a millisecond per page)."""
    project = _Projection(rings, width, padding)
    return project, project.path(rings)

"""Nodes and edges → an inline SVG picture of how actors, networks and topics connect.

Pure: no files, no templates. `layout` places the nodes that have at least one edge (a
picture of connections has nothing to say about the others; the lists show them) in viewBox
units. It depends on ids and edges only, not on a language, so a caller computes it once per
build. `network_svg` draws the nodes that have a position: edges underneath, then each node
as one link with an accessible name and a `<title>`, topics and networks with a visible
label, then a legend in the caller's words. No inline styles, scripts or external references:
classes only, styled by assets/style.css. `connections` gives the same links for a list beside it.

Output is byte-identical from build to build (sorted inputs, fixed seed, coordinates rounded
to 0.1). The viewBox is `WIDTH` = 360 wide: label text of `FONT_SIZE` stays ≥ 11 CSS px while
the picture is ≥ 330 px wide. Node centres are ≥ `MIN_DISTANCE` apart, which is also WCAG
2.5.8's spacing for links smaller than 24 × 24 px.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

WIDTH, PLOT_HEIGHT = 360, 560  # viewBox units; the legend goes below the plot
MARGIN = 14  # between the viewBox edge and the node centres
FONT_SIZE = 12  # 11 px at a width of 330 px (a 360 px phone minus page padding)
LINE_HEIGHT = FONT_SIZE * 1.15
CHAR_WIDTH = FONT_SIZE * 0.6  # generous average for sans-serif, to estimate label boxes
MIN_DISTANCE = 24
HUB_DISTANCE = 64  # between two labelled nodes
SEED = 1789
_CENTRE = object()  # a node no caller can name
LABELLED_KINDS = ("network", "topic")


@dataclass(frozen=True)
class Node:
    id: str  # the entity's slug
    label: str  # short name in the page's language
    kind: str  # "actor" | "network" | "topic"
    href: str  # relative to the page the picture is on
    lang: str = ""  # the linked page's language, and its label's, when not the page's


@dataclass(frozen=True)
class Edge:
    source: str  # node ids
    target: str
    kind: str  # "topic" (actor–topic), "member" (actor–network), "partner" (actor–actor)


Box = tuple[float, float, float, float]


def layout(
    node_ids: Iterable[str], edges: Iterable[tuple[str, str]], labelled: Iterable[str] = ()
) -> dict[str, tuple[float, float]]:
    """Node id → (x, y) in viewBox units for every node with an edge; input order does not matter.

    Nodes in `labelled` (topics and networks) are kept further apart, to leave room for their labels.
    """
    # Imported here, not with this module: a build that has the layout from its cache
    # (or unpickles a Node) does without them, and they take a third of a second to load.
    import networkx as nx
    import numpy as np

    known = set(node_ids)
    pairs = sorted({tuple(sorted(pair)) for pair in edges if pair[0] != pair[1] and set(pair) <= known})
    graph = nx.Graph()
    graph.add_nodes_from(sorted({node for pair in pairs for node in pair}))
    graph.add_edges_from(pairs)
    if not graph:
        return {}
    ids = list(graph)
    # A weak pull towards a centre keeps separate components from drifting to the rim.
    graph.add_edges_from(((_CENTRE, node) for node in ids), weight=0.05)
    # "force" (Fruchterman-Reingold on a dense matrix) also for large graphs: numpy only, no scipy.
    raw = nx.spring_layout(graph, seed=SEED, iterations=200, method="force")
    points = np.array([raw[node] for node in ids], dtype=float)
    low, high = np.array([MARGIN, MARGIN]), np.array([WIDTH - MARGIN, PLOT_HEIGHT - MARGIN])
    # Stretched to fill the plot on both axes: the round cloud becomes as tall as a phone screen.
    span = np.ptp(points, axis=0)
    points = low + (points - points.min(axis=0)) / np.where(span > 0, span, 1) * (high - low)
    hubs = set(labelled)
    room = np.array([HUB_DISTANCE if node in hubs else MIN_DISTANCE for node in ids]) / 2
    points = _spread(points, room, low, high)
    return {node: (round(float(x), 1), round(float(y), 1)) for node, (x, y) in zip(ids, points, strict=True)}


def _spread(points: np.ndarray, room: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Push apart nodes closer than the sum of their `room`; the force layout packs leaves tightly."""
    import numpy as np

    # Aim 0.5 beyond and stop within 0.25 of the aim: what is left covers rounding to 0.1 (at most 0.15).
    target = room[:, None] + room[None, :] + 0.5
    for _ in range(500):
        offsets = points[:, None, :] - points[None, :, :]
        distances = np.hypot(offsets[..., 0], offsets[..., 1])
        np.fill_diagonal(distances, np.inf)
        overlap = np.clip(target - distances, 0, None)
        if overlap.max() < 0.25:
            break
        push = offsets / np.maximum(distances, 1e-9)[..., None] * (overlap / 2)[..., None]
        points = np.clip(points + push.sum(axis=1), low, high)
    return points


def network_svg(
    nodes: Iterable[Node],
    edges: Iterable[Edge],
    positions: Mapping[str, tuple[float, float]],
    *,
    title: str,
    description: str,
    legend: Mapping[str, str],
    id_prefix: str = "net",
) -> str:
    """The picture as `<svg>` markup; `legend` maps each node kind to its label, in display order."""
    placed = {node.id: node for node in sorted(nodes, key=lambda n: n.id) if node.id in positions}
    lines = []
    # A symmetric relation may come once from each end; it is drawn once.
    for kind, source, target in sorted({(e.kind, *sorted((e.source, e.target))) for e in edges}):
        if source in placed and target in placed:
            (x1, y1), (x2, y2) = positions[source], positions[target]
            lines.append(
                f'<line class="net-edge net-edge-{escape(kind)}" '
                f'x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>'
            )
    # Actors first, so that labelled nodes and their text are painted above them.
    drawn = sorted(placed.values(), key=lambda n: (n.kind in LABELLED_KINDS, n.kind, n.id))
    taken = [_box(*positions[node.id], _SIZES[node.kind] + 1, _SIZES[node.kind] + 1) for node in drawn]
    links = [_node_link(node, positions[node.id], taken) for node in drawn]
    height = PLOT_HEIGHT + LINE_HEIGHT * len(legend) + 6
    prefix = escape(id_prefix)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="net" viewBox="0 0 {WIDTH} {height:.1f}" '
        f'preserveAspectRatio="xMidYMid meet" role="group" '
        f'aria-labelledby="{prefix}-title" aria-describedby="{prefix}-desc">\n'
        f'<title id="{prefix}-title">{escape(title)}</title>\n<desc id="{prefix}-desc">{escape(description)}</desc>'
    )
    edges_group = '<g class="net-edges" aria-hidden="true">\n' + "\n".join(lines) + "\n</g>"
    nodes_group = '<g class="net-nodes">\n' + "\n".join(links) + "\n</g>"
    return "\n".join([head, edges_group, nodes_group, _legend(legend), "</svg>"])


def _node_link(node: Node, position: tuple[float, float], taken: list[Box]) -> str:
    name = escape(node.label)
    lang = f' hreflang="{escape(node.lang)}" lang="{escape(node.lang)}"' if node.lang else ""
    parts = [
        f'<a href="{escape(node.href)}" class="net-node net-{escape(node.kind)}" aria-label="{name}"{lang}>',
        f"<title>{name}</title>",
        _shape(node.kind, *position),
    ]
    if node.kind in LABELLED_KINDS:
        parts.append(_label(node, position, taken))
    return "".join(parts) + "</a>"


# Half the extent of each kind's shape; shapes differ so kinds are told apart without colour.
_SIZES = {"actor": 4.5, "network": 6.5, "topic": 8.0}


def _shape(kind: str, x: float, y: float, legend: bool = False) -> str:
    size = _SIZES[kind]
    if kind == "actor":
        hit = "" if legend else f'<circle class="net-hit" cx="{x:.1f}" cy="{y:.1f}" r="{MIN_DISTANCE / 2}"/>'
        return f'{hit}<circle class="net-shape" cx="{x:.1f}" cy="{y:.1f}" r="{size}"/>'
    if kind == "network":
        return f'<rect class="net-shape" x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size}" height="{2 * size}"/>'
    corners = ((x, y - size), (x + size, y), (x, y + size), (x - size, y))
    return f'<polygon class="net-shape" points="{" ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners)}"/>'


def _box(x: float, y: float, half_width: float, half_height: float) -> Box:
    return (x - half_width, y - half_height, x + half_width, y + half_height)


def _label(node: Node, position: tuple[float, float], taken: list[Box]) -> str:
    """The node's label beside it where it covers the fewest other labels and shapes; adds it to `taken`."""
    x, y = position
    lines = _wrap(node.label)
    width = max(len(line) for line in lines) * CHAR_WIDTH
    height = len(lines) * LINE_HEIGHT
    gap = _SIZES[node.kind] + 3
    ascent = FONT_SIZE * 0.8  # from the first baseline up to the top of the box
    # (anchor, box left, box top): beside, below, above, then beside but raised or lowered;
    # the first one wins a tie.
    right, left, centre = x + gap, x - gap - width, x - width / 2
    candidates = [
        ("start", right, y - height / 2),
        ("end", left, y - height / 2),
        ("middle", centre, y + gap),
        ("middle", centre, y - gap - height),
        *(("start", right, y + top) for top in (-height, 0)),
        *(("end", left, y + top) for top in (-height, 0)),
    ]
    # Near the edge a label is moved inside, where it may then cover its own node: that is counted.
    boxes = [
        (anchor, max(0, min(box_left, WIDTH - width)), max(0, min(top, PLOT_HEIGHT - height)))
        for anchor, box_left, top in candidates
    ]
    anchor, box_left, top = min(
        boxes, key=lambda b: sum(_overlap((b[1], b[2], b[1] + width, b[2] + height), other) for other in taken)
    )
    taken.append((box_left, top, box_left + width, top + height))
    text_x = box_left + {"start": 0, "middle": width / 2, "end": width}[anchor]
    spans = "".join(
        f'<tspan x="{text_x:.1f}" y="{top + ascent + i * LINE_HEIGHT:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text font-size="{FONT_SIZE}" text-anchor="{anchor}">{spans}</text>'


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _wrap(label: str, width: int = 16) -> list[str]:
    """One line, or two split at the space that makes the longer line shortest."""
    words = label.split()
    if len(label) <= width or len(words) < 2:
        return [label]
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    return list(min(splits, key=lambda pair: max(len(pair[0]), len(pair[1]))))


def _legend(legend: Mapping[str, str]) -> str:
    rows = []
    for i, (kind, label) in enumerate(legend.items()):
        y = PLOT_HEIGHT + LINE_HEIGHT * (i + 0.5)
        rows.append(
            f'<g class="net-{escape(kind)}">{_shape(kind, MARGIN, y, legend=True)}'
            f'<text font-size="{FONT_SIZE}" x="{MARGIN + 14}" y="{y + FONT_SIZE * 0.35:.1f}">{escape(label)}</text></g>'
        )
    return '<g class="net-legend">' + "".join(rows) + "</g>"


def connections(
    nodes: Iterable[Node], edges: Iterable[Edge], sort_key: Callable[[str], Any] = str.casefold
) -> list[tuple[Node, list[Node]]]:
    """Each topic and network with the actors and networks linked to it, both sorted by label.

    The same links as the picture, for a list beside it; `sort_key` orders labels (pass a
    collation key for the page's language). Topics and networks with no such link are left out.
    """
    by_id = {node.id: node for node in nodes}
    linked: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        if edge.source in by_id and edge.target in by_id:
            linked[edge.source].add(edge.target)
            linked[edge.target].add(edge.source)

    def order(node: Node) -> tuple[Any, str]:
        return (sort_key(node.label), node.id)

    result = []
    for hub in sorted((n for n in by_id.values() if n.kind in LABELLED_KINDS), key=order):
        members = sorted((by_id[i] for i in linked[hub.id] if by_id[i].kind != "topic"), key=order)
        if members:
            result.append((hub, members))
    return result

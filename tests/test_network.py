"""sitegen.network: the SVG picture of actors, networks and topics, and its layout."""

from __future__ import annotations

import itertools
import math
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from lxml import etree

from sitegen.network import (
    FONT_SIZE,
    HUB_DISTANCE,
    MIN_DISTANCE,
    PLOT_HEIGHT,
    WIDTH,
    Edge,
    Node,
    connections,
    layout,
    network_svg,
)

PROJECT_DIR = Path(__file__).parents[1]
LEGEND = {"actor": "Akteure", "network": "Netzwerke", "topic": "Themen"}

NODES = [
    Node("medtech", "Medizintechnik", "topic", "../themen/medtech/"),
    Node("diagnostics", "Diagnostik", "topic", "../themen/diagnostics/"),
    Node("rnd", 'F&E <Labor> "neu"', "topic", "../themen/rnd/"),
    Node("biosaxony", "biosaxony", "network", "biosaxony/"),
    Node("silicon-saxony", "Silicon Saxony", "network", "silicon-saxony/"),
    *(Node(f"actor-{i}", f"Akteur {i}", "actor", f"actor-{i}/") for i in range(1, 8)),
    Node("lonely", "Ohne Verbindung", "actor", "lonely/"),
    Node("english-only", "English only", "actor", "../../en/actors/english-only/", lang="en"),
]
EDGES = [
    *(Edge(f"actor-{i}", "medtech", "topic") for i in range(1, 5)),
    *(Edge(f"actor-{i}", "diagnostics", "topic") for i in range(3, 8)),
    Edge("actor-7", "rnd", "topic"),
    Edge("english-only", "rnd", "topic"),
    Edge("biosaxony", "medtech", "topic"),
    *(Edge(f"actor-{i}", "biosaxony", "member") for i in (1, 2, 5)),
    Edge("actor-6", "silicon-saxony", "member"),
    Edge("biosaxony", "silicon-saxony", "member"),
    Edge("biosaxony", "silicon-saxony", "partner"),
    Edge("silicon-saxony", "biosaxony", "partner"),  # the other end of the same partnership
    Edge("actor-1", "actor-2", "partner"),
]
CONNECTED = {node.id for node in NODES} - {"lonely"}


def positions_for(nodes, edges):
    labelled = [node.id for node in nodes if node.kind != "actor"]
    return layout([node.id for node in nodes], [(edge.source, edge.target) for edge in edges], labelled)


def picture(nodes=NODES, edges=EDGES, **options):
    options = {"title": "Wer mit wem", "description": "Akteure, Netzwerke und Themen", "legend": LEGEND} | options
    return network_svg(nodes, edges, positions_for(nodes, edges), **options)


def parse(svg: str) -> BeautifulSoup:
    return BeautifulSoup(svg, "html.parser")  # as the page's parser sees it: names in lower case


def view_box(soup: BeautifulSoup) -> tuple[float, float]:
    _, _, width, height = map(float, soup.svg["viewbox"].split())
    return width, height


def test_every_connected_node_is_one_link_with_its_href_and_name():
    links = parse(picture()).find_all("a")
    by_href = {link["href"]: link for link in links}
    assert len(links) == len(by_href) == len(CONNECTED)
    for node in NODES:
        if node.id not in CONNECTED:
            assert node.href not in by_href  # no edge, not drawn
            continue
        link = by_href[node.href]
        assert link["aria-label"] == node.label
        assert link.find("title", recursive=False).string == node.label
        assert "net-node" in link["class"] and f"net-{node.kind}" in link["class"]


def test_a_link_to_a_page_in_another_language_says_so():
    link = parse(picture()).find("a", href="../../en/actors/english-only/")
    assert link["hreflang"] == "en" and link["lang"] == "en"
    assert not parse(picture()).find("a", href="actor-1/").has_attr("hreflang")


def test_the_svg_is_a_group_labelled_by_its_title_and_described_by_its_desc():
    soup = parse(picture(id_prefix="topics-net"))
    svg = soup.svg
    assert svg["role"] == "group"
    assert soup.find(id=svg["aria-labelledby"]).name == "title"
    assert soup.find(id=svg["aria-labelledby"]).string == "Wer mit wem"
    assert soup.find(id=svg["aria-describedby"]).name == "desc"
    assert soup.find(id=svg["aria-describedby"]).string == "Akteure, Netzwerke und Themen"
    ids = [element["id"] for element in soup.find_all(id=True)]
    assert ids and all(value.startswith("topics-net-") for value in ids)


def test_two_pictures_on_one_page_share_no_id():
    first, second = parse(picture(id_prefix="a")), parse(picture(id_prefix="b"))
    assert not {e["id"] for e in first.find_all(id=True)} & {e["id"] for e in second.find_all(id=True)}


def test_no_inline_style_script_or_external_reference():
    svg = picture()
    etree.fromstring(svg)  # well-formed, so it also stands on its own
    assert not svg.startswith("<?xml")
    assert "style=" not in svg and "<style" not in svg and "<script" not in svg
    assert "xlink" not in svg and "<image" not in svg and "url(" not in svg
    hrefs = {element["href"] for element in parse(svg).find_all(href=True)}
    assert hrefs == {node.href for node in NODES if node.id in CONNECTED}


def test_label_text_is_escaped():
    svg = picture()
    assert "F&amp;E &lt;Labor&gt; &quot;neu&quot;" in svg
    assert "<Labor>" not in svg
    link = parse(svg).find("a", href="../themen/rnd/")
    assert link["aria-label"] == 'F&E <Labor> "neu"'
    assert " ".join(link.find("text").stripped_strings) == 'F&E <Labor> "neu"'


def test_topics_and_networks_are_labelled_and_actors_are_dots():
    soup = parse(picture())
    for node in NODES:
        if node.id in CONNECTED:
            text = soup.find("a", href=node.href).find("text")
            if node.kind == "actor":
                assert text is None
            else:
                assert " ".join(text.stripped_strings) == node.label


def test_kinds_differ_in_shape_and_the_legend_uses_the_callers_words():
    soup = parse(picture(legend={"topic": "Topics", "network": "Networks", "actor": "Actors"}))
    shapes = {
        kind: {link.find(class_="net-shape").name for link in soup.find_all("a", class_=f"net-{kind}")}
        for kind in LEGEND
    }
    assert shapes == {"actor": {"circle"}, "network": {"rect"}, "topic": {"polygon"}}
    legend = soup.find("g", class_="net-legend")
    assert [text.string for text in legend.find_all("text")] == ["Topics", "Networks", "Actors"]


def test_label_text_stays_legible_on_a_phone():
    soup = parse(picture())
    width, _ = view_box(soup)
    texts = soup.find_all("text")
    assert texts
    for text in texts:
        # CSS px at a 360 px wide picture; 330 px leaves room for the page's padding.
        assert float(text["font-size"]) * 360 / width >= 11
        assert float(text["font-size"]) * 330 / width >= 11
    assert FONT_SIZE * 360 / WIDTH >= 11


def test_shapes_and_edges_lie_inside_the_view_box():
    soup = parse(picture())
    width, height = view_box(soup)
    assert soup.svg["preserveaspectratio"] == "xMidYMid meet"
    assert not soup.svg.has_attr("width") and not soup.svg.has_attr("height")
    points = []
    for element in soup.find_all(["circle", "line"]):
        for x, y in (("cx", "cy"), ("x1", "y1"), ("x2", "y2")):
            if element.has_attr(x):
                points.append((float(element[x]), float(element[y])))
    for rect in soup.find_all("rect"):
        points.append((float(rect["x"]), float(rect["y"])))
        points.append((float(rect["x"]) + float(rect["width"]), float(rect["y"]) + float(rect["height"])))
    for polygon in soup.find_all("polygon"):
        points += [tuple(map(float, pair.split(","))) for pair in polygon["points"].split()]
    for tspan in soup.find_all("tspan"):
        points.append((float(tspan["x"]), float(tspan["y"])))
    assert points
    assert all(0 <= x <= width and 0 <= y <= height for x, y in points)


def test_edges_are_drawn_under_the_nodes_with_a_class_per_kind():
    soup = parse(picture())
    groups = [g["class"][0] for g in soup.svg.find_all("g", recursive=False)]
    assert groups.index("net-edges") < groups.index("net-nodes")
    kinds = [line["class"][1] for line in soup.find_all("line")]
    assert set(kinds) == {"net-edge-topic", "net-edge-member", "net-edge-partner"}
    assert kinds.count("net-edge-partner") == 2  # the partnership given from both ends is one line


def test_the_same_input_in_another_order_gives_the_same_bytes():
    expected = picture()
    assert picture() == expected
    rng = random.Random(7)
    for _ in range(3):
        nodes, edges = NODES[:], EDGES[:]
        rng.shuffle(nodes)
        rng.shuffle(edges)
        flipped = [Edge(e.target, e.source, e.kind) if rng.random() < 0.5 else e for e in edges]
        assert picture(nodes, flipped) == expected


def test_separate_processes_give_the_same_bytes():
    # Another hash seed changes the order of sets and dicts built from strings.
    script = (
        "import hashlib, tests.test_network as t; "
        "text = t.picture() + repr(sorted(t.positions_for(*t.larger_graph()).items())); "
        "print(hashlib.sha256(text.encode()).hexdigest())"
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=PROJECT_DIR,
            env=os.environ | {"PYTHONHASHSEED": seed},
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in ("1", "2")
    ]
    digests = {run.communicate()[0] for run in runs}
    assert [run.returncode for run in runs] == [0, 0]
    assert len(digests) == 1 and digests != {""}


def test_connections_list_each_topic_and_network_with_its_actors_by_label():
    listed = {hub.id: [node.id for node in linked] for hub, linked in connections(NODES, EDGES)}
    assert list(listed) == ["biosaxony", "diagnostics", "rnd", "medtech", "silicon-saxony"]
    assert listed["medtech"] == ["actor-1", "actor-2", "actor-3", "actor-4", "biosaxony"]
    assert listed["rnd"] == ["actor-7", "english-only"]
    assert listed["biosaxony"] == ["actor-1", "actor-2", "actor-5", "silicon-saxony"]


def test_connections_take_a_collation_key():
    nodes = [Node("t", "Thema", "topic", "t/"), Node("o", "Öko", "actor", "o/"), Node("z", "Zeiss", "actor", "z/")]
    edges = [Edge("o", "t", "topic"), Edge("z", "t", "topic")]
    assert [n.id for n in connections(nodes, edges)[0][1]] == ["z", "o"]  # code point order
    umlauts_as_vowels = str.maketrans("Öö", "Oo")
    assert [n.id for n in connections(nodes, edges, lambda s: s.translate(umlauts_as_vowels))[0][1]] == ["o", "z"]


def test_the_stylesheet_styles_the_classes_and_shows_keyboard_focus():
    css = (PROJECT_DIR / "assets/style.css").read_text(encoding="utf-8")
    assert ".net-node:focus-visible" in css
    for name in ("net-edge", "net-edge-member", "net-edge-partner", "net-actor", "net-network", "net-topic"):
        assert f".{name}" in css
    used = set(re.findall(r"var\(--([a-z-]+)\)", css))
    defined = set(re.findall(r"--([a-z-]+):", css.split("}")[0]))  # the light set in :root
    assert used <= defined


def larger_graph(seed: int = 11) -> tuple[list[Node], list[Edge]]:
    """A bit above the real site's size: 60 actors (6 of them networks), 20 topics, ~200 edges."""
    rng = random.Random(seed)
    topics = [Node(f"topic-{i:02}", f"Thema {i}", "topic", "") for i in range(20)]
    networks = [Node(f"network-{i}", f"Netzwerk {i}", "network", "") for i in range(6)]
    actors = [Node(f"actor-{i:02}", f"Akteur {i}", "actor", "") for i in range(54)]
    edges = {Edge(a.id, t.id, "topic") for a in actors + networks for t in rng.sample(topics, rng.randint(1, 4))}
    edges |= {Edge(a.id, rng.choice(networks).id, "member") for a in rng.sample(actors, 30)}
    edges |= {Edge(a.id, b.id, "partner") for a, b in (rng.sample(actors, 2) for _ in range(20))}
    return topics + networks + actors, sorted(edges, key=lambda e: (e.source, e.target, e.kind))


def test_a_graph_of_the_real_size_does_not_collapse_into_a_blob():
    nodes, edges = larger_graph()
    assert 180 <= len(edges) <= 220
    positions = positions_for(nodes, edges)
    assert len(positions) == len(nodes)
    # Dots 24 apart can be told apart and tapped; labelled nodes keep room for their text.
    room = {node.id: (MIN_DISTANCE if node.kind == "actor" else HUB_DISTANCE) / 2 for node in nodes}
    for a, b in itertools.combinations(positions, 2):
        assert math.dist(positions[a], positions[b]) >= room[a] + room[b], (a, b)
    assert all(0 <= x <= WIDTH and 0 <= y <= PLOT_HEIGHT for x, y in positions.values())


def test_layout_places_only_nodes_with_edges_and_ignores_unknown_ends():
    positions = layout(["a", "b", "c"], [("a", "b"), ("b", "b"), ("c", "unknown")])
    assert set(positions) == {"a", "b"}
    assert layout(["a"], []) == {}


@pytest.mark.parametrize("count", [2, 3])
def test_tiny_graphs_are_placed_inside_the_plot(count):
    ids = [f"n{i}" for i in range(count)]
    positions = layout(ids, list(zip(ids, ids[1:], strict=False)))
    assert len(positions) == count
    assert all(0 <= x <= WIDTH and 0 <= y <= PLOT_HEIGHT for x, y in positions.values())


def test_the_topics_index_shows_the_network_with_working_links(built_fixture):
    from conftest import soup
    from test_build import resolve_href

    for index in (built_fixture / "de/themen/index.html", built_fixture / "en/topics/index.html"):
        page = soup(index)
        svg = page.select_one(".network svg.net")
        pictured = {a["href"] for a in svg.find_all("a")}
        listed = {a["href"] for a in page.select(".network .connections a")}
        assert pictured and listed <= pictured
        lang = page.html["lang"]
        for href in pictured:
            target, _ = resolve_href(built_fixture, index, href)
            assert target.is_file(), href
            link = svg.find("a", href=href)
            assert soup(target).html["lang"] == (link.get("hreflang") or lang)
        assert svg.find(id=svg["aria-labelledby"]).get_text()

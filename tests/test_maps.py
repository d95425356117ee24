"""The maps of Saxony: drawn from data/, linked to the actors, accessible, credited."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from conftest import build_into, soup, write
from test_build import resolve_href

from sitegen.errors import Problems
from sitegen.maps import Geography, Marker, load_geography, locator_map, state_map
from sitegen.pipeline import PROJECT_DIR

DATA = PROJECT_DIR / "data"


def geography() -> Geography:
    problems = Problems()
    found = load_geography(DATA, problems)
    assert found is not None and not problems.items
    return found


def view_box(svg) -> tuple[float, float]:
    _, _, width, height = map(float, svg["viewbox"].split())
    return width, height


def test_the_outline_and_places_are_read():
    geo = geography()
    assert len(geo.rings) == 1 and len(geo.rings[0]) > 200
    assert {"Leipzig", "Dresden", "Chemnitz"} <= set(geo.places)
    assert geo.position({"city": "Leipzig"}) == geo.places["Leipzig"]
    assert geo.position({"city": "Leipzig", "coordinates": (51.0, 13.0)}) == (51.0, 13.0)
    assert geo.position({"city": "Atlantis"}) is None


def test_the_state_map_has_a_named_link_per_marker_inside_its_frame():
    geo = geography()
    markers = [
        Marker("Leipzig", "Leipzig: 2 Akteure", "../akteure/#city-leipzig", 2, geo.places["Leipzig"]),
        Marker("Dresden <&>", "Dresden: 1 Akteur", "../akteure/#city-dresden", 1, geo.places["Dresden"]),
    ]
    text = state_map(geo, markers, "Karte von Sachsen", "Städte mit Akteuren")
    assert text == state_map(geo, list(reversed(markers)), "Karte von Sachsen", "Städte mit Akteuren")
    svg = BeautifulSoup(text, "html.parser").svg
    assert svg["role"] == "group"
    assert svg.find(id=svg["aria-labelledby"]).get_text() == "Karte von Sachsen"
    assert svg.find(id=svg["aria-describedby"]).get_text() == "Städte mit Akteuren"
    links = {a["href"]: a for a in svg.find_all("a")}
    assert set(links) == {"../akteure/#city-leipzig", "../akteure/#city-dresden"}
    assert links["../akteure/#city-leipzig"]["aria-label"] == "Leipzig: 2 Akteure"
    assert links["../akteure/#city-dresden"].find("text").get_text() == "Dresden <&>"
    assert "<&>" not in text  # escaped in the markup
    width, height = view_box(svg)
    for circle in svg.find_all("circle"):
        assert 0 < float(circle["cx"]) < width and 0 < float(circle["cy"]) < height
    # Leipzig lies west of and north of Dresden.
    leipzig, dresden = (links[h].circle for h in ("../akteure/#city-leipzig", "../akteure/#city-dresden"))
    assert float(leipzig["cx"]) < float(dresden["cx"]) and float(leipzig["cy"]) < float(dresden["cy"])
    assert float(leipzig["r"]) > float(dresden["r"])  # more actors, larger marker
    assert "style=" not in text and "<script" not in text


def test_the_locator_map_is_an_image_with_a_title():
    svg = BeautifulSoup(locator_map(geography(), (51.34, 12.37), "Leipzig auf der Karte"), "html.parser").svg
    assert svg["role"] == "img" and svg.find(id=svg["aria-labelledby"]).get_text() == "Leipzig auf der Karte"
    assert len(svg.find_all("circle")) == 1 and not svg.find("a")


def test_home_map_markers_and_list_lead_to_the_actors_of_each_city(built_fixture: Path):
    home = built_fixture / "de/index.html"
    page = soup(home)
    svg = page.select_one(".home-map svg.state-map")
    markers = {a["href"] for a in svg.find_all("a")}
    listed = {a["href"] for a in page.select(".home-map .city-list a")}
    assert markers == listed == {"akteure/#city-dresden", "akteure/#city-leipzig"}
    for href in markers:
        index, fragment = resolve_href(built_fixture, home, href)
        heading = soup(index).find(id=fragment)
        actors = heading.find_parent("section").select(".item-list li > a")
        assert actors
        for link in actors:  # each actor listed under the city says it is there
            profile = soup(resolve_href(built_fixture, index, link["href"])[0])
            assert heading.get_text() in profile.select_one(".facts").get_text()
    assert page.select_one(".home-map .map-credit a[href='https://www.geoboundaries.org']")


def test_actors_index_map_links_within_the_page(built_fixture: Path):
    page = soup(built_fixture / "en/actors/index.html")
    hrefs = [a["href"] for a in page.select(".by-city svg a")]
    assert hrefs and all(h.startswith("#") and page.find(id=h[1:]) for h in hrefs)


def test_an_actor_with_a_city_has_a_credited_locator_map(built_fixture: Path):
    page = soup(built_fixture / "en/actors/izi/index.html")
    svg = page.select_one(".locator svg")
    assert svg.title.get_text() == "Leipzig on the map of Saxony"
    assert page.select_one(".locator .map-credit a[href='https://www.geoboundaries.org']")
    topic = next((built_fixture / "en/topics").glob("*/index.html"))
    assert not soup(topic).select_one(".locator")


def test_home_key_figures_count_the_site(built_fixture: Path):
    figures = {
        li.select_one(".figure-label").get_text(): li.select_one(".figure-value").get_text()
        for li in soup(built_fixture / "en/index.html").select(".home-figures li")
    }
    assert figures["actors"] == "3" and figures["network or cluster"] == "1" and figures["cities"] == "2"


def test_a_city_without_a_position_is_a_warning(site_dir: Path, tmp_path: Path):
    actor = site_dir / "actors/tud.de.md"
    actor.write_text(actor.read_text(encoding="utf-8").replace("city: Dresden", "city: Zwickau"), encoding="utf-8")
    result = build_into(site_dir, tmp_path / "output")
    assert not result.problems.errors
    [warning] = [str(p) for p in result.problems.warnings if "Zwickau" in p.message]
    assert warning.startswith(str(Path("actors/tud.de.md"))) or "tud.de.md" in warning
    assert "data/places.yaml" in warning
    page = soup(tmp_path / "output/de/index.html")
    assert {a["href"] for a in page.select(".home-map .city-list a")} == {"akteure/#city-leipzig"}


def test_broken_places_are_reported_with_their_line(tmp_path: Path):
    data = tmp_path / "data"
    write(data, {"places.yaml": "Leipzig: [51.34, 12.37]\nDresden: 13.74\n"})
    (data / "saxony.geojson").write_bytes((DATA / "saxony.geojson").read_bytes())
    problems = Problems()
    load_geography(data, problems)
    [problem] = problems.errors
    assert problem.line == 2 and "Dresden" in problem.message and "[latitude, longitude]" in problem.message

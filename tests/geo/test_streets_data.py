"""The shipped streets file: valid lines, one connected network, inside the zones."""

from __future__ import annotations

import json

from geo.crs import to_metric
from geo.streets import STREET_KINDS, network_components
from tests.conftest import STREETS_FILE

NAMED = ["Storgatan", "Köpmansgatan", "Brogatan", "Kyrkogatan", "Klammerdammsgatan", "Hamngatan",
         "Strandgatan", "Österbro", "Slottsbron", "Karl XI:s väg", "Stora Torg"]


def test_metadata_says_approximate():
    doc = json.loads(STREETS_FILE.read_text(encoding="utf-8"))
    assert doc["approximate"] is True and doc["source"] and doc["licence"]


def test_streets_are_valid_named_lines(streets):
    assert streets.geometry.is_valid.all() and not streets.geometry.is_empty.any()
    assert set(streets.geom_type) <= {"LineString", "MultiLineString"}
    assert set(streets["kind"]) <= set(STREET_KINDS)
    assert set(NAMED) <= set(streets["name"])
    assert {"street", "pedestrian", "path", "square", "bridge"} == set(streets["kind"])


def test_every_street_is_reachable_from_stora_torg(streets):
    components = network_components(streets)
    torg = components[streets["name"] == "Stora Torg"].iloc[0]
    unreachable = streets.loc[components != torg, "name"].tolist()
    assert unreachable == []


def test_streets_lie_inside_or_on_the_edge_of_the_zones(streets, zones):
    centre = to_metric(zones).union_all().buffer(1.0)
    outside = streets.loc[~to_metric(streets).within(centre), "name"].tolist()
    assert outside == []


def test_bridges_join_the_west_quay_to_the_east_bank(streets):
    line = streets.set_index("name").geometry
    bridges = streets.loc[streets.kind == "bridge", "name"]
    assert {"Österbro", "Slottsbron"} <= set(bridges)
    for bridge in bridges:
        assert line[bridge].intersects(line["Hamngatan"]) and line[bridge].intersects(line["Strandgatan"])

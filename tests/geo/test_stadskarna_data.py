"""The shipped zones file: metadata, a true partition of a plausible area, landmarks in place."""

from __future__ import annotations

import json

import pytest
import shapely

from geo.crs import to_metric
from geo.zones import LIGHTING_CLASSES, ZONE_KINDS, zone_areas_m2, zone_of
from tests.conftest import ZONES_FILE

# Facts with their sources (copied from ../shared/data/halmstad_landmarks.geojson, which cites them),
# and the zone each was traced into.
LANDMARKS = [
    ("S:t Nikolai kyrka", 12.85583, 56.67306,
     "Swedish Wikipedia, Sankt Nikolai kyrka, Halmstad: 56°40′23″N 12°51′21″E", "stora-torg"),
    ("Halmstad (town reference point, at Stora Torg)", 12.85722, 56.67389,
     "Swedish Wikipedia, Halmstad: 56°40′26″N 12°51′26″E", "stora-torg"),
    ("Stora Torg, corner Storgatan–Bankgatan", 12.858127, 56.67433,
     "public map data of a local app (corner description)", "stora-torg"),
    ("Halmstads slott", 12.857611, 56.6715,
     "slottsguiden.info: 56°40'17.4\"N 12°51'27.4\"E", "slottet"),
    ("Halmstads slott, car park", 12.858275, 56.671528, "public parking dataset", "slottet"),
    ("Halmstad C (north-west part of the station area, by the footbridge)", 12.864379, 56.669741,
     "public map data of a local app", "resecentrum"),
    ("Stationsparken", 12.863339, 56.669166, "public map data of a local app", "resecentrum"),
    ("Norre Port (estimate)", 12.858, 56.677,
     "derived: about 660 m north of the castle along Storgatan (travel-guide distance)", "storgatan-norre-port"),
]


def test_file_metadata_says_it_is_approximate_and_sourced():
    doc = json.loads(ZONES_FILE.read_text(encoding="utf-8"))
    assert doc["approximate"] is True
    for key in ("source", "licence", "date", "description"):
        assert doc[key].strip()
    assert "approximate" in doc["description"].lower()


def test_zones_have_the_required_properties(zones):
    assert 8 <= len(zones) <= 15
    assert zones["zone_id"].is_unique
    assert set(zones["kind"]) <= set(ZONE_KINDS)
    assert set(zones["lighting_class"]) <= set(LIGHTING_CLASSES)
    assert {"square", "street", "park", "waterfront", "transport"} <= set(zones["kind"])
    assert any(ch in "".join(zones["name"]) for ch in "åäöÅÄÖ")


def test_coordinates_have_at_most_six_decimals(zones):
    coords = shapely.get_coordinates(zones.geometry.to_numpy())
    assert (abs(coords - coords.round(6)) < 1e-12).all()


def test_zones_partition_the_centre(zones):
    metric = to_metric(zones).geometry.to_numpy()
    for i in range(len(metric)):
        for j in range(i + 1, len(metric)):
            assert shapely.intersection(metric[i], metric[j]).area <= 1.0, (zones.zone_id[i], zones.zone_id[j])
    union = shapely.union_all(metric)
    assert union.geom_type == "Polygon", "the centre should be one connected area"
    assert all(shapely.Polygon(ring).area <= 1.0 for ring in union.interiors), "holes between zones"
    assert abs(union.area - zone_areas_m2(zones).sum()) <= 1.0 * len(zones)


def test_total_area_is_plausible_for_halmstads_centre(zones):
    assert 0.3e6 <= zone_areas_m2(zones).sum() <= 3e6


@pytest.mark.parametrize("name, lon, lat, source, zone_id", LANDMARKS, ids=[row[0] for row in LANDMARKS])
def test_landmark_falls_in_the_zone_it_was_traced_into(zones, name, lon, lat, source, zone_id):
    assert zone_of(zones, [lon], [lat])[0] == zone_id, f"{name} ({source})"


def test_old_town_lies_west_of_the_river_and_station_east(zones):
    centroids = to_metric(zones).set_index(zones["zone_id"]).centroid
    river = centroids["nissan"].x
    assert centroids["stora-torg"].x < river < centroids["resecentrum"].x
    assert centroids["ostra-stranden"].x > river


def test_landmark_facts_match_the_shared_reference_file(shared_data):
    doc = json.loads((shared_data / "halmstad_landmarks.geojson").read_text(encoding="utf-8"))
    reference = {f["properties"]["name"]: f for f in doc["features"]}
    for name, lon, lat, source, _ in LANDMARKS:
        assert reference[name]["geometry"]["coordinates"] == [lon, lat]
        assert reference[name]["properties"]["source"] == source

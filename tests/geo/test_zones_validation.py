"""A user-supplied zones file is validated as strictly as ours, with errors naming the problem."""

from __future__ import annotations

import copy
import json

import pytest

from geo.errors import ValidationError
from geo.zones import parse_zones, read_zones

# Two adjacent 0.001° x 0.001° squares (about 61 m x 111 m) near Stora Torg.
WEST = [[12.857, 56.674], [12.858, 56.674], [12.858, 56.675], [12.857, 56.675], [12.857, 56.674]]
EAST = [[12.858, 56.674], [12.859, 56.674], [12.859, 56.675], [12.858, 56.675], [12.858, 56.674]]


def feature(zone_id, ring, **props):
    properties = {"zone_id": zone_id, "name": zone_id.title(), "kind": "square", "lighting_class": "P2"}
    properties.update(props)
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": "Polygon", "coordinates": [copy.deepcopy(ring)]}}


@pytest.fixture
def doc():
    return {"type": "FeatureCollection", "source": "test", "approximate": False,
            "features": [feature("vast", WEST), feature("ost", EAST)]}


def error_of(doc) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        parse_zones(doc, source="town.geojson")
    return info.value


def test_a_valid_file_parses_with_metadata_and_ignores_extra_properties(doc):
    doc["features"][0]["properties"]["owner"] = "kommunen"
    zones = parse_zones(doc)
    assert list(zones.columns) == ["zone_id", "name", "kind", "lighting_class", "geometry"]
    assert zones.crs == "EPSG:4326"
    assert zones.attrs["metadata"] == {"source": "test", "approximate": False}


def test_missing_file_and_broken_json_name_the_file(tmp_path):
    with pytest.raises(ValidationError, match="missing.geojson: file not found"):
        read_zones(tmp_path / "missing.geojson")
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(ValidationError, match=r"broken.geojson: not valid JSON: .*line 1"):
        read_zones(broken)


@pytest.mark.parametrize("bad, message", [
    ({"type": "Feature"}, "expected a GeoJSON FeatureCollection"),
    ({"type": "FeatureCollection", "features": []}, "has no features"),
    ([1, 2], "expected a GeoJSON FeatureCollection"),
])
def test_not_a_feature_collection(bad, message):
    assert message in str(error_of(bad))


def test_a_declared_projected_crs_is_refused(doc):
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}}
    assert "declares CRS 'urn:ogc:def:crs:EPSG::3006'" in str(error_of(doc))


@pytest.mark.parametrize("field, value, message", [
    ("zone_id", "Stora Torg", "is not a lowercase slug"),
    ("zone_id", 7, "is not a lowercase slug"),
    ("name", "  ", "expected non-empty text"),
    ("kind", "plaza", "'plaza' is not one of square, street, park, waterfront, transport, mixed"),
    ("lighting_class", "M3", "'M3' is not one of P1, P2, P3, P4, P5, P6"),
])
def test_bad_property_names_feature_and_field(doc, field, value, message):
    doc["features"][1]["properties"][field] = value
    error = error_of(doc)
    assert error.file == "town.geojson" and error.field == field and error.row.startswith("feature 1")
    assert message in str(error)


def test_missing_property(doc):
    del doc["features"][0]["properties"]["lighting_class"]
    assert str(error_of(doc)) == ("town.geojson, feature 0 (zone_id 'vast'), field 'lighting_class': "
                                  "required property is missing")


def test_duplicate_zone_ids(doc):
    doc["features"][1]["properties"]["zone_id"] = "vast"
    assert "zone_id 'vast' is used by features 0 and 1" in str(error_of(doc))


@pytest.mark.parametrize("geometry, message", [
    ({"type": "Point", "coordinates": [12.858, 56.674]}, "expected a Polygon or MultiPolygon geometry, got 'Point'"),
    (None, "expected a Polygon or MultiPolygon geometry, got None"),
    ({"type": "Polygon", "coordinates": []}, "geometry is empty"),
    ({"type": "Polygon", "coordinates": [[[12.858, 56.674], [12.859]]]}, "malformed coordinates"),
    ({"type": "Polygon", "coordinates": [[[12.858, 56.674], [12.859, 56.675], [12.859, 56.674],
                                          [12.858, 56.675], [12.858, 56.674]]]}, "invalid geometry: Self-intersection"),
    ({"type": "Polygon", "coordinates": [[[374000, 6283000], [374100, 6283000], [374100, 6283100],
                                          [374000, 6283000]]]}, "looks like projected metres"),
])
def test_bad_geometry(doc, geometry, message):
    doc["features"][1]["geometry"] = geometry
    error = error_of(doc)
    assert error.field == "geometry" and error.row == "feature 1 (zone_id 'ost')"
    assert message in str(error)


def test_nan_coordinates_are_refused(tmp_path, doc):
    doc["features"][0]["geometry"]["coordinates"][0][1] = [float("nan"), 56.674]
    path = tmp_path / "nan.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")  # json writes the NaN literal, which json.loads reads
    with pytest.raises(ValidationError, match="NaN or infinity"):
        read_zones(path)


def test_overlap_above_one_square_metre_is_refused(doc):
    # shift the east square 0.0001° (about 6 m) west: an overlap of about 6 m x 111 m
    doc["features"][1]["geometry"]["coordinates"] = [[[x - 0.0001, y] for x, y in EAST]]
    error = error_of(doc)
    assert "overlaps zone 'vast' (feature 0) by" in str(error) and error.row == "feature 1 (zone_id 'ost')"


def test_overlap_below_one_square_metre_is_tolerated(doc):
    # moving one corner 0.0000001° (about 6 mm) west overlaps a thin triangle of about 0.3 m²
    sliver = copy.deepcopy(EAST)
    sliver[0] = [12.858 - 0.0000001, 56.674]
    sliver[-1] = sliver[0]
    doc["features"][1]["geometry"]["coordinates"] = [sliver]
    assert len(parse_zones(doc)) == 2


def test_gap_between_zones_is_refused(doc):
    ring = [[12.857, 56.673], [12.860, 56.673], [12.860, 56.676], [12.857, 56.676], [12.857, 56.673]]
    doc["features"] = [feature("ring", ring)]
    doc["features"][0]["geometry"]["coordinates"].append(
        [[12.858, 56.674], [12.858, 56.675], [12.859, 56.675], [12.859, 56.674], [12.858, 56.674]])
    assert "there is a gap of" in str(error_of(doc))
    doc["features"].append(feature("inner", EAST))
    assert len(parse_zones(doc)) == 2, "the hole filled by another zone is no gap"

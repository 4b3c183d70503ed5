"""Checks that a document is RFC 7946 GeoJSON, for tests of every endpoint that serves GeoJSON."""

from __future__ import annotations

import shapely
from shapely.geometry import shape

GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


def assert_feature_collection(doc: dict, max_decimals: int = 6) -> None:
    """Assert ``doc`` is an RFC 7946 FeatureCollection: no crs member, lon/lat positions within
    range, closed rings with counter-clockwise exteriors, valid geometries (or null: unlocated),
    bounded precision."""
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc, "RFC 7946 removed the crs member"
    assert isinstance(doc["features"], list)
    for feature in doc["features"]:
        assert feature["type"] == "Feature"
        assert isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        if geometry is None:  # an unlocated feature (§3.2)
            continue
        assert geometry["type"] in GEOMETRY_TYPES
        geom = shape(geometry)
        assert geom.is_valid and not geom.is_empty
        coords = shapely.get_coordinates(geom)
        assert ((coords[:, 0] >= -180) & (coords[:, 0] <= 180)).all()
        assert ((coords[:, 1] >= -90) & (coords[:, 1] <= 90)).all()
        for value in coords.ravel():
            assert round(float(value), max_decimals) == float(value)
        for polygon in getattr(geom, "geoms", [geom]) if "Polygon" in geometry["type"] else []:
            assert polygon.exterior.is_ccw, "exterior rings must be counter-clockwise (RFC 7946 §3.1.6)"
            assert all(not ring.is_ccw for ring in polygon.interiors), "holes must be clockwise"

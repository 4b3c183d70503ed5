"""The service end to end through the real app: health, zones as RFC 7946 GeoJSON, the map page."""

from __future__ import annotations

import html
import json

import pytest
from fastapi.testclient import TestClient

from geo.errors import ValidationError
from geo.zones import parse_zones
from service.app import create_app
from service.store.embedded import SCHEMA_VERSION
from tests.rfc7946 import assert_feature_collection


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["schema_version"] == SCHEMA_VERSION and body["zones"] == 10
    assert body["records"] == {"incidents": 0, "lights": 0, "reports": 0, "patrols": 0, "events": 0, "cameras": 0} and body["demo_data"] is None
    assert body["store"] == "geopackage"  # never where the file is


def test_zones_are_rfc7946_geojson_in_wgs84(client, zones):
    response = client.get("/api/zones")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    doc = response.json()
    assert_feature_collection(doc)
    assert [f["properties"]["zone_id"] for f in doc["features"]] == zones["zone_id"].tolist()
    first = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert 12 < first[0] < 13 and 56 < first[1] < 57, "positions are longitude, latitude"
    assert doc["approximate"] is True and doc["licence"]
    areas = [f["properties"]["area_m2"] for f in doc["features"]]
    assert all(a > 0 for a in areas) and 0.3e6 < sum(areas) < 3e6


def test_served_zones_validate_as_a_zones_file(client):
    assert len(parse_zones(client.get("/api/zones").json())) == 10


def test_map_page_shows_every_zone_name_with_tooltips_and_layer_control(client, zones):
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    for name in zones["name"]:
        assert html.escape(name) in page
    assert "L.control.layers" in page and "bindTooltip" in page
    for layer in ("Zoner", "Gator och stråk (ungefärliga)"):  # layer names sit in JSON, ASCII-escaped
        assert json.dumps(layer) in page


def test_unknown_path_is_a_json_404(client):
    response = client.get("/api/nothing")
    assert response.status_code == 404 and "detail" in response.json()


def hostile_zones(tmp_path):
    path = tmp_path / "town.geojson"
    ring = [[12.857, 56.674], [12.858, 56.674], [12.858, 56.675], [12.857, 56.675], [12.857, 56.674]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"zone_id": "torget", "name": "<img src=x onerror=alert(1)>`${x}`",
                       "kind": "square", "lighting_class": "P2"}}]}), encoding="utf-8")
    return path


def test_a_user_supplied_zones_file_is_served_and_its_text_escaped(tmp_path, make_settings):
    settings = make_settings(zones=hostile_zones(tmp_path))
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/zones").json()["features"][0]["properties"]["zone_id"] == "torget"
        page = client.get("/").text
        assert "<img src=x" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_bad_zones_file_stops_the_app_with_a_clear_error(tmp_path, make_settings):
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
                    '"geometry": null}]}', encoding="utf-8")
    with pytest.raises(ValidationError, match="bad.geojson, feature 0, field 'zone_id': required property"):
        create_app(make_settings(zones=path))


def test_map_pages_are_cached_until_the_data_changes(client, tmp_path):
    import pandas as pd

    from geo.layers import LIGHTS, validate

    first = client.get("/maps/lighting")
    assert first.status_code == 200 and client.get("/maps/lighting").text == first.text
    client.app.state.context.store.write_features(LIGHTS, validate(LIGHTS, pd.DataFrame(
        {"id": ["new"], "lumen": [5000], "height_m": [6], "status": ["working"], "lon": [12.8572], "lat": [56.674]}), "t"))
    assert client.get("/maps/lighting").text != first.text, "a write builds the page anew"


def test_geojson_answers_are_compact_utf8_as_the_standard_librarys():
    import json

    from service.routes.zones import GeoJSONResponse

    page = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "description": "Klotter på väggen \u201cÅÄÖ\u201d", "n": 3, "share": 0.1, "photo": None, "open": True},
        "geometry": {"type": "Point", "coordinates": [12.857123, 56.674321]}}]}
    body = GeoJSONResponse(page).body
    assert body == json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert GeoJSONResponse(page).media_type == "application/geo+json"

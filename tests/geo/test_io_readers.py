"""Readers of CSV, GeoJSON, GeoPackage, police events JSON and GPX, and the layer writer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from geo.crs import HALMSTAD_LONLAT, SWEREF99TM, WGS84
from geo.errors import ValidationError
from geo.io.csvfile import read_csv_records
from geo.io.export import export_format, write_layer
from geo.io.gpx import read_gpx_records
from geo.io.points import read_geojson_records, read_geopackage_records
from geo.io.police import PoliceArea, read_police_events
from geo.layers import INCIDENTS, LIGHTS, PINGS, REPORTS, validate
from tests.rfc7946 import assert_feature_collection

LON, LAT = HALMSTAD_LONLAT
INCIDENTS_HEADER = "id,occurred_at,category,lat,lon\n"
GOOD_ROW = f"a,2024-01-15T22:10:00Z,stöld,{LAT},{LON}\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def read_and_validate(schema, records, path):
    return validate(schema, records.raw, str(path))


def invalid(function, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        function(*args, **kwargs)
    return info.value


# -- CSV -----------------------------------------------------------------------------------


def test_csv_rows_are_labelled_as_a_spreadsheet_shows_them(tmp_path):
    path = write(tmp_path / "inc.csv", INCIDENTS_HEADER + GOOD_ROW + f"b,2024-01-15T22:10:00Z,stöld,{LAT},{LON}\n")
    records = read_csv_records(path)
    assert records.raw["_row"].tolist() == ["row 2", "row 3"]
    assert records.raw["lon"].tolist() == [LON, LON] and records.raw["lat"].tolist() == [LAT, LAT]
    frame = read_and_validate(INCIDENTS, records, path)
    assert frame["id"].tolist() == ["a", "b"]


def test_csv_error_names_the_file_the_spreadsheet_row_and_the_field(tmp_path):
    path = write(tmp_path / "inc.csv", INCIDENTS_HEADER + GOOD_ROW + f"b,2024-01-15T22:10:00Z,stöld,{LON},{LAT}\n")
    error = invalid(validate, INCIDENTS, read_csv_records(path).raw, str(path))
    assert str(error).startswith(f"{path}, row 3, field 'lat/lon': latitude and longitude look swapped")


def test_csv_extra_columns_and_a_byte_order_mark_are_fine(tmp_path):
    path = tmp_path / "inc.csv"
    path.write_bytes(("\ufeffid,occurred_at,category,lat,lon,comment\n" + GOOD_ROW.rstrip() + ",hej\n").encode())
    frame = read_and_validate(INCIDENTS, read_csv_records(path), path)
    assert frame["id"].tolist() == ["a"] and "comment" not in frame.columns


def test_csv_coordinates_accept_a_swedish_decimal_comma(tmp_path):
    path = write(tmp_path / "inc.csv", INCIDENTS_HEADER + 'a,2024-01-15T22:10:00Z,stöld,"56,6744","12,8578"\n')
    records = read_csv_records(path)
    assert records.raw["lat"].iloc[0] == 56.6744 and records.raw["lon"].iloc[0] == 12.8578


def test_csv_without_lat_column(tmp_path):
    path = write(tmp_path / "inc.csv", "id,occurred_at,category,lon\na,2024-01-15T22:10:00Z,stöld,12.85\n")
    error = invalid(read_csv_records, path)
    assert (error.file, error.field) == (str(path), "lat") and "no 'lat' column" in error.message


def test_csv_with_x_y_columns_needs_a_crs(tmp_path):
    path = write(tmp_path / "inc.csv", "id,occurred_at,category,x,y\na,2024-01-15T22:10:00Z,stöld,370000,6280000\n")
    error = invalid(read_csv_records, path)
    assert "--crs" in error.message and error.field == "lon"


def test_csv_x_y_in_sweref99_are_converted_to_wgs84(tmp_path):
    x, y = Transformer.from_crs(WGS84, SWEREF99TM, always_xy=True).transform(LON, LAT)
    path = write(tmp_path / "inc.csv", f"id,occurred_at,category,x,y\na,2024-01-15T22:10:00Z,stöld,{x:.3f},{y:.3f}\n")
    frame = read_and_validate(INCIDENTS, read_csv_records(path, crs="EPSG:3006"), path)
    assert frame.geometry.x.iloc[0] == pytest.approx(LON, abs=1e-6)
    assert frame.geometry.y.iloc[0] == pytest.approx(LAT, abs=1e-6)


def test_csv_crs_wgs84_reads_lat_lon(tmp_path):
    path = write(tmp_path / "inc.csv", INCIDENTS_HEADER + GOOD_ROW)
    assert read_csv_records(path, crs="EPSG:4326").raw["lat"].iloc[0] == LAT


def test_csv_sweref99_without_crs_is_recognised(tmp_path):
    path = write(tmp_path / "inc.csv", INCIDENTS_HEADER + "a,2024-01-15T22:10:00Z,stöld,6280000,370000\n")
    error = invalid(validate, INCIDENTS, read_csv_records(path).raw, str(path))
    assert (error.row, error.field) == ("row 2", "lat/lon") and "SWEREF 99" in error.message


def test_csv_empty_position(tmp_path):
    path = write(tmp_path / "inc.csv", INCIDENTS_HEADER + GOOD_ROW + "b,2024-01-15T22:10:00Z,stöld,,\n")
    error = invalid(validate, INCIDENTS, read_csv_records(path).raw, str(path))
    assert (error.row, error.field) == ("row 3", "lat/lon") and "missing or NaN" in error.message


def test_csv_position_that_is_not_a_number(tmp_path):
    path = write(tmp_path / "inc.csv", INCIDENTS_HEADER + "a,2024-01-15T22:10:00Z,stöld,NaN,12.86\n")
    error = invalid(read_csv_records, path)
    assert (error.file, error.row, error.field) == (str(path), "row 2", "lat") and "not a number" in error.message


def test_csv_unknown_crs(tmp_path):
    path = write(tmp_path / "inc.csv", "id,occurred_at,category,x,y\na,2024-01-15T22:10:00Z,stöld,1,2\n")
    error = invalid(read_csv_records, path, crs="EPSG:999999")
    assert error.file == str(path) and "unknown CRS 'EPSG:999999'" in error.message


def test_csv_missing_file_and_empty_file(tmp_path):
    assert invalid(read_csv_records, tmp_path / "nope.csv").message == "file not found"
    assert "not a readable CSV" in invalid(read_csv_records, write(tmp_path / "empty.csv", "")).message


def test_csv_patrol_pings(tmp_path):
    path = write(tmp_path / "p.csv", "unit_id,timestamp,lat,lon,mode,crew\n"
                 f"P1,2024-01-15 23:10:00,{LAT},{LON},foot,2\nP1,2024-01-15 23:10:05,{LAT},{LON},foot,\n")
    frame = read_and_validate(PINGS, read_csv_records(path), path)
    assert frame["timestamp"].tolist() == [pd.Timestamp("2024-01-15T22:10:00Z"), pd.Timestamp("2024-01-15T22:10:05Z")]
    assert frame["crew"].tolist() == [2, 1]


# -- GeoJSON -------------------------------------------------------------------------------


def feature(geometry, **properties):
    props = {"id": "a", "occurred_at": "2024-01-15T22:10:00Z", "category": "stöld", **properties}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def point(lon=LON, lat=LAT):
    return {"type": "Point", "coordinates": [lon, lat]}


def geojson(path: Path, *features, **members) -> Path:
    return write(path, json.dumps({"type": "FeatureCollection", **members, "features": list(features)}))


def test_geojson_points_and_properties(tmp_path):
    path = geojson(tmp_path / "inc.geojson", feature(point(), extra="ignored"),
                   feature(point(12.86, 56.67), id="b", location_precision="street"))
    records = read_geojson_records(path)
    assert records.raw["_row"].tolist() == ["feature 0", "feature 1"]
    frame = read_and_validate(INCIDENTS, records, path)
    assert frame["location_precision"].tolist() == ["exact", "street"]
    assert "extra" not in frame.columns


def test_geojson_non_point_geometry(tmp_path):
    line = {"type": "LineString", "coordinates": [[LON, LAT], [LON + 0.01, LAT]]}
    path = geojson(tmp_path / "inc.geojson", feature(point()), feature(line, id="b"))
    error = invalid(read_geojson_records, path)
    assert (error.file, error.row, error.field) == (str(path), "feature 1", "geometry")
    assert "expected a Point geometry, got 'LineString'" in error.message


def test_geojson_null_geometry(tmp_path):
    error = invalid(read_geojson_records, geojson(tmp_path / "inc.geojson", feature(None)))
    assert (error.row, error.field) == ("feature 0", "geometry")


def test_geojson_empty_point(tmp_path):
    error = invalid(read_geojson_records, geojson(tmp_path / "inc.geojson", feature({"type": "Point", "coordinates": []})))
    assert (error.row, error.field) == ("feature 0", "geometry") and "malformed" in error.message


def test_geojson_nan_coordinates(tmp_path):
    path = geojson(tmp_path / "inc.geojson", feature(point()), feature(point(float("nan"), float("nan")), id="b"))
    error = invalid(validate, INCIDENTS, read_geojson_records(path).raw, str(path))
    assert (error.file, error.row, error.field) == (str(path), "feature 1", "lat/lon")
    assert "missing or NaN" in error.message


def test_geojson_swapped_coordinates(tmp_path):
    path = geojson(tmp_path / "inc.geojson", feature(point(LAT, LON)))
    error = invalid(validate, INCIDENTS, read_geojson_records(path).raw, str(path))
    assert (error.row, error.field) == ("feature 0", "lat/lon") and "swapped" in error.message


def test_geojson_declaring_another_crs_is_refused(tmp_path):
    path = geojson(tmp_path / "inc.geojson", feature(point(370000, 6280000)),
                   crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}})
    error = invalid(read_geojson_records, path)
    assert error.file == str(path) and "WGS84" in error.message


def test_geojson_not_a_feature_collection(tmp_path):
    assert "FeatureCollection" in invalid(read_geojson_records, write(tmp_path / "x.geojson", "[]")).message
    assert "not valid JSON" in invalid(read_geojson_records, write(tmp_path / "y.geojson", "{")).message


# -- GeoPackage ----------------------------------------------------------------------------


def lights_frame(crs=WGS84) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame({"id": ["L1", "L2"], "lumen": [1500.0, 2000.0], "height_m": [6.0, 8.0],
                              "status": ["working", "broken"]},
                             geometry=gpd.points_from_xy([LON, 12.86], [LAT, 56.675]), crs=WGS84)
    return frame.to_crs(crs)


def test_geopackage_in_sweref99_is_reprojected(tmp_path):
    path = tmp_path / "lights.gpkg"
    pyogrio.write_dataframe(lights_frame(SWEREF99TM), path, layer="lights")
    frame = read_and_validate(LIGHTS, read_geopackage_records(path, "lights"), path)
    assert frame.geometry.x.tolist() == pytest.approx([LON, 12.86], abs=1e-7)
    assert frame.geometry.y.tolist() == pytest.approx([LAT, 56.675], abs=1e-7)


def test_geopackage_only_layer_is_read_whatever_its_name(tmp_path):
    path = tmp_path / "belysning.gpkg"
    pyogrio.write_dataframe(lights_frame(), path, layer="belysning")
    assert len(read_geopackage_records(path, "lights").raw) == 2


def test_geopackage_without_the_layer(tmp_path):
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(lights_frame(), path, layer="a")
    pyogrio.write_dataframe(lights_frame(), path, layer="b")
    assert "has no layer 'lights' (layers: a, b)" in invalid(read_geopackage_records, path, "lights").message


def test_geopackage_non_point_geometry(tmp_path):
    frame = lights_frame()
    frame.loc[1, "geometry"] = shapely.LineString([(LON, LAT), (12.86, 56.675)])
    path = tmp_path / "lights.gpkg"
    pyogrio.write_dataframe(frame, path, layer="lights", geometry_type="Unknown")
    error = invalid(read_geopackage_records, path, "lights")
    assert error.file == str(path) and error.field == "geometry" and error.row.startswith("feature")


# -- police events -------------------------------------------------------------------------


HALMSTAD = PoliceArea("Halmstad", "Hallands län")
COUNTY_GPS = "56.896681,12.803399"


def police_event(event_id, kind, gps="56.674377,12.857782", when="2026-08-22 19:51:41 +02:00", place="Halmstad",
                 area="Halmstad", summary="..."):
    return {"id": event_id, "datetime": when, "name": f"22 augusti, {kind}, {place}", "summary": summary,
            "url": "/aktuellt/", "type": kind, "location": {"name": area, "gps": gps}}


def test_police_events_are_town_level_incidents(tmp_path):
    path = write(tmp_path / "events.json", json.dumps([
        police_event(1, "Misshandel"), police_event(2, "Sammanfattning natt"), police_event(3, "Trafikolycka"),
        police_event(4, "Stöld/inbrott", when="2026-08-22 9:13:04 +02:00")]))
    records = read_police_events(path, HALMSTAD)
    assert sum(records.skipped.values()) == 1
    assert len(records.warnings) == 1 and "3 incidents have town-level and 0 county-level positions" in records.warnings[0]
    frame = read_and_validate(INCIDENTS, records, path)
    assert frame["id"].tolist() == ["polisen-1", "polisen-3", "polisen-4"]
    assert frame["category"].tolist() == ["misshandel", "övrigt", "stöld"]
    assert set(frame["location_precision"]) == {"town"} and set(frame["source"]) == {"polisen.se"}
    assert frame["occurred_at"].tolist() == [pd.Timestamp("2026-08-22T17:51:41Z"), pd.Timestamp("2026-08-22T17:51:41Z"),
                                             pd.Timestamp("2026-08-22T07:13:04Z")]
    assert frame.geometry.y.iloc[0] == 56.674377 and frame.geometry.x.iloc[0] == 12.857782


def test_police_event_with_a_bad_gps(tmp_path):
    path = write(tmp_path / "events.json", json.dumps([police_event(1, "Rån"), police_event(2, "Rån", gps="")]))
    error = invalid(read_police_events, path, HALMSTAD)
    assert (error.file, error.row, error.field) == (str(path), "event 1 (id 2)", "location.gps")


def test_only_the_towns_events_are_kept_and_a_repeated_event_once(tmp_path):
    path = write(tmp_path / "events.json", json.dumps([
        police_event(1, "Misshandel"),  # the town's own centroid
        police_event(2, "Rån", gps=COUNTY_GPS, area="Hallands län"),  # the town's, placed at the county
        police_event(3, "Övrigt", gps=COUNTY_GPS, area="Hallands län", place="Hallands län"),  # county-wide
        police_event(4, "Trafikolycka", gps=COUNTY_GPS, area="Hallands län", place="Kungsbacka"),
        police_event(5, "Brand", gps="55.99,13.59", area="Skåne län", place="Kävlinge"),
        police_event(6, "Stöld", gps="55.70,13.19", area="Lund", place="Lund"),
        police_event(1, "Misshandel"),  # the feed publishes it again: once
        police_event(7, "Stöld", summary="first report"),
        police_event(7, "Stöld", summary="updated: two suspects"),  # an update: the last version
    ]))
    records = read_police_events(path, HALMSTAD)
    frame = read_and_validate(INCIDENTS, records, path)
    assert frame["id"].tolist() == ["polisen-1", "polisen-2", "polisen-3", "polisen-7"]
    assert frame["location_precision"].tolist() == ["town", "county", "county", "town"]
    assert records.skipped == {"not in Halmstad (another municipality or county)": 3,
                               "repeated in the file (imported once)": 1}
    assert any("1 events come again with other content" in w for w in records.warnings)
    assert "2 incidents have town-level and 2 county-level positions" in records.warnings[0]


def test_police_events_sample(shared_data):
    """The national feed (500 events from all of Sweden, every one placed at its county): only
    Halland's events that are Halmstad's or the county's own are kept, at county precision."""
    path = shared_data / "polisen_events_sample.json"
    events = json.loads(path.read_text(encoding="utf-8"))
    assert len(events) == 500
    incidents = [e for e in events if not e["type"].startswith(("Sammanfattning", "Uppdatering", "Information"))]
    halmstad = [e for e in incidents if e["location"]["name"] == "Hallands län"
                and re.search(r", (Halmstad|Hallands län)$", e["name"])]
    records = read_police_events(path, HALMSTAD)
    assert sum(records.skipped.values()) == 500 - len(halmstad)
    frame = read_and_validate(INCIDENTS, records, path)
    assert sorted(frame["id"]) == sorted(f"polisen-{e['id']}" for e in halmstad)
    assert set(frame["location_precision"]) <= {"county"}
    assert not any("Kävlinge" in e["name"] or "Töreboda" in e["name"] for e in halmstad)


# -- GPX -----------------------------------------------------------------------------------


def gpx_text(*points: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> str:
    return (prolog + '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
            "<trk><trkseg>" + "".join(points) + "</trkseg></trk></gpx>")


def trkpt(lat: float, lon: float, time: str | None) -> str:
    return f'<trkpt lat="{lat}" lon="{lon}">' + (f"<time>{time}</time>" if time else "") + "</trkpt>"


def test_gpx_track_points_become_pings_of_one_unit(tmp_path):
    path = write(tmp_path / "bil-7.gpx", gpx_text(trkpt(LAT, LON, "2024-01-15T22:10:00Z"),
                                                  trkpt(LAT, LON + 0.0001, "2024-01-15T22:10:01Z")))
    records = read_gpx_records(path, None, "bike", crew=2)
    assert records.raw["_row"].tolist() == ["track 0 segment 0 point 0", "track 0 segment 0 point 1"]
    frame = read_and_validate(PINGS, records, path)
    assert set(frame["unit_id"]) == {"bil-7"} and set(frame["mode"]) == {"bike"} and set(frame["crew"]) == {2}
    assert frame["timestamp"].iloc[1] == pd.Timestamp("2024-01-15T22:10:01Z")
    assert set(frame["source"]) == {"gpx:bil-7.gpx"}


def test_gpx_unit_id_and_default_crew(tmp_path):
    path = write(tmp_path / "track.gpx", gpx_text(trkpt(LAT, LON, "2024-01-15T22:10:00Z")))
    frame = read_and_validate(PINGS, read_gpx_records(path, "P9", "foot"), path)
    assert frame["unit_id"].tolist() == ["P9"] and frame["crew"].tolist() == [1]


def test_gpx_needs_a_mode(tmp_path):
    path = write(tmp_path / "track.gpx", gpx_text(trkpt(LAT, LON, "2024-01-15T22:10:00Z")))
    error = invalid(read_gpx_records, path, None, None)
    assert (error.file, error.field) == (str(path), "mode") and "--mode" in error.message


def test_gpx_with_a_dtd_or_entities_is_refused(tmp_path):
    prolog = '<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY lol "lol">]>\n'
    path = write(tmp_path / "evil.gpx", gpx_text(trkpt(LAT, LON, "2024-01-15T22:10:00Z"), prolog=prolog))
    error = invalid(read_gpx_records, path, None, "foot")
    assert error.file == str(path) and "DTD" in error.message


def test_gpx_point_without_time(tmp_path):
    path = write(tmp_path / "track.gpx", gpx_text(trkpt(LAT, LON, "2024-01-15T22:10:00Z"), trkpt(LAT, LON, None)))
    error = invalid(validate, PINGS, read_gpx_records(path, None, "foot").raw, str(path))
    assert (error.file, error.row, error.field) == (str(path), "track 0 segment 0 point 1", "timestamp")


def test_gpx_without_points_and_not_gpx(tmp_path):
    assert "no track points" in invalid(read_gpx_records, write(tmp_path / "e.gpx", gpx_text()), None, "foot").message
    assert "not a readable GPX" in invalid(read_gpx_records, write(tmp_path / "x.gpx", "hello"), None, "foot").message


def test_gpx_car_drive_in_croatia_is_accepted(shared_data):
    path = shared_data / "gpx_car_drive.gpx"
    frame = read_and_validate(PINGS, read_gpx_records(path, None, "car"), path)
    assert len(frame) == 104 and set(frame["mode"]) == {"car"}
    assert frame["lat"].between(45, 46).all() and frame["lon"].between(13, 14).all()
    assert frame["timestamp"].is_monotonic_increasing


def test_gpx_empty_segment(shared_data):
    path = shared_data / "gpx_empty_segment.gpx"
    frame = read_and_validate(PINGS, read_gpx_records(path, "P1", "foot"), path)
    assert len(frame) == 9


def test_gpx_all_fields(shared_data):
    path = shared_data / "gpx_all_fields.gpx"
    frame = read_and_validate(PINGS, read_gpx_records(path, "P1", "foot"), path)
    assert len(frame) == 1
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2013-01-01T12:00:04Z")  # GPX times without a zone are UTC
    assert (frame["lon"].iloc[0], frame["lat"].iloc[0]) == (-20.2, 10.1)


# -- writing layers ------------------------------------------------------------------------


def reports_frame():
    raw = pd.DataFrame({"id": ["R1", "R2"], "category": ["graffiti", "unsafe_place"], "description": ["tag", None],
                        "created_at": ["2024-03-01T10:00:00Z", "2024-03-02T21:00:00.5Z"],
                        "contact": ["anna@example.se", None], "when": [None, "night"],
                        "lon": [12.85712345678, LON], "lat": [56.67412345678, LAT]})
    return validate(REPORTS, raw, "reports.csv")


def test_export_format_from_the_extension(tmp_path):
    assert export_format(tmp_path / "a.geojson") == "GeoJSON" and export_format(tmp_path / "a.GPKG") == "GPKG"
    assert export_format(tmp_path / "a.csv") == "CSV"
    assert "unknown file type '.shp'" in invalid(export_format, tmp_path / "a.shp").message


def test_geojson_export_is_rfc7946(tmp_path):
    path = tmp_path / "reports.geojson"
    assert write_layer(reports_frame(), REPORTS, path) == 2
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert_feature_collection(doc, max_decimals=7)
    props = doc["features"][0]["properties"]
    assert set(props) == set(REPORTS.public_fields)
    assert props["created_at"] == "2024-03-01T10:00:00.000Z"
    assert doc["features"][1]["properties"]["created_at"] == "2024-03-02T21:00:00.500Z"
    assert doc["features"][0]["geometry"]["coordinates"] == [12.8571235, 56.6741235]


def test_pings_export_as_points(tmp_path):
    raw = pd.DataFrame({"unit_id": ["P1"], "timestamp": ["2024-01-15T22:10:00Z"], "mode": ["foot"],
                        "lon": [LON], "lat": [LAT]})
    path = tmp_path / "patrols.geojson"
    write_layer(validate(PINGS, raw, "p.csv"), PINGS, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert_feature_collection(doc, max_decimals=7)
    assert doc["features"][0]["properties"]["crew"] == 1
    assert doc["features"][0]["geometry"]["coordinates"] == [LON, LAT]


@pytest.mark.parametrize("suffix", [".geojson", ".csv", ".gpkg"])
def test_contact_is_left_out_of_exports(tmp_path, suffix):
    path = tmp_path / f"reports{suffix}"
    write_layer(reports_frame(), REPORTS, path)
    assert b"anna@example.se" not in path.read_bytes()
    assert "contact" not in pyogrio.read_info(path)["fields"]


@pytest.mark.parametrize("suffix", [".geojson", ".csv", ".gpkg"])
def test_contact_is_exported_when_asked_for(tmp_path, suffix):
    path = tmp_path / f"reports{suffix}"
    write_layer(reports_frame(), REPORTS, path, include_private=True)
    assert b"anna@example.se" in path.read_bytes()


def test_an_existing_file_is_never_overwritten(tmp_path):
    path = write(tmp_path / "reports.csv", "precious\n")
    error = invalid(write_layer, reports_frame(), REPORTS, path)
    assert error.file == str(path) and "exists already" in error.message
    assert path.read_text(encoding="utf-8") == "precious\n"

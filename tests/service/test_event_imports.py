"""Importing and exporting events: CSV (an area as WKT), GeoJSON and GeoPackage (Point or Polygon
features), iCalendar (time zones, floating times, all-day events; no GEO, a repeating event refused
naming the event; cancelled ones skipped); every export read back changes nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from geo.errors import ValidationError
from geo.io.export import write_layer
from geo.io.ics import read_ics_records
from geo.layers import AREA, EVENTS
from geo.timestamps import LOCAL_TZ
from service.cli import app
from service.imports import import_file
from service.store import SQLiteStore

SQUARE = [[12.8560, 56.6735], [12.8600, 56.6735], [12.8600, 56.6742], [12.8560, 56.6742], [12.8560, 56.6735]]
CALENDAR = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Halmstad//Evenemang//SV\r
X-WR-CALNAME:Halmstads evenemangskalender\r
BEGIN:VEVENT\r
UID:konsert-1@halmstad.se\r
SUMMARY:Konsert på Stora Torg\r
DTSTART;TZID=Europe/Stockholm:20200808T200000\r
DTEND;TZID=Europe/Stockholm:20200808T230000\r
GEO:56.6738;12.8569\r
LOCATION:Stora Torg\r
ORGANIZER;CN=Halmstads kommun:mailto:evenemang@halmstad.se\r
CATEGORIES:Konsert\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:marknad-1@halmstad.se\r
SUMMARY:Marknad\r
DTSTART;VALUE=DATE:20201212\r
DTEND;VALUE=DATE:20201214\r
GEO:56.6744;12.8578\r
CATEGORIES:market\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:natt-1@halmstad.se\r
SUMMARY:Nattöppet\r
DTSTART:20200321T220000\r
DURATION:PT4H\r
GEO:56.6745;12.8580\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:inställt@halmstad.se\r
SUMMARY:Inställt\r
STATUS:CANCELLED\r
DTSTART:20200321T220000Z\r
DTEND:20200321T230000Z\r
GEO:56.6745;12.8580\r
END:VEVENT\r
END:VCALENDAR\r
"""


@pytest.fixture
def store(tmp_path):
    return SQLiteStore(tmp_path / "db.gpkg")


def test_a_calendar_is_read_with_its_time_zones_all_day_events_and_names(store, tmp_path):
    path = tmp_path / "evenemang.ics"
    path.write_text(CALENDAR, encoding="utf-8")
    summary = import_file(store, EVENTS, path)
    assert (summary.read, summary.imported, sum(summary.skipped.values())) == (4, 3, 1)
    events = store.read_features(EVENTS).set_index("id")
    concert = events.loc["konsert-1@halmstad.se"]
    assert concert["starts_at"] == pd.Timestamp("2020-08-08T18:00Z") and concert["ends_at"] == pd.Timestamp("2020-08-08T21:00Z")
    assert (concert["kind"], concert["organiser"], concert["source"]) == ("concert", "Halmstads kommun",
                                                                          "Halmstads evenemangskalender")
    assert (concert.geometry.x, concert.geometry.y) == (12.8569, 56.6738)
    market = events.loc["marknad-1@halmstad.se"]  # all day, two days: local midnight to midnight
    assert market["starts_at"] == pd.Timestamp("2020-12-11T23:00Z") and market["ends_at"] == pd.Timestamp("2020-12-13T23:00Z")
    assert market["kind"] == "market" and pd.isna(market["organiser"])
    night = events.loc["natt-1@halmstad.se"]  # floating: Stockholm time
    assert night["starts_at"] == pd.Timestamp("2020-03-21T21:00Z") and night["ends_at"] == pd.Timestamp("2020-03-22T01:00Z")
    assert import_file(store, EVENTS, path).unchanged == 3


@pytest.mark.parametrize(("change", "field", "words"), [
    ("GEO:56.6738;12.8569\r\n", "GEO", "'Konsert på Stora Torg' has no position (GEO:lat;lon); its LOCATION 'Stora Torg'"),
    ("CATEGORIES:Konsert\r\n", "RRULE", "'Konsert på Stora Torg' repeats"),
    ("UID:konsert-1@halmstad.se\r\n", "UID", "'Konsert på Stora Torg' has no UID"),
])
def test_an_event_the_calendar_cannot_place_or_repeats_is_refused_naming_it(store, tmp_path, change, field, words):
    text = CALENDAR.replace(change, "RRULE:FREQ=WEEKLY;COUNT=3\r\n" if field == "RRULE" else "")
    path = tmp_path / "evenemang.ics"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as refused:
        import_file(store, EVENTS, path)
    assert (refused.value.row, refused.value.field) == ("event 1", field) and words in str(refused.value)
    assert store.count(EVENTS) == 0


@pytest.mark.parametrize(("line", "bad", "field"), [
    ("GEO:56.6738;12.8569", "GEO:abc", "GEO"),
    ("DTSTART;TZID=Europe/Stockholm:20200808T200000", "DTSTART:notadate", "DTSTART"),
    ("DTEND;TZID=Europe/Stockholm:20200808T230000", "DTEND:20200808T2300", "DTEND"),
    ("DTEND;TZID=Europe/Stockholm:20200808T230000", "DURATION:bogus", "DURATION"),
    ("DTEND;TZID=Europe/Stockholm:20200808T230000", "DURATION;VALUE=DATE:20200809", "DURATION"),
])
def test_a_malformed_value_in_a_calendar_is_refused_naming_event_and_property(store, tmp_path, line, bad, field):
    path = tmp_path / "evenemang.ics"
    path.write_text(CALENDAR.replace(line, bad), encoding="utf-8")
    with pytest.raises(ValidationError) as refused:
        import_file(store, EVENTS, path)
    assert (refused.value.file, refused.value.row, refused.value.field) == (str(path), "event 1", field)
    assert f"'Konsert på Stora Torg' has a malformed {field}: '{bad.split(':', 1)[1]}'" in str(refused.value)
    command = ["import", "events", str(path), "--db", str(tmp_path / "db.gpkg")]
    result = CliRunner().invoke(app, command, env={"COLUMNS": "250", "LANGUAGE": "", "LC_ALL": "", "LANG": "C.UTF-8"})
    assert result.exit_code == 2, result.exception  # an error exit, not a traceback
    assert "event 1" in result.output and f"malformed {field}" in result.output
    assert "nothing was imported" in result.output and store.count(EVENTS) == 0


def test_a_property_given_twice_is_refused_naming_it(store, tmp_path):
    path = tmp_path / "evenemang.ics"
    twice = CALENDAR.replace("GEO:56.6738;12.8569", "GEO:56.6738;12.8569\r\nGEO:56.6744;12.8578")
    path.write_text(twice, encoding="utf-8")
    with pytest.raises(ValidationError) as refused:
        import_file(store, EVENTS, path)
    assert (refused.value.row, refused.value.field) == ("event 1", "GEO") and "more than one GEO" in str(refused.value)


@settings(max_examples=80, deadline=None)
@example(day=date(2020, 3, 29), days=0, seconds=3 * 3600)  # summer time begins at 02:00 that night
@example(day=date(2020, 10, 24), days=1, seconds=2 * 3600)  # the day part crosses the end of summer time
@given(day=st.dates(date(2019, 1, 1), date(2021, 12, 31)), days=st.integers(0, 3),
       seconds=st.integers(1, 24 * 3600 - 1))
def test_an_all_day_start_with_hours_of_duration_lasts_from_local_midnight(tmp_path_factory, day, days, seconds):
    duration = timedelta(days=days, seconds=seconds)
    hours, rest = divmod(seconds, 3600)
    text = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:dag", "SUMMARY:Dag",
                         f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DURATION:P{days}DT{hours}H{rest // 60}M{rest % 60}S",
                         "GEO:56.6738;12.8569", "END:VEVENT", "END:VCALENDAR", ""])
    path = tmp_path_factory.mktemp("ics") / "dag.ics"
    path.write_text(text, encoding="utf-8")
    [record] = read_ics_records(path).raw.to_dict("records")
    starts, ends = pd.Timestamp(record["starts_at"]), pd.Timestamp(record["ends_at"])
    assert starts == pd.Timestamp(day, tz=LOCAL_TZ)  # the day's local midnight
    assert ends == pd.Timestamp(day + timedelta(days=days), tz=LOCAL_TZ) + timedelta(seconds=seconds), duration
    assert ends > starts


def test_not_a_calendar_is_refused(store, tmp_path):
    path = tmp_path / "trasig.ics"
    for text, why in (("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", "holds no events"),
                      ("hej\r\n", "not an iCalendar file")):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ValidationError, match=why):
            import_file(store, EVENTS, path)


def test_geojson_points_and_polygons_and_every_export_read_back_unchanged(store, tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
         "properties": {"id": "fest", "name": "Sommarfest", "starts_at": "2020-07-16T12:00", "ends_at": "2020-07-19T23:00",
                        "kind": "festival", "expected_visitors": 20000, "organiser": "Kommunen"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [12.858, 56.6745]},
         "properties": {"id": "natt", "name": "Lördagsnatt", "starts_at": "2020-07-18T22:00",
                        "ends_at": "2020-07-19T02:00", "kind": "nightlife"}}]}
    path = tmp_path / "evenemang.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert import_file(store, EVENTS, path).imported == 2
    stored = store.read_features(EVENTS).set_index("id")
    area = stored.loc["fest", AREA]
    assert shapely.equals(area, shapely.Polygon(SQUARE)) and area.contains(stored.loc["fest"].geometry)
    assert stored.loc["natt", AREA] is None
    for suffix in ("geojson", "gpkg", "csv"):
        out = tmp_path / f"export.{suffix}"
        assert write_layer(store.read_features(EVENTS), EVENTS, out) == 2
        summary = import_file(store, EVENTS, out)
        assert (summary.imported, summary.updated, summary.unchanged) == (0, 0, 2), suffix
    assert set(pyogrio.read_dataframe(tmp_path / "export.gpkg").geometry.geom_type) == {"Polygon", "Point"}


def test_a_bad_area_in_a_csv_is_refused_naming_row_and_field(store, tmp_path):
    path = tmp_path / "evenemang.csv"
    path.write_text("id,name,starts_at,ends_at,lon,lat,area\n"
                    "a,Torg,2020-05-01T18:00,2020-05-01T20:00,12.8569,56.6738,\n"
                    "b,Gata,2020-05-01T18:00,2020-05-01T20:00,12.8569,56.6738,\"LINESTRING (12.85 56.67, 12.86 56.67)\"\n",
                    encoding="utf-8")
    with pytest.raises(ValidationError) as refused:
        import_file(store, EVENTS, path)
    assert (refused.value.row, refused.value.field) == ("row 3", "area")


@pytest.mark.parametrize("geometry", [{"type": "Polygon"}, {"type": "Polygon", "coordinates": {}},
                                      {"type": "Polygon", "coordinates": [[[12.856, 56.6735], [12.86]]]}])
def test_a_malformed_area_in_geojson_is_refused_naming_file_feature_and_field(store, tmp_path, geometry):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [12.858, 56.6745]},
         "properties": {"id": "natt", "name": "Natt", "starts_at": "2020-07-18T22:00", "ends_at": "2020-07-19T02:00"}},
        {"type": "Feature", "geometry": geometry,
         "properties": {"id": "fest", "name": "Fest", "starts_at": "2020-07-16T12:00", "ends_at": "2020-07-16T23:00"}}]}
    path = tmp_path / "evenemang.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValidationError) as refused:
        import_file(store, EVENTS, path)
    assert (refused.value.file, refused.value.row, refused.value.field) == (str(path), "feature 1", "geometry")
    assert f"malformed {geometry['type']} coordinates" in str(refused.value)
    command = ["import", "events", str(path), "--db", str(tmp_path / "db.gpkg")]
    result = CliRunner().invoke(app, command, env={"COLUMNS": "250", "LANGUAGE": "", "LC_ALL": "", "LANG": "C.UTF-8"})
    assert result.exit_code == 2, result.exception  # an error exit, not a traceback
    assert "feature 1" in result.output and "nothing was imported" in result.output and "Traceback" not in result.output
    assert store.count(EVENTS) == 0

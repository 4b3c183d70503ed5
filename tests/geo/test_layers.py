"""The layer contracts: field names, typed frames, and validation naming file, row and field."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.crs import HALMSTAD_LONLAT, SWEDEN_LONLAT_BOUNDS, WGS84, coordinate_problems
from geo.errors import ValidationError
from geo.layers import CAMERAS, EVENTS, INCIDENTS, LAYERS, LIGHTS, PINGS, REPORTS, empty_layer, validate
from geo.timestamps import parse_utc

LON, LAT = HALMSTAD_LONLAT


def incidents_raw(n: int = 2, **columns) -> pd.DataFrame:
    raw = pd.DataFrame({
        "id": [f"i{k}" for k in range(1, n + 1)],
        "occurred_at": ["2024-01-15T22:10:00Z"] * n,
        "category": ["stöld"] * n,
        "lon": [LON] * n,
        "lat": [LAT] * n,
    })
    for name, values in columns.items():
        raw[name] = values
    return raw


def lights_raw(**columns) -> pd.DataFrame:
    raw = pd.DataFrame({"id": ["L1", "L2"], "lumen": ["1500", "2000.5"], "height_m": ["6", "8.25"],
                        "status": ["working", "broken"], "lon": [LON, LON + 0.001], "lat": [LAT, LAT]})
    for name, values in columns.items():
        raw[name] = values
    return raw


def reports_raw(**columns) -> pd.DataFrame:
    raw = pd.DataFrame({"id": ["R1", "R2"], "category": ["graffiti", "unsafe_place"],
                        "created_at": ["2024-03-01T10:00:00Z", "2024-03-02T21:00:00Z"],
                        "lon": [LON, LON], "lat": [LAT, LAT]})
    for name, values in columns.items():
        raw[name] = values
    return raw


def pings_raw(**columns) -> pd.DataFrame:
    raw = pd.DataFrame({"unit_id": ["P1", "P1", "P2"],
                        "timestamp": ["2024-01-15T22:10:00Z", "2024-01-15T22:10:01Z", "2024-01-15T22:10:00Z"],
                        "mode": ["foot", "foot", "car"], "lon": [LON, LON, LON], "lat": [LAT, LAT, LAT]})
    for name, values in columns.items():
        raw[name] = values
    return raw


def invalid(schema, raw, source="data.csv") -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate(schema, raw, source)
    return info.value


# -- the contracts -------------------------------------------------------------------------


def test_layer_field_names_are_the_published_contract():
    assert INCIDENTS.field_names == ["id", "occurred_at", "category", "location_precision", "source"]
    assert LIGHTS.field_names == ["id", "lumen", "height_m", "status", "luminaire", "updated_at", "azimuth_deg", "tilt_deg",
                                  "overhang_m", "watts", "installed_at", "removed_at", "source"]
    assert REPORTS.field_names[:6] == ["id", "category", "description", "created_at", "status", "closed_at"]
    assert {"close_reason", "when", "why", "photo", "attributes", "contact"} <= set(REPORTS.field_names)
    assert PINGS.field_names[:4] == ["unit_id", "timestamp", "mode", "crew"]


def test_layers_by_command_line_name_and_keys():
    assert LAYERS == {"incidents": INCIDENTS, "lights": LIGHTS, "reports": REPORTS, "patrols": PINGS, "events": EVENTS,
                      "cameras": CAMERAS}
    for schema in (INCIDENTS, LIGHTS, REPORTS, EVENTS, CAMERAS):
        assert schema.key == ("id",) and schema.points_as_geometry
    assert PINGS.key == ("unit_id", "timestamp") and not PINGS.points_as_geometry


def test_only_the_reporters_contact_name_and_device_are_private():
    private = {(schema.name, f.name) for schema in LAYERS.values() for f in schema.fields if f.private}
    assert private == {("reports", name) for name in ("contact", "first_name", "last_name", "device_id")}
    assert not {"contact", "first_name", "last_name", "device_id"} & set(REPORTS.public_fields)


# -- typed frames --------------------------------------------------------------------------


def test_incidents_become_wgs84_points_with_utc_times_and_defaults():
    frame = validate(INCIDENTS, incidents_raw(location_precision=[None, "street"]), "inc.csv")
    assert isinstance(frame, gpd.GeoDataFrame) and frame.crs == WGS84
    assert list(frame.columns) == INCIDENTS.field_names + ["geometry"]
    assert (frame.geometry.geom_type == "Point").all()
    assert str(frame["occurred_at"].dtype) == "datetime64[ns, UTC]"
    assert frame["location_precision"].tolist() == ["exact", "street"]
    assert frame["source"].tolist() == ["unknown", "unknown"]
    assert frame.geometry.x.tolist() == [LON, LON] and frame.geometry.y.tolist() == [LAT, LAT]
    assert frame.attrs["duplicates"] == 0


def test_extra_fields_are_ignored_never_an_error():
    frame = validate(INCIDENTS, incidents_raw(note=["x", "y"], colour=[1, 2]), "inc.csv")
    assert "note" not in frame.columns and "colour" not in frame.columns
    assert len(frame) == 2


def test_times_are_kept_to_the_millisecond_and_positions_to_seven_decimals():
    raw = incidents_raw(1, occurred_at=["2024-01-15T22:10:00.123456Z"], lon=[12.857812345678], lat=[56.674412345678])
    frame = validate(INCIDENTS, raw, "inc.csv")
    assert frame["occurred_at"].iloc[0] == pd.Timestamp("2024-01-15T22:10:00.123Z")
    assert frame.geometry.x.iloc[0] == 12.8578123 and frame.geometry.y.iloc[0] == 56.6744123


def test_numeric_ids_from_a_spreadsheet_become_text():
    frame = validate(INCIDENTS, incidents_raw(id=[7.0, 8.0]), "inc.json")
    assert frame["id"].tolist() == ["7", "8"]


def test_lights_numbers_and_optional_fields():
    frame = validate(LIGHTS, lights_raw(updated_at=[None, "2024-02-01T10:00:00Z"], luminaire=[None, "LED"]), "l.csv")
    assert frame["lumen"].tolist() == [1500.0, 2000.5]
    assert frame["height_m"].tolist() == [6.0, 8.25]
    assert frame["luminaire"].tolist() == ["unknown", "LED"]
    assert pd.isna(frame["updated_at"].iloc[0])
    assert frame["updated_at"].iloc[1] == pd.Timestamp("2024-02-01T10:00:00Z")


def test_reports_defaults_and_closing():
    frame = validate(REPORTS, reports_raw(status=["closed", None], closed_at=["2024-03-04T08:00:00Z", None],
                                          close_reason=["removed", None], when=[None, "night"],
                                          why=[None, "lighting"], contact=["anna@example.se", None]), "r.csv")
    assert frame["status"].tolist() == ["closed", "open"]
    assert frame["description"].tolist() == ["", ""]
    assert frame["closed_at"].iloc[0] == pd.Timestamp("2024-03-04T08:00:00Z") and pd.isna(frame["closed_at"].iloc[1])
    assert frame["when"].iloc[1] == "night" and frame["why"].iloc[1] == "lighting"
    assert frame["contact"].iloc[0] == "anna@example.se"


def test_pings_are_a_plain_frame_with_lon_lat_and_default_crew():
    frame = validate(PINGS, pings_raw(crew=["2", None, "1"]), "p.csv")
    assert not isinstance(frame, gpd.GeoDataFrame)
    assert {"lon", "lat", "unit_id", "timestamp", "mode", "crew"} <= set(frame.columns)
    assert frame["crew"].tolist() == [2, 1, 1] and frame["crew"].dtype == np.int64


def test_repeated_pings_of_a_unit_are_dropped_and_counted():
    raw = pings_raw(timestamp=["2024-01-15T22:10:00Z", "2024-01-15T23:10:00+01:00", "2024-01-15T22:10:00Z"])
    frame = validate(PINGS, raw, "p.csv")
    assert frame.attrs["duplicates"] == 1
    assert frame["unit_id"].tolist() == ["P1", "P2"]  # P2 at the same time is another unit: kept


def test_empty_layers_are_typed():
    for schema in LAYERS.values():
        frame = empty_layer(schema)
        assert len(frame) == 0
        assert set(schema.field_names) <= set(frame.columns)


# -- validation: each problem names the file, the row and the field ---------------------------


def test_coordinates_outside_wgs84_ranges():
    error = invalid(INCIDENTS, incidents_raw(lat=[LAT, 95.0]))
    assert (error.file, error.row, error.field) == ("data.csv", "row 2", "lat/lon")
    assert "outside WGS84 ranges" in error.message
    assert str(error).startswith("data.csv, row 2, field 'lat/lon': ")


def test_longitude_outside_range():
    error = invalid(INCIDENTS, incidents_raw(lon=[190.0, LON]))
    assert error.row == "row 1" and error.field == "lat/lon" and "outside WGS84" in error.message


def test_latitude_and_longitude_swapped():
    error = invalid(INCIDENTS, incidents_raw(lon=[LON, LAT], lat=[LAT, LON]))
    assert (error.row, error.field) == ("row 2", "lat/lon")
    assert "swapped" in error.message and "56.67 N, 12.86 E" in error.message


def test_sweref99_metres_given_as_degrees():
    error = invalid(INCIDENTS, incidents_raw(lon=[370000.0, LON], lat=[6280000.0, LAT]))
    assert (error.row, error.field) == ("row 1", "lat/lon")
    assert "SWEREF 99" in error.message and "--crs EPSG:3006" in error.message


def test_nan_or_empty_position():
    error = invalid(INCIDENTS, incidents_raw(lon=[LON, np.nan], lat=[LAT, np.nan]))
    assert (error.row, error.field) == ("row 2", "lat/lon") and "missing or NaN" in error.message


def test_no_position_columns_at_all():
    error = invalid(INCIDENTS, incidents_raw().drop(columns=["lat"]))
    assert error.field == "lat" and "no position" in error.message


def test_row_labels_from_the_reader_are_used():
    raw = incidents_raw(lat=[LAT, 95.0], _row=["feature 0", "feature 1"])
    assert invalid(INCIDENTS, raw, "inc.geojson").row == "feature 1"


def test_missing_timestamp():
    error = invalid(INCIDENTS, incidents_raw(occurred_at=["2024-01-15T22:10:00Z", ""]))
    assert (error.row, error.field) == ("row 2", "occurred_at") and "missing" in error.message


def test_unparsable_timestamp():
    error = invalid(INCIDENTS, incidents_raw(occurred_at=["igår kväll", "2024-01-15T22:10:00Z"]))
    assert (error.row, error.field) == ("row 1", "occurred_at")
    assert "cannot parse 'igår kväll'" in error.message and "ISO 8601" in error.message


def test_unknown_category():
    error = invalid(INCIDENTS, incidents_raw(category=["stöld", "bilbrand"]))
    assert (error.row, error.field) == ("row 2", "category")
    assert "'bilbrand' is not one of" in error.message and "misshandel" in error.message


def test_unknown_category_in_every_layer():
    assert invalid(LIGHTS, lights_raw(status=["working", "flickering"])).field == "status"
    assert invalid(REPORTS, reports_raw(category=["graffiti", "potholes"])).field == "category"
    assert invalid(REPORTS, reports_raw(why=["aliens", None])).field == "why"
    assert invalid(PINGS, pings_raw(mode=["foot", "skate", "car"])).row == "row 2"
    assert invalid(INCIDENTS, incidents_raw(location_precision=["exact", "roughly"])).field == "location_precision"


def test_duplicate_ids():
    error = invalid(INCIDENTS, incidents_raw(3, id=["a", "b", "a"]))
    assert (error.row, error.field) == ("row 3", "id")
    assert "'a' is also used in row 1" in error.message


def test_ids_that_differ_only_in_surrounding_spaces_are_duplicates():
    assert invalid(INCIDENTS, incidents_raw(id=["a", " a "])).field == "id"


def test_missing_required_field():
    error = invalid(LIGHTS, lights_raw().drop(columns=["status"]))
    assert error.field == "status" and error.row is None
    assert "no 'status' field" in error.message


def test_missing_required_value():
    error = invalid(LIGHTS, lights_raw(id=["L1", "  "]))
    assert (error.row, error.field) == ("row 2", "id") and "missing value" in error.message


def test_bad_number():
    error = invalid(LIGHTS, lights_raw(lumen=["1500", "bright"]))
    assert (error.row, error.field) == ("row 2", "lumen") and "not a number: 'bright'" in error.message


def test_lumen_out_of_bounds():
    error = invalid(LIGHTS, lights_raw(lumen=["0", "1500"]))
    assert (error.row, error.field) == ("row 1", "lumen") and "between 1 and 200000" in error.message


def test_height_out_of_bounds():
    error = invalid(LIGHTS, lights_raw(height_m=["6", "41"]))
    assert (error.row, error.field) == ("row 2", "height_m") and "between 0.5 and 40" in error.message


def test_crew_must_be_a_whole_number_in_range():
    assert "whole number" in invalid(PINGS, pings_raw(crew=["1", "2.5", "1"])).message
    assert invalid(PINGS, pings_raw(crew=["1", "1", "21"])).row == "row 3"


def test_closed_before_created():
    error = invalid(REPORTS, reports_raw(closed_at=[None, "2024-03-01T10:00:00Z"]))
    assert (error.row, error.field) == ("row 2", "closed_at") and "closed before it was created" in error.message


def test_dst_ambiguous_naive_local_time():
    error = invalid(INCIDENTS, incidents_raw(occurred_at=["2024-10-27 02:30:00", "2024-01-15T22:10:00Z"]))
    assert (error.row, error.field) == ("row 1", "occurred_at")
    assert "daylight-saving" in error.message and "UTC offset" in error.message


def test_naive_local_time_that_does_not_exist():
    error = invalid(INCIDENTS, incidents_raw(occurred_at=["2024-01-15T22:10:00Z", "2024-03-31 02:30:00"]))
    assert error.row == "row 2" and "daylight-saving" in error.message


def test_the_count_of_further_bad_rows_is_given():
    error = invalid(INCIDENTS, incidents_raw(4, category=["stöld", "x", "y", "z"]))
    assert error.row == "row 2" and "(2 more rows have this problem)" in error.message


# -- timestamps --------------------------------------------------------------------------------


def parse_one(text: str) -> pd.Timestamp:
    times, problems = parse_utc(pd.Series([text], dtype=object))
    assert pd.isna(problems.iloc[0]), problems.iloc[0]
    return times.iloc[0]


def test_naive_winter_time_is_stockholm_utc_plus_one():
    assert parse_one("2024-01-15T12:00:00") == pd.Timestamp("2024-01-15T11:00:00Z")


def test_naive_summer_time_is_stockholm_utc_plus_two():
    assert parse_one("2024-07-15 12:00") == pd.Timestamp("2024-07-15T10:00:00Z")


def test_police_format_with_a_space_before_the_offset():
    assert parse_one("2026-08-22 19:51:41 +02:00") == pd.Timestamp("2026-08-22T17:51:41Z")
    assert parse_one("2026-08-22 9:13:04 +02:00") == pd.Timestamp("2026-08-22T07:13:04Z")


def test_times_with_offsets_are_exact():
    assert parse_one("2024-01-15T12:00:00Z") == pd.Timestamp("2024-01-15T12:00:00Z")
    assert parse_one("2024-01-15T12:00:00-0500") == pd.Timestamp("2024-01-15T17:00:00Z")


def test_timestamp_problems_are_reported_not_raised():
    times, problems = parse_utc(pd.Series(["", None, "soon", "2024-10-27 02:30"], dtype=object))
    assert times.isna().all()
    assert problems.iloc[0] == problems.iloc[1] == "missing timestamp"
    assert "cannot parse 'soon'" in problems.iloc[2]
    assert "ambiguous" in problems.iloc[3]


def test_hour_only_utc_offset_parses():
    times, problems = parse_utc(pd.Series(["2024-01-15T12:00:00+01", "2024-01-15T12:00:00"], dtype=object))
    assert times.iloc[0] == pd.Timestamp("2024-01-15T11:00:00Z") and problems.isna().all()
    assert times.iloc[1] == pd.Timestamp("2024-01-15T11:00:00Z")


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
                    max_value=pd.Timestamp("2060-01-01").to_pydatetime()),
       st.integers(min_value=-12 * 4, max_value=14 * 4))
def test_any_time_with_an_offset_parses_to_the_same_instant(moment, quarter_hours):
    moment = pd.Timestamp(moment).floor("ms")
    offset = pd.Timedelta(minutes=15 * quarter_hours)
    sign = "+" if offset >= pd.Timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds() // 60))
    text = (moment + offset).strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    assert parse_one(text) == moment.tz_localize("UTC")


# -- coordinate_problems -------------------------------------------------------------------------


def test_coordinate_problems_recognises_each_kind():
    problems = coordinate_problems([LON, LAT, 370000, np.nan, 200, -0.1], [LAT, LON, 6280000, LAT, 10, 51.5])
    assert problems[0] is None
    assert "swapped" in problems[1]
    assert "projected metres" in problems[2]
    assert "NaN" in problems[3]
    assert "outside WGS84" in problems[4]
    assert problems[5] is None  # London is fine: not everything has to be in Sweden


minx, miny, maxx, maxy = SWEDEN_LONLAT_BOUNDS


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(minx, maxx), st.floats(miny, maxy)), min_size=1, max_size=20))
def test_coordinate_problems_never_flags_points_inside_sweden(points):
    lon, lat = zip(*points)
    assert all(problem is None for problem in coordinate_problems(lon, lat))


@settings(max_examples=200, deadline=None)
@given(st.floats(minx, maxx), st.floats(miny, maxy))
def test_coordinate_problems_always_flags_swedish_points_swapped(lon, lat):
    assert "swapped" in coordinate_problems([lat], [lon])[0]

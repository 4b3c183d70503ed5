"""Hostile text and out-of-range times: a problem message naming file, row and field, never a 500
or a traceback; stored text is NFC with LF line ends and free of control and bidi characters."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from geo.crs import HALMSTAD_LONLAT
from geo.errors import ValidationError
from geo.io.gpx import read_gpx_records
from geo.layers import INCIDENTS, PINGS, REPORTS, validate
from geo.text import FORBIDDEN, clean_text, decode_utf8
from geo.timestamps import LOCAL_TZ, SUPPORTED_END, SUPPORTED_START, format_utc, parse_utc
from service.app import create_app
from service.auth import create_token
from service.cli import app as cli
from service.settings import GeographySettings, Settings, StoreSettings
from service.store import SQLiteStore
from tests.languages import ENGLISH

LON, LAT = HALMSTAD_LONLAT
STOCKHOLM = ZoneInfo(LOCAL_TZ)
runner = CliRunner()


def fold(text: str) -> str:
    return " ".join(text.split())


def one(value) -> tuple[pd.Timestamp, str | None]:
    times, problems = parse_utc(pd.Series([value], dtype=object))
    return times.iloc[0], problems.iloc[0]


# -- parse_utc: the one place that decides what time is supported ---------------------------------


OUT_OF_RANGE_TEXT = ["9999-01-01T00:00:00Z", "0001-01-01", "0001-01-01T00:00:00", "2262-04-12", "1677-09-20",
                     "2262-04-12T00:00:00+00:00", "1677-09-21T00:12:44Z", "99999-01-01", "+10000-01-01T00:00:00Z",
                     "1899-12-31T23:59:59.999Z", "2200-01-01T00:00:00Z", "1900-01-01T00:30:00",
                     "2199-12-31T23:30:00-23:59", "1900-01-01T12:00:00+23:59", "9999-12-31T23:59:59-23:59",
                     "0001-01-01T00:00:00+23:59", "9999-01-01T00:00:00.123456789Z"]


@pytest.mark.parametrize("text", OUT_OF_RANGE_TEXT)
def test_times_outside_the_supported_range_are_a_problem_not_an_exception(text):
    time, problem = one(text)
    assert pd.isna(time)
    assert "outside the supported range" in problem and repr(text) in problem


@pytest.mark.parametrize("moment", [datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999),
                                    datetime(1, 1, 1, tzinfo=timezone.utc), datetime(9999, 1, 1, tzinfo=timezone.utc),
                                    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
                                    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))),
                                    datetime(1899, 12, 31, 23, 59)])
@pytest.mark.parametrize("form", ["object", "isoformat"])
def test_datetime_objects_outside_the_range_naive_or_aware(moment, form):
    time, problem = one(moment if form == "object" else moment.isoformat())
    assert pd.isna(time) and "outside the supported range" in problem


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_tz_aware_series_outside_the_range(unit):
    values = pd.Series(pd.to_datetime(["9999-01-01T00:00:00Z", "2020-05-01T10:00:00+02:00", "0001-01-01T00:00:00Z",
                                       None], utc=True)).astype(f"datetime64[{unit}, UTC]")
    times, problems = parse_utc(values)
    assert str(times.dtype) == "datetime64[ns, UTC]"
    assert times.iloc[1] == pd.Timestamp("2020-05-01T08:00:00Z") and problems.iloc[1] is None
    assert "outside the supported range" in problems.iloc[0] and "outside the supported range" in problems.iloc[2]
    assert problems.iloc[3] == "missing timestamp"


def test_a_mixed_column_reports_each_value_and_keeps_the_good_ones():
    times, problems = parse_utc(pd.Series(["9999-01-01T00:00:00Z", "2020-01-01T00:00:00.123456789Z",
                                           "2020-01-01T12:00:00", "0001-01-01", "soon"], dtype=object))
    assert "outside the supported range" in problems.iloc[0] and "outside the supported range" in problems.iloc[3]
    assert times.iloc[1] == pd.Timestamp("2020-01-01T00:00:00.123456Z")
    assert times.iloc[2] == pd.Timestamp("2020-01-01T11:00:00Z")
    assert "cannot parse 'soon'" in problems.iloc[4]


def test_the_range_edges():
    assert one("1900-01-01T00:00:00Z") == (SUPPORTED_START, None)
    assert one("2199-12-31T23:59:59.999Z")[1] is None
    assert SUPPORTED_START == pd.Timestamp("1900-01-01T00:00:00Z")
    assert SUPPORTED_END == pd.Timestamp("2200-01-01T00:00:00Z")


IN_RANGE = dict(min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30))
offsets = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60 - 59, 23 * 60 + 59))


@settings(max_examples=150, deadline=None)
@given(st.datetimes(**IN_RANGE), st.sampled_from(["object", "isoformat", "str"]))
def test_any_naive_time_in_range_is_stockholm_time(moment, form):
    try:
        expected = pd.Timestamp(moment).tz_localize(LOCAL_TZ, ambiguous="raise", nonexistent="raise")
    except Exception:  # a daylight-saving gap or overlap: refused, tested elsewhere
        assume(False)
    value = {"object": moment, "isoformat": moment.isoformat(), "str": str(moment)}[form]
    time, problem = one(value)
    assert problem is None and time == expected
    back = parse_utc(pd.Series([format_utc(pd.Series([time])).iloc[0]]))[0].iloc[0]
    assert back == time.floor("ms")


@settings(max_examples=150, deadline=None)
@given(st.datetimes(**IN_RANGE), offsets, st.sampled_from(["object", "isoformat", "series"]))
def test_any_aware_time_in_range_is_exact(moment, offset, form):
    moment = moment.replace(tzinfo=offset)
    if form == "series":
        times, problems = parse_utc(pd.Series([pd.Timestamp(moment)]).dt.tz_convert(STOCKHOLM))
        time, problem = times.iloc[0], problems.iloc[0]
    else:
        time, problem = one(moment if form == "object" else moment.isoformat())
    assert problem is None and time == pd.Timestamp(moment)
    assert str(parse_utc(pd.Series([format_utc(pd.Series([time])).iloc[0]]))[0].iloc[0]) == str(time.floor("ms"))


def test_validate_names_file_row_and_field_for_an_out_of_range_time():
    raw = pd.DataFrame({"id": ["i1", "i2"], "occurred_at": ["2020-01-01T10:00:00Z", "9999-01-01T00:00:00Z"],
                        "category": "stöld", "lon": LON, "lat": LAT})
    with pytest.raises(ValidationError) as info:
        validate(INCIDENTS, raw, "f.csv")
    assert str(info.value).startswith("f.csv, row 2, field 'occurred_at': '9999-01-01T00:00:00Z' is outside the "
                                      "supported range")


# -- citizen text ------------------------------------------------------------------------------------


def reports(*descriptions: str) -> pd.DataFrame:
    # object dtype: pandas' own str dtype (Arrow, UTF-8) cannot even hold a lone surrogate
    return pd.DataFrame({"id": [f"r{i}" for i in range(len(descriptions))], "category": "graffiti",
                         "description": pd.Series(descriptions, dtype=object), "created_at": "2024-03-01T10:00:00Z",
                         "lon": LON, "lat": LAT})


@pytest.mark.parametrize(("char", "name"), [("\x00", "U+0000 (NUL)"), ("\x1b", "U+001B (ESC)"),
                                            ("\x7f", "U+007F (DEL)"), ("\x85", "U+0085 (NEL)"),
                                            ("\x9b", "U+009B (CSI)"), ("\x0b", "U+000B (VT)"),
                                            ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
                                            ("\u2066", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
                                            ("\u200f", "U+200F (RIGHT-TO-LEFT MARK)"),
                                            ("\u061c", "U+061C (ARABIC LETTER MARK)"),
                                            ("\ud800", "U+D800")])
def test_forbidden_characters_in_a_description_name_file_row_field_and_character(char, name):
    with pytest.raises(ValidationError) as info:
        validate(REPORTS, reports("fint", f"klotter{char}på muren"), "f.csv")
    message = str(info.value)
    assert message.startswith("f.csv, row 2, field 'description': contains ")
    assert name in message and "remove it" in message


def test_forbidden_characters_in_every_text_field_of_every_layer():
    raw = pd.DataFrame({"unit_id": ["P1", "P\x1b[31m1"], "timestamp": "2024-01-15T22:10:00Z", "mode": "foot",
                        "lon": LON, "lat": LAT})
    with pytest.raises(ValidationError, match=r"row 2, field 'unit_id': contains the control character U\+001B"):
        validate(PINGS, raw, "p.csv")
    raw = pd.DataFrame({"id": ["i\u202e1"], "occurred_at": "2024-01-15T22:10:00Z", "category": "stöld",
                        "lon": LON, "lat": LAT})
    with pytest.raises(ValidationError, match=r"field 'id': contains the bidirectional formatting character U\+202E"):
        validate(INCIDENTS, raw, "i.csv")
    raw = raw.assign(id="i1", category="stöld\x00")
    with pytest.raises(ValidationError, match=r"field 'category': contains the control character U\+0000"):
        validate(INCIDENTS, raw, "i.csv")


def test_line_ends_and_unicode_normalisation():
    out = validate(REPORTS, reports("a\r\nb\rc\n\nd", "e\u0301n kaf\u0065\u0301", "kolumn\tett\nrad två",
                                    "Å\u030a"), "f.csv")
    assert out["description"].tolist() == ["a\nb\nc\n\nd", "én kafé", "kolumn\tett\nrad två",
                                           unicodedata.normalize("NFC", "Å\u030a")]
    assert all(unicodedata.is_normalized("NFC", text) for text in out["description"])


def test_clean_text_is_pure_and_vectorised():
    values = pd.Series(["ok", None, "bad\x00", "e\u0301", 7], dtype=object)
    text, problems = clean_text(values)
    assert values.tolist()[2] == "bad\x00", "the input is not changed"
    assert text.iloc[0] == "ok" and pd.isna(text.iloc[1]) and text.iloc[3] == "é" and text.iloc[4] == "7"
    assert problems.iloc[2] == "contains the control character U+0000 (NUL); remove it"
    assert problems.drop(2).isna().all()


forbidden_free = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)).filter(
    lambda c: not FORBIDDEN.search(c)), max_size=40)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forbidden_free)
def test_any_text_without_forbidden_characters_becomes_its_nfc_form_with_lf(text):
    wrapped = "<" + text + ">"  # so that stripping the ends does not come into it
    out = validate(REPORTS, reports(wrapped), "f.csv")
    expected = unicodedata.normalize("NFC", wrapped.replace("\r\n", "\n").replace("\r", "\n"))
    assert out["description"].iloc[0] == expected


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=20), st.sampled_from(sorted({"\x00", "\x08", "\x0c", "\x1f", "\x7f", "\x80", "\x9f",
                                                     "\u061c", "\u200e", "\u202a", "\u202c", "\u2069", "\udfff"})))
def test_any_text_with_a_forbidden_character_is_refused(text, char):
    with pytest.raises(ValidationError, match="field 'description': contains"):
        validate(REPORTS, reports(text[:5] + char + text[5:]), "f.csv")


def test_decode_utf8():
    assert decode_utf8("Östra stranden".encode(), "description") == "Östra stranden"
    with pytest.raises(ValidationError) as info:
        decode_utf8(b"ok \xff\xfe then", "description")
    assert info.value.field == "description" and "not valid UTF-8" in str(info.value)
    with pytest.raises(ValidationError, match="not valid UTF-8"):
        decode_utf8(b"\xed\xa0\x80", "description")  # an encoded surrogate is not UTF-8 either


def test_exported_text_imports_back_exactly(tmp_path):
    from geo.io.export import write_layer
    from service.imports import import_file
    original = validate(REPORTS, reports("rad ett\r\nrad två", "e\u0301", "\ttabb först", "=1+1"), "t")
    for suffix in (".csv", ".geojson", ".gpkg"):
        path = tmp_path / f"out{suffix}"
        write_layer(original, REPORTS, path, include_private=True)
        store = SQLiteStore(tmp_path / f"{suffix[1:]}.sqlite")
        import_file(store, REPORTS, path)
        assert store.read_features(REPORTS)["description"].tolist() == original["description"].tolist()


# -- GPX ---------------------------------------------------------------------------------------------


def gpx(*times: str) -> str:
    points = "".join(f'<trkpt lat="{LAT}" lon="{LON}"><time>{t}</time></trkpt>' for t in times)
    return ('<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="t" '
            f'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{points}</trkseg></trk></gpx>')


def gpx_error(tmp_path, text: str | bytes) -> ValidationError:
    path = tmp_path / "track.gpx"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ValidationError) as info:
        validate(PINGS, read_gpx_records(path, None, "foot").raw, str(path))
    return info.value


@pytest.mark.parametrize("time", ["9999-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-01-01T00:00:00",
                                  "99999-01-01T00:00:00Z"])
def test_gpx_times_outside_the_range_name_the_point(tmp_path, time):
    error = gpx_error(tmp_path, gpx("2020-05-01T10:00:00Z", time))
    assert error.row == "track 0 segment 0 point 1" and error.field == "timestamp"
    assert "outside the supported range" in error.message


@pytest.mark.parametrize("time", ["garbage", "2020-13-45T10:00:00Z", "2020-05-01"])
def test_unreadable_gpx_times_name_the_point_and_the_value(tmp_path, time):
    error = gpx_error(tmp_path, gpx("2020-05-01T10:00:00Z", time))
    assert error.row == "track 0 segment 0 point 1" and error.field == "timestamp"
    assert repr(time) in error.message and "missing" not in error.message


def test_a_gpx_point_without_time_is_missing(tmp_path):
    text = gpx("2020-05-01T10:00:00Z").replace("</trkseg>", f'<trkpt lat="{LAT}" lon="{LON}"/></trkseg>')
    error = gpx_error(tmp_path, text)
    assert (error.row, error.field, error.message) == ("track 0 segment 0 point 1", "timestamp", "missing value")


def test_times_gpxpy_cannot_read_are_still_times_and_naive_ones_utc(tmp_path):
    path = tmp_path / "t.gpx"
    path.write_text(gpx(" 2020-05-01T10:00:00Z ", "2020-05-01T10:00:01", "2020-05-01T10:00:02+02:00",
                        "2020-05-01T10:00Z", "2020-05-01T10:00"), encoding="utf-8")
    pings = validate(PINGS, read_gpx_records(path, None, "foot").raw, str(path))
    assert pings["timestamp"].tolist() == [pd.Timestamp("2020-05-01T10:00:00Z"), pd.Timestamp("2020-05-01T10:00:01Z"),
                                           pd.Timestamp("2020-05-01T08:00:02Z")]
    assert pings.attrs["duplicates"] == 2, "the last two are the first point's time again"


@pytest.mark.parametrize("content", [b"", b"<gpx", b'<gpx version="1.1"><trk><trkseg><trkpt lat="x" lon="1"/>'
                                     b"</trkseg></trk></gpx>", b"\x00\x01"])
def test_gpxpy_errors_name_the_file(tmp_path, content):
    error = gpx_error(tmp_path, content)
    assert error.file == str(tmp_path / "track.gpx")


def test_gpx_with_invalid_utf8_names_the_file(tmp_path):
    error = gpx_error(tmp_path, gpx("2020-05-01T10:00:00Z").encode().replace(b"creator=\"t\"", b"creator=\"\xff\""))
    assert error.file == str(tmp_path / "track.gpx") and "not valid UTF-8" in error.message


# -- the API -----------------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path):
    return create_app(Settings(store=StoreSettings(db=tmp_path / "t.sqlite"), geography=GeographySettings()))


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False, headers=ENGLISH) as test_client:
        yield test_client


@pytest.mark.parametrize("layer", ["incidents", "lights", "reports"])
@pytest.mark.parametrize("start", ["9999-01-01T00:00:00Z", "0001-01-01T00:00:00", "9999-12-31T23:59:59-23:59",
                                   "1800-06-01T12:00:00+01:00"])
def test_api_times_outside_the_range_are_422(client, layer, start):
    response = client.get(f"/api/layers/{layer}", params={"start": start})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid" and "outside the supported range" in body["detail"]
    assert "start" in body["detail"]


def test_api_patrol_window_outside_the_range_is_422(app, client):
    police = {"Authorization": f"Bearer {create_token(app.state.context.store, 'police')}"}
    response = client.get("/api/layers/patrols", params={"start": "9999-01-01T00:00:00Z",
                                                         "end": "9999-01-02T00:00:00Z"}, headers=police)
    assert response.status_code == 422 and response.json()["code"] == "invalid"


def test_api_report_with_a_nul_is_refused_naming_the_field(client):
    response = client.post("/api/reports", data={"category": "graffiti", "lat": "56.6744", "lon": "12.8578",
                                                  "description": "a\x00b"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid" and "description" in body["detail"] and "U+0000" in body["detail"]


def test_api_report_text_is_stored_as_nfc_with_lf(client):
    response = client.post("/api/reports", data={"category": "graffiti", "lat": "56.6744", "lon": "12.8578",
                                                  "description": "kafe\u0301\r\nrad två"})
    assert response.status_code == 201, response.text
    features = client.get("/api/layers/reports").json()["features"]
    assert [f["properties"]["description"] for f in features] == ["kafé\nrad två"]


def test_api_patrol_upload_with_a_year_9999_time_is_422_naming_the_point(app, client):
    police = {"Authorization": f"Bearer {create_token(app.state.context.store, 'police')}"}
    upload = {"file": ("pass.gpx", gpx("2020-05-02T19:00:00Z", "9999-01-01T00:00:00Z").encode(), "application/gpx+xml")}
    response = client.post("/api/patrols", data={"mode": "foot"}, files=upload, headers=police)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid"
    assert "track 0 segment 0 point 1, field 'timestamp'" in body["detail"]
    assert "outside the supported range" in body["detail"]


# -- the command line --------------------------------------------------------------------------------


def invoke(*args):
    return runner.invoke(cli, [str(a) for a in args], env={"COLUMNS": "250"})


def assert_refused(result, *parts: str) -> None:
    assert result.exit_code == 2, result.output
    output = fold(result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for part in parts:
        assert part in output, output
    assert "nothing was imported" in output


@pytest.mark.parametrize("time", ["9999-01-01T00:00:00Z", "0001-01-01T00:00:00Z"])
def test_cli_gpx_with_an_out_of_range_time(tmp_path, time):
    path = tmp_path / "t.gpx"
    path.write_text(gpx("2020-05-01T10:00:00Z", "2020-05-01T10:00:01Z", time), encoding="utf-8")
    result = invoke("import", "patrols", path, "--mode", "foot", "--db", tmp_path / "db.sqlite")
    assert_refused(result, f"{path}, track 0 segment 0 point 2, field 'timestamp'", "outside the supported range")


@pytest.mark.parametrize("time", ["9999-01-01T00:00:00Z", "0001-01-01", "2262-04-12T00:00:00"])
def test_cli_csv_with_an_out_of_range_time(tmp_path, time):
    path = tmp_path / "i.csv"
    path.write_text(f"id,occurred_at,category,lat,lon\ni1,2020-01-01T10:00:00Z,stöld,{LAT},{LON}\n"
                    f"i2,{time},stöld,{LAT},{LON}\n", encoding="utf-8")
    result = invoke("import", "incidents", path, "--db", tmp_path / "db.sqlite")
    assert_refused(result, f"{path}, row 3, field 'occurred_at'", "outside the supported range")


def test_cli_csv_with_a_control_character(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(f"id,category,description,created_at,lat,lon\nr1,graffiti,\"a\x1b[2Jb\",2020-01-01T10:00:00Z,"
                    f"{LAT},{LON}\n", encoding="utf-8")
    result = invoke("import", "reports", path, "--db", tmp_path / "db.sqlite")
    assert_refused(result, f"{path}, row 2, field 'description'", "U+001B (ESC)")


def test_cli_csv_with_invalid_utf8_names_the_file(tmp_path):
    path = tmp_path / "i.csv"
    text = f"id,occurred_at,category,lat,lon\ni1,2020-01-01T10:00:00Z,st\xf6ld,{LAT},{LON}\n"
    path.write_bytes(text.encode("latin-1"))
    result = invoke("import", "incidents", path, "--db", tmp_path / "db.sqlite")
    assert_refused(result, str(path))
    assert "utf-8" in result.output.lower()


def test_cli_geojson_with_a_lone_surrogate(tmp_path):
    path = tmp_path / "r.geojson"
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [LON, LAT]},
               "properties": {"id": "r1", "category": "graffiti", "description": "x\ud800y",
                              "created_at": "2020-01-01T10:00:00Z"}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    result = invoke("import", "reports", path, "--db", tmp_path / "db.sqlite")
    assert_refused(result, str(path), "lone UTF-16 surrogate")


def test_cli_geojson_with_an_out_of_range_time(tmp_path):
    path = tmp_path / "i.geojson"
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [LON, LAT]},
               "properties": {"id": "i1", "category": "stöld", "occurred_at": "9999-01-01T00:00:00Z"}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    result = invoke("import", "incidents", path, "--db", tmp_path / "db.sqlite")
    assert_refused(result, f"{path}, feature 0, field 'occurred_at'", "outside the supported range")

"""A few records (one form, one request) are validated value by value: the same answers, the same
errors and the same types as the vectorised rules give a whole file."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geo.layers as layers
from geo.errors import ValidationError
from geo.layers import INCIDENTS, LIGHTS, PINGS, REPORTS, validate, validate_record

NASTY = st.sampled_from(["", " ", "  x ", "\r\n", "a\rb", "\u2028", "\u202e", "\x00", "\x85", "\ud800", "e\u0301",
                         "\u00a0", "\u200b", "\u200d", "Å", "TORG", "\t", "5", "5.0", "1e3", "abc", "nan", "-1"])
TEXT = st.one_of(st.none(), st.text(max_size=6), NASTY, st.integers(-3, 3), st.floats(allow_nan=True, width=32))
TIMES = st.one_of(st.none(), st.sampled_from([
    "2020-03-14T21:30:00+01:00", "2020-03-14 21:30:00 +01:00", "2020-03-14T21:30:00", "2020-03-29T02:30:00",
    "2020-10-25T02:30:00", "9999-01-01T00:00:00Z", "+12020-01-01", "1800-01-01", "garbage", "", "2020-03-14",
    "2020-03-14T21:30:00.1234567Z", "Jan 5 2020", "2020-01-01T12:00:00 UTC", "20200314T213000", " 2020-06-01T10:00Z "]),
    st.datetimes().map(lambda d: d.isoformat()))
CHOICES = {spec.name: st.one_of(st.sampled_from(spec.choices or ("x",)), TEXT, st.sampled_from(
    [c.upper() for c in spec.choices or ()] or ["X"])) for schema in (INCIDENTS, LIGHTS, REPORTS, PINGS)
    for spec in schema.fields if spec.kind == "category"}
NUMBERS = st.one_of(st.none(), st.floats(allow_nan=True), st.integers(-10, 300_000), NASTY, st.sampled_from(
    ["12", "0.5", "1e9", "1.5", "2", "inf", "-inf", " 7 "]))


GOOD_TIMES = st.sampled_from(["2020-03-14T21:30:00+01:00", "2020-03-14 21:30:00", "2020-06-01T10:00:00.5Z",
                               "2020-06-01", "2021-01-01T00:00:00.1234567+00:00"])


def good_value(spec, i):
    if spec.kind == "id":
        return st.sampled_from([f"r-{i}", f" R{i} ", str(i), float(i)])
    if spec.kind == "time":
        return GOOD_TIMES
    if spec.kind in ("number", "integer"):
        low, high = spec.bounds or (0, 100)
        return st.one_of(st.integers(int(low) + 1, int(high)), st.integers(int(low) + 1, int(high)).map(str),
                         st.floats(low, high).map(lambda v: round(v, 2)))
    if spec.kind == "category":
        return st.sampled_from(spec.choices).flatmap(lambda c: st.sampled_from([c, c.upper(), f" {c} "]))
    return st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Zs"]),
                   min_size=1, max_size=8)


def bad_value(spec):
    if spec.kind == "time":
        return TIMES
    if spec.kind in ("number", "integer"):
        return NUMBERS
    if spec.kind == "category":
        return CHOICES[spec.name]
    return TEXT


@st.composite
def raw_frames(draw, schema):
    n = draw(st.integers(1, layers.FEW_RECORDS))
    fields = [spec for spec in schema.fields if spec.required and draw(st.integers(0, 19)) or draw(st.booleans())]
    data = {spec.name: [draw(good_value(spec, i) if draw(st.integers(0, 9 * n)) else bad_value(spec))
                        for i in range(n)] for spec in fields}
    lon = [12.857, 12.86, "12.85", 12.8571234567] * 5 + [None, 400.0]
    lat = [56.674, 56.67, "56.68", 56.6712345678] * 5 + [12.9]
    data["lon"] = draw(st.lists(st.sampled_from(lon), min_size=n, max_size=n))
    data["lat"] = draw(st.lists(st.sampled_from(lat), min_size=n, max_size=n))
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})


def outcome(schema, raw):
    try:
        return validate(schema, raw, "f.csv")
    except ValidationError as exc:
        return str(exc)


@pytest.mark.parametrize("schema", [INCIDENTS, LIGHTS, REPORTS, PINGS], ids=lambda s: s.name)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_few_records_get_the_answers_of_the_vectorised_rules(schema, data):
    raw = data.draw(raw_frames(schema))
    few = outcome(schema, raw)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(layers, "FEW_RECORDS", 0)
        whole = outcome(schema, raw)
    if isinstance(whole, str) or isinstance(few, str):
        assert few == whole
    else:
        pd.testing.assert_frame_equal(few, whole)
        assert few.attrs == whole.attrs


def test_a_typed_one_record_frame_keeps_its_types(monkeypatch):
    raw = pd.DataFrame({"id": [7.0], "lumen": [1200], "height_m": [6.5], "status": ["Working"],
                        "updated_at": pd.Series([pd.Timestamp("2020-05-01T10:00:00.1234Z")]), "lon": [12.86],
                        "lat": [56.67]})
    few = validate(LIGHTS, raw, "f")
    monkeypatch.setattr(layers, "FEW_RECORDS", 0)
    pd.testing.assert_frame_equal(few, validate(LIGHTS, raw, "f"))
    assert few["id"].iloc[0] == "7" and few["status"].iloc[0] == "working"
    assert few["updated_at"].iloc[0] == pd.Timestamp("2020-05-01T10:00:00.123Z")


@pytest.mark.parametrize("schema", [INCIDENTS, LIGHTS, REPORTS, PINGS], ids=lambda s: s.name)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_one_record_gets_the_answer_of_the_whole_file_rules(schema, data):
    """validate_record (a form's request path, no frames) answers as validate does a one-row file."""
    raw = data.draw(raw_frames(schema)).iloc[:1]
    record = dict(zip(raw.columns, raw.iloc[0].tolist()))
    try:
        one = validate_record(schema, record, "f.csv", row="row 1")
    except ValidationError as exc:
        one = str(exc)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(layers, "FEW_RECORDS", 0)
        whole = outcome(schema, raw)
    if isinstance(whole, str) or isinstance(one, str):
        assert one == whole
        return
    expected = whole.iloc[0]
    for spec in schema.fields:
        got, want = one.values[spec.name], expected[spec.name]
        assert (got is None and pd.isna(want)) or (got == want and type(got) is type(want.item() if hasattr(want, "item") else want)), spec.name
    position = (whole.geometry.x.iloc[0], whole.geometry.y.iloc[0]) if schema.points_as_geometry else \
        (whole["lon"].iloc[0], whole["lat"].iloc[0])
    assert (one.lon, one.lat) == position

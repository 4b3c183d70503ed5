"""Patrol pings as one line per unit and local day (geo.tracks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84
from geo.patrol import Tracks
from geo.tracks import UNIT_DAY_COLUMNS, unit_day_lines, unit_days

TO_WGS84 = Transformer.from_crs(SWEREF99TM, WGS84, always_xy=True)
E0, N0 = 374_000.0, 6_284_000.0


def tracks(*pings: tuple) -> Tracks:
    """Pings (unit, UTC time, east m, north m from a point in the centre, mode, crew)."""
    lon, lat = TO_WGS84.transform([E0 + p[2] for p in pings], [N0 + p[3] for p in pings])
    return Tracks.of([p[0] for p in pings], pd.to_datetime([p[1] for p in pings], utc=True).as_unit("ns").asi8, lon, lat,
                     [p[5] for p in pings], [p[4] for p in pings])


def test_a_unit_day_is_a_line_in_local_time_with_its_figures():
    lines = unit_day_lines(tracks(
        ("fot-1", "2020-06-01T20:00:00Z", 0, 0, "foot", 2), ("fot-1", "2020-06-01T20:01:00Z", 100, 0, "foot", 2),
        ("fot-1", "2020-06-01T21:59:00Z", 100, 50, "bike", 3),  # 23:59 in Stockholm
        ("fot-1", "2020-06-01T22:00:00Z", 0, 0, "foot", 2),     # 00:00 the next local day: a line of its own
        ("bil-2", "2020-06-01T10:00:00Z", 0, 0, "car", 2)))
    assert list(lines.columns) == [*UNIT_DAY_COLUMNS, "geometry"] and lines.crs == WGS84
    assert lines["id"].tolist() == ["fot-1/2020-06-01", "fot-1/2020-06-02", "bil-2/2020-06-01"]
    assert lines["pings"].tolist() == [3, 1, 1] and lines["modes"].tolist() == ["foot,bike", "foot", "car"]
    assert lines["crew"].tolist() == [3, 2, 2]
    assert lines["start"].iloc[0] == pd.Timestamp("2020-06-01T20:00:00Z")
    assert lines["end"].iloc[0] == pd.Timestamp("2020-06-01T21:59:00Z")
    assert abs(lines["length_m"].iloc[0] - 150.0) < 0.2, "100 m east, then 50 m north"
    single = lines.geometry.iloc[1]
    assert shapely.get_num_points(single) == 2 and single.length == 0, "one ping: a line of two equal positions"


def test_no_pings_no_lines_with_the_columns_types_of_lines():
    empty = unit_day_lines(tracks())
    assert empty.empty and list(empty.columns) == [*UNIT_DAY_COLUMNS, "geometry"] and empty.crs == WGS84
    some = unit_day_lines(tracks(("fot-1", "2020-06-01T20:00:00Z", 0, 0, "foot", 2)))
    pd.testing.assert_series_equal(empty.dtypes, some.dtypes)  # a GIS layer of none keeps its schema


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 5 * 86_400), st.integers(-500, 500),
                          st.integers(-500, 500)), min_size=1, max_size=60, unique_by=lambda p: (p[0], p[1])))
def test_every_ping_is_on_its_units_line_of_its_day_in_time_order(pings):
    start = pd.Timestamp("2020-10-24T00:00:00Z")  # over the change from summer time
    given_ = tracks(*[(u, start + pd.Timedelta(seconds=s), x, y, "foot", 1) for u, s, x, y in pings])
    lines = unit_day_lines(given_).set_index("id")
    assert lines["pings"].sum() == len(pings)
    frame = pd.DataFrame({"unit": given_.unit_names[given_.unit], "t": pd.to_datetime(given_.t_ns, utc=True),
                          "lon": given_.lon, "lat": given_.lat})
    frame["day"] = frame["t"].dt.tz_convert("Europe/Stockholm").dt.strftime("%Y-%m-%d")
    for (unit, day), group in frame.groupby(["unit", "day"]):
        coords = shapely.get_coordinates(lines.geometry.loc[f"{unit}/{day}"])
        expected = group.sort_values("t")[["lon", "lat"]].to_numpy()
        assert np.array_equal(coords[:len(expected)], expected)


def test_the_unit_days_of_stored_spans_are_those_of_the_lines():
    given_ = tracks(("a", "2020-06-01T21:30:00Z", 0, 0, "foot", 1), ("a", "2020-06-01T22:30:00Z", 5, 0, "foot", 1),
                    ("a", "2020-06-03T10:00:00Z", 0, 0, "foot", 1), ("b", "2020-06-02T10:00:00Z", 0, 0, "car", 2))
    utc_day = given_.t_ns // (86_400 * 10**9)
    frame = pd.DataFrame({"unit_id": given_.unit_names[given_.unit], "day_utc": utc_day, "t": given_.t_ns})
    spans = frame.groupby(["unit_id", "day_utc"], sort=False)["t"].agg(t_min="min", t_max="max").reset_index()
    days = unit_days(spans)
    assert days["id"].tolist() == unit_day_lines(given_)["id"].tolist() == [
        "a/2020-06-01", "a/2020-06-02", "a/2020-06-03", "b/2020-06-02"]

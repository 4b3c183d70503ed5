"""Presence in Purple Flag's night bands and on Friday/Saturday nights across midnight and on both
daylight-saving nights: hand-made standing patrols with known answers, and a property test
against an independent count of each second's local hour (pandas' own time-zone conversion)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.patrol import NIGHT_BANDS, zone_figures
from geo.timestamps import LOCAL_TZ
from tests.geo.conftest import E0, N0
from tests.geo.test_patrol import cube_of, walk


def standing(zones, start_utc: str, seconds: int):
    """A foot patrol standing in zone a from ``start_utc`` for ``seconds`` (1 Hz)."""
    east, north = walk(E0 + 500, N0 + 500, 0.0, seconds)
    return zone_figures(cube_of(zones, [("u", start_utc, east, north, 1)])).loc["a"]


def bands(row) -> dict[str, float]:
    return {band: round(float(row[f"night_{band}_h"]), 6) for band in NIGHT_BANDS}


@pytest.mark.parametrize("start, end, expected", [
    # local summer time (CEST, UTC+2) on Friday 8 May 2020
    ("16:30", "17:30", {"17-20": 0.5}),
    ("19:30", "20:30", {"17-20": 0.5, "20-23": 0.5}),
    ("22:30", "01:30", {"20-23": 0.5, "23-02": 2.5}),
    ("01:30", "02:30", {"23-02": 0.5, "02-05": 0.5}),
    ("04:30", "05:30", {"02-05": 0.5}),
    ("12:00", "13:00", {}),
])
def test_each_bands_edges_and_midnight(two_zones, start, end, expected):
    day = datetime(2020, 5, 8) if start >= "12:00" else datetime(2020, 5, 9)
    begin = pd.Timestamp(f"{day:%Y-%m-%d} {start}", tz=LOCAL_TZ)
    finish = pd.Timestamp(f"{day + timedelta(days=end < start):%Y-%m-%d} {end}", tz=LOCAL_TZ)
    row = standing(two_zones, begin.tz_convert("UTC").isoformat(), int((finish - begin).total_seconds()))
    assert bands(row) == {band: expected.get(band, 0.0) for band in NIGHT_BANDS}


def test_the_spring_forward_night_has_no_two_oclock_hour(two_zones):
    # 29 March 2020: 01:00 CET is 00:00 UTC; 04:00 CEST is 02:00 UTC — two hours on the clock's three
    row = standing(two_zones, "2020-03-29T00:00:00Z", 2 * 3600)
    assert bands(row) == {"17-20": 0.0, "20-23": 0.0, "23-02": 1.0, "02-05": 1.0}
    assert row["presence_h"] == pytest.approx(2.0)


def test_the_fall_back_night_has_two_two_oclock_hours(two_zones):
    # 25 October 2020: 01:00 CEST is 23:00 UTC the day before; 04:00 CET is 03:00 UTC — four hours
    row = standing(two_zones, "2020-10-24T23:00:00Z", 4 * 3600)
    assert bands(row) == {"17-20": 0.0, "20-23": 0.0, "23-02": 1.0, "02-05": 3.0}


@pytest.mark.parametrize("start_local, hours, expected", [
    ("2020-05-08 22:00", 4, 4.0),  # Friday 22:00 to Saturday 02:00
    ("2020-05-10 23:00", 2, 0.0),  # Sunday 23:00 to Monday 01:00: not a Friday or Saturday night
    ("2020-05-09 16:00", 2, 1.0),  # Saturday 16:00-18:00: the night begins at 17:00
    ("2020-05-10 04:00", 2, 1.0),  # Sunday 04:00-06:00: Saturday's night ends at 05:00
    ("2020-03-28 22:00", 5, 5.0),  # Saturday 22:00 to Sunday 04:00 local: five hours, the clock skips one
    ("2020-10-24 22:00", 7, 7.0),  # Saturday 22:00 to Sunday 04:00 local: seven hours, the clock repeats one
])
def test_friday_and_saturday_nights_across_midnight_and_daylight_saving(two_zones, start_local, hours, expected):
    start = pd.Timestamp(start_local, tz=LOCAL_TZ).tz_convert("UTC").isoformat()
    assert standing(two_zones, start, hours * 3600)["fri_sat_night_h"] == pytest.approx(expected)


@settings(max_examples=25, deadline=None)
@given(st.datetimes(min_value=datetime(2020, 3, 27), max_value=datetime(2020, 3, 30))
       | st.datetimes(min_value=datetime(2020, 10, 23), max_value=datetime(2020, 10, 26))
       | st.datetimes(min_value=datetime(2020, 1, 2), max_value=datetime(2020, 12, 30)),
       st.integers(60, 8 * 3600))
def test_band_hours_equal_each_seconds_local_hour(two_zones, start, seconds):
    """Each second of standing counts in the band of its own local hour (the interval from a ping
    to the next is attributed to the local hour of its start)."""
    start_utc = pd.Timestamp(start.replace(microsecond=0), tz="UTC")
    row = standing(two_zones, start_utc.isoformat(), seconds)
    local = (start_utc + pd.to_timedelta(np.arange(seconds), unit="s")).tz_convert(LOCAL_TZ)
    hour, weekday = local.hour.to_numpy(), local.day_of_week.to_numpy()
    for band, band_hours in NIGHT_BANDS.items():
        assert row[f"night_{band}_h"] * 3600 == pytest.approx(np.isin(hour, band_hours).sum(), abs=1e-6), band
    fri_sat = ((np.isin(weekday, (4, 5)) & (hour >= 17)) | (np.isin(weekday, (5, 6)) & (hour < 5))).sum()
    assert row["fri_sat_night_h"] * 3600 == pytest.approx(fri_sat, abs=1e-6)
    assert row["presence_h"] * 3600 == pytest.approx(seconds, abs=1e-6)

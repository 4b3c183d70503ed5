"""Patrol presence per zone: hand-made tracks with known answers, and property tests."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84, MetricProjector
from geo.patrol import (PresenceRules, Tracks, centre_totals, local_offsets_ns, monthly_hours, presence_cube,
                        zone_figures)
from geo.status import YearClock
from geo.zones import ZoneGrid, zone_positions

TO_WGS84 = Transformer.from_crs(SWEREF99TM, WGS84, always_xy=True)
from tests.geo.conftest import E0, N0


def walk(start_e: float, start_n: float, speed_kmh: float, seconds: int, heading_deg: float = 90.0):
    """A straight 1 Hz track from a point in metres: east/north arrays of seconds + 1 pings."""
    steps = np.arange(seconds + 1) * speed_kmh / 3.6
    heading = np.radians(heading_deg)
    return start_e + steps * np.sin(heading), start_n + steps * np.cos(heading)


def cube_of(zones, tracks, year=2020, rules=PresenceRules()):
    """tracks: list of (unit, start Timestamp, east, north, crew)."""
    units, times, lons, lats, crews = [], [], [], [], []
    for unit, start, east, north, crew in tracks:
        lon, lat = TO_WGS84.transform(east, north)
        units.append(np.full(len(lon), unit, dtype=object))
        times.append(pd.Timestamp(start).value + np.arange(len(lon), dtype=np.int64) * 10**9)
        lons.append(np.asarray(lon)), lats.append(np.asarray(lat)), crews.append(np.full(len(lon), crew))
    cat = (lambda parts: np.concatenate(parts)) if tracks else (lambda parts: np.array([]))
    tracks_ = Tracks.of(cat(units), cat(times).astype(np.int64), cat(lons), cat(lats), cat(crews))
    return presence_cube(tracks_, zones, year, rules)


def hours(cube) -> dict[str, float]:
    return (zone_figures(cube)["presence_h"]).to_dict()


def test_thirty_minutes_in_a_then_fifteen_in_b(two_zones):
    # 4 km/h for 45 min, starting 2 km west of the A|B boundary: 30 min (2,000 m) in A, 15 in B
    east, north = walk(E0 + 1000, N0 + 1500, 4.0, 45 * 60)
    cube = cube_of(two_zones, [("u1", "2020-05-04T18:00:00Z", east, north, 2)])
    figures = zone_figures(cube)
    assert figures.loc["a", "presence_h"] == pytest.approx(0.5, abs=1 / 3600)
    assert figures.loc["b", "presence_h"] == pytest.approx(0.25, abs=1 / 3600)
    assert figures.loc["a", "officer_h"] == pytest.approx(1.0, abs=2 / 3600), "officer-hours = unit-hours x crew"
    assert figures["drive_through_h"].sum() == 0


def counted_h(zones, seconds, rules=PresenceRules()) -> float:
    """Presence hours of a unit standing still, pinging at ``seconds`` (from 18:00 UTC)."""
    n = len(seconds)
    lon, lat = TO_WGS84.transform(np.full(n, E0 + 100), np.full(n, N0 + 100))
    t = pd.Timestamp("2020-05-04T18:00:00Z").value + np.asarray(seconds, dtype=np.int64) * 10**9
    return float(zone_figures(presence_cube(Tracks.of(np.zeros(n, int), t, lon, lat, np.ones(n)), zones, 2020,
                                            rules)).loc["a", "presence_h"] * 3600)


def test_the_longest_gap_that_counts_follows_the_tracks_sampling(two_zones):
    dense = list(range(61))  # 1 Hz
    assert counted_h(two_zones, dense + [60 + 120 + s for s in range(61)]) == pytest.approx(240), "120 s counts"
    assert counted_h(two_zones, dense + [60 + 121 + s for s in range(61)]) == pytest.approx(120), "121 s does not"
    assert counted_h(two_zones, dense + [60 + 100 + s for s in range(61)], PresenceRules(max_gap_s=60)) == \
        pytest.approx(120)
    every_180 = [180 * k for k in range(21)]  # a logger every 3 minutes, an hour: up to 3 x 180 s counts
    assert counted_h(two_zones, every_180) == pytest.approx(3600)
    assert counted_h(two_zones, every_180 + [3600 + 541 + 180 * k for k in range(21)]) == pytest.approx(7200), \
        "541 s is more than 3 sampling intervals"
    every_300 = [300 * k for k in range(13)]  # 3 x 300 s would be 900 s: the cap of 600 s still lets 300 s count
    assert counted_h(two_zones, every_300) == pytest.approx(3600)
    assert counted_h(two_zones, [700 * k for k in range(6)]) == 0, "over the cap, whatever the sampling"


def test_speed_above_the_threshold_is_drive_through(two_zones):
    east, north = walk(E0 + 500, N0 + 500, 30.0, 240, heading_deg=0)  # 2 km north, inside A
    cube = cube_of(two_zones, [("car", "2020-05-04T18:00:00Z", east, north, 2)])
    figures = zone_figures(cube)
    assert figures.loc["a", "presence_h"] == 0
    assert figures.loc["a", "drive_through_h"] == pytest.approx(240 / 3600)
    lenient = cube_of(two_zones, [("car", "2020-05-04T18:00:00Z", east, north, 2)],
                      rules=PresenceRules(foot_kmh=40))
    assert zone_figures(lenient).loc["a", "presence_h"] == pytest.approx(240 / 3600)


def test_an_interval_across_a_boundary_goes_to_the_zone_of_its_midpoint(two_zones):
    boundary = E0 + 3000
    for start, expected in ((boundary - 30, "b"), (boundary - 50, "a")):  # 80 m in 60 s: midpoint +10 or -10 m
        lon, lat = TO_WGS84.transform([start, start + 80], [N0 + 1000, N0 + 1000])
        t = pd.Timestamp("2020-05-04T18:00:00Z").value + np.array([0, 60], dtype=np.int64) * 10**9
        cube = presence_cube(Tracks.of(np.zeros(2, int), t, lon, lat, np.ones(2)), two_zones, 2020)
        assert zone_figures(cube).loc[expected, "presence_h"] == pytest.approx(60 / 3600)


def test_spring_forward_day_has_23_local_hours(two_zones):
    # 2020-03-29: clocks go from 02:00 to 03:00 in Stockholm. Walk 00:30-01:30 UTC = 01:30-03:30 local
    east, north = walk(E0 + 500, N0 + 500, 0.5, 3600, heading_deg=0)
    cube = cube_of(two_zones, [("u", "2020-03-29T00:30:00Z", east, north, 1)])
    day = (date(2020, 3, 29) - date(2020, 1, 1)).days
    by_hour = cube.presence_s[0, day]
    assert by_hour[1] == pytest.approx(1800) and by_hour[2] == 0 and by_hour[3] == pytest.approx(1800)
    assert zone_figures(cube).loc["a", "presence_h"] == pytest.approx(1.0)


def test_fall_back_day_has_two_local_two_oclock_hours(two_zones):
    # 2020-10-25: 00:00-02:00 UTC is 02:00-02:59 CEST and then 02:00-02:59 CET again
    east, north = walk(E0 + 500, N0 + 500, 0.5, 7200, heading_deg=0)
    cube = cube_of(two_zones, [("u", "2020-10-25T00:00:00Z", east, north, 1)])
    day = (date(2020, 10, 25) - date(2020, 1, 1)).days
    assert cube.presence_s[0, day, 2] == pytest.approx(7200)
    assert zone_figures(cube).loc["a", "night_02-05_h"] == pytest.approx(2.0)


def test_local_offsets_follow_stockholm_time():
    winter, summer = pd.Timestamp("2020-01-15T12:00Z").value, pd.Timestamp("2020-07-15T12:00Z").value
    assert (local_offsets_ns(np.array([winter, summer]), 2020) == np.array([1, 2]) * 3600 * 10**9).all()


def test_a_unit_outside_the_centre_counts_no_presence(two_zones):
    east, north = walk(E0 - 50_000, N0, 4.0, 1800)
    cube = cube_of(two_zones, [("far", "2020-05-04T18:00:00Z", east, north, 2)])
    assert zone_figures(cube)["presence_h"].sum() == 0
    assert centre_totals(cube)["outside_zones_presence_h"] == pytest.approx(0.5)


def test_empty_input_gives_zeros(two_zones):
    cube = cube_of(two_zones, [])
    assert zone_figures(cube)["presence_h"].sum() == 0 and centre_totals(cube)["presence_h"] == 0


def test_units_are_not_joined_and_order_does_not_matter(two_zones):
    east, north = walk(E0 + 500, N0 + 500, 4.0, 600)
    tracks = [("u1", "2020-05-04T18:00:00Z", east, north, 1), ("u2", "2020-05-04T18:00:00Z", east, north + 100, 1)]
    together = cube_of(two_zones, tracks)
    assert zone_figures(together).loc["a", "presence_h"] == pytest.approx(2 * 600 / 3600)
    lon, lat = TO_WGS84.transform(np.r_[east, east], np.r_[north, north + 100])
    t = pd.Timestamp("2020-05-04T18:00:00Z").value + np.r_[np.arange(601), np.arange(601)].astype(np.int64) * 10**9
    units = np.r_[np.zeros(601, int), np.ones(601, int)]
    shuffled = np.random.default_rng(1).permutation(len(t))
    cube = presence_cube(Tracks.of(units[shuffled], t[shuffled], np.asarray(lon)[shuffled],
                                   np.asarray(lat)[shuffled], np.ones(len(t))), two_zones, 2020)
    assert np.allclose(cube.presence_s, together.presence_s)


def test_days_gaps_bands_weekend_nights_and_months(two_zones):
    east, north = walk(E0 + 500, N0 + 500, 2.0, 3600, heading_deg=0)
    # Friday 2020-05-01 21:00 local (19:00 UTC), Monday 2020-05-04 18:00 local, Saturday 2020-05-16 00:30 local
    tracks = [("u", start, east, north, 1) for start in
              ("2020-05-01T19:00:00Z", "2020-05-04T16:00:00Z", "2020-05-15T22:30:00Z")]
    cube = cube_of(two_zones, tracks)
    figures = zone_figures(cube, as_of=date(2020, 5, 31))
    a = figures.loc["a"]
    assert a["presence_h"] == pytest.approx(3.0)
    assert a["days_with_presence"] == 3
    assert a["longest_gap_days"] == (date(2020, 5, 1) - date(2020, 1, 1)).days  # Jan 1 - Apr 30
    assert a["night_20-23_h"] == pytest.approx(1.0) and a["night_17-20_h"] == pytest.approx(1.0)
    assert a["night_23-02_h"] == pytest.approx(1.0)
    assert a["fri_sat_night_h"] == pytest.approx(2.0), "Friday 21-22 and the night into Saturday 00:30-01:30"
    months = monthly_hours(cube, as_of=date(2020, 5, 31))
    assert months.loc["a", 5] == pytest.approx(3.0) and months.loc["a"].sum() == pytest.approx(a["presence_h"])
    assert zone_figures(cube, as_of=date(2020, 5, 10)).loc["a", "presence_h"] == pytest.approx(2.0)


def test_centre_totals_against_a_yearly_target(two_zones):
    east, north = walk(E0 + 500, N0 + 500, 2.0, 3600, heading_deg=0)
    cube = cube_of(two_zones, [("u", "2020-01-10T10:00:00Z", east, north, 2)])
    early = centre_totals(cube, YearClock(2020, date(2020, 1, 10), False), target_h=3.0)
    assert early["presence_h"] == pytest.approx(1.0)
    assert early["expected_h_pro_rata"] == pytest.approx(3.0 * 10 / 366)
    assert early["projected_year_end_h"] == pytest.approx(36.6) and early["status"] == "on track"
    assert centre_totals(cube, YearClock(2020, date(2020, 12, 1), False), target_h=3.0)["status"] == "behind"
    assert centre_totals(cube, target_h=3.0)["status"] == "not met"
    assert centre_totals(cube, target_h=1.0)["status"] == "met"
    assert centre_totals(cube)["officer_h"] == pytest.approx(2.0)


tracks = st.lists(st.tuples(st.floats(0, 6000), st.floats(0, 3000)), min_size=2, max_size=60)


@settings(max_examples=60, deadline=None)
@given(points=tracks, steps=st.lists(st.integers(1, 200), min_size=60, max_size=60))
def test_zone_hours_never_exceed_the_tracks_time(two_zones, points, steps):
    east, north = np.array(points).T
    lon, lat = TO_WGS84.transform(E0 + east, N0 + north)
    t = pd.Timestamp("2020-06-01T12:00Z").value + np.cumsum(steps[:len(east)]).astype(np.int64) * 10**9
    cube = presence_cube(Tracks.of(np.zeros(len(t), int), t, lon, lat, np.ones(len(t))), two_zones, 2020,
                         PresenceRules(foot_kmh=1e9))
    total_s = (t[-1] - t[0]) / 10**9
    assert zone_figures(cube)["presence_h"].sum() * 3600 <= total_s + 1e-6
    moved = presence_cube(Tracks.of(np.zeros(len(t), int), t, np.asarray(lon) + 5.0, lat, np.ones(len(t))),
                          two_zones, 2020, PresenceRules(foot_kmh=1e9))
    assert zone_figures(moved)["presence_h"].sum() == 0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(12.845, 12.870), st.floats(56.666, 56.681)), min_size=1, max_size=200))
def test_zone_grid_equals_the_exact_lookup(zones, points):
    x, y = np.array(points).T
    assert (ZoneGrid(zones).positions(x, y) == zone_positions(zones, x, y)).all()


def test_zone_grid_on_boundaries_and_far_away(zones):
    vertices = shapely.get_coordinates(zones.boundary.to_numpy())
    x = np.r_[vertices[:, 0], 0.0, 179.0, np.nan]
    y = np.r_[vertices[:, 1], 0.0, -89.0, 56.67]
    assert (ZoneGrid(zones).positions(x, y) == zone_positions(zones, x, y)).all()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(12.80, 12.92), st.floats(56.64, 56.71)), min_size=1, max_size=100))
def test_metric_projector_matches_pyproj_within_a_centimetre(points):
    projector = MetricProjector((12.82, 56.655, 12.90, 56.695))
    lon, lat = np.array(points).T
    east, north = projector(lon, lat)
    want_e, want_n = Transformer.from_crs(WGS84, SWEREF99TM, always_xy=True).transform(lon, lat)
    assert np.hypot(east - want_e, north - want_n).max() < 0.01
    assert projector.jacobian_relative_error < 0.002

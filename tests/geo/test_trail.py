"""The presence trail: visible presence on 5 m squares, compact, and exact for hot-spot visits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84
from geo.hotspots import GPS_BUFFER_M, hotspot_visits, incident_hotspots
from geo.layers import INCIDENTS, validate
from geo.patrol import Tracks, presence_parts
from geo.trail import TRAIL_CELL_M, in_unit_time_order, positions, squares
from geo.zones import read_zones
from tests.conftest import ZONES_FILE

ZONES = read_zones(ZONES_FILE)
TO_WGS84 = Transformer.from_crs(SWEREF99TM, WGS84, always_xy=True)
TO_METRIC = Transformer.from_crs(WGS84, SWEREF99TM, always_xy=True)
TORG = TO_METRIC.transform(12.8572, 56.6740)  # Stora Torg, metres


def walk(east: np.ndarray, north: np.ndarray, start: str = "2020-06-05T18:00:00Z", unit: str = "fot-1") -> Tracks:
    lon, lat = TO_WGS84.transform(east, north)
    t = pd.Timestamp(start).value + np.arange(len(east), dtype=np.int64) * 10**9
    return Tracks.of(np.full(len(t), unit), t, lon, lat, np.full(len(t), 2))


def test_a_standing_officer_is_one_row_and_a_walk_one_row_per_square():
    rng = np.random.default_rng(1)
    centre = np.array(TORG) // TRAIL_CELL_M * TRAIL_CELL_M + TRAIL_CELL_M / 2
    standing = walk(centre[0] + rng.uniform(-0.5, 0.5, 601), centre[1] + rng.uniform(-0.5, 0.5, 601))
    trail = presence_parts(standing, ZONES).trail
    assert len(trail) == 1 and trail["seconds"].iloc[0] == 600
    assert trail["end_ns"].iloc[0] - trail["start_ns"].iloc[0] == 600 * 10**9
    line = walk(centre[0] + np.arange(0, 100.5, 1.0), np.full(101, centre[1]))  # 1 m/s east, from a centre
    trail = presence_parts(line, ZONES).trail
    assert len(trail) == 21 and trail["seconds"].tolist() == [2.0] + [5.0] * 19 + [3.0]
    assert trail["seconds"].sum() == 100 and (np.diff(trail["east_dm"] // 50) == 1).all()
    middle = trail.iloc[5]  # midpoints centre + 22.5 ... + 26.5 m: their mean is the square's centre
    assert abs(middle["east_dm"] / 10 - (centre[0] + 24.5)) <= 0.1 and abs(middle["north_dm"] / 10 - centre[1]) <= 0.1
    assert (trail["end_ns"].to_numpy()[:-1] == trail["start_ns"].to_numpy()[1:]).all(), "rows follow without a break"


def test_squares_are_aligned_to_multiples_of_5_m_and_positions_are_to_the_metre():
    trail = pd.DataFrame({"east_dm": [5001, 5049, 5050, 5012], "north_dm": [351, 352, 399, 400]})
    east, north, which = squares(trail)
    assert sorted(zip(east, north)) == [(502.5, 37.5), (502.5, 42.5), (507.5, 37.5)]
    assert which[0] == which[1] and len(set(which)) == 3
    assert sorted(zip(*positions(trail))) == [(500.5, 35.5), (501.5, 40.5), (504.5, 35.5), (505.5, 39.5)]


def test_rows_are_put_in_unit_and_time_order_only_when_they_are_not():
    ordered = pd.DataFrame({"unit_id": ["a", "a", "b"], "start_ns": [1, 2, 0]})
    assert in_unit_time_order(ordered) is ordered
    mixed = pd.DataFrame({"unit_id": ["a", "b", "a"], "start_ns": [1, 0, 2]})
    assert in_unit_time_order(mixed)["unit_id"].tolist() == ["a", "a", "b"]


def reference_visits(tracks: Tracks, spots, buffer_m: float = GPS_BUFFER_M) -> list[tuple[str, float]]:
    """Visits from the intervals themselves (every interval of these walks is visible presence):
    runs of interval midpoints in a widened hot spot, merged over breaks under 2 minutes."""
    east, north = TO_METRIC.transform(tracks.lon, tracks.lat)
    mid_e, mid_n = (east[:-1] + east[1:]) / 2, (north[:-1] + north[1:]) / 2
    areas = spots.to_crs(SWEREF99TM).buffer(buffer_m, join_style="mitre").to_numpy()
    spot = np.full(len(mid_e), -1)
    for i, area in reversed(list(enumerate(areas))):
        spot[shapely.contains_xy(area, mid_e, mid_n)] = i
    visits, current = [], None
    for k, s in enumerate(spot):
        if s < 0:
            continue
        t = tracks.t_ns[k] / 1e9
        if current and current[0] == s and t - current[2] <= 120:
            current[2], current[3] = t + 1, current[3] + 1
        else:
            visits.append(current) if current else None
            current = [s, t, t + 1, 1]
    visits.append(current) if current else None
    return [(spots["hotspot_id"].iloc[v[0]], v[3] / 60) for v in visits if v and v[3] >= 60]


@given(seed=st.integers(0, 10_000), buffer_squares=st.integers(0, 3))
@settings(max_examples=40, deadline=None)
def test_visits_from_the_trail_equal_visits_from_the_intervals(seed, buffer_squares):
    rng = np.random.default_rng(seed)
    incidents = validate(INCIDENTS, pd.DataFrame({
        "id": [f"i{i}" for i in range(12)], "occurred_at": "2020-06-01T22:00:00+02:00", "category": "stöld",
        "location_precision": "exact", "lon": 12.8572 + rng.normal(0, 2e-4, 12), "lat": 56.6740}), "t")
    spots = incident_hotspots(incidents, ZONES, min_incidents=3)
    assert len(spots) == 1, "twelve incidents within metres of each other are a hot spot of the centre"
    n = 1500
    step = rng.normal(0, 1.0, (n, 2)) + rng.choice([-1, 1], 2) * 0.3  # about 1.5 m a second, drifting
    east, north = TORG[0] + np.cumsum(step[:, 0]) + rng.uniform(-80, 80), TORG[1] + np.cumsum(step[:, 1])
    tracks = walk(east, north)
    buffer_m = buffer_squares * TRAIL_CELL_M
    got = hotspot_visits(presence_parts(tracks, ZONES).trail, spots, buffer_m=buffer_m)
    expected = reference_visits(tracks, spots, buffer_m)
    assert list(zip(got["hotspot_id"], np.round(got["minutes"], 6))) == [(s, round(m, 6)) for s, m in expected]

"""The presence method against hand-made tracks with known answers, noise included (issue #14):
what a crime analyst would count as presence, by mode, with GPS jitter and sparse loggers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84
from geo.patrol import PresenceRules, Tracks, presence_cube, zone_figures

TO_WGS84 = Transformer.from_crs(SWEREF99TM, WGS84, always_xy=True)
E0, N0 = 374_000.0, 6_284_000.0  # near Halmstad, SWEREF 99 TM metres
START = pd.Timestamp("2020-05-04T18:00:00Z").value


@pytest.fixture(scope="module")
def zone() -> gpd.GeoDataFrame:
    """One 6 km x 6 km zone around the tracks."""
    return gpd.GeoDataFrame({"zone_id": ["z"], "name": ["Z"]}, geometry=[shapely.box(E0, N0, E0 + 6000, N0 + 6000)],
                            crs=SWEREF99TM).to_crs(WGS84)


def leg(kmh: float, minutes: float, every_s: float = 1.0) -> np.ndarray:
    """Distances along a straight line (m) at ``kmh``, a ping every ``every_s`` seconds; the times
    are the index × ``every_s``."""
    return np.arange(int(minutes * 60 / every_s) + 1) * every_s * kmh / 3.6


def figures(zone, parts: list[tuple[float, np.ndarray, float]], mode: str, noise_m: float = 0.0,
            seed: int = 14) -> dict[str, float]:
    """Minutes of visible presence, vehicle presence and drive-through of one unit whose pings are
    ``parts``: (start second, distances along a line eastwards (m), seconds between pings), with
    independent GPS noise of ``noise_m`` (standard deviation per axis)."""
    rng = np.random.default_rng(seed)
    times = np.concatenate([start + np.arange(len(d)) * every for start, d, every in parts])
    along = np.concatenate([d for _, d, _ in parts])
    east = E0 + 1000 + along + rng.normal(0, noise_m, len(along))
    north = N0 + 3000 + rng.normal(0, noise_m, len(along))
    lon, lat = TO_WGS84.transform(east, north)
    tracks = Tracks.of(np.zeros(len(times), int), START + (times * 1e9).astype(np.int64), lon, lat,
                       np.full(len(times), 2), np.full(len(times), mode))
    row = zone_figures(presence_cube(tracks, zone, 2020)).loc["z"]
    return {"visible": row["presence_h"] * 60, "vehicle": row["vehicle_h"] * 60, "drive": row["drive_through_h"] * 60}


def test_walk_gap_walk_stand_is_35_minutes(zone):
    first = leg(5, 10)
    second = first[-1] + 1000 + leg(5, 10)  # after a 10-minute gap, somewhere else
    standing = np.full(15 * 60 + 1, second[-1])
    answer = figures(zone, [(0, first, 1), (1200, second, 1), (1800, standing, 1)], "foot", noise_m=3)
    assert answer["visible"] == pytest.approx(35, abs=0.1)


def test_a_car_driving_through_is_drive_through_only(zone):
    answer = figures(zone, [(0, leg(50, 4), 1)], "car", noise_m=3)
    assert answer["visible"] == 0 and answer["vehicle"] == 0 and answer["drive"] == pytest.approx(4, abs=0.05)


def test_a_bike_patrol_at_15_kmh_counts(zone):
    answer = figures(zone, [(0, leg(15, 20), 1)], "bike", noise_m=3)
    assert answer["visible"] == pytest.approx(20, abs=0.05) and answer["drive"] == 0


def test_a_foot_patrol_logging_every_three_minutes_counts(zone):
    answer = figures(zone, [(0, leg(5, 60, every_s=180), 180)], "foot", noise_m=5)
    assert answer["visible"] == pytest.approx(60, abs=0.01)


def test_a_foot_patrol_logging_every_minute_with_noise_counts(zone):
    answer = figures(zone, [(0, leg(5, 60, every_s=60), 60)], "foot", noise_m=5)
    assert answer["visible"] == pytest.approx(60, abs=0.01)


def test_standing_still_with_gps_noise_is_presence(zone):
    """3 m of independent noise at 1 Hz: the speed between consecutive pings reads about 15 km/h
    (the earlier method counted 2.65 of these 15 minutes); over the 60 s window under 1 km/h."""
    answer = figures(zone, [(0, np.zeros(15 * 60 + 1), 1)], "foot", noise_m=3)
    assert answer["visible"] == pytest.approx(15, abs=0.01)


def test_a_parked_marked_car_is_vehicle_presence_not_foot_presence(zone):
    answer = figures(zone, [(0, np.zeros(15 * 60 + 1), 1)], "car", noise_m=3)
    assert answer["vehicle"] == pytest.approx(15, abs=0.01) and answer["visible"] == 0


def test_a_car_creeping_at_walking_pace_is_vehicle_presence(zone):
    answer = figures(zone, [(0, leg(5, 10), 1)], "car", noise_m=3)
    assert answer["vehicle"] == pytest.approx(10, abs=0.05) and answer["drive"] < 0.05


def test_a_horse_patrol_at_a_walk_counts(zone):
    answer = figures(zone, [(0, leg(7, 20), 1)], "horse", noise_m=3)
    assert answer["visible"] == pytest.approx(20, abs=0.05)


def test_a_jogging_pace_on_foot_is_not_presence_but_on_a_bike_it_is(zone):
    assert figures(zone, [(0, leg(14, 10), 1)], "foot", noise_m=3)["visible"] < 0.1
    assert figures(zone, [(0, leg(14, 10), 1)], "bike", noise_m=3)["visible"] == pytest.approx(10, abs=0.05)


def test_time_in_an_exclusion_area_counts_as_nothing(zone):
    """The police station's yard: a unit standing there is neither presence nor vehicle presence."""
    lon, lat = TO_WGS84.transform([E0 + 950, E0 + 1050, E0 + 1050, E0 + 950], [N0 + 2950, N0 + 2950, N0 + 3050, N0 + 3050])
    yard = shapely.Polygon(zip(lon, lat)).wkt
    rules = PresenceRules(exclusions=(yard,))
    n = 15 * 60 + 1
    for east, expected_min in ((E0 + 1000, 0.0), (E0 + 1200, 15.0)):  # in the yard, 150 m from it
        x, y = TO_WGS84.transform(np.full(n, east), np.full(n, N0 + 3000))
        tracks = Tracks.of(np.zeros(n, int), START + np.arange(n, dtype=np.int64) * 10**9, x, y, np.ones(n),
                           np.full(n, "car"))
        row = zone_figures(presence_cube(tracks, zone, 2020, rules)).loc["z"]
        assert row["vehicle_h"] * 60 == pytest.approx(expected_min) and row["drive_through_h"] == 0
    assert rules.summary()["exclusion_areas"] == 1 and "exclusions" not in rules.summary()

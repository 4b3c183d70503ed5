"""Incident hot spots (150 m, greedy, non-overlapping) and patrol dosage against the Koper curve."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.hotspots import dosage_figures, hotspot_visits, incident_hotspots
from geo.layers import INCIDENTS, validate
from geo.patrol import Tracks, presence_parts
from geo.zones import read_zones
from tests.conftest import ZONES_FILE

TO_WGS84 = Transformer.from_crs(SWEREF99TM, WGS84, always_xy=True)
TO_METRIC = Transformer.from_crs(WGS84, SWEREF99TM, always_xy=True)
TORG = TO_METRIC.transform(12.8572, 56.6740)  # Stora Torg, metres
STATION = TO_METRIC.transform(12.8640, 56.6700)  # Halmstad C, about 620 m away


def incidents_at(points: list[tuple[tuple[float, float], int, str]]) -> gpd.GeoDataFrame:
    rows = []
    for (east, north), count, precision in points:
        lon, lat = TO_WGS84.transform(np.full(count, east) + np.arange(count) % 5, np.full(count, north))
        rows += [{"id": f"{precision}-{east}-{i}", "occurred_at": "2020-06-01T22:00:00+02:00", "category": "stöld",
                  "location_precision": precision, "lon": x, "lat": y} for i, (x, y) in enumerate(zip(lon, lat))]
    return validate(INCIDENTS, pd.DataFrame(rows), "test")


def test_hot_spots_are_the_busiest_150_m_squares_without_town_level_positions():
    incidents = incidents_at([(TORG, 30, "exact"), (STATION, 12, "street"), ((TORG[0] + 300, TORG[1]), 5, "exact"),
                              (TORG, 100, "town")])
    spots = incident_hotspots(incidents, min_incidents=10)
    assert spots["hotspot_id"].tolist() == ["hs-1", "hs-2"] and spots["incidents"].tolist() == [30, 12]
    assert spots.attrs["excluded_town_level"] == 100
    metric = spots.to_crs(SWEREF99TM)
    widths = metric.bounds.maxx - metric.bounds.minx
    assert np.allclose(widths, 150) and not metric.geometry.iloc[0].intersects(metric.geometry.iloc[1])
    assert spots.geometry.iloc[0].contains(gpd.points_from_xy([12.8572], [56.6740], crs=WGS84)[0])


def test_no_usable_incidents_no_hot_spots():
    spots = incident_hotspots(incidents_at([(TORG, 50, "town")]))
    assert spots.empty and spots.attrs["excluded_town_level"] == 50


@pytest.fixture(scope="module")
def setting():
    zones = read_zones(ZONES_FILE)
    spots = incident_hotspots(incidents_at([(TORG, 30, "exact")]))
    return zones, spots


def track(unit: int, start: str, points: list[tuple[float, float, int]]) -> dict:
    """Pings at 1 Hz: for each (east offset m, north offset m, seconds) from Stora Torg, stay there."""
    east = np.concatenate([np.full(n, TORG[0] + de) for de, _, n in points])
    north = np.concatenate([np.full(n, TORG[1] + dn) for _, dn, n in points])
    lon, lat = TO_WGS84.transform(east, north)
    t = pd.Timestamp(start).value + np.arange(len(east), dtype=np.int64) * 10**9
    return {"unit": np.full(len(t), unit), "t_ns": t, "lon": np.asarray(lon), "lat": np.asarray(lat),
            "crew": np.full(len(t), 2)}


def tracks_of(*parts: dict) -> Tracks:
    return Tracks.of(**{key: np.concatenate([p[key] for p in parts]) for key in parts[0]})


def visits_of(tracks: Tracks, spots, zones, **options):
    return hotspot_visits(presence_parts(tracks, zones).trail, spots, **options)


def test_a_twelve_minute_stop_is_one_visit_and_a_pass_is_none(setting):
    zones, spots = setting
    stop = track(1, "2020-06-05T18:30:00Z", [(0, 0, 12 * 60 + 1)])
    passing = track(2, "2020-06-05T19:00:00Z", [(0, 0, 30), (2000, 0, 60)])
    visits = visits_of(tracks_of(stop, passing), spots, zones)
    assert len(visits) == 1 and visits["minutes"].iloc[0] == pytest.approx(12.0)
    assert visits["hotspot_id"].iloc[0] == "hs-1" and visits["unit_id"].iloc[0] == "1"


def test_a_short_step_outside_does_not_split_a_visit(setting):
    zones, spots = setting
    stop = track(1, "2020-06-05T18:30:00Z", [(0, 0, 300), (400, 0, 30), (0, 0, 301)])
    visits = visits_of(tracks_of(stop), spots, zones)
    # a jump of 400 m within a second is movement for the 30 s on each side of it (the speed window)
    assert len(visits) == 1 and visits["minutes"].iloc[0] == pytest.approx(9.0, abs=0.1)
    long_break = track(1, "2020-06-05T18:30:00Z", [(0, 0, 300), (400, 0, 600), (0, 0, 301)])
    assert len(visits_of(tracks_of(long_break), spots, zones)) == 2


def test_dosage_against_the_koper_curve(setting):
    zones, spots = setting
    evening = tracks_of(track(1, "2020-06-05T16:30:00Z", [(0, 0, 12 * 60 + 1)]),   # 18:30 local, 12 min
                        track(2, "2020-06-05T18:30:00Z", [(0, 0, 5 * 60 + 1)]),    # 20:30 local, 5 min
                        track(3, "2020-06-05T22:15:00Z", [(0, 0, 20 * 60 + 1)]))   # 00:15 local next day, 20 min
    visits = visits_of(evening, spots, zones)
    figures = dosage_figures(visits, spots, 2020, as_of=date(2020, 6, 6)).loc["hs-1"]
    days = (date(2020, 6, 6) - date(2020, 1, 1)).days + 1
    assert figures["visits"] == 3 and figures["presence_min"] == pytest.approx(37)
    assert figures["minutes_per_day"] == pytest.approx(37 / days)
    assert figures["share_visits_10_15_min"] == pytest.approx(1 / 3)
    assert figures["share_visits_under_10_min"] == pytest.approx(1 / 3)
    assert figures["share_visits_over_15_min"] == pytest.approx(1 / 3)
    assert figures["busy_windows_with_visit_share"] == pytest.approx(3 / (4 * days)), "18-20, 20-22, 00-02 of June 5"
    before = dosage_figures(visits, spots, 2020, as_of=date(2020, 6, 5)).loc["hs-1"]
    assert before["visits"] == 2, "a visit is counted on the local date it starts, like the list of visits"


@pytest.mark.parametrize("seed", range(6))
def test_hot_spots_never_share_a_cell_and_count_what_their_square_holds(seed):
    # clusters closer together than a hot spot's side: the next best window often overlaps a chosen one
    base = to_metric(gpd.GeoDataFrame(geometry=gpd.points_from_xy([12.858], [56.674]), crs=WGS84)).geometry.iloc[0]
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 300, (6, 2))
    sizes = rng.integers(15, 60, 6)
    xy = np.concatenate([c + rng.normal(0, 30, (n, 2)) for c, n in zip(centres, sizes)])
    points = gpd.GeoSeries(gpd.points_from_xy(base.x + xy[:, 0], base.y + xy[:, 1]), crs=SWEREF99TM).to_crs(WGS84)
    incidents = gpd.GeoDataFrame({"location_precision": ["exact"] * len(xy)}, geometry=points, crs=WGS84)
    spots = to_metric(incident_hotspots(incidents, min_incidents=5, max_hotspots=5))
    assert len(spots) >= 2
    squares = spots.geometry.to_numpy()
    for i in range(len(squares)):
        for j in range(i + 1, len(squares)):
            assert squares[i].intersection(squares[j]).area < 1e-3
    x, y = base.x + xy[:, 0], base.y + xy[:, 1]
    for square, count in zip(squares, spots["incidents"]):
        minx, miny, maxx, maxy = square.bounds
        held = (x >= minx - 1e-6) & (x < maxx - 1e-6) & (y >= miny - 1e-6) & (y < maxy - 1e-6)
        assert count == int(held.sum())


def test_a_unit_within_the_gps_accuracy_of_the_edge_is_in_the_hot_spot(setting):
    zones, spots = setting
    minx, miny, maxx, maxy = spots.to_crs(SWEREF99TM).geometry.iloc[0].bounds
    centre_north = (miny + maxy) / 2 - TORG[1]
    near = track(1, "2020-06-05T18:30:00Z", [(maxx + 8 - TORG[0], centre_north, 12 * 60 + 1)])
    beyond = track(2, "2020-06-05T18:30:00Z", [(maxx + 15 - TORG[0], centre_north, 12 * 60 + 1)])
    visits = visits_of(tracks_of(near, beyond), spots, zones)
    assert visits["unit_id"].tolist() == ["1"], "8 m outside is within the 10 m GPS buffer, 15 m is not"
    assert visits_of(tracks_of(near), spots, zones, buffer_m=0).empty
    with pytest.raises(ValueError, match="multiple of 5 m"):
        visits_of(tracks_of(near), spots, zones, buffer_m=7)


def test_a_busy_window_is_credited_to_every_visit_that_overlaps_it(setting):
    zones, spots = setting
    late = track(1, "2020-06-05T19:30:00Z", [(0, 0, 3 * 3600 + 1)])  # 21:30-00:30 local, one visit
    visits = visits_of(tracks_of(late), spots, zones)
    assert len(visits) == 1
    figures = dosage_figures(visits, spots, 2020, as_of=date(2020, 6, 6)).loc["hs-1"]
    days = (date(2020, 6, 6) - date(2020, 1, 1)).days + 1
    assert figures["busy_windows_with_visit_share"] == pytest.approx(3 / (days * 4)), "20-22, 22-24 and 00-02"

"""Incident hot spots (Getis-Ord Gi* with an FDR), their stability, kernel density, hot spots per night band,
and patrol dosage against the Koper curve."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84
from geo.hotspots import (dosage_figures, hotspot_visits, hotspots_by_band, hotspots_by_night, incident_density,
                          incident_hotspots, night_incidents)
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


ZONES = read_zones(ZONES_FILE)
AREA_M = 1000.0
SQUARE = gpd.GeoDataFrame(geometry=[shapely.box(674000, 6280000, 674000 + AREA_M, 6280000 + AREA_M)], crs=SWEREF99TM)
"""A square kilometre on whole 50 m multiples of SWEREF 99 TM: the study area of the synthetic tests."""


def incidents_xy(xy: np.ndarray) -> gpd.GeoDataFrame:
    """Exact-position incidents at ``xy`` metres from the square's south-west corner."""
    points = gpd.GeoSeries(gpd.points_from_xy(674000 + xy[:, 0], 6280000 + xy[:, 1]), crs=SWEREF99TM).to_crs(WGS84)
    return gpd.GeoDataFrame({"location_precision": ["exact"] * len(xy)}, geometry=points, crs=WGS84)


def inside(spots: gpd.GeoDataFrame, xy: np.ndarray) -> np.ndarray:
    """Which of the incidents at ``xy`` lie in a hot spot."""
    if spots.empty:
        return np.zeros(len(xy), dtype=bool)
    outline = shapely.union_all(spots.to_crs(SWEREF99TM).geometry.to_numpy())
    return shapely.contains_xy(outline, 674000 + xy[:, 0], 6280000 + xy[:, 1])


def planted(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """300 incidents spread over the square and 40 within 60 m of (487, 512): all incidents and the cluster's mask."""
    rng = np.random.default_rng(seed)
    xy = np.vstack([rng.uniform(457, 517, (40, 2)) + [0, 25], rng.uniform(0, AREA_M, (300, 2))])
    return xy, np.arange(len(xy)) < 40


def test_hot_spots_are_significant_clusters_without_town_level_positions():
    incidents = incidents_at([(TORG, 30, "exact"), (STATION, 20, "street"), ((TORG[0] + 300, TORG[1]), 5, "exact"),
                              (TORG, 100, "town")])
    spots = incident_hotspots(incidents, ZONES)
    assert spots["hotspot_id"].tolist() == ["hs-1", "hs-2"] and spots["incidents"].tolist() == [30, 20]
    assert spots.attrs["excluded_town_level"] == 100 and spots.attrs["cells"] > 300
    assert spots.geometry.iloc[0].contains(gpd.points_from_xy([12.8572], [56.6740], crs=WGS84)[0])
    assert (spots["p"] <= spots.attrs["p_threshold"]).all() and (spots["z"] > 3).all()
    metric = spots.to_crs(SWEREF99TM)
    assert np.allclose(metric.area, spots["area_m2"], rtol=1e-6) and not metric.geometry.iloc[0].intersects(
        metric.geometry.iloc[1])
    corners = shapely.get_coordinates(metric.geometry.to_numpy())
    assert np.allclose((corners + 1) % 50, 1, atol=1e-3), "edges on the 50 m grid (and so on the trail's 5 m one)"
    assert incident_hotspots(incidents, ZONES, min_incidents=1)["incidents"].tolist() == [30, 20], \
        "five incidents 300 m east are no hot spot beside thirty and twenty"
    assert incident_hotspots(incidents, ZONES, min_incidents=25)["incidents"].tolist() == [30]


def test_a_planted_cluster_is_found_with_the_incidents_it_holds():
    xy, cluster = planted(1)
    spots = incident_hotspots(incidents_xy(xy), SQUARE)
    assert len(spots) == 1 and inside(spots, xy)[cluster].all()
    assert spots["incidents"].iloc[0] == inside(spots, xy).sum() >= 40


@pytest.mark.parametrize("seed", range(5))
def test_hot_spots_hardly_change_when_the_grid_moves_half_a_cell(seed):
    xy, cluster = planted(seed)
    spots, shifted = (incident_hotspots(incidents_xy(xy), SQUARE, shift_m=shift) for shift in (0.0, 25.0))
    a, b = inside(spots, xy), inside(shifted, xy)
    assert (a & b).sum() / (a | b).sum() >= 0.8, "Jaccard of the incidents inside hot spots"
    assert a[cluster].mean() >= 0.9 and b[cluster].mean() >= 0.9
    corners = shapely.get_coordinates(shifted.to_crs(SWEREF99TM).geometry.to_numpy())
    assert np.allclose((corners - 25 + 1) % 50, 1, atol=1e-3), "the shifted grid's edges: 25 m off the 50 m lattice"


def test_uniform_incidents_give_almost_no_hot_spots():
    # the FDR allows a false hot spot in about 5 % of such samples; the normal approximation of
    # Gi* has a thinner tail than counts of a few incidents a cell, so some more turn up
    found = [len(incident_hotspots(incidents_xy(np.random.default_rng(seed).uniform(0, AREA_M, (300, 2))), SQUARE))
             for seed in range(20)]
    assert sum(found) <= 1


def test_hot_spot_grid_must_lie_on_the_trail_lattice():
    with pytest.raises(ValueError, match="multiples of 5 m"):
        incident_hotspots(incidents_at([(TORG, 30, "exact")]), ZONES, shift_m=12.0)


def test_no_usable_incidents_no_hot_spots():
    for area in (None, ZONES):
        spots = incident_hotspots(incidents_at([(TORG, 50, "town")]), area)
        assert spots.empty and spots.attrs["excluded_town_level"] == 50 and spots.attrs["p_threshold"] is None
        assert list(spots.columns) == ["hotspot_id", "incidents", "area_m2", "z", "p", "geometry"]


def test_the_quartic_kernel_density_of_one_incident():
    bandwidth, cell = 150.0, 10.0
    xy = np.array([[505.0, 505.0]])  # the centre of a 10 m cell
    grid = incident_density(incidents_xy(xy), cell, bandwidth)
    peak = 3 / (np.pi * bandwidth ** 2) * 1e6
    assert grid.per_km2.max() == pytest.approx(peak), "3 / (π h²) at the incident, per km²"
    assert grid.per_km2.sum() * cell ** 2 / 1e6 == pytest.approx(1.0, rel=1e-3), "one incident in all"
    row, col = np.unravel_index(np.argmax(grid.per_km2), grid.per_km2.shape)
    east, north = grid.transform @ (col + 0.5, grid.per_km2.shape[0] - row - 0.5)
    assert (east, north) == pytest.approx((674505.0, 6280505.0))
    assert grid.per_km2[row, col + 10] == pytest.approx(peak * (1 - (100 / 150) ** 2) ** 2), "100 m east"
    assert grid.per_km2[row, col + 15] == pytest.approx(0.0, abs=1e-12), "nothing at the bandwidth"


def test_density_adds_up_the_incidents_and_leaves_out_town_level_ones():
    incidents = incidents_at([(TORG, 30, "exact"), (STATION, 12, "street"), (TORG, 100, "town")])
    grid = incident_density(incidents)
    assert grid.per_km2.sum() * grid.cell_m ** 2 / 1e6 == pytest.approx(42, rel=1e-3)
    assert grid.x0 % grid.cell_m == 0 and grid.y0 % grid.cell_m == 0
    assert incident_density(incidents_at([(TORG, 3, "town")])).per_km2.size == 0


def at_local(times: list[str]) -> gpd.GeoDataFrame:
    incidents = incidents_at([(TORG, len(times), "exact")])
    return incidents.assign(occurred_at=pd.to_datetime(times).tz_localize("Europe/Stockholm").tz_convert("UTC"))


def test_incidents_by_band_and_by_weekday_or_weekend_night():
    times = ["2020-06-05 18:00", "2020-06-05 23:30", "2020-06-06 01:30", "2020-06-07 03:00",  # Fri, Fri, Sat, Sun
             "2020-06-08 01:30", "2020-06-08 12:00", "2020-06-08 21:00"]  # Mon (Sunday's night), Mon noon, Mon
    incidents = at_local(times)
    def local(frame):
        return frame["occurred_at"].dt.tz_convert("Europe/Stockholm").dt.strftime("%d %H:%M").tolist()
    assert local(night_incidents(incidents, band="23-02")) == ["05 23:30", "06 01:30", "08 01:30"]
    assert local(night_incidents(incidents, band="02-05")) == ["07 03:00"]
    assert local(night_incidents(incidents, night="weekend")) == ["05 18:00", "05 23:30", "06 01:30", "07 03:00"]
    assert local(night_incidents(incidents, night="weekday")) == ["08 01:30", "08 21:00"]
    assert local(night_incidents(incidents, band="17-20", night="weekday")) == []
    with pytest.raises(ValueError, match="night must be one of"):
        night_incidents(incidents, night="friday")


def test_the_night_after_a_spring_forward_sunday_is_a_weekday_night():
    # 29 March 2020 had 23 hours: Monday 00:30 is Sunday's night, not Saturday's; Sunday 01:30 is Saturday's
    incidents = at_local(["2020-03-30 00:30", "2020-03-29 01:30", "2020-10-26 00:30"])
    assert night_incidents(incidents, night="weekday")["occurred_at"].tolist() == [
        pd.Timestamp("2020-03-29T22:30:00Z"), pd.Timestamp("2020-10-25T23:30:00Z")]
    assert night_incidents(incidents, night="weekend")["occurred_at"].tolist() == [pd.Timestamp("2020-03-29T00:30:00Z")]


def test_hot_spots_per_band_and_night_find_the_band_s_cluster():
    late = at_local(["2020-06-06 21:30"] * 30)  # a Saturday evening, 20-23
    spread = incidents_xy(np.random.default_rng(3).uniform(0, AREA_M, (200, 2)))
    spread = spread.assign(occurred_at=pd.Timestamp("2020-06-03 16:00", tz="UTC"))  # Wednesday 18:00 local
    incidents = pd.concat([late, spread.assign(id=[f"s{i}" for i in range(200)])], ignore_index=True)
    bands = hotspots_by_band(incidents, ZONES)
    assert list(bands) == ["17-20", "20-23", "23-02", "02-05"]
    assert bands["20-23"]["incidents"].tolist() == [30] and bands["23-02"].empty and bands["17-20"].empty
    nights = hotspots_by_night(incidents, ZONES)
    assert list(nights) == ["weekday", "weekend"]
    assert nights["weekend"]["incidents"].tolist() == [30] and nights["weekday"].empty


@pytest.fixture(scope="module")
def setting():
    zones = read_zones(ZONES_FILE)
    spots = incident_hotspots(incidents_at([(TORG, 30, "exact")]), zones)
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

"""Spatial coverage: which 25 m cells and street pieces of each zone presence came within 25 m of."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.crs import SWEREF99TM, WGS84
from geo.spatial_coverage import Reach, coverage_by_zone, covered_cells, covered_streets, uncovered_places

E0, N0 = 374_000.0, 6_284_000.0  # SWEREF 99 TM metres near Halmstad, on the 25 m grid


@pytest.fixture(scope="module")
def zones() -> gpd.GeoDataFrame:
    """A: 100 m x 100 m; B: the 100 m x 100 m square east of it (WGS84, built in metres)."""
    boxes = [shapely.box(E0, N0, E0 + 100, N0 + 100), shapely.box(E0 + 100, N0, E0 + 200, N0 + 100)]
    return gpd.GeoDataFrame({"zone_id": ["a", "b"]}, geometry=boxes, crs=SWEREF99TM).to_crs(WGS84)


def test_reach_is_25_metres():
    reach = Reach([E0], [N0])
    assert reach.reached([E0 + 24.0, E0 + 26.0, E0], [N0, N0, N0 - 24.9]).tolist() == [True, False, True]
    assert not Reach([], []).reached([E0], [N0]).any()


def test_presence_at_a_zones_centre_reaches_its_four_middle_cells(zones):
    cells = covered_cells(zones, Reach([E0 + 50], [N0 + 50]))
    figures = coverage_by_zone(zones, cells)
    assert figures.loc["a", "area_covered_share"] == pytest.approx(0.25, abs=1e-3)  # 4 of 16 cells
    assert figures.loc["b", "area_covered_share"] == 0
    assert figures.loc["a", "uncovered_area_m2"] == pytest.approx(7500, rel=1e-3)


def test_no_presence_leaves_everything_uncovered(zones):
    cells = covered_cells(zones, Reach([], []))
    places = uncovered_places(cells)
    assert coverage_by_zone(zones, cells)["area_covered_share"].tolist() == [0, 0]
    assert places.crs == WGS84 and set(places["kind"]) == {"area"}
    assert places["size"].sum() == pytest.approx(20_000, rel=1e-3)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(-50, 250), st.floats(-50, 150)), max_size=30))
def test_cell_parts_partition_each_zone_and_shares_stay_in_range(zones, points):
    east = [E0 + e for e, _ in points]
    north = [N0 + n for _, n in points]
    cells = covered_cells(zones, Reach(east, north))
    areas = cells.groupby("zone_id")["area_m2"].sum()
    metric = zones.to_crs(SWEREF99TM).set_index("zone_id").area
    assert np.allclose(areas.sort_index(), metric.sort_index(), rtol=1e-6)
    shares = coverage_by_zone(zones, cells)["area_covered_share"]
    assert ((shares >= 0) & (shares <= 1)).all()


def test_street_coverage_counts_the_reached_length(zones):
    street = gpd.GeoDataFrame({"name": ["Gatan"], "kind": ["street"]},
                              geometry=[shapely.LineString([(E0, N0 + 50), (E0 + 100, N0 + 50)])],
                              crs=SWEREF99TM).to_crs(WGS84)
    reach = Reach([E0], [N0 + 50])
    pieces = covered_streets(street, zones, reach)
    assert pieces["length_m"].sum() == pytest.approx(100, rel=1e-3)
    figures = coverage_by_zone(zones, covered_cells(zones, reach), pieces)
    assert figures.loc["a", "street_covered_share"] == pytest.approx(0.25, abs=0.02)  # 5 pieces of 5 m
    assert np.isnan(figures.loc["b", "street_covered_share"]), "a zone without streets has no street share"
    places = uncovered_places(covered_cells(zones, reach), pieces)
    street_gap = places[(places["kind"] == "street") & (places["zone_id"] == "a")]
    assert street_gap["size"].iloc[0] == pytest.approx(75, abs=2)

"""Zones built in metres for the geo tests: known areas, known distances."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo.crs import SWEREF99TM, WGS84

E0, N0 = 374_000.0, 6_284_000.0  # near Halmstad, SWEREF 99 TM metres


@pytest.fixture(scope="module")
def two_zones() -> gpd.GeoDataFrame:
    """Zone A west of E0 + 3 km, zone B east of it: two 3 km x 3 km squares (built in metres)."""
    boxes = [shapely.box(E0, N0, E0 + 3000, N0 + 3000), shapely.box(E0 + 3000, N0, E0 + 6000, N0 + 3000)]
    zones = gpd.GeoDataFrame({"zone_id": ["a", "b"], "name": ["A", "B"]}, geometry=boxes, crs=SWEREF99TM)
    return zones.to_crs(WGS84)


@pytest.fixture
def block_zones() -> gpd.GeoDataFrame:
    """Zone a (100 m x 100 m) and b (300 m x 100 m) side by side, in SWEREF 99 TM, as WGS84."""
    return gpd.GeoDataFrame({"zone_id": ["a", "b"], "name": ["A", "B"]},
                            geometry=[shapely.box(674000, 6283000, 674100, 6283100),
                                      shapely.box(674100, 6283000, 674400, 6283100)], crs=SWEREF99TM).to_crs(WGS84)

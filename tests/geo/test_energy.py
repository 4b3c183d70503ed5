"""EN 13201-5 energy indicators: D_P and D_E from lamp power, field areas and Ē, and a dimming profile."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.crs import SWEREF99TM
from geo.energy import ESTIMATED_EFFICACY_LM_PER_W, energy_indicators, equivalent_full_hours
from geo.layers import LIGHTS, validate

E0, N0 = 374_000.0, 6_284_000.0


def fields() -> gpd.GeoDataFrame:
    """Two fields of 300 m² in zone a (Ē 10 and 5 lx), one of 200 m² in zone b (Ē 8 lx)."""
    return gpd.GeoDataFrame({"zone_id": ["a", "a", "b"], "walkable_m2": [300.0, 300.0, 200.0],
                             "average_lx": [10.0, 5.0, 8.0]},
                            geometry=[shapely.box(E0, N0, E0 + 30, N0 + 10), shapely.box(E0 + 30, N0, E0 + 60, N0 + 10),
                                      shapely.box(E0 + 200, N0, E0 + 220, N0 + 10)], crs=SWEREF99TM)


def lamps() -> gpd.GeoDataFrame:
    xy = gpd.GeoSeries(shapely.points([E0 + 10, E0 + 45, E0 + 210, E0 + 20], [N0 + 12] * 4), crs=SWEREF99TM).to_crs("EPSG:4326")
    return validate(LIGHTS, pd.DataFrame({"id": ["a1", "a2", "b1", "gone"], "lumen": [3000, 3000, 4000, 3000],
                                          "height_m": 5, "status": ["working", "working", "working", "removed"],
                                          "watts": [25.0, 30.0, None, 25.0], "lon": xy.x, "lat": xy.y}), "test")


def test_power_density_and_annual_energy_per_zone():
    profile = ((1800.0, 1.0), (2300.0, 0.5))
    assert equivalent_full_hours(profile) == 2950.0
    figures = energy_indicators(fields(), lamps(), profile, ["a", "b", "c"])
    a, b, c = (figures.loc[z] for z in ("a", "b", "c"))
    assert (a["lamps"], a["power_w"], a["lamps_estimated_w"]) == (2, 55.0, 0), "the removed lamp draws nothing"
    assert a["dp_w_per_lx_m2"] == pytest.approx(55.0 / (300 * 10 + 300 * 5))
    assert a["de_kwh_per_m2_year"] == pytest.approx(55.0 * 2950 / 1000 / 600)
    assert b["power_w"] == 4000 / ESTIMATED_EFFICACY_LM_PER_W and b["lamps_estimated_w"] == 1
    assert b["dp_w_per_lx_m2"] == pytest.approx(40.0 / (200 * 8))
    assert c["lamps"] == 0 and np.isnan(c["dp_w_per_lx_m2"]) and np.isnan(c["de_kwh_per_m2_year"])

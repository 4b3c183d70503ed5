"""Illuminance model against its closed form, EN 13201 figures, dark spots and raster output."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84
from geo.io.raster import write_geotiff, write_png_overlay
from geo.layers import LIGHTS, validate
from geo.lighting import (MAINTENANCE_FACTOR, PEDESTRIAN_CLASSES, LampContributions, dark_spots, empty_grid,
                          illuminance, illuminance_at, zone_lighting)
from tests.conftest import STREETS_FILE

TO_WGS84 = Transformer.from_crs(SWEREF99TM, WGS84, always_xy=True)
E0, N0 = 374_000.0, 6_284_000.0


def square_zone(size_m: float = 80.0, cls: str = "P4") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"zone_id": ["z"], "name": ["Z"], "lighting_class": [cls]},
                            geometry=[shapely.box(E0, N0, E0 + size_m, N0 + size_m)], crs=SWEREF99TM).to_crs(WGS84)


def lamps(points: list[tuple[float, float]], lumen: float = 4000.0, height: float = 5.0,
          status: str = "working") -> gpd.GeoDataFrame:
    lon, lat = TO_WGS84.transform([E0 + e for e, _ in points], [N0 + n for _, n in points])
    raw = pd.DataFrame({"id": [f"l{i}" for i in range(len(points))], "lumen": lumen, "height_m": height,
                        "status": status, "lon": lon, "lat": lat})
    return validate(LIGHTS, raw, "test")


def value_at(grid, east: float, north: float) -> float:
    col = int((E0 + east - grid.x0) // grid.cell_m)
    row = int((N0 + north - grid.y0) // grid.cell_m)
    return float(grid.lux[row, col])


def test_one_lamp_matches_the_closed_form_at_nadir_and_at_distances():
    zone = square_zone()
    grid = empty_grid(zone, cell_m=1.0)
    lit = illuminance(lamps([(40.5, 40.5)]), grid)  # a cell centre
    nadir = 4000 * MAINTENANCE_FACTOR / (np.pi * 5.0 ** 2)
    assert value_at(lit, 40.5, 40.5) == pytest.approx(nadir, rel=0.005)
    for d in (2.0, 5.0, 10.0, 20.0):
        expected = 4000 * MAINTENANCE_FACTOR / np.pi * 25 / (25 + d * d) ** 2
        assert value_at(lit, 40.5 + d, 40.5) == pytest.approx(expected, rel=0.005)


def test_two_lamps_superpose_and_broken_or_removed_lamps_give_no_light():
    grid = empty_grid(square_zone(), cell_m=1.0)
    one, two = lamps([(20.5, 20.5)]), lamps([(50.5, 40.5)])
    both = illuminance(pd.concat([one, two.assign(id="other")], ignore_index=True), grid)
    assert np.allclose(both.lux, illuminance(one, grid).lux + illuminance(two, grid).lux)
    dead = pd.concat([one, lamps([(50.5, 40.5)], status="broken").assign(id="b"),
                      lamps([(60.5, 60.5)], status="removed").assign(id="r")], ignore_index=True)
    assert np.array_equal(illuminance(dead, grid).lux, illuminance(one, grid).lux)


def test_no_lamps_zero_lux_and_all_below_the_minimum():
    zone = square_zone()
    figures = zone_lighting(illuminance(lamps([]), empty_grid(zone)), zone).loc["z"]
    assert figures["average_lx"] == 0 and figures["minimum_lx"] == 0 and figures["uniformity"] == 0
    assert figures["share_below_class_minimum"] == 1


def test_no_lamps_give_float_lux_that_a_lamp_can_be_added_to():
    """NumPy's bincount gives int64 zeros for nothing to sum: a what-if adding a lamp's lux to an
    unlit centre once failed on it (500)."""
    x, y = E0 + np.array([10.5, 20.5]), N0 + np.array([10.5, 20.5])  # SWEREF 99 TM, metres
    for lit in (illuminance_at(lamps([]), x, y), LampContributions(lamps([]), x, y).lux()):
        assert lit.dtype == np.float64 and not lit.any()
        lit += illuminance_at(lamps([(20.5, 20.5)]), x, y)
        assert lit[1] > lit[0] > 0


def test_a_well_lit_zone_has_no_dark_spots():
    zone = square_zone(40.0, "P6")
    grid = illuminance(lamps([(x, y) for x in (5, 20, 35) for y in (5, 20, 35)], lumen=6000), empty_grid(zone))
    figures = zone_lighting(grid, zone).loc["z"]
    average, minimum = PEDESTRIAN_CLASSES["P6"]
    assert figures["average_lx"] >= average and figures["minimum_lx"] >= minimum
    assert figures["share_below_class_minimum"] == 0
    assert 0 < figures["uniformity"] <= 1 and figures["walkable_m2"] == pytest.approx(1600)
    assert dark_spots(grid, zone).empty


def test_halving_the_cell_size_changes_zone_averages_by_less_than_2_percent(zones):
    streets = gpd.read_file(STREETS_FILE).to_crs(SWEREF99TM)
    points = shapely.line_interpolate_point(streets.geometry.to_numpy()[:, None], np.arange(0, 800, 30)[None, :])
    xy = shapely.get_coordinates(points.ravel())
    lon, lat = TO_WGS84.transform(xy[:, 0], xy[:, 1])
    street_lamps = validate(LIGHTS, pd.DataFrame({"id": [f"s{i}" for i in range(len(xy))], "lumen": 5000,
                                                  "height_m": 6, "status": "working", "lon": lon, "lat": lat}), "t")
    coarse = zone_lighting(illuminance(street_lamps, empty_grid(zones, 1.0)), zones)["average_lx"]
    fine = zone_lighting(illuminance(street_lamps, empty_grid(zones, 0.5)), zones)["average_lx"]
    assert ((fine - coarse).abs() / fine < 0.02).all()


def test_dark_spots_are_polygons_of_unlit_area_per_zone():
    zone = square_zone(80.0, "P4")
    grid = illuminance(lamps([(20.5, 40.5)], lumen=8000, height=4), empty_grid(zone))
    spots = dark_spots(grid, zone)
    assert len(spots) >= 1 and (spots["area_m2"] >= 10).all() and spots.crs == WGS84
    assert spots["area_m2"].sum() == pytest.approx((grid.lux[grid.zone == 0] < 1.0).sum(), abs=10 * len(spots))
    assert np.allclose(spots.to_crs(SWEREF99TM).area, spots["area_m2"], rtol=1e-6)
    assert (spots["mean_lx"] < 1.0).all()
    assert dark_spots(grid, zone, min_area_m2=1e9).empty


def test_geotiff_and_png_overlay(tmp_path):
    zone = square_zone()
    grid = illuminance(lamps([(40.5, 40.5)]), empty_grid(zone))
    write_geotiff(grid, tmp_path / "lux.tif")
    with rasterio.open(tmp_path / "lux.tif") as raster:
        assert raster.crs.to_epsg() == 3006 and raster.read(1).max() == pytest.approx(grid.lux.max(), rel=1e-6)
        row, col = raster.index(E0 + 40.5, N0 + 40.5)
        assert raster.read(1)[row, col] == pytest.approx(value_at(grid, 40.5, 40.5), rel=1e-6)
    south_west, north_east = write_png_overlay(grid, tmp_path / "lux.png")
    lon, lat = TO_WGS84.transform(E0 + 40, N0 + 40)
    assert south_west[0] < lat < north_east[0] and south_west[1] < lon < north_east[1]
    assert json.loads((tmp_path / "lux.bounds.json").read_text())["bounds"] == [south_west, north_east]


def test_after_dark_follows_the_sun_at_halmstad():
    from geo.sun import after_dark

    moments = pd.Series(pd.to_datetime(["2020-06-21T12:00:00+02:00", "2020-06-21T23:30:00+02:00",
                                        "2020-12-21T16:00:00+01:00", "2020-12-21T08:00:00+01:00",
                                        "2020-12-21T10:00:00+01:00", "2020-03-29T19:30:00+02:00"], utc=True))
    assert after_dark(moments).tolist() == [False, True, True, True, False, False]  # sunset 29 March ≈ 19:40


def test_incidents_after_dark_in_dark_spots_and_elsewhere():
    from geo.layers import INCIDENTS
    from geo.lighting import incidents_after_dark

    zone = square_zone(80.0, "P4")
    grid = illuminance(lamps([(10.5, 10.5)], lumen=8000, height=4), empty_grid(zone))
    spots = dark_spots(grid, zone)
    rows = [(70, 70, "2020-01-10T22:00:00+01:00", "exact"), (72, 70, "2020-01-10T23:00:00+01:00", "street"),
            (10, 10, "2020-01-10T22:00:00+01:00", "exact"), (70, 70, "2020-01-10T12:00:00+01:00", "exact"),
            (70, 70, "2020-01-10T22:00:00+01:00", "town")]
    lon, lat = TO_WGS84.transform([E0 + r[0] for r in rows], [N0 + r[1] for r in rows])
    incidents = validate(INCIDENTS, pd.DataFrame({"id": [f"i{i}" for i in range(len(rows))], "category": "rån",
                                                  "occurred_at": [r[2] for r in rows],
                                                  "location_precision": [r[3] for r in rows],
                                                  "lon": lon, "lat": lat}), "test")
    figures = incidents_after_dark(incidents, spots, zone)
    assert figures["in_dark_spots"] == 2 and figures["elsewhere"] == 1 and figures["excluded_town_level"] == 1
    assert figures["dark_spot_ha"] + figures["elsewhere_ha"] == pytest.approx(0.64, abs=0.01)
    assert figures["rate_in_dark_spots_per_ha"] == pytest.approx(2 / figures["dark_spot_ha"], rel=0.01)
    # a walkable surface of the west half only: the lit incident at (10, 10) is on it, the rest of the east half is not
    west = shapely.box(E0, N0, E0 + 40, N0 + 80)
    on_half = incidents_after_dark(incidents, spots, zone, west)
    assert on_half["in_dark_spots"] == 2 and on_half["elsewhere"] == 1 and on_half["off_walkable_surface"] == 0
    assert on_half["dark_spot_ha"] + on_half["elsewhere_ha"] == pytest.approx(0.32, abs=0.01), "the surface's area"
    narrow = shapely.box(E0, N0, E0 + 5, N0 + 5)  # the lit incident stands off this one
    assert incidents_after_dark(incidents, spots, zone, narrow)["off_walkable_surface"] == 1


def eulumdat_text(gammas, values, symmetry=1, planes=1) -> str:
    """A minimal EULUMDAT file: header, one lamp set, direct ratios, angles and intensities."""
    header = ["Test company", "1", str(symmetry), str(planes), "0", str(len(gammas)), "5", "report", "Lambert",
              "L-1", "lambert.ldt", "2026-11-25"] + ["100"] * 6 + ["0"] * 3 + ["100", "100", "1", "0", "1"]
    lamp = ["1", "LED", "1000", "3000", "80", "10"]
    ratios = ["0.5"] * 10
    c_angles = [str(c) for c in np.linspace(0, 360, planes, endpoint=False)]
    return "\n".join(header + lamp + ratios + c_angles + [f"{g:g}" for g in gammas] + [f"{v:.6f}" for v in values])


def test_an_eulumdat_lambertian_distribution_matches_the_default_model(tmp_path):
    from geo.photometry import read_eulumdat

    gammas = np.arange(0, 181, 2.5)
    values = np.where(gammas <= 90, 1000 / np.pi * np.cos(np.radians(gammas)), 0)
    (tmp_path / "Lambert.ldt").write_text(eulumdat_text(gammas, values), encoding="latin-1")
    table = read_eulumdat(tmp_path / "Lambert.ldt")
    zone = square_zone()
    grid = empty_grid(zone)
    default = illuminance(lamps([(40.5, 40.5)]), grid)
    typed = illuminance(lamps([(40.5, 40.5)]).assign(luminaire="Lambert"), grid, photometry={"Lambert": table})
    assert value_at(typed, 40.5, 40.5) == pytest.approx(value_at(default, 40.5, 40.5), rel=0.005)
    for d in (3.0, 8.0, 15.0):
        assert value_at(typed, 40.5 + d, 40.5) == pytest.approx(value_at(default, 40.5 + d, 40.5), rel=0.005)


def test_a_narrow_beam_lights_less_far(tmp_path):
    from geo.photometry import read_eulumdat

    gammas = np.arange(0, 181, 5.0)
    values = np.where(gammas <= 30, 900.0, 0.0)
    (tmp_path / "Spot.ldt").write_text(eulumdat_text(gammas, values), encoding="latin-1")
    spot = illuminance(lamps([(40.5, 40.5)], height=5).assign(luminaire="Spot"), empty_grid(square_zone()),
                       photometry={"Spot": read_eulumdat(tmp_path / "Spot.ldt")})
    assert value_at(spot, 40.5, 40.5) > 0 and value_at(spot, 40.5 + 10, 40.5) == 0  # 10 m at 5 m height: 63°


def test_a_broken_eulumdat_file_names_the_line(tmp_path):
    from geo.errors import ValidationError
    from geo.photometry import read_eulumdat

    text = eulumdat_text([0, 90], [100, 0]).splitlines()
    text[5] = "many"
    (tmp_path / "bad.ldt").write_text("\n".join(text), encoding="latin-1")
    with pytest.raises(ValidationError, match=r"bad.ldt, line 6: expected number of intensities per C-plane"):
        read_eulumdat(tmp_path / "bad.ldt")
    whole = eulumdat_text([0, 90], [100, 0]).splitlines()
    (tmp_path / "short.ldt").write_text("\n".join(whole[:-1]), encoding="latin-1")
    with pytest.raises(ValidationError, match="short.ldt, line .*: the file ends before an intensity"):
        read_eulumdat(tmp_path / "short.ldt")


def test_only_the_walkable_surface_counts():
    zone = square_zone(80.0, "P4")
    building = shapely.box(E0 + 40, N0, E0 + 80, N0 + 80)
    grid = illuminance(lamps([(20.5, 40.5)]), empty_grid(zone, walkable=zone.to_crs(SWEREF99TM).geometry.iloc[0] - building))
    figures = zone_lighting(grid, zone).loc["z"]
    assert figures["walkable_m2"] == pytest.approx(3200, abs=80)
    assert figures["average_lx"] > zone_lighting(illuminance(lamps([(20.5, 40.5)]), empty_grid(zone)), zone).loc[
        "z", "average_lx"], "leaving the unlit building half out raises the walkable average"
    building_wgs84 = gpd.GeoSeries([building], crs=SWEREF99TM).to_crs(WGS84).iloc[0]
    assert all(not spot.intersects(building_wgs84.buffer(-1e-5)) for spot in dark_spots(grid, zone).geometry)


def test_a_confirmed_broken_light_report_turns_the_nearest_lamp_off():
    from geo.layers import REPORTS
    from geo.lighting import with_reported_breakdowns

    street = lamps([(10.5, 10.5), (50.5, 10.5)])
    lon, lat = TO_WGS84.transform([E0 + 48, E0 + 48, E0 + 10], [N0 + 12, N0 + 12, N0 + 200])
    reports = validate(REPORTS, pd.DataFrame({"id": ["confirmed", "new", "far"], "category": "broken_light",
                                              "created_at": "2020-11-01T18:00:00+01:00",
                                              "status": ["acknowledged", "open", "scheduled"], "lon": lon, "lat": lat}), "t")
    marked = with_reported_breakdowns(street, reports)
    assert marked["status"].tolist() == ["working", "broken"], "only the confirmed report within 30 m counts"
    repaired = with_reported_breakdowns(street, reports.assign(status="closed"))
    assert repaired["status"].tolist() == ["working", "working"]

"""EN 13201-3 calculation fields: layout, point illuminance against closed forms, a reference street
computed independently here, compliance per field and zone, the walkable surface."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84
from geo.fields import (calculation_fields, failing_fields, field_figures, lit_surface, points_across, points_along,
                        share_compliant, street_pieces, walkable_surface, zone_compliance)
from geo.layers import LIGHTS, validate
from geo.lighting import MAINTENANCE_FACTOR, PEDESTRIAN_CLASSES, illuminance_at

TO_WGS84 = Transformer.from_crs(SWEREF99TM, WGS84, always_xy=True)
E0, N0 = 374_000.0, 6_284_000.0


def zones_frame(boxes: dict[str, tuple[tuple[float, float, float, float], str]]) -> gpd.GeoDataFrame:
    """Zones from boxes (west, south, east, north in metres from E0, N0) and classes."""
    return gpd.GeoDataFrame({"zone_id": list(boxes), "name": list(boxes), "lighting_class": [c for _, c in boxes.values()]},
                            geometry=[shapely.box(E0 + w, N0 + s, E0 + e, N0 + n) for (w, s, e, n), _ in boxes.values()],
                            crs=SWEREF99TM).to_crs(WGS84)


def streets_frame(lines: list[tuple[str, list[tuple[float, float]], float, str | None]]) -> gpd.GeoDataFrame:
    """Streets from (name, vertices in metres from E0, N0, width, class or None), kind street."""
    return gpd.GeoDataFrame({"name": [n for n, *_ in lines], "kind": "street", "width_m": [w for _, _, w, _ in lines],
                             "lighting_class": [c for *_, c in lines]},
                            geometry=[shapely.LineString([(E0 + x, N0 + y) for x, y in v]) for _, v, _, _ in lines],
                            crs=SWEREF99TM).to_crs(WGS84)


def lamps(points: list[tuple[float, float]], lumen: float = 4000.0, height: float = 5.0) -> gpd.GeoDataFrame:
    lon, lat = TO_WGS84.transform([E0 + e for e, _ in points], [N0 + n for _, n in points])
    return validate(LIGHTS, pd.DataFrame({"id": [f"l{i}" for i in range(len(points))], "lumen": lumen,
                                          "height_m": height, "status": "working", "lon": lon, "lat": lat}), "test")


@pytest.mark.parametrize(("length", "width", "along", "across"), [
    (30.0, 10.0, 10, 7), (25.0, 4.5, 10, 3), (31.0, 4.6, 11, 4), (40.0, 14.0, 14, 10), (12.0, 40.0, 10, 27),
    (60.0, 3.0, 20, 3)])
def test_the_en_13201_3_point_counts(length, width, along, across):
    assert points_along(np.array([length]))[0] == along and points_across(np.array([width]))[0] == across


def test_points_lie_at_half_spacings_from_the_start_and_the_edges():
    zones = zones_frame({"z": ((-10, -50, 110, 50), "P4")})
    streets = streets_frame([("Rak gata", [(0, 0), (60, 0)], 9.0, None)])
    fields, points = calculation_fields(street_pieces(streets, zones))
    assert fields["length_m"].tolist() == pytest.approx([30.0, 30.0])
    assert fields["points_along"].tolist() == [10, 10] and fields["points_across"].tolist() == [6, 6]
    first = points[points["field"] == 0]
    along = np.unique(np.round(first["x"] - E0, 6))
    across = np.unique(np.round(first["y"] - N0, 6))
    assert along == pytest.approx(1.5 + 3.0 * np.arange(10), abs=1e-3)  # D = 3 m, first at D/2
    assert across == pytest.approx(-4.5 + 0.75 + 1.5 * np.arange(6), abs=1e-3)  # d = 1.5 m, outer at d/2
    assert fields["field_id"].tolist() == ["rak-gata-01", "rak-gata-02"]
    assert fields["walkable_m2"].tolist() == pytest.approx([270.0, 270.0])


@settings(max_examples=20, deadline=None)
@given(length=st.floats(2.0, 140.0), width=st.floats(1.0, 60.0))
def test_every_field_follows_the_spacing_rule(length, width):
    zones = zones_frame({"z": ((-100, -100, 250, 100), "P3")})
    fields, points = calculation_fields(street_pieces(streets_frame([("G", [(0, 0), (length, 0)], width, None)]), zones))
    assert len(fields) >= 1 and fields["length_m"].sum() == pytest.approx(length, rel=1e-6)
    for position, field in fields.iterrows():
        mine = points[points["field"] == position]
        s, w, n_along, n_across = field["length_m"], field["width_m"], field["points_along"], field["points_across"]
        assert len(mine) == n_along * n_across
        assert (n_along == 10) if s <= 30 else (s / n_along <= 3 + 1e-9 < s / (n_along - 1))
        assert n_across >= 3 and w / n_across <= 1.5 + 1e-9 and (n_across == 3 or w / (n_across - 1) > 1.5)
        assert (np.abs(mine["y"] - N0) <= w / 2).all()


def test_one_lamp_at_points_matches_the_closed_form():
    lamp = lamps([(0.0, 0.0)], lumen=4000, height=5.0)
    at = lamp.to_crs(SWEREF99TM).geometry.iloc[0]  # where the stored WGS84 position puts it, to the nanometre
    x = at.x + np.array([0.0, 2.0, 5.0, 10.0, 20.0, 49.0, 51.0])
    lux = illuminance_at(lamp, x, np.full(len(x), at.y))
    d = x - at.x
    expected = 4000 * MAINTENANCE_FACTOR / np.pi * 25 / (25 + d * d) ** 2
    expected[d > 50] = 0.0  # beyond the cut-off of 10 heights
    assert lux == pytest.approx(expected, rel=1e-9)


def test_an_infinite_row_gives_its_closed_form_average():
    """Lamps every S metres at height h and offset o from a street of width W: the light of a
    Lambertian row integrated along it is Φ·MF·h²/(2(h² + y²)^1.5) per metre of row at lateral
    distance y, so the average over the street is Φ·MF·(b/√(h²+b²) − a/√(h²+a²)) / (2·S·W) with
    a, b the street's edges relative to the row."""
    spacing, height, lumen, width, offset = 20.0, 5.0, 5000.0, 8.0, 5.0  # the row stands 1 m beside the street
    zones = zones_frame({"z": ((-600, -50, 600, 50), "P4")})
    streets = streets_frame([("Lång gata", [(-500, 0), (500, 0)], width, None)])
    fields, points = calculation_fields(street_pieces(streets, zones), field_length_m=spacing)
    row = lamps([(x, offset) for x in np.arange(-600, 601, spacing)], lumen=lumen, height=height)
    figures = field_figures(fields, points, illuminance_at(row, points["x"], points["y"]), PEDESTRIAN_CLASSES)
    a, b = -width / 2 - offset, width / 2 - offset
    closed = lumen * MAINTENANCE_FACTOR * (b / np.hypot(height, b) - a / np.hypot(height, a)) / (2 * spacing * width)
    middle = figures[np.abs(figures.geometry.centroid.x - E0) < 200]
    assert middle["average_lx"].to_numpy() == pytest.approx(closed, rel=0.01)  # midpoint sampling, 10 x 6 points


def test_a_reference_street_computed_here_point_by_point():
    """A 60 m street, 7 m wide, lamps on both sides staggered: every calculation point and every
    lamp summed by hand here, with the standard's layout written out again."""
    zones = zones_frame({"z": ((-50, -50, 110, 50), "P3")})
    streets = streets_frame([("Referensgatan", [(0, 0), (60, 0)], 7.0, None)])
    positions = [(0.0, 4.0), (15.0, -4.0), (30.0, 4.0), (45.0, -4.0), (60.0, 4.0)]
    lights = lamps(positions, lumen=3000, height=5.0)
    fields, points = calculation_fields(street_pieces(streets, zones))
    figures = field_figures(fields, points, illuminance_at(lights, points["x"], points["y"]), PEDESTRIAN_CLASSES)
    # where the stored WGS84 coordinates put the street and the lamps (a centimetre off the round numbers)
    (x0, y0), (x1, y1) = streets.to_crs(SWEREF99TM).geometry.iloc[0].coords
    length = np.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    placed = [(p.x, p.y) for p in lights.to_crs(SWEREF99TM).geometry]
    for k in range(2):  # two fields of S = L/2 ≈ 30 m: N = 10 (D = S/10), n = 5 (d = 7/5 = 1.4 m)
        values = []
        step = length / 2 / 10
        for i in range(10):
            for j in range(5):
                s_along, t_left = length / 2 * k + step / 2 + step * i, -3.5 + 0.7 + 1.4 * j
                px, py = x0 + s_along * ux - t_left * uy, y0 + s_along * uy + t_left * ux
                total = 0.0
                for lx, ly in placed:
                    d2 = (px - lx) ** 2 + (py - ly) ** 2
                    if d2 <= 50.0 ** 2:
                        total += 3000 * 0.8 / np.pi * 25.0 / (25.0 + d2) ** 2
                values.append(total)
        field = figures.iloc[k]
        assert field["average_lx"] == pytest.approx(np.mean(values), rel=1e-6)
        assert field["minimum_lx"] == pytest.approx(np.min(values), rel=1e-6)
        assert field["uniformity"] == pytest.approx(np.min(values) / np.mean(values), rel=1e-6)
        assert field["meets_class"] == (np.mean(values) >= 7.5 and np.min(values) >= 1.5)


def test_compliance_per_field_and_zone_with_the_worst_first():
    zones = zones_frame({"ljus": ((-10, -50, 60, 50), "P6"), "mork": ((60, -50, 130, 50), "P1")})
    streets = streets_frame([("Gatan", [(0, 0), (120, 0)], 6.0, None)])
    pieces = street_pieces(streets, zones)
    assert pieces["zone_id"].tolist() == ["ljus", "mork"] and pieces["lighting_class"].tolist() == ["P6", "P1"]
    fields, points = calculation_fields(pieces)
    lights = lamps([(x, 0.0) for x in range(0, 121, 15)], lumen=2000, height=5.0)  # Ē ≈ 9 lx
    figures = field_figures(fields, points, illuminance_at(lights, points["x"], points["y"]), PEDESTRIAN_CLASSES)
    assert figures.loc[figures["zone_id"] == "ljus", "meets_class"].all()
    assert not figures.loc[figures["zone_id"] == "mork", "meets_class"].any()
    assert figures.loc[figures["zone_id"] == "ljus", "over_lit"].all(), "P6 asks for 2 lx; these fields have > 3"
    per_zone = zone_compliance(figures, ["ljus", "mork", "tom"])
    assert per_zone.loc["ljus", "share_compliant"] == 1 and per_zone.loc["mork", "share_compliant"] == 0
    assert pd.isna(per_zone.loc["tom", "share_compliant"]) and per_zone.loc["tom", "fields"] == 0
    assert share_compliant(figures) == pytest.approx(0.5)
    worst = failing_fields(figures)
    assert (worst["zone_id"] == "mork").all() and worst["shortfall"].is_monotonic_decreasing
    expected = np.maximum(1 - worst["average_lx"] / 15.0, 1 - worst["minimum_lx"] / 3.0)
    assert worst["shortfall"].to_numpy() == pytest.approx(expected.to_numpy())


def test_a_street_s_own_class_wins_over_its_zone_s():
    zones = zones_frame({"z": ((-10, -50, 60, 50), "P6")})
    pieces = street_pieces(streets_frame([("Torget", [(0, 0), (50, 0)], 20.0, "P2"), ("Gränd", [(0, 10), (50, 10)], 3.0, None)]),
                           zones)
    assert dict(zip(pieces["street"], pieces["lighting_class"])) == {"Torget": "P2", "Gränd": "P6"}


def test_buildings_and_water_are_not_walkable_and_carry_no_points():
    zones = zones_frame({"z": ((-10, -50, 70, 50), "P4")})
    streets = streets_frame([("Kajen", [(0, 0), (60, 0)], 10.0, None)])
    water = gpd.GeoDataFrame(geometry=[shapely.box(E0 - 20, N0, E0 + 80, N0 + 40)], crs=SWEREF99TM).to_crs(WGS84)
    pieces = street_pieces(streets, zones)
    surface = walkable_surface(pieces, water)
    assert surface.area == pytest.approx(60 * 5, rel=1e-6), "the half of the quay over the water is gone"
    fields, points = calculation_fields(pieces, water)
    assert (points["y"] < N0).all() and fields["points"].sum() == len(points)
    assert fields["walkable_m2"].sum() == pytest.approx(60 * 10 * len(points) / (2 * 10 * 7))
    lit = lit_surface(zones, streets, water)
    assert lit.walkable.area == pytest.approx(surface.area) and len(lit.fields) == len(fields)


def test_without_streets_the_surface_is_the_zones_and_there_are_no_fields():
    zones = zones_frame({"z": ((0, 0, 50, 40), "P4")})
    lit = lit_surface(zones, None)
    assert lit.walkable.area == pytest.approx(2000, rel=1e-6) and lit.fields.empty and lit.points.empty
    assert share_compliant(field_figures(lit.fields, lit.points, np.zeros(0), PEDESTRIAN_CLASSES)) is None

"""Luminaires with a direction: C-plane photometry turned by azimuth and tilt, the arm's overhang,
lamps facing the nearest street, and lamps placed in time by installed_at and removed_at."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84
from geo.layers import LIGHTS, REPORTS, validate
from geo.lamp_history import status_changes
from geo.lighting import MAINTENANCE_FACTOR, facing_streets, illuminance_at, in_place, lights_at
from geo.photometry import Photometry

TO_WGS84 = Transformer.from_crs(SWEREF99TM, WGS84, always_xy=True)
E0, N0 = 374_000.0, 6_284_000.0
GAMMA = np.arange(0.0, 181.0, 5.0)
C = np.arange(0.0, 360.0, 15.0)


def street_side_only() -> Photometry:
    """Lambertian (1000/π·cos γ cd/klm below the horizon) into the C0-C180 half-space holding C90
    (the street side, 0 < C < 180), nothing behind it."""
    cos = np.clip(np.cos(np.radians(GAMMA)), 0, None)
    front = (C > 0) & (C < 180)
    return Photometry("front", C, GAMMA, np.where(front[:, None], 1000 / np.pi * cos[None, :], 0.0))


def lamp(east: float = 0.0, north: float = 0.0, **fields) -> gpd.GeoDataFrame:
    lon, lat = TO_WGS84.transform(E0 + east, N0 + north)
    row = {"id": "a", "lumen": 4000, "height_m": 5.0, "status": "working", "luminaire": "front", "lon": lon, "lat": lat}
    return validate(LIGHTS, pd.DataFrame([row | fields]), "test")


def lux(lights, east, north, photometry=None):
    at = lights.to_crs(SWEREF99TM).geometry.iloc[0]
    return illuminance_at(lights, at.x + np.asarray(east, float), at.y + np.asarray(north, float),
                          photometry={"front": photometry or street_side_only()})


def test_a_luminaire_lights_the_side_it_faces():
    east_facing = lamp(azimuth_deg=90.0)
    front, back = lux(east_facing, [6.0, -6.0], [0.0, 0.0])
    assert back == 0 and front == pytest.approx(4000 * MAINTENANCE_FACTOR / np.pi * 25 / (25 + 36) ** 2, rel=0.02)
    north, south = lux(lamp(azimuth_deg=0.0), [0.0, 0.0], [6.0, -6.0])
    assert north > 0 and south == 0
    west = lux(lamp(azimuth_deg=270.0), [-6.0], [0.0])[0]
    assert west == pytest.approx(front, rel=1e-9), "the same light turned round"


def test_a_symmetric_distribution_does_not_care_which_way_it_faces():
    cos = np.clip(np.cos(np.radians(GAMMA)), 0, None)
    round_table = Photometry("front", C, GAMMA, np.tile(1000 / np.pi * cos, (len(C), 1)))
    points = ([3.0, -7.0, 0.0, 12.0], [1.0, 4.0, -9.0, -2.0])
    one = lux(lamp(azimuth_deg=0.0), *points, photometry=round_table)
    other = lux(lamp(azimuth_deg=137.0), *points, photometry=round_table)
    assert one == pytest.approx(other, rel=1e-9)
    closed = 4000 * MAINTENANCE_FACTOR / np.pi * 25 / (25 + np.square(points[0]) + np.square(points[1])) ** 2
    assert one == pytest.approx(closed, rel=0.01), "a Lambertian table is the default model"


def test_the_arm_moves_the_luminaire_the_way_it_faces():
    pole = lamp(azimuth_deg=90.0, overhang_m=2.0)
    on_arm = lux(pole, [2.0], [0.0])[0]
    assert on_arm == pytest.approx(4000 * MAINTENANCE_FACTOR / (np.pi * 25), rel=0.02), "nadir below the luminaire"


def test_tilting_up_the_street_side_throws_the_light_further():
    flat, tilted = lamp(azimuth_deg=90.0), lamp(azimuth_deg=90.0, tilt_deg=15.0)
    near, far = [1.0, 15.0], [0.0, 0.0]
    flat_near, flat_far = lux(flat, near, far)
    tilted_near, tilted_far = lux(tilted, near, far)
    assert tilted_far > flat_far and tilted_near < flat_near


def test_a_lamp_without_a_bearing_faces_the_nearest_street():
    streets = gpd.GeoDataFrame({"name": ["Gatan"], "kind": ["street"], "width_m": [10.0], "lighting_class": [None]},
                               geometry=[shapely.LineString([(E0 - 50, N0), (E0 + 50, N0)])], crs=SWEREF99TM).to_crs(WGS84)
    lamps = pd.concat([lamp(0.0, 6.0).assign(id="north-side"), lamp(10.0, -6.0).assign(id="south-side"),
                       lamp(20.0, 0.0).assign(id="over-it"), lamp(30.0, 6.0, azimuth_deg=45.0).assign(id="given")],
                      ignore_index=True)
    faced = facing_streets(lamps, streets).set_index("id")["azimuth_deg"]

    def off(lamp_id: str, bearing: float, period: float = 360.0) -> float:
        return abs((faced[lamp_id] - bearing + period / 2) % period - period / 2)

    assert off("north-side", 180.0) < 0.5 and off("south-side", 0.0) < 0.5
    assert off("over-it", 0.0, period=180.0) < 0.5 and faced["given"] == 45.0
    assert facing_streets(lamps, None) is lamps


def reports_none() -> gpd.GeoDataFrame:
    return validate(REPORTS, pd.DataFrame(columns=["id", "category", "created_at", "lon", "lat"]), "test")


def test_lamps_are_placed_in_time_by_their_dates():
    lamps = pd.concat([
        lamp(azimuth_deg=0.0).assign(id="old"),
        lamp(azimuth_deg=0.0, installed_at="2021-03-01T00:00:00+01:00").assign(id="new"),
        lamp(azimuth_deg=0.0, status="removed", removed_at="2021-05-01T00:00:00+02:00",
             updated_at="2021-05-02T00:00:00+02:00").assign(id="gone"),
        lamp(azimuth_deg=0.0, status="planned").assign(id="idea")], ignore_index=True)
    history = status_changes(lamps, {}, pd.Timestamp("2019-01-01T00:00:00Z"))
    at = {day: lights_at(lamps, history, reports_none(), pd.Timestamp(day, tz="Europe/Stockholm")).set_index("id")["status"]
          for day in ("2020-06-01", "2021-04-01", "2021-06-01")}
    assert at["2020-06-01"].to_dict() == {"old": "working", "new": "planned", "gone": "working",
                                 "idea": "planned"}
    assert at["2021-04-01"].to_dict() == {"old": "working", "new": "working", "gone": "working",
                                 "idea": "planned"}
    assert at["2021-06-01"].to_dict() == {"old": "working", "new": "working", "gone": "removed",
                                 "idea": "planned"}
    now = in_place(lamps, pd.Timestamp("2020-06-01T00:00:00Z")).set_index("id")["status"]
    assert now["new"] == "planned" and now["idea"] == "planned" and now["gone"] == "removed", \
        "now: the register's status stands, a date in the future holds a lamp back"


def building(west: float, south: float, east: float, north: float, height: float | None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"height_m": [np.nan if height is None else height]},
                            geometry=[shapely.box(E0 + west, N0 + south, E0 + east, N0 + north)], crs=SWEREF99TM)


def test_a_lamp_behind_a_wall_gives_no_light_and_a_low_wall_only_a_shadow_near_it():
    from geo.shadows import Obstructions

    lamp_here = lamp(azimuth_deg=90.0)
    at = lamp_here.to_crs(SWEREF99TM).geometry.iloc[0]
    east = np.array([3.0, 7.0, 12.0, 20.0])
    points = (at.x + east, np.full(len(east), at.y))
    free = illuminance_at(lamp_here, *points)
    wall = Obstructions(building(at.x - E0 + 5.0, at.y - N0 - 10.0, at.x - E0 + 6.0, at.y - N0 + 10.0, 12.0))
    walled = illuminance_at(lamp_here, *points, obstructions=wall)
    assert walled[0] == free[0] and (walled[1:] == 0).all(), "a 12 m wall 5 m east of a 5 m lamp shades all beyond it"
    # a 1 m hedge 5-6 m east: the ray to a point e metres east is 5·(e − 6)/e m up at the hedge's far side
    hedge = Obstructions(building(at.x - E0 + 5.0, at.y - N0 - 10.0, at.x - E0 + 6.0, at.y - N0 + 10.0, 1.0))
    hedged = illuminance_at(lamp_here, *points, obstructions=hedge)
    assert hedged[0] == free[0] and hedged[1] == 0, "at 7 m the ray passes the hedge 0.71 m up: shaded"
    assert hedged[2:] == pytest.approx(free[2:]), "at 12 and 20 m it passes 2.5 and 3.5 m up"
    unknown = Obstructions(building(at.x - E0 + 5.0, at.y - N0 - 10.0, at.x - E0 + 6.0, at.y - N0 + 10.0, None))
    assert (illuminance_at(lamp_here, *points, obstructions=unknown)[1:] == 0).all(), "no height: it blocks"


def test_a_lamp_on_a_facade_is_not_shaded_by_its_own_wall():
    from geo.shadows import Obstructions

    on_wall = lamp(azimuth_deg=90.0)
    at = on_wall.to_crs(SWEREF99TM).geometry.iloc[0]
    house = Obstructions(building(at.x - E0 - 10.0, at.y - N0 - 10.0, at.x - E0 + 0.3, at.y - N0 + 10.0, 15.0))
    points = (at.x + np.array([2.0, 10.0]), np.full(2, at.y))
    assert illuminance_at(on_wall, *points, obstructions=house) == pytest.approx(illuminance_at(on_wall, *points))


def test_semi_cylindrical_illuminance_has_its_closed_form():
    from geo.lighting import semicylindrical_at

    single = lamp(azimuth_deg=0.0)
    at = single.to_crs(SWEREF99TM).geometry.iloc[0]
    d = np.array([0.0, 3.5, 7.0, 15.0])
    x, y = at.x + d, np.full(len(d), at.y)
    along_east = (np.ones(len(d)), np.zeros(len(d)))
    esc = semicylindrical_at(single.assign(luminaire="LED"), x, y, *along_east)
    assert esc.tolist() == [0.0] * len(d), "facing east the lamp is behind every point: the lower side is 0"
    # a semi-cylinder facing a Lambertian lamp: I = (Φ·MF/π)·cos ε, (1 + cos α) = 2, h' = 5 − 1.5
    h = 3.5
    slant = np.hypot(d, h)
    closed = (4000 * 0.8 / np.pi) * (h / slant) * 2 * (h / slant) ** 2 * (d / slant) / (np.pi * h * h)
    pair = pd.concat([single, lamp(30.0, 0.0, azimuth_deg=0.0).assign(id="b")], ignore_index=True).assign(luminaire="LED")
    both = semicylindrical_at(pair, at.x + np.array([15.0]), np.array([at.y]), np.ones(1), np.zeros(1))
    assert both[0] == pytest.approx(closed[3], rel=1e-3), "midway: each lamp lights the semi-cylinder facing it"



def test_field_light_gives_what_the_two_functions_give_with_shadows():
    """One set of pairs for the ground and 1.5 m: the same figures as computing each on its own."""
    from geo.lighting import field_light, semicylindrical_at
    from geo.shadows import Obstructions

    lamps = pd.concat([lamp(0.0, 0.0, azimuth_deg=90.0).assign(id="a"), lamp(25.0, 3.0, azimuth_deg=270.0).assign(id="b"),
                       lamp(12.0, -9.0, azimuth_deg=0.0).assign(id="c")], ignore_index=True)
    walls = Obstructions(pd.concat([building(5.0, -6.0, 6.0, 6.0, 3.0), building(14.0, 2.0, 18.0, 8.0, 12.0),
                                    building(8.0, -20.0, 9.0, -12.0, None)], ignore_index=True))
    rng = np.random.default_rng(3)
    east, north = rng.uniform(-5, 35, 400), rng.uniform(-15, 15, 400)
    theta = rng.uniform(0, 2 * np.pi, 400)
    points = pd.DataFrame({"x": E0 + east, "y": N0 + north, "ux": np.cos(theta), "uy": np.sin(theta)})
    faces = rng.random(400) < 0.5
    lux, esc = field_light(lamps, points, faces, obstructions=walls)
    assert lux == pytest.approx(illuminance_at(lamps, points["x"], points["y"], obstructions=walls), rel=1e-12, abs=1e-12)
    alone = semicylindrical_at(lamps, *(points.loc[faces, c].to_numpy() for c in ("x", "y", "ux", "uy")), obstructions=walls)
    assert esc[faces] == pytest.approx(alone, rel=1e-12, abs=1e-12) and np.isnan(esc[~faces]).all()
    assert (lux < illuminance_at(lamps, points["x"], points["y"]) - 1e-9).any(), "the walls shade some points"

"""geo.cameras: the view polygon is the sector clipped by buildings, and what it covers."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from geo.cameras import covered_hotspots, seen, sectors, union_view, view_polygons

TOLERANCE_M = 1e-6


def _cameras(rows: list[tuple[float, float, float, float, float]]) -> gpd.GeoDataFrame:
    x, y, direction, fov, reach = zip(*rows)
    return gpd.GeoDataFrame({"direction_deg": direction, "fov_deg": fov, "range_m": reach},
                            geometry=gpd.points_from_xy(x, y), crs="EPSG:3006")


def _buildings(boxes: list[tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[box(*b) for b in boxes], crs="EPSG:3006")


camera = st.tuples(st.just(0.0), st.just(0.0), st.floats(0, 359.9), st.floats(5, 360), st.floats(5, 120))
footprint = st.tuples(st.floats(-100, 100), st.floats(-100, 100), st.floats(2, 40), st.floats(2, 40)).map(
    lambda b: (b[0], b[1], b[0] + b[2], b[1] + b[3]))


@settings(max_examples=60, deadline=None)
@given(camera, st.lists(footprint, max_size=6))
def test_the_view_lies_within_the_sector_and_never_inside_a_building(cam, boxes):
    boxes = [b for b in boxes if not box(*b).buffer(1.0).contains(Point(0, 0))]  # a camera stands outside
    cameras = _cameras([cam])
    view = view_polygons(cameras, _buildings(boxes) if boxes else None).iloc[0]
    sector = sectors(cameras).iloc[0]
    assert view.is_valid
    assert view.difference(sector.buffer(TOLERANCE_M)).area < 1e-6
    for b in boxes:
        assert view.intersection(box(*b)).area < 1e-6


@settings(max_examples=40, deadline=None)
@given(camera)
def test_without_buildings_the_view_is_the_sector(cam):
    view = view_polygons(_cameras([cam])).iloc[0]
    _, _, direction, fov, reach = cam
    exact = math.pi * reach ** 2 * min(fov, 360.0) / 360.0
    assert view.area == pytest.approx(exact, rel=2e-4)
    bearings = np.radians(direction - fov / 2 + np.linspace(0, fov, 4000))
    arc = np.column_stack([reach * np.sin(bearings), reach * np.cos(bearings)])
    fine = shapely.Polygon(arc if fov >= 360 else np.vstack([[0, 0], arc])).buffer(0)
    assert view.symmetric_difference(fine).area < 2e-4 * exact


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 359.9), st.floats(5, 150), st.floats(30, 120), st.floats(0.2, 0.8))
def test_a_wall_across_the_sector_cuts_it(direction, fov, reach, at):
    """A long wall across the camera's direction at a share ``at`` of its range: nothing beyond it is seen."""
    distance = at * reach
    a = math.radians(direction)
    ux, uy = math.sin(a), math.cos(a)  # the camera's direction
    centre = (ux * distance, uy * distance)
    wall = LineString([(centre[0] - uy * 4 * reach, centre[1] + ux * 4 * reach),
                       (centre[0] + uy * 4 * reach, centre[1] - ux * 4 * reach)]).buffer(0.5, cap_style="flat")
    wall = wall.difference(Point(0, 0).buffer(distance - 0.5)) if fov > 180 else wall
    cameras = _cameras([(0.0, 0.0, direction, fov, reach)])
    view = view_polygons(cameras, gpd.GeoDataFrame(geometry=[wall], crs="EPSG:3006")).iloc[0]
    beyond = shapely.get_coordinates(view) @ np.array([ux, uy])
    assert beyond.max() <= distance - 0.5 + 1e-6
    assert view.area < sectors(cameras).iloc[0].area


def test_a_camera_on_a_facade_sees_the_street_not_its_own_building():
    house = (-10.0, -20.0, 10.0, 0.2)  # the camera's point lies just inside its own wall
    view = view_polygons(_cameras([(0.0, 0.0, 0.0, 90.0, 30.0)]), _buildings([house])).iloc[0]
    assert view.area == pytest.approx(math.pi * 30 ** 2 / 4 - 2 * 0.2 * 0.2 / 2, rel=1e-3)
    assert view.intersection(box(*house)).area < 1e-6


def _behind(building: shapely.Polygon, camera: Point) -> shapely.Geometry:
    """The ground behind the convex ``building`` as seen from ``camera`` (outside it or on its
    wall): where the line from the camera crosses the building's core (the footprint less a 1 m
    rim, which allows for the gaps between rays)."""
    core = building.buffer(-1.0, join_style="mitre")
    c = np.array([camera.x, camera.y])
    corners = shapely.get_coordinates(core)
    far = c + (corners - c) / np.linalg.norm(corners - c, axis=1)[:, None] * 10_000
    cone = shapely.MultiPoint(np.vstack([c, far])).convex_hull
    # snap-rounded (robust) overlay: the cone's and the hull's edges from the camera nearly coincide,
    # and a floating overlay once kept the whole hull (the ground in front of the wall) as "behind"
    return shapely.difference(cone, shapely.MultiPoint(np.vstack([c, corners])).convex_hull, grid_size=1e-6)


@settings(max_examples=80, deadline=None)
@given(st.floats(4, 40), st.floats(4, 40), st.integers(0, 3), st.floats(0, 1), st.floats(0, 5),
       st.floats(0, 359.9), st.floats(5, 360), st.floats(5, 60))
@example(14.5, 4.0, 0, 0.75, 4.5, 0.0, 5.0, 5.0)  # (once read as seeing behind: the helper's overlay, now robust)
def test_a_camera_on_or_by_a_wall_never_sees_behind_its_building(width, depth, side, along, off,
                                                                   direction, fov, reach):
    """A convex building and a camera on one of its walls or up to 5 m outside it: no ground seen
    lies behind the building, whether it is the camera's own (on the wall, or within
    ``OWN_WALL_M``) or a neighbour's."""
    corners = [(0.0, 0.0), (width, 0.0), (width, depth), (0.0, depth)]
    (ax, ay), (bx, by) = corners[side], corners[(side + 1) % 4]
    nx, ny = (by - ay) / math.hypot(bx - ax, by - ay), (ax - bx) / math.hypot(bx - ax, by - ay)  # outward
    at = Point(ax + along * (bx - ax) + off * nx, ay + along * (by - ay) + off * ny)
    view = view_polygons(_cameras([(at.x, at.y, direction, fov, reach)]), _buildings([(0, 0, width, depth)])).iloc[0]
    assert view.intersection(_behind(box(0, 0, width, depth), at)).area < 1e-6


def test_a_camera_just_inside_its_wall_sees_nothing_beyond_its_building():
    """A 360°, 60 m camera 0.2 m inside the east wall of a 20 × 20 m building sees the half
    plane east of the wall, nothing west of the building."""
    view = view_polygons(_cameras([(19.8, 10.0, 0.0, 360.0, 60.0)]), _buildings([(0, 0, 20, 20)])).iloc[0]
    assert view.intersection(box(-100, -100, 0, 100)).area == 0
    assert view.area == pytest.approx(math.pi * 60 ** 2 / 2, rel=1e-3)


def test_a_camera_deep_inside_a_building_sees_nothing():
    assert view_polygons(_cameras([(10.0, 10.0, 0.0, 360.0, 60.0)]), _buildings([(0, 0, 20, 20)])).iloc[0].is_empty


def test_many_cameras_are_cast_together_and_keep_their_index():
    cameras = _cameras([(0, 0, 0, 60, 50), (500, 0, 90, 360, 40)]).set_index(pd.Index(["a", "b"]))
    views = view_polygons(cameras, _buildings([(-50, 20, 50, 25)]))
    assert list(views.index) == ["a", "b"] and views.crs == "EPSG:3006"
    # the wall 20 m north cuts camera a's 60° sector to the triangle below it
    assert views["a"].area == pytest.approx(20 * 20 * math.tan(math.radians(30)), rel=1e-3)
    assert views["b"].area == pytest.approx(math.pi * 40 ** 2, rel=1e-3)


def test_what_a_view_covers():
    view = box(0, 0, 100, 100)
    hotspots = gpd.GeoDataFrame({"hotspot_id": ["hs-1", "hs-2"]},
                                geometry=[box(50, 50, 150, 150), box(500, 500, 550, 550)], crs="EPSG:3006")
    incidents = gpd.GeoDataFrame({"location_precision": ["exact", "street", "town", "exact", "exact"]},
                                 geometry=[Point(60, 60), Point(120, 120), Point(70, 70), Point(510, 510),
                                           Point(10, 10)], crs="EPSG:3006")
    unsafe = gpd.GeoDataFrame(geometry=[Point(5, 5), Point(6, 6), Point(300, 300)], crs="EPSG:3006")
    streets = gpd.GeoDataFrame({"name": ["Storgatan", "Storgatan", "Brogatan"]},
                               geometry=[LineString([(-50, 50), (150, 50)]), LineString([(20, 0), (20, 30)]),
                                         LineString([(400, 0), (400, 10)])], crs="EPSG:3006")
    staff = seen(view, hotspots, incidents, unsafe, streets, None)
    assert staff.area_m2 == pytest.approx(10_000)
    assert staff.hotspots == [{"hotspot_id": "hs-1", "incidents": 2, "seen": 1, "share": 0.5},
                              {"hotspot_id": "hs-2", "incidents": 1, "seen": 0, "share": 0.0}]
    assert staff.unsafe_places == 2 and staff.streets_m == {"Storgatan": 130.0}
    assert staff.entrances is None  # no entrance data: said so, not made up
    assert seen(view, hotspots, incidents, unsafe, streets, 3).unsafe_places is None
    doors = gpd.GeoDataFrame(geometry=[Point(1, 1)], crs="EPSG:3006")
    assert seen(view, hotspots, incidents, unsafe, streets, 3, doors).entrances == 1
    assert [h["hotspot_id"] for h in covered_hotspots(staff)] == ["hs-1"]


def test_a_proposal_sees_the_union_of_its_cameras():
    views = gpd.GeoSeries([box(0, 0, 10, 10), box(5, 0, 15, 10)], crs="EPSG:3006")
    assert union_view(views).area == pytest.approx(150)
    assert union_view(views.iloc[:0]).is_empty

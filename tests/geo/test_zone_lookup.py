"""Point -> zone lookup: agrees with a geopandas.sjoin reference, and property tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.zones import zone_of, zone_positions


def sjoin_matches(zones, x, y) -> list[set[str]]:
    """Reference: every zone each point intersects (boundary points may match two)."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=zones.crs)
    joined = gpd.sjoin(points, zones[["zone_id", "geometry"]], how="left", predicate="intersects")
    matches: list[set[str]] = [set() for _ in range(len(points))]
    for index, zone_id in zip(joined.index, joined["zone_id"]):
        if isinstance(zone_id, str):
            matches[index].add(zone_id)
    return matches


def test_agrees_with_sjoin_on_100000_points_including_boundaries_and_outside(zones):
    rng = np.random.default_rng(2020)
    minx, miny, maxx, maxy = zones.total_bounds
    pad = 0.002  # about 120-220 m outside the centre on every side
    n_random = 100_000
    x = rng.uniform(minx - pad, maxx + pad, n_random)
    y = rng.uniform(miny - pad, maxy + pad, n_random)
    vertices = shapely.get_coordinates(zones.boundary.to_numpy())
    midpoints = (vertices[:-1] + vertices[1:]) / 2  # edge midpoints (and some chords; all kept)
    x = np.concatenate([x, vertices[:, 0], midpoints[:, 0]])
    y = np.concatenate([y, vertices[:, 1], midpoints[:, 1]])

    found = zone_of(zones, x, y)
    expected = sjoin_matches(zones, x, y)

    disagree = [i for i, (got, want) in enumerate(zip(found, expected))
                if (got is None and want) or (got is not None and got not in want)]
    assert disagree == [], f"{len(disagree)} disagreements, first at {x[disagree[0]]}, {y[disagree[0]]}"
    outside = sum(1 for want in expected if not want)
    on_shared_boundary = sum(1 for want in expected if len(want) > 1)
    assert outside > 10_000 and on_shared_boundary > 20, "the sample must exercise outside and boundary points"


def test_shared_boundary_goes_to_the_first_zone_in_file_order(zones):
    a, b = zones.geometry.iloc[2], zones.geometry.iloc[3]  # stora-torg and brogatan-lilla-torg share edges
    shared = shapely.intersection(a.boundary, b.boundary)
    point = shapely.line_interpolate_point(shapely.line_merge(shared), 0.5, normalized=True) \
        if shared.geom_type != "Point" else shared
    assert zone_positions(zones, [point.x], [point.y])[0] == 2


def test_nan_and_empty_input(zones):
    assert zone_positions(zones, [np.nan], [56.674]).tolist() == [-1]
    assert zone_of(zones, np.array([]), np.array([])).shape == (0,)
    with pytest.raises(ValueError, match="differ in shape"):
        zone_positions(zones, [1.0, 2.0], [1.0])


lon = st.floats(12.850, 12.868, allow_nan=False)
lat = st.floats(56.668, 56.680, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(lon, lat), min_size=1, max_size=50))
def test_found_zone_holds_the_point_and_none_means_no_zone_does(zones, points):
    x, y = np.array(points).T
    found = zone_positions(zones, x, y)
    geoms = zones.geometry.to_numpy()
    for xi, yi, position in zip(x, y, found):
        point = shapely.Point(xi, yi)
        if position >= 0:
            assert geoms[position].intersects(point)
        else:
            assert not shapely.intersects(geoms, point).any()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(lon, lat), min_size=1, max_size=50), st.floats(1.0, 100.0))
def test_moving_points_far_away_finds_no_zone(zones, points, shift_degrees):
    x, y = np.array(points).T
    assert (zone_positions(zones, x + shift_degrees, y) == -1).all()


@settings(max_examples=100, deadline=None)
@given(cuts_x=st.lists(st.floats(0.05, 0.95), min_size=1, max_size=4, unique=True),
       cuts_y=st.lists(st.floats(0.05, 0.95), min_size=1, max_size=4, unique=True),
       points=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=40))
def test_every_point_of_a_grid_partition_gets_the_cell_that_holds_it(cuts_x, cuts_y, points):
    xs, ys = [0.0, *sorted(cuts_x), 1.0], [0.0, *sorted(cuts_y), 1.0]
    cells = [shapely.box(x0, y0, x1, y1) for x0, x1 in zip(xs, xs[1:]) for y0, y1 in zip(ys, ys[1:])]
    grid = gpd.GeoDataFrame({"zone_id": [f"c{i}" for i in range(len(cells))]}, geometry=cells, crs="EPSG:4326")
    x, y = np.array(points).T
    found = zone_positions(grid, x, y)
    assert (found >= 0).all(), "a partition leaves no point of its extent without a zone"
    assert all(cells[p].intersects(shapely.Point(px, py)) for p, px, py in zip(found, x, y))

"""Spatial coverage of patrol presence: the parts of each zone a patrol came within reach of.

A place counts as **visited** when a ping of visible presence (see :mod:`geo.patrol`) came within
``reach_m`` (default 25 m) of it. Places are the zones' 25 m grid cells (EPSG:3006; a cell on a
zone boundary is split between the zones, and each part counts by the cell's centre) and, when a
street layer exists, the walkable street centre lines cut into pieces of ``step_m`` (5 m; a piece
counts by its midpoint). Presence positions are the rows of the presence trail (:mod:`geo.trail`),
each standing for the interval midpoints in its 5 m square by their mean, to the metre; the
nearest-neighbour search is scipy's cKDTree.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.zones import zone_positions

REACH_M = 25.0
CELL_M = 25.0
STREET_STEP_M = 5.0


class Reach:
    """Where visible presence was: an index of presence positions (SWEREF 99 TM metres)
    answering whether a place lies within ``reach_m`` of any of them."""

    def __init__(self, presence_east: ArrayLike, presence_north: ArrayLike, reach_m: float = REACH_M) -> None:
        positions = np.column_stack([np.asarray(presence_east, dtype=float), np.asarray(presence_north, dtype=float)])
        self.reach_m = reach_m
        self._tree = cKDTree(positions) if len(positions) else None

    def reached(self, east: ArrayLike, north: ArrayLike) -> NDArray[np.bool_]:
        """Which of the points (metres) have a presence position within ``reach_m``."""
        east = np.asarray(east, dtype=float)
        if self._tree is None:
            return np.zeros(len(east), dtype=bool)
        distance, _ = self._tree.query(np.column_stack([east, np.asarray(north, dtype=float)]),
                                       distance_upper_bound=self.reach_m)
        return distance <= self.reach_m


def covered_cells(zones: gpd.GeoDataFrame, reach: Reach, cell_m: float = CELL_M) -> gpd.GeoDataFrame:
    """The zones cut into ``cell_m`` grid cells (EPSG:3006), each part with ``zone_id``,
    ``covered`` (presence within reach of the cell's centre) and ``area_m2``."""
    metric = to_metric(zones)
    minx, miny, maxx, maxy = metric.total_bounds
    xs = np.arange(np.floor(minx / cell_m) * cell_m, maxx, cell_m)
    ys = np.arange(np.floor(miny / cell_m) * cell_m, maxy, cell_m)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    boxes = shapely.box(gx, gy, gx + cell_m, gy + cell_m)
    cell_index, zone_index = shapely.STRtree(boxes).query(metric.geometry.to_numpy(), predicate="intersects")[::-1]
    parts = shapely.intersection(boxes[cell_index], metric.geometry.to_numpy()[zone_index])
    area = shapely.area(parts)
    keep = area > 1e-6
    cell_index, zone_index, parts, area = cell_index[keep], zone_index[keep], parts[keep], area[keep]
    centre_e, centre_n = gx[cell_index] + cell_m / 2, gy[cell_index] + cell_m / 2
    covered = reach.reached(centre_e, centre_n)
    return gpd.GeoDataFrame({"zone_id": zones["zone_id"].to_numpy()[zone_index], "covered": covered,
                             "area_m2": area}, geometry=parts, crs=SWEREF99TM)


def covered_streets(streets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, reach: Reach,
                    step_m: float = STREET_STEP_M) -> gpd.GeoDataFrame:
    """Street centre lines cut into pieces of at most ``step_m`` (EPSG:3006), each with the
    ``zone_id`` of its midpoint (None outside the zones), ``covered`` and ``length_m``."""
    lines = shapely.segmentize(to_metric(streets).geometry.to_numpy(), step_m)
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    same_line = line_of[:-1] == line_of[1:]
    starts, ends = coords[:-1][same_line], coords[1:][same_line]
    pieces = shapely.linestrings(np.stack([starts, ends], axis=1))
    mid = (starts + ends) / 2
    zone = zone_positions(to_metric(zones), mid[:, 0], mid[:, 1])
    covered = reach.reached(mid[:, 0], mid[:, 1])
    ids = np.append(zones["zone_id"].to_numpy(dtype=object), None)[zone]
    return gpd.GeoDataFrame({"zone_id": ids, "covered": covered, "length_m": shapely.length(pieces)},
                            geometry=pieces, crs=SWEREF99TM)


def coverage_by_zone(zones: gpd.GeoDataFrame, cells: gpd.GeoDataFrame,
                     pieces: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Per zone (index ``zone_id``): share of area visited, uncovered area (m²), and when street
    pieces are given the share of street length visited and the uncovered length (m)."""
    index = pd.Index(zones["zone_id"], name="zone_id")
    area = cells.groupby("zone_id")["area_m2"].sum().reindex(index, fill_value=0)
    visited = cells[cells["covered"]].groupby("zone_id")["area_m2"].sum().reindex(index, fill_value=0)
    frame = pd.DataFrame({"area_covered_share": (visited / area).where(area > 0),
                          "uncovered_area_m2": area - visited}, index=index)
    if pieces is not None:
        length = pieces.groupby("zone_id")["length_m"].sum().reindex(index, fill_value=0)
        walked = pieces[pieces["covered"]].groupby("zone_id")["length_m"].sum().reindex(index, fill_value=0)
        frame["street_covered_share"] = (walked / length).where(length > 0)
        frame["uncovered_street_m"] = length - walked
    return frame


def uncovered_places(cells: gpd.GeoDataFrame, pieces: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The places no presence reached, per zone, in WGS84: ``kind`` "area" (merged cells) and,
    with street pieces, "street" (merged lines), with their size in m² or m."""
    rows = []
    for zone_id, group in cells[~cells["covered"]].groupby("zone_id"):
        merged = shapely.union_all(group.geometry.to_numpy())
        rows.append({"zone_id": zone_id, "kind": "area", "size": float(merged.area), "geometry": merged})
    if pieces is not None:
        for zone_id, group in pieces[~pieces["covered"] & pieces["zone_id"].notna()].groupby("zone_id"):
            merged = shapely.line_merge(shapely.union_all(group.geometry.to_numpy()))
            rows.append({"zone_id": zone_id, "kind": "street", "size": float(merged.length), "geometry": merged})
    frame = gpd.GeoDataFrame(rows, columns=["zone_id", "kind", "size", "geometry"], geometry="geometry",
                             crs=SWEREF99TM)
    return frame.to_crs(WGS84)

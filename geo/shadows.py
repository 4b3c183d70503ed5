"""Buildings in the way of the light: which lamp-to-point rays a building footprint blocks.

A ray runs straight from the luminaire (height h) to the lit point (height z0: the ground, or
1.5 m for semi-cylindrical illuminance). A building of height H blocks it when the ray crosses its
footprint lower than H. The ray is lowest where it enters the footprint nearest the point, at
z0 + (h − z0)·s/d (s the horizontal distance from the point to that crossing, d to the lamp), so
a building at least as tall as the lamp blocks every ray that crosses it, and a lower one only
those that cross it close enough to the point. A footprint without a height blocks every ray
that crosses it. The last 0.75 m of a ray at the lamp's end is not tested, so a luminaire on a
facade is not shadowed by its own wall. All geometry in SWEREF 99 TM (EPSG:3006, metres).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from rasterio.features import rasterize
from rasterio.transform import Affine

from geo.crs import to_metric

OWN_WALL_M = 0.75
COARSE_CELL_M = 2.0
"""Cell of the occupancy grid that rules out, from its summed-area table, the rays whose bounding
box holds no building (most rays along a street), before any geometry is made."""


class Obstructions:
    """Building footprints with their heights, indexed for :meth:`blocked`."""

    def __init__(self, buildings: gpd.GeoDataFrame) -> None:
        """``buildings``: polygons (any CRS) with ``height_m`` (NaN: blocks every crossing ray)."""
        metric = to_metric(buildings)
        self.footprints = metric.geometry.to_numpy()
        self.heights = np.nan_to_num(metric["height_m"].to_numpy(float), nan=np.inf)
        self.tree = shapely.STRtree(self.footprints)
        self.empty = len(self.footprints) == 0
        if self.empty:
            return
        minx, miny, maxx, maxy = shapely.total_bounds(self.footprints)
        self.x0, self.y0 = minx - COARSE_CELL_M, miny - COARSE_CELL_M
        nx = int(np.ceil((maxx - self.x0) / COARSE_CELL_M)) + 2
        ny = int(np.ceil((maxy - self.y0) / COARSE_CELL_M)) + 2
        transform = Affine(COARSE_CELL_M, 0, self.x0, 0, -COARSE_CELL_M, self.y0 + ny * COARSE_CELL_M)
        occupied = rasterize(self.footprints, out_shape=(ny, nx), transform=transform, all_touched=True,
                             fill=0, default_value=1, dtype="int32")[::-1]  # row 0 the southernmost
        self.table = np.zeros((ny + 1, nx + 1), dtype=np.int32)
        self.table[1:, 1:] = occupied.cumsum(axis=0).cumsum(axis=1)
        self.shape = (ny, nx)

    def blocked(self, px: NDArray[np.float64], py: NDArray[np.float64], lx: NDArray[np.float64],
                ly: NDArray[np.float64], h: NDArray[np.float64], z0: float = 0.0) -> NDArray[np.bool_]:
        """Whether a building blocks each ray from a lamp at (``lx``, ``ly``, ``h``) to the point
        (``px``, ``py``, ``z0``); arrays of one length, metres."""
        out = np.zeros(len(px), dtype=bool)
        if self.empty or not len(px):
            return out
        ny, nx = self.shape
        c0 = np.clip((np.minimum(px, lx) - self.x0) // COARSE_CELL_M, 0, nx - 1).astype(np.int64)
        c1 = np.clip((np.maximum(px, lx) - self.x0) // COARSE_CELL_M, 0, nx - 1).astype(np.int64)
        r0 = np.clip((np.minimum(py, ly) - self.y0) // COARSE_CELL_M, 0, ny - 1).astype(np.int64)
        r1 = np.clip((np.maximum(py, ly) - self.y0) // COARSE_CELL_M, 0, ny - 1).astype(np.int64)
        t = self.table
        near = np.flatnonzero(t[r1 + 1, c1 + 1] - t[r0, c1 + 1] - t[r1 + 1, c0] + t[r0, c0] > 0)
        if not len(near):
            return out
        dx, dy = lx[near] - px[near], ly[near] - py[near]
        d = np.hypot(dx, dy)
        reach = np.maximum(d - OWN_WALL_M, 0.0) / np.maximum(d, 1e-9)
        coords = np.empty((2 * len(near), 2))
        coords[0::2, 0], coords[0::2, 1] = px[near], py[near]
        coords[1::2, 0], coords[1::2, 1] = px[near] + dx * reach, py[near] + dy * reach
        rays = shapely.linestrings(coords, indices=np.repeat(np.arange(len(near)), 2))
        ray, building = self.tree.query(rays, predicate="intersects")
        height = self.heights[building]
        tall = height >= h[near[ray]]
        low = np.flatnonzero(~tall)
        if len(low):  # lower than the lamp: blocked only where the ray enters it lower than its roof
            crossing = shapely.intersection(rays[ray[low]], self.footprints[building[low]])
            at = near[ray[low]]
            s = shapely.distance(shapely.points(px[at], py[at]), crossing)
            tall[low] = height[low] > z0 + (h[at] - z0) * s / np.maximum(d[ray[low]], 1e-9)
        out[near[ray[tall]]] = True
        return out

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
boxes (of each quarter of the ray) hold no building (most rays along a street), before any
geometry is made."""
BLOCK = 1 << 15
QUARTERS = 4
ROOF_CELL_M = 1.0
SAMPLES = 8
"""Cell of the grid of roof heights, and samples along a ray tested in it: a ray found inside a
footprint lower than its roof is blocked without geometry; the rest are tested exactly."""


class Obstructions:
    """Building footprints with their heights, indexed for :meth:`blocked`: an R-tree of the
    footprints, a summed-area table of a coarse grid of the cells any footprint touches (rays
    whose every quarter's bounding box is empty are free), and a grid of the roof heights of the
    cells wholly inside a footprint (a ray sampled inside one lower than its roof is blocked)."""

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
        fine_x, fine_y = int(np.ceil((maxx - self.x0) / ROOF_CELL_M)) + 2, int(np.ceil((maxy - self.y0) / ROOF_CELL_M)) + 2
        inner = shapely.buffer(self.footprints, -ROOF_CELL_M * np.sqrt(0.5))  # a cell whose centre is in it lies inside
        keep = ~shapely.is_empty(inner)
        self.roofs = rasterize(zip(inner[keep], np.minimum(self.heights[keep], 1e6)), out_shape=(fine_y, fine_x),
                               transform=Affine(ROOF_CELL_M, 0, self.x0, 0, -ROOF_CELL_M, self.y0 + fine_y * ROOF_CELL_M),
                               fill=0, dtype="float32")[::-1] if keep.any() else np.zeros((fine_y, fine_x), "float32")

    def _any_in_boxes(self, ax: NDArray[np.float64], ay: NDArray[np.float64], bx: NDArray[np.float64],
                      by: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Whether any footprint touches the coarse cells of each box with corners a and b."""
        ny, nx = self.shape
        scale = 1.0 / COARSE_CELL_M
        c0 = np.clip(((np.minimum(ax, bx) - self.x0) * scale).astype(np.int64), 0, nx - 1)
        c1 = np.clip(((np.maximum(ax, bx) - self.x0) * scale).astype(np.int64), 0, nx - 1)
        r0 = np.clip(((np.minimum(ay, by) - self.y0) * scale).astype(np.int64), 0, ny - 1)
        r1 = np.clip(((np.maximum(ay, by) - self.y0) * scale).astype(np.int64), 0, ny - 1)
        t = self.table
        return t[r1 + 1, c1 + 1] - t[r0, c1 + 1] - t[r1 + 1, c0] + t[r0, c0] > 0

    def blocked(self, px: NDArray[np.float64], py: NDArray[np.float64], lx: NDArray[np.float64],
                ly: NDArray[np.float64], h: NDArray[np.float64], z0: float = 0.0) -> NDArray[np.bool_]:
        """Whether a building blocks each ray from a lamp at (``lx``, ``ly``, ``h``) to the point
        (``px``, ``py``, ``z0``); arrays of one length, metres. Rays are taken in blocks of
        :data:`BLOCK` so each step's arrays stay in the cache."""
        out = np.zeros(len(px), dtype=bool)
        if self.empty or not len(px):
            return out
        for start in range(0, len(px), BLOCK):
            part = slice(start, start + BLOCK)
            out[part] = self._blocked(px[part], py[part], lx[part], ly[part], h[part], z0)
        return out

    def _blocked(self, px: NDArray[np.float64], py: NDArray[np.float64], lx: NDArray[np.float64],
                 ly: NDArray[np.float64], h: NDArray[np.float64], z0: float) -> NDArray[np.bool_]:
        out = np.zeros(len(px), dtype=bool)
        dx, dy = lx - px, ly - py
        d = np.hypot(dx, dy)
        reach = np.maximum(d - OWN_WALL_M, 0.0) / np.maximum(d, 1e-9)
        ex, ey = dx * reach, dy * reach  # from the point to the end of the tested part of the ray
        busy = np.zeros(len(px), dtype=bool)
        for k in range(QUARTERS):
            a, b = k / QUARTERS, (k + 1) / QUARTERS
            busy |= self._any_in_boxes(px + ex * a, py + ey * a, px + ex * b, py + ey * b)
        near = np.flatnonzero(busy)
        if not len(near):
            return out
        # sure: a sample of the ray inside a footprint, lower than its roof
        fy, fx = self.roofs.shape
        steps = (np.arange(SAMPLES) + 0.5) / SAMPLES
        sx = px[near, None] + ex[near, None] * steps
        sy = py[near, None] + ey[near, None] * steps
        col = np.clip(((sx - self.x0) / ROOF_CELL_M).astype(np.int64), 0, fx - 1)
        row = np.clip(((sy - self.y0) / ROOF_CELL_M).astype(np.int64), 0, fy - 1)
        ray_z = z0 + (h[near, None] - z0) * (reach[near, None] * steps)
        sure = (self.roofs[row, col] > ray_z).any(axis=1)
        out[near[sure]] = True
        near = near[~sure]
        if not len(near):
            return out
        coords = np.empty((2 * len(near), 2))
        coords[0::2, 0], coords[0::2, 1] = px[near], py[near]
        coords[1::2, 0], coords[1::2, 1] = px[near] + ex[near], py[near] + ey[near]
        rays = shapely.linestrings(coords, indices=np.repeat(np.arange(len(near)), 2))
        ray, building = self.tree.query(rays, predicate="intersects")
        height = self.heights[building]
        tall = height >= h[near[ray]]
        low = np.flatnonzero(~tall)
        if len(low):  # lower than the lamp: blocked only where the ray enters it lower than its roof
            crossing = shapely.intersection(rays[ray[low]], self.footprints[building[low]])
            at = near[ray[low]]
            s = shapely.distance(shapely.points(px[at], py[at]), crossing)
            tall[low] = height[low] > z0 + (h[at] - z0) * s / np.maximum(d[at], 1e-9)
        out[near[ray[tall]]] = True
        return out

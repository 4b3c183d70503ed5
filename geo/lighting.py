"""Modelled street-lighting illuminance on a grid and at calculation points, zone figures, dark spots.

Model. The horizontal illuminance on the ground from one luminaire at mounting height h is
E = I(θ)·cos³θ / h², θ the angle from the vertical at the lamp. By default the intensity is
Lambertian downward, I(θ) = (Φ·MF/π)·cos θ (Φ lamp flux in lumen, MF maintenance factor, default
0.8), so E = (Φ·MF/π)·h² / (h² + d²)² at horizontal distance d. Lamps are summed on a grid of
``cell_m`` cells (default 1 m) in SWEREF 99 TM (the picture: maps, dark spots, zone figures) and
at the EN 13201-3 calculation points of :mod:`geo.fields` (the compliance). Each lamp lights only
cells within ``cutoff_factor`` × h (default 10 h) of it along each axis (points: within that
distance): beyond that its contribution is below
(1 + 10²)⁻² ≈ 0.01 % of its nadir value, i.e. at most 0.012 lx for an 8,000 lm lamp at 4 m, so a
cell's modelled value is too low by at most that times the number of lamps farther away (with 2,000
lamps over the centre ``benchmarks/lighting.py`` measures at most 0.09 lx).

Luminaire types with a photometric file (EULUMDAT or IES, :mod:`geo.photometry`) use its intensity
distribution instead, E = I(C, γ)·cos³γ / h², with C and γ in the luminaire's frame: it faces the
bearing ``azimuth_deg`` (its C90 half-plane, the street side) and is tilted up on that side by
``tilt_deg``; the luminaire hangs ``overhang_m`` from its pole (the layer's point) that way. Only
lamps with status ``working`` give light (broken, removed and planned lamps do not); a lamp's
``installed_at`` and ``removed_at`` place it in time (:func:`in_place`).
EN 13201-2:2015, table 3, pedestrian classes (maintained average Ē / minimum Emin, lux):
P1 15/3, P2 10/2, P3 7.5/1.5, P4 5/1, P5 3/0.6, P6 2/0.4.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from astral import Observer
from numpy.typing import NDArray
from rasterio.features import rasterize, shapes
from rasterio.transform import Affine
from scipy import ndimage
from scipy.spatial import cKDTree

from geo.arrays import sum_by
from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.lamp_history import status_at
from geo.layers import USABLE_PRECISION
from geo.photometry import Photometry, luminaire_angles
from geo.shadows import Obstructions
from geo.sun import after_dark
from geo.zones import zone_positions
from geo.workflow import CONFIRMED_STATUSES

MAINTENANCE_FACTOR = 0.8
CUTOFF_FACTOR = 10.0
PEDESTRIAN_CLASSES = {"P1": (15.0, 3.0), "P2": (10.0, 2.0), "P3": (7.5, 1.5), "P4": (5.0, 1.0),
                      "P5": (3.0, 0.6), "P6": (2.0, 0.4)}
"""EN 13201-2:2015 table 3: class -> (maintained average Ē, maintained minimum Emin) in lux."""
SEMICYLINDRICAL_CLASSES = {"SC1": 10.0, "SC2": 7.5, "SC3": 5.0, "SC4": 3.0, "SC5": 2.0, "SC6": 1.5, "SC7": 1.0,
                           "SC8": 0.75, "SC9": 0.5}
"""EN 13201-2:2015 table 5: class -> maintained minimum semi-cylindrical illuminance E_sc,min in lux."""
MIN_DARK_SPOT_M2 = 10.0


@dataclass
class LuxGrid:
    """Illuminance in lux on a grid in SWEREF 99 TM: ``lux[row, col]`` is the value at the centre
    of the cell whose lower-left corner is (x0 + col·cell_m, y0 + row·cell_m); ``zone[row, col]``
    is the position in the zones of the zone holding that centre (-1 outside the zones)."""

    x0: float
    y0: float
    cell_m: float
    lux: NDArray[np.float64]
    zone: NDArray[np.int64]

    @property
    def transform(self) -> Affine:
        """Affine transform of the grid as a north-up raster (row 0 at the top), EPSG:3006."""
        rows = self.lux.shape[0]
        return Affine(self.cell_m, 0, self.x0, 0, -self.cell_m, self.y0 + rows * self.cell_m)

    def north_up(self, values: NDArray) -> NDArray:
        """A grid-shaped array flipped so row 0 is the northernmost, as rasters are stored."""
        return values[::-1]


def empty_grid(zones: gpd.GeoDataFrame, cell_m: float = 1.0, walkable: shapely.Geometry | None = None) -> LuxGrid:
    """A dark grid of ``cell_m`` cells covering the zones (WGS84 in, EPSG:3006 grid). Its
    walkable cells are those whose centre lies in a zone and, with ``walkable`` (the walkable
    surface, EPSG:3006; :func:`geo.fields.lit_surface`), on it."""
    metric = to_metric(zones)
    minx, miny, maxx, maxy = metric.total_bounds
    x0, y0 = np.floor(minx / cell_m) * cell_m, np.floor(miny / cell_m) * cell_m
    nx, ny = int(np.ceil((maxx - x0) / cell_m)), int(np.ceil((maxy - y0) / cell_m))
    cx, cy = np.meshgrid(x0 + (np.arange(nx) + 0.5) * cell_m, y0 + (np.arange(ny) + 0.5) * cell_m)
    zone = zone_positions(metric, cx.ravel(), cy.ravel()).reshape(ny, nx)
    grid = LuxGrid(x0, y0, cell_m, np.zeros((ny, nx)), zone)
    if walkable is not None:
        on = rasterize([walkable], out_shape=(ny, nx), transform=grid.transform, fill=0, default_value=1, dtype="uint8")
        zone[~grid.north_up(on).astype(bool)] = -1
    return grid


def illuminance(lights: gpd.GeoDataFrame, grid: LuxGrid, maintenance_factor: float = MAINTENANCE_FACTOR,
                cutoff_factor: float = CUTOFF_FACTOR, workers: int | None = None,
                photometry: Mapping[str, Photometry] | None = None) -> LuxGrid:
    """The grid lit by the ``working`` lamps of ``lights`` (a validated lights layer, WGS84).

    Lamps whose ``luminaire`` names an entry of ``photometry`` use that intensity distribution
    (:mod:`geo.photometry`); the others the Lambertian default.

    One vectorised stamp per lamp over the square of cells within ``cutoff_factor`` × its height
    of it along each axis (the square's corners reach further: the error bound above still holds).
    Lamps are shared among ``workers`` threads (default: one per CPU), each summing into its own
    grid; numpy releases the GIL while it computes.
    """
    working = lights[lights["status"] == "working"]
    if working.empty:
        return LuxGrid(grid.x0, grid.y0, grid.cell_m, np.zeros_like(grid.lux), grid.zone)
    tables = list((photometry or {}).values())
    lamps = _lamp_rows(working, maintenance_factor, photometry)
    workers = max(1, min(workers or os.cpu_count() or 1, len(lamps)))
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(lambda share: _stamp(share, grid, cutoff_factor, tables),
                              np.array_split(lamps, workers)))
    return LuxGrid(grid.x0, grid.y0, grid.cell_m, np.sum(parts, axis=0), grid.zone)


def _lamp_rows(working: gpd.GeoDataFrame, maintenance_factor: float,
               photometry: Mapping[str, Photometry] | None) -> NDArray[np.float64]:
    """One row per lamp: the luminaire's x, y (EPSG:3006, m; the pole moved ``overhang_m`` along the
    way it faces), h (m), Φ·MF (lm), the index of its photometry in ``photometry`` (-1:
    Lambertian), the bearing it faces and its tilt (degrees; a missing bearing is north)."""
    metric = to_metric(working)
    facing = working["azimuth_deg"].to_numpy(float) if "azimuth_deg" in working else np.zeros(len(working))
    facing = np.nan_to_num(facing, nan=0.0)
    overhang = working["overhang_m"].to_numpy(float) if "overhang_m" in working else np.zeros(len(working))
    tilt = working["tilt_deg"].to_numpy(float) if "tilt_deg" in working else np.zeros(len(working))
    names = {name: i for i, name in enumerate(photometry or {})}
    return np.column_stack([metric.geometry.x.to_numpy() + np.nan_to_num(overhang) * np.sin(np.radians(facing)),
                            metric.geometry.y.to_numpy() + np.nan_to_num(overhang) * np.cos(np.radians(facing)),
                            working["height_m"].to_numpy(float),
                            working["lumen"].to_numpy(float) * maintenance_factor,
                            working["luminaire"].map(names).fillna(-1).to_numpy(float),
                            facing, np.nan_to_num(tilt)])


def _stamp(lamps: NDArray[np.float64], grid: LuxGrid, cutoff_factor: float,
           tables: list[Photometry]) -> NDArray[np.float64]:
    """Sum of the lamps' illuminance on a new grid (lamp rows of :func:`_lamp_rows`)."""
    lit = np.zeros_like(grid.lux)
    ny, nx = lit.shape
    centres_x = grid.x0 + (np.arange(nx) + 0.5) * grid.cell_m
    centres_y = grid.y0 + (np.arange(ny) + 0.5) * grid.cell_m
    x, y, h, flux, table, facing, tilt = lamps.T
    radius = cutoff_factor * h
    c0 = np.clip((x - radius - grid.x0) // grid.cell_m, 0, nx).astype(int)
    c1 = np.clip((x + radius - grid.x0) // grid.cell_m + 1, 0, nx).astype(int)
    r0 = np.clip((y - radius - grid.y0) // grid.cell_m, 0, ny).astype(int)
    r1 = np.clip((y + radius - grid.y0) // grid.cell_m + 1, 0, ny).astype(int)
    for i in np.flatnonzero((c0 < c1) & (r0 < r1)).tolist():
        dx = centres_x[None, c0[i]:c1[i]] - x[i]
        dy = centres_y[r0[i]:r1[i], None] - y[i]
        lit[r0[i]:r1[i], c0[i]:c1[i]] += _lamp_lux(dx, dy, h[i], flux[i], tables[int(table[i])] if table[i] >= 0 else None,
                                                    facing[i], tilt[i])
    return lit


def _lamp_lux(dx: NDArray[np.float64], dy: NDArray[np.float64], h: NDArray[np.float64] | float,
              flux: NDArray[np.float64] | float, table: Photometry | None,
              facing: NDArray[np.float64] | float = 0.0, tilt: NDArray[np.float64] | float = 0.0) -> NDArray[np.float64]:
    """Horizontal illuminance (lux) at ground offsets ``dx`` east, ``dy`` north (m) of lamps at
    height ``h`` (m) giving ``flux`` Φ·MF (lm); arrays broadcast. Lambertian (``table`` None):
    E = (Φ·MF/π)·h² / (h² + d²)². With a photometry E = I(C, γ)·cos³γ / h² = I·h / (h² + d²)^1.5,
    I from the table in cd/klm × Φ·MF / 1000 at the C and γ of the point in the luminaire's frame:
    its C90 half-plane (the street side of a road luminaire) faces the bearing ``facing`` and
    ``tilt`` raises that side (degrees; EN 13032-1 C-γ system, :func:`geo.photometry.luminaire_angles`)."""
    slant2 = dx * dx + dy * dy + h * h
    if table is None:
        return flux / np.pi * h * h / (slant2 * slant2)
    c, gamma = luminaire_angles(dx, dy, -h, facing, tilt)  # in the frame whose C0 is the street side
    return table.intensity(c + 90.0, gamma) * (flux / 1000 * h) / slant2 ** 1.5


def illuminance_at(lights: gpd.GeoDataFrame, x: NDArray[np.float64], y: NDArray[np.float64],
                   maintenance_factor: float = MAINTENANCE_FACTOR, cutoff_factor: float = CUTOFF_FACTOR,
                   photometry: Mapping[str, Photometry] | None = None,
                   obstructions: Obstructions | None = None) -> NDArray[np.float64]:
    """Horizontal illuminance (lux) at the points ``x``, ``y`` (EPSG:3006, m; on the ground) from the
    ``working`` lamps of ``lights`` (a validated lights layer, WGS84), each lamp counted at points
    within ``cutoff_factor`` × its height (the model of the module docstring; photometry and
    orientation as :func:`illuminance`), less the rays ``obstructions`` block (:mod:`geo.shadows`)."""
    return LampContributions(lights, x, y, maintenance_factor, cutoff_factor, photometry, obstructions).lux()


SEMICYLINDER_HEIGHT_M = 1.5
"""EN 13201-3: semi-cylindrical illuminance is calculated 1.5 m above the ground."""


def semicylindrical_at(lights: gpd.GeoDataFrame, x: NDArray[np.float64], y: NDArray[np.float64],
                       ux: NDArray[np.float64], uy: NDArray[np.float64],
                       maintenance_factor: float = MAINTENANCE_FACTOR, cutoff_factor: float = CUTOFF_FACTOR,
                       photometry: Mapping[str, Photometry] | None = None,
                       obstructions: Obstructions | None = None) -> NDArray[np.float64]:
    """Semi-cylindrical illuminance (lux) 1.5 m above the points ``x``, ``y`` (EPSG:3006, m), the
    lower of the two semi-cylinders facing along the walking direction (``ux``, ``uy``, a unit
    vector per point) and against it, as EN 13201-3 computes it for the SC classes:
    E_sc = Σ I(C, γ)·(1 + cos α)·cos²ε·sin ε / (π·(h − 1.5)²), ε the ray's angle from the vertical
    at the point and α the horizontal angle between the way to the lamp and the way the
    semi-cylinder faces. Lamps at or below 1.5 m give none."""
    pairs = _Pairs.of(lights, x, y, maintenance_factor, cutoff_factor, photometry, obstructions, SEMICYLINDER_HEIGHT_M)
    return _semicylindrical(pairs, np.asarray(ux, dtype=float), np.asarray(uy, dtype=float))


def _semicylindrical(pairs: _Pairs, ux: NDArray[np.float64], uy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per point, the lower of the two semi-cylinders' illuminance from ``pairs`` (see
    :func:`semicylindrical_at`): Σ E₀·(1 + cos α) facing along, Σ E₀·(1 − cos α) against."""
    def base(rows: NDArray[np.bool_], table: Photometry | None) -> NDArray[np.float64]:
        dx, dy, h = pairs.dx[rows], pairs.dy[rows], pairs.h[rows] - SEMICYLINDER_HEIGHT_M
        d2 = dx * dx + dy * dy
        slant = np.sqrt(d2 + h * h)
        if table is None:
            intensity = pairs.flux[rows] / np.pi * h / slant  # Lambertian: (Φ·MF/π)·cos γ
        else:
            c, gamma = luminaire_angles(dx, dy, -h, pairs.facing[rows], pairs.tilt[rows])
            intensity = table.intensity(c + 90.0, gamma) * pairs.flux[rows] / 1000
        return np.where(h > 0, intensity * np.sqrt(d2) / (np.pi * slant ** 3), 0.0)  # I·cos²ε·sin ε / (π·h'²)

    e0 = pairs.values(base)
    d = np.hypot(pairs.dx, pairs.dy)
    cos_alpha = np.divide(-(pairs.dx * ux[pairs.point] + pairs.dy * uy[pairs.point]), d, out=np.zeros(len(d)),
                          where=d > 0)
    along = sum_by(pairs.point, e0 * (1 + cos_alpha), pairs.n)
    against = sum_by(pairs.point, e0 * (1 - cos_alpha), pairs.n)
    return np.minimum(along, against)


def field_light(lights: gpd.GeoDataFrame, points: pd.DataFrame, faces: NDArray[np.bool_],
                maintenance_factor: float = MAINTENANCE_FACTOR, cutoff_factor: float = CUTOFF_FACTOR,
                photometry: Mapping[str, Photometry] | None = None,
                obstructions: Obstructions | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """At the calculation ``points`` (``x``, ``y``, ``ux``, ``uy``; :func:`geo.fields.calculation_fields`):
    the horizontal illuminance (:func:`illuminance_at`), and the semi-cylindrical
    (:func:`semicylindrical_at`) where ``faces`` (NaN elsewhere), from one set of lamp-point pairs.
    A ray to a point 1.5 m up runs above the ray to the ground below it, so only rays a building
    blocks at the ground are tested again at 1.5 m."""
    x, y = points["x"].to_numpy(float), points["y"].to_numpy(float)
    pairs = _Pairs.of(lights, x, y, maintenance_factor, cutoff_factor, photometry, None, 0.0)
    blocked = np.zeros(len(pairs.point), dtype=bool)
    if obstructions is not None:
        lx, ly = x[pairs.point] - pairs.dx, y[pairs.point] - pairs.dy
        blocked = obstructions.blocked(x[pairs.point], y[pairs.point], lx, ly, pairs.h, 0.0)
    ground = pairs.select(~blocked)
    lux = ground.total(lambda rows, table: _lamp_lux(ground.dx[rows], ground.dy[rows], ground.h[rows], ground.flux[rows],
                                                     table, ground.facing[rows], ground.tilt[rows]))
    face = np.asarray(faces, dtype=bool)[pairs.point]
    again = np.flatnonzero(face & blocked)
    if len(again):
        lx, ly = x[pairs.point[again]] - pairs.dx[again], y[pairs.point[again]] - pairs.dy[again]
        blocked[again] = obstructions.blocked(x[pairs.point[again]], y[pairs.point[again]], lx, ly, pairs.h[again],
                                              SEMICYLINDER_HEIGHT_M)
    esc = _semicylindrical(pairs.select(face & ~blocked), points["ux"].to_numpy(float), points["uy"].to_numpy(float))
    return lux, np.where(np.asarray(faces, dtype=bool), esc, np.nan)


@dataclass
class _Pairs:
    """Every (point, lamp) pair within the cut-off that no building blocks: the point's index, the
    lamp's offset to the point (m), height, Φ·MF, photometry index, bearing and tilt."""

    n: int
    point: NDArray[np.int64]
    lamp: NDArray[np.int64]
    dx: NDArray[np.float64]
    dy: NDArray[np.float64]
    h: NDArray[np.float64]
    flux: NDArray[np.float64]
    table: NDArray[np.float64]
    facing: NDArray[np.float64]
    tilt: NDArray[np.float64]
    tables: list[Photometry]

    @classmethod
    def of(cls, lights: gpd.GeoDataFrame, x: NDArray[np.float64], y: NDArray[np.float64], maintenance_factor: float,
           cutoff_factor: float, photometry: Mapping[str, Photometry] | None, obstructions: Obstructions | None,
           z0: float) -> _Pairs:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        tables = list((photometry or {}).values())
        working = lights[lights["status"] == "working"]
        if working.empty or not len(x):
            return cls(len(x), np.zeros(0, np.int64), np.zeros(0, np.int64), *(np.zeros(0) for _ in range(7)), tables)
        lamp_x, lamp_y, h, flux, table, facing, tilt = _lamp_rows(working, maintenance_factor, photometry).T
        near = cKDTree(np.column_stack([x, y])).query_ball_point(np.column_stack([lamp_x, lamp_y]), cutoff_factor * h,
                                                                 return_sorted=False)
        sizes = np.fromiter((len(n) for n in near), dtype=np.int64, count=len(near))
        point = np.concatenate([np.asarray(n, dtype=np.int64) for n in near]) if sizes.sum() else np.zeros(0, np.int64)
        lamp = np.repeat(np.arange(len(near)), sizes)
        if obstructions is not None:
            free = ~obstructions.blocked(x[point], y[point], lamp_x[lamp], lamp_y[lamp], h[lamp], z0)
            point, lamp = point[free], lamp[free]
        return cls(len(x), point, lamp, x[point] - lamp_x[lamp], y[point] - lamp_y[lamp], h[lamp], flux[lamp],
                   table[lamp], facing[lamp], tilt[lamp], tables)

    def select(self, keep: NDArray[np.bool_]) -> _Pairs:
        """The pairs where ``keep``."""
        return _Pairs(self.n, self.point[keep], self.lamp[keep], self.dx[keep], self.dy[keep], self.h[keep],
                      self.flux[keep], self.table[keep], self.facing[keep], self.tilt[keep], self.tables)

    def values(self, value) -> NDArray[np.float64]:
        """Per pair, ``value(rows, table)``, one call per photometric table."""
        out = np.zeros(len(self.point))
        for index in np.unique(self.table).astype(int).tolist():
            rows = self.table == index
            out[rows] = value(rows, self.tables[index] if index >= 0 else None)
        return out

    def total(self, value) -> NDArray[np.float64]:
        """Per point, the sum of ``value(rows, table)`` over its pairs."""
        return sum_by(self.point, self.values(value), self.n)


class LampContributions:
    """Each working lamp's horizontal illuminance at each point (lux; the pairs within the cut-off
    that no building blocks), computed once and summed for any subset of the lamps: the lighting of
    many dates, or of many what-ifs, at the price of one."""

    def __init__(self, lights: gpd.GeoDataFrame, x: NDArray[np.float64], y: NDArray[np.float64],
                 maintenance_factor: float = MAINTENANCE_FACTOR, cutoff_factor: float = CUTOFF_FACTOR,
                 photometry: Mapping[str, Photometry] | None = None, obstructions: Obstructions | None = None) -> None:
        """``lights``: a lights layer (WGS84); its ``working`` lamps are the ones that can be summed."""
        pairs = _Pairs.of(lights, x, y, maintenance_factor, cutoff_factor, photometry, obstructions, 0.0)
        self.ids = lights.loc[lights["status"] == "working", "id"].to_numpy(dtype=object)
        self.n, self.point, self.lamp = pairs.n, pairs.point, pairs.lamp
        self.value = pairs.values(lambda rows, table: _lamp_lux(pairs.dx[rows], pairs.dy[rows], pairs.h[rows],
                                                                pairs.flux[rows], table, pairs.facing[rows],
                                                                pairs.tilt[rows]))

    def lux(self, working_ids: NDArray[np.object_] | None = None) -> NDArray[np.float64]:
        """Per point, the illuminance of the lamps with ``working_ids`` (default: all of them)."""
        on = np.ones(len(self.ids), dtype=bool) if working_ids is None else np.isin(self.ids, working_ids)
        keep = on[self.lamp]
        return sum_by(self.point[keep], self.value[keep], self.n)


def zone_lighting(grid: LuxGrid, zones: gpd.GeoDataFrame, lights: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Per zone (index ``zone_id``) over its walkable cells: average, minimum and uniformity
    (Emin/Eavg) of illuminance (lux), the zone's class with its Ē and Emin, the share of the area
    below Emin (dark), the walkable area (m²) and, with ``lights``, the number of broken lamps in
    the zone. Whether the lighting meets its class is judged per calculation field
    (:mod:`geo.fields`), not over a zone."""
    rows = []
    for position, (zone_id, cls) in enumerate(zip(zones["zone_id"], zones["lighting_class"])):
        values = grid.lux[grid.zone == position]
        average_req, minimum_req = PEDESTRIAN_CLASSES[cls]
        mean = float(values.mean()) if len(values) else 0.0
        low = float(values.min()) if len(values) else 0.0
        rows.append({"zone_id": zone_id, "lighting_class": cls, "class_average_lx": average_req,
                     "class_minimum_lx": minimum_req, "average_lx": mean, "minimum_lx": low,
                     "uniformity": low / mean if mean > 0 else 0.0,
                     "share_below_class_minimum": float((values < minimum_req).mean()) if len(values) else 0.0,
                     "walkable_m2": len(values) * grid.cell_m ** 2})
    frame = pd.DataFrame(rows).set_index("zone_id")
    if lights is not None:
        broken = lights[lights["status"] == "broken"]
        where = zone_positions(zones, broken.geometry.x.to_numpy(), broken.geometry.y.to_numpy())
        frame["broken_lamps"] = np.bincount(where[where >= 0], minlength=len(zones))
    return frame


def dark_spots(grid: LuxGrid, zones: gpd.GeoDataFrame, min_area_m2: float = MIN_DARK_SPOT_M2) -> gpd.GeoDataFrame:
    """Connected areas (4-neighbour cells) of a zone below its class minimum Emin, of at least
    ``min_area_m2``, as WGS84 polygons with ``zone_id``, ``area_m2`` and ``mean_lx``."""
    rows = []
    for position, (zone_id, cls) in enumerate(zip(zones["zone_id"], zones["lighting_class"])):
        labels, count = ndimage.label((grid.zone == position) & (grid.lux < PEDESTRIAN_CLASSES[cls][1]))
        if count == 0:
            continue
        sizes = np.bincount(labels.ravel())
        sums = sum_by(labels.ravel(), grid.lux.ravel(), count + 1)
        big = np.flatnonzero(sizes * grid.cell_m ** 2 >= min_area_m2)
        big = big[big > 0]
        keep = grid.north_up(np.where(np.isin(labels, big), labels, 0)).astype(np.int32)
        for geometry, value in shapes(keep, mask=keep > 0, transform=grid.transform):
            label = int(value)
            rows.append({"zone_id": zone_id, "area_m2": float(sizes[label] * grid.cell_m ** 2),
                         "mean_lx": float(sums[label] / sizes[label]), "geometry": shapely.geometry.shape(geometry)})
    frame = gpd.GeoDataFrame(rows, columns=["zone_id", "area_m2", "mean_lx", "geometry"], geometry="geometry",
                             crs=SWEREF99TM)
    return frame.to_crs(WGS84)


def incidents_after_dark(incidents: gpd.GeoDataFrame, spots: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                         walkable: shapely.Geometry | None = None) -> dict:
    """Incidents after dark (sunset to sunrise at the zones' centre on their date) inside the dark spots
    and elsewhere, as counts and rates per hectare. With the ``walkable`` surface (EPSG:3006,
    :func:`geo.fields.lit_surface`) "elsewhere" is the rest of the walkable surface in the zones,
    the area the dark spots are drawn on, and incidents placed off it (recorded at an address in a
    block, say) are counted apart (``off_walkable_surface``); without it, the rest of the zones.
    Incidents with a town-level position are left out and counted; all geometry WGS84, areas
    computed in SWEREF 99 TM."""
    usable = incidents[incidents["location_precision"].isin(USABLE_PRECISION)]
    centre = to_metric(zones).union_all().centroid
    lon, lat = gpd.GeoSeries([centre], crs=SWEREF99TM).to_crs(WGS84).iloc[0].coords[0]
    observer = Observer(latitude=lat, longitude=lon)  # the sun where the zones are, for any town
    dark = after_dark(usable["occurred_at"], observer) if len(usable) else np.zeros(0, dtype=bool)
    x, y = usable.geometry.x.to_numpy(), usable.geometry.y.to_numpy()
    in_zones = zone_positions(zones, x, y) >= 0
    union = shapely.union_all(spots.geometry.to_numpy()) if len(spots) else shapely.Polygon()
    in_spots = shapely.intersects_xy(union, x, y) & in_zones
    dark_ha = float(spots["area_m2"].sum()) / 1e4
    zones_m = shapely.union_all(to_metric(zones).geometry.to_numpy())
    on_surface = np.ones(len(x), dtype=bool)
    if walkable is None:
        elsewhere_ha = zones_m.area / 1e4 - dark_ha
    else:
        elsewhere_ha = shapely.intersection(walkable, zones_m).area / 1e4 - dark_ha
        metric = to_metric(usable)
        on_surface = shapely.intersects_xy(walkable, metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy())
    inside = int((dark & in_spots).sum())
    outside = int((dark & in_zones & ~in_spots & on_surface).sum())
    off = int((dark & in_zones & ~in_spots & ~on_surface).sum())
    figures = {"after_dark_incidents": inside + outside + off, "in_dark_spots": inside, "elsewhere": outside,
               "dark_spot_ha": round(dark_ha, 2), "elsewhere_ha": round(elsewhere_ha, 2),
               "rate_in_dark_spots_per_ha": round(inside / dark_ha, 3) if dark_ha > 0 else None,
               "rate_elsewhere_per_ha": round(outside / elsewhere_ha, 3) if elsewhere_ha > 0 else None,
               "excluded_town_level": int(len(incidents) - len(usable))}
    return figures if walkable is None else {**figures, "off_walkable_surface": off}


BROKEN_LIGHT_RADIUS_M = 30.0


def with_reported_breakdowns(lights: gpd.GeoDataFrame, reports: gpd.GeoDataFrame,
                             radius_m: float = BROKEN_LIGHT_RADIUS_M) -> gpd.GeoDataFrame:
    """``lights`` with the lamp nearest to every confirmed, not yet closed ``broken_light`` report
    (within ``radius_m``, SWEREF 99 TM; among working and broken lamps) set to ``broken``: staff
    confirmed the lamp is out, and it counts as out until the report is closed as repaired. A
    report about a lamp already marked broken switches no other lamp off."""
    confirmed = reports[(reports["category"] == "broken_light") & reports["status"].isin(CONFIRMED_STATUSES)]
    if confirmed.empty or not (lights["status"] == "working").any():
        return lights
    standing = to_metric(lights[lights["status"].isin(["working", "broken"])])  # a lamp already broken is the one reported
    nearest = gpd.sjoin_nearest(to_metric(confirmed)[["geometry"]], standing[["geometry"]],
                                max_distance=radius_m, how="inner")
    hit = nearest["index_right"].unique()
    out = lights.copy()
    out.loc[hit[(lights.loc[hit, "status"] == "working").to_numpy()], "status"] = "broken"
    return out


def in_place(lights: gpd.GeoDataFrame, at: pd.Timestamp) -> gpd.GeoDataFrame:
    """``lights`` as they stood at ``at`` by their dates: a lamp installed after it is not there
    yet (``planned``), a lamp removed at or before it is ``removed``; lamps without dates keep
    their status."""
    installed = lights["installed_at"] if "installed_at" in lights else pd.Series(pd.NaT, index=lights.index)
    removed = lights["removed_at"] if "removed_at" in lights else pd.Series(pd.NaT, index=lights.index)
    later, gone = (installed.notna() & (installed > at)).to_numpy(), (removed.notna() & (removed <= at)).to_numpy()
    if not (later.any() or gone.any()):
        return lights
    out = lights.copy()
    out.loc[later, "status"] = "planned"
    out.loc[gone & ~later, "status"] = "removed"
    return out


def lights_at(lights: gpd.GeoDataFrame, history: pd.DataFrame, reports: gpd.GeoDataFrame, at: pd.Timestamp,
              radius_m: float = BROKEN_LIGHT_RADIUS_M) -> gpd.GeoDataFrame:
    """The lamps as they stood at ``at`` (UTC or zoned). Their status is the one their history
    gave them then (:func:`geo.lamp_history.status_at`); their dates place them
    (:func:`in_place`): a lamp with ``installed_at`` after ``at`` is not there yet (and one still
    planned with an earlier ``installed_at`` is working), one with ``removed_at`` stands until then. The nearest working
    lamp (within ``radius_m``) of each ``broken_light`` report that staff confirmed or closed is out
    from the report's ``created_at`` until its ``closed_at``."""
    status = status_at(lights, history, at)
    installed = lights["installed_at"] if "installed_at" in lights else pd.Series(pd.NaT, index=lights.index)
    removed = lights["removed_at"] if "removed_at" in lights else pd.Series(pd.NaT, index=lights.index)
    put_up = (status == "planned") & installed.notna() & (installed <= at)
    status = status.mask(put_up | ((status == "removed") & removed.notna() & (removed > at)), "working")
    out = in_place(lights.assign(status=status), at)
    out_at = reports[(reports["category"] == "broken_light") & (reports["created_at"] <= at)
                     & (reports["status"].isin(CONFIRMED_STATUSES)
                        | ((reports["status"] == "closed") & (reports["closed_at"] > at)))]
    return with_reported_breakdowns(out, out_at.assign(status="acknowledged"), radius_m)


def facing_streets(lights: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """``lights`` with a missing ``azimuth_deg`` set to the bearing from the lamp to the nearest
    point of the nearest street centre line (degrees, 0 north, clockwise): a luminaire faces the
    street it lights. A lamp within 0.5 m of a centre line (over the street) faces across it. Both
    WGS84; computed in SWEREF 99 TM."""
    missing = lights["azimuth_deg"].isna().to_numpy() if "azimuth_deg" in lights else np.ones(len(lights), bool)
    if streets is None or streets.empty or not missing.any():
        return lights
    lamps = to_metric(lights[missing]).geometry.to_numpy()
    lines = to_metric(streets).geometry.to_numpy()
    _, nearest = shapely.STRtree(lines).query_nearest(lamps, return_distance=False, all_matches=False)
    line = lines[nearest]
    along = shapely.line_locate_point(line, lamps)
    foot = shapely.line_interpolate_point(line, along)
    dx, dy = shapely.get_x(foot) - shapely.get_x(lamps), shapely.get_y(foot) - shapely.get_y(lamps)
    ahead = shapely.line_interpolate_point(line, along + 0.5)
    behind = shapely.line_interpolate_point(line, along - 0.5)
    tx, ty = shapely.get_x(ahead) - shapely.get_x(behind), shapely.get_y(ahead) - shapely.get_y(behind)
    over = np.hypot(dx, dy) < 0.5
    dx, dy = np.where(over, ty, dx), np.where(over, -tx, dy)  # over the line: at right angles to it
    out = lights.copy()
    out.loc[missing, "azimuth_deg"] = np.mod(np.degrees(np.arctan2(dx, dy)), 360.0)
    return out

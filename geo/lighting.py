"""Modelled street-lighting illuminance, EN 13201 compliance per zone, dark spots and what-if.

Model. The horizontal illuminance on the ground from one luminaire at mounting height h is
E = I(θ)·cos³θ / h², θ the angle from the vertical at the lamp. By default the intensity is
Lambertian downward, I(θ) = (Φ·MF/π)·cos θ (Φ lamp flux in lumen, MF maintenance factor, default
0.8), so E = (Φ·MF/π)·h² / (h² + d²)² at horizontal distance d. Lamps are summed on a grid of
``cell_m`` cells (default 1 m) in SWEREF 99 TM. Each lamp lights only cells within
``cutoff_factor`` × h (default 10 h) of it along each axis: beyond that its contribution is below
(1 + 10²)⁻² ≈ 0.01 % of its nadir value, i.e. at most 0.012 lx for an 8,000 lm lamp at 4 m, so a
cell's modelled value is too low by at most that times the number of lamps farther away (with 2,000
lamps over the centre ``benchmarks/lighting.py`` measures at most 0.09 lx).

Luminaire types with a photometric file (EULUMDAT, :mod:`geo.photometry`) use its intensity
distribution instead, with E = I(γ)·cos³γ / h². Only lamps with status ``working`` give light
(broken, removed and planned lamps do not).
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

from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.layers import USABLE_PRECISION
from geo.photometry import Photometry
from geo.sun import after_dark
from geo.zones import zone_positions
from geo.workflow import CONFIRMED_STATUSES

MAINTENANCE_FACTOR = 0.8
CUTOFF_FACTOR = 10.0
PEDESTRIAN_CLASSES = {"P1": (15.0, 3.0), "P2": (10.0, 2.0), "P3": (7.5, 1.5), "P4": (5.0, 1.0),
                      "P5": (3.0, 0.6), "P6": (2.0, 0.4)}
"""EN 13201-2:2015 table 3: class -> (maintained average Ē, maintained minimum Emin) in lux."""
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


def empty_grid(zones: gpd.GeoDataFrame, cell_m: float = 1.0, buildings: gpd.GeoDataFrame | None = None) -> LuxGrid:
    """A dark grid of ``cell_m`` cells covering the zones (WGS84 in, EPSG:3006 grid). Its
    walkable cells are those whose centre lies in a zone and, with ``buildings`` (polygons, any
    CRS), outside every building footprint."""
    metric = to_metric(zones)
    minx, miny, maxx, maxy = metric.total_bounds
    x0, y0 = np.floor(minx / cell_m) * cell_m, np.floor(miny / cell_m) * cell_m
    nx, ny = int(np.ceil((maxx - x0) / cell_m)), int(np.ceil((maxy - y0) / cell_m))
    cx, cy = np.meshgrid(x0 + (np.arange(nx) + 0.5) * cell_m, y0 + (np.arange(ny) + 0.5) * cell_m)
    zone = zone_positions(metric, cx.ravel(), cy.ravel()).reshape(ny, nx)
    grid = LuxGrid(x0, y0, cell_m, np.zeros((ny, nx)), zone)
    if buildings is not None and len(buildings):
        footprints = rasterize(to_metric(buildings).geometry, out_shape=(ny, nx), transform=grid.transform,
                               fill=0, default_value=1, dtype="uint8")
        zone[grid.north_up(footprints).astype(bool)] = -1
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
    metric = to_metric(working)
    tables = list((photometry or {}).values())
    names = {name: i for i, name in enumerate(photometry or {})}
    lamps = np.column_stack([metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy(),
                             working["height_m"].to_numpy(float),
                             working["lumen"].to_numpy(float) * maintenance_factor,
                             working["luminaire"].map(names).fillna(-1).to_numpy(float)])
    workers = max(1, min(workers or os.cpu_count() or 1, len(lamps)))
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(lambda share: _stamp(share, grid, cutoff_factor, tables),
                              np.array_split(lamps, workers)))
    return LuxGrid(grid.x0, grid.y0, grid.cell_m, np.sum(parts, axis=0), grid.zone)


def _stamp(lamps: NDArray[np.float64], grid: LuxGrid, cutoff_factor: float,
           tables: list[Photometry]) -> NDArray[np.float64]:
    """Sum of the lamps' illuminance on a new grid; lamp rows are x, y (m), h (m), Φ·MF (lm) and
    the index of their photometry in ``tables`` (-1: Lambertian)."""
    lit = np.zeros_like(grid.lux)
    ny, nx = lit.shape
    centres_x = grid.x0 + (np.arange(nx) + 0.5) * grid.cell_m
    centres_y = grid.y0 + (np.arange(ny) + 0.5) * grid.cell_m
    x, y, h, flux, table = lamps.T
    radius = cutoff_factor * h
    c0 = np.clip((x - radius - grid.x0) // grid.cell_m, 0, nx).astype(int)
    c1 = np.clip((x + radius - grid.x0) // grid.cell_m + 1, 0, nx).astype(int)
    r0 = np.clip((y - radius - grid.y0) // grid.cell_m, 0, ny).astype(int)
    r1 = np.clip((y + radius - grid.y0) // grid.cell_m + 1, 0, ny).astype(int)
    nadir = flux / np.pi * h * h
    h2 = h * h
    for i in np.flatnonzero((c0 < c1) & (r0 < r1)).tolist():
        dx = centres_x[c0[i]:c1[i]] - x[i]
        dy = centres_y[r0[i]:r1[i]] - y[i]
        stamp = np.add.outer(dy * dy + h2[i], dx * dx)  # h² + d²
        if table[i] < 0:  # Lambertian: E = (Φ·MF/π)·h² / (h² + d²)²
            np.square(stamp, out=stamp)
            np.divide(nadir[i], stamp, out=stamp)
        else:  # E = I(γ)·cos³γ / h² = I(γ)·h / (h² + d²)^1.5, I from the table in cd/klm
            gamma = np.degrees(np.arccos(h[i] / np.sqrt(stamp)))
            stamp = tables[int(table[i])].intensity(np.degrees(np.arctan2(-dx, dy[:, None])), gamma) * (flux[i] / 1000 * h[i]) / stamp ** 1.5
        lit[r0[i]:r1[i], c0[i]:c1[i]] += stamp
    return lit


def zone_lighting(grid: LuxGrid, zones: gpd.GeoDataFrame, lights: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Per zone (index ``zone_id``) over its walkable cells: average, minimum and uniformity
    (Emin/Eavg) of illuminance (lux); the zone's target class with its Ē and Emin; whether the zone
    meets the class (average ≥ Ē and minimum ≥ Emin); the share of area lit to at least Ē and the
    share below Emin; and, with ``lights``, the number of broken lamps in the zone."""
    rows = []
    for position, (zone_id, cls) in enumerate(zip(zones["zone_id"], zones["lighting_class"])):
        values = grid.lux[grid.zone == position]
        average_req, minimum_req = PEDESTRIAN_CLASSES[cls]
        mean = float(values.mean()) if len(values) else 0.0
        low = float(values.min()) if len(values) else 0.0
        rows.append({"zone_id": zone_id, "lighting_class": cls, "class_average_lx": average_req,
                     "class_minimum_lx": minimum_req, "average_lx": mean, "minimum_lx": low,
                     "uniformity": low / mean if mean > 0 else 0.0,
                     "meets_class": bool(mean >= average_req and low >= minimum_req),
                     "share_at_class_average": float((values >= average_req).mean()) if len(values) else 0.0,
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
        sums = np.bincount(labels.ravel(), weights=grid.lux.ravel())
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


def incidents_after_dark(incidents: gpd.GeoDataFrame, spots: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> dict:
    """Incidents after dark (sunset to sunrise at the zones' centre on their date) inside the dark spots
    and elsewhere in the zones, as counts and rates per hectare. Incidents with a town-level
    position are left out and counted; all geometry WGS84, areas computed in SWEREF 99 TM."""
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
    elsewhere_ha = float(to_metric(zones).area.sum()) / 1e4 - dark_ha
    inside, outside = int((dark & in_spots).sum()), int((dark & in_zones & ~in_spots).sum())
    return {"after_dark_incidents": inside + outside, "in_dark_spots": inside, "elsewhere": outside,
            "dark_spot_ha": round(dark_ha, 2), "elsewhere_ha": round(elsewhere_ha, 2),
            "rate_in_dark_spots_per_ha": round(inside / dark_ha, 3) if dark_ha > 0 else None,
            "rate_elsewhere_per_ha": round(outside / elsewhere_ha, 3) if elsewhere_ha > 0 else None,
            "excluded_town_level": int(len(incidents) - len(usable))}


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


def lights_at(lights: gpd.GeoDataFrame, reports: gpd.GeoDataFrame, at: pd.Timestamp,
              radius_m: float = BROKEN_LIGHT_RADIUS_M) -> gpd.GeoDataFrame:
    """The lamps as they stood at ``at`` (UTC or zoned), reconstructed from today's layers: a lamp
    now ``broken`` or ``removed`` was working before its ``updated_at``; a ``planned`` lamp is not
    there; and the nearest working lamp (within ``radius_m``) of each ``broken_light`` report that
    staff confirmed or closed is out from the report's ``created_at`` until its ``closed_at``.
    Other changes leave no trace in the layers, so working lamps count as working all along."""
    out = lights[lights["status"] != "planned"].copy()
    changed_later = out["status"].isin(["broken", "removed"]) & out["updated_at"].notna() & (out["updated_at"] > at)
    out.loc[changed_later, "status"] = "working"
    out_at = reports[(reports["category"] == "broken_light") & (reports["created_at"] <= at)
                     & (reports["status"].isin(CONFIRMED_STATUSES)
                        | ((reports["status"] == "closed") & (reports["closed_at"] > at)))]
    return with_reported_breakdowns(out, out_at.assign(status="acknowledged"), radius_m)


def share_lit_to_class(figures: pd.DataFrame) -> float:
    """Share of the whole walkable area lit to at least its zone's class average, from the
    per-zone :func:`zone_lighting` figures (weighted by walkable m²); 0 when nothing is walkable."""
    area = figures["walkable_m2"].sum()
    return float((figures["share_at_class_average"] * figures["walkable_m2"]).sum() / area) if area else 0.0

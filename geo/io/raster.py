"""Writing the illuminance grid as a GeoTIFF (EPSG:3006) and as a coloured PNG overlay (WGS84),
and the incidents' kernel density as a GeoTIFF (EPSG:3006) for QGIS."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.errors import NotGeoreferencedWarning
from rasterio.warp import Resampling, calculate_default_transform, reproject

from geo.crs import SWEREF99TM, WGS84
from geo.hotspots import DensityGrid
from geo.io.files import new_file
from geo.lighting import LuxGrid

LUX_STOPS = (0.0, 0.4, 1.0, 2.0, 5.0, 10.0, 20.0)
"""Legend of the PNG: lux values and their colours (dark blue → yellow → white)."""
LUX_COLOURS = ((8, 8, 40, 230), (30, 30, 110, 210), (60, 60, 170, 190), (120, 90, 200, 170),
               (230, 170, 60, 150), (250, 230, 90, 140), (255, 255, 230, 130))


def write_geotiff(grid: LuxGrid, path: str | Path) -> None:
    """The illuminance (lux, float32) as a north-up GeoTIFF in SWEREF 99 TM; -1 outside the zones."""
    values = np.where(grid.zone >= 0, grid.lux, -1.0).astype(np.float32)
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0], "count": 1,
               "dtype": "float32", "crs": SWEREF99TM, "transform": grid.transform, "nodata": -1.0,
               "compress": "deflate"}
    with rasterio.open(new_file(path), "w", **profile) as out:
        out.write(grid.north_up(values), 1)
        out.update_tags(units="lux", quantity="modelled horizontal illuminance")


def write_density_geotiff(grid: DensityGrid, path: str | Path, bandwidth_m: float) -> None:
    """The incidents' kernel density (:func:`geo.hotspots.incident_density`, incidents per km²,
    float32) as a north-up GeoTIFF in SWEREF 99 TM, tagged with its unit, kernel and bandwidth."""
    values = grid.per_km2[::-1].astype(np.float32)
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0], "count": 1,
               "dtype": "float32", "crs": SWEREF99TM, "transform": grid.transform, "compress": "deflate"}
    with rasterio.open(new_file(path), "w", **profile) as out:
        out.write(values, 1)
        out.update_tags(units="incidents per km2", quantity="kernel density of incidents with a usable position",
                        kernel="quartic (biweight)", bandwidth_m=f"{bandwidth_m:g}")


def colourise(lux: NDArray[np.float64]) -> NDArray[np.uint8]:
    """RGBA colours (rows, cols, 4) of lux values by the :data:`LUX_STOPS` ramp; NaN transparent."""
    stops = np.asarray(LUX_STOPS)
    colours = np.asarray(LUX_COLOURS, dtype=float)
    rgba = np.stack([np.interp(np.nan_to_num(lux, nan=0.0), stops, colours[:, k]) for k in range(4)], axis=-1)
    rgba[np.isnan(lux)] = 0
    return rgba.astype(np.uint8)


def write_png_overlay(grid: LuxGrid, path: str | Path) -> list[list[float]]:
    """A coloured PNG of the illuminance reprojected to WGS84 (for a map's image overlay), with a
    ``.bounds.json`` beside it; returns the bounds ``[[south, west], [north, east]]`` in degrees."""
    path = new_file(path)
    bounds_path = new_file(path.with_suffix(".bounds.json"))
    source = np.where(grid.zone >= 0, grid.lux, np.nan)
    rows, cols = source.shape
    left, bottom = grid.x0, grid.y0
    right, top = left + cols * grid.cell_m, bottom + rows * grid.cell_m
    transform, width, height = calculate_default_transform(SWEREF99TM, WGS84, cols, rows, left, bottom, right, top)
    target = np.full((height, width), np.nan)
    reproject(grid.north_up(source), target, src_transform=grid.transform, src_crs=SWEREF99TM,
              dst_transform=transform, dst_crs=WGS84, resampling=Resampling.bilinear, src_nodata=np.nan,
              dst_nodata=np.nan)
    rgba = colourise(target)
    with warnings.catch_warnings():  # a PNG carries no georeferencing: the bounds file does
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="PNG", width=width, height=height, count=4, dtype="uint8") as out:
            out.write(np.moveaxis(rgba, -1, 0))
    west, north = transform.c, transform.f
    east, south = west + transform.a * width, north + transform.e * height
    bounds = [[south, west], [north, east]]
    bounds_path.write_text(json.dumps({"bounds": bounds, "crs": "EPSG:4326",
                                                           "lux_stops": LUX_STOPS}), encoding="utf-8")
    return bounds

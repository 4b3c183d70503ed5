"""Zones of the city centre: loading and strict validation, areas, and point -> zone lookup.

A zones file is a GeoJSON FeatureCollection (WGS84) of polygons that partition the centre.
Each feature carries ``zone_id`` (lowercase slug), ``name``, ``kind`` and ``lighting_class``
(the zone's target EN 13201-2 pedestrian class). Any file with these properties works.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.errors import Message, ValidationError
from geo.io.geojson import one_of, parse_features, read_geojson, text

ZONE_KINDS = ("square", "street", "park", "waterfront", "transport", "mixed")
LIGHTING_CLASSES = ("P1", "P2", "P3", "P4", "P5", "P6")
MAX_OVERLAP_M2 = 1.0
"""Largest tolerated overlap between two zones, and largest tolerated gap between zones (m²)."""

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _slug(value: Any) -> str | None:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        return f"{value!r} is not a lowercase slug (letters a-z, digits and single hyphens)"
    return None


ZONE_FIELDS = {"zone_id": _slug, "name": text, "kind": one_of(ZONE_KINDS),
               "lighting_class": one_of(LIGHTING_CLASSES)}


def read_zones(path: str | Path) -> gpd.GeoDataFrame:
    """Read and validate a zones GeoJSON file; see :func:`parse_zones`."""
    return parse_zones(read_geojson(path), source=str(path))


def parse_zones(doc: dict[str, Any], source: str = "zones") -> gpd.GeoDataFrame:
    """Validate a zones FeatureCollection and return it as a GeoDataFrame in WGS84.

    Columns: ``zone_id``, ``name``, ``kind``, ``lighting_class``, ``geometry`` (Polygon or
    MultiPolygon, EPSG:4326), in file order. The collection's other top-level members
    (source, licence, date, approximate, ...) are kept in ``.attrs["metadata"]``.

    Raises :class:`ValidationError` naming ``source``, the feature and the field for: a
    missing or malformed property, a duplicate ``zone_id``, an invalid, empty or non-WGS84
    geometry, two zones overlapping by more than 1 m², or a gap of more than 1 m² between zones.
    """
    zones = parse_features(doc, source, ("Polygon", "MultiPolygon"), ZONE_FIELDS, id_field="zone_id")
    duplicated = zones["zone_id"].duplicated(keep=False)
    if duplicated.any():
        first, second = np.flatnonzero(duplicated)[:2]
        raise ValidationError(Message("zone_id {zone_id!r} is used by features {first} and {second}; zone ids must "
                                      "be unique", zone_id=zones.zone_id.iloc[first], first=str(first),
                                      second=str(second)), file=source,
                              row=f"feature {second}", field="zone_id")
    _check_partition(zones, source)
    zones.attrs["metadata"] = {k: v for k, v in doc.items() if k not in ("type", "features", "crs")}
    return zones


def _check_partition(zones: gpd.GeoDataFrame, source: str) -> None:
    metric = to_metric(zones).geometry.to_numpy()
    left, right = shapely.STRtree(metric).query(metric, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    overlap = shapely.area(shapely.intersection(metric[left], metric[right]))
    if (overlap > MAX_OVERLAP_M2).any():
        k = int(np.argmax(overlap))
        i, j = left[k], right[k]
        raise ValidationError(
            Message("overlaps zone {zone_id!r} (feature {feature}) by {overlap} m²; zones must not overlap by more "
                    "than {most} m²", zone_id=zones.zone_id.iloc[i], feature=str(i), overlap=round(overlap[k], 1),
                    most=MAX_OVERLAP_M2), file=source,
            row=f"feature {j} (zone_id {zones.zone_id.iloc[j]!r})", field="geometry")
    union = shapely.union_all(metric)
    holes = [shapely.Polygon(ring) for part in getattr(union, "geoms", [union])
             for ring in part.interiors]
    gaps = [hole for hole in holes if hole.area > MAX_OVERLAP_M2]
    if gaps:
        gap = max(gaps, key=lambda hole: hole.area)
        where = gpd.GeoSeries([gap.representative_point()], crs=SWEREF99TM).to_crs(WGS84).iloc[0]
        lon, lat = where.x, where.y
        raise ValidationError(
            Message("there is a gap of {area} m² between zones near lon {lon}, lat {lat}; zones must cover the "
                    "centre without holes", area=round(gap.area, 1), lon=f"{lon:.6f}", lat=f"{lat:.6f}"), file=source)


def zone_areas_m2(zones: gpd.GeoDataFrame) -> pd.Series:
    """Area of each zone in m², computed in SWEREF 99 TM, indexed like ``zones``."""
    return to_metric(zones).area.rename("area_m2")


def published_zones(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The zones as they are published (``GET /api/zones``, the GIS package): their fields and
    ``area_m2`` to a tenth of a square metre."""
    return zones.assign(area_m2=zone_areas_m2(zones).round(1))


def zone_positions(zones: gpd.GeoDataFrame, x: ArrayLike, y: ArrayLike) -> NDArray[np.int64]:
    """Row position in ``zones`` of the zone holding each point, or -1 outside every zone.

    ``x`` and ``y`` are arrays of coordinates in the CRS of ``zones`` (longitude and latitude
    in degrees for WGS84 zones); pass whole arrays, not single points in a loop. Points on a
    zone's boundary belong to it; a point on the boundary shared by two zones goes to the
    first of them in file order. NaN coordinates give -1. Vectorised: one pass per zone over
    the points inside that zone's bounding box (``shapely.intersects_xy`` on prepared polygons).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"x and y differ in shape: {x.shape} vs {y.shape}")
    result = np.full(x.shape, -1, dtype=np.int64)
    geoms = zones.geometry.to_numpy()
    shapely.prepare(geoms)
    for position, (geom, (minx, miny, maxx, maxy)) in enumerate(zip(geoms, shapely.bounds(geoms))):
        candidates = np.flatnonzero((result == -1) & (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
        if candidates.size:
            result[candidates[shapely.intersects_xy(geom, x[candidates], y[candidates])]] = position
    return result


def zone_of(zones: gpd.GeoDataFrame, x: ArrayLike, y: ArrayLike) -> NDArray[np.object_]:
    """``zone_id`` of the zone holding each point, or None outside; see :func:`zone_positions`."""
    positions = zone_positions(zones, x, y)
    ids = np.append(zones["zone_id"].to_numpy(dtype=object), None)
    return ids[positions]


class ZoneGrid:
    """Point -> zone lookup for tens of millions of points: a grid over the zones' bounding box.

    Each cell holds the position of the zone that covers it entirely, -1 when it lies outside
    every zone, or -2 when a zone boundary passes through it; only points in those boundary cells
    are tested exactly (:func:`zone_positions`), so results equal :func:`zone_positions` while
    most points cost a few array operations. ``cell_deg`` is the cell's height in degrees of
    latitude (default 1e-5°, about 1.1 m; the width is scaled to be about as many metres); it is
    enlarged so the grid has at most ``max_cells`` cells.
    """

    def __init__(self, zones: gpd.GeoDataFrame, cell_deg: float = 1e-5, max_cells: int = 2_000_000) -> None:
        self.zones = zones
        minx, miny, maxx, maxy = zones.total_bounds
        aspect = max(np.cos(np.radians((miny + maxy) / 2)), 0.01)
        cell_deg = max(cell_deg, float(np.sqrt((maxx - minx) * aspect * (maxy - miny) / max_cells)))
        self.dy = cell_deg
        self.dx = cell_deg / max(np.cos(np.radians((miny + maxy) / 2)), 0.01)
        # a margin of two cells: the outer ring lies wholly outside the zones (the inner one may touch
        # their extreme points), so points beyond the grid, clipped onto it, need no exact test
        self.x0, self.y0 = minx - 2 * self.dx, miny - 2 * self.dy
        self.nx = int(np.ceil((maxx - self.x0) / self.dx)) + 2
        self.ny = int(np.ceil((maxy - self.y0) / self.dy)) + 2
        corner_x = self.x0 + self.dx * np.arange(self.nx + 1)
        corner_y = self.y0 + self.dy * np.arange(self.ny + 1)
        gx, gy = np.meshgrid(corner_x, corner_y)
        corners = zone_positions(zones, gx.ravel(), gy.ravel()).reshape(self.ny + 1, self.nx + 1)
        cells = corners[:-1, :-1].copy()
        mixed = ((corners[1:, :-1] != cells) | (corners[:-1, 1:] != cells) | (corners[1:, 1:] != cells))
        boundary = shapely.get_coordinates(shapely.segmentize(zones.boundary.to_numpy(), min(self.dx, self.dy) / 2))
        bx = ((boundary[:, 0] - self.x0) / self.dx).astype(np.int64)
        by = ((boundary[:, 1] - self.y0) / self.dy).astype(np.int64)
        mixed[by, bx] = True
        cells[mixed] = -2
        self.cells = cells.astype(np.int16 if len(zones) < 32_000 else np.int32)

    def positions(self, x: ArrayLike, y: ArrayLike) -> NDArray[np.int64]:
        """Like :func:`zone_positions` (same results), for lon/lat arrays in the zones' CRS.

        The grid has a margin of outside cells, so points beyond it (and NaN) are clipped onto
        the margin and come out as -1 without a mask.
        """
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        with np.errstate(invalid="ignore"):
            ix = np.clip((x - self.x0) * (1 / self.dx), -1, self.nx).astype(np.int64)
            iy = np.clip((y - self.y0) * (1 / self.dy), -1, self.ny).astype(np.int64)
        np.clip(ix, 0, self.nx - 1, out=ix)
        np.clip(iy, 0, self.ny - 1, out=iy)
        iy *= self.nx
        iy += ix
        result = self.cells.ravel().take(iy).astype(np.int64)
        exact = np.flatnonzero(result == -2)
        if len(exact):
            result[exact] = zone_positions(self.zones, x[exact], y[exact])
        return result

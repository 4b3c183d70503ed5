"""Building footprints and water: the surfaces that are not walkable and, for buildings, block light.

A surfaces file is a GeoJSON, GeoPackage or GeoParquet file of Polygons or MultiPolygons in any
CRS it declares (GeoJSON is WGS84 by RFC 7946). Buildings may carry ``height_m`` (metres, 1-300;
missing: unknown). Polygons are stored and returned in WGS84.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.crs import WGS84
from geo.errors import Message, ValidationError

SURFACE_KINDS = ("buildings", "water")
HEIGHT_BOUNDS_M = (1.0, 300.0)


def read_surfaces(kind: str, path: str | Path) -> gpd.GeoDataFrame:
    """The ``kind`` polygons of the file at ``path`` (see the module), validated: ``height_m``
    (buildings; NaN when not given), ``geometry`` (WGS84). Errors name the file, the feature and
    the field."""
    source = str(path)
    if kind not in SURFACE_KINDS:
        raise ValidationError(Message("unknown kind of surface {kind!r}; choose one of {surface_kinds}", kind=kind,
                                      surface_kinds=", ".join(SURFACE_KINDS)))
    path = Path(path)
    if not path.is_file():
        raise ValidationError(Message("file not found"), file=source)
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            frame = gpd.read_parquet(path)
        else:
            frame = pyogrio.read_dataframe(path)
    except (pyogrio.errors.DataSourceError, ValueError, OSError) as exc:
        raise ValidationError(Message("not a readable GeoJSON, GeoPackage or GeoParquet file: {exc}", exc=exc),
                              file=source) from None
    return validate_surfaces(kind, frame, source)


def validate_surfaces(kind: str, frame: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Check ``frame`` as surfaces of ``kind`` and return ``height_m`` and WGS84 ``geometry``."""
    if frame.empty:
        raise ValidationError(Message("the file has no features"), file=source)
    if frame.crs is None:
        raise ValidationError(Message("the file declares no CRS; declare it (for example with ogr2ogr -a_srs "
                                      "EPSG:3006)"),
                              file=source)
    geoms = frame.geometry.to_numpy()
    types = shapely.get_type_id(geoms)

    def first(bad: np.ndarray, message: str, field: str = "geometry") -> None:
        if bad.any():
            raise ValidationError(message, file=source, row=f"feature {int(np.argmax(bad)) + 1}", field=field)

    first(pd.isna(geoms) | shapely.is_empty(geoms), "the geometry is missing or empty")
    first(~np.isin(types, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON]),
          "expected a Polygon or MultiPolygon")
    valid = shapely.is_valid(geoms)
    if not valid.all():
        at = int(np.argmax(~valid))
        first(~valid, f"invalid geometry: {shapely.is_valid_reason(geoms[at])}")
    height = np.full(len(frame), np.nan)
    if kind == "buildings" and "height_m" in frame.columns:
        height = pd.to_numeric(frame["height_m"], errors="coerce").to_numpy(float)
        given = frame["height_m"].notna().to_numpy()
        first(given & ~np.isfinite(height), "expected a number of metres", "height_m")
        low, high = HEIGHT_BOUNDS_M
        first(given & ((height < low) | (height > high)), f"expected {low:g} to {high:g} m", "height_m")
    out = gpd.GeoDataFrame({"height_m": height}, geometry=geoms, crs=frame.crs).to_crs(WGS84)
    if not np.isfinite(shapely.get_coordinates(out.geometry.to_numpy())).all():
        raise ValidationError(Message("the coordinates do not reproject from {crs} to WGS84", crs=frame.crs),
                              file=source)
    return out

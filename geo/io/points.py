"""GeoJSON, GeoPackage and GeoParquet files of point records."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow
import pyogrio
import shapely

from geo.crs import WGS84
from geo.errors import Message, ValidationError
from geo.io.geojson import check_collection, read_json
from geo.io.records import Records
from geo.layers import AREA


def read_geojson_records(path: str | Path) -> Records:
    """Point features of a GeoJSON FeatureCollection (WGS84) as raw records ("feature N")."""
    return geojson_records(read_json(path), str(path))


def geojson_records(doc: dict, source: str, areas: bool = False) -> Records:
    """Point features of a parsed GeoJSON FeatureCollection (WGS84) as raw records; with ``areas``
    (events) Polygon and MultiPolygon features too, as their area (:data:`geo.layers.AREA`, WKT;
    the layer's rules place the record in it)."""
    check_collection(doc, source)
    properties, lon, lat, shapes = [], [], [], []
    for i, feature in enumerate(doc["features"]):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if areas and isinstance(geometry, dict) and geometry.get("type") in ("Polygon", "MultiPolygon"):
            try:
                shape = shapely.geometry.shape(geometry)
            except (ValueError, TypeError, AttributeError, KeyError, IndexError, shapely.errors.ShapelyError):
                raise ValidationError(Message("malformed {kind} coordinates", kind=geometry["type"]), file=source,
                                      row=f"feature {i}", field="geometry") from None
            properties.append(_json_as_text(feature.get("properties") or {}))
            # the rules place it in the area (and name a fault of the area); until then, its box's centre
            point = shapely.Point() if shape.is_empty else shapely.centroid(shapely.envelope(shape))
            lon.append(np.nan if point.is_empty else point.x)
            lat.append(np.nan if point.is_empty else point.y)
            shapes.append(shape.wkt)
            continue
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            found = geometry.get("type") if isinstance(geometry, dict) else geometry
            raise ValidationError(Message("expected a Point geometry, got {found!r}", found=found), file=source,
                                  row=f"feature {i}", field="geometry")
        coords = geometry.get("coordinates")
        if not isinstance(coords, list) or len(coords) < 2 or not all(
                isinstance(c, (int, float)) for c in coords[:2]):
            raise ValidationError(Message("malformed Point coordinates {coords!r}", coords=coords), file=source,
                                  row=f"feature {i}", field="geometry")
        properties.append(_json_as_text(feature.get("properties") or {}))
        lon.append(float(coords[0]))
        lat.append(float(coords[1]))
        shapes.append(None)
    raw = pd.DataFrame.from_records(properties) if properties else pd.DataFrame()
    raw = raw.drop(columns=[c for c in ("lon", "lat", "_row", AREA) if c in raw.columns])
    if areas:
        raw = raw.assign(**{AREA: shapes})
    return Records(raw.assign(lon=lon, lat=lat, _row=[f"feature {i}" for i in range(len(lon))]))


def _json_as_text(properties: object) -> object:
    """A feature's properties with each object or array value as its JSON text (GDAL writes a text
    field that holds JSON, such as a report's ``attributes``, as a JSON value)."""
    if not isinstance(properties, dict):
        return properties
    return {key: json.dumps(value, ensure_ascii=False, separators=(",", ":")) if isinstance(value, (dict, list))
            else value for key, value in properties.items()}


def read_geopackage_records(path: str | Path, layer: str, areas: bool = False) -> Records:
    """Point features of layer ``layer`` (or the file's only layer) of a GeoPackage, any CRS; with
    ``areas`` (events) Polygon and MultiPolygon features too, as for GeoJSON."""
    source = str(path)
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
        chosen = layer if layer in layers else (layers[0] if len(layers) == 1 else None)
        if chosen is None:
            raise ValidationError(Message("has no layer {layer!r} (layers: {layers})", layer=layer,
                                          layers=", ".join(layers)), file=source)
        frame = pyogrio.read_dataframe(path, layer=chosen, fid_as_index=True)
    except pyogrio.errors.DataSourceError as exc:
        raise ValidationError(Message("not a readable GeoPackage: {exc}", exc=exc), file=source) from None
    return point_records(frame, source, areas)


def read_geoparquet_records(path: str | Path) -> Records:
    """Point features of a GeoParquet file, any CRS; rows are numbered from 1 ("feature N")."""
    source = str(path)
    try:
        frame = gpd.read_parquet(path)
    except (pyarrow.ArrowException, ValueError) as exc:
        raise ValidationError(Message("not a readable GeoParquet file: {exc}", exc=exc), file=source) from None
    return point_records(frame.set_axis(pd.RangeIndex(1, len(frame) + 1)), source)


def point_records(frame: gpd.GeoDataFrame, source: str, areas: bool = False) -> Records:
    """Raw records of a frame of points (named by its index), positions in WGS84; with ``areas``
    polygons too, as :data:`geo.layers.AREA` (WKT) placed at their box's centre for now."""
    geoms = frame.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    allowed = [shapely.GeometryType.POINT] + ([shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON]
                                              if areas else [])
    bad = np.flatnonzero(~np.isin(kinds, allowed))
    if len(bad):
        raise ValidationError(Message("expected a Point geometry"), file=source, row=f"feature {frame.index[bad[0]]}",
                              field="geometry")
    if frame.crs is not None and frame.crs != WGS84:
        frame = frame.to_crs(WGS84)
    raw = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    points = shapely.centroid(shapely.envelope(frame.geometry.to_numpy()))
    if areas:
        polygon = kinds != shapely.GeometryType.POINT
        raw[AREA] = np.where(polygon, shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=-1), None)
    return Records(raw.assign(lon=shapely.get_x(points), lat=shapely.get_y(points),
                              _row=[f"feature {fid}" for fid in frame.index]).reset_index(drop=True))

"""Writing layer frames to GeoJSON (RFC 7946), GeoPackage, GeoParquet or CSV.

GeoParquet files are GeoParquet 1.1 with the ``bbox`` covering column (a reader can skip row
groups outside a box without decoding geometry) and times as UTC timestamps (milliseconds).
CSV text cells that a spreadsheet would read as a formula (starting with ``= + - @``, tab or CR)
get a leading apostrophe, OWASP's rule against CSV injection (:mod:`geo.io.csvsafe`); the CSV
reader takes it away again, so export → import stays exact. GeoJSON and GeoPackage keep text as is.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.crs import WGS84
from geo.errors import Message, ValidationError
from geo.io.csvsafe import neutralise
from geo.io.files import new_file
from geo.layers import AREA, COORDINATE_DECIMALS, EVENTS, LayerSchema
from geo.timestamps import format_utc

FORMATS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".parquet": "Parquet", ".csv": "CSV"}
GEOPARQUET_VERSION = "1.1.0"


def export_format(path: str | Path) -> str:
    """The export format named by a file's extension (GeoJSON, GPKG, Parquet or CSV)."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValidationError(Message("unknown file type {suffix!r}: use .geojson, .gpkg, .parquet or .csv",
                                      suffix=suffix), file=str(path))
    return FORMATS[suffix]


def write_layer(frame: pd.DataFrame, schema: LayerSchema, path: str | Path, include_private: bool = False) -> int:
    """Write a validated layer frame to ``path`` (format from the extension); returns rows written.

    Positions are WGS84 with 7 decimals; times are ISO 8601 UTC text in GeoJSON and CSV, and
    timestamps in GeoPackage and GeoParquet.
    Private fields (a reporter's contact) are left out unless ``include_private``. In CSV, text
    that would start a spreadsheet formula gets a leading ``'`` (see :mod:`geo.io.csvsafe`). An
    existing file is never overwritten.
    """
    path = Path(path)
    fmt = export_format(path)
    new_file(path)
    fields = schema.field_names if include_private else schema.public_fields
    if schema is EVENTS:  # an event held on an area is that area (its point is in it: read back, the same)
        areas = frame[AREA] if AREA in frame else pd.Series(None, index=frame.index, dtype=object)
        table = gpd.GeoDataFrame(frame[fields], geometry=event_geometry(frame), crs=WGS84)
        if fmt == "CSV":
            return _write_csv(table.assign(**{AREA: [None if a is None else a.wkt for a in areas]})
                              .set_geometry(frame.geometry), schema, fields, path)
    elif schema.points_as_geometry:
        table = gpd.GeoDataFrame(frame[fields], geometry=frame.geometry, crs=WGS84)
    else:
        table = gpd.GeoDataFrame(frame[fields], geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=WGS84)
    if fmt == "GPKG":  # (events: points and areas in one layer of any geometry type)
        pyogrio.write_dataframe(table, path, layer=schema.name, driver="GPKG",
                                geometry_type="Unknown" if schema is EVENTS else None)
        return len(table)
    if fmt == "Parquet":
        write_geoparquet(table, path)
        return len(table)
    if fmt == "CSV":
        return _write_csv(table, schema, fields, path)
    text = table.assign(**{f.name: format_utc(table[f.name]) for f in schema.fields if f.kind == "time" and f.name in fields})
    pyogrio.write_dataframe(text, path, driver="GeoJSON",
                            layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": str(COORDINATE_DECIMALS)})
    return len(table)


def event_geometry(events: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The geometry an event is exported with (WGS84): its area when it is held on one, else its point."""
    if AREA not in events:
        return events.geometry
    return gpd.GeoSeries([p if a is None else a for p, a in zip(events.geometry, events[AREA])], index=events.index,
                         crs=WGS84)


def _write_csv(table: gpd.GeoDataFrame, schema: LayerSchema, fields: list[str], path: Path) -> int:
    """``table`` (points) as CSV: times as ISO 8601 UTC text, ``lat``/``lon`` last, formula-safe text."""
    text = table.assign(**{f.name: format_utc(table[f.name]) for f in schema.fields if f.kind == "time" and f.name in fields})
    plain = pd.DataFrame(text.drop(columns="geometry")).assign(
        lat=table.geometry.y.round(COORDINATE_DECIMALS), lon=table.geometry.x.round(COORDINATE_DECIMALS))
    neutralise(plain).to_csv(path, index=False, encoding="utf-8")
    return len(table)


def write_geoparquet(table: gpd.GeoDataFrame, path: Path, row_group_size: int | None = None) -> None:
    """``table`` as GeoParquet 1.1 with the bbox covering column, its times as UTC timestamps
    to the millisecond (the store's resolution); row groups of ``row_group_size`` rows (default: pyarrow's)."""
    times = {c: table[c].dt.tz_convert("UTC").dt.as_unit("ms") for c in table.columns
             if isinstance(table[c].dtype, pd.DatetimeTZDtype)}
    table.assign(**times).to_parquet(path, index=False, write_covering_bbox=True, schema_version=GEOPARQUET_VERSION,
                                     row_group_size=row_group_size)

"""GeoPackage details for the SQLite store: core tables, geometry blobs, value encoding.

The database file is a GeoPackage 1.4 (OGC 12-128r19) so planners can open it in QGIS: the
feature tables incidents, lights and reports hold Point geometry in WGS84 (srs_id 4326).
"""

from __future__ import annotations

import functools
import struct

import numpy as np
import pandas as pd
import shapely

from geo.timestamps import format_utc
from numpy.typing import NDArray

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10400  # GeoPackage 1.4.0
SRS_ID = 4326

_WGS84_WKT = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
              'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",'
              '0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]')

CORE_TABLES = (
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {USER_VERSION}",
    """CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
       organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
       description TEXT)""",
    "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL)",
    "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL)",
    f"INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, '{_WGS84_WKT}', "
    "'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
    """CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
       identifier TEXT UNIQUE, description TEXT DEFAULT '',
       last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
       min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
       CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
       geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
       CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
       CONSTRAINT uk_gc_table_name UNIQUE (table_name),
       CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
       CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
)


def register_point_table(table: str, description: str) -> tuple[str, ...]:
    """Statements that register ``table`` (column ``geom``, Points in WGS84) as a feature table."""
    return (
        f"INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
        f"VALUES ('{table}', 'features', '{table}', '{description}', {SRS_ID})",
        f"INSERT INTO gpkg_geometry_columns VALUES ('{table}', 'geom', 'POINT', {SRS_ID}, 0, 0)",
    )


_HEADER = b"GP" + bytes([0, 0b00000001]) + struct.pack("<i", SRS_ID)  # version 0, little endian, no envelope


def encode_points(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list[bytes]:
    """GeoPackage geometry blobs of WGS84 points (degrees)."""
    return [_HEADER + wkb for wkb in shapely.to_wkb(shapely.points(lon, lat), byte_order=1)]


def decode_geometries(blobs: list[bytes]) -> NDArray[np.object_]:
    """Shapely geometries from GeoPackage geometry blobs (any envelope kind, either byte order)."""
    envelope_bytes = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
    wkbs = []
    for blob in blobs:
        flags = blob[3]
        wkbs.append(blob[8 + envelope_bytes[(flags >> 1) & 0b111]:])
    return shapely.from_wkb(wkbs)


def encode_times(values: pd.Series) -> list[str | None]:
    """GeoPackage DATETIME text (ISO 8601, UTC, ``Z``) of UTC timestamps; None for NaT."""
    return format_utc(values).tolist()


# -- the R-tree spatial index extension (GeoPackage 1.4, annex F.3) -----------------------------

RTREE_EXTENSION = "gpkg_rtree_index"
RTREE_DEFINITION = "http://www.geopackage.org/spec140/index.html#extension_rtree"

EXTENSIONS_TABLE = """CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT,
   extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,
   CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"""


def subset_rtree_statements(table: str, index: str, where: str, geom: str = "geom", fid: str = "fid") -> tuple[str, ...]:
    """The statements that give the rows of ``table`` meeting the SQL condition ``where`` (its
    columns written ``{row}name``) an R-tree of their own, ``index``, kept current by triggers
    and filled from the stored rows — not a GeoPackage extension (GDAL and QGIS leave it alone,
    and their edits keep it current through the same SQL functions)."""
    box, present = _box("NEW.", geom), f"{_present('NEW.', geom)} AND {where.format(row='NEW.')}"
    return (
        f"CREATE VIRTUAL TABLE {index} USING rtree(id, minx, maxx, miny, maxy)",
        f"""CREATE TRIGGER {index}_insert AFTER INSERT ON {table} WHEN {present}
            BEGIN INSERT OR REPLACE INTO {index} VALUES (NEW.{fid}, {box}); END""",
        f"""CREATE TRIGGER {index}_update AFTER UPDATE ON {table}
            BEGIN DELETE FROM {index} WHERE id IN (OLD.{fid}, NEW.{fid});
                  INSERT INTO {index} SELECT NEW.{fid}, {box} WHERE {present}; END""",
        f"""CREATE TRIGGER {index}_delete AFTER DELETE ON {table}
            BEGIN DELETE FROM {index} WHERE id = OLD.{fid}; END""",
        f"""INSERT INTO {index} SELECT {fid}, {_box('', geom)} FROM {table}
            WHERE {_present('', geom)} AND {where.format(row='')}""",
    )


def rtree_statements(table: str, geom: str = "geom", fid: str = "fid") -> tuple[str, ...]:
    """The statements that give ``table`` its R-tree index ``rtree_<table>_<geom>``, as the
    extension defines it: the virtual table, the triggers that keep it current and its
    registration, then the index filled from the stored rows. The triggers call the SQL functions
    :func:`sql_functions` gives (GDAL gives the same to QGIS)."""
    index = f"rtree_{table}_{geom}"
    box, present = _box("NEW.", geom), _present("NEW.", geom)
    absent = f"(NEW.{geom} ISNULL OR ST_IsEmpty(NEW.{geom}))"
    return (
        f"CREATE VIRTUAL TABLE {index} USING rtree(id, minx, maxx, miny, maxy)",
        f"""CREATE TRIGGER {index}_insert AFTER INSERT ON {table} WHEN {present}
            BEGIN INSERT OR REPLACE INTO {index} VALUES (NEW.{fid}, {box}); END""",
        f"""CREATE TRIGGER {index}_update1 AFTER UPDATE OF {geom} ON {table}
            WHEN OLD.{fid} = NEW.{fid} AND {present}
            BEGIN INSERT OR REPLACE INTO {index} VALUES (NEW.{fid}, {box}); END""",
        f"""CREATE TRIGGER {index}_update2 AFTER UPDATE OF {geom} ON {table}
            WHEN OLD.{fid} = NEW.{fid} AND {absent}
            BEGIN DELETE FROM {index} WHERE id = OLD.{fid}; END""",
        f"""CREATE TRIGGER {index}_update3 AFTER UPDATE ON {table} WHEN OLD.{fid} != NEW.{fid} AND {present}
            BEGIN DELETE FROM {index} WHERE id = OLD.{fid};
                  INSERT OR REPLACE INTO {index} VALUES (NEW.{fid}, {box}); END""",
        f"""CREATE TRIGGER {index}_update4 AFTER UPDATE ON {table} WHEN OLD.{fid} != NEW.{fid} AND {absent}
            BEGIN DELETE FROM {index} WHERE id IN (OLD.{fid}, NEW.{fid}); END""",
        f"""CREATE TRIGGER {index}_delete AFTER DELETE ON {table} WHEN OLD.{geom} NOT NULL
            BEGIN DELETE FROM {index} WHERE id = OLD.{fid}; END""",
        f"INSERT INTO gpkg_extensions VALUES ('{table}', '{geom}', '{RTREE_EXTENSION}', '{RTREE_DEFINITION}', "
        "'write-only')",
        f"INSERT OR REPLACE INTO {index} SELECT {fid}, {_box('', geom)} FROM {table} WHERE {_present('', geom)}",
    )


def _box(row: str, geom: str) -> str:
    """The bounds of the geometry column ``geom`` of ``row`` (``NEW.`` in a trigger, or nothing)."""
    return f"ST_MinX({row}{geom}), ST_MaxX({row}{geom}), ST_MinY({row}{geom}), ST_MaxY({row}{geom})"


def _present(row: str, geom: str) -> str:
    """Whether ``row`` has a geometry in ``geom`` that is not empty."""
    return f"({row}{geom} NOT NULL AND NOT ST_IsEmpty({row}{geom}))"


_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(min x, max x, min y, max y) of a GeoPackage geometry blob, None when it is empty or not one."""
    if blob is None or len(blob) < 8 or blob[:2] != b"GP" or blob[3] & 0b10000:
        return None
    wkb = bytes(blob[8 + _ENVELOPE_BYTES.get((blob[3] >> 1) & 0b111, 0):])
    if len(wkb) == 21 and wkb[0] in (0, 1):  # a 2-D point, the common case, without shapely
        order = "<" if wkb[0] == 1 else ">"
        kind, x, y = struct.unpack(f"{order}Idd", wkb[1:21])
        if kind == 1:
            return (x, x, y, y) if x == x and y == y else None
    geometry = shapely.from_wkb(wkb)
    if geometry.is_empty:
        return None
    minx, miny, maxx, maxy = geometry.bounds
    return minx, maxx, miny, maxy


@functools.lru_cache(maxsize=32)
def _area(wkb: bytes) -> shapely.Geometry:
    """A polygon from its WKB, prepared for many point tests (a query's area, parsed once)."""
    area = shapely.from_wkb(wkb)
    shapely.prepare(area)
    return area


def point_in_area(blob: bytes | None, wkb: bytes) -> int | None:
    """1 when the point of a GeoPackage geometry blob lies in the polygon ``wkb`` (its boundary
    included), 0 when not, None for an empty geometry."""
    box = _envelope(blob)
    return None if box is None else int(shapely.intersects_xy(_area(bytes(wkb)), box[0], box[2]))


def sql_functions() -> dict[str, tuple[int, object]]:
    """The SQL functions the R-tree triggers and the queries call (name → number of arguments,
    function), to be registered on every connection: ST_MinX/MaxX/MinY/MaxY and ST_IsEmpty of a
    geometry blob, and ST_PointInArea (:func:`point_in_area`)."""
    def part(i: int):
        return lambda blob: None if (box := _envelope(blob)) is None else box[i]
    return {"ST_MinX": (1, part(0)), "ST_MaxX": (1, part(1)), "ST_MinY": (1, part(2)), "ST_MaxY": (1, part(3)),
            "ST_IsEmpty": (1, lambda blob: None if blob is None else int(_envelope(blob) is None)),
            "ST_PointInArea": (2, point_in_area)}

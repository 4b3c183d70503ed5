"""GeoPackage details for the SQLite store: core tables, geometry blobs, value encoding.

The database file is a GeoPackage 1.4 (OGC 12-128r19) so planners can open it in QGIS: the
feature tables incidents, lights and reports hold Point geometry in WGS84 (srs_id 4326).
"""

from __future__ import annotations

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

"""Embedded backend: one SQLite file (a GeoPackage), WAL mode, every write in a transaction, versioned schema."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.layers import LAYERS, REPORTS, Field, LayerSchema, validate
from geo.patrol import Tracks
from service.store import pingchunks
from service.store.pingchunks import Chunk, chunks_to_frame
from service.store import gpkg
from service.store.base import StoreError

SCHEMA_VERSION = 7
"""Version of the schema this code writes. Older files are migrated; newer ones refused."""

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("CREATE TABLE stadskarna_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",),
    2: (
        *gpkg.CORE_TABLES,
        """CREATE TABLE incidents (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom POINT NOT NULL,
           id TEXT NOT NULL UNIQUE, occurred_at DATETIME NOT NULL, category TEXT NOT NULL,
           location_precision TEXT NOT NULL, source TEXT NOT NULL)""",
        "CREATE INDEX incidents_occurred_at ON incidents (occurred_at)",
        *gpkg.register_point_table("incidents", "Incidents (brott och händelser)"),
        """CREATE TABLE lights (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom POINT NOT NULL,
           id TEXT NOT NULL UNIQUE, lumen DOUBLE NOT NULL, height_m DOUBLE NOT NULL, status TEXT NOT NULL,
           luminaire TEXT NOT NULL, updated_at DATETIME, source TEXT NOT NULL)""",
        *gpkg.register_point_table("lights", "Street lights (belysningspunkter)"),
        """CREATE TABLE reports (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom POINT NOT NULL,
           id TEXT NOT NULL UNIQUE, category TEXT NOT NULL, description TEXT NOT NULL,
           created_at DATETIME NOT NULL, status TEXT NOT NULL, closed_at DATETIME, close_reason TEXT,
           "when" TEXT, why TEXT, photo TEXT, source TEXT NOT NULL)""",
        "CREATE INDEX reports_created_at ON reports (created_at)",
        *gpkg.register_point_table("reports", "Citizen reports (felanmälningar), without contact details"),
        """CREATE TABLE reports_private (id TEXT PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
           contact TEXT)""",
        """CREATE TABLE patrol_ping_chunks (unit_id TEXT NOT NULL, day_utc INTEGER NOT NULL, n INTEGER NOT NULL,
           t_min INTEGER NOT NULL, t_max INTEGER NOT NULL, sources TEXT NOT NULL,
           t BLOB NOT NULL, lon BLOB NOT NULL, lat BLOB NOT NULL, mode BLOB NOT NULL, crew BLOB NOT NULL,
           source BLOB NOT NULL, PRIMARY KEY (unit_id, day_utc))""",
        "CREATE INDEX patrol_ping_chunks_time ON patrol_ping_chunks (t_min, t_max)",
    ),
    3: (
        """CREATE TABLE api_tokens (token_hash TEXT PRIMARY KEY, role TEXT NOT NULL, label TEXT NOT NULL,
           created_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))""",
    ),
    4: (
        """CREATE TABLE report_photos (id TEXT PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
           media_type TEXT NOT NULL, data BLOB NOT NULL)""",
        """CREATE TABLE report_duplicates (report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
           duplicate_of TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE, PRIMARY KEY (report_id, duplicate_of))""",
    ),
    5: (
        """CREATE TABLE open311_clients (key_hash TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
           created_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))""",
    ),
    6: (
        """CREATE TABLE removal_rounds (id TEXT PRIMARY KEY, day TEXT NOT NULL, category TEXT NOT NULL,
           zones TEXT NOT NULL, closed INTEGER NOT NULL,
           created_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))""",
    ),
    7: (
        """CREATE TABLE promise_statuses (year INTEGER NOT NULL, promise_id TEXT NOT NULL, day TEXT NOT NULL,
           status TEXT NOT NULL, note TEXT NOT NULL, recorded_by TEXT NOT NULL,
           recorded_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))""",
    ),
}
"""SQL statements that bring a file from the previous version to each version."""


class SQLiteStore:
    """The embedded store: a single SQLite file at ``path``, created on first open."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise StoreError(f"database path {self.path} is a directory; give a file path")
        if not self.path.parent.exists():
            raise StoreError(f"cannot create database {self.path}: folder {self.path.parent} does not exist")
        try:
            con = self._connect()
            try:
                con.execute("PRAGMA journal_mode=WAL")
            finally:
                con.close()
            with self.transaction() as con:
                self._migrate(con)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise StoreError(f"{self.path} is locked by another program; try again when it is done") from None
            raise StoreError(f"cannot open {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a Trygg stadskärna database ({exc})") from None

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.execute("PRAGMA foreign_keys=ON")
        return con

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """A connection whose work is committed together on success and rolled back on any error.
        Writes take the write lock at once; reads (``write=False``) see a consistent snapshot and,
        in WAL mode, never wait for a writer."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def _migrate(self, con: sqlite3.Connection) -> None:
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "stadskarna_meta" in tables:
            version = int(con.execute("SELECT value FROM stadskarna_meta WHERE key='schema_version'").fetchone()[0])
        elif tables - {"sqlite_sequence"}:
            raise StoreError(f"{self.path} holds other data (tables {', '.join(sorted(tables))}); "
                             "give a new file or an existing Trygg stadskärna database")
        else:
            version = 0
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} has schema version {version}, newer than this program's "
                             f"{SCHEMA_VERSION}; upgrade stadskarna to open it")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[target]:
                con.execute(statement)
            con.execute("INSERT OR REPLACE INTO stadskarna_meta VALUES ('schema_version', ?)", (str(target),))

    def schema_version(self) -> int:
        """The schema version stored in the file."""
        with self.transaction(write=False) as con:
            return int(con.execute("SELECT value FROM stadskarna_meta WHERE key='schema_version'").fetchone()[0])

    def describe(self) -> str:
        """``sqlite:`` and the file's path."""
        return f"sqlite:{self.path}"

    def data_version(self) -> tuple:
        """Changes whenever anything is written (the file's and its write-ahead log's size and time),
        for caching pages built from the data."""
        parts = []
        for path in (self.path, self.path.with_name(self.path.name + "-wal")):
            stat = path.stat() if path.exists() else None
            parts.append((stat.st_mtime_ns, stat.st_size) if stat else None)
        return tuple(parts)

    def pings_version(self) -> tuple:
        """Changes whenever patrol pings are added (for caching figures built from pings only)."""
        with self.transaction(write=False) as con:
            return tuple(con.execute("SELECT count(*), coalesce(sum(n), 0), coalesce(max(t_max), 0) "
                                     "FROM patrol_ping_chunks").fetchone())

    def get_meta(self, key: str) -> str | None:
        """A note stored about the database (for example what demo data it holds), or None."""
        with self.transaction(write=False) as con:
            row = con.execute("SELECT value FROM stadskarna_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        """Store a note about the database."""
        with self.transaction() as con:
            con.execute("INSERT OR REPLACE INTO stadskarna_meta VALUES (?, ?)", (key, value))

    # -- access tokens ----------------------------------------------------------------------

    def add_token(self, token_hash: str, role: str, label: str) -> None:
        """Store the hash of a new access token with its role."""
        with self.transaction() as con:
            con.execute("INSERT INTO api_tokens (token_hash, role, label) VALUES (?, ?, ?)", (token_hash, role, label))

    def add_open311_client(self, key_hash: str, name: str) -> None:
        """Register an Open311 client application by the hash of its api_key."""
        with self.transaction() as con:
            con.execute("INSERT INTO open311_clients (key_hash, name) VALUES (?, ?)", (key_hash, name))

    def open311_clients(self) -> list[tuple[str, str]]:
        """(key hash, name) of every registered Open311 client."""
        with self.transaction(write=False) as con:
            return con.execute("SELECT key_hash, name FROM open311_clients").fetchall()

    def token_hashes(self) -> list[tuple[str, str]]:
        """(hash, role) of every access token."""
        with self.transaction(write=False) as con:
            return con.execute("SELECT token_hash, role FROM api_tokens").fetchall()

    # -- feature layers (incidents, lights, reports) ----------------------------------------

    def write_features(self, schema: LayerSchema, frame: gpd.GeoDataFrame) -> WriteResult:
        """Insert new records and update changed ones of a validated layer frame, by ``id``, in one
        transaction. Records already stored with the same values are counted as unchanged. An empty
        private field (a reporter's contact) leaves the stored value as it is."""
        with self.transaction() as con:
            return _write_features(con, schema, frame)

    def add_report(self, report: gpd.GeoDataFrame, photo: tuple[str, bytes] | None,
                   duplicate_of: list[str]) -> None:
        """Store one new citizen report (a validated one-row reports frame), its photo (media type,
        bytes; EXIF already stripped) and its links to possible duplicates, in one transaction."""
        with self.transaction() as con:
            _write_features(con, REPORTS, report)
            report_id = report["id"].iloc[0]
            if photo is not None:
                con.execute("INSERT INTO report_photos VALUES (?, ?, ?)", (report_id, *photo))
            con.executemany("INSERT INTO report_duplicates VALUES (?, ?)", [(report_id, d) for d in duplicate_of])

    def add_removal_round(self, round_id: str, day: str, category: str, zone_ids: list[str],
                          closed: gpd.GeoDataFrame) -> None:
        """Record a removal round and close the reports it covered, in one transaction."""
        with self.transaction() as con:
            _write_features(con, REPORTS, closed)
            con.execute("INSERT OR REPLACE INTO removal_rounds (id, day, category, zones, closed) VALUES (?, ?, ?, ?, ?)",
                        (round_id, day, category, json.dumps(zone_ids), len(closed)))

    def removal_rounds(self) -> pd.DataFrame:
        """Every removal round: id, day (local date, ISO), category, zones (list), closed (reports)."""
        with self.transaction(write=False) as con:
            rows = con.execute("SELECT id, day, category, zones, closed FROM removal_rounds ORDER BY day, id").fetchall()
        return pd.DataFrame([(i, d, c, json.loads(z), n) for i, d, c, z, n in rows],
                            columns=["id", "day", "category", "zones", "closed"])

    def add_promise_status(self, year: int, promise_id: str, day: str, status: str, note: str,
                           recorded_by: str) -> None:
        """Record a staff status for a promise of ``year`` as of local date ``day`` (ISO); earlier
        records are kept, so the history stays."""
        with self.transaction() as con:
            con.execute("INSERT INTO promise_statuses (year, promise_id, day, status, note, recorded_by) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (year, promise_id, day, status, note, recorded_by))

    def promise_statuses(self, year: int) -> pd.DataFrame:
        """Every staff status recorded for the promises of ``year``: promise_id, day (ISO local
        date), status, note, recorded_by and recorded_at (UTC, ISO), oldest first."""
        with self.transaction(write=False) as con:
            rows = con.execute("SELECT promise_id, day, status, note, recorded_by, recorded_at FROM promise_statuses "
                               "WHERE year = ? ORDER BY day, recorded_at, rowid", (year,)).fetchall()
        return pd.DataFrame(rows, columns=["promise_id", "day", "status", "note", "recorded_by", "recorded_at"])

    def photo(self, report_id: str) -> tuple[str, bytes] | None:
        """(media type, bytes) of a report's photo, or None."""
        with self.transaction(write=False) as con:
            row = con.execute("SELECT media_type, data FROM report_photos WHERE id = ?", (report_id,)).fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    def read_features(self, schema: LayerSchema, include_private: bool = False) -> gpd.GeoDataFrame:
        """All records of a layer as its validated frame (WGS84), in insertion order. Private
        fields (a reporter's contact) are None unless ``include_private``."""
        table = _table(schema)
        public = [f.name for f in schema.fields if not f.private]
        private = [f.name for f in schema.fields if f.private]
        select = ", ".join([f't."{name}"' for name in public] + [
            (f'p."{name}"' if include_private else f'NULL AS "{name}"') for name in private])
        join = f" LEFT JOIN {table}_private p ON p.id = t.id" if private and include_private else ""
        with self.transaction(write=False) as con:
            cursor = con.execute(f"SELECT {select}, t.geom FROM {table} t{join} ORDER BY t.fid")
            records = cursor.fetchall()
        raw = pd.DataFrame([r[:-1] for r in records], columns=public + private, dtype=object)
        points = gpkg.decode_geometries([r[-1] for r in records])
        raw["lon"], raw["lat"] = shapely.get_x(points), shapely.get_y(points)
        return validate(schema, raw, source=f"{self.path}:{table}")

    def count(self, schema: LayerSchema) -> int:
        """Number of records (pings for the patrol layer) stored in a layer."""
        with self.transaction(write=False) as con:
            if not schema.points_as_geometry:
                return int(con.execute("SELECT coalesce(sum(n), 0) FROM patrol_ping_chunks").fetchone()[0])
            return int(con.execute(f"SELECT count(*) FROM {_table(schema)}").fetchone()[0])

    # -- patrol pings ---------------------------------------------------------------------

    def write_pings(self, pings: pd.DataFrame, progress: Callable[[int, int], None] | None = None) -> WriteResult:
        """Add validated patrol pings in one transaction; pings already stored for the same unit
        and time are counted as unchanged. ``progress(done, total)`` is called per unit-day."""
        chunks = pingchunks.split_into_chunks(pings)
        result = WriteResult()
        with self.transaction() as con:
            for done, chunk in enumerate(chunks, start=1):
                offered = added = len(chunk.t)
                row = con.execute(f"SELECT {_CHUNK_READ} FROM patrol_ping_chunks WHERE unit_id = ? AND day_utc = ?",
                                  (chunk.unit_id, chunk.day_utc)).fetchone()
                if row is not None:
                    chunk, added = Chunk.from_row(*row).merged(chunk)
                if added:
                    con.execute(f"INSERT OR REPLACE INTO patrol_ping_chunks VALUES ({', '.join('?' * 12)})", chunk.row())
                result.inserted += added
                result.unchanged += offered - added
                if progress:
                    progress(done, len(chunks))
        return result

    def read_pings(self, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                   unit_ids: list[str] | None = None) -> pd.DataFrame:
        """Patrol pings with ``start <= timestamp < end`` (tz-aware), sorted by unit and time,
        shaped like the validated pings layer (lon/lat in WGS84 degrees)."""
        chunks, keep = self._ping_chunks(start, end, unit_ids)
        frame = chunks_to_frame(chunks)
        return frame if keep.all() else frame[keep].reset_index(drop=True)

    def read_tracks(self, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> Tracks:
        """The pings of :meth:`read_pings` as :class:`geo.patrol.Tracks` arrays, without building
        a frame (the fast path for figures over a fleet-year)."""
        chunks, keep = self._ping_chunks(start, end, None)
        names = list(dict.fromkeys(c.unit_id for c in chunks))
        codes = np.repeat(np.array([names.index(c.unit_id) for c in chunks], dtype=np.int64), [len(c.t) for c in chunks])

        def cat(name: str) -> NDArray:
            return np.concatenate([getattr(c, name) for c in chunks]) if chunks else np.array([])

        return Tracks(codes[keep], cat("t").astype(np.int64)[keep], cat("lon")[keep], cat("lat")[keep],
                      cat("crew").astype(float)[keep], np.array(names, dtype=object))

    def _ping_chunks(self, start: pd.Timestamp | None, end: pd.Timestamp | None,
                     unit_ids: list[str] | None) -> tuple[list[Chunk], NDArray[np.bool_]]:
        """The chunks overlapping the time range (in unit, day order) and which of their pings lie in it."""
        conditions, params = [], []
        if start is not None:
            conditions.append("t_max >= ?")
            params.append(pd.Timestamp(start).tz_convert("UTC").value)
        if end is not None:
            conditions.append("t_min < ?")
            params.append(pd.Timestamp(end).tz_convert("UTC").value)
        if unit_ids is not None:
            conditions.append(f"unit_id IN ({', '.join('?' * len(unit_ids))})")
            params.extend(unit_ids)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        with self.transaction(write=False) as con:
            rows = con.execute(f"SELECT {_CHUNK_READ} FROM patrol_ping_chunks{where} ORDER BY unit_id, day_utc",
                               params).fetchall()
        chunks = [Chunk.from_row(*row) for row in rows]
        t = np.concatenate([c.t for c in chunks]) if chunks else np.array([], dtype=np.int64)
        keep = np.ones(len(t), dtype=bool)
        if start is not None:
            keep &= t >= pd.Timestamp(start).tz_convert("UTC").value
        if end is not None:
            keep &= t < pd.Timestamp(end).tz_convert("UTC").value
        return chunks, keep

    def is_empty(self) -> bool:
        """True when no layer holds any record."""
        return all(self.count(schema) == 0 for schema in LAYERS.values())


def _write_features(con: sqlite3.Connection, schema: LayerSchema, frame: gpd.GeoDataFrame) -> WriteResult:
    """:meth:`SQLiteStore.write_features` inside an open transaction."""
    table = _table(schema)
    public = [f for f in schema.fields if not f.private]
    columns = [f'"{f.name}"' for f in public] + ["geom"]
    private = [f.name for f in schema.fields if f.private]
    rows = list(zip(*[_encode(f, frame[f.name]) for f in public],
                    gpkg.encode_points(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())))
    offered = {name: {i: v for i, v in zip(frame["id"], frame[name]) if not pd.isna(v)} for name in private}
    stored = _stored_records(con, table, columns, private, [row[0] for row in rows])

    def differs(row: tuple) -> bool:
        values, private_values = stored[row[0]]
        return values != row or any(offered[name].get(row[0], private_values[name]) != private_values[name]
                                    for name in private)

    new = [row for row in rows if row[0] not in stored]
    changed = [row for row in rows if row[0] in stored and differs(row)]
    con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", new)
    assignments = ", ".join(f"{c} = ?" for c in columns[1:])
    con.executemany(f"UPDATE {table} SET {assignments} WHERE id = ?", [row[1:] + (row[0],) for row in changed])
    for name in private:
        con.executemany(f'INSERT INTO {table}_private (id, "{name}") VALUES (?, ?) '
                        f'ON CONFLICT (id) DO UPDATE SET "{name}" = excluded."{name}"', offered[name].items())
    if len(frame):
        minx, miny, maxx, maxy = frame.total_bounds
        con.execute("UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?), ?), min_y = min(coalesce(min_y, ?), ?),"
                    " max_x = max(coalesce(max_x, ?), ?), max_y = max(coalesce(max_y, ?), ?),"
                    " last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?",
                    (minx, minx, miny, miny, maxx, maxx, maxy, maxy, table))
    return WriteResult(len(new), len(changed), len(rows) - len(new) - len(changed))


def _stored_records(con: sqlite3.Connection, table: str, columns: list[str], private: list[str],
                    ids: list[str]) -> dict[str, tuple[tuple, dict]]:
    """Stored rows (as written) and private values of the records with these ids, by id."""
    select = ", ".join([f"t.{c}" for c in columns] + [f'p."{name}"' for name in private])
    join = f" LEFT JOIN {table}_private p ON p.id = t.id" if private else ""
    stored = {}
    for start in range(0, len(ids), 500):
        batch = ids[start:start + 500]
        query = f"SELECT {select} FROM {table} t{join} WHERE t.id IN ({', '.join('?' * len(batch))})"
        for row in con.execute(query, batch):
            stored[row[0]] = (row[:len(columns)], dict(zip(private, row[len(columns):])))
    return stored


_CHUNK_READ = "unit_id, day_utc, sources, t, lon, lat, mode, crew, source"


@dataclass
class WriteResult:
    """What a write did: records inserted, updated (changed values) and unchanged (already stored)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def _table(schema: LayerSchema) -> str:
    if schema.name not in ("incidents", "lights", "reports"):
        raise ValueError(f"{schema.name} is not a feature layer")
    return schema.name


def _encode(field: Field, values: pd.Series) -> list:
    """Column values as stored: times as GeoPackage DATETIME text, numbers as floats/ints, None for missing."""
    if field.kind == "time":
        return gpkg.encode_times(values)
    if field.kind == "number":
        return [None if pd.isna(v) else float(v) for v in values]
    if field.kind == "integer":
        return [None if pd.isna(v) else int(v) for v in values]
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]

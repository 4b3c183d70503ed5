"""Embedded backend: one SQLite file (a GeoPackage), WAL mode, every write in a transaction, versioned schema."""

from __future__ import annotations

import json
import math
import os
import shutil
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

from geo.errors import ValidationError
from geo.layers import LAYERS, REPORTS, Field, LayerSchema, validate
from geo.patrol import Tracks
from geo.timestamps import format_utc
from service.store import pingchunks
from service.store.pingchunks import Chunk, chunks_to_frame
from service.store import gpkg
from service.store.base import Actor, Conflict, NotFound, StoreError, Unavailable

SCHEMA_VERSION = 9
"""Version of the schema this code writes. Older files are migrated; newer ones refused."""

DATA_TABLES = ("incidents", "lights", "reports", "report_photos", "patrol_ping_chunks", "removal_rounds",
               "promise_statuses", "stadskarna_meta")
"""The tables whose changes make a new version of the data (see :meth:`SQLiteStore.data_version`)."""

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
    8: (
        # every change of a report's status is a row: who (role and label) and when
        """CREATE TABLE report_events (event_id INTEGER PRIMARY KEY AUTOINCREMENT,
           report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE, from_status TEXT,
           to_status TEXT NOT NULL, actor_role TEXT NOT NULL, actor_label TEXT NOT NULL, at DATETIME NOT NULL,
           note TEXT)""",
        "CREATE INDEX report_events_report ON report_events (report_id, event_id)",
        "CREATE INDEX report_events_at ON report_events (at)",
        """INSERT INTO report_events (report_id, from_status, to_status, actor_role, actor_label, at)
           SELECT id, NULL, 'open', 'import', source, created_at FROM reports ORDER BY fid""",
        """INSERT INTO report_events (report_id, from_status, to_status, actor_role, actor_label, at, note)
           SELECT id, 'open', status, 'import', 'recorded before the history was kept',
                  coalesce(closed_at, created_at), close_reason FROM reports WHERE status != 'open' ORDER BY fid""",
        # tokens get a public id (to list and revoke them), an optional expiry, revocation and last use
        "ALTER TABLE api_tokens ADD COLUMN token_id TEXT",
        "UPDATE api_tokens SET token_id = 'tok-' || substr(token_hash, 1, 10)",
        "CREATE UNIQUE INDEX api_tokens_token_id ON api_tokens (token_id)",
        "ALTER TABLE api_tokens ADD COLUMN expires_at DATETIME",
        "ALTER TABLE api_tokens ADD COLUMN revoked_at DATETIME",
        "ALTER TABLE api_tokens ADD COLUMN last_used_at DATETIME",
        # a removal round is identified by (day, category, zones): repeating one is a conflict, not
        # a second round; identical rounds recorded before (the same day, category and zones) are
        # merged into the first
        "ALTER TABLE removal_rounds ADD COLUMN zones_key TEXT",
        """UPDATE removal_rounds SET zones_key = (SELECT group_concat(value, ',') FROM
           (SELECT value FROM json_each(removal_rounds.zones) ORDER BY value))""",
        """DELETE FROM removal_rounds WHERE rowid NOT IN
           (SELECT min(rowid) FROM removal_rounds GROUP BY day, category, zones_key)""",
        "CREATE UNIQUE INDEX removal_rounds_identity ON removal_rounds (day, category, zones_key)",
        "ALTER TABLE removal_rounds ADD COLUMN actor_role TEXT NOT NULL DEFAULT 'unknown'",
        "ALTER TABLE removal_rounds ADD COLUMN actor_label TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE promise_statuses ADD COLUMN actor_label TEXT NOT NULL DEFAULT ''",
    ),
    9: (
        # a counter of changes to the data pages are built from, kept by triggers (so edits from
        # any program count, QGIS's too), and nothing else (noting a token's use does not)
        "CREATE TABLE stadskarna_data_version (n INTEGER NOT NULL)",
        "INSERT INTO stadskarna_data_version VALUES (0)",
        *(f"""CREATE TRIGGER data_version_{table}_{op.lower()} AFTER {op} ON {table}
              BEGIN UPDATE stadskarna_data_version SET n = n + 1; END"""
          for table in DATA_TABLES for op in ("INSERT", "UPDATE", "DELETE")),
    ),
}
"""SQL statements that bring a file from the previous version to each version."""


class SQLiteStore:
    """The embedded store: a single SQLite file at ``path``, created on first open. A write waits
    at most ``busy_timeout_s`` for another program's write lock, then raises :class:`Unavailable`."""

    def __init__(self, path: str | Path, busy_timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
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

    def _connect(self, busy_timeout_s: float | None = None) -> sqlite3.Connection:
        timeout = self.busy_timeout_s if busy_timeout_s is None else busy_timeout_s
        con = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        con.execute("PRAGMA foreign_keys=ON")
        return con

    @contextmanager
    def transaction(self, write: bool = True, busy_timeout_s: float | None = None) -> Iterator[sqlite3.Connection]:
        """A connection whose work is committed together on success and rolled back on any error.
        Writes take the write lock at once; reads (``write=False``) see a consistent snapshot and,
        in WAL mode, never wait for a writer. When another program holds the write lock longer
        than the busy timeout (the store's, or ``busy_timeout_s``), :class:`Unavailable` is raised and
        nothing is written."""
        con = self._connect(busy_timeout_s)
        waited_s = self.busy_timeout_s if busy_timeout_s is None else busy_timeout_s
        try:
            try:
                con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.OperationalError as exc:
                raise _busy(exc, waited_s) from None
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            try:
                con.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                con.execute("ROLLBACK")
                raise _busy(exc, waited_s) from None
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

    kind = "sqlite"
    """The backend's name, for answers to anyone (where the file is, is for logs only)."""

    def describe(self) -> str:
        """``sqlite:`` and the file's path, for logs and the person running the service."""
        return f"sqlite:{self.path}"

    def data_version(self) -> int:
        """A number that changes whenever the data pages are built from change (a record of a
        layer, a photo, a removal round, a promise status — by any program; triggers keep it), and
        only then: reads, tokens and sessions leave it alone. For caching pages."""
        with self.transaction(write=False) as con:
            return int(con.execute("SELECT n FROM stadskarna_data_version").fetchone()[0])

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

    def add_token(self, token_id: str, token_hash: str, role: str, label: str,
                  expires_at: pd.Timestamp | None = None) -> None:
        """Store the hash of a new access token with its public id, role, label and expiry (UTC)."""
        with self.transaction() as con:
            con.execute("INSERT INTO api_tokens (token_id, token_hash, role, label, expires_at) VALUES (?, ?, ?, ?, ?)",
                        (token_id, token_hash, role, label, _utc_text(expires_at)))

    def token(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash (revoked and expired ones too), or None."""
        with self.transaction(write=False) as con:
            row = con.execute(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?", (token_hash,)).fetchone()
        return None if row is None else TokenRecord.of(row)

    def tokens(self) -> list[TokenRecord]:
        """Every token (never the token itself: it is not stored), oldest first."""
        with self.transaction(write=False) as con:
            rows = con.execute(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, token_id").fetchall()
        return [TokenRecord.of(row) for row in rows]

    def token_used(self, token_id: str, at: pd.Timestamp, resolution_s: float = 60.0) -> None:
        """Note that a token was used at ``at`` (kept to ``resolution_s``: callers write only when the
        stored time is older). Skipped after at most 50 ms when another writer holds the lock: a
        request is not held up to note its token's use."""
        stamp, stale = _utc_text(at), _utc_text(at - pd.Timedelta(seconds=resolution_s))
        try:
            with self.transaction(busy_timeout_s=0.05) as con:
                con.execute("UPDATE api_tokens SET last_used_at = ? WHERE token_id = ? "
                            "AND (last_used_at IS NULL OR last_used_at < ?)", (stamp, token_id, stale))
        except Unavailable:
            pass

    def revoke_token(self, token_id: str, at: pd.Timestamp) -> TokenRecord:
        """Revoke a token by its id; revoking it again changes nothing. :class:`NotFound` when unknown."""
        with self.transaction() as con:
            con.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                        (_utc_text(at), token_id))
            row = con.execute(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE token_id = ?", (token_id,)).fetchone()
        if row is None:
            raise NotFound(f"no token {token_id!r}")
        return TokenRecord.of(row)

    def add_open311_client(self, key_hash: str, name: str) -> None:
        """Register an Open311 client application by the hash of its api_key."""
        with self.transaction() as con:
            if con.execute("SELECT 1 FROM open311_clients WHERE name = ?", (name,)).fetchone():
                raise Conflict(f"a client named {name!r} exists")
            con.execute("INSERT INTO open311_clients (key_hash, name) VALUES (?, ?)", (key_hash, name))

    def open311_clients(self) -> list[tuple[str, str]]:
        """(key hash, name) of every registered Open311 client."""
        with self.transaction(write=False) as con:
            return con.execute("SELECT key_hash, name FROM open311_clients").fetchall()

    # -- feature layers (incidents, lights, reports) ----------------------------------------

    def write_features(self, schema: LayerSchema, frame: gpd.GeoDataFrame,
                       actor: Actor = Actor("import")) -> WriteResult:
        """Insert new records and update changed ones of a validated layer frame, by ``id``, in one
        transaction. Records already stored with the same values are counted as unchanged. An empty
        private field (a reporter's contact) leaves the stored value as it is. A new report, or a
        report whose status changes, gets a row in its history by ``actor``."""
        with self.transaction() as con:
            return _write_features(con, schema, frame, actor)

    def add_report(self, report: gpd.GeoDataFrame, photo: tuple[str, bytes] | None,
                   duplicate_of: list[str], actor: Actor) -> None:
        """Store one new citizen report (a validated one-row reports frame), its photo (media type,
        bytes; EXIF already stripped), its links to possible duplicates and the first row of its
        history, in one transaction."""
        with self.transaction() as con:
            _write_features(con, REPORTS, report, actor)
            report_id = report["id"].iloc[0]
            if photo is not None:
                con.execute("INSERT INTO report_photos VALUES (?, ?, ?)", (report_id, *photo))
            con.executemany("INSERT INTO report_duplicates VALUES (?, ?)", [(report_id, d) for d in duplicate_of])

    def change_report(self, report_id: str, decide: Callable[[pd.Series], dict], actor: Actor,
                      at: pd.Timestamp, note: str | None = None) -> gpd.GeoDataFrame:
        """Change a report in one transaction: ``decide(current record)`` returns the field
        changes or raises (nothing is written then), so the check and the write see the same
        state. The change of status is a row of the report's history (``actor``, ``at``, ``note``).
        Returns the stored one-row frame; :class:`NotFound` for an unknown id."""
        with self.transaction() as con:
            current = _select_features(con, REPORTS, "t.id = ?", (report_id,))
            if current.empty:
                raise NotFound(f"no report {report_id!r}")
            updated = _checked(REPORTS, current.assign(**decide(current.iloc[0])))
            _write_features(con, REPORTS, updated, actor, at, note)
        return updated

    def record_removal_round(self, round_id: str, day: str, category: str, zone_ids: list[str],
                             close: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame], actor: Actor,
                             at: pd.Timestamp) -> gpd.GeoDataFrame:
        """Record a removal round of ``category`` on local date ``day`` (ISO) in ``zone_ids`` and
        close reports, in one transaction: ``close(open reports of the category)`` returns the
        reports the round closes, with their new values. A round is identified by its day,
        category and zones: recording one that exists raises :class:`Conflict` (with its id)."""
        key = ",".join(sorted(zone_ids))
        with self.transaction() as con:
            existing = con.execute("SELECT id FROM removal_rounds WHERE day = ? AND category = ? AND zones_key = ?",
                                   (day, category, key)).fetchone()
            if existing is not None:
                raise Conflict(f"a {category} round on {day} in these zones is recorded already ({existing[0]}); "
                               "a round is recorded once", {"id": existing[0]})
            open_reports = _select_features(con, REPORTS, "t.category = ? AND t.status != 'closed'", (category,))
            closed = _checked(REPORTS, close(open_reports))
            _write_features(con, REPORTS, closed, actor, at, f"removal round {round_id}")
            con.execute("INSERT INTO removal_rounds (id, day, category, zones, closed, zones_key, actor_role, actor_label) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (round_id, day, category, json.dumps(zone_ids), len(closed), key, actor.role, actor.label))
        return closed

    def removal_rounds(self) -> pd.DataFrame:
        """Every removal round: id, day (local date, ISO), category, zones (list), closed (reports)."""
        with self.transaction(write=False) as con:
            rows = con.execute("SELECT id, day, category, zones, closed FROM removal_rounds ORDER BY day, id").fetchall()
        return pd.DataFrame([(i, d, c, json.loads(z), n) for i, d, c, z, n in rows],
                            columns=["id", "day", "category", "zones", "closed"])

    def report_history(self, report_ids: list[str] | None = None) -> pd.DataFrame:
        """The status changes of reports (all, or those of ``report_ids``), oldest first: report_id,
        from_status, to_status, actor_role, actor_label, at (UTC), note."""
        where, params = "", []
        if report_ids is not None:
            where = f" WHERE report_id IN (SELECT value FROM json_each(?))"
            params = [json.dumps(list(report_ids))]
        with self.transaction(write=False) as con:
            rows = con.execute("SELECT report_id, from_status, to_status, actor_role, actor_label, at, note "
                               f"FROM report_events{where} ORDER BY event_id", params).fetchall()
        frame = pd.DataFrame(rows, columns=["report_id", "from_status", "to_status", "actor_role", "actor_label",
                                            "at", "note"])
        return frame.assign(at=pd.to_datetime(frame["at"], utc=True, format="ISO8601"))

    def add_promise_status(self, year: int, promise_id: str, day: str, status: str, note: str,
                           actor: Actor) -> None:
        """Record a staff status for a promise of ``year`` as of local date ``day`` (ISO); earlier
        records are kept, so the history stays."""
        with self.transaction() as con:
            con.execute("INSERT INTO promise_statuses (year, promise_id, day, status, note, recorded_by, actor_label) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", (year, promise_id, day, status, note, actor.role, actor.label))

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
        with self.transaction(write=False) as con:
            return _select_features(con, schema, include_private=include_private)

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

    def records_not_from(self, source: str) -> dict[str, int]:
        """Per layer, the records whose source is not ``source`` (pings for the patrol layer),
        counted in SQL without reading the layers: a unit-day of pings is only decoded (its source
        column) when it mixes ``source`` with other sources."""
        counts = {}
        with self.transaction(write=False) as con:
            for name, schema in LAYERS.items():
                if schema.points_as_geometry:
                    counts[name] = int(con.execute(f"SELECT count(*) FROM {_table(schema)} WHERE source != ?",
                                                   (source,)).fetchone()[0])
                    continue
                pings = 0
                rows = con.execute(
                    "SELECT n, sources, CASE WHEN EXISTS (SELECT 1 FROM json_each(sources) WHERE value = ?1) "
                    "THEN source END FROM patrol_ping_chunks "
                    "WHERE EXISTS (SELECT 1 FROM json_each(sources) WHERE value != ?1)", (source,))
                for n, sources, codes in rows:
                    if codes is None:
                        pings += int(n)
                    else:
                        wanted = json.loads(sources).index(source)
                        pings += int((pingchunks._unpack(codes, np.uint8) != wanted).sum())
                counts[name] = pings
        return counts

    # -- backup and restore ------------------------------------------------------------------

    def backup_to(self, path: str | Path) -> Path:
        """Write a consistent copy of the database to the new file ``path`` while the service
        runs and writes, and check it (:func:`check_database`).

        Made with SQLite's online backup API, :meth:`sqlite3.Connection.backup`, in a single step:
        the whole copy is one read transaction, so it is a snapshot of the last commit, including
        what is still in the write-ahead log, and it neither waits for nor blocks writers (a
        step-wise backup restarts whenever another connection writes, so under steady writes it
        might never finish). Chosen over ``VACUUM INTO`` because restoring into the live database
        must use the backup API (see :meth:`restore_from`), so backup, safety copy and restore are
        one mechanism; and it copies the pages as they are rather than rebuilding every table and
        index (``VACUUM INTO`` would give a smaller file, at more work while the service runs).

        The copy is written beside ``path`` under a temporary name and given its name only once
        checked, so ``path`` is never a partial or unchecked file; only its owner may read it. :class:`StoreError` when ``path`` exists or the copy fails its check;
        nothing is left behind then."""
        path = Path(path)
        _refuse_existing(path)
        partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
        remove_database_files(partial)
        try:
            # readable by its owner only: it holds reporters' contacts and token hashes
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            source = self._connect()
            try:
                _copy(source, partial)
            finally:
                source.close()
            check_database(partial, path)
            _publish(partial, path)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot back up {self.path} to {path}: {exc}") from None
        finally:
            remove_database_files(partial)
        return path

    def stage_restore(self, file: str | Path, staged: str | Path) -> int:
        """Prepare the database ``file`` to be restored into this one, in the scratch file
        ``staged``: copied with what ``file``'s write-ahead log holds (``file`` itself is never
        opened, so never changed), checked (:func:`check_database`, naming ``file``), given
        this database's page size (a database in WAL mode can only take a backup of its own page
        size) and migrated to this program's schema. Returns the schema version ``file`` had."""
        file, staged = Path(file), Path(staged)
        if not file.is_file():
            raise StoreError(f"{file}: no such file" if not file.exists() else f"{file} is not a file")
        # FILE is copied as files (with its write-ahead log, when it has one) and only the copy is
        # opened: SQLite never writes to FILE, not even a checkpoint or a shared-memory file beside
        # it. So FILE must not be in use: a rollback journal beside it means a write was cut off.
        if file.with_name(file.name + "-journal").exists():
            raise StoreError(f"{file} has a rollback journal beside it (a write to it was cut off, or a program "
                             "is writing to it); open it with sqlite3 once to recover it, then restore")
        _private_copy(file, staged)
        wal = file.with_name(file.name + "-wal")
        if wal.is_file():
            _private_copy(wal, staged.with_name(staged.name + "-wal"))
        version = check_database(staged, file)
        with self.transaction(write=False) as con:
            page_size = int(con.execute("PRAGMA page_size").fetchone()[0])
        con = sqlite3.connect(staged, isolation_level=None)
        try:
            if con.execute("PRAGMA page_size").fetchone()[0] != page_size:
                con.execute("PRAGMA journal_mode=DELETE")
                con.execute(f"PRAGMA page_size={page_size}")
                con.execute("VACUUM")
        finally:
            con.close()
        SQLiteStore(staged)  # migrates an older schema
        return version

    def restore_from(self, source: str | Path, safety_copy: str | Path) -> list[str]:
        """Replace the database's contents with those of ``source``, a database prepared by
        :meth:`stage_restore`, in place: :meth:`sqlite3.Connection.backup` writes into the live
        file, so a running service keeps its file and sees the restored data at its next
        transaction (the schema cookie changes, so every connection reloads the schema).

        The write lock is taken first, waiting at most ``busy_timeout_s`` for another program's
        write (else :class:`Unavailable`, and nothing has changed). While it is held nothing else
        can commit, and the current contents are copied to the new file ``safety_copy`` (as
        :meth:`backup_to`, checked) before the restore goes on, so the safety copy is exactly
        what is replaced. Tokens revoked in the replaced contents are revoked in ``source`` at that
        moment too (the lock keeps anyone from revoking one in between), so a restore never brings
        a revoked token back; their ids are returned. The restore is one transaction in the
        write-ahead log: when it fails or the program is killed, the database is as it was, never
        half restored."""
        safety_copy = Path(safety_copy)
        _refuse_existing(safety_copy)
        made, carried = False, []

        def step(status: int, remaining: int, total: int) -> None:
            nonlocal made, carried
            if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise Unavailable(f"{self.path} is busy with another program's write (waited "
                                  f"{self.busy_timeout_s:g} s); nothing was restored, try again shortly")
            if not made:  # the first step took the write lock and wrote nothing visible yet
                self.backup_to(safety_copy)
                # a change to the source makes the backup start over, with these changes in it
                carried = _keep_from_replaced(safety_copy, Path(source))
                made = True

        try:
            src = sqlite3.connect(source, isolation_level=None)
            try:
                pages = int(src.execute("PRAGMA page_count").fetchone()[0])
                version = src.execute("SELECT value FROM stadskarna_meta WHERE key = 'schema_version'").fetchone()
                if version is None or int(version[0]) != SCHEMA_VERSION or pages < 2:
                    raise StoreError(f"{source} is not prepared for a restore (see stage_restore)")
                dest = self._connect()
                try:
                    # fewer pages per step than the source has: the first step cannot finish the
                    # restore, so the safety copy is taken while the lock is held and before any commit
                    src.backup(dest, pages=min(1024, pages - 1), progress=step)
                finally:
                    dest.close()
            finally:
                src.close()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot restore {self.path} from {source}: {exc}; nothing was restored") from None
        return carried


def _keep_from_replaced(replaced: Path, incoming: Path) -> list[str]:
    """What a restore keeps of the contents it replaces, written into the database ``incoming``:
    the tokens revoked in ``replaced`` stay revoked (their ids are returned), and the data version
    moves past the replaced one, so no page cached from the replaced data is served again."""
    old = sqlite3.connect(f"{replaced.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        revoked = old.execute("SELECT token_id, revoked_at FROM api_tokens WHERE revoked_at IS NOT NULL").fetchall()
        version = int(old.execute("SELECT n FROM stadskarna_data_version").fetchone()[0])
    finally:
        old.close()
    con = sqlite3.connect(incoming, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        carried = [token_id for token_id, at in revoked
                   if con.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                                  (at, token_id)).rowcount]
        con.execute("UPDATE stadskarna_data_version SET n = max(n, ?) + 1", (version,))
        con.execute("COMMIT")
    finally:
        con.close()
    return carried


def check_database(path: str | Path, name: str | Path | None = None) -> int:
    """The schema version of the database at ``path`` once checked: ``PRAGMA integrity_check``
    passes, it is a Trygg stadskärna database (its meta table and schema version) and not newer
    than this program. :class:`StoreError` naming ``name`` (default: the path) otherwise. Reads only."""
    path = Path(path)
    name = name or path
    if not path.is_file():
        raise StoreError(f"{name}: no such file" if not path.exists() else f"{name} is not a file")
    con = sqlite3.connect(path, isolation_level=None)
    try:
        problems = [row[0] for row in con.execute("PRAGMA integrity_check(10)")]
        if problems != ["ok"]:
            raise StoreError(f"{name} is damaged: the integrity check found {len(problems)}"
                             f"{' or more' if len(problems) >= 10 else ''} problems, the first: {problems[0]}")
        tables = sorted(row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
        if "stadskarna_meta" not in tables:
            held = f"tables {', '.join(tables[:8])}{', …' if len(tables) > 8 else ''}" if tables else "no tables"
            raise StoreError(f"{name} is not a Trygg stadskärna database (it holds {held})")
        row = con.execute("SELECT value FROM stadskarna_meta WHERE key = 'schema_version'").fetchone()
        if row is None or not str(row[0]).isdigit():
            raise StoreError(f"{name} is not a Trygg stadskärna database (no schema version)")
        version = int(row[0])
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{name} is not an SQLite database or is damaged ({exc})") from None
    finally:
        con.close()
    if version > SCHEMA_VERSION:
        raise StoreError(f"{name} has schema version {version}, newer than this program's {SCHEMA_VERSION}; "
                         "use a newer stadskarna with it")
    return version


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """Copy the database of ``source`` into the file ``target`` with the backup API in one step:
    one read transaction, a consistent snapshot including the write-ahead log."""
    con = sqlite3.connect(target, isolation_level=None)
    try:
        source.backup(con, progress=_give_up_when_busy)
    finally:
        con.close()


def _give_up_when_busy(status: int, remaining: int, total: int) -> None:
    """Backup progress: stop instead of retrying for ever when a database stays locked."""
    if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        raise Unavailable("the database is locked by another program; try again shortly")


def _private_copy(source: Path, target: Path) -> None:
    """Copy the file ``source`` to ``target``, readable by its owner only (it may hold contacts)."""
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "wb") as out, source.open("rb") as data:
        shutil.copyfileobj(data, out, 1024 * 1024)


def _refuse_existing(path: Path) -> None:
    if path.exists():
        raise StoreError(f"{path} exists already; choose a new name or remove it first")
    if not path.parent.is_dir():
        raise StoreError(f"cannot write {path}: folder {path.parent} does not exist")


def _publish(partial: Path, path: Path) -> None:
    """Give the finished file ``partial`` the name ``path``, never replacing a file that appeared there."""
    try:
        os.link(partial, path)
    except FileExistsError:
        raise StoreError(f"{path} exists already; choose a new name or remove it first") from None
    except OSError:  # a file system without hard links
        _refuse_existing(path)
        os.replace(partial, path)
        return
    partial.unlink()


def remove_database_files(path: Path) -> None:
    """Remove a scratch database and its journal, write-ahead log and shared-memory files."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _select_features(con: sqlite3.Connection, schema: LayerSchema, where: str = "", params: tuple = (),
                     include_private: bool = False) -> gpd.GeoDataFrame:
    """Records of a layer (``where`` over the table ``t``) as its validated frame, in insertion
    order; private fields are None unless ``include_private``."""
    table = _table(schema)
    public = [f.name for f in schema.fields if not f.private]
    private = [f.name for f in schema.fields if f.private]
    select = ", ".join([f't."{name}"' for name in public] + [
        (f'p."{name}"' if include_private else f'NULL AS "{name}"') for name in private])
    join = f" LEFT JOIN {table}_private p ON p.id = t.id" if private and include_private else ""
    records = con.execute(f"SELECT {select}, t.geom FROM {table} t{join}{f' WHERE {where}' if where else ''} "
                          "ORDER BY t.fid", params).fetchall()
    raw = pd.DataFrame([r[:-1] for r in records], columns=public + private, dtype=object)
    points = gpkg.decode_geometries([r[-1] for r in records])
    raw["lon"], raw["lat"] = shapely.get_x(points), shapely.get_y(points)
    try:
        return validate(schema, raw, source=f"stored {table}")
    except ValidationError as exc:  # a fault of the data, not of the request that reads it
        raise StoreError(f"the database holds a record that is not valid: {exc}") from None


def _checked(schema: LayerSchema, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A changed layer frame checked again by the layer's rules before it is written, so that no
    change can store what an import would refuse (:class:`ValidationError` naming the field)."""
    raw = pd.DataFrame(frame.drop(columns="geometry")).assign(lon=frame.geometry.x, lat=frame.geometry.y)
    return validate(schema, raw.assign(_row=""), source="")


def _write_features(con: sqlite3.Connection, schema: LayerSchema, frame: gpd.GeoDataFrame, actor: Actor,
                    at: pd.Timestamp | None = None, note: str | None = None) -> WriteResult:
    """:meth:`SQLiteStore.write_features` inside an open transaction; reports' status changes are
    written to their history by ``actor`` at ``at`` (default: now)."""
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
    if schema is REPORTS:
        _record_events(con, frame, {row[0]: stored[row[0]][0] for row in changed}, [row[0] for row in new],
                       columns, actor, at, note)
    if len(frame):
        minx, miny, maxx, maxy = frame.total_bounds
        con.execute("UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?), ?), min_y = min(coalesce(min_y, ?), ?),"
                    " max_x = max(coalesce(max_x, ?), ?), max_y = max(coalesce(max_y, ?), ?),"
                    " last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?",
                    (minx, minx, miny, miny, maxx, maxx, maxy, maxy, table))
    return WriteResult(len(new), len(changed), len(rows) - len(new) - len(changed))


def _record_events(con: sqlite3.Connection, frame: gpd.GeoDataFrame, changed: dict[str, tuple], new: list[str],
                   columns: list[str], actor: Actor, at: pd.Timestamp | None, note: str | None) -> None:
    """History rows for new reports (from nothing to their status, when they were created or
    closed) and for stored reports whose status changed (at ``at``)."""
    status_column = columns.index('"status"')
    by_id = frame.set_index("id")
    when = _utc_text(at or pd.Timestamp.now(tz="UTC"))
    rows = []
    for report_id in new:
        record = by_id.loc[report_id]
        created = record["closed_at"] if record["status"] == "closed" and pd.notna(record["closed_at"]) \
            else record["created_at"]
        rows.append((report_id, None, record["status"], actor.role, actor.label, _utc_text(created), note))
    for report_id, stored in changed.items():
        status = by_id.loc[report_id, "status"]
        if stored[status_column] != status:
            rows.append((report_id, stored[status_column], status, actor.role, actor.label, when, note))
    con.executemany("INSERT INTO report_events (report_id, from_status, to_status, actor_role, actor_label, at, note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def _utc_text(at: pd.Timestamp | None) -> str | None:
    """A stored time: ISO 8601 UTC with milliseconds and Z, None for none."""
    return None if at is None or pd.isna(at) else format_utc(pd.Series([pd.Timestamp(at)])).iloc[0]


def _busy(exc: sqlite3.OperationalError, waited_s: float) -> Exception:
    """:class:`Unavailable` (try again after about as long as was waited) for a lock held by
    another program; other errors as they are."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return Unavailable("the database is busy with another program's write; try again shortly",
                           max(1, math.ceil(waited_s)))
    return exc


_TOKEN_COLUMNS = "token_id, role, label, created_at, expires_at, revoked_at, last_used_at"


@dataclass(frozen=True)
class TokenRecord:
    """An access token as stored (never the token itself): public id, role, label and times (UTC)."""

    token_id: str
    role: str
    label: str
    created_at: pd.Timestamp
    expires_at: pd.Timestamp | None
    revoked_at: pd.Timestamp | None
    last_used_at: pd.Timestamp | None

    @classmethod
    def of(cls, row: tuple) -> TokenRecord:
        def time(value: str | None) -> pd.Timestamp | None:
            return None if value is None else pd.Timestamp(value).tz_convert("UTC")
        return cls(row[0], row[1], row[2], *[time(value) for value in row[3:]])

    def valid_at(self, at: pd.Timestamp) -> bool:
        """Neither revoked nor expired at ``at``."""
        return self.revoked_at is None and (self.expires_at is None or at < self.expires_at)


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

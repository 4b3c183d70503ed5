"""The store over SQL, one implementation for every database: SQLAlchemy's engine and connection
pool, and statements that both SQLite (the embedded GeoPackage) and PostgreSQL (PostGIS) take;
what differs between them is in a :class:`service.store.dialect.Dialect`.

Filters are compiled into SQL — the bounding box through the spatial index, times, categories,
statuses, ids, paging and counts — so no request reads a whole layer.
"""

from __future__ import annotations

import functools
import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy
from numpy.typing import NDArray
from sqlalchemy import TextClause, bindparam
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from geo.crs import WGS84
from geo.errors import Message, ValidationError
from geo.lamp_history import HISTORY_COLUMNS, status_changes
from geo.moderation import HOLD, Moderation
from geo.layers import AREA, EVENTS, LAYERS, LIGHTS, REPORTS, UNPUBLISHED_CATEGORIES, Field, LayerSchema, Record, published_values, stored_frame, validate
from geo.patrol import PresenceParts, Tracks
from geo.survey import RESULT_COLUMNS, with_intervals
from geo.timestamps import format_utc, utc_text
from geo.workflow import OPEN_STATUSES, ROUND_REASON, TOLD_STATUSES
from service.store import pingchunks
from service.store.base import (DATA_TOPICS, Actor, AuditEvent, Conflict, Extent, FeaturePage, FeatureQuery, Listeners,
                                NotFound, Progress, PublishedPage, QueuedMail, SessionRecord, SsoFlow, StoreError,
                                TokenRecord, Unavailable, UserRecord, WriteResult)
from service.store.chunkcodec import unpack
from service.store.dialect import FEATURE_TABLES, Dialect
from service.store.embedded import SCHEMA_VERSION
from service.store.groupcommit import GroupCommit
from service.store.pingchunks import Chunk, chunks_to_frame


@functools.lru_cache(maxsize=1024)
def text(statement: str) -> TextClause:
    """:func:`sqlalchemy.text`, made once per statement: it finds the bound parameters with a
    regular expression on every call, and a request repeats the same few statements."""
    return sqlalchemy.text(statement)


_TOKEN_COLUMNS = "token_id, role, label, created_at, expires_at, revoked_at, last_used_at"
_USER_COLUMNS = "name, role, password_hash, created_at, disabled_at, failed_logins, locked_until, sso_issuer"
_AUDIT_COLUMNS = ("at", "actor", "role", "action", "detail", "client")
PRESENCE_CELLS = np.dtype([("zone", "<i4"), ("local_day", "<i4"), ("hour", "<i1"), ("presence_s", "<f8"),
                           ("officer_s", "<f8"), ("drive_s", "<f8"), ("vehicle_s", "<f8")])
"""A unit-day's kept presence, one record per zone, local day and hour."""
PRESENCE_TRAIL = np.dtype([("local_day", "<i4"), ("east_dm", "<i4"), ("north_dm", "<i4"), ("start_ns", "<i8"),
                           ("end_ns", "<i8"), ("seconds", "<f8")])
"""A unit-day's kept trail of visible presence (:mod:`geo.trail`), one record per row."""
_SIGNATURE = ("CAST(c.n AS TEXT) || ':' || CAST(c.t_min AS TEXT) || ':' || CAST(c.t_max AS TEXT) || ':' || "
              "coalesce(CAST(nx.t_min AS TEXT), '-')")
"""What a unit-day's presence depends on: its pings and the first ping of the next day."""
_CHUNK_READ = "unit_id, day_utc, n, sources, t, lon, lat, mode, crew, source"
_CHUNK_COLUMNS = ("unit_id", "day_utc", "n", "t_min", "t_max", "sources", "t", "lon", "lat", "mode", "crew", "source")


class SQLStore:
    """The store (:class:`service.store.base.Store`) over the database of ``dialect``, its schema
    brought to this program's version on open (a newer one is refused)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.kind = dialect.kind
        self._engine = dialect.engine()
        self._reports = GroupCommit(self.transaction)
        try:
            with self.transaction(write=False) as con:  # opening a current database takes no lock
                version = dialect.current_version(con)
            self._refuse_newer(version)
            if version < SCHEMA_VERSION:
                with self.transaction() as con:  # looked at again under the write lock
                    version = dialect.current_version(con)
                    self._refuse_newer(version)
                    dialect.migrate(con, version, SCHEMA_VERSION)
                dialect.migrated(self._engine)
        except DBAPIError as exc:
            self._engine.dispose()
            raise dialect.open_error(exc) from None
        except StoreError:
            self._engine.dispose()
            raise

    def _refuse_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.dialect.describe()} has schema version {version}, newer than this "
                             f"program's {SCHEMA_VERSION}; upgrade stadskarna to open it")

    def close(self) -> None:
        """Close the store's connections."""
        self._engine.dispose()

    def __enter__(self) -> SQLStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self, write: bool = True, busy_timeout_s: float | None = None) -> Iterator[Connection]:
        """A connection whose work is committed together on success and rolled back on any error.
        A write takes the database's write lock at once (so its checks and writes see one state);
        reads see a consistent snapshot and never wait for a writer. When another program holds
        the lock longer than the busy timeout (the dialect's, or ``busy_timeout_s``),
        :class:`Unavailable` is raised and nothing is written."""
        options = {"write": write} | ({"busy_timeout_s": busy_timeout_s} if busy_timeout_s is not None else {})
        turn = self.dialect.writing(busy_timeout_s if busy_timeout_s is not None else self.dialect.busy_timeout_s) \
            if write else nullcontext()
        with self._busy(busy_timeout_s), turn, self._engine.connect().execution_options(**options) as con, con.begin():
            yield con

    @contextmanager
    def _busy(self, busy_timeout_s: float | None = None) -> Iterator[None]:
        """The database's "busy" (a lock held longer than the busy timeout) as :class:`Unavailable`."""
        try:
            yield
        except DBAPIError as exc:
            waited_s = busy_timeout_s if busy_timeout_s is not None else self.dialect.busy_timeout_s
            busy = self.dialect.busy(exc, waited_s)
            if busy is not None:
                raise busy from None
            raise

    # -- the database -----------------------------------------------------------------------

    def describe(self) -> str:
        """Where the data lives, for logs and the person running the service (no secrets)."""
        return self.dialect.describe()

    def schema_version(self) -> int:
        """The schema version stored in the database."""
        with self.transaction(write=False) as con:
            return int(con.execute(text("SELECT value FROM stadskarna_meta WHERE key = 'schema_version'")).scalar())

    def data_version(self) -> int:
        """A number that changes whenever the data pages are built from change (a record of a
        layer, a photo, a removal round, a promise status, a note about the data — by any program;
        triggers keep it), and only then: reads and tokens leave it alone. For caching pages."""
        with self.transaction(write=False) as con:
            return int(con.execute(text("SELECT n FROM stadskarna_data_version")).scalar())

    def topic_versions(self, topics: tuple[str, ...]) -> tuple[int, ...]:
        """Numbers that change whenever the data of ``topics`` (of :data:`DATA_TOPICS`) change, and
        only then: a page built from pings and incidents stays valid while reports come in."""
        unknown = set(topics) - set(DATA_TOPICS)
        if unknown:
            raise ValueError(f"unknown data topics {sorted(unknown)}; known: {', '.join(DATA_TOPICS)}")
        with self.transaction(write=False) as con:
            rows = dict(con.execute(text("SELECT topic, n FROM stadskarna_topic_versions")).all())
        return tuple(int(rows[topic]) for topic in topics)

    def get_meta(self, key: str) -> str | None:
        """A note stored about the database (for example what demo data it holds), or None."""
        with self.transaction(write=False) as con:
            return con.execute(text("SELECT value FROM stadskarna_meta WHERE key = :key"), {"key": key}).scalar()

    def set_meta(self, key: str, value: str) -> None:
        """Store a note about the database."""
        with self.transaction() as con:
            con.execute(text("INSERT INTO stadskarna_meta (key, value) VALUES (:key, :value) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), {"key": key, "value": value})

    def count(self, schema: LayerSchema) -> int:
        """Number of records (pings for the patrol layer) stored in a layer."""
        with self.transaction(write=False) as con:
            if not schema.points_as_geometry:
                return int(con.execute(text("SELECT coalesce(sum(n), 0) FROM patrol_ping_chunks")).scalar())
            return int(con.execute(text(f"SELECT count(*) FROM {_table(schema)}")).scalar())

    def is_empty(self) -> bool:
        """True when no layer holds any record."""
        return all(self.count(schema) == 0 for schema in LAYERS.values())

    def records_not_from(self, source: str) -> dict[str, int]:
        """Per layer, the records whose source is not ``source`` (pings for the patrol layer),
        counted in SQL; a unit-day of pings is decoded (its source column) only when it mixes
        ``source`` with other sources."""
        counts = {}
        with self.transaction(write=False) as con:
            for name, schema in LAYERS.items():
                if schema.points_as_geometry:
                    counts[name] = int(con.execute(text(f"SELECT count(*) FROM {_table(schema)} WHERE source != :s"),
                                                   {"s": source}).scalar())
                    continue
                pings = 0
                for n, sources, codes in con.execute(text("SELECT n, sources, source FROM patrol_ping_chunks "
                                                          "WHERE sources != :only"), {"only": json.dumps([source])}):
                    names = json.loads(sources)
                    if source not in names:
                        pings += int(n)
                    else:
                        pings += int((unpack(codes, np.uint8, int(n)) != names.index(source)).sum())
                counts[name] = pings
        return counts

    # -- access tokens ----------------------------------------------------------------------

    def add_token(self, token_id: str, token_hash: str, role: str, label: str,
                  expires_at: pd.Timestamp | None = None) -> None:
        """Store the hash of a new access token with its public id, role, label and expiry (UTC)."""
        with self.transaction() as con:
            con.execute(text("INSERT INTO api_tokens (token_id, token_hash, role, label, created_at, expires_at) "
                             "VALUES (:id, :hash, :role, :label, :created, :expires)"),
                        {"id": token_id, "hash": token_hash, "role": role, "label": label,
                         "created": _utc(pd.Timestamp.now(tz="UTC")), "expires": _utc(expires_at)})

    def token(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash (revoked and expired ones too), or None."""
        with self.transaction(write=False) as con:
            row = con.execute(text(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = :hash"),
                              {"hash": token_hash}).first()
        return None if row is None else _token(row)

    def tokens(self) -> list[TokenRecord]:
        """Every token (never the token itself: it is not stored), oldest first."""
        with self.transaction(write=False) as con:
            rows = con.execute(text(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, token_id")).all()
        return [_token(row) for row in rows]

    def token_used(self, token_id: str, at: pd.Timestamp, resolution_s: float = 60.0) -> None:
        """Note that a token was used at ``at`` (kept to ``resolution_s``: callers write only when the
        stored time is older). Skipped after at most 50 ms when another writer holds the lock: a
        request is not held up to note its token's use."""
        try:
            with self.transaction(busy_timeout_s=0.05) as con:
                con.execute(text("UPDATE api_tokens SET last_used_at = :at WHERE token_id = :id "
                                 "AND (last_used_at IS NULL OR last_used_at < :stale)"),
                            {"at": _utc(at), "id": token_id, "stale": _utc(at - pd.Timedelta(seconds=resolution_s))})
        except Unavailable:
            pass

    def revoke_token(self, token_id: str, at: pd.Timestamp) -> TokenRecord:
        """Revoke a token by its id; revoking it again changes nothing. :class:`NotFound` when unknown."""
        with self.transaction() as con:
            con.execute(text("UPDATE api_tokens SET revoked_at = :at WHERE token_id = :id AND revoked_at IS NULL"),
                        {"at": _utc(at), "id": token_id})
            row = con.execute(text(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE token_id = :id"),
                              {"id": token_id}).first()
        if row is None:
            raise NotFound(Message("no token {token_id!r}", token_id=token_id))
        return _token(row)

    def add_open311_client(self, key_hash: str, name: str) -> None:
        """Register an Open311 client application by the hash of its api_key."""
        with self.transaction() as con:
            if con.execute(text("SELECT 1 FROM open311_clients WHERE name = :name"), {"name": name}).first():
                raise Conflict(Message("a client named {name!r} exists", name=name))
            con.execute(text("INSERT INTO open311_clients (key_hash, name, created_at) VALUES (:hash, :name, :at)"),
                        {"hash": key_hash, "name": name, "at": _utc(pd.Timestamp.now(tz="UTC"))})

    def open311_clients(self) -> list[tuple[str, str]]:
        """(key hash, name) of every registered Open311 client."""
        with self.transaction(write=False) as con:
            return [tuple(row) for row in con.execute(text("SELECT key_hash, name FROM open311_clients"))]

    # -- staff accounts, sessions and their audit ----------------------------------------------

    def add_user(self, name: str, role: str, password_hash: str, event: AuditEvent) -> UserRecord:
        """Store a new staff account created at ``event.at`` and audit it, in one transaction;
        :class:`Conflict` when the name is taken."""
        with self.transaction() as con:
            self.dialect.lock_table(con, "staff_users")  # two adds of one name at once: one lands, one conflicts
            if con.execute(text("SELECT 1 FROM staff_users WHERE name = :name"), {"name": name}).first():
                raise Conflict(Message("an account named {name!r} exists", name=name))
            con.execute(text("INSERT INTO staff_users (name, role, password_hash, created_at) "
                             "VALUES (:name, :role, :hash, :at)"),
                        {"name": name, "role": role, "hash": password_hash, "at": _utc(event.at)})
            _audit(con, event)
            return _user(con, name)

    def user(self, name: str) -> UserRecord | None:
        """The account named ``name`` (disabled ones too), or None."""
        with self.transaction(write=False) as con:
            row = con.execute(text(f"SELECT {_USER_COLUMNS} FROM staff_users WHERE name = :name"), {"name": name}).first()
        return None if row is None else _user_record(row)

    def users(self) -> list[UserRecord]:
        """Every account, by name."""
        with self.transaction(write=False) as con:
            rows = con.execute(text(f"SELECT {_USER_COLUMNS} FROM staff_users ORDER BY name")).all()
        return [_user_record(row) for row in rows]

    def set_user_role(self, name: str, role: str, event: AuditEvent) -> UserRecord:
        """Give an account another role and audit it, in one transaction; its sessions have the new
        role at once (they read it from the account). :class:`NotFound` when unknown."""
        with self.transaction() as con:
            if not con.execute(text("UPDATE staff_users SET role = :role WHERE name = :name"),
                               {"role": role, "name": name}).rowcount:
                raise NotFound(Message("no account {name!r}", name=name))
            _audit(con, event)
            return _user(con, name)

    def disable_user(self, name: str, event: AuditEvent) -> UserRecord:
        """Disable an account at ``event.at``, end its sessions and audit it, in one transaction;
        disabling it again changes nothing. :class:`NotFound` when unknown."""
        with self.transaction() as con:
            if con.execute(text("SELECT 1 FROM staff_users WHERE name = :name"), {"name": name}).first() is None:
                raise NotFound(Message("no account {name!r}", name=name))
            if con.execute(text("UPDATE staff_users SET disabled_at = :at WHERE name = :name AND disabled_at IS NULL"),
                           {"at": _utc(event.at), "name": name}).rowcount:
                con.execute(text("DELETE FROM staff_sessions WHERE name = :name"), {"name": name})
                _audit(con, event)
            return _user(con, name)

    def login_failed(self, name: str, max_failures: int, locked_until: pd.Timestamp, event: AuditEvent) -> None:
        """Audit a failed sign-in and count it for the account ``name`` (when there is one); the
        ``max_failures``-th locks the account until ``locked_until`` and starts the count again."""
        with self.transaction() as con:
            con.execute(text("UPDATE staff_users SET failed_logins = failed_logins + 1 WHERE name = :name"),
                        {"name": name})
            con.execute(text("UPDATE staff_users SET failed_logins = 0, locked_until = :until "
                             "WHERE name = :name AND failed_logins >= :most"),
                        {"until": _utc(locked_until), "name": name, "most": max_failures})
            _audit(con, event)

    def sso_account(self, issuer: str, subject: str, name: str, role: str, event: AuditEvent) -> UserRecord:
        """The account of a provider's identity (``issuer``, ``subject``), given ``role``, in one
        transaction: created at its first sign-in, named ``name`` and without a password
        (:class:`Conflict` when another account has the name); its role set when it differs,
        unless it is disabled. A change is audited as ``event`` with the action ``user add`` or
        ``user set-role`` and a detail saying what."""
        with self.transaction() as con:
            self.dialect.lock_table(con, "staff_users")  # two first sign-ins at once: one account
            found = con.execute(text("SELECT name, role, disabled_at FROM staff_users "
                                     "WHERE sso_issuer = :issuer AND sso_subject = :subject"),
                                {"issuer": issuer, "subject": subject}).first()
            if found is None:
                if con.execute(text("SELECT 1 FROM staff_users WHERE name = :name"), {"name": name}).first():
                    raise Conflict(Message("an account named {name!r} exists", name=name))
                con.execute(text("INSERT INTO staff_users (name, role, password_hash, created_at, sso_issuer, "
                                 "sso_subject) VALUES (:name, :role, '', :at, :issuer, :subject)"),
                            {"name": name, "role": role, "at": _utc(event.at), "issuer": issuer, "subject": subject})
                _audit(con, replace(event, action="user add", detail=f"{name} as {role} (single sign-on)"))
                return _user(con, name)
            if found[1] != role and found[2] is None:
                con.execute(text("UPDATE staff_users SET role = :role WHERE name = :name"),
                            {"role": role, "name": found[0]})
                _audit(con, replace(event, action="user set-role",
                                    detail=f"{found[0]} from {found[1]} to {role} (single sign-on)"))
            return _user(con, found[0])

    def begin_sso_flow(self, flow_hash: str, flow: SsoFlow, at: pd.Timestamp) -> None:
        """Store a started single sign-on, removing those expired at ``at``."""
        with self.transaction() as con:
            con.execute(text("DELETE FROM staff_sso_flows WHERE expires_at <= :at"), {"at": _utc(at)})
            con.execute(text("INSERT INTO staff_sso_flows (flow_hash, nonce, code_verifier, next_path, expires_at) "
                             "VALUES (:hash, :nonce, :verifier, :next, :expires)"),
                        {"hash": flow_hash, "nonce": flow.nonce, "verifier": flow.code_verifier,
                         "next": flow.next_path, "expires": _utc(flow.expires_at)})

    def take_sso_flow(self, flow_hash: str, at: pd.Timestamp) -> SsoFlow | None:
        """Remove and return a started single sign-on, or None when it is unknown, taken already
        or expired at ``at`` (each is taken once: two callbacks with it, one gets it)."""
        with self.transaction() as con:
            row = con.execute(text("SELECT nonce, code_verifier, next_path, expires_at FROM staff_sso_flows "
                                   "WHERE flow_hash = :hash"), {"hash": flow_hash}).first()
            if row is None or not con.execute(text("DELETE FROM staff_sso_flows WHERE flow_hash = :hash"),
                                              {"hash": flow_hash}).rowcount:
                return None
        flow = SsoFlow(row[0], row[1], row[2], _stamp(row[3]))
        return flow if at < flow.expires_at else None

    def open_session(self, session_hash: str, name: str, event: AuditEvent) -> None:
        """Store a new session of ``name`` opened at ``event.at``, clear the account's failed
        sign-ins and lock-out, and audit it, in one transaction."""
        with self.transaction() as con:
            con.execute(text("INSERT INTO staff_sessions (session_hash, name, created_at, last_seen_at) "
                             "VALUES (:hash, :name, :at, :at)"),
                        {"hash": session_hash, "name": name, "at": _utc(event.at)})
            con.execute(text("UPDATE staff_users SET failed_logins = 0, locked_until = NULL WHERE name = :name"),
                        {"name": name})
            _audit(con, event)

    def session(self, session_hash: str) -> SessionRecord | None:
        """The session with this hash, with its account's role and state, or None."""
        with self.transaction(write=False) as con:
            row = con.execute(text("SELECT s.name, u.role, s.created_at, s.last_seen_at, u.disabled_at "
                                   "FROM staff_sessions s JOIN staff_users u ON u.name = s.name "
                                   "WHERE s.session_hash = :hash"), {"hash": session_hash}).first()
        return None if row is None else SessionRecord(row[0], row[1], *map(_stamp, row[2:]))

    def session_seen(self, session_hash: str, at: pd.Timestamp, resolution_s: float = 60.0) -> None:
        """Note that a session was used at ``at`` (kept to ``resolution_s``: written only when the
        stored time is older); skipped after at most 50 ms when another writer holds the lock."""
        try:
            with self.transaction(busy_timeout_s=0.05) as con:
                con.execute(text("UPDATE staff_sessions SET last_seen_at = :at WHERE session_hash = :hash "
                                 "AND last_seen_at < :stale"),
                            {"at": _utc(at), "hash": session_hash,
                             "stale": _utc(at - pd.Timedelta(seconds=resolution_s))})
        except Unavailable:
            pass

    def close_session(self, session_hash: str, event: AuditEvent | None = None) -> None:
        """Remove a session (nothing when it is gone already), audited when ``event`` is given."""
        with self.transaction() as con:
            con.execute(text("DELETE FROM staff_sessions WHERE session_hash = :hash"), {"hash": session_hash})
            if event is not None:
                _audit(con, event)

    def add_audit(self, event: AuditEvent) -> None:
        """Store a row of the staff audit."""
        with self.transaction() as con:
            _audit(con, event)

    def audit(self) -> pd.DataFrame:
        """The staff audit in the order it was written: at (UTC), actor, role, action, detail, client
        (role and client None where unknown)."""
        with self.transaction(write=False) as con:
            rows = con.execute(text(f"SELECT {', '.join(_AUDIT_COLUMNS)} FROM staff_audit ORDER BY event_id")).all()
        frame = pd.DataFrame([tuple(row) for row in rows], columns=list(_AUDIT_COLUMNS), dtype=object)  # None stays None
        frame["at"] = _times(frame["at"])
        return frame

    # -- point layers (incidents, lights, reports) ------------------------------------------

    def write_features(self, schema: LayerSchema, frame: gpd.GeoDataFrame,
                       actor: Actor = Actor("import")) -> WriteResult:
        """Insert new records and update changed ones of a validated layer frame, by ``id``, in one
        transaction. Records already stored with the same values are counted as unchanged. An empty
        private field (a reporter's contact) leaves the stored value as it is. A new report or lamp,
        or one whose status changes, gets a row in its history by ``actor``."""
        with self.transaction() as con:
            return self._write_features(con, schema, frame, actor)

    def read_features(self, schema: LayerSchema, include_private: bool = False,
                      query: FeatureQuery | None = None) -> gpd.GeoDataFrame:
        """The records of a layer that match ``query`` (every record when None) as its validated
        frame (WGS84), in the order they were stored. Private fields (a reporter's contact) are
        None unless ``include_private``."""
        with self.transaction(write=False) as con:
            return self._select(con, schema, query or FeatureQuery(), include_private=include_private)

    def query_features(self, schema: LayerSchema, query: FeatureQuery, limit: int, offset: int = 0) -> FeaturePage:
        """At most ``limit`` records matching ``query`` from ``offset`` on, and how many match in
        all — both in SQL, in one snapshot."""
        with self.transaction(write=False) as con:
            records, matched = self._page(con, schema, query, limit, offset)
            frame = self._with_areas(con, schema, self._frame(schema, records))
        return FeaturePage(frame, matched)

    def published_page(self, schema: LayerSchema, query: FeatureQuery, limit: int, offset: int = 0) -> PublishedPage:
        """The page :meth:`query_features` gives, as published: the public fields' values
        (:func:`geo.layers.published_values`) and positions, read without building a frame (the
        request path of a layer's page)."""
        public = [f.name for f in schema.fields if not f.private]
        with self.transaction(write=False) as con:
            records, matched = self._page(con, schema, query, limit, offset)
        try:
            values = published_values(schema, {name: [r[k] for r in records] for k, name in enumerate(public)},
                                      f"stored {schema.name}")
        except ValidationError as exc:  # a fault of the data, not of the request that reads it
            raise StoreError(f"the database holds a record that is not valid: {exc}") from None
        points = self.dialect.decode_points([r[-1] for r in records])
        return PublishedPage([dict(zip(values, row)) for row in zip(*values.values())] if records else [],
                             shapely.get_x(points).tolist(), shapely.get_y(points).tolist(), matched)

    def extent(self, schema: LayerSchema, query: FeatureQuery) -> Extent:
        """The box and time span of the records that match ``query``, aggregated in SQL."""
        time = schema.time_field
        with self.transaction(write=False) as con:
            where, params = self._where(schema, query)
            row = con.execute(text(f"SELECT {self.dialect.extent_columns('t')}, min(t.\"{time}\"), max(t.\"{time}\") "
                                   f"FROM {_table(schema)} t{where}"), params).one()
        first, last = _times(pd.Series([row[4], row[5]], dtype=object))
        return Extent(None if row[0] is None else tuple(float(v) for v in row[:4]),
                      None if pd.isna(first) else first, None if pd.isna(last) else last)

    def positions(self, schema: LayerSchema, query: FeatureQuery) -> tuple[list[str], NDArray[np.float64],
                                                                          NDArray[np.float64]]:
        """The ids and lon/lat (WGS84 degrees) of the records that match ``query``, in the order
        they were stored: what a spatial question needs, without reading the records."""
        with self.transaction(write=False) as con:
            where, params = self._where(schema, query)
            records = con.execute(text(f"SELECT t.id, {self.dialect.geom_select('t.geom')} FROM {_table(schema)} t"
                                       f"{where} ORDER BY t.fid"), params).all()
        points = self.dialect.decode_points([r[1] for r in records])
        return [r[0] for r in records], shapely.get_x(points), shapely.get_y(points)

    # -- events ----------------------------------------------------------------------------------

    def event_areas(self, event_ids: list[str]) -> dict[str, shapely.Geometry]:
        """The areas (WGS84 Polygons or MultiPolygons) of those of these events that have one, by id."""
        with self.transaction(write=False) as con:
            return _read_areas(con, event_ids)

    def add_event(self, event: gpd.GeoDataFrame, actor: Actor) -> None:
        """Store one new event (a validated one-row events frame, with its area or None), checked
        and written in one transaction: an id stored already raises :class:`Conflict` with the
        stored event's id and name (nothing is written)."""
        event_id = str(event["id"].iloc[0])
        with self.transaction() as con:
            self.dialect.lock_table(con, "events")
            stored = con.execute(text("SELECT name FROM events WHERE id = :id"), {"id": event_id}).first()
            if stored is not None:
                raise Conflict(Message("an event {event_id!r} exists", event_id=event_id),
                               {"id": event_id, "name": stored[0]})
            self._write_features(con, EVENTS, event, actor)

    def remove_event(self, event_id: str) -> None:
        """Remove an event and its area in one transaction; :class:`NotFound` for an unknown id."""
        with self.transaction() as con:
            con.execute(text("DELETE FROM event_areas WHERE id = :id"), {"id": event_id})
            if con.execute(text("DELETE FROM events WHERE id = :id"), {"id": event_id}).rowcount == 0:
                raise NotFound(Message("no event {event_id!r}", event_id=event_id))

    # -- citizens' reports ---------------------------------------------------------------------

    def add_report(self, report: Record, photo: tuple[str, bytes] | None,
                   duplicate_of: list[str], actor: Actor, mail_token: str | None = None,
                   held: str | None = None) -> None:
        """Store one new citizen report (a validated record), its photo (media type, bytes; metadata
        already stripped), its links to possible duplicates and the first row of its history, in
        one transaction — shared with the reports that arrive meanwhile
        (:mod:`service.store.groupcommit`); it returns once that transaction is committed. An id
        that is stored already raises :class:`Conflict` (nothing of this report is written). With
        ``mail_token``, the contact is subscribed to mail about the report with that token and the
        receipt is queued, in the same transaction. With ``held`` (why), its text is held for review
        (not public until staff release it) and the hold is the first row of its moderation history."""
        report_id = report.values["id"]
        public = [f for f in REPORTS.fields if not f.private]
        row = {f"c{k}": _encode_one(f, report.values[f.name]) for k, f in enumerate(public)}
        row["geom"] = self.dialect.encode_points(np.array([report.lon]), np.array([report.lat]))[0]
        insert = self._insert_sql("reports", [f.name for f in public])
        private = {f.name: report.values[f.name] for f in REPORTS.fields if f.private and report.values[f.name] is not None}

        def write(con: Connection) -> None:
            if con.execute(text("SELECT 1 FROM reports WHERE id = :id"), {"id": report_id}).first() is not None:
                raise Conflict(Message("a report {report_id!r} exists", report_id=report_id), {"id": report_id})
            con.execute(insert, row)
            if held is not None:
                con.execute(text("UPDATE reports SET text_held = 1 WHERE id = :id"), {"id": report_id})
                _record_moderation(con, report_id, HOLD, held, Actor("moderation", "automatic"),
                                   report.values["created_at"])
            for name, value in private.items():
                con.execute(_private_upsert("reports", name), {"id": report_id, "value": value})
            self._record_events(con, {report_id: (report.values["status"], report.values["created_at"],
                                                  report.values["closed_at"])}, {}, [report_id], actor, None, None)
            if photo is not None:
                con.execute(text("INSERT INTO report_photos (id, media_type, data) VALUES (:id, :type, :data)"),
                            {"id": report_id, "type": photo[0], "data": photo[1]})
            if duplicate_of:
                con.execute(text("INSERT INTO report_duplicates (report_id, duplicate_of) VALUES (:id, :of)"),
                            [{"id": report_id, "of": other} for other in duplicate_of])
            if mail_token is not None:
                con.execute(text("INSERT INTO report_subscriptions (report_id, token) VALUES (:id, :token)"),
                            {"id": report_id, "token": mail_token})
                _queue_mail(con, report_id, "received", _utc(report.values["created_at"]))
            self.dialect.after_features_written(con, "reports", (report.lon, report.lat, report.lon, report.lat))

        with self._busy():
            self._reports.run(write)  # one commit (and flush to disk) for the reports sent meanwhile

    def change_report(self, report_id: str, decide: Callable[[pd.Series], dict], actor: Actor,
                      at: pd.Timestamp, note: str | None = None) -> gpd.GeoDataFrame:
        """Change a report in one transaction: ``decide(current record)`` returns the field
        changes or raises (nothing is written then), so the check and the write see the same
        state. The change of status is a row of the report's history (``actor``, ``at``, ``note``).
        Returns the stored one-row frame; :class:`NotFound` for an unknown id."""
        with self.transaction() as con:
            current = self._select(con, REPORTS, FeatureQuery(ids=(report_id,)), include_private=True, for_update=True)
            if current.empty:
                raise NotFound(Message("no report {report_id!r}", report_id=report_id))
            updated = _checked(REPORTS, current.assign(**decide(current.iloc[0])))
            self._write_features(con, REPORTS, updated, actor, at, note)
        return updated

    def record_removal_round(self, round_id: str, day: str, category: str, zone_ids: list[str],
                             close: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame], actor: Actor,
                             at: pd.Timestamp) -> gpd.GeoDataFrame:
        """Record a removal round of ``category`` on local date ``day`` (ISO) in ``zone_ids`` and
        close reports, in one transaction: ``close(open reports of the category)`` returns the
        reports the round closes, with their new values. A round is identified by its day,
        category and zones: recording one that exists raises :class:`Conflict` (with its id)."""
        key = ",".join(sorted(zone_ids))
        identity = {"day": day, "category": category, "key": key}
        with self.transaction() as con:
            existing = con.execute(text("SELECT id FROM removal_rounds WHERE day = :day AND category = :category "
                                        "AND zones_key = :key"), identity).scalar()
            if existing is not None:
                raise _round_exists(category, day, existing)
            open_reports = self._select(con, REPORTS, FeatureQuery(categories=(category,), statuses=OPEN_STATUSES),
                                        include_private=True, for_update=True)
            closed = _checked(REPORTS, close(open_reports))
            self._write_features(con, REPORTS, closed, actor, at, ROUND_REASON.format(round_id=round_id))
            try:
                with con.begin_nested():
                    con.execute(text("INSERT INTO removal_rounds (id, day, category, zones, closed, zones_key, "
                                     "actor_role, actor_label, created_at) VALUES (:id, :day, :category, :zones, "
                                     ":closed, :key, :role, :label, :at)"),
                                identity | {"id": round_id, "zones": json.dumps(zone_ids), "closed": len(closed),
                                            "role": actor.role, "label": actor.label, "at": _utc(at)})
            except IntegrityError:  # recorded meanwhile by another transaction
                existing = con.execute(text("SELECT id FROM removal_rounds WHERE day = :day AND category = :category "
                                            "AND zones_key = :key"), identity).scalar()
                raise _round_exists(category, day, existing) from None
        return closed

    def removal_rounds(self) -> pd.DataFrame:
        """Every removal round: id, day (local date, ISO), category, zones (list), closed (reports)."""
        with self.transaction(write=False) as con:
            rows = con.execute(text("SELECT id, day, category, zones, closed FROM removal_rounds ORDER BY day, id")).all()
        return pd.DataFrame([(i, d, c, json.loads(z), n) for i, d, c, z, n in rows],
                            columns=["id", "day", "category", "zones", "closed"])

    def merge_reports(self, duplicate_id: str, into_id: str, decide: Callable[[pd.Series, pd.Series], dict],
                      actor: Actor, at: pd.Timestamp, notes: tuple[str, str]) -> gpd.GeoDataFrame:
        """Merge a duplicate into the report kept, in one transaction (both rows locked, in the
        order of their ``fid``, so concurrent merges and moves of either wait for each other):
        ``decide(duplicate, kept)`` gives the duplicate's field changes or raises; subscriptions
        that heard of the duplicate follow the kept report (moved before the duplicate closes, so
        its reporter is not told "closed" of a duplicate); the kept report's supporters grow by the
        duplicate's and one (its reporter); a history row each (the kept one from its status to
        the same)."""
        with self.transaction() as con:
            both = self._select(con, REPORTS, FeatureQuery(ids=(duplicate_id, into_id)), include_private=True,
                                for_update=True)
            found = {row["id"]: k for k, row in enumerate(both.to_dict("records"))}
            for report_id in (duplicate_id, into_id):
                if report_id not in found:
                    raise NotFound(Message("no report {report_id!r}", report_id=report_id))
            duplicate, kept = both.iloc[found[duplicate_id]], both.iloc[found[into_id]]
            changes = decide(duplicate, kept)
            ids = {"dup": duplicate_id, "into": into_id}
            con.execute(text("UPDATE report_subscriptions SET follows = :into "
                             "WHERE (report_id = :dup AND follows IS NULL) OR follows = :dup"), ids)
            carried = con.execute(text("SELECT supporters FROM report_supports WHERE report_id = :dup"), ids).scalar()
            con.execute(text("DELETE FROM report_supports WHERE report_id = :dup"), ids)
            con.execute(text("INSERT INTO report_supports (report_id, supporters) VALUES (:into, :n) ON CONFLICT "
                             "(report_id) DO UPDATE SET supporters = report_supports.supporters + :n"),
                        ids | {"n": int(carried or 0) + 1})
            updated = _checked(REPORTS, both.iloc[[found[duplicate_id]]].assign(**changes))
            self._write_features(con, REPORTS, updated, actor, at, notes[0])
            con.execute(text("INSERT INTO report_events (report_id, from_status, to_status, actor_role, actor_label, "
                             "at, note) VALUES (:id, :status, :status, :role, :label, :at, :note)"),
                        {"id": into_id, "status": kept["status"], "role": actor.role, "label": actor.label,
                         "at": _utc(at), "note": notes[1]})
        return updated

    def listeners(self, report_ids: list[str]) -> dict[str, Listeners]:
        """Who hears of each of these reports by mail: its own reporter's standing subscription,
        and the standing ones carried to it from merged duplicates."""
        if not report_ids:
            return {}
        statement = text("SELECT coalesce(follows, report_id), follows IS NULL FROM report_subscriptions "
                         "WHERE unsubscribed_at IS NULL AND ((report_id IN :ids AND follows IS NULL) "
                         "OR follows IN :ids)").bindparams(bindparam("ids", expanding=True))
        with self.transaction(write=False) as con:
            rows = con.execute(statement, {"ids": list(report_ids)}).all()
        found: dict[str, Listeners] = {}
        for report_id, own in rows:
            heard = found.get(report_id, Listeners(False, 0))
            found[report_id] = Listeners(True, heard.carried) if own else Listeners(heard.reporter, heard.carried + 1)
        return found

    def report_history(self, report_ids: list[str] | None = None) -> pd.DataFrame:
        """The status changes of reports (all, or those of ``report_ids``), oldest first: report_id,
        from_status, to_status, actor_role, actor_label, at (UTC), note."""
        return self._history("report_events", "report_id", report_ids, ["note"])

    def light_history(self, light_ids: list[str] | None = None) -> pd.DataFrame:
        """The status changes of lamps (all, or those of ``light_ids``) in the order they were
        recorded: light_id, from_status, to_status, actor_role, actor_label, at (UTC, when the
        change happened), recorded_at (UTC), note (see :mod:`geo.lamp_history`)."""
        return self._history("light_events", "light_id", light_ids, ["recorded_at", "note"])

    def _history(self, table: str, key: str, ids: list[str] | None, extra: list[str]) -> pd.DataFrame:
        """The rows of a history table (of ``ids`` of its ``key`` column, or all) in their order."""
        columns = [key, "from_status", "to_status", "actor_role", "actor_label", "at", *extra]
        where, params = "", {}
        if ids is not None:
            where, params = f" WHERE {key} IN :ids", {"ids": list(ids)}
        statement = text(f"SELECT {', '.join(columns)} FROM {table}{where} ORDER BY event_id")
        if ids is not None:
            statement = statement.bindparams(bindparam("ids", expanding=True))
        with self.transaction(write=False) as con:
            rows = con.execute(statement, params).all() if ids is None or ids else []
        frame = pd.DataFrame([tuple(row) for row in rows], columns=columns)
        return frame.assign(**{name: _times(frame[name]) for name in ("at", "recorded_at") if name in columns})

    def photo(self, report_id: str) -> tuple[str, bytes] | None:
        """(media type, bytes) of a report's photo, or None."""
        with self.transaction(write=False) as con:
            row = con.execute(text("SELECT media_type, data FROM report_photos WHERE id = :id"), {"id": report_id}).first()
        return None if row is None else (row[0], bytes(row[1]))

    # -- moderation of reports --------------------------------------------------------------------

    def moderate_report(self, report_id: str, action: str, decide: Callable[[Moderation, bool], Moderation],
                        reason: str, actor: Actor, at: pd.Timestamp) -> Moderation:
        """Change a report's moderation in one transaction: ``decide(current flags, has a photo)``
        returns the new flags or raises (nothing is written then); the change is a row of the
        report's moderation history (``action``, ``reason``, ``actor``, ``at``). :class:`NotFound`
        for an unknown id."""
        with self.transaction() as con:
            lock = "" if self.kind == "geopackage" else " FOR UPDATE"
            row = con.execute(text(f"SELECT text_hidden, photo_hidden, text_held, photo FROM reports WHERE id = :id"
                                   f"{lock}"), {"id": report_id}).first()
            if row is None:
                raise NotFound(Message("no report {report_id!r}", report_id=report_id))
            changed = decide(Moderation(bool(row[0]), bool(row[1]), bool(row[2])), row[3] is not None)
            con.execute(text("UPDATE reports SET text_hidden = :text_hidden, photo_hidden = :photo_hidden, "
                             "text_held = :text_held WHERE id = :id"),
                        {name: int(value) for name, value in changed.as_dict().items()} | {"id": report_id})
            _record_moderation(con, report_id, action, reason, actor, at)
        return changed

    def moderation(self, report_id: str) -> Moderation:
        """A report's moderation flags (:class:`NotFound` for an unknown id)."""
        with self.transaction(write=False) as con:
            row = con.execute(text("SELECT text_hidden, photo_hidden, text_held FROM reports WHERE id = :id"),
                              {"id": report_id}).first()
        if row is None:
            raise NotFound(Message("no report {report_id!r}", report_id=report_id))
        return Moderation(*(bool(value) for value in row))

    def moderation_history(self, report_ids: list[str]) -> pd.DataFrame:
        """The moderation rows of these reports, oldest first: report_id, action, reason,
        actor_role, actor_label, at (UTC)."""
        statement = text(f"SELECT {_MODERATION_COLUMNS} FROM report_moderation WHERE report_id IN :ids "
                         "ORDER BY event_id").bindparams(bindparam("ids", expanding=True))
        with self.transaction(write=False) as con:
            rows = con.execute(statement, {"ids": list(report_ids)}).all() if report_ids else []
        frame = pd.DataFrame([tuple(row) for row in rows], columns=_MODERATION_COLUMNS.split(", "))
        return frame.assign(at=_times(frame["at"]))

    def held_reports(self) -> list[str]:
        """The ids of the reports whose text is held for review, the oldest first."""
        with self.transaction(write=False) as con:
            return [row[0] for row in con.execute(text("SELECT id FROM reports WHERE text_held = 1 ORDER BY fid"))]

    # -- mail to citizens ------------------------------------------------------------------------

    def claim_mail(self, at: pd.Timestamp, lease_s: float, limit: int = 20) -> list[QueuedMail]:
        """Up to ``limit`` unsent mails due at ``at`` (oldest first) with a standing subscription,
        each moved ``lease_s`` seconds on in the same transaction; unsent mails of unsubscribed
        reports are deleted."""
        now = _utc(at)
        with self.transaction() as con:
            con.execute(text("DELETE FROM mail_outbox WHERE sent_at IS NULL AND report_id IN "
                             "(SELECT report_id FROM report_subscriptions WHERE unsubscribed_at IS NOT NULL)"))
            rows = con.execute(text(
                "SELECT m.mail_id, m.report_id, m.kind, r.category, p.contact, s.token, m.attempts, m.about "
                "FROM mail_outbox m JOIN report_subscriptions s ON s.report_id = m.report_id "
                "JOIN reports r ON r.id = coalesce(m.about, m.report_id) JOIN reports_private p ON p.id = m.report_id "
                "WHERE m.sent_at IS NULL AND m.next_attempt_at <= :now AND p.contact IS NOT NULL "
                "ORDER BY m.next_attempt_at, m.mail_id LIMIT :limit"), {"now": now, "limit": limit}).all()
            if rows:
                con.execute(text("UPDATE mail_outbox SET next_attempt_at = :later WHERE mail_id = :id"),
                            [{"id": row[0], "later": _utc(at + pd.Timedelta(seconds=lease_s))} for row in rows])
        return [QueuedMail(int(row[0]), *row[1:6], int(row[6]), row[7] if row[7] not in (None, row[1]) else None)
                for row in rows]

    def mail_sent(self, mail_id: int, at: pd.Timestamp) -> None:
        """Mark a claimed mail sent."""
        with self.transaction() as con:
            con.execute(text("UPDATE mail_outbox SET sent_at = :at, attempts = attempts + 1 WHERE mail_id = :id"),
                        {"id": mail_id, "at": _utc(at)})

    def mail_failed(self, mail_id: int, error: str, retry_at: pd.Timestamp) -> None:
        """Count a failed attempt and keep the mail queued until ``retry_at``."""
        with self.transaction() as con:
            con.execute(text("UPDATE mail_outbox SET attempts = attempts + 1, last_error = :error, "
                             "next_attempt_at = :retry WHERE mail_id = :id"),
                        {"id": mail_id, "error": error[:500], "retry": _utc(retry_at)})

    def support_report(self, report_id: str) -> int:
        """One more citizen has seen an open, published report too; the new count."""
        with self.transaction() as con:
            found = con.execute(text("SELECT category, status FROM reports WHERE id = :id"), {"id": report_id}).first()
            if found is None or found[0] in UNPUBLISHED_CATEGORIES:
                raise NotFound(Message("no report {report_id!r}", report_id=report_id))
            if found[1] not in OPEN_STATUSES:
                raise Conflict(Message("the report is {status}; only open reports take support", status=found[1]),
                               {"status": found[1]})
            con.execute(text("INSERT INTO report_supports (report_id, supporters) VALUES (:id, 1) ON CONFLICT "
                             "(report_id) DO UPDATE SET supporters = report_supports.supporters + 1"), {"id": report_id})
            return int(con.execute(text("SELECT supporters FROM report_supports WHERE report_id = :id"),
                                   {"id": report_id}).scalar())

    def supporters(self, report_ids: list[str]) -> dict[str, int]:
        """How many citizens have seen each of these reports too (those without any left out)."""
        if not report_ids:
            return {}
        statement = text("SELECT report_id, supporters FROM report_supports WHERE report_id IN :ids").bindparams(
            bindparam("ids", expanding=True))
        with self.transaction(write=False) as con:
            return {row[0]: int(row[1]) for row in con.execute(statement, {"ids": list(report_ids)})}

    def unsubscribe(self, token: str, at: pd.Timestamp) -> str:
        """End the subscription with ``token``; its report's id (:class:`NotFound` when unknown)."""
        with self.transaction() as con:
            report_id = con.execute(text("SELECT report_id FROM report_subscriptions WHERE token = :token"),
                                    {"token": token}).scalar()
            if report_id is None:
                raise NotFound(Message("no such subscription"))
            con.execute(text("UPDATE report_subscriptions SET unsubscribed_at = :at "
                             "WHERE token = :token AND unsubscribed_at IS NULL"), {"token": token, "at": _utc(at)})
        return report_id

    # -- promises ---------------------------------------------------------------------------

    def add_promise_status(self, year: int, promise_id: str, day: str, status: str, note: str,
                           actor: Actor) -> None:
        """Record a staff status for a promise of ``year`` as of local date ``day`` (ISO); earlier
        records are kept, so the history stays."""
        with self.transaction() as con:
            con.execute(text("INSERT INTO promise_statuses (year, promise_id, day, status, note, recorded_by, "
                             "actor_label, recorded_at) VALUES (:year, :promise, :day, :status, :note, :role, "
                             ":label, :at)"),
                        {"year": year, "promise": promise_id, "day": day, "status": status, "note": note,
                         "role": actor.role, "label": actor.label, "at": _utc(pd.Timestamp.now(tz="UTC"))})

    def promise_statuses(self, year: int) -> pd.DataFrame:
        """Every staff status recorded for the promises of ``year``: promise_id, day (ISO local
        date), status, note, recorded_by and recorded_at (UTC, ISO), oldest first."""
        with self.transaction(write=False) as con:
            rows = con.execute(text("SELECT promise_id, day, status, note, recorded_by, recorded_at FROM "
                                    "promise_statuses WHERE year = :year ORDER BY day, recorded_at, rowid"),
                               {"year": year}).all()
        frame = pd.DataFrame([tuple(row) for row in rows],
                             columns=["promise_id", "day", "status", "note", "recorded_by", "recorded_at"])
        return frame.assign(recorded_at=format_utc(_times(frame["recorded_at"])))

    # -- patrol pings -----------------------------------------------------------------------

    def write_pings(self, pings: pd.DataFrame | Iterable[pd.DataFrame],
                    progress: Progress | None = None) -> WriteResult:
        """Add validated patrol pings — one frame, or frames one after another (a file read in
        parts) — in one transaction; pings already stored for the same unit and time are counted
        as unchanged. The kept presence of the unit-days they touch (and of the day before each)
        is dropped in the same transaction, to be computed again. ``progress(done, total)`` is
        called per unit-day of each frame."""
        frames = [pings] if isinstance(pings, pd.DataFrame) else pings
        result = WriteResult()
        with self.transaction() as con:
            for frame in frames:
                chunks = pingchunks.split_into_chunks(frame)
                for done, chunk in enumerate(chunks, start=1):
                    offered = added = len(chunk.t)
                    row = con.execute(text(f"SELECT {_CHUNK_READ} FROM patrol_ping_chunks WHERE unit_id = :unit "
                                           "AND day_utc = :day"), {"unit": chunk.unit_id, "day": chunk.day_utc}).first()
                    if row is not None:
                        chunk, added = Chunk.from_row(*row).merged(chunk)
                    if added:  # the kept presence of the day, and of the day before (its last interval), is stale
                        con.execute(text("DELETE FROM presence_unit_days WHERE unit_id = :unit "
                                         "AND day_utc BETWEEN :before AND :day"),
                                    {"unit": chunk.unit_id, "before": chunk.day_utc - 1, "day": chunk.day_utc})
                        values = dict(zip(_CHUNK_COLUMNS, chunk.row()))
                        con.execute(text(f"INSERT INTO patrol_ping_chunks ({', '.join(_CHUNK_COLUMNS)}) VALUES "
                                         f"({', '.join(':' + c for c in _CHUNK_COLUMNS)}) ON CONFLICT (unit_id, day_utc) "
                                         "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in _CHUNK_COLUMNS[2:])),
                                    values)
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

    def read_tracks(self, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                    unit_ids: list[str] | None = None) -> Tracks:
        """The pings of :meth:`read_pings` as :class:`geo.patrol.Tracks` arrays, without building
        a frame (the fast path for figures over a fleet-year)."""
        rows = self._chunk_rows(start, end, unit_ids, pingchunks.TRACK_COLUMNS)
        return pingchunks.tracks_from_rows(rows, *(None if day is None else pd.Timestamp(day).tz_convert("UTC").value
                                                   for day in (start, end)))

    def count_pings(self, start: pd.Timestamp, end: pd.Timestamp) -> int:
        """The number of patrol pings with ``start <= timestamp < end`` (tz-aware), read from the
        chunks' counts (only the chunks across an end are opened)."""
        bounds = {"start": pd.Timestamp(start).tz_convert("UTC").value, "end": pd.Timestamp(end).tz_convert("UTC").value}
        with self.transaction(write=False) as con:
            inside = con.execute(text("SELECT coalesce(sum(n), 0) FROM patrol_ping_chunks "
                                      "WHERE t_min >= :start AND t_max < :end"), bounds).scalar()
            across = con.execute(text("SELECT t, n FROM patrol_ping_chunks WHERE t_max >= :start AND t_min < :end "
                                      "AND (t_min < :start OR t_max >= :end)"), bounds).all()
        edges = (Chunk.times(t, n) for t, n in across)
        return int(inside) + sum(int(((t >= bounds["start"]) & (t < bounds["end"])).sum()) for t in edges)

    # -- surfaces -------------------------------------------------------------------------------

    def replace_surfaces(self, kind: str, surfaces: gpd.GeoDataFrame, source: str) -> WriteResult:
        """Replace the stored surfaces of ``kind`` in one transaction (see :class:`Store`)."""
        rows = [{"kind": kind, "part": part, "wkb": wkb, "height_m": None if np.isnan(h) else float(h), "source": source}
                for part, (wkb, h) in enumerate(zip(shapely.to_wkb(surfaces.geometry.to_numpy()),
                                                    surfaces["height_m"].to_numpy(float)))]
        with self.transaction() as con:
            self.dialect.lock_table(con, "surfaces")  # two imports at once: one set after the other, never mixed
            removed = con.execute(text("DELETE FROM surfaces WHERE kind = :kind"), {"kind": kind}).rowcount
            if rows:
                con.execute(text("INSERT INTO surfaces (kind, part, wkb, height_m, source) "
                                 "VALUES (:kind, :part, :wkb, :height_m, :source)"), rows)
        return WriteResult(inserted=len(rows), deleted=removed)

    def read_surfaces(self, kind: str) -> gpd.GeoDataFrame:
        """The stored surfaces of ``kind`` (see :class:`Store`)."""
        with self.transaction(write=False) as con:
            rows = con.execute(text("SELECT wkb, height_m, source FROM surfaces WHERE kind = :kind ORDER BY part"),
                               {"kind": kind}).all()
        return gpd.GeoDataFrame({"height_m": np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=float),
                                 "source": [r[2] for r in rows]},
                                geometry=shapely.from_wkb([bytes(r[0]) for r in rows]), crs=WGS84)

    # -- the safety survey ----------------------------------------------------------------------

    def replace_survey(self, year: int, results: pd.DataFrame, places: gpd.GeoDataFrame, source: str) -> WriteResult:
        """Replace ``year``'s survey in one transaction (see :class:`Store`)."""
        if (results["year"] != year).any() or (places["year"] != year).any():
            raise ValueError(f"every result and place given must be of {year}")
        answers = [{"year": year, "area": r.area, "question": r.question, "question_text": r.question_text,
                    "share": float(r.share), "answers": int(r.answers), "source": _or(r.source, source)}
                   for r in results.itertuples()]
        marks = [{"year": year, "part": part, "wkb": wkb, "count": int(count), "question": _or(question, None),
                  "note": _or(note, None), "source": _or(given, source)}
                 for part, (wkb, count, question, note, given) in enumerate(zip(
                     shapely.to_wkb(places.geometry.to_numpy()), places["count"], places["question"], places["note"],
                     places["source"]))]
        with self.transaction() as con:
            self.dialect.lock_table(con, "survey_results")  # two imports of a year at once: one after the other
            removed = sum(con.execute(text(f"DELETE FROM {table} WHERE year = :year"), {"year": year}).rowcount
                          for table in ("survey_results", "survey_places"))
            if answers:
                con.execute(text("INSERT INTO survey_results (year, area, question, question_text, share, answers, "
                                 "source) VALUES (:year, :area, :question, :question_text, :share, :answers, :source)"),
                            answers)
            if marks:
                con.execute(text("INSERT INTO survey_places (year, part, wkb, count, question, note, source) "
                                 "VALUES (:year, :part, :wkb, :count, :question, :note, :source)"), marks)
        return WriteResult(inserted=len(answers) + len(marks), deleted=removed)

    def survey_results(self, years: Iterable[int] | None = None) -> pd.DataFrame:
        """The stored survey results (see :class:`Store`)."""
        chosen = None if years is None else sorted({int(y) for y in years})
        query = text("SELECT year, area, question, question_text, share, answers, source FROM survey_results"
                     + ("" if chosen is None else " WHERE year IN :years") + " ORDER BY year, question, area")
        if chosen is not None:
            query = query.bindparams(bindparam("years", expanding=True))
        with self.transaction(write=False) as con:
            rows = con.execute(query, {} if chosen is None else {"years": chosen}).all()
        frame = pd.DataFrame([tuple(row) for row in rows],
                             columns=["year", "area", "question", "question_text", "share", "answers", "source"])
        return with_intervals(frame.astype({"year": "int64", "answers": "int64", "share": float}))[list(RESULT_COLUMNS)]

    def survey_places(self, year: int) -> gpd.GeoDataFrame:
        """``year``'s marked places (see :class:`Store`)."""
        with self.transaction(write=False) as con:
            rows = con.execute(text("SELECT wkb, count, question, note, source FROM survey_places WHERE year = :year "
                                    "ORDER BY part"), {"year": year}).all()
        return gpd.GeoDataFrame({"year": np.full(len(rows), year, dtype=np.int64),
                                 "count": np.array([r[1] for r in rows], dtype=np.int64),
                                 "question": [r[2] for r in rows], "note": [r[3] for r in rows],
                                 "source": [r[4] for r in rows]},
                                geometry=shapely.from_wkb([bytes(r[0]) for r in rows]), crs=WGS84)

    # -- presence logs --------------------------------------------------------------------------

    def write_presence_log(self, log: pd.DataFrame) -> WriteResult:
        """Store a validated presence log in one transaction (see :class:`Store`)."""
        rows = [{"unit_id": r.unit_id, "start_ns": int(r.start.value), "end_ns": int(r.end.value), "mode": r.mode,
                 "crew": int(r.crew), "zone_id": r.zone_id, "lon": None if pd.isna(r.lon) else float(r.lon),
                 "lat": None if pd.isna(r.lat) else float(r.lat), "source": r.source} for r in log.itertuples()]
        if not rows:
            return WriteResult()
        day = 86_400 * 10**9  # a row spans at most a day, so any row it overlaps starts within a day of it
        span = {"units": sorted({r["unit_id"] for r in rows}), "lo": min(r["start_ns"] for r in rows) - day,
                "hi": max(r["end_ns"] for r in rows) + day}
        with self.transaction() as con:
            self.dialect.lock_table(con, "presence_log")  # the overlap check and the write are one step
            stored = {(r["unit_id"], r["start_ns"]): r for r in (dict(row._mapping) for row in con.execute(
                text(f"SELECT {_LOG_COLUMNS} FROM presence_log WHERE unit_id IN :units AND start_ns >= :lo "
                     "AND start_ns < :hi").bindparams(bindparam("units", expanding=True)), span))}
            given = {(r["unit_id"], r["start_ns"]): r for r in rows}
            _check_log_overlaps({**stored, **given}, given)
            changed = [r for key, r in given.items() if stored.get(key) != r]
            if changed:
                con.execute(text(f"INSERT INTO presence_log ({_LOG_COLUMNS}) VALUES (:unit_id, :start_ns, :end_ns, "
                                 ":mode, :crew, :zone_id, :lon, :lat, :source) ON CONFLICT (unit_id, start_ns) DO UPDATE "
                                 "SET end_ns = excluded.end_ns, mode = excluded.mode, crew = excluded.crew, "
                                 "zone_id = excluded.zone_id, lon = excluded.lon, lat = excluded.lat, "
                                 "source = excluded.source"), changed)
        updated = sum(key in stored for key in given if stored.get(key) != given[key])
        return WriteResult(inserted=len(changed) - updated, updated=updated, unchanged=len(given) - len(changed))

    def read_presence_log(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """The stored presence log rows that overlap ``start <= t < end`` (see :class:`Store`)."""
        bounds = {"start": pd.Timestamp(start).tz_convert("UTC").value, "end": pd.Timestamp(end).tz_convert("UTC").value}
        with self.transaction(write=False) as con:
            rows = con.execute(text(f"SELECT {_LOG_COLUMNS} FROM presence_log WHERE end_ns > :start AND start_ns < :end "
                                    "ORDER BY unit_id, start_ns"), bounds).all()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=_LOG_COLUMNS.split(", "))
        return pd.DataFrame({
            "unit_id": frame["unit_id"].astype(object),
            "start": pd.to_datetime(frame["start_ns"].astype("int64"), utc=True),
            "end": pd.to_datetime(frame["end_ns"].astype("int64"), utc=True),
            "mode": frame["mode"].astype(object), "crew": frame["crew"].astype("int64"),
            "zone_id": frame["zone_id"].astype(object), "lon": frame["lon"].astype(float),
            "lat": frame["lat"].astype(float), "source": frame["source"].astype(object)})

    def ping_spans(self, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> pd.DataFrame:
        """Per unit and stored UTC day with pings overlapping ``start <= t < end``: ``unit_id`` and
        the first and last ping's time (``t_min``/``t_max``, UTC ns), from the chunks' index alone."""
        conditions, params = _chunk_span(start, end)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        with self.transaction(write=False) as con:
            rows = con.execute(text(f"SELECT unit_id, t_min, t_max FROM patrol_ping_chunks{where} "
                                    "ORDER BY unit_id, day_utc"), params).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=["unit_id", "t_min", "t_max"]).astype(
            {"t_min": "int64", "t_max": "int64"})

    def latest_ping(self) -> pd.Timestamp | None:
        """The time (UTC) of the newest patrol ping, or None when there is none."""
        with self.transaction(write=False) as con:
            newest = con.execute(text("SELECT max(t_max) FROM patrol_ping_chunks")).scalar()
        return None if newest is None else pd.Timestamp(int(newest), tz="UTC")

    def _ping_chunks(self, start: pd.Timestamp | None, end: pd.Timestamp | None,
                     unit_ids: list[str] | None) -> tuple[list[Chunk], NDArray[np.bool_]]:
        """The chunks overlapping the time range (in unit, day order) and which of their pings lie in it."""
        chunks = [Chunk.from_row(*row) for row in self._chunk_rows(start, end, unit_ids, _CHUNK_READ)]
        t = np.concatenate([c.t for c in chunks]) if chunks else np.array([], dtype=np.int64)
        keep = np.ones(len(t), dtype=bool)
        if start is not None:
            keep &= t >= pd.Timestamp(start).tz_convert("UTC").value
        if end is not None:
            keep &= t < pd.Timestamp(end).tz_convert("UTC").value
        return chunks, keep

    def _chunk_rows(self, start: pd.Timestamp | None, end: pd.Timestamp | None, unit_ids: list[str] | None,
                    columns: str) -> list:
        """The ``columns`` of the chunks overlapping the time range (of ``unit_ids``), in unit and day order."""
        conditions, params = _chunk_span(start, end)
        if unit_ids is not None:
            conditions.append("unit_id IN :units")
            params["units"] = list(unit_ids)
        statement = text(f"SELECT {columns} FROM patrol_ping_chunks"
                         f"{' WHERE ' + ' AND '.join(conditions) if conditions else ''} ORDER BY unit_id, day_utc")
        if unit_ids is not None:
            statement = statement.bindparams(bindparam("units", expanding=True))
        with self.transaction(write=False) as con:
            return self.dialect.fetch_blobs(con, statement, params) if unit_ids is None or unit_ids else []

    # -- patrol presence kept per unit and UTC day -----------------------------------------------

    def presence_inputs(self) -> str | None:
        """What the kept presence was computed with (zones and rules, as a fingerprint), or None."""
        with self.transaction(write=False) as con:
            return con.execute(text("SELECT inputs FROM presence_inputs")).scalar()

    def reset_presence(self, inputs: str) -> None:
        """Forget the kept presence: it is to be computed with ``inputs`` from now on (not a
        change of the data: pages stay valid)."""
        with self.transaction() as con:
            con.execute(text("DELETE FROM presence_unit_days"))
            con.execute(text("DELETE FROM presence_inputs"))
            con.execute(text("INSERT INTO presence_inputs (inputs) VALUES (:inputs)"), {"inputs": inputs})

    def presence_missing(self, first_day: int, last_day: int) -> pd.DataFrame:
        """The unit-days (UTC days since 1970, ``first_day``..``last_day``) that have pings but no
        kept presence: unit_id, day_utc and the signature of the pings the presence depends on."""
        with self.transaction(write=False) as con:
            rows = con.execute(text(
                f"SELECT c.unit_id, c.day_utc, {_SIGNATURE} FROM patrol_ping_chunks c "
                "LEFT JOIN patrol_ping_chunks nx ON nx.unit_id = c.unit_id AND nx.day_utc = c.day_utc + 1 "
                "LEFT JOIN presence_unit_days p ON p.unit_id = c.unit_id AND p.day_utc = c.day_utc "
                "WHERE c.day_utc BETWEEN :a AND :b AND p.unit_id IS NULL ORDER BY c.unit_id, c.day_utc"),
                {"a": int(first_day), "b": int(last_day)}).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=["unit_id", "day_utc", "signature"])

    def put_presence(self, inputs: str, unit_id: str, day_utc: int, signature: str, parts: PresenceParts) -> bool:
        """Keep the presence ``parts`` of a unit-day (its rows of the cells and of the trail)
        computed with ``inputs`` from the pings of ``signature`` — unless the inputs or the pings
        changed meanwhile (then nothing is kept; False)."""
        cells = _packed(parts.cells, PRESENCE_CELLS)
        trail = _packed(parts.trail, PRESENCE_TRAIL)
        with self.transaction() as con:
            current = con.execute(text(
                f"SELECT {_SIGNATURE} FROM patrol_ping_chunks c LEFT JOIN patrol_ping_chunks nx "
                "ON nx.unit_id = c.unit_id AND nx.day_utc = c.day_utc + 1 WHERE c.unit_id = :unit AND c.day_utc = :day"),
                {"unit": unit_id, "day": int(day_utc)}).scalar()
            kept = con.execute(text("SELECT inputs FROM presence_inputs")).scalar()
            if current != signature or kept != inputs:
                return False
            con.execute(text("INSERT INTO presence_unit_days (unit_id, day_utc, signature, cells, trail) VALUES "
                             "(:unit, :day, :signature, :cells, :trail) ON CONFLICT (unit_id, day_utc) DO UPDATE SET "
                             "signature = excluded.signature, cells = excluded.cells, trail = excluded.trail"),
                        {"unit": unit_id, "day": int(day_utc), "signature": signature, "cells": cells, "trail": trail})
        return True

    def presence_cells(self, first_day: int, last_day: int) -> pd.DataFrame:
        """The kept presence of the unit-days ``first_day``..``last_day`` (UTC days since 1970):
        unit_id, day_utc, zone, local_day, hour and the seconds of the cube."""
        return self._kept("cells", PRESENCE_CELLS, first_day, last_day)

    def presence_trail(self, first_day: int, last_day: int) -> pd.DataFrame:
        """The kept trail of visible presence (:mod:`geo.trail`) of the unit-days
        ``first_day``..``last_day`` (UTC days since 1970), in unit and time order."""
        return self._kept("trail", PRESENCE_TRAIL, first_day, last_day)

    def _kept(self, column: str, dtype: np.dtype, first_day: int, last_day: int) -> pd.DataFrame:
        with self.transaction(write=False) as con:
            rows = con.execute(text(f"SELECT unit_id, day_utc, {column} FROM presence_unit_days "
                                    "WHERE day_utc BETWEEN :a AND :b ORDER BY unit_id, day_utc"),
                               {"a": int(first_day), "b": int(last_day)}).all()
        records = [np.frombuffer(zlib.decompress(blob), dtype=dtype) for _, _, blob in rows]
        columns = ["unit_id", "day_utc", *dtype.names]
        frame = pd.DataFrame(np.concatenate(records) if records else np.empty(0, dtype=dtype))
        frame.insert(0, "day_utc", np.repeat(np.array([day for _, day, _ in rows], dtype=np.int64),
                                             [len(r) for r in records]))
        units, names = pd.factorize(np.array([unit for unit, _, _ in rows], dtype=object))
        frame.insert(0, "unit_id", pd.Categorical.from_codes(np.repeat(units, [len(r) for r in records]), names))
        return frame[columns]

    # -- copies -------------------------------------------------------------------------------

    def backup_to(self, path: str | Path) -> Path:
        """A consistent, checked copy of the database in the new file ``path`` (the embedded
        database; a PostGIS database is copied with PostgreSQL's own tools)."""
        return self._copies().backup_to(path)

    def stage_restore(self, file: str | Path, staged: str | Path) -> int:
        """Prepare the backup ``file`` for :meth:`restore_from` in the scratch file ``staged``."""
        return self._copies().stage_restore(file, staged)

    def restore_from(self, source: str | Path, safety_copy: str | Path) -> list[str]:
        """Replace the database's contents with a staged backup, keeping a safety copy."""
        return self._copies().restore_from(source, safety_copy)

    def _copies(self):
        if not hasattr(self.dialect, "backup_to"):
            raise StoreError(f"{self.kind} databases are copied with their own tools (for PostgreSQL: pg_dump and "
                             "pg_restore), not with stadskarna backup/restore")
        return self.dialect

    # -- the SQL of features ------------------------------------------------------------------

    def _page(self, con: Connection, schema: LayerSchema, query: FeatureQuery, limit: int,
              offset: int) -> tuple[list[tuple], int]:
        """The stored rows (:meth:`_columns`, private fields None) of at most ``limit`` records
        matching ``query`` from ``offset`` on, in its order, and how many match in all. With a box
        the spatial index finds the matches once and they are counted and ordered from there (one
        statement); without one the order's index serves the page and the count is its own."""
        table = _table(schema)
        where, params = self._where(schema, query)
        params |= {"limit": int(limit), "offset": int(offset)}
        published = (self.dialect.published_matches(schema)
                     if replace(query, bbox=None) == FeatureQuery(exclude_categories=UNPUBLISHED_CATEGORIES) else None)
        if query.bbox is not None and published is not None:  # the public's box, from its own index
            rows = con.execute(text(
                f"WITH m AS MATERIALIZED ({published}), p AS (SELECT fid FROM m ORDER BY fid LIMIT :limit OFFSET :offset) "
                f"SELECT (SELECT count(*) FROM m), p.fid, {self._columns(schema)} FROM (SELECT 1) one "
                f"LEFT JOIN p ON TRUE LEFT JOIN {table} t ON t.fid = p.fid ORDER BY p.fid"), params).all()
            return [tuple(r[2:]) for r in rows if r[1] is not None], int(rows[0][0])
        if query.bbox is None and query.within is None:
            matched = int(con.execute(text(f"SELECT count(*) FROM {table} t{where}"), params).scalar())
            return [tuple(r) for r in con.execute(text(
                f"SELECT {self._columns(schema)} FROM {table} t{where} ORDER BY {_order(schema, query, 't')} "
                "LIMIT :limit OFFSET :offset"), params)], matched
        rows = con.execute(text(
            f'WITH m AS MATERIALIZED (SELECT t.fid, t."{schema.time_field}" FROM {table} t{where}), '
            f"p AS (SELECT * FROM m ORDER BY {_order(schema, query, 'm')} LIMIT :limit OFFSET :offset) "
            f"SELECT (SELECT count(*) FROM m), p.fid, {self._columns(schema)} FROM (SELECT 1) one "
            f"LEFT JOIN p ON TRUE LEFT JOIN {table} t ON t.fid = p.fid ORDER BY {_order(schema, query, 'p')}"),
            params).all()  # one row with no record when the page is empty
        return [tuple(r[2:]) for r in rows if r[1] is not None], int(rows[0][0])

    def _where(self, schema: LayerSchema, query: FeatureQuery) -> tuple[str, dict]:
        """The WHERE clause (over the table ``t``) and parameters of ``query``."""
        conditions, params = [], {}
        box = _box_of(query)
        if box is not None and (box[0] > box[2] or box[1] > box[3]):
            conditions.append("1 = 0")  # a box and an area that do not overlap
        elif box is not None:
            conditions.append(self.dialect.bbox_filter(_table(schema), "t"))
            params |= dict(zip(("bx0", "by0", "bx1", "by1"), box))
        if query.within is not None:  # the spatial index finds the area's box, the exact test the rest
            conditions.append(self.dialect.area_filter("t"))
            params["area"] = shapely.to_wkb(query.within, byte_order=1)
        time = schema.time_field
        if query.start is not None:
            conditions.append(f't."{time}" >= :start')
            params["start"] = _utc(query.start)
        if query.end is not None:
            conditions.append(f't."{time}" < :end')
            params["end"] = _utc(query.end)
        for column, values, negate in (("category", query.categories, False),
                                       ("category", query.exclude_categories or None, True),
                                       ("status", query.statuses, False), ("id", query.ids, False),
                                       ("kind", query.kinds, False)):
            if values is not None:
                name = f"p{len(params)}"
                if not values:
                    conditions.append("1 = 1" if negate else "1 = 0")
                    continue
                conditions.append(f't."{column}" {"NOT IN" if negate else "IN"} '
                                  f'({", ".join(f":{name}_{i}" for i in range(len(values)))})')
                params |= {f"{name}_{i}": value for i, value in enumerate(values)}
        return (f" WHERE {' AND '.join(conditions)}" if conditions else ""), params

    def _select(self, con: Connection, schema: LayerSchema, query: FeatureQuery, include_private: bool = False,
                for_update: bool = False) -> gpd.GeoDataFrame:
        """The records of ``query`` as the layer's validated frame; private fields None unless
        ``include_private``. ``for_update`` locks the rows for the transaction where the database
        locks rows (the embedded database holds its write lock already)."""
        table = _table(schema)
        join = f" LEFT JOIN {table}_private p ON p.id = t.id" if include_private and _private(schema) else ""
        where, params = self._where(schema, query)
        lock = " FOR UPDATE OF t" if for_update and self.kind != "geopackage" else ""
        records = con.execute(text(f"SELECT {self._columns(schema, include_private)} FROM {table} t{join}"
                                   f"{where} ORDER BY {_order(schema, query, 't')}{lock}"), params).all()
        return self._with_areas(con, schema, self._frame(schema, records))

    def _with_areas(self, con: Connection, schema: LayerSchema, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Events' frame with each event's area (:data:`geo.layers.AREA`, None for none); other layers as they are."""
        if schema is not EVENTS:
            return frame
        areas = _read_areas(con, frame["id"].tolist())
        return frame.assign(**{AREA: [areas.get(i) for i in frame["id"]]})

    def _columns(self, schema: LayerSchema, include_private: bool = False) -> str:
        """The columns of a stored record over the table ``t`` (and ``p``, its private fields, when
        ``include_private``; else NULL): the public fields, the private fields, the point. A
        report's text withheld by moderation (hidden or held) and its hidden photo are private too:
        without ``include_private`` they read as the public sees them (no text, no photo)."""
        return ", ".join([self.dialect.time_select(f't."{f.name}"') if f.kind == "time"
                          else _WITHHELD[f.name] if schema is REPORTS and not include_private and f.name in _WITHHELD
                          else f't."{f.name}"' for f in schema.fields if not f.private]
                         + [(f'p."{name}"' if include_private else f'NULL AS "{name}"') for name in _private(schema)]
                         + [self.dialect.geom_select("t.geom")])

    def _frame(self, schema: LayerSchema, records: list) -> gpd.GeoDataFrame:
        """The layer's validated frame of stored rows (:meth:`_columns`)."""
        names = [f.name for f in schema.fields if not f.private] + _private(schema)
        columns = {name: [r[k] for r in records] for k, name in enumerate(names)}
        points = self.dialect.decode_points([r[-1] for r in records])
        try:
            return stored_frame(schema, columns, shapely.get_x(points), shapely.get_y(points), f"stored {schema.name}")
        except ValidationError as exc:  # a fault of the data, not of the request that reads it
            raise StoreError(f"the database holds a record that is not valid: {exc}") from None

    def _write_features(self, con: Connection, schema: LayerSchema, frame: gpd.GeoDataFrame, actor: Actor,
                        at: pd.Timestamp | None = None, note: str | None = None) -> WriteResult:
        """:meth:`write_features` inside an open transaction; reports' and lamps' status changes are
        written to their history by ``actor`` at ``at`` (default: now; a lamp's by its ``updated_at``,
        :func:`geo.lamp_history.status_changes`)."""
        table = _table(schema)
        if schema is LIGHTS:  # two imports at once: each lamp's change of status is read and recorded once
            self.dialect.lock_table(con, table)
        if schema is REPORTS:
            frame = self._keep_withheld(con, frame)
        public = [f for f in schema.fields if not f.private]
        private = _private(schema)
        rows = _rows(public, frame)
        geoms = self.dialect.encode_points(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
        offered = {name: {i: v for i, v in zip(frame["id"], frame[name]) if not pd.isna(v)} for name in private}
        stored = self._stored(con, schema, [row[0] for row in rows])

        where = _positions(frame)

        def differs(i: int) -> bool:
            values, private_values = stored[rows[i][0]]
            return values != rows[i] + where[i] or any(
                offered[name].get(rows[i][0], private_values[name]) != private_values[name] for name in private)

        new = [i for i, row in enumerate(rows) if row[0] not in stored]
        changed = [i for i, row in enumerate(rows) if row[0] in stored and differs(i)]
        names = [f.name for f in public]
        values = [dict(zip([f"c{k}" for k in range(len(names))], rows[i])) | {"geom": geoms[i]} for i in new + changed]
        if new:
            con.execute(self._insert_sql(table, names), values[:len(new)])
        if changed:
            assignments = ", ".join(f'"{n}" = :c{k}' for k, n in enumerate(names) if k) + f", geom = {self.dialect.geom_param}"
            con.execute(text(f"UPDATE {table} SET {assignments} WHERE id = :c0"), values[len(new):])
        for name in private:
            if offered[name]:
                con.execute(_private_upsert(table, name), [{"id": i, "value": v} for i, v in offered[name].items()])
        if schema is REPORTS:
            status = names.index("status")
            records = {i: (s, c, d) for i, s, c, d in zip(frame["id"], frame["status"], frame["created_at"],
                                                           frame["closed_at"])}
            self._record_events(con, records, {rows[i][0]: stored[rows[i][0]][0][status] for i in changed},
                                [rows[i][0] for i in new], actor, at, note)
        if schema is LIGHTS:
            status, updated = names.index("status"), names.index("updated_at")
            before = {i: (values[status], values[updated]) for i, (values, _) in stored.items()}
            now = pd.Timestamp.now(tz="UTC")
            self._record_light_events(con, status_changes(frame, before, at or now), actor, now, note)
        reshaped = 0
        if schema is EVENTS and AREA in frame:  # an area changed alone changes the event
            touched = {rows[i][0] for i in new + changed}
            reshaped = len(_write_areas(con, frame) - touched)
        if len(frame):
            self.dialect.after_features_written(con, table, tuple(float(v) for v in frame.total_bounds))
        return WriteResult(len(new), len(changed) + reshaped, len(rows) - len(new) - len(changed) - reshaped)

    def _keep_withheld(self, con: Connection, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """``frame`` with the stored text and photo of reports whose text or photo is withheld
        (:data:`_WITHHELD`) wherever it offers them as the public sees them (no text, no photo): a
        file exported without private fields and imported again leaves them as they are."""
        kept = {}
        statement = text("SELECT id, description, photo, text_hidden + text_held, photo_hidden FROM reports "
                         "WHERE id IN :ids AND text_hidden + text_held + photo_hidden > 0").bindparams(
            bindparam("ids", expanding=True))
        ids = frame["id"].tolist()
        for start in range(0, len(ids), 500):
            kept |= {row[0]: row[1:] for row in con.execute(statement, {"ids": ids[start:start + 500]})}
        if not kept:
            return frame
        frame = frame.copy()
        for index, report_id in frame["id"].items():
            if report_id in kept:
                description, photo, text_withheld, photo_withheld = kept[report_id]
                if text_withheld and not frame.at[index, "description"]:
                    frame.at[index, "description"] = description
                if photo_withheld and pd.isna(frame.at[index, "photo"]):
                    frame.at[index, "photo"] = photo
        return frame

    def _stored(self, con: Connection, schema: LayerSchema, ids: list[str]) -> dict[str, tuple[tuple, dict]]:
        """The stored records with these ids, by id: their values in the form :func:`_rows` gives
        followed by their position, and their private values."""
        stored = {}
        public = [f for f in schema.fields if not f.private]
        private = _private(schema)
        for start in range(0, len(ids), 500):
            query = FeatureQuery(ids=tuple(ids[start:start + 500]))
            where, params = self._where(schema, query)
            if con.execute(text(f"SELECT 1 FROM {_table(schema)} t{where} LIMIT 1"), params).first() is None:
                continue  # all new (a citizen's report): nothing to read
            frame = self._select(con, schema, query, include_private=True)
            for row, where, (_, record) in zip(_rows(public, frame), _positions(frame), frame.iterrows()):
                stored[row[0]] = (row + where, {name: (None if pd.isna(record[name]) else record[name])
                                                for name in private})
        return stored

    def _insert_sql(self, table: str, names: list[str]) -> TextClause:
        """INSERT of a feature table's public fields (parameters ``c0``, ``c1``, … in ``names``' order) and ``geom``."""
        return text(f"INSERT INTO {table} ({', '.join(chr(34) + n + chr(34) for n in names)}, geom) "
                    f"VALUES ({', '.join(f':c{k}' for k in range(len(names)))}, {self.dialect.geom_param})")

    def _record_events(self, con: Connection, records: dict[str, tuple], changed: dict[str, str], new: list[str],
                       actor: Actor, at: pd.Timestamp | None, note: str | None) -> None:
        """History rows for new reports (from nothing to their status, when they were created or
        closed) and for stored reports whose status changed (at ``at``); ``records`` gives each
        report's (status, created_at, closed_at) by id."""
        when = _utc(at or pd.Timestamp.now(tz="UTC"))
        rows = []
        for report_id in new:
            status, created, closed = records[report_id]
            rows.append((report_id, None, status, _utc(closed if status == "closed" and pd.notna(closed) else created)))
        for report_id, stored_status in changed.items():
            status = records[report_id][0]
            if stored_status != status:
                rows.append((report_id, stored_status, status, when))
                if status in TOLD_STATUSES:  # the citizen hears of it: queued with the change itself
                    _queue_mail(con, report_id, status, when)
        if rows:
            con.execute(text("INSERT INTO report_events (report_id, from_status, to_status, actor_role, actor_label, "
                             "at, note) VALUES (:id, :from_, :to, :role, :label, :at, :note)"),
                        [{"id": i, "from_": f, "to": t, "role": actor.role, "label": actor.label, "at": w, "note": note}
                         for i, f, t, w in rows])


    def _record_light_events(self, con: Connection, changes: pd.DataFrame, actor: Actor, recorded: pd.Timestamp,
                             note: str | None) -> None:
        """The rows of the lamps' history that :func:`geo.lamp_history.status_changes` gave, by
        ``actor``, recorded at ``recorded``."""
        if len(changes):
            con.execute(text("INSERT INTO light_events (light_id, from_status, to_status, actor_role, actor_label, "
                             "at, recorded_at, note) VALUES (:id, :from_, :to, :role, :label, :at, :recorded, :note)"),
                        [{"id": i, "from_": f, "to": t, "role": actor.role, "label": actor.label, "at": _utc(w),
                          "recorded": _utc(recorded), "note": note}
                         for i, f, t, w in changes[HISTORY_COLUMNS].itertuples(index=False)])


_WITHHELD = {"description": "CASE WHEN t.text_hidden = 1 OR t.text_held = 1 THEN '' ELSE t.description END",
             "photo": "CASE WHEN t.photo_hidden = 1 THEN NULL ELSE t.photo END"}
"""A report's fields as the public sees them (:class:`geo.moderation.Moderation`): no text while it
is hidden or held, no photo while it is hidden."""
_MODERATION_COLUMNS = "report_id, action, reason, actor_role, actor_label, at"


def _queue_mail(con: Connection, report_id: str, kind: str, at: str) -> None:
    """Queue a mail of ``kind`` about a report, due at ``at``, to each standing subscription that
    hears of it: its reporter's, and those carried to it from duplicates merged into it."""
    con.execute(text("INSERT INTO mail_outbox (report_id, about, kind, created_at, next_attempt_at) "
                     "SELECT report_id, :id, :kind, :at, :at FROM report_subscriptions "
                     "WHERE ((report_id = :id AND follows IS NULL) OR follows = :id) AND unsubscribed_at IS NULL"),
                {"id": report_id, "kind": kind, "at": at})


def _record_moderation(con: Connection, report_id: str, action: str, reason: str, actor: Actor,
                       at: pd.Timestamp) -> None:
    """A row of a report's moderation history."""
    con.execute(text(f"INSERT INTO report_moderation ({_MODERATION_COLUMNS}) VALUES (:id, :action, :reason, :role, "
                     ":label, :at)"), {"id": report_id, "action": action, "reason": reason, "role": actor.role,
                                       "label": actor.label, "at": _utc(at)})


def _chunk_span(start: pd.Timestamp | None, end: pd.Timestamp | None) -> tuple[list[str], dict]:
    """The conditions and parameters of the patrol ping chunks that overlap ``start <= t < end``."""
    conditions, params = [], {}
    if start is not None:
        conditions.append("t_max >= :start")
        params["start"] = pd.Timestamp(start).tz_convert("UTC").value
    if end is not None:
        conditions.append("t_min < :end")
        params["end"] = pd.Timestamp(end).tz_convert("UTC").value
    return conditions, params


def _round_exists(category: str, day: str, existing: str) -> Conflict:
    return Conflict(f"a {category} round on {day} in these zones is recorded already ({existing}); "
                    "a round is recorded once", {"id": existing})


def _private_upsert(table: str, name: str) -> TextClause:
    """Set a private field (parameters ``id`` and ``value``) of a record of ``table``."""
    return text(f'INSERT INTO {table}_private (id, "{name}") VALUES (:id, :value) '
                f'ON CONFLICT (id) DO UPDATE SET "{name}" = excluded."{name}"')


def _order(schema: LayerSchema, query: FeatureQuery, alias: str) -> str:
    """The order of a query's records (over ``alias``, with the columns ``fid`` and the time
    field): newest first, oldest first, or as stored."""
    if query.newest_first:
        return f'{alias}."{schema.time_field}" DESC, {alias}.fid DESC'
    return f'{alias}."{schema.time_field}", {alias}.fid' if query.oldest_first else f"{alias}.fid"


def _box_of(query: FeatureQuery) -> tuple[float, float, float, float] | None:
    """The box the spatial index looks in: the query's ``bbox``, the box around its ``within``
    area, or where both are given their overlap (which may be empty: min above max)."""
    boxes = [tuple(float(v) for v in query.bbox)] if query.bbox is not None else []
    if query.within is not None:
        boxes.append(tuple(float(v) for v in query.within.bounds))
    if not boxes:
        return None
    return (max(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes), min(b[3] for b in boxes))


def _private(schema: LayerSchema) -> list[str]:
    """The names of the layer's private fields (stored in ``<table>_private``)."""
    return [f.name for f in schema.fields if f.private]


def _read_areas(con: Connection, event_ids: list[str]) -> dict[str, shapely.Geometry]:
    """The stored areas of these events, by id (those without one left out)."""
    statement = text("SELECT id, wkb FROM event_areas WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
    found: dict[str, shapely.Geometry] = {}
    for start in range(0, len(event_ids), 500):
        rows = con.execute(statement, {"ids": list(event_ids[start:start + 500])}).all()
        found |= dict(zip([r[0] for r in rows], shapely.from_wkb([bytes(r[1]) for r in rows]))) if rows else {}
    return found


def _write_areas(con: Connection, frame: gpd.GeoDataFrame) -> set[str]:
    """Store the events' areas of a validated events frame (an event without one loses its stored
    one); returns the ids whose stored area changed."""
    ids = frame["id"].tolist()
    stored = {i: shapely.to_wkb(a, byte_order=1) for i, a in _read_areas(con, ids).items()}
    given = {i: (None if a is None else shapely.to_wkb(a, byte_order=1)) for i, a in zip(ids, frame[AREA])}
    changed = {i for i, wkb in given.items() if stored.get(i) != wkb}
    for event_id in changed:
        con.execute(text("DELETE FROM event_areas WHERE id = :id"), {"id": event_id})
        if given[event_id] is not None:
            con.execute(text("INSERT INTO event_areas (id, wkb) VALUES (:id, :wkb)"),
                        {"id": event_id, "wkb": given[event_id]})
    return changed


def _table(schema: LayerSchema) -> str:
    if schema.name not in FEATURE_TABLES:
        raise ValueError(f"{schema.name} is not a feature layer")
    return schema.name


def _rows(fields: list[Field], frame: pd.DataFrame) -> list[tuple]:
    """The records of a layer frame as stored values, one tuple per record (the id first): times
    as ISO 8601 UTC text, numbers as floats/ints, text as text, None for missing."""
    return list(zip(*[_encode(f, frame[f.name]) for f in fields])) if len(frame) else []


def _positions(frame: gpd.GeoDataFrame) -> list[tuple[float, float]]:
    """The (lon, lat) of each record, as stored (7 decimals)."""
    return list(zip(frame.geometry.x.round(7).tolist(), frame.geometry.y.round(7).tolist())) if len(frame) else []


def _encode(field: Field, values: pd.Series) -> list:
    """A column's values as stored: :func:`_encode_one` of each, missing ones None (times vectorised)."""
    if field.kind == "time":
        return format_utc(values).tolist()
    return [_encode_one(field, None if pd.isna(v) else v) for v in values]


def _encode_one(field: Field, value: Any) -> Any:
    """One value as stored: times as ISO 8601 UTC text with milliseconds, numbers as float or int, text as text."""
    if value is None:
        return None
    if field.kind == "time":
        return utc_text(value)
    return float(value) if field.kind == "number" else int(value) if field.kind == "integer" else str(value)


def _utc(at: pd.Timestamp | None) -> str | None:
    """A time as stored and compared: ISO 8601 UTC with milliseconds and Z; None for none."""
    return None if at is None or pd.isna(at) else utc_text(pd.Timestamp(at))


def _times(values: pd.Series) -> pd.Series:
    """Stored times (ISO text, or the database's own time values) as UTC timestamps."""
    if not len(values):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    text_ = isinstance(values.dropna().iloc[0] if values.notna().any() else "", str)
    return pd.to_datetime(values, utc=True, format="ISO8601" if text_ else None).astype("datetime64[ns, UTC]")


def _time_text(values: pd.Series) -> pd.Series:
    """Stored times as the ISO text a layer's rules read (text stays as it is)."""
    known = values.dropna()
    if known.empty or isinstance(known.iloc[0], str):
        return values
    return format_utc(_times(values))


def _stamp(value: Any) -> pd.Timestamp | None:
    """A stored time (ISO text, or the database's own time value) as a UTC timestamp; None for none."""
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")


def _token(row) -> TokenRecord:
    return TokenRecord(row[0], row[1], row[2], *map(_stamp, row[3:]))


def _user_record(row) -> UserRecord:
    return UserRecord(row[0], row[1], row[2], _stamp(row[3]), _stamp(row[4]), int(row[5]), _stamp(row[6]), row[7])


def _user(con: Connection, name: str) -> UserRecord:
    """The account ``name`` as the transaction sees it."""
    return _user_record(con.execute(text(f"SELECT {_USER_COLUMNS} FROM staff_users WHERE name = :name"),
                                    {"name": name}).one())


def _audit(con: Connection, event: AuditEvent) -> None:
    """Write a row of the staff audit in the transaction of ``con``."""
    con.execute(text("INSERT INTO staff_audit (at, actor, role, action, detail, client) "
                     "VALUES (:at, :actor, :role, :action, :detail, :client)"),
                {"at": _utc(event.at), "actor": event.actor, "role": event.role, "action": event.action,
                 "detail": event.detail, "client": event.client})


def _checked(schema: LayerSchema, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A changed layer frame checked again by the layer's rules before it is written, so that no
    change can store what an import would refuse (:class:`ValidationError` naming the field)."""
    raw = pd.DataFrame(frame.drop(columns="geometry")).assign(lon=frame.geometry.x, lat=frame.geometry.y)
    return validate(schema, raw.assign(_row=""), source="")


def _packed(frame: pd.DataFrame, dtype: np.dtype) -> bytes:
    """The columns of ``dtype`` of ``frame`` as compressed records."""
    records = np.empty(len(frame), dtype=dtype)
    for name in dtype.names:
        records[name] = frame[name].to_numpy()
    return zlib.compress(records.tobytes(), 1)


_LOG_COLUMNS = "unit_id, start_ns, end_ns, mode, crew, zone_id, lon, lat, source"


def _check_log_overlaps(rows: dict[tuple[str, int], dict], given: dict[tuple[str, int], dict]) -> None:
    """Raise :class:`Conflict` when a ``given`` log row overlaps another row of its unit (``rows``:
    the stored ones with the given ones in their place)."""
    ordered = sorted(rows.values(), key=lambda r: (r["unit_id"], r["start_ns"]))
    for before, after in zip(ordered, ordered[1:]):
        if before["unit_id"] == after["unit_id"] and after["start_ns"] < before["end_ns"]:
            new, old = (after, before) if (after["unit_id"], after["start_ns"]) in given else (before, after)
            raise Conflict(Message("the log row of {unit} from {span} overlaps the stored row from {stored} "
                                   "({source}); a unit's logged time is given once: correct or remove one",
                                   unit=new["unit_id"], span=_log_span(new), stored=_log_span(old),
                                   source=old["source"]),
                           {"unit_id": old["unit_id"], "stored": _log_span(old)})


def _log_span(row: dict) -> str:
    return f"{utc_text(pd.Timestamp(row['start_ns'], tz='UTC'))} to {utc_text(pd.Timestamp(row['end_ns'], tz='UTC'))}"



def _or(value: object, default: str | None) -> str | None:
    """A stored text: ``value``, or ``default`` where it is missing or empty."""
    return default if value is None or (isinstance(value, float) and value != value) or value == "" else str(value)

"""The embedded backend: one SQLite file that is also a GeoPackage 1.4 (OGC 12-128r19), opened
directly by QGIS and GDAL: the point layers are feature tables with WGS84 points and the R-tree
spatial index extension; write-ahead logging, so reads never wait for a writer; a versioned
schema migrated on open; and online backup and restore with SQLite's backup API."""

from __future__ import annotations

import fcntl
import math
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from geo.layers import REPORTS, LayerSchema
from geo.errors import Message
from service.store import gpkg
from service.store.base import StoreError, Unavailable
from service.store.dialect import Dialect, published_condition

SCHEMA_VERSION = 27
"""Version of the schema this code writes. Older files are migrated; newer ones refused."""

LOCK_SUFFIX = "-lock"
"""The file next to the database that this service's writers take turns on."""

TABLE_TOPICS = {"incidents": "incidents", "lights": "lights", "reports": "reports", "report_photos": "reports",
               "patrol_ping_chunks": "patrols", "removal_rounds": "removal_rounds",
               "promise_statuses": "promise_statuses", "stadskarna_meta": "meta"}
"""The tables whose changes make a new version of the data (see :meth:`SQLStore.data_version`),
and the topic (of :data:`service.store.base.DATA_TOPICS`) each belongs to, as of schema 12 (later
tables get their triggers in their own step)."""
DATA_TABLES = tuple(TABLE_TOPICS)
PUBLISHED_REPORTS = "rtree_reports_published"
"""The R-tree of the reports the public sees (not of :data:`geo.layers.UNPUBLISHED_CATEGORIES`)."""

LIGHT_COLUMNS_16 = ";".join(f"ALTER TABLE lights ADD COLUMN {column}" for column in (
    "azimuth_deg {double}", "tilt_deg {double} NOT NULL DEFAULT 0", "overhang_m {double} NOT NULL DEFAULT 0",
    "watts {double}", "installed_at {time}", "removed_at {time}"))
"""The lights' columns of schema 16, for both backends' types."""

LIGHT_EVENTS_17 = (
    """CREATE TABLE light_events (event_id {serial} PRIMARY KEY,
       light_id TEXT NOT NULL REFERENCES lights (id) ON DELETE CASCADE, from_status TEXT, to_status TEXT NOT NULL,
       actor_role TEXT NOT NULL, actor_label TEXT NOT NULL, at {time} NOT NULL, recorded_at {time} NOT NULL,
       note TEXT)""",
    "CREATE INDEX light_events_light ON light_events (light_id, event_id)",
    """INSERT INTO light_events (light_id, from_status, to_status, actor_role, actor_label, at, recorded_at, note)
       SELECT id, NULL, status, 'import', source, coalesce(updated_at, {now}), {now},
              'recorded before the history was kept' FROM lights ORDER BY fid""")
"""Schema 17 for both backends' types: every change of a lamp's status is a row (geo.lamp_history),
and each lamp stored before gets its first one, dated by its ``updated_at`` (else by the upgrade)."""

REPORT_COLUMNS_18 = ("ALTER TABLE reports ADD COLUMN attributes TEXT",
                     *(f"ALTER TABLE reports_private ADD COLUMN {name} TEXT" for name in ("first_name", "last_name",
                                                                                          "device_id")))
"""Schema 18 for both backends: a report keeps the answers to its category's questions
(geo.report_attributes), and privately its reporter's name and device id (Open311)."""

STAFF_ACCOUNTS_19 = (
    """CREATE TABLE staff_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
       created_at {time} NOT NULL, disabled_at {time}, failed_logins INTEGER NOT NULL DEFAULT 0, locked_until {time})""",
    """CREATE TABLE staff_sessions (session_hash TEXT PRIMARY KEY,
       name TEXT NOT NULL REFERENCES staff_users (name) ON DELETE CASCADE,
       created_at {time} NOT NULL, last_seen_at {time} NOT NULL)""",
    "CREATE INDEX staff_sessions_name ON staff_sessions (name)",
    """CREATE TABLE staff_audit (event_id {serial} PRIMARY KEY, at {time} NOT NULL, actor TEXT NOT NULL,
       role TEXT, action TEXT NOT NULL, detail TEXT NOT NULL, client TEXT)""",
    "CREATE INDEX staff_audit_at ON staff_audit (at)")
"""Schema 19 for both backends' types: personal staff accounts (Argon2 password hashes, failed
sign-ins and lock-out), their sessions (only a hash of the session id) and the audit of sign-ins,
sign-outs, account changes and staff actions made with a session (who, when, what)."""

REPORT_MAIL_20 = (
    """CREATE TABLE report_subscriptions (report_id TEXT PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
       token TEXT NOT NULL UNIQUE, unsubscribed_at {time})""",
    """CREATE TABLE mail_outbox (mail_id {serial} PRIMARY KEY,
       report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE, kind TEXT NOT NULL,
       created_at {time} NOT NULL, next_attempt_at {time} NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
       sent_at {time}, last_error TEXT)""",
    "CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_attempt_at)",
    """CREATE TABLE report_supports (report_id TEXT PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
       supporters INTEGER NOT NULL)""")
"""Schema 20 for both backends' types: a citizen who left an address hears back (service.mail):
the report's subscription (a random token to unsubscribe with; the address stays the report's
private contact) and the queue of mails, written in the same transaction as the change they tell
of; and how many citizens said "I have seen it too" of a report."""

REPORT_MODERATION_21 = (
    *(f"ALTER TABLE reports ADD COLUMN {flag} INTEGER NOT NULL DEFAULT 0"
      for flag in ("text_hidden", "photo_hidden", "text_held")),
    """CREATE TABLE report_moderation (event_id {serial} PRIMARY KEY,
       report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE, action TEXT NOT NULL, reason TEXT NOT NULL,
       actor_role TEXT NOT NULL, actor_label TEXT NOT NULL, at {time} NOT NULL)""",
    "CREATE INDEX report_moderation_report ON report_moderation (report_id, event_id)")
"""Schema 21 for both backends' types: moderation of citizens' reports (geo.moderation): the
report's text hidden by staff, its photo hidden by staff, its text held for review on submission
(the public sees neither), and each hold, hide, restore and release as a row with who, when and why."""

STAFF_SSO_22 = (
    "ALTER TABLE staff_users ADD COLUMN sso_issuer TEXT",
    "ALTER TABLE staff_users ADD COLUMN sso_subject TEXT",
    "CREATE UNIQUE INDEX staff_users_sso ON staff_users (sso_issuer, sso_subject)",
    """CREATE TABLE staff_sso_flows (flow_hash TEXT PRIMARY KEY, nonce TEXT NOT NULL, code_verifier TEXT NOT NULL,
       next_path TEXT NOT NULL, expires_at {time} NOT NULL)""")
"""Schema 22 for both backends' types: staff accounts of single sign-on (service.oidc) carry their
provider's issuer and subject (and no password), and a started sign-in waits at the provider as a
row of its own (only a hash of its id) until its callback takes it, once."""

REPORT_MERGES_23 = (
    "ALTER TABLE report_subscriptions ADD COLUMN follows TEXT REFERENCES reports (id) ON DELETE SET NULL",
    "CREATE INDEX report_subscriptions_follows ON report_subscriptions (follows)",
    "ALTER TABLE mail_outbox ADD COLUMN about TEXT REFERENCES reports (id) ON DELETE CASCADE")
"""Schema 23 for both backends: a duplicate merged into another report (service.reports.merge_report)
carries its reporter's subscription along — the subscription ``follows`` the kept report (NULL:
its own) — and a queued mail names the report it tells of (``about``; NULL: the subscriber's own)."""

SURVEY_24 = (
    """CREATE TABLE survey_results (year INTEGER NOT NULL, area TEXT NOT NULL, question TEXT NOT NULL,
       question_text TEXT NOT NULL, share {double} NOT NULL, answers INTEGER NOT NULL, source TEXT NOT NULL,
       PRIMARY KEY (year, area, question))""",
    """CREATE TABLE survey_places (year INTEGER NOT NULL, part INTEGER NOT NULL, wkb {blob} NOT NULL,
       count INTEGER NOT NULL, question TEXT, note TEXT, source TEXT NOT NULL, PRIMARY KEY (year, part))""")
"""Schema 24 for both backends' types: the safety survey's results and marked places (geo.survey),
of the data topic ``survey``."""
SURVEY_TABLES = ("survey_results", "survey_places")

EVENTS_25 = (
    """CREATE TABLE events (fid {fid}, geom {point} NOT NULL, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
       starts_at {time} NOT NULL, ends_at {time} NOT NULL, kind TEXT NOT NULL, expected_visitors INTEGER,
       organiser TEXT, source TEXT NOT NULL)""",
    "CREATE INDEX events_starts_at ON events (starts_at)",
    "CREATE TABLE event_areas (id TEXT PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE, wkb {blob} NOT NULL)")
"""Schema 25 for both backends' types: events in the centre (geo.layers.EVENTS), a point layer like
the others, and the area of an event held on a square or a stretch of street (WGS84 WKB of a
Polygon or MultiPolygon; none: the point is its place)."""
EVENT_TOPICS_25 = {"events": "events", "event_areas": "events"}
"""The tables of schema 25 and their data topic."""
CAMERAS_26 = (
    """CREATE TABLE cameras (fid {fid}, geom {point} NOT NULL, id TEXT NOT NULL UNIQUE, name TEXT,
       height_m {double} NOT NULL, direction_deg {double} NOT NULL, fov_deg {double} NOT NULL,
       range_m {double} NOT NULL, status TEXT NOT NULL, decided_at {time}, source TEXT NOT NULL)""",)
"""Schema 26 for both backends' types: surveillance cameras (geo.layers.CAMERAS), a point layer
with its own data topic ``cameras``."""

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
    10: (
        # every point layer gets the GeoPackage R-tree spatial index (GDAL and QGIS use it too)
        gpkg.EXTENSIONS_TABLE,
        *(statement for table in ("incidents", "lights", "reports") for statement in gpkg.rtree_statements(table)),
    ),
    11: (
        # patrol presence kept per unit and UTC day, with the pings it was computed from
        """CREATE TABLE presence_unit_days (unit_id TEXT NOT NULL, day_utc INTEGER NOT NULL,
           signature TEXT NOT NULL, cells BLOB NOT NULL, PRIMARY KEY (unit_id, day_utc))""",
    ),
    12: (
        # the kept presence adds the trail of visible presence (computed again), and what it was
        # computed with moves out of the metadata, whose changes are changes of the data
        "DELETE FROM presence_unit_days",
        "ALTER TABLE presence_unit_days ADD COLUMN trail BLOB NOT NULL DEFAULT x''",
        "CREATE TABLE presence_inputs (inputs TEXT NOT NULL)",
        "DELETE FROM stadskarna_meta WHERE key = 'presence_inputs'",
        # a version per topic beside the version of all data, so a page built from the pings
        # stays valid while citizens send reports
        "CREATE TABLE stadskarna_topic_versions (topic TEXT PRIMARY KEY, n INTEGER NOT NULL)",
        *(f"INSERT INTO stadskarna_topic_versions SELECT '{topic}', n FROM stadskarna_data_version"
          for topic in sorted(set(TABLE_TOPICS.values()))),
        *(f"DROP TRIGGER data_version_{table}_{op.lower()}" for table in DATA_TABLES for op in ("INSERT", "UPDATE", "DELETE")),
        *(f"""CREATE TRIGGER data_version_{table}_{op.lower()} AFTER {op} ON {table}
              BEGIN UPDATE stadskarna_data_version SET n = n + 1;
                    UPDATE stadskarna_topic_versions SET n = n + 1 WHERE topic = '{topic}'; END"""
          for table, topic in TABLE_TOPICS.items() for op in ("INSERT", "UPDATE", "DELETE")),
    ),
    13: (
        # the reports the public sees one by one get an R-tree of their own, so a public page of a
        # box is counted from the index alone (not by reading every match's category)
        *gpkg.subset_rtree_statements("reports", PUBLISHED_REPORTS,
                                      published_condition("{row}")),
    ),
    14: (),  # PostGIS only (an index of the published reports, which the file has since 13)
    15: (
        # the police's own logged hours (geo.presence_log); a change of them is a change of the patrols
        """CREATE TABLE presence_log (unit_id TEXT NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
           mode TEXT NOT NULL, crew INTEGER NOT NULL, zone_id TEXT, lon REAL, lat REAL, source TEXT NOT NULL,
           PRIMARY KEY (unit_id, start_ns))""",
        "CREATE INDEX presence_log_time ON presence_log (start_ns, end_ns)",
        *(f"""CREATE TRIGGER data_version_presence_log_{op.lower()} AFTER {op} ON presence_log
              BEGIN UPDATE stadskarna_data_version SET n = n + 1;
                    UPDATE stadskarna_topic_versions SET n = n + 1 WHERE topic = 'patrols'; END"""
          for op in ("INSERT", "UPDATE", "DELETE")),
    ),
    16: (
        # building footprints and water (geo.surfaces), WGS84 WKB; they shape the lit surface, so a
        # change of them is a change of the lights' figures
        """CREATE TABLE surfaces (kind TEXT NOT NULL, part INTEGER NOT NULL, wkb BLOB NOT NULL, height_m REAL,
           source TEXT NOT NULL, PRIMARY KEY (kind, part))""",
        # lamps get an orientation, a power and a history (geo.layers.LIGHTS)
        *LIGHT_COLUMNS_16.format(double="DOUBLE", time="DATETIME").split(";"),
        *(f"""CREATE TRIGGER data_version_surfaces_{op.lower()} AFTER {op} ON surfaces
              BEGIN UPDATE stadskarna_data_version SET n = n + 1;
                    UPDATE stadskarna_topic_versions SET n = n + 1 WHERE topic = 'lights'; END"""
          for op in ("INSERT", "UPDATE", "DELETE")),
    ),
    17: (
        *(statement.format(serial="INTEGER", time="DATETIME", now="strftime('%Y-%m-%dT%H:%M:%fZ','now')")
          for statement in LIGHT_EVENTS_17),
        *(f"""CREATE TRIGGER data_version_light_events_{op.lower()} AFTER {op} ON light_events
              BEGIN UPDATE stadskarna_data_version SET n = n + 1;
                    UPDATE stadskarna_topic_versions SET n = n + 1 WHERE topic = 'lights'; END"""
          for op in ("INSERT", "UPDATE", "DELETE")),
    ),
    18: REPORT_COLUMNS_18,
    19: tuple(statement.format(serial="INTEGER", time="DATETIME") for statement in STAFF_ACCOUNTS_19),
    20: tuple(statement.format(serial="INTEGER", time="DATETIME") for statement in REPORT_MAIL_20),
    21: tuple(statement.format(serial="INTEGER", time="DATETIME") for statement in REPORT_MODERATION_21),
    22: tuple(statement.format(time="DATETIME") for statement in STAFF_SSO_22),
    23: REPORT_MERGES_23,
    24: (
        *(statement.format(double="DOUBLE", blob="BLOB") for statement in SURVEY_24),
        "INSERT INTO stadskarna_topic_versions SELECT 'survey', n FROM stadskarna_data_version",
        *(f"""CREATE TRIGGER data_version_{table}_{op.lower()} AFTER {op} ON {table}
              BEGIN UPDATE stadskarna_data_version SET n = n + 1;
                    UPDATE stadskarna_topic_versions SET n = n + 1 WHERE topic = 'survey'; END"""
          for table in SURVEY_TABLES for op in ("INSERT", "UPDATE", "DELETE")),
    ),
    25: (
        *(statement.format(fid="INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", point="POINT", time="DATETIME", blob="BLOB")
          for statement in EVENTS_25),
        *gpkg.register_point_table("events", "Events in the centre (evenemang)"),
        *gpkg.rtree_statements("events"),
        "INSERT INTO stadskarna_topic_versions SELECT 'events', n FROM stadskarna_data_version",
        *(f"""CREATE TRIGGER data_version_{table}_{op.lower()} AFTER {op} ON {table}
              BEGIN UPDATE stadskarna_data_version SET n = n + 1;
                    UPDATE stadskarna_topic_versions SET n = n + 1 WHERE topic = '{topic}'; END"""
          for table, topic in EVENT_TOPICS_25.items() for op in ("INSERT", "UPDATE", "DELETE")),
    ),
    26: (*(statement.format(fid="INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", point="POINT", double="DOUBLE",
                            time="DATETIME") for statement in CAMERAS_26),
         *gpkg.register_point_table("cameras", "Surveillance cameras (kameror)"),
         *gpkg.rtree_statements("cameras"),
         "INSERT INTO stadskarna_topic_versions SELECT 'cameras', n FROM stadskarna_data_version",
         *(f"""CREATE TRIGGER data_version_cameras_{op.lower()} AFTER {op} ON cameras
               BEGIN UPDATE stadskarna_data_version SET n = n + 1;
                     UPDATE stadskarna_topic_versions SET n = n + 1 WHERE topic = 'cameras'; END"""
           for op in ("INSERT", "UPDATE", "DELETE"))),
    27: (),  # no new tables: patrol ping chunks are written as zstd byte planes (service/store/chunkcodec.py),
             # which a program of version 26 cannot read: it refuses the newer database instead of failing on them
}
"""SQL statements that bring a file from the previous version to each version."""

class GeoPackageDialect(Dialect):
    """A GeoPackage file at ``path`` (created on first open). A write waits at most
    ``busy_timeout_s`` for another program's write lock."""

    kind = "geopackage"

    def __init__(self, path: str | Path, busy_timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        if self.path.is_dir():
            raise StoreError(f"database path {self.path} is a directory; give a file path")
        if not self.path.parent.exists():
            raise StoreError(f"cannot create database {self.path}: folder {self.path.parent} does not exist")

    def describe(self) -> str:
        return f"geopackage:{self.path}"

    def engine(self) -> Engine:
        engine = create_engine(f"sqlite:///{self.path}", pool_size=4, max_overflow=60, pool_timeout=self.busy_timeout_s,
                               connect_args={"timeout": self.busy_timeout_s, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def connect(dbapi: sqlite3.Connection, record) -> None:
            dbapi.isolation_level = None  # transactions are begun below, not by the driver
            _prepare(dbapi)
            dbapi.execute("PRAGMA journal_mode=WAL")

        @event.listens_for(engine, "begin")
        def begin(con: Connection) -> None:
            options = con.get_execution_options()
            con.exec_driver_sql(f"PRAGMA busy_timeout = {int(1000 * options.get('busy_timeout_s', self.busy_timeout_s))}")
            # a write takes the write lock at once: its checks and its writes see one state
            con.exec_driver_sql("BEGIN IMMEDIATE" if options.get("write") else "BEGIN")

        return engine

    def current_version(self, con: Connection) -> int:
        tables = {row[0] for row in con.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        if "stadskarna_meta" in tables:
            return int(con.exec_driver_sql("SELECT value FROM stadskarna_meta WHERE key='schema_version'").scalar())
        if tables - {"sqlite_sequence"}:
            raise StoreError(f"{self.path} holds other data (tables {', '.join(sorted(tables))}); "
                             "give a new file or an existing Trygg stadskärna database")
        return 0

    def migrate(self, con: Connection, version: int, target: int) -> None:
        for step in range(version + 1, target + 1):
            for statement in _MIGRATIONS[step]:
                con.exec_driver_sql(statement)
            con.exec_driver_sql("INSERT OR REPLACE INTO stadskarna_meta VALUES ('schema_version', ?)", (str(step),))

    def migrated(self, engine: Engine) -> None:
        # the file's header (application id, user version) must be in the file itself, not only in
        # the write-ahead log: GDAL reads it from the file to know a GeoPackage
        with engine.connect() as con:
            con.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def writing(self, timeout_s: float) -> Iterator[None]:
        # SQLite waits for its write lock by sleeping in steps of up to 100 ms, so under load a
        # write waits much longer than the one before it takes. This service's own writers (threads
        # and processes) take turns on a lock file instead and find it free within half a
        # millisecond; other programs (QGIS, say) still meet SQLite's lock and its busy timeout.
        try:
            fd: int | None = os.open(self.path.with_name(self.path.name + LOCK_SUFFIX), os.O_RDONLY | os.O_CREAT, 0o600)
        except OSError:  # no lock file can be made here (a read-only folder): SQLite's lock alone
            fd = None
        try:
            deadline = time.monotonic() + timeout_s
            while fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise Unavailable(Message("the database is busy with other writes; try again shortly"),
                                          max(1, math.ceil(timeout_s))) from None
                    time.sleep(0.0005)
            yield
        finally:
            if fd is not None:
                os.close(fd)  # and with it the lock

    def encode_points(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list:
        return gpkg.encode_points(lon, lat)

    def decode_points(self, values: Sequence) -> NDArray[np.object_]:
        return gpkg.decode_geometries(list(values))

    def area_filter(self, alias: str) -> str:
        return f"ST_PointInArea({alias}.geom, :area) = 1"

    def published_matches(self, schema: LayerSchema) -> str | None:
        if schema is not REPORTS:
            return None
        # one scan of the published reports' R-tree; only entries across the box's edges are read
        return (f"SELECT e.id AS fid FROM {PUBLISHED_REPORTS} e WHERE e.minx <= :bx1 AND e.maxx >= :bx0 "
                "AND e.miny <= :by1 AND e.maxy >= :by0 AND ((e.minx >= :bx0 AND e.maxx <= :bx1 AND e.miny >= :by0 "
                "AND e.maxy <= :by1) OR EXISTS (SELECT 1 FROM reports t WHERE t.fid = e.id "
                "AND ST_MinX(t.geom) BETWEEN :bx0 AND :bx1 AND ST_MinY(t.geom) BETWEEN :by0 AND :by1))")

    def bbox_filter(self, table: str, alias: str) -> str:
        # the R-tree holds boxes rounded outward to 32-bit floats: an entry inside the box is a point
        # inside it; only those that overlap its edges need the exact test
        rtree = f"rtree_{table}_geom"
        return (f"{alias}.fid IN (SELECT id FROM {rtree} WHERE minx <= :bx1 AND maxx >= :bx0 "
                f"AND miny <= :by1 AND maxy >= :by0) AND ({alias}.fid IN (SELECT id FROM {rtree} WHERE "
                f"minx >= :bx0 AND maxx <= :bx1 AND miny >= :by0 AND maxy <= :by1) OR "
                f"(ST_MinX({alias}.geom) BETWEEN :bx0 AND :bx1 AND ST_MinY({alias}.geom) BETWEEN :by0 AND :by1))")

    def extent_columns(self, alias: str) -> str:
        return f"min(ST_MinX({alias}.geom)), min(ST_MinY({alias}.geom)), max(ST_MaxX({alias}.geom)), max(ST_MaxY({alias}.geom))"

    def after_features_written(self, con: Connection, table: str, bounds: tuple[float, float, float, float]) -> None:
        minx, miny, maxx, maxy = bounds
        con.execute(text(
            "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, :minx), :minx), "
            "min_y = min(coalesce(min_y, :miny), :miny), max_x = max(coalesce(max_x, :maxx), :maxx), "
            "max_y = max(coalesce(max_y, :maxy), :maxy), last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
            "WHERE table_name = :table"), {"minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy, "table": table})

    def open_error(self, exc: DBAPIError) -> StoreError:
        if isinstance(exc.orig, sqlite3.OperationalError):
            return StoreError(f"cannot open {self.path}: {exc.orig}")
        return StoreError(f"{self.path} is not a Trygg stadskärna database ({exc.orig})")

    def busy(self, exc: BaseException, waited_s: float) -> Unavailable | None:
        original = exc.orig if isinstance(exc, DBAPIError) else exc
        text_ = str(original).lower()
        if isinstance(original, sqlite3.OperationalError) and ("locked" in text_ or "busy" in text_):
            return Unavailable("the database is busy with another program's write; try again shortly",
                               max(1, math.ceil(waited_s)))
        return None

    def _raw(self) -> sqlite3.Connection:
        """A plain connection to the file (for the backup API), with the GeoPackage's functions."""
        con = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        _prepare(con)
        return con

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
            source = self._raw()
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
        live = self._raw()
        try:
            page_size = int(live.execute("PRAGMA page_size").fetchone()[0])
        finally:
            live.close()
        con = sqlite3.connect(staged, isolation_level=None)
        try:
            if con.execute("PRAGMA page_size").fetchone()[0] != page_size:
                con.execute("PRAGMA journal_mode=DELETE")
                con.execute(f"PRAGMA page_size={page_size}")
                con.execute("VACUUM")
        finally:
            con.close()
        from service.store.sql import SQLStore

        SQLStore(GeoPackageDialect(staged)).close()  # migrates an older schema
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
                raise Unavailable(Message("{path} is busy with another program's write (waited {busy_timeout_s} s); "
                                          "nothing was restored, try again shortly", path=self.path,
                                          busy_timeout_s=self.busy_timeout_s))
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
                dest = self._raw()
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
        raise Unavailable(Message("the database is locked by another program; try again shortly"))


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
    for suffix in ("", "-journal", "-wal", "-shm", LOCK_SUFFIX):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _keep_from_replaced(replaced: Path, incoming: Path) -> list[str]:
    """What a restore keeps of the contents it replaces, written into the database ``incoming``:
    the tokens revoked in ``replaced`` stay revoked (their ids are returned), so do the staff
    accounts disabled in it, every staff session ends (a copy's sessions may have been signed out
    since), and the data version moves past the replaced one, so no page cached from the replaced
    data is served again."""
    old = sqlite3.connect(f"{replaced.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        revoked = old.execute("SELECT token_id, revoked_at FROM api_tokens WHERE revoked_at IS NOT NULL").fetchall()
        disabled = old.execute("SELECT name, disabled_at FROM staff_users WHERE disabled_at IS NOT NULL").fetchall()
        version = int(old.execute("SELECT n FROM stadskarna_data_version").fetchone()[0])
    finally:
        old.close()
    con = sqlite3.connect(incoming, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        carried = [token_id for token_id, at in revoked
                   if con.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                                  (at, token_id)).rowcount]
        con.executemany("UPDATE staff_users SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL",
                        [(at, name) for name, at in disabled])
        con.execute("DELETE FROM staff_sessions")
        con.execute("UPDATE stadskarna_data_version SET n = max(n, ?) + 1", (version,))
        con.execute("UPDATE stadskarna_topic_versions SET n = max(n, ?) + 1", (version,))  # a topic's n <= all data's
        con.execute("COMMIT")
    finally:
        con.close()
    return carried

def _prepare(con: sqlite3.Connection) -> None:
    """What every connection needs: the R-tree triggers' SQL functions and foreign keys."""
    for name, (arguments, function) in gpkg.sql_functions().items():
        con.create_function(name, arguments, function, deterministic=True)
    con.execute("PRAGMA foreign_keys=ON")



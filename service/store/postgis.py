"""The PostgreSQL backend with PostGIS, for many users and more data than one file holds: the same
tables as the embedded GeoPackage, points as ``geometry(Point, 4326)`` with GiST indexes, times
as ``timestamptz``, and patrol pings in the same compact layout (one row of compressed arrays
per unit and UTC day). Selected with ``STADSKARNA_DATABASE_URL=postgresql://…`` (psycopg 3)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import TextClause, create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError

from geo.layers import REPORTS, LayerSchema
from service.store.base import StoreError, Unavailable
from service.store.dialect import Dialect, published_condition
from service.store.embedded import (CAMERAS_26, DATA_TABLES, EVENT_TOPICS_25, EVENTS_25, LIGHT_COLUMNS_16, LIGHT_EVENTS_17,
                                    REPORT_COLUMNS_18, REPORT_MAIL_20, REPORT_MERGES_23, REPORT_MODERATION_21,
                                    STAFF_ACCOUNTS_19, STAFF_SSO_22, SURVEY_24, SURVEY_TABLES, TABLE_TOPICS)

_SCHEMA = (
    "CREATE EXTENSION IF NOT EXISTS postgis",
    "CREATE TABLE stadskarna_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # the data version: a sequence, so that writers never wait for each other to count a change
    "CREATE SEQUENCE stadskarna_data_version_seq",
    "CREATE VIEW stadskarna_data_version AS SELECT last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) AS n "
    "FROM stadskarna_data_version_seq",
    """CREATE FUNCTION stadskarna_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN PERFORM nextval('stadskarna_data_version_seq'); RETURN NULL; END $$""",
    """CREATE TABLE incidents (fid BIGSERIAL PRIMARY KEY, geom geometry(Point, 4326) NOT NULL,
       id TEXT NOT NULL UNIQUE, occurred_at TIMESTAMPTZ NOT NULL, category TEXT NOT NULL,
       location_precision TEXT NOT NULL, source TEXT NOT NULL)""",
    "CREATE INDEX incidents_geom ON incidents USING GIST (geom)",
    "CREATE INDEX incidents_occurred_at ON incidents (occurred_at)",
    """CREATE TABLE lights (fid BIGSERIAL PRIMARY KEY, geom geometry(Point, 4326) NOT NULL,
       id TEXT NOT NULL UNIQUE, lumen DOUBLE PRECISION NOT NULL, height_m DOUBLE PRECISION NOT NULL,
       status TEXT NOT NULL, luminaire TEXT NOT NULL, updated_at TIMESTAMPTZ, source TEXT NOT NULL)""",
    "CREATE INDEX lights_geom ON lights USING GIST (geom)",
    """CREATE TABLE reports (fid BIGSERIAL PRIMARY KEY, geom geometry(Point, 4326) NOT NULL,
       id TEXT NOT NULL UNIQUE, category TEXT NOT NULL, description TEXT NOT NULL,
       created_at TIMESTAMPTZ NOT NULL, status TEXT NOT NULL, closed_at TIMESTAMPTZ, close_reason TEXT,
       "when" TEXT, why TEXT, photo TEXT, source TEXT NOT NULL)""",
    "CREATE INDEX reports_geom ON reports USING GIST (geom)",
    "CREATE INDEX reports_created_at ON reports (created_at)",
    "CREATE INDEX reports_category_status ON reports (category, status)",
    """CREATE TABLE reports_private (id TEXT PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
       contact TEXT)""",
    """CREATE TABLE patrol_ping_chunks (unit_id TEXT NOT NULL, day_utc BIGINT NOT NULL, n BIGINT NOT NULL,
       t_min BIGINT NOT NULL, t_max BIGINT NOT NULL, sources TEXT NOT NULL, t BYTEA NOT NULL, lon BYTEA NOT NULL,
       lat BYTEA NOT NULL, mode BYTEA NOT NULL, crew BYTEA NOT NULL, source BYTEA NOT NULL,
       PRIMARY KEY (unit_id, day_utc))""",
    "CREATE INDEX patrol_ping_chunks_time ON patrol_ping_chunks (t_min, t_max)",
    """CREATE TABLE api_tokens (token_hash TEXT PRIMARY KEY, role TEXT NOT NULL, label TEXT NOT NULL,
       created_at TIMESTAMPTZ NOT NULL, token_id TEXT NOT NULL UNIQUE, expires_at TIMESTAMPTZ,
       revoked_at TIMESTAMPTZ, last_used_at TIMESTAMPTZ)""",
    """CREATE TABLE report_photos (id TEXT PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
       media_type TEXT NOT NULL, data BYTEA NOT NULL)""",
    """CREATE TABLE report_duplicates (report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
       duplicate_of TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE, PRIMARY KEY (report_id, duplicate_of))""",
    """CREATE TABLE open311_clients (key_hash TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
       created_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE removal_rounds (id TEXT PRIMARY KEY, day TEXT NOT NULL, category TEXT NOT NULL,
       zones TEXT NOT NULL, closed INTEGER NOT NULL, created_at TIMESTAMPTZ NOT NULL, zones_key TEXT NOT NULL,
       actor_role TEXT NOT NULL, actor_label TEXT NOT NULL, UNIQUE (day, category, zones_key))""",
    """CREATE TABLE promise_statuses (rowid BIGSERIAL PRIMARY KEY, year INTEGER NOT NULL, promise_id TEXT NOT NULL,
       day TEXT NOT NULL, status TEXT NOT NULL, note TEXT NOT NULL, recorded_by TEXT NOT NULL,
       recorded_at TIMESTAMPTZ NOT NULL, actor_label TEXT NOT NULL)""",
    """CREATE TABLE report_events (event_id BIGSERIAL PRIMARY KEY,
       report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE, from_status TEXT, to_status TEXT NOT NULL,
       actor_role TEXT NOT NULL, actor_label TEXT NOT NULL, at TIMESTAMPTZ NOT NULL, note TEXT)""",
    "CREATE INDEX report_events_report ON report_events (report_id, event_id)",
    *(f"""CREATE TRIGGER {table}_data_changed AFTER INSERT OR UPDATE OR DELETE ON {table}
          FOR EACH STATEMENT EXECUTE FUNCTION stadskarna_data_changed()""" for table in DATA_TABLES),
)
"""The schema at version 10, the first a PostGIS database has; later versions add to it."""

_TOPICS = sorted(set(TABLE_TOPICS.values()))


def _topic_view(topics: list[str]) -> str:
    """The view of every topic's version (a sequence each), over ``topics``."""
    return "CREATE OR REPLACE VIEW stadskarna_topic_versions AS " + " UNION ALL ".join(
        f"SELECT '{topic}'::text AS topic, last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) AS n "
        f"FROM stadskarna_version_{topic}" for topic in topics)


_MIGRATIONS: dict[int, tuple[str, ...]] = {
    10: _SCHEMA,
    11: ("""CREATE TABLE presence_unit_days (unit_id TEXT NOT NULL, day_utc BIGINT NOT NULL, signature TEXT NOT NULL,
            cells BYTEA NOT NULL, PRIMARY KEY (unit_id, day_utc))""",),
    12: ("DELETE FROM presence_unit_days",
         "ALTER TABLE presence_unit_days ADD COLUMN trail BYTEA NOT NULL DEFAULT ''::bytea",
         "CREATE TABLE presence_inputs (inputs TEXT NOT NULL)",
         "DELETE FROM stadskarna_meta WHERE key = 'presence_inputs'",
         # a version per topic beside the version of all data (a sequence each: writers never wait)
         *(f"CREATE SEQUENCE stadskarna_version_{topic}" for topic in _TOPICS),
         *(f"SELECT setval('stadskarna_version_{topic}', (SELECT n FROM stadskarna_data_version) + 1, false)"
           for topic in _TOPICS),
         _topic_view(_TOPICS),
         """CREATE OR REPLACE FUNCTION stadskarna_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM nextval('stadskarna_data_version_seq');
                  IF TG_NARGS > 0 THEN PERFORM nextval(('stadskarna_version_' || TG_ARGV[0])::regclass); END IF;
                  RETURN NULL; END $$""",
         *(f"DROP TRIGGER {table}_data_changed ON {table}" for table in DATA_TABLES),
         *(f"""CREATE TRIGGER {table}_data_changed AFTER INSERT OR UPDATE OR DELETE ON {table}
               FOR EACH STATEMENT EXECUTE FUNCTION stadskarna_data_changed('{topic}')"""
           for table, topic in TABLE_TOPICS.items())),
    # the reports the public sees get an index of their own that answers a box's matches without
    # reading the table: the point as a stored built-in `point` (exact doubles, unlike the GiST
    # index's single-precision boxes) in a partial SP-GiST index that carries the fid
    14: ("ALTER TABLE reports ADD COLUMN pos point GENERATED ALWAYS AS (point(ST_X(geom), ST_Y(geom))) STORED",
         f"CREATE INDEX reports_published_pos ON reports USING SPGIST (pos) INCLUDE (fid) WHERE {published_condition()}"),
    15: ("""CREATE TABLE presence_log (unit_id TEXT NOT NULL, start_ns BIGINT NOT NULL, end_ns BIGINT NOT NULL,
            mode TEXT NOT NULL, crew INTEGER NOT NULL, zone_id TEXT, lon DOUBLE PRECISION, lat DOUBLE PRECISION,
            source TEXT NOT NULL, PRIMARY KEY (unit_id, start_ns))""",
         "CREATE INDEX presence_log_time ON presence_log (start_ns, end_ns)",
         """CREATE TRIGGER presence_log_data_changed AFTER INSERT OR UPDATE OR DELETE ON presence_log
            FOR EACH STATEMENT EXECUTE FUNCTION stadskarna_data_changed('patrols')"""),
    16: (*LIGHT_COLUMNS_16.format(double="DOUBLE PRECISION", time="TIMESTAMPTZ").split(";"),
         """CREATE TABLE surfaces (kind TEXT NOT NULL, part INTEGER NOT NULL, wkb BYTEA NOT NULL,
            height_m DOUBLE PRECISION, source TEXT NOT NULL, PRIMARY KEY (kind, part))""",
         """CREATE TRIGGER surfaces_data_changed AFTER INSERT OR UPDATE OR DELETE ON surfaces
            FOR EACH STATEMENT EXECUTE FUNCTION stadskarna_data_changed('lights')"""),
    17: (*(statement.format(serial="BIGSERIAL", time="TIMESTAMPTZ", now="now()") for statement in LIGHT_EVENTS_17),
         """CREATE TRIGGER light_events_data_changed AFTER INSERT OR UPDATE OR DELETE ON light_events
            FOR EACH STATEMENT EXECUTE FUNCTION stadskarna_data_changed('lights')"""),
    18: REPORT_COLUMNS_18,
    19: tuple(statement.format(serial="BIGSERIAL", time="TIMESTAMPTZ") for statement in STAFF_ACCOUNTS_19),
    20: tuple(statement.format(serial="BIGSERIAL", time="TIMESTAMPTZ") for statement in REPORT_MAIL_20),
    21: tuple(statement.format(serial="BIGSERIAL", time="TIMESTAMPTZ") for statement in REPORT_MODERATION_21),
    22: tuple(statement.format(time="TIMESTAMPTZ") for statement in STAFF_SSO_22),
    23: REPORT_MERGES_23,
    24: (*(statement.format(double="DOUBLE PRECISION", blob="BYTEA") for statement in SURVEY_24),
         "CREATE SEQUENCE stadskarna_version_survey",
         "SELECT setval('stadskarna_version_survey', (SELECT n FROM stadskarna_data_version) + 1, false)",
         _topic_view([*_TOPICS, "survey"]),
         *(f"""CREATE TRIGGER {table}_data_changed AFTER INSERT OR UPDATE OR DELETE ON {table}
               FOR EACH STATEMENT EXECUTE FUNCTION stadskarna_data_changed('survey')""" for table in SURVEY_TABLES)),
    25: (*(statement.format(fid="BIGSERIAL PRIMARY KEY", point="geometry(Point, 4326)", time="TIMESTAMPTZ", blob="BYTEA")
           for statement in EVENTS_25),
         "CREATE INDEX events_geom ON events USING GIST (geom)",
         "CREATE SEQUENCE stadskarna_version_events",
         "SELECT setval('stadskarna_version_events', (SELECT n FROM stadskarna_data_version) + 1, false)",
         _topic_view([*_TOPICS, "survey", "events"]),
         *(f"""CREATE TRIGGER {table}_data_changed AFTER INSERT OR UPDATE OR DELETE ON {table}
               FOR EACH STATEMENT EXECUTE FUNCTION stadskarna_data_changed('{topic}')"""
           for table, topic in EVENT_TOPICS_25.items())),
    26: (*(statement.format(fid="BIGSERIAL PRIMARY KEY", point="geometry(Point, 4326)", double="DOUBLE PRECISION",
                            time="TIMESTAMPTZ") for statement in CAMERAS_26),
         "CREATE INDEX cameras_geom ON cameras USING GIST (geom)",
         "CREATE SEQUENCE stadskarna_version_cameras",
         "SELECT setval('stadskarna_version_cameras', (SELECT n FROM stadskarna_data_version) + 1, false)",
         _topic_view([*_TOPICS, "survey", "events", "cameras"]),
         """CREATE TRIGGER cameras_data_changed AFTER INSERT OR UPDATE OR DELETE ON cameras
            FOR EACH STATEMENT EXECUTE FUNCTION stadskarna_data_changed('cameras')"""),
    27: (),  # no new tables: patrol ping chunks are written as zstd byte planes (service/store/chunkcodec.py),
             # which a program of version 26 cannot read: it refuses the newer database instead of failing on them
}


class PostGISDialect(Dialect):
    """A PostgreSQL database with PostGIS at ``url`` (``postgresql://user:password@host/db``; the
    password never shows in messages). A write waits at most ``busy_timeout_s`` for a lock."""

    kind = "postgis"
    geom_param = "ST_GeomFromWKB(:geom, 4326)"

    def __init__(self, url: str, busy_timeout_s: float = 5.0) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise StoreError(f"{parsed.render_as_string(hide_password=True)} is not a postgresql:// URL")
        self.url = parsed.set(drivername="postgresql+psycopg")
        self.busy_timeout_s = busy_timeout_s

    def describe(self) -> str:
        return f"postgis:{self.url.set(drivername='postgresql').render_as_string(hide_password=True)}"

    def engine(self) -> Engine:
        engine = create_engine(self.url, pool_size=8, max_overflow=32, pool_timeout=self.busy_timeout_s,
                               pool_pre_ping=True)

        @event.listens_for(engine, "begin")
        def begin(con: Connection) -> None:
            options = con.get_execution_options()
            timeout_ms = int(1000 * options.get("busy_timeout_s", self.busy_timeout_s))
            # one round trip; a read's statements see one snapshot (a count and its page agree)
            con.exec_driver_sql(f"SET LOCAL lock_timeout = {max(timeout_ms, 1)}" + (
                "" if options.get("write") else "; SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))

        return engine

    def current_version(self, con: Connection) -> int:
        ours = con.exec_driver_sql("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() "
                                   "AND tablename = 'stadskarna_meta'").scalar()
        if ours is not None:
            return int(con.exec_driver_sql("SELECT value FROM stadskarna_meta WHERE key = 'schema_version'").scalar())
        others = [row[0] for row in con.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename != 'spatial_ref_sys'")]
        if others:
            raise StoreError(f"{self.describe()} holds other data (tables {', '.join(sorted(others)[:8])}); "
                             "give an empty database or an existing Trygg stadskärna database")
        return 0

    def migrate(self, con: Connection, version: int, target: int) -> None:
        for step in range(max(version + 1, min(_MIGRATIONS)), target + 1):
            for statement in _MIGRATIONS.get(step, ()):
                con.exec_driver_sql(statement)
            con.exec_driver_sql("INSERT INTO stadskarna_meta VALUES ('schema_version', %(v)s) "
                                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", {"v": str(step)})

    def lock_table(self, con: Connection, table: str) -> None:
        # readers go on; a second writer waits (up to the lock timeout) for this transaction to end
        con.exec_driver_sql(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")

    def encode_points(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list:
        return list(shapely.to_wkb(shapely.points(lon, lat), byte_order=1))

    def geom_select(self, column: str) -> str:
        return f"ST_AsBinary({column})"

    def decode_points(self, values: Sequence) -> NDArray[np.object_]:
        return shapely.from_wkb([bytes(value) for value in values])

    def time_select(self, column: str) -> str:
        return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""

    def bbox_filter(self, table: str, alias: str) -> str:
        return f"ST_Intersects({alias}.geom, ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, 4326))"

    def area_filter(self, alias: str) -> str:
        return f"ST_Intersects({alias}.geom, ST_GeomFromWKB(:area, 4326))"

    def extent_columns(self, alias: str) -> str:
        return (f"ST_XMin(ST_Extent({alias}.geom)), ST_YMin(ST_Extent({alias}.geom)), ST_XMax(ST_Extent({alias}.geom)), "
                f"ST_YMax(ST_Extent({alias}.geom))")

    def published_matches(self, schema: LayerSchema) -> str | None:
        if schema is not REPORTS:
            return None
        # an index-only scan of reports_published_pos (the box's edges included, as ST_Intersects)
        return f"SELECT t.fid FROM reports t WHERE t.pos <@ box(point(:bx0, :by0), point(:bx1, :by1)) AND {published_condition('t.')}"

    def fetch_blobs(self, con: Connection, statement: TextClause, params: dict) -> list:
        """The rows as ``COPY … TO STDOUT`` in the binary format: ``bytea`` arrives as bytes (not as
        hex text to decode), streamed rather than gathered into one result first (a year's ping
        chunks in half the time of a binary ``SELECT``). The columns' types come from a ``LIMIT 0``
        of the same query; COPY takes no server-side parameters, so psycopg binds them, quoted."""
        compiled = statement.bindparams(**params).compile(dialect=con.dialect, compile_kwargs={"render_postcompile": True})
        query = str(compiled)
        with con.connection.driver_connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({query}) AS q LIMIT 0", compiled.params)
            types = [column.type_code for column in cursor.description]
            with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)", compiled.params) as copy:
                copy.set_types(types)
                return list(copy.rows())

    def open_error(self, exc: DBAPIError) -> StoreError:
        return StoreError(f"cannot open {self.describe()}: {str(exc.orig).strip().splitlines()[0]}")

    def busy(self, exc: BaseException, waited_s: float) -> Unavailable | None:
        code = getattr(getattr(exc, "orig", None), "sqlstate", None)
        if code in ("55P03", "40P01", "40001"):  # lock not available, deadlock, serialisation failure
            return Unavailable("the database is busy with other writes; try again shortly", max(1, math.ceil(waited_s)))
        return None


"""The embedded SQLite store: created on first open, WAL, versioned, refuses what it cannot open."""

from __future__ import annotations

import sqlite3

import pytest

from service.store import SQLiteStore, StoreError
from tests.conftest import gdal_like_connection
from service.store.embedded import SCHEMA_VERSION


def test_first_open_creates_a_wal_database_with_the_current_schema(tmp_path):
    path = tmp_path / "new.sqlite"
    store = SQLiteStore(path)
    assert path.exists() and store.schema_version() == SCHEMA_VERSION
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.describe() == f"geopackage:{path}"


def test_reopening_keeps_the_data(tmp_path):
    path = tmp_path / "db.sqlite"
    with SQLiteStore(path).transaction() as con:
        con.exec_driver_sql("INSERT INTO stadskarna_meta VALUES ('note', 'kept')")
    reopened = SQLiteStore(path)
    with reopened.transaction() as con:
        assert con.exec_driver_sql("SELECT value FROM stadskarna_meta WHERE key='note'").fetchone() == ("kept",)


def test_a_failed_transaction_changes_nothing(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite")
    with pytest.raises(RuntimeError), store.transaction() as con:
        con.exec_driver_sql("INSERT INTO stadskarna_meta VALUES ('half', 'done')")
        raise RuntimeError("interrupted")
    with store.transaction() as con:
        assert con.exec_driver_sql("SELECT count(*) FROM stadskarna_meta WHERE key='half'").fetchone() == (0,)


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.sqlite"
    with SQLiteStore(path).transaction() as con:
        con.exec_driver_sql("UPDATE stadskarna_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}, newer than this program's"):
        SQLiteStore(path)


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"these are my notes, not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="is not a Trygg stadskärna database"):
        SQLiteStore(path)
    assert path.read_bytes() == before


def test_another_programs_database_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE customers (id INTEGER)").connection.commit()
    with pytest.raises(StoreError, match=r"holds other data \(tables customers\)"):
        SQLiteStore(path)


def test_missing_folder_and_directory_paths(tmp_path):
    with pytest.raises(StoreError, match="folder .* does not exist"):
        SQLiteStore(tmp_path / "nope" / "db.sqlite")
    with pytest.raises(StoreError, match="is a directory"):
        SQLiteStore(tmp_path)


def test_a_version_1_file_is_migrated_keeping_its_notes(tmp_path):
    path = tmp_path / "v1.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE stadskarna_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    con.executemany("INSERT INTO stadskarna_meta VALUES (?, ?)", [("schema_version", "1"), ("note", "kept")])
    con.commit()
    con.close()
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION and store.get_meta("note") == "kept" and store.is_empty()


def test_the_database_is_a_geopackage_that_gdal_reads_without_private_data(tmp_path):
    import warnings

    import pandas as pd
    import pyogrio

    from geo.layers import REPORTS, validate

    path = tmp_path / "store.gpkg"
    store = SQLiteStore(path)
    raw = pd.DataFrame({"id": ["r1"], "category": ["graffiti"], "created_at": ["2020-05-04T18:00:00+02:00"],
                        "contact": ["anna@example.org"], "lon": [12.8578], "lat": [56.6741]})
    store.write_features(REPORTS, validate(REPORTS, raw, "test"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # GDAL warns about non-conformant GeoPackages
        layers = dict(pyogrio.list_layers(path))
        reports = pyogrio.read_dataframe(path, layer="reports")
    assert {layers["incidents"], layers["lights"], layers["reports"]} == {"Point"}
    assert "contact" not in reports.columns and reports.crs == "EPSG:4326"
    assert reports.geometry.iloc[0].coords[0] == (12.8578, 56.6741)
    assert str(reports["created_at"].iloc[0]) == "2020-05-04 16:00:00+00:00"


def test_reads_do_not_wait_for_a_writer(tmp_path):
    import time

    from geo.layers import INCIDENTS

    store = SQLiteStore(tmp_path / "db.sqlite")
    with store.transaction() as writer:
        writer.exec_driver_sql("INSERT INTO stadskarna_meta VALUES ('busy', 'yes')")
        started = time.perf_counter()
        assert store.count(INCIDENTS) == 0 and store.get_meta("busy") is None, "a snapshot from before the write"
        assert time.perf_counter() - started < 1.0
    assert store.get_meta("busy") == "yes"


def test_tracks_read_straight_from_the_chunks_match_the_frame(tmp_path):
    import numpy as np
    import pandas as pd

    from geo.layers import PINGS, validate
    from geo.patrol import Tracks

    store = SQLiteStore(tmp_path / "db.sqlite")
    times = pd.Timestamp("2020-03-28T23:00:00Z") + pd.to_timedelta(np.arange(7200), unit="s")
    store.write_pings(validate(PINGS, pd.DataFrame({"unit_id": np.where(np.arange(7200) % 3, "b", "a"),
                                                    "timestamp": times, "mode": "foot", "crew": 2,
                                                    "lon": 12.857, "lat": 56.674}), "t"))
    start, end = pd.Timestamp("2020-03-28T23:30:00Z"), pd.Timestamp("2020-03-29T00:30:00Z")
    direct, via_frame = store.read_tracks(start, end), Tracks.from_pings(store.read_pings(start, end))
    assert len(direct) == 3600 and list(direct.unit_names[direct.unit[[0, -1]]]) == ["a", "b"]
    for name in ("t_ns", "lon", "lat", "crew"):
        assert np.array_equal(getattr(direct, name), getattr(via_frame, name))
    assert list(direct.unit_names[direct.unit]) == list(via_frame.unit_names[via_frame.unit])


def test_the_data_version_changes_with_the_data_only(tmp_path):
    import pandas as pd

    from geo.layers import INCIDENTS, validate
    from service.auth import caller_of, create_token

    path = tmp_path / "db.sqlite"
    store = SQLiteStore(path)
    first = store.data_version()
    token = create_token(store, "police", "bil 1")
    assert caller_of(store, token) is not None  # notes the token's use: a write, but not of the data
    store.read_features(INCIDENTS)
    assert store.data_version() == first
    store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame(
        [{"id": "i1", "occurred_at": "2020-05-01T12:00:00Z", "category": "stöld", "lon": 12.8578, "lat": 56.6744}]), "t"))
    second = store.data_version()
    assert second > first
    with gdal_like_connection(path) as con:  # another program (QGIS through GDAL, say) edits a layer
        con.execute("UPDATE incidents SET category = 'rån'")
    assert store.data_version() > second


def _write_after_waiting(path: str, queue) -> None:
    """In another process: wait for the parent's write, then write; report when it got the lock."""
    import time

    store = SQLiteStore(path)
    queue.put("ready")
    time.sleep(0.05)  # the parent holds the write lock by now
    with store.transaction() as con:
        got = time.time()
        con.exec_driver_sql("INSERT INTO stadskarna_meta VALUES ('second', 'yes')")
    queue.put(got)


def test_a_waiting_writer_gets_its_turn_as_soon_as_the_write_before_ends(tmp_path):
    """SQLite's own wait sleeps in steps of up to 100 ms (after 330 ms of waiting it looks again at
    378 ms); this service's writers, threads or processes, queue on a lock file next to the
    database and are in within milliseconds of the commit before theirs."""
    import multiprocessing
    import time

    path = tmp_path / "db.gpkg"
    store = SQLiteStore(path)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    other = context.Process(target=_write_after_waiting, args=(str(path), queue))
    other.start()
    assert queue.get(timeout=60) == "ready"
    with store.transaction() as con:
        con.exec_driver_sql("INSERT INTO stadskarna_meta VALUES ('first', 'yes')")
        time.sleep(0.38)  # the other process waits for about 330 ms of it
    released = time.time()
    got = queue.get(timeout=30)
    other.join(10)
    assert store.get_meta("first") == store.get_meta("second") == "yes"
    assert 0 <= got - released < 0.05, f"the waiting writer got in {1000 * (got - released):.0f} ms after the commit"
    assert (tmp_path / "db.gpkg-lock").exists()


def test_the_published_reports_index_follows_every_change_by_any_program(tmp_path):
    import pandas as pd

    from geo.layers import REPORTS, UNPUBLISHED_CATEGORIES, validate
    from service.store import Actor, FeatureQuery

    path = tmp_path / "db.gpkg"
    store = SQLiteStore(path)
    rows = [{"id": f"r{i}", "category": category, "created_at": "2020-05-01T12:00:00Z", "lon": 12.857 + i * 1e-4,
             "lat": 56.674} for i, category in enumerate(["graffiti", "unsafe_place", "litter", "weeds"])]
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame(rows), "t"))
    public = FeatureQuery(bbox=(12.85, 56.67, 12.86, 56.68), exclude_categories=UNPUBLISHED_CATEGORIES)

    def shown() -> list[str]:
        page = store.published_page(REPORTS, public, 10)
        assert page.matched == len(page.properties)
        return [p["id"] for p in page.properties]

    assert shown() == ["r0", "r2", "r3"]
    store.change_report("r2", lambda row: {"status": "acknowledged"}, Actor("municipality"), pd.Timestamp.now(tz="UTC"))
    assert shown() == ["r0", "r2", "r3"], "a status change keeps the report in the index"
    with gdal_like_connection(path) as con:  # QGIS edits: a category becomes unpublished, a point moves away
        con.execute("UPDATE reports SET category = 'unsafe_place' WHERE id = 'r0'")
        con.execute("UPDATE reports SET category = 'graffiti' WHERE id = 'r1'")
        con.execute("UPDATE reports SET geom = (SELECT geom FROM reports WHERE id = 'r3') WHERE id = 'r2'")
        con.execute("DELETE FROM reports WHERE id = 'r3'")
    assert shown() == ["r1", "r2"]
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT count(*) FROM rtree_reports_published").fetchone()[0] == 2

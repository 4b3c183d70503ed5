"""The store contract, the same tests for every backend (``backends``/``store`` fixtures of
conftest.py): writes all or nothing, ids unique, changes checked and written in one transaction
(concurrent ones serialise), the history kept, queries that match a pandas reference on random
data, tokens, pings, notes and the data version, and 503-style refusal when another program holds
the lock."""

from __future__ import annotations

import os
import sqlite3
import threading
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from geo.errors import StateConflict
from geo.io.geojson import point_features, to_feature_collection
from geo.layers import (INCIDENTS, LIGHTS, PINGS, REPORT_CATEGORIES, REPORT_STATUSES, REPORTS,
                        UNPUBLISHED_CATEGORIES, validate, validate_record)
from geo.patrol import PresenceParts, Tracks, presence_parts
from geo.timestamps import format_utc
from geo.workflow import WORKFLOW, move
from geo.zones import read_zones
from service.store.embedded import SCHEMA_VERSION
from service.store import DATA_TOPICS, Actor, Conflict, FeatureQuery, NotFound, Unavailable, WriteResult
from tests.conftest import ZONES_FILE

STAFF = Actor("municipality", "kontrakt")
BOX = (12.850, 56.668, 12.866, 56.680)  # about the centre


def reports_frame(n: int, seed: int = 0, prefix: str = "r") -> pd.DataFrame:
    """``n`` random reports in and around the centre, over 2020, of every category and status."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2020-01-01T00:00:00Z") + pd.to_timedelta(rng.integers(0, 365 * 86400_000, n), unit="ms")
    status = rng.choice(REPORT_STATUSES, n)
    closed = [str(c + pd.Timedelta(days=3)) if s == "closed" else None for c, s in zip(created, status)]
    raw = pd.DataFrame({"id": [f"{prefix}{i}" for i in range(n)], "category": rng.choice(REPORT_CATEGORIES, n),
                        "description": [f"beskrivning {i}" if i % 5 else "" for i in range(n)],
                        "photo": [f"/api/reports/{prefix}{i}/photo" if i % 7 == 0 else None for i in range(n)],
                        "created_at": created.astype(str),
                        "status": status, "closed_at": closed, "close_reason": ["sanerat" if c else None for c in closed],
                        "source": "contract", "lon": rng.uniform(12.845, 12.871, n).round(7),
                        "lat": rng.uniform(56.665, 56.683, n).round(7)})
    return validate(REPORTS, raw, "contract")


def one_raw_report(report_id: str, category: str, lon: float, lat: float) -> dict:
    return {"id": report_id, "category": category, "created_at": "2020-05-01T10:00:00Z", "description": "Klotter på\nbänken",
            "contact": "anna@example.org", "lon": lon, "lat": lat}


def one_report(report_id: str = "x1", category: str = "graffiti", lon: float = 12.8578, lat: float = 56.6744):
    """A citizen's report as a request validates it (a record)."""
    return validate_record(REPORTS, one_raw_report(report_id, category, lon, lat), "contract")


def one_report_frame(report_id: str = "x1", category: str = "graffiti", lon: float = 12.8578, lat: float = 56.6744):
    """The same report as a file's import validates it (a frame)."""
    return validate(REPORTS, pd.DataFrame([one_raw_report(report_id, category, lon, lat)]), "contract")


# -- writes -----------------------------------------------------------------------------------

def test_writes_insert_then_update_then_leave_alone(store):
    frame = reports_frame(50)
    assert store.write_features(REPORTS, frame).inserted == 50
    assert store.write_features(REPORTS, frame).unchanged == 50
    changed = frame.assign(description=frame["description"].where(frame.index >= 5, "ändrad"))
    result = store.write_features(REPORTS, changed)
    assert (result.inserted, result.updated, result.unchanged) == (0, 5, 45)
    moved = changed.copy()
    moved.loc[7, "geometry"] = moved.geometry.iloc[8]
    assert store.write_features(REPORTS, moved).updated == 1, "a new position is a change"
    stored = store.read_features(REPORTS).set_index("id")
    assert (stored.loc["r0", "description"], stored.loc["r7"].geometry.x) == ("ändrad", moved.geometry.iloc[8].x)
    assert store.count(REPORTS) == 50 and not store.is_empty()


def test_a_write_is_all_or_nothing(store):
    def frames():
        yield validate(PINGS, pd.DataFrame({"unit_id": "fot-1", "timestamp": pd.date_range(
            "2020-03-01T10:00:00Z", periods=100, freq="s"), "mode": "foot", "lon": 12.8578, "lat": 56.6744}), "c")
        raise RuntimeError("the file broke off")
    with pytest.raises(RuntimeError):
        store.write_pings(frames())
    assert store.count(PINGS) == 0


def test_private_fields_stay_private_and_an_empty_one_keeps_the_stored_value(store):
    store.write_features(REPORTS, one_report_frame())
    assert store.read_features(REPORTS)["contact"].isna().all()
    assert store.read_features(REPORTS, include_private=True)["contact"].tolist() == ["anna@example.org"]
    store.write_features(REPORTS, one_report_frame().assign(contact=None))
    assert store.read_features(REPORTS, include_private=True)["contact"].tolist() == ["anna@example.org"]


def test_a_report_added_as_a_record_is_stored_as_its_frame_would_be(store):
    """add_report (a request's record) and write_features (a file's frame) store the same record."""
    store.add_report(one_report(lon=12.8578123), None, [], Actor("citizen"))
    frame = one_report_frame(lon=12.8578123)
    pd.testing.assert_frame_equal(pd.DataFrame(store.read_features(REPORTS, include_private=True)), pd.DataFrame(frame))
    assert store.write_features(REPORTS, frame).unchanged == 1
    assert store.report_history(["x1"])[["from_status", "to_status", "at"]].astype(object).values.tolist() == [
        [None, "open", pd.Timestamp("2020-05-01T10:00:00Z")]]


def test_every_layer_round_trips(store):
    incidents = validate(INCIDENTS, pd.DataFrame([{"id": "i1", "occurred_at": "2020-05-01T21:30:00+02:00",
                                                   "category": "rån", "lon": 12.8578, "lat": 56.6744}]), "c")
    lights = validate(LIGHTS, pd.DataFrame([{"id": "l1", "lumen": 4000, "height_m": 6, "status": "working",
                                             "lon": 12.858, "lat": 56.675}]), "c")
    for schema, frame in ((INCIDENTS, incidents), (LIGHTS, lights), (REPORTS, reports_frame(20))):
        store.write_features(schema, frame)
        pd.testing.assert_frame_equal(pd.DataFrame(store.read_features(schema, include_private=True)),
                                      pd.DataFrame(frame), check_dtype=False)


# -- changes checked in the transaction -----------------------------------------------------------

def test_concurrent_moves_serialise_and_are_kept_in_the_history(store):
    store.add_report(one_report(), None, [], Actor("citizen"))
    moves = ["acknowledged", "scheduled", "closed"] * 6
    barrier, results = threading.Barrier(len(moves)), []

    def attempt(target: str) -> None:
        barrier.wait()
        at = pd.Timestamp.now(tz="UTC")
        try:
            store.change_report("x1", lambda current: move(current["category"], current["status"], target,
                                                           "sanerat" if target == "closed" else None, at), STAFF, at)
            results.append(target)
        except (StateConflict, Unavailable) as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt, args=(target,)) for target in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    landed = [r for r in results if r in WORKFLOW]
    assert 1 <= len(landed) <= 3 and "Unavailable" not in results
    history = store.report_history(["x1"])
    assert history["to_status"].tolist() == ["open", *sorted(landed, key=WORKFLOW.index)]
    assert (history["actor_role"].iloc[1:] == "municipality").all()
    assert store.read_features(REPORTS)["status"].iloc[0] == history["to_status"].iloc[-1]
    with pytest.raises(NotFound):
        store.change_report("nope", lambda current: {}, STAFF, pd.Timestamp.now(tz="UTC"))


def test_a_removal_round_is_recorded_once(store):
    frame = reports_frame(30, prefix="g").assign(category="graffiti", status="open", close_reason=None)
    store.write_features(REPORTS, frame.assign(closed_at=frame["closed_at"].where(frame["closed_at"] < frame["closed_at"])))
    at = pd.Timestamp.now(tz="UTC")

    def close(open_reports):
        return open_reports.assign(status="closed", close_reason="removal round", closed_at=at.floor("ms"))

    barrier, results = threading.Barrier(6), []

    def attempt() -> None:
        barrier.wait()
        try:
            results.append(len(store.record_removal_round(f"round-{threading.get_ident()}", "2020-06-01", "graffiti",
                                                          ["b", "a"], close, STAFF, at)))
        except Conflict as exc:
            results.append(exc.current["id"])

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r for r in results if isinstance(r, int)) == [30], results
    assert len(store.removal_rounds()) == 1 and store.removal_rounds()["zones"].iloc[0] == ["b", "a"]
    history = store.report_history()
    assert Counter(history["to_status"])["closed"] == 30


# -- queries match pandas ---------------------------------------------------------------------

def reference(frame: pd.DataFrame, query: FeatureQuery) -> list[str]:
    keep = np.ones(len(frame), dtype=bool)
    if query.bbox is not None:
        x, y = frame.geometry.x, frame.geometry.y
        keep &= (x >= query.bbox[0]) & (x <= query.bbox[2]) & (y >= query.bbox[1]) & (y <= query.bbox[3])
    if query.start is not None:
        keep &= frame["created_at"] >= query.start
    if query.end is not None:
        keep &= frame["created_at"] < query.end
    for column, values in (("category", query.categories), ("status", query.statuses), ("id", query.ids)):
        if values is not None:
            keep &= frame[column].isin(values)
    keep &= ~frame["category"].isin(query.exclude_categories)
    if query.within is not None:
        keep &= shapely.intersects_xy(query.within, frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    chosen = frame[keep]
    if query.newest_first:
        chosen = chosen.iloc[::-1].sort_values("created_at", ascending=False, kind="stable")
    if query.oldest_first:
        chosen = chosen.sort_values("created_at", kind="stable")
    return chosen["id"].tolist()


lon = st.floats(12.845, 12.871)
lat = st.floats(56.665, 56.683)
moment = st.integers(0, 366 * 86400).map(lambda s: pd.Timestamp("2020-01-01T00:00:00Z") + pd.Timedelta(seconds=s))
subset = st.lists(st.sampled_from(REPORT_CATEGORIES), unique=True).map(tuple)
queries = st.builds(
    FeatureQuery,
    bbox=st.none() | st.tuples(lon, lat, lon, lat).map(lambda b: (min(b[0], b[2]), min(b[1], b[3]),
                                                                  max(b[0], b[2]), max(b[1], b[3]))),
    start=st.none() | moment, end=st.none() | moment, categories=st.none() | subset, exclude_categories=subset,
    statuses=st.none() | st.lists(st.sampled_from(REPORT_STATUSES), unique=True).map(tuple),
    ids=st.none() | st.lists(st.integers(0, 400).map(lambda i: f"r{i}"), max_size=20).map(tuple),
    within=st.none() | st.sampled_from(list(read_zones(ZONES_FILE).geometry)),
    newest_first=st.just(False), oldest_first=st.just(False)).flatmap(
    lambda query: st.sampled_from([query, replace(query, newest_first=True), replace(query, oldest_first=True)]))


def test_queries_match_pandas(backends):
    store = backends.open()
    frame = reports_frame(400, seed=2)
    store.write_features(REPORTS, frame)
    edges = frame.geometry.iloc[:3]  # a box whose edges pass through stored points keeps them

    @settings(max_examples=int(os.environ.get("CONTRACT_EXAMPLES", "60")), deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(query=queries, limit=st.integers(1, 50), offset=st.integers(0, 60))
    def check(query, limit, offset):
        expected = reference(frame, query)
        page = store.query_features(REPORTS, query, limit, offset)
        assert page.matched == len(expected)
        assert page.frame["id"].tolist() == expected[offset:offset + limit]
        assert store.read_features(REPORTS, query=query)["id"].tolist() == expected
        published = store.published_page(REPORTS, query, limit, offset)
        shown = page.frame.drop(columns=[f.name for f in REPORTS.fields if f.private])
        shown = shown.assign(**{f.name: format_utc(shown[f.name]) for f in REPORTS.fields if f.kind == "time"})
        assert published.matched == page.matched
        assert point_features(published.properties, published.lon, published.lat, 7) == \
            to_feature_collection(shown, decimals=7)["features"], "the page as published is the frame's GeoJSON"
        if query.bbox is not None:  # the public's page of a box (an index of its own in the embedded file)
            public = FeatureQuery(bbox=query.bbox, exclude_categories=UNPUBLISHED_CATEGORIES)
            seen, found = reference(frame, public), store.published_page(REPORTS, public, limit, offset)
            assert found.matched == len(seen) and [p["id"] for p in found.properties] == seen[offset:offset + limit]
        ids, lon_, lat_ = store.positions(REPORTS, replace(query, newest_first=False, oldest_first=False))
        in_order = reference(frame, replace(query, newest_first=False, oldest_first=False))
        assert ids == in_order
        where = frame.set_index("id").geometry.loc[in_order]
        assert lon_.tolist() == where.x.tolist() and lat_.tolist() == where.y.tolist()

    check()
    exact = FeatureQuery(bbox=(edges.x.min(), edges.y.min(), edges.x.max(), edges.y.max()))
    assert store.read_features(REPORTS, query=exact)["id"].tolist() == reference(frame, exact)
    public = replace(exact, exclude_categories=UNPUBLISHED_CATEGORIES)
    assert [p["id"] for p in store.published_page(REPORTS, public, 400).properties] == reference(frame, public)


# -- the rest of the contract -------------------------------------------------------------------

def test_reports_sent_together_share_commits_and_each_is_stored_or_refused_alone(store):
    """Citizens' reports are group-committed: of 60 sent at once, all are stored with their history,
    and one that cannot be stored (a duplicate id) fails alone."""
    store.add_report(one_report("taken"), None, [], Actor("citizen"))

    def send(i: int):
        report_id = "taken" if i == 30 else f"c{i}"
        try:
            store.add_report(one_report(report_id, lon=12.857 + i * 1e-5), ("image/png", b"png") if i % 7 == 0 else None,
                             ["taken"] if i % 2 else [], Actor("citizen"))
            return None
        except Exception as exc:  # noqa: BLE001 - the one refused, asserted below
            return exc

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(send, range(60)))
    refused = [i for i, exc in enumerate(outcomes) if exc is not None]
    assert refused == [30] and isinstance(outcomes[30], Conflict), outcomes[30]
    stored = store.read_features(REPORTS)
    assert len(stored) == 60 and set(stored["id"]) == {"taken"} | {f"c{i}" for i in range(60) if i != 30}
    history = store.report_history(stored["id"].tolist())
    assert Counter(history["report_id"]) == Counter(stored["id"]), "one history row per stored report"
    assert store.photo("c7") == ("image/png", b"png") and store.photo("c8") is None



def test_tokens(store):
    now = pd.Timestamp.now(tz="UTC").floor("ms")
    store.add_token("tok-a", "hash-a", "police", "bil 1", now + pd.Timedelta(days=1))
    record = store.token("hash-a")
    assert (record.token_id, record.role, record.label) == ("tok-a", "police", "bil 1") and record.valid_at(now)
    store.token_used("tok-a", now)
    assert store.token("hash-a").last_used_at == now
    revoked = store.revoke_token("tok-a", now)
    assert not revoked.valid_at(now) and store.revoke_token("tok-a", now + pd.Timedelta(hours=1)).revoked_at == now
    with pytest.raises(NotFound):
        store.revoke_token("tok-nope", now)
    assert [t.token_id for t in store.tokens()] == ["tok-a"] and store.token("nope") is None
    store.add_open311_client("key-hash", "Appen")
    with pytest.raises(Conflict):
        store.add_open311_client("other-hash", "Appen")
    assert store.open311_clients() == [("key-hash", "Appen")]


def test_pings_round_trip_and_merge(store):
    times = pd.date_range("2020-03-01T23:59:00Z", periods=180, freq="s")  # two UTC days
    frame = validate(PINGS, pd.DataFrame({"unit_id": "fot-1", "timestamp": times, "mode": "foot", "source": "c",
                                          "lon": np.linspace(12.85, 12.86, 180), "lat": 56.6744}), "c")
    assert store.latest_ping() is None
    assert store.write_pings(frame).inserted == 180
    assert store.latest_ping() == times[-1]
    again = store.write_pings([frame.iloc[:100], frame.iloc[90:]])
    assert (again.inserted, again.unchanged) == (0, 190)
    read = store.read_pings(times[10], times[170])
    assert len(read) == 160 and read["timestamp"].is_monotonic_increasing
    tracks = store.read_tracks(times[0], times[-1] + pd.Timedelta(seconds=1))
    assert len(tracks) == 180 and store.count(PINGS) == 180
    assert store.read_pings(unit_ids=[]).empty and len(store.read_pings(unit_ids=["fot-1"])) == 180
    assert store.records_not_from("c") == {"incidents": 0, "lights": 0, "reports": 0, "patrols": 0, "events": 0,
                                                  "cameras": 0}
    assert store.records_not_from("other")["patrols"] == 180
    after = times[-1] + pd.Timedelta(seconds=1)
    for a, b in ((0, 179), (10, 170), (0, 60), (61, 179), (5, 5)):
        assert store.count_pings(times[a], times[b]) == b - a, (a, b)
    assert store.count_pings(times[0], after) == 180 and store.count_pings(after, after + pd.Timedelta(days=1)) == 0


def test_pings_stored_in_the_earlier_zlib_format_read_count_and_merge(store):
    """A database written before the zstd columns (each column a zlib stream of the plain array)
    reads as before, and a write to such a unit-day merges into it (stored anew as zstd)."""
    times = pd.date_range("2020-03-02T08:00:00Z", periods=120, freq="s")
    t = times.as_unit("ns").asi8
    lon, lat = np.linspace(12.85, 12.86, 120), np.full(120, 56.6744)

    def old(values: np.ndarray) -> bytes:
        return zlib.compress(np.ascontiguousarray(values).tobytes(), 1)
    row = {"unit_id": "fot-1", "day_utc": int(t[0] // 86_400_000_000_000), "n": 120, "t_min": int(t[0]),
           "t_max": int(t[-1]), "sources": '["c"]', "t": old(np.diff(t, prepend=np.int64(0))), "lon": old(lon),
           "lat": old(lat), "mode": old(np.zeros(120, np.uint8)), "crew": old(np.full(120, 2, np.uint8)),
           "source": old(np.zeros(120, np.uint8))}
    with store.transaction() as con:
        con.execute(text(f"INSERT INTO patrol_ping_chunks ({', '.join(row)}) VALUES ({', '.join(':' + c for c in row)})"),
                    row)
    read = store.read_pings()
    assert read["timestamp"].tolist() == list(times) and read["lon"].tolist() == lon.tolist()
    assert set(read["mode"]) == {"foot"} and set(read["crew"]) == {2}
    tracks = store.read_tracks(times[10], times[-1])
    assert tracks.t_ns.tolist() == t[10:-1].tolist() and tracks.lon.tolist() == lon[10:-1].tolist()
    assert store.count_pings(times[0], times[60]) == 60 and store.records_not_from("other")["patrols"] == 120
    later = validate(PINGS, pd.DataFrame({"unit_id": "fot-1", "timestamp": times + pd.Timedelta(seconds=60),
                                          "mode": "foot", "source": "c", "lon": 12.86, "lat": 56.6744}), "c")
    merged = store.write_pings(later)
    assert (merged.inserted, merged.unchanged) == (60, 60)
    with store.transaction(write=False) as con:
        blob = con.execute(text("SELECT lon FROM patrol_ping_chunks WHERE unit_id = 'fot-1'")).scalar()
    assert bytes(blob[:4]) == b"\x28\xb5\x2f\xfd"  # merged and stored anew as zstd
    assert store.read_pings()["timestamp"].tolist() == list(times.union(later["timestamp"]))


def test_kept_presence_round_trips_and_its_inputs_are_not_a_change_of_the_data(store):
    times = pd.date_range("2020-03-01T23:00:00Z", periods=7200, freq="s")  # two UTC days
    frame = validate(PINGS, pd.DataFrame({"unit_id": "fot-1", "timestamp": times, "mode": "foot", "crew": 2,
                                          "lon": 12.857 + np.sin(np.arange(7200) / 300) * 1e-3, "lat": 56.6744}), "c")
    store.write_pings(frame)
    zones = read_zones(ZONES_FILE)
    parts = presence_parts(Tracks.from_pings(frame), zones)
    version = store.data_version()
    store.reset_presence("inputs-1")
    assert store.presence_inputs() == "inputs-1" and store.data_version() == version, "pages stay valid"
    missing = store.presence_missing(0, 10**6)
    assert missing["unit_id"].tolist() == ["fot-1", "fot-1"]
    for row in missing.itertuples():
        day = PresenceParts(parts.cells[parts.cells["day_utc"] == row.day_utc],
                            parts.trail[parts.trail["day_utc"] == row.day_utc])
        assert not store.put_presence("inputs-0", "fot-1", row.day_utc, row.signature, day), "other inputs"
        assert not store.put_presence("inputs-1", "fot-1", row.day_utc, "stale", day), "other pings"
        assert store.put_presence("inputs-1", "fot-1", row.day_utc, row.signature, day)
    assert store.presence_missing(0, 10**6).empty and store.data_version() == version
    cells = store.presence_cells(0, 10**6)
    assert len(cells) == len(parts.cells) and cells["presence_s"].sum() == pytest.approx(parts.cells["presence_s"].sum())
    units = {"unit_id": object}  # the store's are categorical
    pd.testing.assert_frame_equal(store.presence_trail(0, 10**6).astype(units), parts.trail.astype(units),
                                  check_dtype=False)
    assert store.presence_trail(0, int(times[0].value // 86_400e9))["day_utc"].nunique() == 1
    store.write_pings(frame.assign(timestamp=frame["timestamp"] + pd.Timedelta(milliseconds=500)).iloc[-10:])
    days = missing["day_utc"].tolist()
    assert store.presence_missing(0, 10**6)["day_utc"].tolist() == days, "the day written to and the day before"


def test_notes_statuses_photos_and_the_data_version(store):
    first = store.data_version()
    store.set_meta("note", "ett")
    store.set_meta("note", "två")
    assert store.get_meta("note") == "två" and store.get_meta("nope") is None
    assert store.data_version() > first
    before = store.data_version()
    store.add_report(one_report(), ("image/jpeg", b"\xff\xd8jpeg"), [], Actor("citizen"))
    store.add_report(one_report("x2"), None, ["x1"], Actor("citizen"))
    assert store.data_version() > before and store.photo("x1") == ("image/jpeg", b"\xff\xd8jpeg")
    assert store.photo("x2") is None
    store.add_promise_status(2020, "evenemang", "2020-06-01", "met", "julmarknad", STAFF)
    store.add_promise_status(2020, "evenemang", "2020-03-01", "behind", "inställt", STAFF)
    statuses = store.promise_statuses(2020)
    assert statuses["day"].tolist() == ["2020-03-01", "2020-06-01"] and statuses["recorded_by"].iloc[0] == "municipality"
    assert store.promise_statuses(2021).empty
    assert store.report_history(["x2"])["to_status"].tolist() == ["open"] and store.report_history([]).empty


def test_a_topic_version_changes_with_its_own_data_only(store):
    topics = ("patrols", "incidents", "reports", "meta")
    first = store.topic_versions(topics)
    store.add_report(one_report(), None, [], Actor("citizen"))
    second = store.topic_versions(topics)
    assert second[:2] == first[:2] and second[2] != first[2] and second[3] == first[3]
    store.set_meta("note", "ett")
    store.write_pings(validate(PINGS, pd.DataFrame({"unit_id": "fot-1", "timestamp": ["2020-03-01T12:00:00Z"],
                                                    "mode": "foot", "lon": 12.857, "lat": 56.674}), "c"))
    third = store.topic_versions(topics)
    assert third[0] != second[0] and third[1:3] == second[1:3] and third[3] != second[3]
    assert set(store.topic_versions(DATA_TOPICS)) and len(store.topic_versions(DATA_TOPICS)) == len(DATA_TOPICS)
    with pytest.raises(ValueError, match="unknown data topics"):
        store.topic_versions(("pings",))


def test_presence_logs_are_kept_once_per_unit_and_start_and_never_overlap(store):
    from geo.presence_log import validate_log

    def log(*rows):
        return validate_log(pd.DataFrame([dict(zip(("unit_id", "start", "end", "mode", "crew", "zone_id"), r))
                                          for r in rows], dtype=object), ["torg", "park"], "logg.csv")

    first = log(("fot-1", "2020-05-08T20:00:00Z", "2020-05-08T22:00:00Z", "foot", "2", "torg"),
                ("bil-1", "2020-05-08T21:00:00Z", "2020-05-08T21:30:00Z", "car", "", "park"))
    before = store.topic_versions(("patrols", "reports"))
    assert store.write_presence_log(first) == WriteResult(inserted=2)
    after = store.topic_versions(("patrols", "reports"))
    assert after[0] != before[0] and after[1] == before[1], "a log is a change of the patrols"
    assert store.write_presence_log(first) == WriteResult(unchanged=2)
    corrected = log(("fot-1", "2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z", "foot", "3", "torg"))
    assert store.write_presence_log(corrected) == WriteResult(updated=1)
    with pytest.raises(Conflict, match="the log row of fot-1 from 2020-05-08T20:30:00.000Z to .* overlaps the stored "
                                       "row from 2020-05-08T20:00:00.000Z to 2020-05-08T21:00:00.000Z"):
        store.write_presence_log(log(("fot-1", "2020-05-08T23:00:00Z", "2020-05-09T00:00:00Z", "foot", "2", "torg"),
                                     ("fot-1", "2020-05-08T20:30:00Z", "2020-05-08T20:45:00Z", "foot", "2", "torg")))
    stored = store.read_presence_log(pd.Timestamp("2020-05-08T20:59:00Z"), pd.Timestamp("2020-05-09T00:00:00Z"))
    assert stored[["unit_id", "crew", "zone_id", "source"]].values.tolist() == [
        ["bil-1", 1, "park", "logg.csv"], ["fot-1", 3, "torg", "logg.csv"]], "nothing of the refused write is stored"
    assert stored["end"].tolist() == [pd.Timestamp("2020-05-08T21:30:00Z"), pd.Timestamp("2020-05-08T21:00:00Z")]
    assert store.read_presence_log(pd.Timestamp("2020-05-08T21:30:00Z"), pd.Timestamp("2020-05-09T00:00:00Z")).empty


def test_surfaces_are_replaced_as_a_set_and_change_the_lights_topic(store):
    import geopandas as gpd
    import shapely

    from geo.surfaces import validate_surfaces

    blocks = validate_surfaces("buildings", gpd.GeoDataFrame(
        {"height_m": [12.0, None]}, geometry=[shapely.box(374000, 6284000, 374030, 6284020),
                                              shapely.Polygon([(374040, 6284000), (374060, 6284000), (374050, 6284015)])],
        crs="EPSG:3006"), "kvarter.gpkg")
    assert store.read_surfaces("buildings").empty
    before = store.topic_versions(("lights", "reports"))
    assert store.replace_surfaces("buildings", blocks, "kvarter.gpkg") == WriteResult(inserted=2)
    after = store.topic_versions(("lights", "reports"))
    assert after[0] != before[0] and after[1] == before[1], "buildings shape the lit surface"
    stored = store.read_surfaces("buildings")
    assert stored.crs == "EPSG:4326" and stored["source"].tolist() == ["kvarter.gpkg"] * 2
    assert stored["height_m"].iloc[0] == 12.0 and np.isnan(stored["height_m"].iloc[1])
    assert shapely.equals_exact(stored.geometry.to_numpy(), blocks.geometry.to_numpy(), tolerance=0).all()
    assert store.read_surfaces("water").empty, "kinds are kept apart"
    assert store.replace_surfaces("buildings", blocks.iloc[:1], "nytt.gpkg") == WriteResult(inserted=1, deleted=2)
    assert store.read_surfaces("buildings")["source"].tolist() == ["nytt.gpkg"]


def test_surfaces_replaced_at_once_leave_one_whole_set(store):
    import geopandas as gpd
    import shapely

    from geo.surfaces import validate_surfaces

    def blocks(n: int) -> gpd.GeoDataFrame:
        boxes = [shapely.box(374000 + 40 * i, 6284000, 374030 + 40 * i, 6284020) for i in range(n)]
        return validate_surfaces("buildings", gpd.GeoDataFrame({"height_m": [10.0] * n}, geometry=boxes,
                                                                crs="EPSG:3006"), f"{n}.gpkg")

    sets = [blocks(n) for n in (3, 4, 5, 6)]
    barrier = threading.Barrier(len(sets))

    def write(frame):
        barrier.wait()
        return store.replace_surfaces("buildings", frame, f"{len(frame)}.gpkg")

    with ThreadPoolExecutor(len(sets)) as pool:
        results = list(pool.map(write, sets))
    stored = store.read_surfaces("buildings")
    assert len(set(stored["source"])) == 1 and len(stored) == int(stored["source"].iloc[0].split(".")[0]), \
        "one import's whole set, not a mixture"
    assert all(r.inserted in (3, 4, 5, 6) for r in results)


def test_overlapping_presence_logs_written_at_once_store_one(store):
    from geo.presence_log import validate_log

    def log(start: str, end: str):
        return validate_log(pd.DataFrame([{"unit_id": "fot-1", "start": start, "end": end, "mode": "foot",
                                           "zone_id": "torg"}], dtype=object), ["torg"], "logg.csv")

    logs = [log(f"2020-05-08T20:{m:02d}:00Z", f"2020-05-08T21:{m:02d}:00Z") for m in range(0, 40, 5)]
    barrier = threading.Barrier(len(logs))

    def write(frame):
        barrier.wait()
        try:
            return store.write_presence_log(frame).inserted
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(len(logs)) as pool:
        outcomes = Counter(pool.map(write, logs))
    assert outcomes == {1: 1, "conflict": len(logs) - 1}, outcomes
    stored = store.read_presence_log(pd.Timestamp("2020-05-08", tz="UTC"), pd.Timestamp("2020-05-09", tz="UTC"))
    assert len(stored) == 1


def test_a_write_waits_for_another_programs_lock_then_gives_up(backends):
    store = backends.open(busy_timeout_s=0.3)
    store.add_report(one_report(), None, [], Actor("citizen"))
    if backends.kind == "geopackage":
        holder = sqlite3.connect(store.path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        release = holder
    else:
        import psycopg

        from tests.store.conftest import postgis_url
        holder = psycopg.connect(postgis_url().replace("postgresql://", "postgresql://", 1))
        holder.execute(f'SET search_path = "{backends.schemas[-1]}", public')
        holder.execute("LOCK TABLE reports IN EXCLUSIVE MODE")  # writes wait, reads do not
        release = holder
    try:
        assert store.read_features(REPORTS)["id"].tolist() == ["x1"], "reads never wait for a writer"
        with pytest.raises(Unavailable) as refused:
            store.add_report(one_report("x2"), None, [], Actor("citizen"))
        assert refused.value.retry_after_s >= 1
    finally:
        release.rollback() if backends.kind == "postgis" else release.execute("ROLLBACK")
        release.close()
    assert store.count(REPORTS) == 1
    store.add_report(one_report("x2"), None, [], Actor("citizen"))
    assert store.count(REPORTS) == 2


def lamp_rows(*lamps: tuple) -> pd.DataFrame:
    """Lamps (id, status, updated_at) near Stora Torg."""
    return validate(LIGHTS, pd.DataFrame([{"id": i, "lumen": 8000, "height_m": 6, "status": s, "updated_at": u,
                                           "lon": 12.8578 + k * 1e-4, "lat": 56.6744}
                                          for k, (i, s, u) in enumerate(lamps)]), "test")


def test_each_change_of_a_lamps_status_is_a_row_with_who_and_when(store):
    register = Actor("import", "belysning-2020.csv")
    before = store.topic_versions(("lights", "reports"))
    store.write_features(LIGHTS, lamp_rows(("a", "working", None), ("b", "broken", "2020-06-15T08:00:00+02:00"),
                                           ("c", "planned", None)), register)
    history = store.light_history()
    assert history["light_id"].tolist() == ["a", "b", "c"] and history["from_status"].isna().all()
    assert history["to_status"].tolist() == ["working", "broken", "planned"]
    assert history["at"].iloc[1] == pd.Timestamp("2020-06-15T06:00:00Z"), "dated by the register's updated_at"
    recorded = history["recorded_at"]
    assert ((pd.Timestamp.now(tz="UTC") - recorded).dt.total_seconds().between(0, 60)).all()
    assert history["at"].iloc[0] == recorded.iloc[0], "no date given: dated when it was loaded"
    assert set(zip(history["actor_role"], history["actor_label"])) == {("import", "belysning-2020.csv")}
    after = store.topic_versions(("lights", "reports"))
    assert after[0] != before[0] and after[1] == before[1]

    store.write_features(LIGHTS, lamp_rows(("a", "working", None), ("b", "broken", "2020-06-15T08:00:00+02:00"),
                                           ("c", "planned", None)), register)
    assert len(store.light_history()) == 3, "loading the same register again changes nothing"

    store.write_features(LIGHTS, lamp_rows(("a", "broken", "2021-02-01T10:00:00+01:00"), ("b", "working", None),
                                           ("c", "planned", "2021-03-01T10:00:00+01:00")), Actor("import", "2021.csv"))
    changes = store.light_history(["a", "b", "c"]).iloc[3:]
    assert list(zip(changes["light_id"], changes["from_status"], changes["to_status"])) == [
        ("a", "working", "broken"), ("b", "broken", "working")], "a new updated_at alone is no change of status"
    assert changes["at"].iloc[0] == pd.Timestamp("2021-02-01T09:00:00Z") and set(changes["actor_label"]) == {"2021.csv"}
    assert store.light_history(["b"])["to_status"].tolist() == ["broken", "working"]
    assert store.light_history([]).empty and list(store.light_history([]).columns) == list(history.columns)


def test_lamps_changed_by_imports_at_once_are_recorded_once(backends):
    first = backends.open()
    first.write_features(LIGHTS, lamp_rows(*[(f"l{k}", "working", None) for k in range(40)]))
    broken = lamp_rows(*[(f"l{k}", "broken", "2021-01-05T10:00:00+01:00") for k in range(40)])
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: first.write_features(LIGHTS, broken), range(4)))
    history = first.light_history()
    assert len(history) == 80 and (history.iloc[40:]["from_status"] == "working").all(), \
        "each lamp went from working to broken once"


def test_lamps_stored_before_the_history_was_kept_get_their_first_row(backends, monkeypatch):
    import service.store.sql as sql

    with monkeypatch.context() as old_program:  # the program of schema 16, which kept no history
        old_program.setattr(sql, "SCHEMA_VERSION", 16)
        old_program.setattr(sql.SQLStore, "_record_light_events", lambda *args: None)
        old = backends.open(name="before_history")
        old.write_features(LIGHTS, lamp_rows(("a", "working", None), ("b", "broken", "2020-06-15T08:00:00+02:00")))
        assert old.schema_version() == 16
        old.close()
    store = backends.open(name="before_history")
    history = store.light_history()
    assert store.schema_version() == SCHEMA_VERSION and history["light_id"].tolist() == ["a", "b"]
    assert history["from_status"].isna().all() and history["to_status"].tolist() == ["working", "broken"]
    assert history["at"].iloc[1] == pd.Timestamp("2020-06-15T06:00:00Z"), "dated by updated_at"
    assert (pd.Timestamp.now(tz="UTC") - history["at"].iloc[0]).total_seconds() < 60, "else by the upgrade"
    assert history["note"].tolist() == ["recorded before the history was kept"] * 2


# -- Open311: a report's answers, its reporter's name and device (schema 18) ------------------------

OPEN311_FIELDS = {"attributes": '{"surface":"bro"}', "first_name": "Anna", "last_name": "Ek", "device_id": "telefon-1"}
REPORTER = ("contact", "first_name", "last_name", "device_id")


def test_a_reports_answers_are_public_and_its_reporters_name_and_device_private(store):
    raw = one_raw_report("x1", "graffiti", 12.8578, 56.6744) | OPEN311_FIELDS
    store.add_report(validate_record(REPORTS, raw, "contract"), None, [], Actor("open311"))
    public = store.read_features(REPORTS).iloc[0]
    assert public["attributes"] == '{"surface":"bro"}' and public[list(REPORTER)].isna().all()
    [shown] = store.published_page(REPORTS, FeatureQuery(), 10).properties
    assert not set(REPORTER) & set(shown) and shown["attributes"] == '{"surface":"bro"}'
    private = store.read_features(REPORTS, include_private=True).iloc[0]
    assert private[list(REPORTER)].tolist() == ["anna@example.org", "Anna", "Ek", "telefon-1"]
    again = validate(REPORTS, pd.DataFrame([raw | {name: None for name in REPORTER}]), "a file without them")
    assert store.write_features(REPORTS, again).unchanged == 1, "a file without the private fields keeps them"
    assert store.read_features(REPORTS, include_private=True).iloc[0][list(REPORTER)].tolist() == private[
        list(REPORTER)].tolist()


def test_reports_stored_before_schema_18_keep_their_contact_and_gain_the_new_fields(backends, monkeypatch):
    import service.store.sql as sql

    before = replace(REPORTS, fields=tuple(f for f in REPORTS.fields if f.name not in OPEN311_FIELDS))
    with monkeypatch.context() as old_program:  # the program of schema 17, whose reports had neither
        old_program.setattr(sql, "SCHEMA_VERSION", 17)
        old_program.setattr(sql, "REPORTS", before)
        old = backends.open(name="before_open311_fields")
        old.add_report(one_report(), None, [], Actor("citizen"))
        assert old.schema_version() == 17
        old.close()
    store = backends.open(name="before_open311_fields")
    assert store.schema_version() == SCHEMA_VERSION >= 18
    [kept] = store.read_features(REPORTS, include_private=True).to_dict("records")
    assert kept["contact"] == "anna@example.org" and all(kept[name] is None or pd.isna(kept[name])
                                                          for name in OPEN311_FIELDS)
    store.add_report(validate_record(REPORTS, one_raw_report("x2", "graffiti", 12.8578, 56.6744) | OPEN311_FIELDS,
                                     "contract"), None, [], Actor("open311"))
    newer = store.read_features(REPORTS, include_private=True).set_index("id").loc["x2"]
    assert {name: newer[name] for name in OPEN311_FIELDS} == OPEN311_FIELDS

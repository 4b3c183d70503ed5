"""The cameras layer in both backends (schema 25): stored like the other point layers, its own
data topic, queried by box, and added to a database of an earlier schema without touching its data."""

from __future__ import annotations

import pandas as pd

from geo.layers import CAMERAS, INCIDENTS, validate
from service.store import FeatureQuery
from service.store.embedded import SCHEMA_VERSION


def cameras_frame(*rows: tuple[str, str, float, float]) -> pd.DataFrame:
    return validate(CAMERAS, pd.DataFrame([
        {"id": camera_id, "name": f"Kamera {camera_id}", "height_m": 6, "direction_deg": 90, "fov_deg": 80,
         "range_m": 60, "status": status, "decided_at": "2020-09-15T10:00:00+02:00", "source": "contract",
         "lon": lon, "lat": lat} for camera_id, status, lon, lat in rows]), "contract")


def test_cameras_round_trip_and_change_their_own_topic_only(store):
    frame = cameras_frame(("k1", "proposed", 12.8572, 56.6740), ("k2", "installed", 12.8640, 56.6700))
    before = store.topic_versions(("cameras", "incidents", "lights"))
    assert store.write_features(CAMERAS, frame).inserted == 2
    after = store.topic_versions(("cameras", "incidents", "lights"))
    assert after[0] != before[0] and after[1:] == before[1:]
    pd.testing.assert_frame_equal(pd.DataFrame(store.read_features(CAMERAS)), pd.DataFrame(frame), check_dtype=False)
    moved = cameras_frame(("k1", "permitted", 12.8572, 56.6740))
    assert store.write_features(CAMERAS, moved).updated == 1
    assert store.read_features(CAMERAS).set_index("id").loc["k1", "status"] == "permitted"
    assert store.count(CAMERAS) == 2 and not store.is_empty()
    page = store.query_features(CAMERAS, FeatureQuery(bbox=(12.860, 56.668, 12.866, 56.672)), 10)
    assert page.frame["id"].tolist() == ["k2"] and page.matched == 1


def test_a_database_of_schema_24_gains_the_cameras_and_keeps_its_data(backends, monkeypatch):
    import service.store.sql as sql

    incident = validate(INCIDENTS, pd.DataFrame([{"id": "i1", "occurred_at": "2020-05-01T21:30:00+02:00",
                                                  "category": "rån", "lon": 12.8578, "lat": 56.6744}]), "c")
    with monkeypatch.context() as old_program:
        old_program.setattr(sql, "SCHEMA_VERSION", 24)
        old = backends.open(name="before_cameras")
        old.write_features(INCIDENTS, incident)
        assert old.schema_version() == 24
        old.close()
    store = backends.open(name="before_cameras")
    assert store.schema_version() == SCHEMA_VERSION >= 25
    assert store.read_features(INCIDENTS)["id"].tolist() == ["i1"]
    store.write_features(CAMERAS, cameras_frame(("k1", "proposed", 12.8572, 56.6740)))
    assert store.count(CAMERAS) == 1
    assert len(store.topic_versions(("cameras", "incidents"))) == 2

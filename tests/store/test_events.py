"""The events layer in the store, for every backend: events and their areas round-trip, an area
changed alone is an update, a new event is added once (409 for its id again) and removed with its
area, the layer's box queries use its index, and its changes are the ``events`` topic's own."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from geo.layers import AREA, EVENTS, validate
from service.store import Actor, Conflict, FeatureQuery, NotFound
from service.store.embedded import SCHEMA_VERSION

SQUARE = "POLYGON ((12.8570 56.6740, 12.8590 56.6740, 12.8590 56.6750, 12.8570 56.6750, 12.8570 56.6740))"
STAFF = Actor("municipality", "kontrakt")


def events(*areas: str | None) -> pd.DataFrame:
    """One event per area given (None: a point only), an evening each in May 2020."""
    raw = pd.DataFrame([{"id": f"e{i}", "name": f"Evenemang {i}", "starts_at": f"2020-05-{i + 1:02d}T18:00",
                         "ends_at": f"2020-05-{i + 1:02d}T23:30", "kind": "concert", "expected_visitors": 500 + i,
                         "organiser": "Kommunen", "lon": 12.858 + i / 1000, "lat": 56.6745, AREA: area}
                        for i, area in enumerate(areas)])
    return validate(EVENTS, raw, "kontrakt")


def test_events_and_their_areas_round_trip_and_an_area_changed_alone_is_an_update(store):
    frame = events(SQUARE, None, None)
    assert store.write_features(EVENTS, frame).inserted == 3
    stored = store.read_features(EVENTS).sort_values("id").reset_index(drop=True)
    assert shapely.equals(stored[AREA].iloc[0], shapely.from_wkt(SQUARE)) and stored[AREA].iloc[1:].isna().all()
    pd.testing.assert_frame_equal(pd.DataFrame(stored.drop(columns=AREA)), pd.DataFrame(frame.drop(columns=AREA)),
                                  check_dtype=False)
    assert store.write_features(EVENTS, frame).unchanged == 3
    reshaped = frame.assign(**{AREA: [None, shapely.from_wkt(SQUARE), None]})
    result = store.write_features(EVENTS, reshaped)
    assert (result.inserted, result.updated, result.unchanged) == (0, 2, 1)
    assert list(store.event_areas(["e0", "e1", "e2"])) == ["e1"]
    assert store.count(EVENTS) == 3


def test_an_event_is_added_once_and_removed_with_its_area(store):
    store.add_event(events(SQUARE), STAFF)
    with pytest.raises(Conflict) as refused:
        store.add_event(events(None), STAFF)
    assert refused.value.current == {"id": "e0", "name": "Evenemang 0"}
    assert list(store.event_areas(["e0"])) == ["e0"]
    store.remove_event("e0")
    assert store.count(EVENTS) == 0 and store.event_areas(["e0"]) == {}
    with pytest.raises(NotFound):
        store.remove_event("e0")


def test_events_are_found_by_box_and_time_and_paged(store):
    store.write_features(EVENTS, events(None, None, SQUARE))  # the third placed inside its area, west of the second
    box = store.query_features(EVENTS, FeatureQuery(bbox=(12.8585, 56.674, 12.8605, 56.675)), limit=1)
    assert box.matched == 1 and box.frame["id"].tolist() == ["e1"] and AREA in box.frame
    square = store.query_features(EVENTS, FeatureQuery(bbox=(12.857, 56.674, 12.8595, 56.675)), limit=10)
    assert sorted(square.frame["id"]) == ["e0", "e1", "e2"] and square.frame.set_index("id")[AREA]["e2"] is not None
    may = store.read_features(EVENTS, query=FeatureQuery(start=pd.Timestamp("2020-05-02T00:00", tz="Europe/Stockholm")))
    assert sorted(may["id"]) == ["e1", "e2"]
    page = store.published_page(EVENTS, FeatureQuery(), limit=10)
    assert page.matched == 3 and {p["id"] for p in page.properties} == {"e0", "e1", "e2"}


def test_the_events_topic_changes_with_events_and_their_areas_only(store):
    before = store.topic_versions(("events", "reports"))
    store.write_features(EVENTS, events(None))
    after = store.topic_versions(("events", "reports"))
    assert after[0] != before[0] and after[1] == before[1]
    store.write_features(EVENTS, events(SQUARE))
    assert store.topic_versions(("events",))[0] != after[0]


def test_a_database_of_the_schema_before_gains_the_events_layer(backends, monkeypatch):
    import service.store.sql as sql

    with monkeypatch.context() as old_program:
        old_program.setattr(sql, "SCHEMA_VERSION", SCHEMA_VERSION - 1)
        old = backends.open(name="before_events")
        assert old.schema_version() == SCHEMA_VERSION - 1
        old.close()
    store = backends.open(name="before_events")
    assert store.schema_version() == SCHEMA_VERSION
    store.write_features(EVENTS, events(SQUARE))
    assert store.count(EVENTS) == 1 and store.records_not_from("unknown")["events"] == 0

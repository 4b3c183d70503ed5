"""The store contract of moderation (both backends): a report's text and photo hidden, restored,
held and released with a row of its moderation history each, checked and written in one
transaction; withheld text and photos read as private data (only ``include_private`` sees them),
and nothing a public reading leaves out is lost by a change or an import written back."""

from __future__ import annotations

import threading
from dataclasses import replace

import pandas as pd
import pytest

from geo.errors import StateConflict
from geo.layers import REPORTS
from geo.moderation import Moderation, moderate
from geo.workflow import move
from service.store import Actor, FeatureQuery, NotFound
from service.store.embedded import SCHEMA_VERSION
from tests.store.test_contract import STAFF, one_report

T0 = pd.Timestamp("2020-05-02T08:00:00Z")
PHOTO = "https://bilder.example.org/klotter.jpg"


def with_photo(report_id: str = "x1"):
    report = one_report(report_id)
    return replace(report, values=report.values | {"photo": PHOTO})


def act(store, action: str, report_id: str = "x1", reason: str = "personuppgifter", at: pd.Timestamp = T0):
    return store.moderate_report(report_id, action, lambda current, has_photo: moderate(action, current, has_photo),
                                 reason, STAFF, at)


def public(store, report_id: str = "x1") -> pd.Series:
    return store.read_features(REPORTS, query=FeatureQuery(ids=(report_id,))).iloc[0]


def test_hidden_text_and_photo_read_as_private_until_restored(store):
    store.add_report(with_photo(), None, [], Actor("citizen"))
    assert store.moderation("x1") == Moderation()
    assert act(store, "hide_text") == Moderation(text_hidden=True)
    assert act(store, "hide_photo", at=T0 + pd.Timedelta(minutes=1)) == Moderation(text_hidden=True, photo_hidden=True)
    shown = public(store)
    assert shown["description"] == "" and pd.isna(shown["photo"])
    page = store.published_page(REPORTS, FeatureQuery(), 10)
    assert (page.properties[0]["description"], page.properties[0]["photo"]) == ("", None)
    assert store.query_features(REPORTS, FeatureQuery(), 10).frame.iloc[0]["description"] == ""
    staff = store.read_features(REPORTS, include_private=True, query=FeatureQuery(ids=("x1",))).iloc[0]
    assert (staff["description"], staff["photo"]) == ("Klotter på\nbänken", PHOTO)
    act(store, "restore_text", reason="granskad, inget känsligt")
    act(store, "restore_photo", reason="granskad")
    assert (public(store)["description"], public(store)["photo"]) == ("Klotter på\nbänken", PHOTO)
    history = store.moderation_history(["x1"])
    assert history[["action", "reason", "actor_role", "actor_label"]].values.tolist() == [
        ["hide_text", "personuppgifter", "municipality", "kontrakt"],
        ["hide_photo", "personuppgifter", "municipality", "kontrakt"],
        ["restore_text", "granskad, inget känsligt", "municipality", "kontrakt"],
        ["restore_photo", "granskad", "municipality", "kontrakt"]]
    assert history["at"].iloc[1] == T0 + pd.Timedelta(minutes=1)
    assert store.report_history(["x1"])["to_status"].tolist() == ["open"], "the status history has no moderation"


def test_a_held_text_is_private_until_released_and_the_hold_is_in_the_history(store):
    store.add_report(one_report("x1"), None, [], Actor("citizen"), held="granskas: länk i texten (example.se)")
    store.add_report(one_report("x2"), None, [], Actor("citizen"))
    assert store.moderation("x1") == Moderation(text_held=True) and store.held_reports() == ["x1"]
    assert public(store, "x1")["description"] == "" and public(store, "x2")["description"] == "Klotter på\nbänken"
    [hold] = store.moderation_history(["x1"]).to_dict("records")
    assert (hold["action"], hold["actor_role"], hold["reason"]) == (
        "hold_text", "moderation", "granskas: länk i texten (example.se)")
    act(store, "release_text", reason="länken är till kommunens sida")
    assert store.held_reports() == [] and public(store, "x1")["description"] == "Klotter på\nbänken"


def test_an_action_the_state_does_not_allow_writes_nothing(store):
    store.add_report(one_report(), None, [], Actor("citizen"))
    act(store, "hide_text")
    for action in ("hide_text", "restore_photo", "release_text", "hide_photo"):
        with pytest.raises(StateConflict) as refused:
            act(store, action)
        assert refused.value.current == {"text_hidden": True, "photo_hidden": False, "text_held": False,
                                         "has_photo": False}
    assert store.moderation_history(["x1"])["action"].tolist() == ["hide_text"]
    with pytest.raises(NotFound):
        act(store, "hide_text", report_id="nobody")


def test_of_concurrent_hides_exactly_one_lands(backends):
    store = backends.open()
    store.add_report(one_report(), None, [], Actor("citizen"))
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def hide() -> None:
        barrier.wait()
        try:
            act(store, "hide_text")
            outcomes.append("hidden")
        except StateConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=hide) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["hidden"]
    assert store.moderation_history(["x1"])["action"].tolist() == ["hide_text"]


def test_a_status_change_and_an_import_of_the_public_copy_keep_withheld_text_and_photo(store):
    store.add_report(with_photo(), None, [], Actor("citizen"))
    act(store, "hide_text")
    act(store, "hide_photo")
    store.change_report("x1", lambda current: move(current["category"], current["status"], "closed", "sanerat", T0),
                        STAFF, T0)
    exported = store.read_features(REPORTS)  # as an export without private fields writes it
    assert store.write_features(REPORTS, exported).unchanged == 1
    act(store, "restore_text")
    act(store, "restore_photo")
    shown = public(store)
    assert (shown["description"], shown["photo"], shown["status"]) == ("Klotter på\nbänken", PHOTO, "closed")


def test_reports_stored_before_moderation_are_shown_and_can_be_moderated(backends, monkeypatch):
    import service.store.sql as sql

    with monkeypatch.context() as old_program:  # the program of schema 20: no moderation
        old_program.setattr(sql, "SCHEMA_VERSION", 20)
        old = backends.open(name="before_moderation")
        old.add_report(one_report(), None, [], Actor("citizen"))
        old.close()
    store = backends.open(name="before_moderation")
    assert store.schema_version() == SCHEMA_VERSION
    assert store.moderation("x1") == Moderation() and public(store)["description"] == "Klotter på\nbänken"
    act(store, "hide_text")
    assert public(store)["description"] == ""

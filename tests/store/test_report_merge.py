"""The store contract of merging a duplicate report into another (both backends): one transaction
that closes the duplicate, writes both history rows, carries its supporters and its reporter's
subscription to the kept report (the reporter then hears of the kept one, not "closed" of the
duplicate), and refuses with nothing written."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from geo.errors import StateConflict, ValidationError
from geo.workflow import merge, move
from geo.layers import REPORTS
from service.store import Actor, FeatureQuery, Listeners, NotFound, Unavailable
from tests.store.test_contract import STAFF, one_report

T0 = pd.Timestamp("2020-05-02T08:00:00Z")
NOTES = ("dubblett av k", "dubbletten d har slagits ihop med denna")


def merged(store, duplicate: str = "d", into: str = "k", at: pd.Timestamp = T0):
    return store.merge_reports(duplicate, into, lambda dup, kept: merge(dup, kept, at), STAFF, at, NOTES)


def moved(store, report_id: str, status: str, at: pd.Timestamp) -> None:
    reason = "sanerat" if status == "closed" else None
    store.change_report(report_id, lambda current: move(current["category"], current["status"], status, reason, at),
                        STAFF, at)


@pytest.fixture
def pair(store):
    """A kept report ``k`` and its duplicate ``d``, each reporter subscribed, ``d`` supported twice."""
    for report_id in ("k", "d"):
        store.add_report(one_report(report_id), None, [], Actor("citizen"), mail_token=f"token-{report_id}")
    store.support_report("d")
    store.support_report("d")
    store.support_report("k")
    for mail in store.claim_mail(T0, 60.0):  # the receipts: out of the way
        store.mail_sent(mail.mail_id, T0)
    return store


def test_a_merge_closes_the_duplicate_and_writes_both_histories(pair):
    closed = merged(pair)
    assert closed.iloc[0][["id", "status", "close_reason"]].tolist() == ["d", "closed", "dubblett av k"]
    history = pair.report_history(["d", "k"]).iloc[2:]  # after the two reports' first rows
    assert history[["report_id", "from_status", "to_status", "actor_role", "note"]].values.tolist() == [
        ["d", "open", "closed", "municipality", NOTES[0]], ["k", "open", "open", "municipality", NOTES[1]]]
    assert pair.read_features(REPORTS, query=FeatureQuery(ids=("k",)))["status"].tolist() == ["open"]


def test_a_merge_carries_the_supporters_and_the_reporter(pair):
    merged(pair)
    assert pair.supporters(["d", "k"]) == {"k": 1 + 2 + 1}, "k's own, d's two, and d's reporter"


def test_the_duplicates_reporter_hears_of_the_kept_report_and_not_of_the_merge(pair):
    merged(pair)
    assert pair.claim_mail(T0 + pd.Timedelta(minutes=5), 60.0) == [], "no 'closed' mail about a duplicate"
    assert pair.listeners(["k", "d"]) == {"k": Listeners(reporter=True, carried=1)}
    moved(pair, "k", "closed", T0 + pd.Timedelta(hours=1))
    mails = pair.claim_mail(T0 + pd.Timedelta(hours=2), 60.0)
    assert sorted((m.report_id, m.about, m.kind, m.token) for m in mails) == [
        ("d", "k", "closed", "token-d"), ("k", None, "closed", "token-k")]


def test_a_chain_of_merges_carries_the_subscriptions_on(pair):
    pair.add_report(one_report("z"), None, [], Actor("citizen"))
    merged(pair)
    merged(pair, "k", "z")
    assert pair.listeners(["z"]) == {"z": Listeners(reporter=False, carried=2)}
    assert pair.supporters(["z"]) == {"z": 4 + 1}


def test_an_unsubscribed_reporter_is_not_carried(pair):
    pair.unsubscribe("token-d", T0)
    merged(pair)
    assert pair.listeners(["k"]) == {"k": Listeners(reporter=True, carried=0)}


@pytest.mark.parametrize("closed", ["d", "k"])
def test_a_closed_report_is_not_merged_and_nothing_is_written(pair, closed):
    moved(pair, closed, "closed", T0)
    before = (pair.report_history(), pair.supporters(["d", "k"]), pair.listeners(["d", "k"]))
    with pytest.raises(StateConflict) as refused:
        merged(pair)
    assert refused.value.current == {"id": closed, "status": "closed"}
    after = (pair.report_history(), pair.supporters(["d", "k"]), pair.listeners(["d", "k"]))
    assert before[0].equals(after[0]) and before[1:] == after[1:]


def test_merging_twice_is_a_conflict(pair):
    merged(pair)
    with pytest.raises(StateConflict):
        merged(pair)


def test_a_merge_across_categories_or_of_unsafe_places_is_refused(store):
    store.add_report(one_report("g", "graffiti"), None, [], Actor("citizen"))
    store.add_report(one_report("w", "weeds"), None, [], Actor("citizen"))
    store.add_report(one_report("u", "unsafe_place"), None, [], Actor("citizen"))
    store.add_report(one_report("u2", "unsafe_place"), None, [], Actor("citizen"))
    for duplicate, into in (("g", "w"), ("u", "u2"), ("g", "g")):
        with pytest.raises(ValidationError):
            merged(store, duplicate, into)
    assert store.report_history()["to_status"].tolist() == ["open"] * 4


def test_an_unknown_report_is_not_found(pair):
    with pytest.raises(NotFound):
        merged(pair, "d", "nope")


def test_concurrent_merges_and_moves_serialise(pair):
    """Merges of ``d`` into ``k`` and of ``k`` into ``d``, and closings of each, all at once: the
    first to take the rows lands, the others see its result (409), and the counts add up once."""
    attempts = [("merge", "d", "k"), ("merge", "k", "d"), ("close", "d", None), ("close", "k", None)] * 3
    barrier, results = threading.Barrier(len(attempts)), []

    def attempt(kind: str, first: str, second: str | None) -> None:
        barrier.wait()
        at = pd.Timestamp.now(tz="UTC")
        try:
            if kind == "merge":
                merged(pair, first, second, at)
            else:
                moved(pair, first, "closed", at)
            results.append((kind, first))
        except (StateConflict, Unavailable) as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt, args=args) for args in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "Unavailable" not in results
    landed = [r for r in results if r != "StateConflict"]
    merges = [r for r in landed if r[0] == "merge"]
    assert len(merges) <= 1 and len(landed) <= 2
    status = dict(zip(*pair.read_features(REPORTS)[["id", "status"]].T.values))
    if merges:  # one merge, and at most the kept report's closing after it
        duplicate = merges[0][1]
        kept = "k" if duplicate == "d" else "d"
        assert status[duplicate] == "closed" and pair.supporters(["d", "k"]) == {kept: 4}
    else:  # the first closing shut every merge out
        assert pair.supporters(["d", "k"]) == {"d": 2, "k": 1}
    assert len(pair.report_history()) == 2 + len(landed) + len(merges), "one row per landed change, two per merge"

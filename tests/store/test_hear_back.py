"""The store contract of citizens hearing back (both backends): the receipt and the status mails are
queued in the same transaction as the change they tell of, claimed once, kept until sent, and
dropped when the citizen unsubscribes; support of open, published reports is counted."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from geo.errors import StateConflict
from geo.workflow import move
from service.store import Actor, Conflict, NotFound
from service.store.embedded import SCHEMA_VERSION
from tests.store.test_contract import STAFF, one_report

T0 = pd.Timestamp("2020-05-02T08:00:00Z")
LEASE_S = 60.0


def subscribed(store, report_id: str = "x1", category: str = "graffiti") -> None:
    store.add_report(one_report(report_id, category), None, [], Actor("citizen"), mail_token=f"token-{report_id}")


def moved(store, status: str, report_id: str = "x1", at: pd.Timestamp = T0) -> None:
    reason = "sanerat" if status == "closed" else None
    store.change_report(report_id, lambda current: move(current["category"], current["status"], status, reason, at),
                        STAFF, at)


def test_a_subscribed_report_queues_its_receipt_and_the_told_statuses(store):
    subscribed(store)
    store.add_report(one_report("x2"), None, [], Actor("citizen"))  # no address given: no subscription
    moved(store, "acknowledged")  # not told: only scheduled and closed are
    moved(store, "scheduled")
    moved(store, "scheduled", "x2")
    moved(store, "closed", at=T0 + pd.Timedelta(hours=1))
    claimed = store.claim_mail(T0 + pd.Timedelta(hours=2), LEASE_S)
    assert [(m.report_id, m.kind, m.category, m.address, m.token, m.attempts) for m in claimed] == [
        ("x1", "received", "graffiti", "anna@example.org", "token-x1", 0),
        ("x1", "scheduled", "graffiti", "anna@example.org", "token-x1", 0),
        ("x1", "closed", "graffiti", "anna@example.org", "token-x1", 0)]


def test_a_claimed_mail_is_out_of_reach_for_the_lease_and_a_sent_one_for_ever(store):
    subscribed(store)
    [mail] = store.claim_mail(T0, LEASE_S)
    assert store.claim_mail(T0, LEASE_S) == [], "claimed: another sender does not take it"
    [again] = store.claim_mail(T0 + pd.Timedelta(seconds=LEASE_S + 1), LEASE_S)
    assert again.mail_id == mail.mail_id, "a sender that died: the mail goes again after the lease"
    store.mail_sent(mail.mail_id, T0)
    assert store.claim_mail(T0 + pd.Timedelta(days=1), LEASE_S) == []


def test_a_failed_mail_stays_queued_until_its_retry(store):
    subscribed(store)
    [mail] = store.claim_mail(T0, LEASE_S)
    store.mail_failed(mail.mail_id, "ConnectionRefusedError: [Errno 111]", T0 + pd.Timedelta(minutes=10))
    assert store.claim_mail(T0 + pd.Timedelta(minutes=9), LEASE_S) == []
    [retry] = store.claim_mail(T0 + pd.Timedelta(minutes=10), LEASE_S)
    assert (retry.mail_id, retry.attempts) == (mail.mail_id, 1)


def test_unsubscribing_drops_the_queued_mails_and_queues_no_more(store):
    subscribed(store)
    assert store.unsubscribe("token-x1", T0) == "x1"
    assert store.unsubscribe("token-x1", T0) == "x1", "twice: no change, no error"
    moved(store, "scheduled")
    assert store.claim_mail(T0 + pd.Timedelta(days=1), LEASE_S) == []
    with pytest.raises(NotFound):
        store.unsubscribe("no-such-token", T0)


def test_a_refused_change_queues_nothing(store):
    subscribed(store)
    store.mail_sent(store.claim_mail(T0, LEASE_S)[0].mail_id, T0)
    moved(store, "closed")
    with pytest.raises(StateConflict):
        moved(store, "scheduled")
    assert [m.kind for m in store.claim_mail(T0 + pd.Timedelta(days=1), LEASE_S)] == ["closed"]


def test_the_mail_is_written_in_the_transaction_of_the_change(store):
    subscribed(store)
    with store.transaction() as con:  # the queue cannot be written: the change must not land either
        con.execute(text("ALTER TABLE mail_outbox RENAME TO mail_outbox_away"))
    with pytest.raises(Exception):
        moved(store, "scheduled")
    assert store.report_history(["x1"])["to_status"].tolist() == ["open"]
    with store.transaction() as con:
        con.execute(text("ALTER TABLE mail_outbox_away RENAME TO mail_outbox"))
    moved(store, "scheduled")
    assert [m.kind for m in store.claim_mail(T0 + pd.Timedelta(days=1), LEASE_S)] == ["received", "scheduled"]


def test_a_removal_round_queues_the_closed_mail_of_each_report_it_closes(store):
    subscribed(store, "x1")
    subscribed(store, "x2", "weeds")
    for receipt in store.claim_mail(T0, LEASE_S):
        store.mail_sent(receipt.mail_id, T0)

    def close(open_reports):
        return open_reports.assign(status="closed", close_reason="removal round", closed_at=T0)

    store.record_removal_round("round-1", "2020-05-02", "graffiti", ["a"], close, STAFF, T0)
    assert [(m.report_id, m.kind) for m in store.claim_mail(T0 + pd.Timedelta(days=1), LEASE_S)] == [("x1", "closed")]


def test_support_is_counted_for_open_published_reports_only(store):
    store.add_report(one_report("x1"), None, [], Actor("citizen"))
    store.add_report(one_report("x2"), None, [], Actor("citizen"))
    store.add_report(one_report("u1", "unsafe_place"), None, [], Actor("citizen"))
    assert [store.support_report("x1") for _ in range(3)] == [1, 2, 3]
    moved(store, "closed", "x2")
    with pytest.raises(Conflict) as closed:
        store.support_report("x2")
    assert closed.value.current == {"status": "closed"}
    for hidden in ("u1", "nobody"):
        with pytest.raises(NotFound):
            store.support_report(hidden)
    assert store.supporters(["x1", "x2", "u1"]) == {"x1": 3} and store.supporters([]) == {}


def test_reports_stored_before_the_mail_tables_are_followed_and_supported_without_mail(backends, monkeypatch):
    import service.store.sql as sql

    with monkeypatch.context() as old_program:  # the program of schema 18: no subscriptions, no queue
        old_program.setattr(sql, "SCHEMA_VERSION", 18)
        old = backends.open(name="before_hearing_back")
        old.add_report(one_report(), None, [], Actor("citizen"))
        assert old.schema_version() == 18
        old.close()
    store = backends.open(name="before_hearing_back")
    assert store.schema_version() == SCHEMA_VERSION
    moved(store, "scheduled")
    assert store.claim_mail(T0 + pd.Timedelta(days=1), LEASE_S) == [], "nobody asked for mail then"
    assert store.support_report("x1") == 1

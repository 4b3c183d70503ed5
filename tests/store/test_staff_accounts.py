"""The store contract for staff accounts, their sessions and the staff audit, on every backend:
names unique, lock-out counted in one transaction, disabling ends sessions at once, every change
audited with who, when and what."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from service.store.embedded import SCHEMA_VERSION
from service.store import AuditEvent, Conflict, NotFound

NOW = pd.Timestamp("2026-12-02 08:00:00.123", tz="UTC")


def event(action: str, at: pd.Timestamp = NOW, actor: str = "command line", role: str | None = None) -> AuditEvent:
    return AuditEvent(at, actor, role, action, "detail", "192.0.2.1")


def test_accounts_are_unique_and_listed(store):
    added = store.add_user("anna", "police", "hash-a", event("user add"))
    assert (added.name, added.role, added.password_hash, added.created_at) == ("anna", "police", "hash-a", NOW)
    assert added.disabled_at is None and added.failed_logins == 0 and added.locked_until is None
    with pytest.raises(Conflict, match="anna"):
        store.add_user("anna", "planner", "hash-b", event("user add"))
    store.add_user("bo", "planner", "hash-b", event("user add"))
    assert [record.name for record in store.users()] == ["anna", "bo"]
    assert store.user("anna").role == "police" and store.user("nobody") is None
    assert store.audit()["action"].tolist() == ["user add", "user add"], "the refused one wrote nothing"


def test_concurrent_adds_of_one_name_store_one(backends):
    store = backends.open()
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda i: _try_add(store, i), range(4)))
    assert outcomes.count("added") == 1 and outcomes.count("conflict") == 3
    assert len(store.users()) == 1 and len(store.audit()) == 1


def _try_add(store, i: int) -> str:
    try:
        store.add_user("anna", "police", f"hash-{i}", event("user add"))
        return "added"
    except Conflict:
        return "conflict"


def test_role_changes_and_disabling_end_sessions(store):
    store.add_user("anna", "police", "hash-a", event("user add"))
    store.open_session("s1", "anna", event("sign-in", actor="anna", role="police"))
    assert store.set_user_role("anna", "planner", event("user set-role")).role == "planner"
    assert store.session("s1").role == "planner", "a session reads its account's role"
    later = NOW + pd.Timedelta(minutes=5)
    assert store.disable_user("anna", event("user disable", at=later)).disabled_at == later
    assert store.session("s1") is None, "disabling ends the account's sessions"
    assert store.disable_user("anna", event("user disable", at=later + pd.Timedelta(hours=1))).disabled_at == later
    for change in (lambda: store.set_user_role("nobody", "police", event("user set-role")),
                   lambda: store.disable_user("nobody", event("user disable"))):
        with pytest.raises(NotFound):
            change()
    assert store.audit()["action"].tolist() == ["user add", "sign-in", "user set-role", "user disable"]


def test_failed_sign_ins_lock_the_account_and_a_success_clears_them(store):
    store.add_user("anna", "police", "hash-a", event("user add"))
    until = NOW + pd.Timedelta(minutes=15)
    for _ in range(2):
        store.login_failed("anna", 3, until, event("sign-in failed", actor="anna"))
    assert store.user("anna").failed_logins == 2 and store.user("anna").locked_until is None
    store.login_failed("anna", 3, until, event("sign-in failed", actor="anna"))
    record = store.user("anna")
    assert record.locked_until == until and record.failed_logins == 0, "locked, and counting starts again"
    store.login_failed("nobody", 3, until, event("sign-in failed", actor="nobody"))  # audited, no account to count
    store.open_session("s1", "anna", event("sign-in", actor="anna", role="police"))
    record = store.user("anna")
    assert record.locked_until is None and record.failed_logins == 0
    assert store.audit()["actor"].tolist() == ["command line", "anna", "anna", "anna", "nobody", "anna"]


def test_sessions_are_seen_to_the_minute_and_closed(store):
    store.add_user("anna", "police", "hash-a", event("user add"))
    store.open_session("s1", "anna", event("sign-in", actor="anna", role="police"))
    session = store.session("s1")
    assert (session.name, session.role, session.created_at, session.last_seen_at) == ("anna", "police", NOW, NOW)
    store.session_seen("s1", NOW + pd.Timedelta(seconds=30))
    assert store.session("s1").last_seen_at == NOW, "within the resolution nothing is written"
    store.session_seen("s1", NOW + pd.Timedelta(minutes=2))
    assert store.session("s1").last_seen_at == NOW + pd.Timedelta(minutes=2)
    store.close_session("s1", event("sign-out", actor="anna", role="police"))
    store.close_session("s1")  # again: nothing
    assert store.session("s1") is None and store.session("unknown") is None


def test_the_audit_keeps_who_when_and_what(store):
    store.add_audit(AuditEvent(NOW, "anna", "police", "PATCH /api/reports/r1", "answered 200", "2001:db8::/64"))
    store.add_audit(AuditEvent(NOW + pd.Timedelta(seconds=1), "command line", None, "user add", "bo as planner"))
    audit = store.audit()
    assert audit.columns.tolist() == ["at", "actor", "role", "action", "detail", "client"]
    assert audit.iloc[0].tolist() == [NOW, "anna", "police", "PATCH /api/reports/r1", "answered 200", "2001:db8::/64"]
    assert audit.iloc[1]["role"] is None and audit.iloc[1]["client"] is None
    assert str(audit["at"].dtype) == "datetime64[ns, UTC]"


def test_a_database_of_schema_18_gains_the_accounts(backends, monkeypatch):
    import service.store.sql as sql

    with monkeypatch.context() as old_program:
        old_program.setattr(sql, "SCHEMA_VERSION", 18)
        old = backends.open(name="before_staff_accounts")
        old.set_meta("note", "kept")
        assert old.schema_version() == 18
        old.close()
    store = backends.open(name="before_staff_accounts")
    assert store.schema_version() == SCHEMA_VERSION and store.get_meta("note") == "kept"
    assert store.users() == [] and store.audit().empty
    store.add_user("anna", "police", "hash-a", event("user add"))
    assert store.user("anna").role == "police"

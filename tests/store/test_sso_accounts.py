"""The store contract for single sign-on, on every backend: an identity's account is created once
(however many first sign-ins run at once), its role follows each sign-in and every change is
audited, a disabled account keeps its role, a name cannot be taken from another account, and a
started sign-in is taken once, never after it expired."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from service.store import AuditEvent, Conflict, SsoFlow

NOW = pd.Timestamp("2026-12-02 08:00:00.123", tz="UTC")
ISSUER = "https://login.example.org/tenant/v2.0"


def event(at: pd.Timestamp = NOW) -> AuditEvent:
    return AuditEvent(at, "single sign-on", None, "", "", "192.0.2.1")


def test_an_identity_gets_one_account_whose_role_follows_its_sign_ins(store):
    first = store.sso_account(ISSUER, "sub-1", "anna@halmstad.se", "police", event())
    assert (first.name, first.role, first.password_hash, first.sso_issuer) == ("anna@halmstad.se", "police", "",
                                                                               ISSUER)
    assert store.sso_account(ISSUER, "sub-1", "anna@halmstad.se", "police", event()) == first
    later = NOW + pd.Timedelta(days=1)
    assert store.sso_account(ISSUER, "sub-1", "ignored@halmstad.se", "planner", event(later)).role == "planner", \
        "found by issuer and subject; the name stays the first one"
    assert [record.name for record in store.users()] == ["anna@halmstad.se"]
    audit = store.audit()
    assert audit[["at", "actor", "action", "detail", "client"]].values.tolist() == [
        [NOW, "single sign-on", "user add", "anna@halmstad.se as police (single sign-on)", "192.0.2.1"],
        [later, "single sign-on", "user set-role", "anna@halmstad.se from police to planner (single sign-on)",
         "192.0.2.1"]]


def test_names_stay_apart_and_a_disabled_account_keeps_its_role(store):
    store.add_user("bo", "police", "argon2-hash", AuditEvent(NOW, "command line", None, "user add", "bo"))
    with pytest.raises(Conflict, match="bo"):
        store.sso_account(ISSUER, "sub-2", "bo", "police", event())
    store.sso_account(ISSUER, "sub-3", "cilla", "planner", event())
    with pytest.raises(Conflict):  # another provider's person with the same name
        store.sso_account("https://other.example.org", "sub-3", "cilla", "planner", event())
    store.disable_user("cilla", AuditEvent(NOW, "command line", None, "user disable", "cilla"))
    disabled = store.sso_account(ISSUER, "sub-3", "cilla", "police", event())
    assert disabled.role == "planner" and disabled.disabled_at == NOW
    assert store.user("bo").sso_issuer is None
    assert store.audit()["action"].tolist() == ["user add", "user add", "user disable"]


def test_concurrent_first_sign_ins_make_one_account(backends):
    store = backends.open()
    with ThreadPoolExecutor(4) as pool:
        records = list(pool.map(lambda _: store.sso_account(ISSUER, "sub-1", "anna", "police", event()), range(4)))
    assert {record.name for record in records} == {"anna"}
    assert len(store.users()) == 1 and len(store.audit()) == 1


def test_a_started_sign_in_is_taken_once_and_expires(store):
    flow = SsoFlow("nonce", "verifier", "/maps/police", NOW + pd.Timedelta(minutes=10))
    store.begin_sso_flow("hash-1", flow, NOW)
    assert store.take_sso_flow("hash-1", NOW + pd.Timedelta(minutes=1)) == flow
    assert store.take_sso_flow("hash-1", NOW + pd.Timedelta(minutes=1)) is None, "taken once"
    store.begin_sso_flow("hash-2", flow, NOW)
    assert store.take_sso_flow("hash-2", flow.expires_at) is None, "expired"
    assert store.take_sso_flow("unknown", NOW) is None
    store.begin_sso_flow("hash-3", flow, NOW)
    store.begin_sso_flow("hash-4", SsoFlow("n", "v", "/login", NOW + pd.Timedelta(hours=1)), flow.expires_at)
    assert store.take_sso_flow("hash-3", NOW) is None, "a new start removes the expired ones"
    assert store.take_sso_flow("hash-4", NOW).next_path == "/login"

"""Staff sign-in through the real app: the /login page, sessions as callers (the police map opens
without headers), CSRF refusal, lock-out, the sign-in rate limit, idle and absolute expiry on a
clock the tests move, disabled accounts and role changes taking effect at once, and the audit."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_token
from service.settings import MapSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from service.store import AuditEvent
from tests.languages import ENGLISH
from tests.staff import PASSWORD, form_token, sign_in

START = pd.Timestamp("2026-12-02 08:00", tz="UTC")


class Clock:
    """The app's clock, moved by the tests."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> pd.Timestamp:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += pd.Timedelta(**delta)


@pytest.fixture
def make_client(tmp_path):
    clients = []

    def make(role: str = "police", **staff) -> tuple[TestClient, Clock]:
        settings = Settings(store=StoreSettings(db=tmp_path / f"db{len(clients)}.gpkg"), maps=MapSettings(tiles="none"),
                            staff=StaffSettings(**{"secure_cookies": False, **staff}))
        app = create_app(settings)
        clock = Clock()
        app.state.context.clock = clock
        add_user(app.state.context.store, "anna", role, PASSWORD, settings.staff, START)
        client = TestClient(app, follow_redirects=False, headers=ENGLISH)
        clients.append(client.__enter__())
        return client, clock

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def actions(client: TestClient) -> list[tuple[str, str, str]]:
    audit = client.app.state.context.store.audit()
    return list(zip(audit["actor"], audit["action"], audit["detail"]))


def test_the_sign_in_page_is_swedish_and_labelled(make_client):
    client, _ = make_client()
    page = client.get("/login")
    assert page.status_code == 200 and '<html lang="sv">' in page.text
    for field in ("name", "password"):
        assert f'<label for="{field}">' in page.text and f'id="{field}"' in page.text
    assert "script-src" in page.headers["content-security-policy"] and page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"]
    assert "stadskarna_login=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/login" in cookie


def test_sign_in_opens_the_police_map_and_sign_out_closes_it(make_client):
    client, _ = make_client()
    assert client.get("/maps/police").status_code == 401
    signed_in = sign_in(client)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/login"
    cookie = signed_in.headers["set-cookie"]
    assert "stadskarna_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie, "this test's setting turns Secure off"
    assert client.get("/maps/police").status_code == 200, "the session is the caller, no header needed"
    page = client.get("/login")
    assert "Du är inloggad som <strong>anna</strong> (polisen)" in page.text and 'href="/maps/police"' in page.text
    assert client.post("/logout", data={"csrf_token": form_token(page)}).status_code == 303
    assert client.get("/maps/police").status_code == 401
    assert [(who, what) for who, what, _ in actions(client)] == [("command line", "user add"), ("anna", "sign-in"),
                                                                 ("anna", "sign-out")]


def test_session_cookies_are_secure_by_default(tmp_path):
    assert StaffSettings().secure_cookies is True
    settings = Settings(store=StoreSettings(db=tmp_path / "db.gpkg"), maps=MapSettings(tiles="none"))
    with TestClient(create_app(settings), base_url="https://testserver", follow_redirects=False, headers=ENGLISH) as client:
        add_user(client.app.state.context.store, "anna", "police", PASSWORD, settings.staff, START)
        assert "Secure" in client.get("/login").headers["set-cookie"]
        signed_in = sign_in(client)
        assert signed_in.status_code == 303 and "Secure" in signed_in.headers["set-cookie"]
        assert client.get("/maps/police").status_code == 200


def test_wrong_passwords_and_unknown_names_are_refused_alike(make_client):
    client, _ = make_client()
    wrong, unknown = sign_in(client, password="fel lösenord!"), sign_in(client, name="bo")
    for page in (wrong, unknown):
        assert page.status_code == 401 and 'role="alert"' in page.text and "stadskarna_session" not in page.headers.get(
            "set-cookie", "")
    assert wrong.text.replace(form_token(wrong), "") == unknown.text.replace(form_token(unknown), ""), \
        "the page does not tell who has an account"
    assert client.get("/maps/police").status_code == 401
    assert actions(client)[1:] == [("anna", "sign-in failed", "wrong password"), ("bo", "sign-in failed", "unknown account")]


def test_the_sign_in_form_needs_its_own_token(make_client):
    client, _ = make_client()
    client.get("/login")
    refused = client.post("/login", data={"name": "anna", "password": PASSWORD, "csrf_token": "forged"})
    assert refused.status_code == 403 and 'role="alert"' in refused.text
    assert client.get("/maps/police").status_code == 401


def test_repeated_failures_lock_the_account_for_a_while(make_client):
    client, clock = make_client(max_failures=3, lockout_minutes=15)
    for _ in range(3):
        assert sign_in(client, password="fel lösenord!").status_code == 401
    assert sign_in(client).status_code == 401, "locked: even the right password is refused"
    assert actions(client)[-1] == ("anna", "sign-in failed", "account locked")
    clock.move(minutes=16)
    assert sign_in(client).status_code == 303
    assert client.app.state.context.store.user("anna").failed_logins == 0


def test_sign_in_attempts_are_rate_limited_per_client(make_client):
    client, _ = make_client(login_rate_limit=3)
    for _ in range(3):
        assert sign_in(client, password="fel lösenord!").status_code == 401
    limited = sign_in(client)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1 and 'role="alert"' in limited.text


def test_changes_made_with_a_session_need_its_csrf_token(make_client):
    client, _ = make_client(role="municipality")
    sign_in(client)
    created = client.post("/api/reports", data={"category": "graffiti", "lat": "56.6740", "lon": "12.8572"})
    assert created.status_code == 201, "a citizen's report does not use the session, so needs no token"
    report = created.json()["id"]
    token = form_token(client.get("/login"))
    refused = client.patch(f"/api/reports/{report}", json={"status": "acknowledged"})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf"
    forged = client.patch(f"/api/reports/{report}", json={"status": "acknowledged"}, headers={"X-CSRF-Token": "x" * 64})
    assert forged.status_code == 403
    assert client.post("/logout").status_code == 403, "signing out is a change too"
    moved = client.patch(f"/api/reports/{report}", json={"status": "acknowledged"}, headers={"X-CSRF-Token": token})
    assert moved.status_code == 200 and moved.json()["status"] == "acknowledged"
    history = client.app.state.context.store.report_history([report])
    assert history.iloc[-1][["actor_role", "actor_label"]].tolist() == ["municipality", "anna (inloggad)"]
    assert actions(client)[-1] == ("anna", f"PATCH /api/reports/{report}", "answered 200")
    assert sum(what.startswith("PATCH") for _, what, _ in actions(client)) == 1, "refused changes did nothing"


def test_sessions_end_after_the_idle_and_the_absolute_timeout(make_client):
    client, clock = make_client(idle_minutes=30, absolute_hours=1)
    sign_in(client)
    clock.move(minutes=29)
    assert client.get("/maps/police").status_code == 200
    clock.move(minutes=29)  # 29 minutes after the last request
    assert client.get("/maps/police").status_code == 200
    clock.move(minutes=3)  # an hour and a minute after signing in
    assert client.get("/maps/police").status_code == 401
    assert actions(client)[-1] == ("anna", "session expired", "absolute timeout")
    sign_in(client)
    clock.move(minutes=31)
    assert client.get("/maps/police").status_code == 401
    assert actions(client)[-1] == ("anna", "session expired", "idle timeout")


def test_a_disabled_account_or_a_new_role_takes_effect_at_once(make_client):
    client, clock = make_client()
    sign_in(client)
    store = client.app.state.context.store
    store.set_user_role("anna", "planner", AuditEvent(clock(), "command line", None, "user set-role", "anna"))
    assert client.get("/maps/police").status_code == 403
    store.set_user_role("anna", "police", AuditEvent(clock(), "command line", None, "user set-role", "anna"))
    assert client.get("/maps/police").status_code == 200
    store.disable_user("anna", AuditEvent(clock(), "command line", None, "user disable", "anna"))
    assert client.get("/maps/police").status_code == 401
    assert sign_in(client).status_code == 401 and actions(client)[-1][2] == "account disabled"


def test_a_token_still_works_and_wins_over_a_session(make_client):
    client, _ = make_client(role="planner")
    sign_in(client)
    police = create_token(client.app.state.context.store, "police", "bil 1")
    assert client.get("/maps/police").status_code == 403
    assert client.get("/maps/police", headers={"Authorization": f"Bearer {police}"}).status_code == 200


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_without_a_session_is_sent_to_sign_in_and_comes_back(make_client):
    client, _ = make_client()
    answer = client.get("/maps/police?year=2020", headers=BROWSER)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=%2Fmaps%2Fpolice%3Fyear%3D2020"
    page = client.get(answer.headers["location"])
    assert '<input type="hidden" name="next" value="/maps/police?year=2020">' in page.text
    signed_in = client.post("/login", data={"name": "anna", "password": PASSWORD, "csrf_token": form_token(page),
                                            "next": "/maps/police?year=2020"})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/maps/police?year=2020"
    assert client.get("/maps/police?year=2020", headers=BROWSER).status_code == 200
    assert client.get("/maps/police").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example/", "evil", "/a\nb", ""])
def test_sign_in_never_sends_anyone_off_the_site(make_client, target):
    client, _ = make_client()
    page = client.get("/login", params={"next": target})
    assert 'name="next"' not in page.text
    answer = client.post("/login", data={"name": "anna", "password": PASSWORD, "csrf_token": form_token(page),
                                         "next": target})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_programs_still_get_401_and_json(make_client):
    client, _ = make_client()
    answer = client.get("/maps/police")
    assert answer.status_code == 401 and answer.json()["code"] == "unauthorized"
    api = client.get("/api/reports/r-1/photo", headers=BROWSER)
    assert api.status_code == 401 and api.json()["code"] == "unauthorized", "the API answers programs, even browsers"


def test_a_browser_gets_errors_as_swedish_pages(make_client):
    client, _ = make_client(role="planner")
    missing = client.get("/no-such-page", headers=BROWSER)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert '<html lang="sv">' in missing.text and "Sidan finns inte" in missing.text
    assert 'class="site-header"' in missing.text and "Content-Security-Policy" in missing.headers
    sign_in(client)
    refused = client.get("/maps/police", headers=BROWSER)
    assert refused.status_code == 403 and "Sidan är inte för dig" in refused.text


def test_signed_in_staff_see_their_pages_in_the_header(make_client):
    client, _ = make_client()
    sign_in(client)
    page = client.get("/login")
    assert re.findall(r'<a href="([^"]+)" class="staff', page.text) == ["/staff/reports", "/staff/promises",
                                                                            "/staff/patrols", "/maps/police",
                                                                            "/maps/cameras"]
    planner, _ = make_client(role="planner")
    sign_in(planner)
    assert re.findall(r'<a href="([^"]+)" class="staff', planner.get("/login").text) == ["/staff/reports",
                                                                                        "/maps/cameras"]


def test_a_change_is_in_the_audit_before_its_answer_leaves(make_client):
    client, _ = make_client(role="municipality")
    sign_in(client)
    report = client.post("/api/reports", data={"category": "graffiti", "lat": "56.6740", "lon": "12.8572"}).json()["id"]
    token = form_token(client.get("/login"))
    app, seen = client.app, []

    async def watching(scope, receive, send):  # what the audit holds when the answer starts
        async def watch(message):
            if message["type"] == "http.response.start" and scope.get("method") == "PATCH":
                seen.append(list(app.state.context.store.audit()["action"]))
            await send(message)
        await app(scope, receive, watch)

    with TestClient(watching, follow_redirects=False, cookies=client.cookies) as watched:
        moved = watched.patch(f"/api/reports/{report}", json={"status": "acknowledged"}, headers={"X-CSRF-Token": token})
    assert moved.status_code == 200
    assert seen and seen[0][-1] == f"PATCH /api/reports/{report}"

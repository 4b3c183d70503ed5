"""The staff page /staff/moderation through the real app: held texts listed for municipality staff
with their forms; a form releases or hides with the session's CSRF token and comes back (303) with
what happened; refusals come back as Swedish messages; other roles and anonymous visitors are kept out."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import MapSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from tests.service.test_staff_signin import START
from tests.staff import PASSWORD, form_token, sign_in

TORG = {"lat": "56.6740", "lon": "12.8572"}
PAGE = {"Accept": "text/html"}


@pytest.fixture
def make_client(tmp_path):
    clients = []

    def make(role: str = "municipality") -> TestClient:
        settings = Settings(store=StoreSettings(db=tmp_path / f"db{len(clients)}.gpkg"), maps=MapSettings(tiles="none"),
                            staff=StaffSettings(secure_cookies=False))
        app = create_app(settings)
        add_user(app.state.context.store, "anna", role, PASSWORD, settings.staff, START)
        client = TestClient(app, follow_redirects=False).__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def held(client: TestClient, description: str = "Se <b>www.klotter.se</b>") -> str:
    sent = client.post("/api/reports", data={"category": "graffiti", "description": description, **TORG})
    assert sent.json()["text_held"]
    return sent.json()["id"]


def described(client: TestClient, report_id: str) -> str:
    return client.get(f"/open311/v2/requests/{report_id}.json").json()[0]["description"]


def test_held_texts_are_listed_and_released_by_a_form(make_client):
    client = make_client()
    report_id = held(client)
    sign_in(client)
    page = client.get("/staff/moderation", headers=PAGE)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert f'id="held-{report_id}"' in page.text and "Se &lt;b&gt;www.klotter.se&lt;/b&gt;" in page.text
    assert "granskas: länk i texten (www.klotter.se)" in page.text
    assert '<a href="/staff/moderation" class="staff" aria-current="page">Moderering</a>' in page.text
    sent = client.post(f"/staff/moderation/{report_id}", data={"action": "release_text", "reason": "kommunens länk",
                                                                "csrf_token": form_token(page)})
    assert sent.status_code == 303 and sent.headers["location"] == "/staff/moderation?done=release_text"
    after = client.get(sent.headers["location"], headers=PAGE)
    assert "Texten är publicerad." in after.text and 'id="nothing-held"' in after.text
    assert described(client, report_id) == "Se <b>www.klotter.se</b>"


def test_refusals_come_back_as_swedish_messages_and_back_stays_on_the_site(make_client):
    client = make_client()
    report_id = held(client)
    sign_in(client)
    token = form_token(client.get("/staff/moderation", headers=PAGE))

    def send(action: str, reason: str = "reklam", report: str = report_id, back: str | None = None):
        data = {"action": action, "reason": reason, "csrf_token": token} | ({"back": back} if back else {})
        return client.post(f"/staff/moderation/{report}", data=data).headers["location"]

    assert send("hide_text", back="//elsewhere.example/x") == "/staff/moderation?done=hide_text"
    assert send("hide_text") == "/staff/moderation?failed=conflict"
    assert send("restore_text", reason=" ") == "/staff/moderation?failed=invalid"
    assert send("restore_text", report="r-nobody") == "/staff/moderation?failed=not_found"
    assert send("restore_text", back="/staff/reports?id=1") == "/staff/reports?id=1&done=restore_text"
    shown = client.get("/staff/moderation?failed=conflict&done=%3Cscript%3E", headers=PAGE).text
    assert "Någon annan hann före" in shown and "<script>" not in shown.split("</style>")[1], "codes are never echoed"
    assert described(client, report_id) == "Se <b>www.klotter.se</b>", "hidden, then restored"


def test_a_form_without_the_sessions_token_changes_nothing(make_client):
    client = make_client()
    report_id = held(client)
    sign_in(client)
    refused = client.post(f"/staff/moderation/{report_id}", data={"action": "release_text", "reason": "ok"})
    assert refused.status_code == 403 and described(client, report_id) == ""


def test_anonymous_visitors_sign_in_first_and_other_roles_are_refused(make_client):
    client = make_client(role="police")
    report_id = held(client)
    first = client.get("/staff/moderation", headers=PAGE)
    assert first.status_code == 303 and first.headers["location"] == "/login?next=%2Fstaff%2Fmoderation"
    sign_in(client)
    assert client.get("/staff/moderation", headers=PAGE).status_code == 403
    token = form_token(client.get("/login"))
    assert client.post(f"/staff/moderation/{report_id}", data={"action": "release_text", "reason": "ok",
                                                                "csrf_token": token}).status_code == 403
    assert described(client, report_id) == ""

"""Moderation through the real app: municipality staff hide and restore a report's text and photo
and release held text (POST /api/reports/{id}/moderation); hidden and held text and hidden photos
leave every public surface — the layers API, the OGC API, Open311 in JSON and XML, the public GIS
package — and come back when restored or released; staff read them with the moderation state;
409 for an action the state does not allow; 401/403; CSRF for a session."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_token
from service.gis_export import package_layers
from service.html import pages
from service.settings import ModerationSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from tests.service.test_staff_signin import START
from tests.staff import PASSWORD, form_token, sign_in

TORG = {"lat": "56.6740", "lon": "12.8572"}
TEXT = "Klotter på bänken, ring Anna 070-1234567"
MEDIA = "https://bilder.example.org/klotter.jpg"


@pytest.fixture
def app(tmp_path):
    words = tmp_path / "ord.txt"
    words.write_text("# kommunens ord\nidiot\n", encoding="utf-8")
    settings = Settings(store=StoreSettings(db=tmp_path / "moderation.gpkg"),
                        moderation=ModerationSettings(words=words), staff=StaffSettings(secure_cookies=False))
    return create_app(settings)


@pytest.fixture
def client(app):
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def staff(app) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(app.state.context.store, 'municipality', 'moderator')}"}


def report(client: TestClient, description: str = TEXT) -> str:
    """A report sent through Open311 with a media_url (the photo link the public sees)."""
    created = client.post("/open311/v2/requests.json", data={"service_code": "graffiti", "lat": TORG["lat"],
                                                             "long": TORG["lon"], "description": description,
                                                             "media_url": MEDIA})
    assert created.status_code == 201, created.text
    return created.json()[0]["service_request_id"]


def public_views(client: TestClient, report_id: str) -> dict[str, tuple[str, str | None]]:
    """(description, photo link) of the report on every public surface."""
    layer = {f["properties"]["id"]: f["properties"] for f in client.get("/api/layers/reports").json()["features"]}
    ogc_items = {f["id"]: f["properties"] for f in client.get("/ogc/collections/reports/items").json()["features"]}
    ogc_item = client.get(f"/ogc/collections/reports/items/{report_id}").json()["properties"]
    [listed] = [r for r in client.get("/open311/v2/requests.json").json() if r["service_request_id"] == report_id]
    [one] = client.get(f"/open311/v2/requests/{report_id}.json").json()
    xml = client.get(f"/open311/v2/requests/{report_id}.xml").text
    [package] = [layer for layer in package_layers(client.app.state.context.store, client.app.state.context.zones,
                                                   None, "public") if layer.name == "reports"]
    packaged = next(iter(package.parts)).set_index("id").loc[report_id]
    return {"layers": (layer[report_id]["description"], layer[report_id]["photo"]),
            "ogc items": (ogc_items[report_id]["description"], ogc_items[report_id]["photo"]),
            "ogc item": (ogc_item["description"], ogc_item["photo"]),
            "open311 list": (listed["description"], listed["media_url"]),
            "open311 one": (one["description"], one["media_url"]),
            "open311 xml": (TEXT if TEXT in xml else "", MEDIA if MEDIA in xml else None),
            "gis package": (packaged["description"], packaged["photo"] if isinstance(packaged["photo"], str) else None)}


def moderate(client: TestClient, report_id: str, action: str, headers: dict, reason: str = "personuppgifter"):
    return client.post(f"/api/reports/{report_id}/moderation", json={"action": action, "reason": reason},
                       headers=headers)


def test_hidden_text_and_photo_leave_every_public_surface_until_restored(client, staff):
    report_id = report(client)
    assert set(public_views(client, report_id).values()) == {(TEXT, MEDIA)}
    hidden = moderate(client, report_id, "hide_text", staff)
    assert hidden.status_code == 200 and hidden.json() == {"id": report_id, "text_hidden": True, "photo_hidden": False,
                                                           "text_held": False}
    assert set(public_views(client, report_id).values()) == {("", MEDIA)}
    assert moderate(client, report_id, "hide_photo", staff, "bilden visar en person").status_code == 200
    assert set(public_views(client, report_id).values()) == {("", None)}
    state = client.get(f"/api/reports/{report_id}/moderation", headers=staff).json()
    assert (state["description"], state["photo"], state["text_hidden"], state["photo_hidden"]) == (TEXT, MEDIA, True, True)
    assert [(e["action"], e["reason"], e["actor_role"]) for e in state["history"]] == [
        ("hide_text", "personuppgifter", "municipality"), ("hide_photo", "bilden visar en person", "municipality")]
    assert state["history"][0]["actor_label"].startswith("moderator (tok-")
    assert moderate(client, report_id, "restore_text", staff, "kontrollerad").status_code == 200
    assert moderate(client, report_id, "restore_photo", staff, "kontrollerad").status_code == 200
    assert set(public_views(client, report_id).values()) == {(TEXT, MEDIA)}
    page = client.get(f"/reports/{report_id}").text
    assert "personuppgifter" not in page and "kontrollerad" not in page, "the public page has no moderation reasons"


@pytest.mark.parametrize("description, why", [("Se www.klotterbilder.se", "länk i texten (www.klotterbilder.se)"),
                                              ("besök klotter.nu", "länk i texten (klotter.nu)"),
                                              ("Vilken IDIOT", "ord i ordlistan (IDIOT)")])
def test_held_text_is_not_public_until_released_and_the_report_is(client, staff, description, why):
    sent = client.post("/api/reports", data={"category": "graffiti", "description": description, **TORG})
    assert sent.status_code == 201 and sent.json()["text_held"] is True, "the reporter still gets the receipt"
    report_id = sent.json()["id"]
    [shown] = [f for f in client.get("/api/layers/reports").json()["features"] if f["properties"]["id"] == report_id]
    assert (shown["properties"]["description"], shown["properties"]["category"]) == ("", "graffiti")
    [listed] = client.get(f"/open311/v2/requests/{report_id}.json").json()
    assert listed["description"] == "" and client.get(f"/reports/{report_id}").status_code == 200
    state = client.get(f"/api/reports/{report_id}/moderation", headers=staff).json()
    assert state["text_held"] and state["history"][0]["reason"] == f"granskas: {why}"
    assert state["history"][0]["actor_role"] == "moderation"
    assert moderate(client, report_id, "release_text", staff, "ofarlig länk").json()["text_held"] is False
    [listed] = client.get(f"/open311/v2/requests/{report_id}.json").json()
    assert listed["description"] == description


def test_hiding_a_held_text_decides_it(client, staff):
    report_id = report(client, "Köp på butik.se")
    assert moderate(client, report_id, "hide_text", staff, "reklam").json() == {
        "id": report_id, "text_hidden": True, "photo_hidden": False, "text_held": False}
    assert moderate(client, report_id, "restore_text", staff, "felbedömd").status_code == 200
    [listed] = client.get(f"/open311/v2/requests/{report_id}.json").json()
    assert listed["description"] == "Köp på butik.se"


def test_an_action_the_state_does_not_allow_answers_409_with_the_current_state(client, staff):
    report_id = report(client)
    assert moderate(client, report_id, "hide_text", staff).status_code == 200
    for action in ("hide_text", "release_text", "restore_photo"):
        refused = moderate(client, report_id, action, staff)
        assert refused.status_code == 409 and refused.json()["code"] == "conflict"
        assert refused.json()["current"] == {"text_hidden": True, "photo_hidden": False, "text_held": False,
                                             "has_photo": True}
    no_photo = client.post("/api/reports", data={"category": "litter", **TORG}).json()["id"]
    assert moderate(client, no_photo, "hide_photo", staff).json()["current"]["has_photo"] is False
    history = client.get(f"/api/reports/{report_id}/moderation", headers=staff).json()["history"]
    assert [e["action"] for e in history] == ["hide_text"], "refused actions are not in the history"


@pytest.mark.parametrize("body, field", [({"action": "delete", "reason": "x"}, "action"),
                                         ({"action": "hide_text", "reason": "  "}, "reason"),
                                         ({"action": "hide_text", "reason": "a\u202eb"}, "reason")])
def test_bad_requests_are_invalid_and_change_nothing(client, staff, body, field):
    report_id = report(client)
    refused = client.post(f"/api/reports/{report_id}/moderation", json=body, headers=staff)
    assert refused.status_code == 422 and refused.json()["code"] == "invalid" and refused.json()["field"] == field
    assert client.get(f"/api/reports/{report_id}/moderation", headers=staff).json()["history"] == []
    assert client.post("/api/reports/r-unknown/moderation", json={"action": "hide_text", "reason": "x"},
                       headers=staff).status_code == 404


def test_only_municipality_staff_moderate_and_only_staff_read_the_state(client, app):
    report_id = report(client)
    police = {"Authorization": f"Bearer {create_token(app.state.context.store, 'police')}"}
    assert moderate(client, report_id, "hide_text", {}).status_code == 401
    assert moderate(client, report_id, "hide_text", {"Authorization": "Bearer nonsense"}).status_code == 401
    assert moderate(client, report_id, "hide_text", police).json()["code"] == "forbidden"
    assert client.get(f"/api/reports/{report_id}/moderation").status_code == 401
    assert client.get(f"/api/reports/{report_id}/moderation", headers=police).json()["description"] == TEXT
    assert set(public_views(client, report_id).values()) == {(TEXT, MEDIA)}


def test_a_session_moderates_with_its_csrf_token_and_is_audited(client, app):
    add_user(app.state.context.store, "anna", "municipality", PASSWORD, app.state.context.settings.staff, START)
    report_id = report(client)
    sign_in(client)
    refused = moderate(client, report_id, "hide_text", {})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf"
    token = form_token(client.get("/login"))
    assert moderate(client, report_id, "hide_text", {"X-CSRF-Token": token}).status_code == 200
    [event] = client.get(f"/api/reports/{report_id}/moderation").json()["history"]
    assert (event["actor_role"], event["actor_label"]) == ("municipality", "anna (inloggad)")
    audit = app.state.context.store.audit()
    assert audit["action"].iloc[-1] == f"POST /api/reports/{report_id}/moderation"


@pytest.mark.parametrize("flags, photo, buttons", [
    ({}, MEDIA, ["hide_text", "hide_photo"]),
    ({"text_held": True}, None, ["release_text", "hide_text"]),
    ({"text_hidden": True, "photo_hidden": True}, MEDIA, ["restore_text", "restore_photo"])])
def test_the_staff_form_partial_offers_the_actions_the_state_allows(flags, photo, buttons):
    state = {"id": 'r-"x', "photo": photo, "text_hidden": False, "photo_hidden": False, "text_held": False} | flags
    html = pages.get_template("staff_moderation_form.html").render(
        state=state, action="/staff/reports/r-x/moderation", csrf_field="csrf_token", csrf_token='<t">')
    assert re.findall(r'name="action" value="(\w+)"', html) == buttons
    assert html.count('value="&lt;t&#34;&gt;"') == len(buttons) and 'r-"x' not in html, "values are escaped"
    assert html.count('name="reason" required') == len(buttons), "every action needs a reason"

"""Staff work on citizens' reports through the real app: the queue (/staff/reports) with its
filters and pages, a report's staff page, its forms (a status change with a note, a merge of a
duplicate) with CSRF and role checks, 409 when someone else moved the report first, and the API's
merge (POST /api/reports/{id}/merge) and note (PATCH /api/reports/{id})."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
import shapely
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from PIL import Image

from geo.layers import REPORTS
from service.app import create_app
from service.auth import create_token
from service.report_queue import PAGE_SIZE
from service.reports import change_status
from service.mail import MAIL_WORDING, send_due
from service.settings import (MailSettings, MapSettings, ReportSettings, ServiceSettings, Settings, StaffSettings,
                              StoreSettings)
from service.staff import add_user
from service.store import Actor, FeatureQuery
from tests.service.test_hearback import Inbox, free_port
from tests.staff import PASSWORD, form_token, sign_in

HTML = {"accept": "text/html"}
TORG = (56.6740, 12.8572)  # Stora Torg
NOW = pd.Timestamp.now(tz="UTC")


@pytest.fixture
def app(tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "queue.gpkg"), maps=MapSettings(tiles="none"),
                        reports=ReportSettings(rate_limit=1000), staff=StaffSettings(secure_cookies=False))
    app = create_app(settings)
    for name, role in (("anna", "municipality"), ("pia", "planner")):
        add_user(app.state.context.store, name, role, PASSWORD, settings.staff, NOW)
    return app


@pytest.fixture
def client(app):
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def signed_in(client: TestClient, name: str = "anna") -> None:
    assert sign_in(client, name).status_code == 303


def submit(client: TestClient, category: str = "graffiti", lat: float = TORG[0], lon: float = TORG[1],
           email: str | None = None, description: str = "Tagg på muren") -> str:
    form = {"category": category, "lat": str(lat), "lon": str(lon), "description": description}
    if category == "unsafe_place":
        form |= {"when": "night", "why": "lighting"}
    if email:
        form["email"] = email
    answer = client.post("/api/reports", data=form)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def backdate(client: TestClient, report_id: str, days: float) -> None:
    """Move a report's creation ``days`` back (as an import of an older report would store it)."""
    store = client.app.state.context.store
    frame = store.read_features(REPORTS, include_private=True, query=FeatureQuery(ids=(report_id,)))
    store.write_features(REPORTS, frame.assign(created_at=frame["created_at"] - pd.Timedelta(days=days)))


def queue_ids(page) -> list[str]:
    return re.findall(r'<td><a href="/staff/reports/([^"]+)">', page.text)


# -- who may look and change ----------------------------------------------------------------------

def test_an_anonymous_browser_is_sent_to_sign_in_and_comes_back(client):
    for path in ("/staff/reports", "/staff/reports/r-1"):
        answer = client.get(path, headers=HTML)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    assert client.get("/staff/reports").status_code == 401, "a program gets 401"


def test_a_planner_sees_the_queue_and_the_report_but_cannot_change_it(client):
    report_id = submit(client)
    signed_in(client, "pia")
    assert report_id in queue_ids(client.get("/staff/reports", headers=HTML))
    page = client.get(f"/staff/reports/{report_id}", headers=HTML)
    assert page.status_code == 200 and 'id="read-only"' in page.text and 'id="save-status"' not in page.text
    refused = client.post(f"/staff/reports/{report_id}", headers=HTML,
                          data={"csrf_token": form_token(client.get("/login")), "action": "status", "status": "acknowledged"})
    assert refused.status_code == 403 and '<html lang="sv">' in refused.text
    assert "Sidan är inte för dig" in refused.text
    assert client.app.state.context.store.report_history([report_id])["to_status"].tolist() == ["open"]


def test_a_form_post_without_the_csrf_token_is_refused(client):
    report_id = submit(client)
    signed_in(client)
    refused = client.post(f"/staff/reports/{report_id}", data={"action": "status", "status": "acknowledged"})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf"
    in_a_browser = client.post(f"/staff/reports/{report_id}", headers=HTML,
                               data={"action": "status", "status": "acknowledged", "csrf_token": "gammal"})
    assert in_a_browser.status_code == 403 and "Formuläret har gått ut" in in_a_browser.text
    assert client.app.state.context.store.report_history([report_id])["to_status"].tolist() == ["open"]


# -- the queue --------------------------------------------------------------------------------------

def test_the_queue_shows_open_reports_oldest_first_with_swedish_labels(client):
    newer, older = submit(client), submit(client, "weeds")
    closed = submit(client)
    backdate(client, older, 10)
    change_status(client.app.state.context.store, closed, "closed", Actor("municipality"), "sanerat")
    signed_in(client)
    page = client.get("/staff/reports", headers=HTML)
    assert page.status_code == 200 and '<html lang="sv">' in page.text and page.headers["cache-control"] == "no-store"
    assert queue_ids(page) == [older, newer], "open ones only, the oldest first"
    assert "2 ärenden" in page.text and "Ogräs" in page.text and "10 dagar" in page.text and "Öppen" in page.text
    for field in ("zone", "category", "status", "older_than", "created_from", "created_to"):
        assert f'<label for="{field}">' in page.text and f'id="{field}"' in page.text
    assert set(queue_ids(client.get("/staff/reports?status=alla", headers=HTML))) == {older, newer, closed}


def test_the_queue_filters_by_zone_category_status_and_age(client):
    torg = submit(client)
    elsewhere = submit(client, lat=56.6707, lon=12.8596)
    weeds = submit(client, "weeds")
    pin = submit(client, "unsafe_place")
    backdate(client, torg, 40)
    backdate(client, weeds, 5)
    zones = client.app.state.context.zones
    torg_zone = zones.loc[zones.contains(shapely.Point(TORG[1], TORG[0])), "zone_id"].iloc[0]
    signed_in(client)

    def shown(query: str) -> set[str]:
        page = client.get(f"/staff/reports?{query}", headers=HTML)
        assert page.status_code == 200, page.text
        return set(queue_ids(page))

    assert shown(f"zone={torg_zone}") == {torg, weeds, pin}
    assert shown("category=graffiti") == {torg, elsewhere}
    assert shown("category=unsafe_place") == {pin}, "staff see unsafe-place pins"
    assert shown("older_than=30") == {torg}
    assert shown("older_than=3") == {torg, weeds}
    today = NOW.tz_convert("Europe/Stockholm").date()
    assert shown(f"created_from={today.isoformat()}") == {elsewhere, pin}
    assert shown(f"created_to={(today - pd.Timedelta(days=1)).isoformat()}") == {torg, weeds}
    assert shown("status=acknowledged") == set()


def test_a_refused_filter_is_explained_in_swedish_with_the_values_kept(client):
    signed_in(client)
    page = client.get("/staff/reports?older_than=tio&category=graffiti", headers=HTML)
    assert page.status_code == 422 and 'role="alert"' in page.text and "heltal" in page.text
    assert 'value="tio"' in page.text and '<option value="graffiti" selected>' in page.text


def test_the_queue_is_paged_in_the_store(client):
    ids = [submit(client) for _ in range(PAGE_SIZE + 3)]
    for age, report_id in enumerate(reversed(ids)):
        backdate(client, report_id, age + 1)  # the first submitted is the oldest
    signed_in(client)
    first = client.get("/staff/reports?category=graffiti", headers=HTML)
    assert queue_ids(first) == ids[:PAGE_SIZE] and "sida 1 av 2" in first.text
    following = re.search(r'href="(/staff/reports\?[^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = client.get(following, headers=HTML)
    assert queue_ids(second) == ids[PAGE_SIZE:] and "category=graffiti" in following
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text


# -- a report's page and its forms --------------------------------------------------------------------

def test_the_report_page_shows_the_report_and_never_the_address(client):
    report_id = submit(client, email="anna.andersson@example.org", description="Tagg <b>på</b> muren")
    near = submit(client, lat=TORG[0] + 0.00005)
    signed_in(client)
    page = client.get(f"/staff/reports/{report_id}", headers=HTML)
    assert page.status_code == 200 and "Klotter – ärende" in page.text
    assert "Anmälaren vill ha besked" in page.text and "anna.andersson" not in page.text
    assert "Tagg &lt;b&gt;på&lt;/b&gt; muren" in page.text, "citizen text stays text"
    assert f'href="/staff/reports/{near}"' in page.text, "a possible duplicate nearby"
    assert "Ny: Öppen" in page.text


def test_a_status_change_with_a_note_lands_in_the_history(client):
    report_id = submit(client)
    signed_in(client)
    page = client.get(f"/staff/reports/{report_id}", headers=HTML)
    moved = client.post(f"/staff/reports/{report_id}", headers=HTML, data={
        "csrf_token": form_token(page), "action": "status", "status": "closed", "close_reason": "sanerat",
        "note": "Tvättat med högtryck"})
    assert moved.status_code == 303 and moved.headers["location"] == f"/staff/reports/{report_id}?klart=status"
    shown = client.get(moved.headers["location"], headers=HTML)
    assert "Statusen är ändrad." in shown.text and "Öppen → Åtgärdad" in shown.text
    assert "Tvättat med högtryck" in shown.text and "anna (inloggad)" in shown.text
    history = client.app.state.context.store.report_history([report_id])
    assert history["note"].tolist()[-1] == "Tvättat med högtryck"


def test_a_refused_change_keeps_the_values_and_says_why_in_swedish(client):
    report_id = submit(client)
    signed_in(client)
    page = client.get(f"/staff/reports/{report_id}", headers=HTML)
    refused = client.post(f"/staff/reports/{report_id}", headers=HTML, data={
        "csrf_token": form_token(page), "action": "status", "status": "closed", "note": "Min anteckning"})
    assert refused.status_code == 422 and "Ange en orsak" in refused.text and "Min anteckning" in refused.text


def test_someone_else_moving_the_report_first_is_a_409_with_the_status_now(client):
    report_id = submit(client)
    signed_in(client)
    page = client.get(f"/staff/reports/{report_id}", headers=HTML)  # the form, as it was
    change_status(client.app.state.context.store, report_id, "scheduled", Actor("municipality", "kollega"))
    late = client.post(f"/staff/reports/{report_id}", headers=HTML, data={
        "csrf_token": form_token(page), "action": "status", "status": "acknowledged", "note": "Sett på plats"})
    assert late.status_code == 409 and "Någon annan hann före: ärendet är nu planerad" in late.text
    assert 'id="status">Planerad<' in late.text and "Sett på plats" in late.text


def test_a_merge_moves_the_supporters_and_the_subscription(client):
    kept = submit(client, email="kept@example.org")
    duplicate = submit(client, lat=TORG[0] + 0.00005, email="dup@example.org")
    client.post(f"/api/reports/{duplicate}/support")
    signed_in(client)
    page = client.get(f"/staff/reports/{duplicate}", headers=HTML)
    merged = client.post(f"/staff/reports/{duplicate}", headers=HTML,
                         data={"csrf_token": form_token(page), "action": "merge", "into": kept})
    assert merged.status_code == 303
    shown = client.get(merged.headers["location"], headers=HTML)
    assert "sammanslaget och stängt som dubblett" in shown.text and f"dubblett av {kept}" in shown.text
    kept_page = client.get(f"/staff/reports/{kept}", headers=HTML)
    assert 'id="supporters">2<' in kept_page.text, "the duplicate's supporter and its reporter"
    assert "dessutom 1 från sammanslagna dubbletter" in kept_page.text
    assert f"dubbletten {duplicate} har slagits ihop med denna" in kept_page.text
    public = client.get(f"/reports/{kept}").text
    assert public.count("Öppen") == 2, "the public page: its status and the one change of status, not the merge"


def test_merging_into_itself_across_categories_or_a_closed_report_is_refused(client):
    graffiti, weeds, closed = submit(client), submit(client, "weeds"), submit(client)
    change_status(client.app.state.context.store, closed, "closed", Actor("municipality"), "sanerat")
    signed_in(client)
    page = client.get(f"/staff/reports/{graffiti}", headers=HTML)
    for into, status in ((graffiti, 422), (weeds, 422), (closed, 409), ("r-finnsinte", 422)):
        refused = client.post(f"/staff/reports/{graffiti}", headers=HTML,
                              data={"csrf_token": form_token(page), "action": "merge", "into": into})
        assert refused.status_code == status and 'role="alert"' in refused.text and f'value="{into}"' in refused.text


def test_an_uploaded_photo_is_shown_and_an_open311_link_only_linked(client):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(buffer, "PNG")
    uploaded = client.post("/api/reports", data={"category": "graffiti", "lat": str(TORG[0]), "lon": str(TORG[1])},
                           files={"photo": ("klotter.png", buffer.getvalue(), "image/png")}).json()["id"]
    linked = client.post("/open311/v2/requests.json", data={
        "service_code": "litter", "lat": str(TORG[0]), "long": str(TORG[1]),
        "media_url": "https://bilder.example.org/1.jpg"}).json()[0]["service_request_id"]
    signed_in(client)
    page = client.get(f"/staff/reports/{uploaded}", headers=HTML)
    assert f'<img class="photo" src="/api/reports/{uploaded}/photo"' in page.text
    photo = client.get(f"/api/reports/{uploaded}/photo")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png", "the session opens the photo"
    page = client.get(f"/staff/reports/{linked}", headers=HTML)
    assert 'href="https://bilder.example.org/1.jpg" rel="noopener noreferrer nofollow"' in page.text
    assert "<img" not in page.text, "an app's photo is never loaded by the staff's browser"


def test_the_moderation_forms_are_on_the_report_page_and_come_back_to_it(client):
    report_id = submit(client, description="Namn och adress till grannen")
    signed_in(client)
    page = client.get(f"/staff/reports/{report_id}", headers=HTML)
    assert f'action="/staff/moderation/{report_id}"' in page.text and "Dölj texten" in page.text
    hidden = client.post(f"/staff/moderation/{report_id}", headers=HTML, data={
        "csrf_token": form_token(page), "action": "hide_text", "reason": "personuppgifter",
        "back": f"/staff/reports/{report_id}"})
    assert hidden.status_code == 303 and hidden.headers["location"].startswith(f"/staff/reports/{report_id}?")
    shown = client.get(hidden.headers["location"], headers=HTML)
    assert "Texten är dold för allmänheten." in shown.text and "Visa texten igen" in shown.text
    assert "Namn och adress till grannen" in shown.text, "staff still read the hidden text"
    assert "Namn och adress till grannen" not in client.get(f"/reports/{report_id}").text


# -- the API ----------------------------------------------------------------------------------------------

@pytest.fixture
def municipality(client):
    return {"Authorization": f"Bearer {create_token(client.app.state.context.store, 'municipality', 'test')}"}


def test_the_api_merges_and_answers_409_and_422(client, municipality):
    kept, duplicate = submit(client), submit(client)
    pin, pin2 = submit(client, "unsafe_place"), submit(client, "unsafe_place")
    answer = client.post(f"/api/reports/{duplicate}/merge", json={"into": kept}, headers=municipality)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": duplicate, "status": "closed", "close_reason": f"dubblett av {kept}", "into": kept,
                             "supporters": 1}
    again = client.post(f"/api/reports/{duplicate}/merge", json={"into": kept}, headers=municipality)
    assert again.status_code == 409 and again.json()["current"] == {"id": duplicate, "status": "closed"}
    for duplicate_id, into in ((kept, kept), (pin, pin2)):
        refused = client.post(f"/api/reports/{duplicate_id}/merge", json={"into": into}, headers=municipality)
        assert refused.status_code == 422 and refused.json()["field"] == "into"
    assert client.post(f"/api/reports/{kept}/merge", json={"into": "r-nope"}, headers=municipality).status_code == 404
    control = client.post(f"/api/reports/{kept}/merge", json={"into": "r-\u0000"}, headers=municipality)
    assert control.status_code == 422 and control.json()["field"] == "into"
    planner = {"Authorization": f"Bearer {create_token(client.app.state.context.store, 'planner')}"}
    assert client.post(f"/api/reports/{kept}/merge", json={"into": duplicate}, headers=planner).status_code == 403


def test_the_api_patch_keeps_a_note_in_the_history(client, municipality):
    report_id = submit(client)
    answer = client.patch(f"/api/reports/{report_id}", json={"status": "acknowledged", "note": "Kollat på plats"},
                          headers=municipality)
    assert answer.status_code == 200
    assert client.app.state.context.store.report_history([report_id])["note"].tolist()[-1] == "Kollat på plats"
    too_long = client.patch(f"/api/reports/{report_id}", json={"status": "scheduled", "note": "x" * 1001},
                            headers=municipality)
    assert too_long.status_code == 422


def test_the_duplicates_reporter_hears_when_the_kept_report_is_closed(tmp_path):
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    settings = Settings(store=StoreSettings(db=tmp_path / "mail.gpkg"),
                        service=ServiceSettings(public_url="http://testserver"),
                        mail=MailSettings(host="127.0.0.1", port=port, starttls=False, poll_s=3600))
    try:
        with TestClient(create_app(settings)) as client:
            kept, duplicate = submit(client, email="kept@example.org"), submit(client, email="dup@example.org")
            token = create_token(client.app.state.context.store, "municipality")
            staff = {"Authorization": f"Bearer {token}"}
            assert client.post(f"/api/reports/{duplicate}/merge", json={"into": kept}, headers=staff).status_code == 200
            assert client.patch(f"/api/reports/{kept}", json={"status": "closed", "close_reason": "sanerat"},
                                headers=staff).status_code == 200
            assert send_due(client.app.state.context.store, settings.mail, "http://testserver") == 4
    finally:
        smtp.stop()
    closed = {m["To"]: m.get_content() for m in inbox.messages if m["Subject"] == MAIL_WORDING["graffiti"]["closed"]}
    assert set(closed) == {"kept@example.org", "dup@example.org"}, "a 'closed' mail each, none for the merge"
    assert f"http://testserver/reports/{kept}" in closed["dup@example.org"]
    assert f"Din anmälan ({duplicate}) gällde samma sak som anmälan {kept}" in closed["dup@example.org"]

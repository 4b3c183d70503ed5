"""Events through the real app: municipality staff add (POST /api/events) and remove events, by the
layer's rules, once per id; the layer's GeoJSON serves an event held on an area as its Polygon;
the year's figures (GET /api/events) and the calendar page (/events); the staff page
/staff/events adds and removes through the same use case, with CSRF, an audit row and Swedish errors."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from geo.layers import EVENTS
from geo.timestamps import LOCAL_TZ
from service.app import create_app
from service.auth import create_token
from service.settings import MapSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from tests.staff import PASSWORD, form_token

SQUARE = {"type": "Polygon", "coordinates": [[[12.8560, 56.6735], [12.8600, 56.6735], [12.8600, 56.6742],
                                              [12.8560, 56.6742], [12.8560, 56.6735]]]}
PAGE = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    settings = Settings(store=StoreSettings(db=tmp_path_factory.mktemp("events") / "db.gpkg"),
                        maps=MapSettings(tiles="none"), staff=StaffSettings(secure_cookies=False, login_rate_limit=1000))
    app = create_app(settings)
    for name, role in (("maria", "municipality"), ("per", "police")):
        add_user(app.state.context.store, name, role, PASSWORD, settings.staff, pd.Timestamp.now(tz="UTC"))
    return app


@pytest.fixture(scope="module")
def api(app):
    store = app.state.context.store
    client = TestClient(app, headers={"Accept-Language": "en"})
    client.municipality = {"Authorization": f"Bearer {create_token(store, 'municipality')}"}
    client.police = {"Authorization": f"Bearer {create_token(store, 'police')}"}
    return client


def browser(app, name: str | None = None) -> TestClient:
    client = TestClient(app, follow_redirects=False, headers=PAGE)
    if name is not None:
        signed_in = client.post("/login", data={"name": name, "password": PASSWORD,
                                                "csrf_token": form_token(client.get("/login"))})
        assert signed_in.status_code == 303
    return client


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_staff_add_an_event_once_and_remove_it(api):
    body = {"id": "fest-2020", "name": "Sommarfest", "starts_at": "2020-07-17T12:00", "ends_at": "2020-07-18T00:00",
            "kind": "festival", "expected_visitors": 8000, "organiser": "Kommunen", "lon": 12.857, "lat": 56.674,
            "area": SQUARE}
    assert api.post("/api/events", json=body).status_code == 401
    assert api.post("/api/events", json=body, headers=api.police).status_code == 403
    made = api.post("/api/events", json=body, headers=api.municipality)
    assert made.status_code == 201 and made.json()["has_area"] and made.json()["source"] == "staff"
    again = api.post("/api/events", json=body, headers=api.municipality)
    assert again.status_code == 409 and again.json()["current"] == {"id": "fest-2020", "name": "Sommarfest"}
    layer = api.get("/api/layers/events").json()
    [feature] = [f for f in layer["features"] if f["properties"]["id"] == "fest-2020"]
    assert feature["geometry"]["type"] == "Polygon" and feature["properties"]["expected_visitors"] == 8000
    assert api.delete("/api/events/fest-2020").status_code == 401
    assert api.delete("/api/events/fest-2020", headers=api.municipality).status_code == 204
    gone = api.delete("/api/events/fest-2020", headers=api.municipality)
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"


@pytest.mark.parametrize(("change", "field"), [
    ({"ends_at": "2020-07-17T11:00"}, "ends_at"), ({"kind": "rave"}, "kind"), ({"lon": 12.70}, "lat/lon"),
    ({"place": "månen"}, "place"), ({"area": {"type": "LineString", "coordinates": [[12.85, 56.67], [12.86, 56.67]]}},
                                    "area"), ({"area": {"type": "Foo", "coordinates": []}}, "area"),
    ({"area": {"type": "Polygon"}}, "area"), ({"expected_visitors": -5}, "expected_visitors")])
def test_an_event_the_rules_refuse_is_a_422_naming_the_field_and_nothing_is_stored(api, change, field):
    body = {"name": "Fel", "starts_at": "2020-07-17T12:00", "ends_at": "2020-07-17T14:00", "lon": 12.857, "lat": 56.674}
    refused = api.post("/api/events", json=body | change, headers=api.municipality)
    assert refused.status_code == 422 and refused.json()["field"] == field, refused.json()
    assert api.app.state.context.store.count(EVENTS) == 0


def test_the_figures_and_the_calendar_of_a_year(api):
    body = {"id": "torg-1", "name": "Konsert på <b>torget</b>", "starts_at": "2020-05-08T20:00",
            "ends_at": "2020-05-09T01:00", "kind": "concert", "place": "stora-torg", "expected_visitors": 1200}
    assert api.post("/api/events", json=body, headers=api.municipality).status_code == 201
    figures = api.get("/api/events?year=2020").json()
    [event] = figures["events"]
    assert event["zones"] == [{"zone_id": "stora-torg", "name": "Stora Torg"}] and event["kind_name"] == "Konsert"
    assert event["comparison_windows"] == 51 and event["figures"]["incidents"] == {"event": 0, "mean": 0, "min": 0,
                                                                                   "max": 0}
    assert figures["bands"]["20-23"] == {"events": 1, "event_hours": 3.0} and figures["bands"]["23-02"]["events"] == 1
    page = api.get("/events?year=2020")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    assert "&lt;b&gt;torget&lt;/b&gt;" in page.text and "<b>torget" not in page.text
    text = text_of(page.text)
    assert "Maj 2020" in text and "fre 8 maj 20:00–01:00" in text and "Väntade besökare 1 200" in text
    assert "Stora Torg" in text and "Konsert" in text and "snitt 0 (0–0)" in text
    assert "Inga evenemang registrerade 2019" in text_of(api.get("/events?year=2019").text)
    assert api.delete("/api/events/torg-1", headers=api.municipality).status_code == 204


def test_an_event_not_over_yet_has_figures_not_known_yet(api):
    today = pd.Timestamp.now(tz=LOCAL_TZ).normalize()  # starts this year, ends after the data (today)
    body = {"id": "pågår", "name": "Pågående marknad", "starts_at": f"{today:%Y-%m-%dT%H:%M}",
            "ends_at": f"{today + pd.Timedelta(days=2):%Y-%m-%dT%H:%M}", "kind": "market", "place": "stora-torg"}
    assert api.post("/api/events", json=body, headers=api.municipality).status_code == 201
    try:
        [event] = api.get("/api/events").json()["events"]
        assert event["zones"] == [{"zone_id": "stora-torg", "name": "Stora Torg"}]
        assert [figure["event"] for figure in event["figures"].values()] == [None, None, None]
        text = text_of(api.get("/events").text)
        assert "Polisnärvaro (timmar) – " in text and "ännu inte kända" in text and "utanför zonerna" not in text
    finally:
        assert api.delete("/api/events/pågår", headers=api.municipality).status_code == 204


def test_the_staff_page_adds_and_removes_with_csrf_and_says_why_in_swedish(app):
    assert browser(app).get("/staff/events").status_code == 303
    assert browser(app, "per").get("/staff/events").status_code == 403
    maria = browser(app, "maria")
    page = maria.get("/staff/events?year=2020")
    assert page.status_code == 200 and 'href="/staff/events"' in page.text
    form = {"name": "Julmarknad", "starts_at": "2020-12-12T11:00", "ends_at": "2020-12-12T17:00", "kind": "market",
            "expected_visitors": "3000", "organiser": "Handeln", "place": "", "lon": "12,8578", "lat": "56,6744"}
    assert maria.post("/staff/events", data=form).status_code == 403  # no CSRF token
    token = form_token(page)
    added = maria.post("/staff/events", data=form | {"csrf_token": token})
    assert added.status_code == 303 and "added=Julmarknad" in added.headers["location"]
    listed = text_of(maria.get(added.headers["location"]).text)
    assert "Evenemanget ”Julmarknad” är sparat." in listed and "lör 12 december 11:00–17:00" in listed
    late = maria.post("/staff/events", data=form | {"csrf_token": token, "ends_at": "2020-12-12T10:00"})
    assert late.status_code == 422 and "Sluttiden måste ligga efter starttiden." in text_of(late.text)
    assert 'value="Julmarknad"' in late.text  # the form as it was sent
    nowhere = maria.post("/staff/events", data=form | {"csrf_token": token, "lon": ""})
    assert nowhere.status_code == 422 and "Välj en plats ur listan" in text_of(nowhere.text)
    [stored] = app.state.context.store.read_features(EVENTS)["id"].tolist()
    removed = maria.post(f"/staff/events/{stored}/remove", data={"year": "2020", "csrf_token": token})
    assert removed.status_code == 303 and app.state.context.store.count(EVENTS) == 0
    again = maria.post(f"/staff/events/{stored}/remove", data={"year": "2020", "csrf_token": token})
    assert again.status_code == 404 and "finns inte längre" in text_of(again.text)
    audit = app.state.context.store.audit()
    assert {"POST /staff/events", f"POST /staff/events/{stored}/remove"} <= set(audit.loc[audit["actor"] == "maria",
                                                                                          "action"])

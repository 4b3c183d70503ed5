"""The events pages in a real browser: a municipal officer signs in, places an event by clicking
the map, adds it and removes another; on a phone the public calendar shows the event by month,
its text as text, without scrolling sideways."""

from __future__ import annotations

import pandas as pd

from geo.layers import EVENTS
from service.app import create_app
from service.events import new_event
from service.settings import MapSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from service.store import Actor
from tests.staff import PASSWORD

HOSTILE = '<img src=x onerror="window.__x=1">${window.__x=1}'


def test_an_event_placed_on_the_map_is_added_and_shown_on_the_calendar(browser, serve, tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "db.gpkg"), maps=MapSettings(tiles="none"),
                        staff=StaffSettings(secure_cookies=False))
    app = create_app(settings)
    state = app.state.context
    add_user(state.store, "maria", "municipality", PASSWORD, settings.staff, pd.Timestamp.now(tz="UTC"))
    new_event(state.store, state.zones, {"id": "gammal", "name": "Inställd konsert", "starts_at": "2020-06-05T19:00",
                                         "ends_at": "2020-06-05T21:00", "place": "slottet"}, Actor("municipality"))
    base = serve(app)
    page = browser.new_context().new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(base + "/staff/events?year=2020")
    page.get_by_label("Användarnamn").fill("maria")
    page.get_by_label("Lösenord").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()
    page.wait_for_selector("#event-map .leaflet-interactive")  # the zones are drawn

    page.get_by_label("Namn").fill(HOSTILE)
    page.get_by_label("Börjar").fill("2020-05-08T20:00")
    page.get_by_label("Slutar").fill("2020-05-09T01:00")
    page.get_by_label("Typ").select_option("concert")
    page.get_by_label("Väntade besökare").fill("1200")
    page.locator("#event-map").scroll_into_view_if_needed()
    box = page.locator("#event-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lon, lat = float(page.get_by_label("Longitud (WGS84)").input_value()), float(page.get_by_label("Latitud (WGS84)").input_value())
    assert 12.85 < lon < 12.87 and 56.66 < lat < 56.68
    with page.expect_navigation():
        page.get_by_role("button", name="Lägg till evenemanget").click()
    assert "är sparat" in page.get_by_role("status").inner_text()
    stored = state.store.read_features(EVENTS).set_index("id")
    added = stored[stored["name"] == HOSTILE].iloc[0]
    assert abs(added.geometry.x - lon) < 1e-6 and added["expected_visitors"] == 1200

    with page.expect_navigation():
        page.get_by_role("button", name="Ta bort Inställd konsert").click()
    assert "är borttaget" in page.get_by_role("status").inner_text() and "gammal" not in set(
        state.store.read_features(EVENTS)["id"])

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.on("pageerror", lambda error: problems.append(str(error)))
    phone.goto(base + "/events?year=2020")
    assert phone.get_by_role("heading", name="Maj 2020").is_visible()
    event = phone.locator("li.event").first
    assert HOSTILE in event.get_by_role("heading").inner_text() and "fre 8 maj 20:00–01:00" in event.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert phone.evaluate("window.__x") is None and problems == []

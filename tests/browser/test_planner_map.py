"""The planner map in a real browser with the synthetic demo data set."""

from __future__ import annotations

from urllib.parse import urlparse

import pandas as pd
import pytest

from geo.layers import EVENT_KIND_NAMES
from geo.maps.colours import EVENT_COLOUR
from geo.swedish import sv_numbers, when_text
from geo.timestamps import LOCAL_TZ
from service.app import create_app
from service.events import year_events
from service.settings import MapSettings, Settings, StoreSettings
from service.store import SQLiteStore
from tests.browser.test_overview_map import open_page


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, demo_year_db):
    return demo_year_db(tmp_path_factory.mktemp("planner"))


def test_planner_map_shows_every_layer_offline(browser, serve, demo_db, tmp_path):
    settings = Settings(store=StoreSettings(db=demo_db), maps=MapSettings(tiles="none"))
    page, problems, requests = open_page(browser, serve(create_app(settings)) + "/maps/planner?year=2020")
    assert problems == []
    assert [u for u in requests if urlparse(u).hostname != "127.0.0.1" and not u.startswith("data:")] == []
    control = page.inner_text(".leaflet-control-layers")
    for layer in ("Polisnärvaro (h)", "Brott per hektar", "Brott (antal per 50 m-ruta)", "Belysningspunkter",
                  "Öppna felanmälningar", "Otrygga platser (natt)", "Mörka fläckar", "Belysningsstyrka (lux)"):
        assert layer in control
    assert "SYNTETISKA DEMODATA" in page.inner_text("#map-title")
    assert "belysningspunkt: trasig" in page.inner_text("#planner-legend")
    page.screenshot(path=str(tmp_path / "planner.png"))


def test_planner_map_shows_the_years_events_when_chosen(browser, serve, demo_db):
    events = year_events(SQLiteStore(demo_db), 2020)
    assert len(events), "the demo year has events"
    settings = Settings(store=StoreSettings(db=demo_db), maps=MapSettings(tiles="none"))
    page, problems, _ = open_page(browser, serve(create_app(settings)) + "/maps/planner?year=2020")
    markers = page.locator(f'path.leaflet-interactive[fill="{EVENT_COLOUR}"]')
    assert markers.count() == 0, "hidden until chosen"
    page.locator(".leaflet-control-layers label", has_text=f"Evenemang ({len(events)})").locator("input").check()
    assert markers.count() == len(events)
    box = markers.first.bounding_box()  # events at one place overlap: the tooltip is the topmost one's
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = page.locator(".leaflet-tooltip").inner_text()
    shown = [[["Evenemang", e.name], ["När", when_text(e.starts_at, e.ends_at)], ["Typ", EVENT_KIND_NAMES[e.kind]],
              ["Väntade besökare", visitors]]
             for e, visitors in zip(events.itertuples(), sv_numbers(events["expected_visitors"], 0))]
    assert [line.split("\t") for line in tooltip.split("\n")] in shown
    assert "evenemang" in page.inner_text("#planner-legend") and problems == []


def test_lighting_map_shows_lux_dark_spots_and_lamps(browser, serve, demo_db):
    settings = Settings(store=StoreSettings(db=demo_db), maps=MapSettings(tiles="none"))
    page, problems, requests = open_page(browser, serve(create_app(settings)) + "/maps/lighting")
    assert problems == []
    assert [u for u in requests if urlparse(u).hostname != "127.0.0.1" and not u.startswith("data:")] == []
    control = page.inner_text(".leaflet-control-layers")
    for layer in ("Belysningsstyrka (lux)", "Beräkningsfält (EN 13201-3)", "Mörka fläckar", "Belysningspunkter",
                  "Zoner och belysningsklass"):
        assert layer in control
    legend = page.inner_text("#lux-legend")
    assert "≥ 2 lx" in legend and "fält under sin klass" in legend and "SYNTETISKA DEMODATA" in legend
    assert page.locator("path.leaflet-interactive").count() > 200, "the fields are drawn"
    assert page.locator("img.leaflet-image-layer").count() == 1
    assert page.locator('path.leaflet-interactive[fill="none"]').count() == 0, "lamps are filled dots, not rings"


def test_police_map_needs_a_police_token_and_shows_a_track(browser, serve, demo_db):
    from service.auth import create_token

    token = create_token(SQLiteStore(demo_db), "police")
    planner = create_token(SQLiteStore(demo_db), "planner")
    settings = Settings(store=StoreSettings(db=demo_db), maps=MapSettings(tiles="none"))
    base = serve(create_app(settings))
    pings = SQLiteStore(demo_db).read_pings(pd.Timestamp("2020-05-01", tz=LOCAL_TZ), pd.Timestamp("2020-06-01", tz=LOCAL_TZ),
                                            unit_ids=["demo-cykel-1"])
    day = pings["timestamp"].iloc[0].tz_convert(LOCAL_TZ).date()  # a day the bike patrol was out
    url = base + f"/maps/police?year=2020&day={day}&unit=demo-cykel-1"
    anonymous = browser.new_page()
    anonymous.goto(url)
    assert anonymous.url.startswith(base + "/login?next="), "a browser without a token or session is sent to sign in"
    refused = browser.new_page(extra_http_headers={"Authorization": f"Bearer {planner}"})
    assert refused.goto(url).status == 403
    page = browser.new_page(extra_http_headers={"Authorization": f"Bearer {token}"})
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    assert page.goto(url).status == 200
    page.wait_for_selector(".leaflet-control-layers")
    control = page.inner_text(".leaflet-control-layers")
    assert "Hot spots och dos" in control and "Spår" in control and problems == []
    assert "hela andelen" in page.inner_text("#police-legend")


XSS = "<img src=x onerror=window.__x=1>${window.__x=2}"


def test_a_citizen_reports_graffiti_by_tapping_the_map(browser, serve, tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "report.sqlite"), maps=MapSettings(tiles="none"))
    base = serve(create_app(settings))
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(base + "/report")
    page.wait_for_selector(".leaflet-overlay-pane path")  # the zones drawn
    page.click("#send")
    assert "Tryck på kartan" in page.inner_text("#message"), "no place chosen yet"
    page.locator("#map").scroll_into_view_if_needed()  # the answer was scrolled into view
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.select_option("#category", "graffiti")
    page.fill("#description", XSS)
    page.click("#send")
    page.wait_for_selector("#message.ok")
    report_id = page.get_attribute("#message", "data-report-id")
    reports = page.request.get(base + "/api/layers/reports").json()
    mine = [f for f in reports["features"] if f["properties"]["id"] == report_id]
    assert mine and mine[0]["properties"]["category"] == "graffiti" and mine[0]["properties"]["description"] == XSS
    page.reload()
    marker = page.locator('path.leaflet-interactive[stroke="#6a3d9a"]')  # open reports nearby
    marker.first.wait_for()
    marker.first.click(force=True)
    page.wait_for_selector(".leaflet-popup-content")
    assert XSS in page.inner_text(".leaflet-popup-content"), "the description shows as text"
    assert page.evaluate("window.__x") is None and problems == []
    assert page.locator("#send").bounding_box()["height"] >= 44, "large touch targets"


def test_the_thank_you_links_to_the_report_page_where_others_add_their_support(browser, serve, tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "follow.sqlite"), maps=MapSettings(tiles="none"))
    base = serve(create_app(settings))
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(base + "/report")
    page.wait_for_selector(".leaflet-overlay-pane path")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.select_option("#category", "litter")
    page.click("#send")
    page.wait_for_selector("#message.ok #report-link")
    report_id = page.get_attribute("#message", "data-report-id")
    page.click("#report-link")
    page.wait_for_selector("#status")
    assert page.url.endswith(f"/reports/{report_id}") and page.inner_text("#category") == "Nedskräpning"
    assert page.inner_text("#status") == "Öppen" and page.inner_text("#supporters").startswith("0 ")
    page.click("text=Jag har också sett det")
    page.wait_for_selector("#supporters:has-text('1 person har')")
    assert problems == []


def test_a_citizen_marks_an_unsafe_place(browser, serve, tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "unsafe.sqlite"), maps=MapSettings(tiles="none"))
    base = serve(create_app(settings))
    page = browser.new_page()
    page.goto(base + "/report")
    page.wait_for_selector(".leaflet-overlay-pane path")  # the zones drawn
    page.click("#mode-unsafe")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.select_option("#when", "night")
    page.select_option("#why", "lighting")
    page.click("#send")
    page.wait_for_selector("#message.ok")
    assert page.locator("#report-link").count() == 0, "an unsafe place has no public page"
    summary = page.request.get(base + "/api/unsafe-places").json()
    assert summary["total"] == 1
    assert page.request.get(base + "/api/layers/reports").json()["numberMatched"] == 0, "never an individual pin"

"""The citizens' report page (/report) in Chromium: the place set by keyboard, by the browser's
position or by a street; the form cleared after sending and never sent twice; Swedish labels and
errors; the open reports in view loaded page by page."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import expect

from geo.layers import FAULT_CATEGORIES, REPORT_CATEGORY_NAMES, REPORTS, validate
from service.app import create_app
from service.settings import MapSettings, Settings, StoreSettings
from service.store import SQLiteStore

TORG = (12.8572, 56.6740)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def site(serve, tmp_path):
    """(base URL, database path) of a fresh service without a basemap."""
    db = tmp_path / "report.sqlite"
    return serve(create_app(Settings(store=StoreSettings(db=db), maps=MapSettings(tiles="none")))), db


def open_report(browser, base: str, **context_options):
    context = browser.new_context(viewport=PHONE, **context_options)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(base + "/report")
    page.wait_for_selector(".leaflet-overlay-pane path")  # the zones drawn
    page.wait_for_selector("#street option:nth-child(2)", state="attached")  # the streets listed
    return page, problems


def tab_to(page, element_id: str, presses: int = 30) -> None:
    """Press Tab until ``element_id`` has the focus, as a keyboard user would."""
    for _ in range(presses):
        if page.evaluate("document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


def stored(page, base: str, report_id: str) -> dict:
    features = page.request.get(base + "/api/layers/reports?limit=1000").json()["features"]
    return next(f for f in features if f["properties"]["id"] == report_id)


def test_a_report_placed_and_sent_by_keyboard_alone_is_stored_where_the_pin_was(browser, site):
    base, _ = site
    page, problems = open_report(browser, base)
    tab_to(page, "map")
    page.keyboard.press("ArrowRight")  # the pin appears in the middle of the map
    first = (float(page.input_value("#lat")), float(page.input_value("#lon")))
    for key in ("ArrowRight", "ArrowRight", "ArrowUp", "Shift+ArrowUp"):
        page.keyboard.press(key)
    lat, lon = float(page.input_value("#lat")), float(page.input_value("#lon"))
    assert lon > first[1] and lat > first[0], "right moves east, up moves north"
    announced = page.locator("#position")
    assert announced.get_attribute("aria-live") == "polite"
    assert "Nålen står" in announced.inner_text() and "i zonen" in announced.inner_text()
    tab_to(page, "category")
    page.select_option("#category", "broken_light")
    tab_to(page, "description")
    page.keyboard.type("Lampan är släckt")
    tab_to(page, "send")
    page.keyboard.press("Enter")
    page.wait_for_selector("#message.ok")
    report = stored(page, base, page.get_attribute("#message", "data-report-id"))
    assert report["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-5)
    assert report["properties"]["category"] == "broken_light"
    assert problems == []


def test_the_form_clears_after_sending_and_a_double_click_sends_once(browser, site):
    base, db = site
    page, problems = open_report(browser, base)
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"], "no sideways scrolling on a phone"
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.fill("#description", "Klotter på väggen")
    page.fill("#email", "anna@example.org")
    page.dblclick("#send")
    page.wait_for_selector("#message.ok")
    page.wait_for_timeout(500)  # a second request would have landed by now
    assert SQLiteStore(db).read_features(REPORTS).shape[0] == 1, "one report from a double click"
    assert page.input_value("#description") == "" and page.input_value("#email") == "" and page.input_value("#lat") == ""
    assert page.locator(".leaflet-marker-icon").count() == 0, "the pin is gone"
    assert page.evaluate("document.activeElement.id") == "message", "the answer has the focus"
    answer = page.locator("#message").bounding_box()
    assert 0 <= answer["y"] and answer["y"] + answer["height"] <= PHONE["height"], "visible on a phone without scrolling"
    assert page.is_enabled("#send")
    page.click("#send")
    assert "Välj platsen först" in page.inner_text("#message"), "nothing is sent again without a new place"
    assert problems == []


def test_labels_and_errors_are_swedish_and_errors_are_announced(browser, site):
    base, db = site
    page, problems = open_report(browser, base)
    options = page.locator("#category option").all_inner_texts()
    assert options == [REPORT_CATEGORY_NAMES[code] for code in FAULT_CATEGORIES]
    tab_to(page, "map")
    for _ in range(25):  # far east of the centre
        page.keyboard.press("Shift+ArrowRight")
    assert "utanför stadskärnan" in page.inner_text("#position")
    page.click("#send")
    message = page.locator("#message.error")
    message.wait_for()
    assert message.get_attribute("role") == "alert"
    assert "Halmstads stadskärna" in message.inner_text() and "field" not in message.inner_text()
    page.select_option("#street", "Storgatan")
    assert "vid Storgatan" in page.inner_text("#position")
    page.fill("#email", "a@b")
    page.click("#send")
    expect(page.locator("#message")).to_contain_text("E-postadressen")
    assert SQLiteStore(db).read_features(REPORTS).empty
    assert problems == []


def test_a_street_and_a_point_along_it_place_the_report(browser, site):
    base, _ = site
    page, _ = open_report(browser, base)
    page.select_option("#street", "Storgatan")
    page.fill("#along", "0")
    start = (page.input_value("#lat"), page.input_value("#lon"))
    page.fill("#along", "100")
    assert (page.input_value("#lat"), page.input_value("#lon")) != start, "the slider moves the pin along the street"
    assert page.get_attribute("#along", "aria-valuetext") == "100 % längs Storgatan"
    page.click("#send")
    page.wait_for_selector("#message.ok")


def test_my_position_places_the_pin_and_a_refusal_is_explained(browser, site):
    base, _ = site
    page, _ = open_report(browser, base, geolocation={"latitude": TORG[1], "longitude": TORG[0]},
                          permissions=["geolocation"])
    page.click("#locate")
    expect(page.locator("#lat")).not_to_have_value("")
    assert float(page.input_value("#lat")) == pytest.approx(TORG[1]) and float(page.input_value("#lon")) == pytest.approx(TORG[0])
    refused, _ = open_report(browser, base)  # no permission given
    refused.click("#locate")
    refused.locator("#message.error").wait_for()
    assert "Sidan fick inte använda din position" in refused.inner_text("#message")


def test_the_open_reports_in_view_are_loaded_page_by_page_and_again_when_the_view_moves(browser, site):
    base, db = site
    n = 1000
    old = pd.DataFrame({"id": [f"old{i}" for i in range(n)], "category": "graffiti",
                        "created_at": pd.Timestamp("2020-01-01T10:00:00Z") + pd.to_timedelta(range(n), unit="min"),
                        "lon": [TORG[0] + 0.002 * (i % 40) / 40 for i in range(n)],
                        "lat": [TORG[1] + 0.002 * (i // 40) / 25 for i in range(n)]})
    closed = pd.DataFrame({"id": ["closed1"], "category": "litter", "created_at": "2020-02-01T10:00:00Z",
                           "status": "closed", "closed_at": "2020-02-02T10:00:00Z", "close_reason": "sanerat",
                           "lon": TORG[0], "lat": TORG[1]})
    store = SQLiteStore(db)
    store.write_features(REPORTS, validate(REPORTS, pd.concat([old, closed], ignore_index=True), "t"))
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame({
        "id": ["newest"], "category": "weeds", "created_at": ["2026-01-01T10:00:00Z"], "description": ["NYAST"],
        "lon": [TORG[0] - 0.004], "lat": [TORG[1] - 0.002]}), "t"))
    page, problems = open_report(browser, base)
    page.wait_for_selector("#map[data-reports-shown]")
    assert page.get_attribute("#map", "data-reports-shown") == str(n + 1), "every open report in view, the newest too"
    page.focus("#map")
    for _ in range(3):
        page.keyboard.press("+")
    expect(page.locator("#map")).not_to_have_attribute("data-reports-shown", str(n + 1))
    assert int(page.get_attribute("#map", "data-reports-shown")) < n + 1, "only the reports in the new view"
    assert problems == []

"""The overview map in a real browser: loads offline, no script errors, layers listed, text escaped."""

from __future__ import annotations

import json
from urllib.parse import urlparse

from service.app import create_app
from service.settings import GeographySettings, MapSettings, Settings, StoreSettings
from tests.conftest import ZONES_FILE

HOSTILE = "<img src=x onerror=window.__x=1>${window.__x=2}`"


def open_page(browser, url: str):
    page = browser.new_page()
    problems, requests = [], []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(f"{message.text} at {message.location}")
            if message.type == "error" else None)
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    page.wait_for_selector(".leaflet-control-layers")
    return page, problems, requests


def test_the_map_loads_from_the_service_alone(browser, serve, tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "db.sqlite"), maps=MapSettings(tiles="none"))
    base = serve(create_app(settings))
    page, problems, requests = open_page(browser, base + "/")
    assert problems == []
    outside = [url for url in requests if urlparse(url).hostname not in ("127.0.0.1",) and not url.startswith("data:")]
    assert outside == [], "the page must not reach the outside network"
    control = page.inner_text(".leaflet-control-layers")
    assert "Zoner" in control and "Gator och stråk" in control
    assert "Stora Torg" in page.inner_text("#zone-legend")
    assert page.locator(".leaflet-interactive").count() >= 10, "zones and streets are drawn"


def test_hostile_zone_names_stay_text(browser, serve, tmp_path):
    doc = json.loads(ZONES_FILE.read_text(encoding="utf-8"))
    for feature in doc["features"]:
        feature["properties"]["name"] = HOSTILE + feature["properties"]["zone_id"]
    zones = tmp_path / "zones.geojson"
    zones.write_text(json.dumps(doc), encoding="utf-8")
    settings = Settings(store=StoreSettings(db=tmp_path / "db.sqlite"), maps=MapSettings(tiles="none"),
                        geography=GeographySettings(zones=zones, streets=ZONES_FILE.with_name("streets.geojson")))
    page, problems, _ = open_page(browser, serve(create_app(settings)) + "/")
    box = page.locator("path.leaflet-interactive").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # show a tooltip
    page.wait_for_timeout(300)
    assert page.evaluate("window.__x") is None, "no markup or template expression from data may run"
    assert HOSTILE in page.inner_text("#zone-legend")
    assert problems == []

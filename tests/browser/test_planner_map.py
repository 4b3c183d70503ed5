"""The planner map in a real browser with the synthetic demo data set."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from geo.demo import demo_data
from geo.streets import read_streets
from geo.zones import read_zones
from service.app import create_app
from service.demo import store_demo
from service.settings import MapSettings, Settings, StoreSettings
from service.store import SQLiteStore
from tests.browser.test_overview_map import open_page
from tests.conftest import STREETS_FILE, ZONES_FILE


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("planner") / "demo.sqlite"
    zones = read_zones(ZONES_FILE)
    store_demo(SQLiteStore(path), demo_data(zones, read_streets(STREETS_FILE)), 2020, 2020, zones["zone_id"].tolist())
    return path


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
    page.screenshot(path=str(tmp_path / "planner.png"))

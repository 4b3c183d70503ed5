"""The before/after page and the tracker's outcomes in Chromium: axe-core finds no serious or
critical violation (WCAG 2.1 AA) with a result shown, the form works by keyboard, and on a phone
the page does not scroll sideways (wide tables scroll in their own region)."""

from __future__ import annotations

import pytest

from service.app import create_app
from service.settings import MapSettings, Settings, StoreSettings
from service.store import SQLiteStore
from tests.browser.test_accessibility import WCAG_AA
from tests.service.test_outcomes_api import write_layers

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def base(tmp_path_factory, serve_module, zones):
    db = tmp_path_factory.mktemp("outcomes") / "outcomes.sqlite"
    write_layers(SQLiteStore(db), zones)
    return serve_module(create_app(Settings(store=StoreSettings(db=db), maps=MapSettings(tiles="none"))))


def _serious(page) -> list:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("path", ["/outcomes/before-after?area=stora-torg&at=2021-03-01&days=59&layers=incidents"
                                  "&layers=reports", "/outcomes/before-after?area=nissan&at=2019-01-01&days=30"
                                  "&layers=incidents", "/promises/2020?as_of=2020-12-31"])
def test_no_serious_or_critical_violation(browser, base, path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base + path)
    page.wait_for_selector("main")
    assert page.evaluate("document.documentElement.lang") == "sv"
    assert _serious(page) == []
    page.close()


def test_the_form_by_keyboard_and_on_a_phone(browser, base):
    page = browser.new_page(viewport=PHONE)
    page.goto(base + "/outcomes/before-after")
    page.select_option("#area", "stora-torg")
    page.fill("#at", "2021-03-01")
    page.fill("#days", "59")
    page.focus("#days")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_selector("#result")
    assert "Stora Torg mot resten av stadskärnan, 59 dagar före och efter 2021-03-01" in page.inner_text("#result")
    assert page.locator("ul.caveats li").count() >= 4
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the page itself does not scroll sideways on a phone"
    assert page.locator("select#area").bounding_box()["height"] >= 44
    page.close()

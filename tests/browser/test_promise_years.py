"""The promises year after year in a real browser on the two synthetic demo years: the comparison
page and the 2021 tracker pass axe with their real content and read on a phone without sideways
scrolling; the tracker's year links lead to the other year."""

from __future__ import annotations

import pytest

from service.app import create_app
from service.settings import MapSettings, Settings, StoreSettings

PHONE = {"width": 390, "height": 844}
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def base(tmp_path_factory, demo_year_db, serve_module):
    db = demo_year_db(tmp_path_factory.mktemp("years-browser"))
    return serve_module(create_app(Settings(store=StoreSettings(db=db), maps=MapSettings(tiles="none"))))


@pytest.mark.parametrize("path", ["/promises/compare", "/promises/2021"])
def test_the_years_pages_pass_axe_and_read_on_a_phone(browser, base, path):
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(base + path, timeout=180_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
    assert page.locator("#synthetic-label").is_visible()
    results = Axe().run(page, options=WCAG_AA)
    serious = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []
    page.close()


def test_the_year_links_lead_from_one_year_to_the_other(browser, base):
    page = browser.new_page()
    page.goto(base + "/promises/2021", timeout=180_000)
    page.click("a[rel=prev]")
    page.wait_for_url(base + "/promises/2020")
    assert "Medborgarlöftet 2020" in page.inner_text("h1")
    page.click("a[rel=next]")
    page.wait_for_url(base + "/promises/2021")
    page.click("#year-links >> text=Jämför åren")
    page.wait_for_url(base + "/promises/compare")
    assert page.locator("section.kind h2").all_inner_texts()[0] == "Polisnärvaro"
    page.close()

"""The safety survey on the planner's map in a real browser: the zones' shares for a chosen question
with their interval and answers in Swedish, and the marked places' cells, over the demo year."""

from __future__ import annotations

import pytest

from geo.demo_survey import PLACES_QUESTION, QUESTIONS
from service.app import create_app
from service.settings import MapSettings, Settings, StoreSettings
from tests.browser.test_accessibility import PHONE, WCAG_AA
from tests.browser.test_overview_map import open_page


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, demo_year_db):
    return demo_year_db(tmp_path_factory.mktemp("survey-map"))


def test_the_zones_shares_and_the_marked_places_are_layers_of_the_planners_map(browser, serve, demo_db):
    settings = Settings(store=StoreSettings(db=demo_db), maps=MapSettings(tiles="none"))
    page, problems, _ = open_page(browser, serve(create_app(settings)) + f"/maps/planner?year=2020&question={PLACES_QUESTION}")
    assert problems == []
    control = page.inner_text(".leaflet-control-layers")
    assert f"Trygghetsmätning 2020: ”{QUESTIONS[PLACES_QUESTION][0]}”" in control
    assert "Platser markerade i trygghetsmätningen 2020 (källa: syntetiskt exempel)" in control
    assert "trygghetsmätningen" in page.inner_text("#planner-legend")
    before = page.locator("path.leaflet-interactive").count()
    page.get_by_label(f"Trygghetsmätning 2020: ”{QUESTIONS[PLACES_QUESTION][0]}”").check()
    page.get_by_label("Platser markerade i trygghetsmätningen 2020 (källa: syntetiskt exempel)").check()
    assert page.locator("path.leaflet-interactive").count() > before + 10, "the zones and the cells are drawn"
    zone = page.locator("path.leaflet-interactive").nth(before)
    zone.hover(force=True)
    tooltip = page.locator(".leaflet-tooltip").last
    tooltip.wait_for()
    assert "Andel ja" in tooltip.inner_text() and " svar" in tooltip.inner_text()
    assert "," in tooltip.inner_text(), "a decimal comma"


@pytest.mark.parametrize("path", ["/promises/2020", f"/maps/planner?year=2020&question={PLACES_QUESTION}"])
def test_the_pages_showing_the_survey_pass_axe_on_a_phone(browser, serve, demo_db, path):
    from axe_playwright_python.sync_playwright import Axe

    settings = Settings(store=StoreSettings(db=demo_db), maps=MapSettings(tiles="none"))
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(serve(create_app(settings)) + path)
    page.wait_for_selector(".leaflet-container" if "maps" in path else "main")
    if "promises" in path:
        assert "Underlag: trygghetsmätningen 2020" in page.inner_text("main")
    results = Axe().run(page, options=WCAG_AA)
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    context.close()

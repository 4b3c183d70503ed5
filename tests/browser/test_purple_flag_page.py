"""The Purple Flag page in Chromium on the synthetic demo year (with its survey): readable on a
phone (no sideways scrolling, every table within the screen's width) and axe-clean, also with
stored events of hostile names, their text shown as text."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.layers import EVENTS, validate
from service.app import create_app
from service.promises import purple_flag_report
from service.purple_flag_page import purple_flag_html
from service.settings import MapSettings, Settings, StoreSettings
from service.store import Actor
from tests.browser.test_accessibility import PHONE, WCAG_AA

HOSTILE_EVENTS = pd.DataFrame({"id": ["e1", "e2"], "name": ["Stadsfest <b>på</b> Stora Torg", "Julmarknad ${window.__x=1}"],
                               "starts_at": ["2020-07-03 18:00", "2020-12-12 10:00"],
                               "ends_at": ["2020-07-04 01:00", "2020-12-12 18:00"],
                               "kind": ["festival", "market"], "lon": [12.8572, 12.8575], "lat": [56.6740, 56.6741]})


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_year_db, serve_module):
    app = create_app(Settings(store=StoreSettings(db=demo_year_db(tmp_path_factory.mktemp("pf-browser"))),
                              maps=MapSettings(tiles="none")))
    return serve_module(app), app.state.context


def serious_violations(page) -> list:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_the_page_reads_on_a_phone_and_passes_axe(browser, site):
    base, _ = site
    page = browser.new_page(viewport=PHONE)
    page.goto(base + "/purple-flag/2020")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways page scroll"
    right = page.eval_on_selector_all("table", "tables => tables.map(t => t.getBoundingClientRect().right)")
    assert right and max(right) <= PHONE["width"], "every table fits the phone's width"
    assert serious_violations(page) == []
    page.close()


def test_events_and_survey_answers_pass_axe_and_stay_text(browser, site):
    _, state = site
    state.store.write_features(EVENTS, validate(EVENTS, HOSTILE_EVENTS, "test"), Actor("municipality", "test"))
    evidence = purple_flag_report(state.store, state.zones, 2020, min_count=3, rules=state.rules,
                                  streets=state.streets)
    page = browser.new_page(viewport=PHONE)
    page.set_content(purple_flag_html(evidence))
    assert page.locator("caption", has_text="Årets evenemang").count() == 1
    assert page.get_by_role("rowheader", name="Stadsfest <b>på</b> Stora Torg").count() == 1, "a name is text"
    assert page.get_by_role("rowheader", name="Julmarknad ${window.__x=1}").count() == 1
    assert page.evaluate("window.__x") is None
    assert page.locator("caption", has_text="Trygghetsmätningen 2020").count() == 1, "one question about the evening"
    assert serious_violations(page) == []
    page.close()

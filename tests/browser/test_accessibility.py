"""Every HTML page in Chromium: axe-core finds no serious or critical violation (WCAG 2.1 A and
AA rules), the page is in Swedish and starts with the site header; every map has a metric scale
bar, and on a phone the layer list and the legend wait behind buttons so the map stays visible."""

from __future__ import annotations

import pytest

from service.app import create_app
from service.auth import create_token
from service.html import SITE_LINKS
from service.events import new_event
from service.reports import submit_report
from service.settings import MapSettings, Settings, StoreSettings
from service.store import Actor, SQLiteStore

MAPS = ("/", "/maps/planner?year=2020", "/maps/lighting", "/maps/police?year=2020", "/maps/cameras?year=2020")
STAFF_MAPS = {"/maps/police?year=2020": "police", "/maps/cameras?year=2020": "municipality"}
"""The maps for staff and the role whose token opens them."""
STAFF_PAGES = {"/staff/removal": "municipality", "/staff/promises": "municipality",
               "/staff/reports": "municipality", "/staff/reports/{report}": "municipality", "/staff/patrols": "police",
               "/staff/events?year=2020": "municipality"}
"""Staff pages and the role whose token opens them (municipality's: the forms shown); ``{report}``
is a stored report."""
PAGES = MAPS + ("/report", "/promises/2020?as_of=2020-12-31", "/promises/2021", "/promises/compare",
                "/purple-flag/2020?as_of=2020-12-31", "/lagesbild?week=2020-W19", "/outcomes/before-after", "/login", "/no-such-page",
                "/reports/{report}", "/unsubscribe/" + "a" * 24, *STAFF_PAGES, "/ogc?f=html", "/ogc/collections?f=html",
                "/events?year=2020")
PHONE = {"width": 390, "height": 844}
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def site(tmp_path_factory, serve_module):
    """(base URL, tokens by role, a report's id) of a service over a database with two citizens'
    reports side by side (possible duplicates), without a basemap."""
    db = tmp_path_factory.mktemp("a11y") / "a11y.sqlite"
    app = create_app(Settings(store=StoreSettings(db=db), maps=MapSettings(tiles="none")))
    state = app.state.context
    report = [submit_report(state.store, state.zones, state.settings.reports, category="graffiti", lat="56.6740",
                            lon=lon, description="Klotter på elskåpet", email="anna@example.org").report.values["id"]
              for lon in ("12.8572", "12.85721")][0]
    new_event(state.store, state.zones, {"name": "Konsert", "starts_at": "2020-05-08T20:00", "ends_at": "2020-05-09T01:00",
                                         "kind": "concert", "place": "stora-torg", "expected_visitors": 900},
              Actor("municipality"))
    base = serve_module(app)
    return base, {role: create_token(SQLiteStore(db), role) for role in ("police", "municipality")}, report


def visit(browser, site, path: str, viewport: dict | None = None):
    base, tokens, report = site
    role = STAFF_PAGES.get(path, STAFF_MAPS.get(path))
    path = path.format(report=report)
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900},
                                  extra_http_headers={"Authorization": f"Bearer {tokens[role]}"} if role else {})
    page = context.new_page()
    page.goto(base + path)
    page.wait_for_selector(".leaflet-container" if path in MAPS or path == "/report" else "main")
    page.wait_for_timeout(300)
    return page


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_or_critical_accessibility_violation(browser, site, path):
    from axe_playwright_python.sync_playwright import Axe

    page = visit(browser, site, path)
    assert page.evaluate("document.documentElement.lang") == "sv"
    links = page.eval_on_selector_all("header.site-header nav a", "links => links.map(a => a.getAttribute('href'))")
    assert links[:len(SITE_LINKS)] == [href for href, _ in SITE_LINKS]
    results = Axe().run(page, options=WCAG_AA)
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []


@pytest.mark.parametrize("path", MAPS)
def test_maps_have_a_metric_scale_and_stay_visible_on_a_phone(browser, site, path, tmp_path):
    page = visit(browser, site, path, PHONE)
    scale = page.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and scale.inner_text().split()[-1] in ("m", "km"), "metres, never feet"
    page.screenshot(path=tmp_path / "phone.png")
    assert not page.is_visible(".leaflet-control-layers") and not page.is_visible(".map-legend")
    box = page.locator(".folium-map").bounding_box()
    assert box["height"] >= 0.9 * (PHONE["height"] - 44) and box["width"] == PHONE["width"]
    points = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy) for fx in (0.25, 0.5, 0.75)
              for fy in (0.25, 0.5, 0.75)]
    uncovered = page.evaluate("points => points.map(([x, y]) => !!document.elementFromPoint(x, y).closest('.folium-map'))",
                              points)
    assert all(uncovered), "nothing covers the map"
    for name, selector in (("Lager", ".leaflet-control-layers"), ("Teckenförklaring", ".map-legend")):
        button = page.get_by_role("button", name=name)
        button.click()
        assert page.is_visible(selector) and button.get_attribute("aria-expanded") == "true"
        button.click()
        assert not page.is_visible(selector)

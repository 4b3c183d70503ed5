"""Hostile text in every field, every page in headless Chromium: no script from data runs
(``window.__x`` stays unset), no template expression is evaluated, and no page breaks its own
Content-Security-Policy (a violation is a console error, which fails the page)."""

from __future__ import annotations

import pytest

from service.app import create_app
from service.auth import create_token
from service.store import SQLiteStore
from tests.security.hostile import SSTI, TAGS, evaluated, hostile_world

PAGES = ("/", "/maps/planner?year=2020", "/maps/lighting", "/promises/2020?as_of=2020-12-31",
         "/lagesbild?week=2020-W19", "/report", "/docs", "/purple-flag/2020?as_of=2020-12-31")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return hostile_world(tmp_path_factory.mktemp("hostile-browser"))


def visit(browser, url: str, headers: dict | None = None, ready: str = "body"):
    """The page at ``url`` after it settled; problems: script errors, console errors (CSP
    violations among them) and failed requests."""
    context = browser.new_context(extra_http_headers=headers or {})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    page.goto(url)
    page.wait_for_selector(ready)
    page.wait_for_timeout(300)
    return page, problems


@pytest.mark.parametrize("path", PAGES)
def test_hostile_text_stays_text_on_every_page(browser, serve, world, path):
    base = serve(create_app(world))
    page, problems = visit(browser, base + path, ready=".swagger-ui .info" if path == "/docs" else "body")
    for box in page.locator("path.leaflet-interactive").all()[:3]:  # tooltips build HTML in the browser
        box.hover(force=True)
    page.wait_for_timeout(200)
    assert page.evaluate("window.__x") is None, "no markup or template expression from data may run"
    text = page.inner_text("body")
    assert not any(evaluated(text, tag) for tag in TAGS)
    assert problems == []


def test_the_police_map_shows_a_hostile_unit_as_text(browser, serve, world):
    token = create_token(SQLiteStore(world.store.db), "police")
    base = serve(create_app(world))
    page, problems = visit(browser, f"{base}/maps/police?year=2020&day=2020-05-08&unit={SSTI}",
                           headers={"Authorization": f"Bearer {token}"}, ready=".leaflet-control-layers")
    assert SSTI in page.inner_text("#map-title")
    assert page.evaluate("window.__x") is None and problems == []


def test_the_cameras_map_shows_hostile_cameras_as_text(browser, serve, world):
    token = create_token(SQLiteStore(world.store.db), "municipality")
    base = serve(create_app(world))
    page, problems = visit(browser, f"{base}/maps/cameras?year=2020", headers={"Authorization": f"Bearer {token}"},
                           ready=".leaflet-control-layers")
    shapes = page.locator("path.leaflet-interactive").all()
    assert len(shapes) >= 4, "two views and two cameras"
    shown = []
    for shape in shapes:  # tooltips build HTML in the browser
        shape.hover(force=True)
        page.wait_for_timeout(100)
        shown.append(page.inner_text(".leaflet-tooltip-pane"))
    assert any("KNAMN-{{7*7}}" in text for text in shown) and any("KAMERA-{{7*7}}" in text for text in shown), shown
    assert page.evaluate("window.__x") is None and not any(evaluated(page.inner_text("body"), t) for t in TAGS)
    assert problems == []


def test_the_citizens_page_shows_hostile_descriptions_as_text(browser, serve, world):
    base = serve(create_app(world))
    page, problems = visit(browser, base + "/report", ready="#map")
    page.wait_for_selector("path.leaflet-interactive")
    page.locator("path.leaflet-interactive").last.click(force=True)
    page.wait_for_selector(".leaflet-popup-content")
    assert "BESKRIVNING-{{7*7}}" in page.inner_text(".leaflet-popup-content")
    assert page.evaluate("window.__x") is None and problems == []


STAFF_PAGES = {"/staff/reports?status=alla": "municipality", "/staff/reports/r-0": "municipality",
               "/staff/reports/r-1": "municipality", "/staff/moderation": "municipality",
               "/staff/promises?year=2020": "municipality", "/staff/removal?year=2020": "municipality",
               "/staff/patrols": "police", "/reports/r-0": None, "/ogc/collections/reports/items?f=html": None}
"""Staff pages (and a report's public page and its OGC page) with the role whose token opens them:
r-0 is closed with a hostile reason by a hostile token label, r-1 has a hostile description."""


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_hostile_text_stays_text_on_staff_pages(browser, serve, world, path):
    role = STAFF_PAGES[path]
    headers = {"Authorization": f"Bearer {create_token(SQLiteStore(world.store.db), role)}"} if role else None
    base = serve(create_app(world))
    page, problems = visit(browser, base + path, headers=headers, ready="main")
    assert page.evaluate("window.__x") is None, "no markup or template expression from data may run"
    assert not any(evaluated(page.inner_text("body"), tag) for tag in TAGS)
    assert problems == []

"""The yearly follow-up report of the promises, built from the synthetic demo data set and opened
from disk in headless Chromium: no network, no script errors, charts, working embedded maps."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from typer.testing import CliRunner

from service.cli import app as cli
from service.promises import load_year, record_status
from service.settings import PromiseSettings
from service.store import Actor, SQLiteStore

IDS = ["polisnarvaro", "klotter-och-ogras", "stadning", "belysningsprogram", "centrumutvecklingsplan",
       "purple-flag", "evenemang", "kamerabevakning"]
XSS = '<img src=x onerror="window.__x=1"><script>window.__x=2</script>${window.__x=3}'


@pytest.fixture(scope="module")
def report_file(tmp_path_factory, demo_year_db):
    """The demo data set with a hostile staff note, and its 2020 report written by `stadskarna report`."""
    folder = tmp_path_factory.mktemp("promises-report")
    db = demo_year_db(folder)
    store = SQLiteStore(db)
    record_status(store, load_year(PromiseSettings().dir, 2020), "evenemang", date(2020, 12, 15), "met",
                  f"Julmarknad {XSS}", Actor("municipality", "test"))
    out = folder / "uppfoljning-2020.html"
    result = CliRunner().invoke(cli, ["report", "2020", "-o", str(out), "--db", str(db)],
                                env={"STADSKARNA_MAP_TILES": "none"})
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def opened(browser, report_file):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    problems, requests = [], []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(f"{message.text} at {message.location}")
            if message.type == "error" else None)
    page.on("requestfailed", lambda request: problems.append(f"failed {request.url}"))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report_file.as_uri(), wait_until="load")
    maps = [page.locator("iframe.map").nth(i).element_handle().content_frame() for i in range(2)]
    for frame in maps:
        frame.wait_for_selector(".leaflet-control-layers")
    yield page, maps, problems, requests
    page.close()


LEAFLET_ZOOM = """() => {
  const maps = Object.keys(window).filter(k => k.startsWith('map_') && window[k] instanceof L.Map).map(k => window[k]);
  return maps.length === 1 ? {zoom: maps[0].getZoom(), width: maps[0].getSize().x} : null;
}"""


def test_the_report_opens_from_disk_without_errors_or_network(opened):
    page, maps, problems, requests = opened
    assert page.url.startswith("file://")
    assert problems == []
    assert requests and [u for u in requests if not u.startswith(("file:", "data:", "about:"))] == []


def test_every_promise_and_the_demo_label_are_there(opened):
    page, _, _, _ = opened
    assert page.locator("article.promise").count() == 8
    for promise_id in IDS:
        assert page.locator(f"#promise-{promise_id}").is_visible()
    assert page.locator("#synthetic-label").is_visible()
    assert page.inner_text("#synthetic-label") == "SYNTETISKA DEMODATA"
    assert "Medborgarlöftet 2020: uppföljning" in page.inner_text("h1")
    assert page.locator("nav").count() == 0, "no links to the service in the published file"


def test_charts_of_the_three_kinds_are_drawn(opened):
    page, _, _, _ = opened
    charted = {"polisnarvaro": "polisnärvaro, ackumulerat", "klotter-och-ogras": "öppna anmälningar",
               "stadning": "öppna anmälningar", "belysningsprogram": "beräkningsfältens yta som når sin klass"}
    for promise_id, legend in charted.items():
        chart = page.locator(f"#promise-{promise_id} figure svg")
        assert chart.count() == 1
        box = chart.bounding_box()
        assert box["width"] > 300 and box["height"] > 100
        text = chart.text_content()  # an SVG element has no inner_text
        assert legend in text and "syntetiska demodata" in text
    assert page.locator("figure svg").count() == 4
    for promise_id in IDS[4:]:
        assert page.locator(f"#promise-{promise_id} svg").count() == 0


def test_both_embedded_maps_are_fitted_to_the_centre(opened):
    page, maps, _, _ = opened
    assert page.locator("iframe.map").count() == 2
    titles = [page.locator("iframe.map").nth(i).get_attribute("title") for i in range(2)]
    assert titles[0].startswith("Planeringskarta") and titles[1].startswith("Belysningskarta")
    for index, frame in enumerate(maps):
        # in view, as a reader scrolls to it: Chromium need not lay out a cross-origin (sandboxed)
        # iframe far below the window, and the report's maps come after the summary and every promise
        page.locator("iframe.map").nth(index).scroll_into_view_if_needed()
        try:  # fitted once the iframe has its size (a map in an iframe once stayed at zoom 0; on a busy
            # CI machine an iframe of the report once had no width yet after 5 s)
            frame.wait_for_function(f"() => {{ const m = ({LEAFLET_ZOOM})(); return m && m.zoom > 10; }}",
                                    timeout=15_000)
        except PlaywrightTimeout:
            pass  # the assertion below says what the map shows
        state = frame.evaluate(LEAFLET_ZOOM)
        assert state["zoom"] > 10 and state["width"] > 500, state
    assert "SYNTETISKA DEMODATA" in maps[0].inner_text("#map-title")
    assert "SYNTETISKA DEMODATA" in maps[1].inner_text("#lux-legend")


def test_the_report_opens_with_its_summary_and_passes_axe(opened):
    from axe_playwright_python.sync_playwright import Axe

    page, _, _, _ = opened
    headings = page.eval_on_selector_all("main h2", "hs => hs.map(h => h.textContent.trim())")
    assert headings[:2] == ["Sammanfattning", "Löftena ett för ett"] and headings[-1] == "Kartor"
    summary = page.inner_text("#summary")
    for part in ("Vad som lovades", "Vad som gjordes", "Vad som hände med tryggheten", "brott med känd plats"):
        assert part in summary
    assert page.locator("#summary ol").nth(1).locator("li").count() == len(IDS)
    assert page.locator("figure figcaption").count() == 4, "every chart has its text alternative"
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                                                    "wcag21aa"]}})
    serious = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_a_hostile_staff_note_stays_text(opened):
    page, _, problems, _ = opened
    article = page.inner_text("#promise-evenemang")
    assert article.count(f"Julmarknad {XSS}") == 2, "in the latest status and in the history"
    assert page.evaluate("typeof window.__x") == "undefined"
    assert page.locator("#promise-evenemang img, #promise-evenemang script").count() == 0
    assert problems == []


def test_on_a_phone_the_embedded_maps_stay_visible(browser, report_file, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(report_file.as_uri(), wait_until="load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
    for i in range(2):
        frame_element = page.locator("iframe.map").nth(i)
        frame_element.scroll_into_view_if_needed()
        frame = frame_element.element_handle().content_frame()
        frame.wait_for_selector(".leaflet-container")
        page.screenshot(path=tmp_path / f"map-{i}.png")
        assert not frame.is_visible(".leaflet-control-layers") and not frame.is_visible(".map-legend")
        uncovered = frame.evaluate("""() => {
            const box = document.querySelector('.folium-map').getBoundingClientRect();
            return [0.3, 0.5, 0.7].flatMap(fx => [0.3, 0.5, 0.7].map(fy => {
                const hit = document.elementFromPoint(box.left + box.width * fx, box.top + box.height * fy);
                return !!hit && !!hit.closest('.folium-map');
            }));
        }""")
        assert all(uncovered), "nothing covers the embedded map"
    page.close()

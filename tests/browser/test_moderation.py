"""Moderation in a real browser: a municipality staff member signed in at /login hides a report's
text (the session's CSRF token in the header), and the citizens' /report map no longer shows it in
the report's popup — the report itself stays, with its category — until it is restored; a text
held for its link waits on /staff/moderation (no serious accessibility violation) and shows once
released with the page's form."""

from __future__ import annotations

import pandas as pd
import pytest

from service.app import create_app
from service.settings import MapSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from tests.browser.test_accessibility import WCAG_AA
from tests.staff import PASSWORD

TEXT = "Ring Anna på 070-1234567 om klottret"


def signed_in(browser, base: str):
    """A page of a new browser context signed in as the municipality's anna."""
    staff = browser.new_context().new_page()
    staff.goto(base + "/login")
    staff.get_by_label("Användarnamn").fill("anna")
    staff.get_by_label("Lösenord").fill(PASSWORD)
    staff.get_by_role("button", name="Logga in").click()
    staff.wait_for_selector("#signed-in")
    return staff


def popup_text(browser, base: str) -> str:
    """The text of the report's popup on a citizen's fresh /report page."""
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(base + "/report")
    page.wait_for_selector("#map[data-reports-shown='1']")
    page.locator("path.leaflet-interactive[stroke='#6a3d9a']").click()
    text = page.locator(".leaflet-popup-content").inner_text()
    page.context.close()
    assert problems == []
    return text


@pytest.fixture
def site(serve, tmp_path):
    """The base URL of a service without a basemap, where anna is municipality staff."""
    settings = Settings(store=StoreSettings(db=tmp_path / "db.gpkg"), maps=MapSettings(tiles="none"),
                        staff=StaffSettings(secure_cookies=False))
    app = create_app(settings)
    add_user(app.state.context.store, "anna", "municipality", PASSWORD, settings.staff, pd.Timestamp.now(tz="UTC"))
    return serve(app)


def send(browser, base: str, description: str) -> str:
    context = browser.new_context()
    sent = context.request.post(base + "/api/reports", multipart={"category": "graffiti", "lat": "56.6740",
                                                                  "lon": "12.8572", "description": description})
    report_id = sent.json()["id"]
    context.close()
    return report_id


def test_staff_hide_a_text_and_the_report_map_no_longer_shows_it(browser, site):
    base = site
    report_id = send(browser, base, TEXT)
    assert popup_text(browser, base) == f"Klotter\n{TEXT}"

    staff = signed_in(browser, base)
    token = staff.locator("input[name=csrf_token]").get_attribute("value")
    moderate = """async ([id, action, token]) => {
        const answer = await fetch(`/api/reports/${id}/moderation`, {method: "POST",
            headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
            body: JSON.stringify({action: action, reason: "personuppgifter"})});
        return [answer.status, await answer.json()];
    }"""
    status, body = staff.evaluate(moderate, [report_id, "hide_text", token])
    assert (status, body["text_hidden"]) == (200, True)
    assert popup_text(browser, base) == "Klotter", "the report stays, without its text"

    status, _ = staff.evaluate(moderate, [report_id, "restore_text", token])
    assert status == 200 and popup_text(browser, base) == f"Klotter\n{TEXT}"


def test_a_held_text_waits_on_the_moderation_page_and_shows_once_released(browser, site):
    from axe_playwright_python.sync_playwright import Axe

    base = site
    held = "Fler bilder på www.klotter-halmstad.se"
    report_id = send(browser, base, held)
    assert popup_text(browser, base) == "Klotter", "the report is public at once, its text is not"
    staff = signed_in(browser, base)
    staff.locator("header.site-header").get_by_role("link", name="Moderering").click()
    item = staff.locator(f"#held-{report_id}")
    assert held in item.locator(".text").inner_text()
    results = Axe().run(staff, options=WCAG_AA)
    assert [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")] == []
    release = item.locator("form", has=staff.locator("input[value=release_text]"))
    release.get_by_label("Skäl (syns bara för personal)").fill("länken är harmlös")
    release.get_by_role("button", name="Publicera texten").click()
    assert staff.locator("#notice").inner_text() == "Texten är publicerad."
    assert staff.locator("#nothing-held").is_visible()
    assert popup_text(browser, base) == f"Klotter\n{held}"

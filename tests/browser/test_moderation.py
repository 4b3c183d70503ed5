"""Moderation in a real browser: a municipality staff member signed in at /login hides a report's
text (the session's CSRF token in the header), and the citizens' /report map no longer shows it in
the report's popup — the report itself stays, with its category — until it is restored."""

from __future__ import annotations

import pandas as pd

from service.app import create_app
from service.settings import MapSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user

PASSWORD = "rätt häst batteri häftklammer"
TEXT = "Ring Anna på 070-1234567 om klottret"


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


def test_staff_hide_a_text_and_the_report_map_no_longer_shows_it(browser, serve, tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "db.gpkg"), maps=MapSettings(tiles="none"),
                        staff=StaffSettings(secure_cookies=False))
    app = create_app(settings)
    add_user(app.state.context.store, "anna", "municipality", PASSWORD, settings.staff, pd.Timestamp.now(tz="UTC"))
    base = serve(app)
    staff = browser.new_context().new_page()
    sent = staff.request.post(base + "/api/reports", multipart={"category": "graffiti", "lat": "56.6740",
                                                                "lon": "12.8572", "description": TEXT})
    report_id = sent.json()["id"]
    assert popup_text(browser, base) == f"Klotter\n{TEXT}"

    staff.goto(base + "/login")
    staff.get_by_label("Användarnamn").fill("anna")
    staff.get_by_label("Lösenord").fill(PASSWORD)
    staff.get_by_role("button", name="Logga in").click()
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

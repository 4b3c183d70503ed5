"""Ärenden in a real browser: a municipal officer signs in, filters the queue, opens a graffiti
report, closes it with a note, and the reporter's "closed" mail reaches a local SMTP server
(aiosmtpd), sent by the service's own mail worker."""

from __future__ import annotations

import time

import pandas as pd
from aiosmtpd.controller import Controller

from service.app import create_app
from service.mail import MAIL_WORDING
from service.reports import submit_report
from service.settings import MailSettings, MapSettings, ServiceSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from tests.service.test_hearback import Inbox, free_port
from tests.staff import PASSWORD



def test_an_officer_filters_opens_and_closes_a_report_and_the_reporter_hears(browser, serve, tmp_path):
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        settings = Settings(store=StoreSettings(db=tmp_path / "db.gpkg"), maps=MapSettings(tiles="none"),
                            staff=StaffSettings(secure_cookies=False),
                            service=ServiceSettings(public_url="http://127.0.0.1"),
                            mail=MailSettings(host="127.0.0.1", port=port, starttls=False, poll_s=0.2))
        app = create_app(settings)
        state = app.state.context
        add_user(state.store, "anna", "municipality", PASSWORD, settings.staff, pd.Timestamp.now(tz="UTC"))
        graffiti = submit_report(state.store, state.zones, settings.reports, category="graffiti", lat="56.6740",
                                 lon="12.8572", description="Tagg på muren vid torget",
                                 email="reporter@example.org").report.values["id"]
        weeds = submit_report(state.store, state.zones, settings.reports, category="weeds", lat="56.6741",
                              lon="12.8573", description="Ogräs i rabatten").report.values["id"]
        base = serve(app)
        context = browser.new_context()
        page = context.new_page()
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))

        page.goto(base + "/staff/reports")
        assert page.url.startswith(base + "/login?next="), "sent to sign in first"
        page.get_by_label("Användarnamn").fill("anna")
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_url(base + "/staff/reports")
        assert page.locator("#queue").get_by_role("link", name=weeds).is_visible()

        page.get_by_label("Kategori").select_option(label="Klotter")
        page.get_by_role("button", name="Visa").click()
        page.wait_for_url(lambda url: "category=graffiti" in url)
        assert "1 ärende" in page.locator("#count").inner_text()
        assert page.locator("#queue").get_by_role("link", name=weeds).count() == 0
        page.locator("#queue").get_by_role("link", name=graffiti).click()
        page.wait_for_url(f"**/staff/reports/{graffiti}")
        assert "Tagg på muren vid torget" in page.locator("#description").inner_text()
        assert "Anmälaren vill ha besked" in page.locator("#hears-back").inner_text()

        page.get_by_label("Ny status").select_option(label="Åtgärdad")
        page.get_by_label("Orsak, när ärendet sätts till Åtgärdad").fill("sanerat")
        page.get_by_label("Anteckning").fill("Tvättat med högtryck")
        page.get_by_role("button", name="Spara status").click()
        page.wait_for_url(f"**/staff/reports/{graffiti}?klart=status")
        assert page.get_by_role("status").first.inner_text() == "Statusen är ändrad."
        assert page.locator("#status").inner_text() == "Åtgärdad"
        history = page.locator("#history").inner_text()
        assert "Öppen → Åtgärdad" in history and "Tvättat med högtryck" in history

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any(m["Subject"] == MAIL_WORDING["graffiti"]["closed"]
                                                      for m in inbox.messages):
            time.sleep(0.2)
        closed = [m for m in inbox.messages if m["Subject"] == MAIL_WORDING["graffiti"]["closed"]]
        assert len(closed) == 1 and closed[0]["To"] == "reporter@example.org"
        assert f"/reports/{graffiti}" in closed[0].get_content()
        assert problems == []
        context.close()
    finally:
        smtp.stop()

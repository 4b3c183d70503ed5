"""The staff forms in a real browser: a municipal officer signs in, records a graffiti round for
two zones and reads how many reports it closed, then records a promise's status and finds it in
the promise's history."""

from __future__ import annotations

import pandas as pd

from geo.layers import REPORTS, validate
from geo.timestamps import LOCAL_TZ
from service.app import create_app
from service.settings import MapSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from tests.staff import PASSWORD

TORG = (12.8569, 56.6738)  # in stora-torg
SLOTTET = (12.8593, 56.6716)  # in slottet


def test_a_municipal_officer_records_a_round_and_a_promise_status(browser, serve, tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "db.gpkg"), maps=MapSettings(tiles="none"),
                        staff=StaffSettings(secure_cookies=False))
    app = create_app(settings)
    store = app.state.context.store
    add_user(store, "maria", "municipality", PASSWORD, settings.staff, pd.Timestamp.now(tz="UTC"))
    made = (pd.Timestamp.now(tz=LOCAL_TZ).normalize() - pd.Timedelta(days=5)).isoformat()
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame(
        [{"id": i, "category": "graffiti", "created_at": made, "status": "open", "lon": p[0], "lat": p[1]}
         for i, p in (("g1", TORG), ("g2", TORG), ("g3", SLOTTET))]), "test"))
    base = serve(app)
    context = browser.new_context()
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(base + "/staff/removal")
    assert page.url == base + "/login?next=%2Fstaff%2Fremoval", "sent to sign in first"
    page.get_by_label("Användarnamn").fill("maria")
    page.get_by_label("Lösenord").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()
    assert page.url == base + "/staff/removal"

    page.get_by_label("Klotter").check()
    zones = page.get_by_role("group", name="Zoner").get_by_role("checkbox")
    for index in range(zones.count()):
        zones.nth(index).uncheck()
    page.get_by_label("Stora Torg").check()
    page.get_by_label("Brogatan–Lilla Torg").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Registrera rundan").click()
    notice = page.get_by_role("status").inner_text()
    assert notice.endswith("är registrerad. Den stängde 2 öppna anmälningar.")
    assert "Stora Torg, Brogatan–Lilla Torg" in page.locator("#rounds").inner_text()
    assert store.read_features(REPORTS).set_index("id")["status"].to_dict() == {"g1": "closed", "g2": "closed",
                                                                                 "g3": "open"}

    page.locator("header.site-header").get_by_role("link", name="Löftenas status").click()
    page.wait_for_selector("#year")
    assert page.get_by_label("År").input_value() == "2021", "the newest year with promises first"
    page.get_by_label("År").select_option("2020")
    with page.expect_navigation():
        page.locator("#year-form").get_by_role("button").click()
    section = page.locator("#promise-evenemang")
    section.get_by_label("Datum").fill("2020-09-12")
    section.get_by_label("Status", exact=True).select_option(label="i fas")
    section.get_by_label("Vad statusen grundar sig på").fill("Stadsfesten genomförd med 30 000 besökare")
    with page.expect_navigation():
        section.get_by_role("button", name="Registrera status").click()
    assert page.get_by_role("status").inner_text().endswith("– i fas den 2020-09-12.")
    history = page.locator("#promise-evenemang table.history").inner_text()
    assert "2020-09-12" in history and "Stadsfesten genomförd med 30 000 besökare" in history and "kommunen" in history
    assert problems == []
    context.close()

"""Staff sign-in in a real browser: sign in on /login, open the police map without any header,
sign out, and the map is refused again."""

from __future__ import annotations

import pandas as pd

from service.app import create_app
from service.settings import MapSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from tests.staff import PASSWORD



def test_sign_in_open_the_police_map_and_sign_out(browser, serve, tmp_path):
    # plain HTTP on 127.0.0.1, as `make run`: Secure cookies off (the README's "Staff sign-in")
    settings = Settings(store=StoreSettings(db=tmp_path / "db.gpkg"), maps=MapSettings(tiles="none"),
                        staff=StaffSettings(secure_cookies=False))
    app = create_app(settings)
    add_user(app.state.context.store, "anna", "police", PASSWORD, settings.staff, pd.Timestamp.now(tz="UTC"))
    base = serve(app)
    context = browser.new_context()
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(base + "/maps/police?year=2020")
    assert page.url == base + "/login?next=%2Fmaps%2Fpolice%3Fyear%3D2020", "sent to sign in first"
    page.get_by_label("Användarnamn").fill("anna")
    page.get_by_label("Lösenord").fill("fel lösenord!")
    page.get_by_role("button", name="Logga in").click()
    assert "Inloggningen misslyckades" in page.get_by_role("alert").inner_text()

    page.get_by_label("Användarnamn").fill("anna")
    page.get_by_label("Lösenord").fill(PASSWORD)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Logga in").click()
    assert navigation.value.status == 200 and page.url == base + "/maps/police?year=2020", "back to the page asked for"
    page.wait_for_selector(".leaflet-control-layers")
    assert page.evaluate("document.cookie") == "", "the session cookie is HttpOnly"
    session = [cookie for cookie in context.cookies() if cookie["name"] == "stadskarna_session"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"

    page.get_by_role("link", name="Personal").click()
    assert "Du är inloggad som anna" in page.locator("#signed-in").inner_text()
    with page.expect_navigation() as navigation:
        page.locator("#staff-pages").get_by_role("link", name="Polisens karta").click()
    assert navigation.value.status == 200
    page.wait_for_selector(".leaflet-control-layers")

    page.goto(base + "/login")
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_selector("#name")
    assert not [cookie for cookie in context.cookies() if cookie["name"] == "stadskarna_session"]
    page.goto(base + "/maps/police")
    assert page.url.startswith(base + "/login?next="), "signed out: sent to sign in again"
    assert problems == []
    context.close()

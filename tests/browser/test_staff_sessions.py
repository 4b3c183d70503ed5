"""Staff sessions in a real browser: a session ends after the idle timeout and the next page asks
to sign in again; a page on another origin of the same site cannot make a signed-in member's
browser change anything (no CSRF token), and the member stays signed in."""

from __future__ import annotations

import re

import pandas as pd

from service.app import create_app
from service.settings import MapSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from tests.staff import PASSWORD



def signed_in_page(browser, serve, tmp_path, **staff):
    settings = Settings(store=StoreSettings(db=tmp_path / "db.gpkg"), maps=MapSettings(tiles="none"),
                        staff=StaffSettings(secure_cookies=False, **staff))
    app = create_app(settings)
    add_user(app.state.context.store, "anna", "police", PASSWORD, settings.staff, pd.Timestamp.now(tz="UTC"))
    base = serve(app)
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/login")
    page.get_by_label("Användarnamn").fill("anna")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_selector("#signed-in")
    return base, context, page


def test_an_idle_session_ends_and_the_next_page_asks_to_sign_in(browser, serve, tmp_path):
    base, context, page = signed_in_page(browser, serve, tmp_path, idle_minutes=0.05)  # 3 s
    assert page.goto(base + "/maps/police").status == 200
    page.wait_for_timeout(3500)
    page.goto(base + "/maps/police")
    assert page.url == base + "/login?next=%2Fmaps%2Fpolice", "the idle session has ended"
    assert page.locator("#name").is_visible()
    context.close()


def test_a_form_on_another_origin_cannot_sign_a_member_out(browser, serve, tmp_path):
    base, context, page = signed_in_page(browser, serve, tmp_path)
    port = int(re.search(r":(\d+)$", base).group(1))
    attacker = f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}/"  # same site, another origin: cookies go along
    page.route(attacker + "**", lambda route: route.fulfill(content_type="text/html", body=(
        f'<!DOCTYPE html><html lang="en"><body><form method="post" action="{base}/logout">'
        '<button id="go">win a prize</button></form></body></html>')))
    page.goto(attacker + "prize")
    with page.expect_response(base + "/logout") as answer:
        page.click("#go")
    assert answer.value.status == 403 and "Formuläret har gått ut" in answer.value.text(), "refused, as a page in Swedish"
    assert page.goto(base + "/maps/police").status == 200, "still signed in"
    context.close()

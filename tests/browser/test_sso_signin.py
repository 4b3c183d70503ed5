"""Single sign-on in a real browser: the button (a link) on /login goes to the provider (a local OpenID
Connect provider on another site: ``localhost`` beside the app's ``127.0.0.1``), which signs the
person in and sends the browser back; they arrive signed in and open the police map, or arrive at
the page they asked for before signing in."""

from __future__ import annotations

from service.app import create_app
from service.settings import MapSettings, OidcSettings, Settings, StaffSettings, StoreSettings
from tests.browser.test_accessibility import WCAG_AA
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, TestProvider


def test_the_sign_in_button_signs_in_through_the_provider(browser, serve, tmp_path):
    from axe_playwright_python.sync_playwright import Axe

    provider = TestProvider()
    provider.ask = True  # the person presses on the provider's page: the way back starts on another site
    issuer = provider.start(serve)
    settings = Settings(store=StoreSettings(db=tmp_path / "db.gpkg"), maps=MapSettings(tiles="none"),
                        staff=StaffSettings(secure_cookies=False),  # plain HTTP on 127.0.0.1, as `make run`
                        oidc=OidcSettings(issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                          roles="polis=police,plan=planner", label="Halmstads konto"))
    base = serve(create_app(settings))
    provider.register(base + "/login/oidc/callback")
    context = browser.new_context()
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    visited = []
    page.on("request", lambda request: visited.append(request.url) if request.is_navigation_request() else None)

    page.goto(base + "/login")
    results = Axe().run(page, options=WCAG_AA)  # the page with the button passes as the others do
    assert [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")] == []
    page.get_by_role("link", name="Logga in med Halmstads konto").click()
    page.get_by_role("button", name="Fortsätt").click()
    page.wait_for_selector("#signed-in")
    assert "Du är inloggad som anna.k@halmstad.se (polisen)" in page.locator("#signed-in").inner_text()
    assert any(url.startswith(issuer + "/authorize?") for url in visited), "the browser went to the provider"
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    assert cookies["stadskarna_session"]["sameSite"] == "Strict" and cookies["stadskarna_session"]["httpOnly"]
    assert "stadskarna_sso" not in cookies, "the started sign-in's cookie is gone"
    with page.expect_navigation() as navigation:
        page.locator("#staff-pages").get_by_role("link", name="Polisens karta").click()
    assert navigation.value.status == 200
    page.wait_for_selector(".leaflet-control-layers")
    context.clear_cookies()

    page.goto(base + "/maps/police?year=2020")  # not signed in: sent to sign in first, then back here
    assert page.url.startswith(base + "/login?next=")
    page.get_by_role("link", name="Logga in med Halmstads konto").click()
    page.get_by_role("button", name="Fortsätt").click()
    page.wait_for_url(base + "/maps/police?year=2020")
    page.wait_for_selector(".leaflet-control-layers")
    assert problems == []
    context.close()

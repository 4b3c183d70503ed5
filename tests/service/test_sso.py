"""Staff single sign-on through the real app against a local OpenID Connect provider
(tests/oidc_provider.py, authlib's server side on 127.0.0.1): the code flow end to end gives a
session whose role follows the role claim; a missing role, a cancelled sign-in, a forged or expired
ID token, a wrong ``state``, a replayed callback, a disabled account and a name that is a password
account's are refused with a Swedish message and audited; without an issuer nothing changes."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import requests
from fastapi.testclient import TestClient

from geo.errors import ValidationError
from service.app import create_app
from service.auth import ROLES
from service.oidc import Provider
from service.settings import MapSettings, OidcSettings, ServiceSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from service.store import AuditEvent
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, TestProvider
from tests.staff import PASSWORD, form_token

BASE = "http://testserver"
ROLE_MAP = "polis=police,kommun=municipality,plan=planner"


@pytest.fixture(scope="module")
def provider(serve_module):
    provider = TestProvider()
    provider.start(serve_module)
    provider.register(BASE + "/login/oidc/callback")
    return provider


@pytest.fixture
def idp(provider):
    """The provider, back to its signed-in person and switches after the test."""
    user = dict(provider.user)
    yield provider
    provider.user = user
    provider.deny = provider.forge = provider.expired = False


def oidc_settings(issuer: str, **changes) -> OidcSettings:
    return OidcSettings(**{"issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                           "roles": ROLE_MAP, "label": "Halmstads konto", **changes})


@pytest.fixture
def make_client(tmp_path):
    clients = []

    def make(oidc: OidcSettings, public_url: str | None = BASE) -> TestClient:
        settings = Settings(store=StoreSettings(db=tmp_path / f"db{len(clients)}.gpkg"), maps=MapSettings(tiles="none"),
                            staff=StaffSettings(secure_cookies=False), service=ServiceSettings(public_url=public_url),
                            oidc=oidc)
        client = TestClient(create_app(settings), follow_redirects=False)
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client, idp):
    return make_client(oidc_settings(idp.issuer))


def start(client: TestClient, **params):
    """Start a single sign-on; the answer that sends the browser to the provider."""
    answer = client.get("/login/oidc", params=params)
    assert answer.status_code == 303, answer.text
    return answer


def at_provider(answer) -> str:
    """Follow the app's redirect to the provider; the provider's redirect back (the callback URL)."""
    back = requests.get(answer.headers["location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    return back.headers["location"]


def sign_in(client: TestClient, **params):
    return client.get(at_provider(start(client, **params)))


def actions(client: TestClient) -> list[tuple[str, str, str]]:
    audit = client.app.state.context.store.audit()
    return list(zip(audit["actor"], audit["action"], audit["detail"]))


def sso_link(page) -> str:
    """Where the sign-in page's single sign-on button goes."""
    return re.search(r'<a class="button" id="sso" href="([^"]+)">\s*Logga in med Halmstads konto</a>',
                     page.text).group(1).replace("&amp;", "&")


def onward(page) -> str:
    """Where a finished sign-in's page moves on to (its refresh and its link, which agree)."""
    assert page.status_code == 200, page.text
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page.text).group(1)
    assert f'<a id="onward" href="{refresh}">Fortsätt</a>' in page.text
    return refresh


def error_text(page) -> str:
    return re.search(r'id="error">([^<]+)<', page.text).group(1)


def test_the_code_flow_gives_a_session_with_the_role_of_the_claim(client, idp):
    page = client.get("/login")
    assert sso_link(page) == "/login/oidc"
    assert client.get("/maps/police").status_code == 401

    started = start(client)
    location = started.headers["location"]
    assert location.startswith(idp.issuer + "/authorize?")
    for part in ("response_type=code", f"client_id={CLIENT_ID}", "code_challenge_method=S256", "code_challenge=",
                 "nonce=", "state=", "scope=openid+profile+email"):
        assert part in location
    cookie = started.headers["set-cookie"]
    assert "stadskarna_sso=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/login/oidc" in cookie and "Max-Age=600" in cookie

    done = client.get(at_provider(started))
    assert onward(done) == "/login" and done.headers["cache-control"] == "no-store"
    assert "script-src" in done.headers["content-security-policy"]
    session = [c for c in done.headers.get_list("set-cookie") if c.startswith("stadskarna_session=")]
    assert session and "HttpOnly" in session[0] and "SameSite=strict" in session[0]
    assert "Du är inloggad som <strong>anna.k@halmstad.se</strong> (polisen)" in client.get("/login").text
    assert client.get("/maps/police").status_code == 200

    account = client.app.state.context.store.user("anna.k@halmstad.se")
    assert account.role == "police" and account.sso_issuer == idp.issuer and account.password_hash == ""
    assert actions(client) == [("single sign-on", "user add", "anna.k@halmstad.se as police (single sign-on)"),
                               ("anna.k@halmstad.se", "sign-in", "single sign-on")]


def test_the_role_follows_the_claim_at_each_sign_in_and_changes_are_audited(client, idp):
    assert onward(sign_in(client)) == "/login"
    idp.user = {**idp.user, "roles": ["annat", "plan", "kommun"]}  # the first pair of the map that matches
    sign_in(client)
    assert "(kommunen)" in client.get("/login").text
    idp.user = {**idp.user, "roles": "plan"}  # one value as a string
    sign_in(client)
    assert "(planerare)" in client.get("/login").text
    assert client.get("/maps/police").status_code == 403
    changes = [detail for _, action, detail in actions(client) if action == "user set-role"]
    assert changes == ["anna.k@halmstad.se from police to municipality (single sign-on)",
                       "anna.k@halmstad.se from municipality to planner (single sign-on)"]
    sign_in(client)
    assert len([a for a in actions(client) if a[1] == "user set-role"]) == 2, "no change, no row"
    assert [a[1] for a in actions(client)].count("sign-out") == 3, "a new sign-in ends the browser's earlier session"


def test_without_a_mapped_role_the_sign_in_is_refused(client, idp):
    idp.user = {**idp.user, "roles": ["annat"]}
    page = sign_in(client)
    assert page.status_code == 403
    assert error_text(page).startswith("Ditt konto hos Halmstads konto har ingen behörighet till den här tjänsten.")
    assert "stadskarna_session=" not in page.headers.get("set-cookie", "")
    assert client.app.state.context.store.users() == []
    assert actions(client) == [("anna.k@halmstad.se", "sign-in failed",
                                "single sign-on: no value of the claim 'roles' maps to a role")]


@pytest.mark.parametrize("switch, status, message, detail", [
    ("deny", 401, "Inloggningen via Halmstads konto avbröts.", "the provider answered access_denied"),
    ("forge", 401, "Inloggningen via Halmstads konto kunde inte slutföras.", "the ID token's signature is not valid"),
    ("expired", 401, "Inloggningen via Halmstads konto kunde inte slutföras.", "the ID token's claims are not valid"),
])
def test_a_cancelled_sign_in_and_a_forged_or_expired_token_are_refused(client, idp, switch, status, message, detail):
    setattr(idp, switch, True)
    page = sign_in(client)
    assert page.status_code == status and error_text(page).startswith(message)
    assert "stadskarna_session=" not in page.headers.get("set-cookie", "")
    assert "Traceback" not in page.text and "token" not in error_text(page)
    (actor, action, logged), = actions(client)
    assert action == "sign-in failed" and logged.startswith("single sign-on: " + detail)
    assert client.get("/maps/police").status_code == 401


def test_a_wrong_state_or_a_replayed_callback_is_refused(client, idp):
    callback = at_provider(start(client))
    forged = re.sub(r"state=[^&]+", "state=nagon-annans", callback)
    page = client.get(forged)
    assert page.status_code == 400 and error_text(page).startswith("Inloggningen hann gå ut")

    callback = at_provider(start(client))
    assert onward(client.get(callback)) == "/login"
    client.cookies.set("stadskarna_sso", re.search(r"state=([^&]+)", callback).group(1), path="/login/oidc")
    replayed = client.get(callback)
    assert replayed.status_code == 400, "a started sign-in is taken once"
    assert [detail for _, action, detail in actions(client) if action == "sign-in failed"] == [
        "single sign-on: the state is not the one this browser started with",
        "single sign-on: the sign-in is unknown, finished already or expired"]

    no_cookie = TestClient(client.app, follow_redirects=False)
    assert no_cookie.get(at_provider(start(client))).status_code == 400, "the callback needs the browser that started"


def test_a_code_used_once_or_of_another_sign_in_is_refused_by_the_provider(client, idp):
    used = at_provider(start(client))
    assert onward(client.get(used)) == "/login"
    code = re.search(r"code=([^&]+)", used).group(1)
    fresh = at_provider(start(client))  # a new sign-in (its own state and PKCE verifier) with the old code
    page = client.get(re.sub(r"code=[^&]+", f"code={code}", fresh))
    assert page.status_code == 401 and error_text(page).startswith("Inloggningen via Halmstads konto kunde inte")
    assert actions(client)[-1][1:] == ("sign-in failed", "single sign-on: the token endpoint refused the code: "
                                                          "invalid_grant")


def test_a_started_sign_in_expires(client, idp):
    store = client.app.state.context.store
    callback = at_provider(start(client))
    client.app.state.context.clock = lambda: pd.Timestamp.now(tz="UTC") + pd.Timedelta(minutes=11)
    assert client.get(callback).status_code == 400
    assert store.users() == []


def test_a_disabled_account_stays_refused(client, idp):
    sign_in(client)
    store = client.app.state.context.store
    store.disable_user("anna.k@halmstad.se", AuditEvent(pd.Timestamp.now(tz="UTC"), "command line", None,
                                                        "user disable", "anna.k@halmstad.se"))
    assert client.get("/maps/police").status_code == 401, "disabling ended the session"
    idp.user = {**idp.user, "roles": ["plan"]}
    page = sign_in(client)
    assert page.status_code == 403 and error_text(page) == "Ditt konto är spärrat i den här tjänsten."
    assert store.user("anna.k@halmstad.se").role == "police", "a disabled account's role stays"
    assert actions(client)[-1] == ("anna.k@halmstad.se", "sign-in failed", "account disabled")


def test_single_sign_on_accounts_have_no_password_and_names_stay_apart(client, idp):
    sign_in(client)
    client.cookies.clear()
    form = client.get("/login").text
    refused = client.post("/login", data={"name": "anna.k@halmstad.se", "password": "", "csrf_token": form_token(form)})
    assert refused.status_code == 401
    assert actions(client)[-1][1:] == ("sign-in failed", "single sign-on account")

    store = client.app.state.context.store
    add_user(store, "bo", "police", PASSWORD, StaffSettings(), pd.Timestamp.now(tz="UTC"))
    idp.user = {"sub": "0002", "preferred_username": "Bo", "roles": ["polis"]}
    page = sign_in(client)
    assert page.status_code == 409 and "Det finns redan ett annat konto" in error_text(page)
    assert store.user("bo").sso_issuer is None, "the password account is left as it was"


def test_the_account_name_falls_back_to_email_then_sub(client, idp):
    idp.user = {"sub": "0003", "preferred_username": "inte giltigt namn", "email": "Cilla@Halmstad.se", "roles": "plan"}
    sign_in(client)
    idp.user = {"sub": "AbC-0004_x", "roles": "plan"}
    sign_in(client)
    assert [u.name for u in client.app.state.context.store.users()] == ["abc-0004_x", "cilla@halmstad.se"]


def test_the_page_asked_for_before_sign_in_comes_next(client, idp):
    link = sso_link(client.get("/login", params={"next": "/maps/police?year=2020"}))
    assert onward(client.get(at_provider(client.get(link)))) == "/maps/police?year=2020"
    assert client.get("/maps/police?year=2020").status_code == 200


def test_next_keeps_local_paths_only(client, idp):
    assert onward(sign_in(client, next="/maps/police?zone=torg&dag=1")) == "/maps/police?zone=torg&amp;dag=1"
    assert onward(sign_in(client, next="/x'; url=https://example.org")) == "/x%27%3B%20url=https://example.org"
    for elsewhere in ("https://example.org/", "//example.org/", "/\\example.org", "maps/police", "/\tx"):
        client.cookies.clear()
        assert onward(sign_in(client, next=elsewhere)) == "/login"


def test_an_unreachable_provider_is_a_message_not_an_error(make_client, provider):
    client = make_client(oidc_settings("http://127.0.0.1:9"))  # the discard port: nobody answers
    page = client.get("/login/oidc")
    assert page.status_code == 502
    assert error_text(page) == "Inloggningen via Halmstads konto fungerar inte just nu. Försök igen om en stund."
    assert "127.0.0.1" not in page.text
    assert actions(client)[0][2].startswith("single sign-on: http://127.0.0.1:9/.well-known/openid-configuration")


def test_without_the_service_s_own_address_there_is_no_redirect_uri(make_client, idp):
    client = make_client(oidc_settings(idp.issuer), public_url=None)  # "testserver" is not an allowed host
    page = client.get("/login/oidc")
    assert page.status_code == 502 and "fungerar inte just nu" in error_text(page)
    assert actions(client)[0][2] == ("single sign-on: the service's own address is unknown: "
                                     "set STADSKARNA_PUBLIC_URL")


def test_without_an_issuer_nothing_changes_and_nothing_is_called(make_client, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("no call to any provider without an issuer")

    monkeypatch.setattr(requests.Session, "request", no_network)
    client = make_client(OidcSettings())
    assert client.app.state.context.oidc is None
    page = client.get("/login")
    assert page.status_code == 200 and 'id="sso"' not in page.text and "/login/oidc" not in page.text
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404


@pytest.mark.parametrize("changes, field", [
    ({"roles": ""}, "STADSKARNA_OIDC_ROLES"),
    ({"roles": "polis=polisen"}, "STADSKARNA_OIDC_ROLES"),
    ({"roles": "polis"}, "STADSKARNA_OIDC_ROLES"),
    ({"roles": "polis=police,=planner"}, "STADSKARNA_OIDC_ROLES"),
    ({"client_id": ""}, "STADSKARNA_OIDC_CLIENT_ID"),
    ({"issuer": "http://login.example.org/tenant/v2.0"}, "STADSKARNA_OIDC_ISSUER"),
])
def test_a_wrong_setting_is_named_at_start(changes, field):
    with pytest.raises(ValidationError) as refused:
        Provider.configured(oidc_settings(**{"issuer": "https://login.example.org/tenant/v2.0", **changes}), ROLES)
    assert refused.value.field == field


def test_role_pairs_are_read_in_order():
    settings = OidcSettings(roles=" Polis.Läs = police ,kommun=municipality")
    assert settings.role_map() == {"Polis.Läs": "police", "kommun": "municipality"}
    with pytest.raises(ValueError, match="'polis'"):
        OidcSettings(roles="polis").role_map()

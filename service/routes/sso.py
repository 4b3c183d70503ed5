"""Staff single sign-on with the configured OpenID Connect provider (:mod:`service.oidc`): GET
/login/oidc starts it, GET /login/oidc/callback finishes it with a session like a password
sign-in's. Included in the app only when a provider is configured."""

from __future__ import annotations

import hmac
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from service import staff
from service.auth import client_of
from service.context import context
from service.html import pages, staff_links
from service.oidc import SsoFailed, new_flow_secrets
from service.routes.signin import local_target, sign_in_page
from service.security import base_url, html_page
from service.store import AuditEvent, SsoFlow

router = APIRouter(tags=["staff"], include_in_schema=False)

FLOW_COOKIE = "stadskarna_sso"
"""The cookie that ties the provider's callback to the browser that started the sign-in (its
value is the flow's id and ``state``). ``SameSite=Lax``: the callback is a top-level GET that
comes from the provider's site, which a ``Strict`` cookie would not come back with."""
CALLBACK = "/login/oidc/callback"
CALLBACK_PATH = "/login/oidc"
"""The flow cookie's path: the start and the callback."""

_SAFE = "/?&=%:@-._~+,!*()"
"""What stays as it is of the local path the finished sign-in moves on to (the rest is percent-encoded)."""

_MESSAGES = {
    "cancelled": (401, "Inloggningen via {label} avbröts. Försök igen, eller logga in med användarnamn "
                       "och lösenord."),
    "failed": (401, "Inloggningen via {label} kunde inte slutföras. Försök igen."),
    "expired": (400, "Inloggningen hann gå ut eller startades i en annan flik. Försök igen."),
    "unavailable": (502, "Inloggningen via {label} fungerar inte just nu. Försök igen om en stund."),
    "no_role": (403, "Ditt konto hos {label} har ingen behörighet till den här tjänsten. "
                     "Be den som administrerar tjänsten om behörighet."),
    "disabled": (403, "Ditt konto är spärrat i den här tjänsten."),
    "taken": (409, "Det finns redan ett annat konto med ditt användarnamn i tjänsten. "
                   "Be den som administrerar tjänsten om hjälp."),
}
"""What the sign-in page says (and its HTTP status) for each way a single sign-on fails."""


@router.get("/login/oidc")
def start(request: Request, next_path: str | None = Query(None, alias="next", max_length=2000)) -> Response:
    """Send the browser to the provider to sign in (at most ``STADSKARNA_STAFF_LOGIN_RATE_LIMIT``
    starts per client and minute, counted with password sign-ins); afterwards it goes on to
    ``next`` when that is a path of this site (:func:`~service.routes.signin.local_target`), else
    to /login."""
    state = context(request)
    client = client_of(request)
    target = local_target(next_path)
    wait = state.login_limiter.retry_after(client)
    if wait is not None:
        return sign_in_page(request, None, 429, {"Retry-After": str(wait)}, target)
    redirect_uri = _redirect_uri(request)
    flow_id, nonce, verifier = new_flow_secrets()
    now = state.clock()
    lifetime = pd.Timedelta(minutes=state.settings.oidc.flow_minutes)
    try:
        if not redirect_uri:
            raise SsoFailed("unavailable", "the service's own address is unknown: set STADSKARNA_PUBLIC_URL")
        url = state.oidc.authorization_url(redirect_uri, flow_id, nonce, verifier)
    except SsoFailed as failure:
        return _refuse(request, failure, "-", target)
    flow = SsoFlow(nonce, verifier, target or "/login", now + lifetime)
    state.store.begin_sso_flow(staff.session_hash(flow_id), flow, now)
    answer = RedirectResponse(url, status_code=303)
    answer.headers["Cache-Control"] = "no-store"
    answer.set_cookie(FLOW_COOKIE, flow_id, max_age=int(lifetime.total_seconds()), path=CALLBACK_PATH, httponly=True,
                      samesite="lax", secure=state.settings.staff.secure_cookies)
    return answer


@router.get(CALLBACK)
def callback(request: Request, code: str = Query("", max_length=8000), state: str = Query("", max_length=200),
             error: str = Query("", max_length=200)) -> Response:
    """Finish a sign-in at the provider: the ``state`` must be the flow cookie's and its flow not
    taken or expired; then the code is exchanged for the ID token, whose signature and claims are
    checked, and whose role claim must map to a role. Success: a session cookie (``Strict``, as a
    password sign-in's) and a page that moves on to the flow's local path at once (a refresh, not
    a redirect: the browser sends a ``Strict`` cookie only on a navigation this site starts, and a
    redirect would still count as the provider's). Every refusal is the sign-in page with a
    message and a row of the audit."""
    service = context(request)
    flow_id = request.cookies.get(FLOW_COOKIE, "")
    name, target = "-", None
    try:
        if not flow_id or not hmac.compare_digest(flow_id.encode("utf-8"), state.encode("utf-8")):
            raise SsoFailed("expired", "the state is not the one this browser started with")
        flow = service.store.take_sso_flow(staff.session_hash(flow_id), service.clock())
        if flow is None:
            raise SsoFailed("expired", "the sign-in is unknown, finished already or expired")
        target = flow.next_path
        if error or not code:
            raise SsoFailed("cancelled" if error == "access_denied" else "failed",
                            f"the provider answered {error or 'no code'}")
        claims = service.oidc.claims(code, _redirect_uri(request), flow.code_verifier, flow.nonce)
        name = service.oidc.account_name(claims) or "-"
        role = service.oidc.role(claims)
        if role is None:
            raise SsoFailed("no_role", f"no value of the claim {service.settings.oidc.role_claim!r} maps to a role")
        if name == "-":
            raise SsoFailed("failed", "the ID token has no usable account name")
        session_id = staff.sign_in_sso(service.store, service.oidc.issuer, str(claims["sub"]), name, role,
                                       service.clock(), client_of(request))
    except SsoFailed as failure:
        return _refuse(request, failure, name, target)
    except staff.SsoRefused as refused:  # audited by staff.sign_in_sso
        return _forget_flow(_page(request, refused.reason, target), service.settings.staff.secure_cookies)
    earlier = request.cookies.get(staff.SESSION_COOKIE)  # (a browser sends it when the way back was same-site)
    if earlier:
        staff.sign_out(service.store, earlier, service.clock(), client_of(request))
    html = pages.get_template("sso_done.html").render(target=quote(flow.next_path, safe=_SAFE), current="/login",
                                                      staff=staff_links(role))
    answer = html_page(request, html)
    answer.headers["Cache-Control"] = "no-store"
    answer.set_cookie(staff.SESSION_COOKIE, session_id, path="/", httponly=True, samesite="strict",
                      secure=service.settings.staff.secure_cookies)
    return _forget_flow(answer, service.settings.staff.secure_cookies)


def _redirect_uri(request: Request) -> str:
    """The callback's absolute address (as registered at the provider), or "" when the
    service's own address is unknown."""
    base = base_url(request, context(request).settings.service)
    return base + CALLBACK if base else ""


def _refuse(request: Request, failure: SsoFailed, name: str, target: str | None) -> Response:
    """The sign-in page with the failure's message (and the page to return to after a sign-in);
    audited with the failure's detail (never shown)."""
    service = context(request)
    service.store.add_audit(AuditEvent(service.clock(), name, None, "sign-in failed",
                                       f"single sign-on: {failure.detail}", client_of(request)))
    return _forget_flow(_page(request, failure.reason, target), service.settings.staff.secure_cookies)


def _page(request: Request, reason: str, target: str | None) -> Response:
    status, message = _MESSAGES[reason]
    return sign_in_page(request, None, status, target=target,
                        error=message.format(label=context(request).settings.oidc.label))


def _forget_flow(answer: Response, secure: bool) -> Response:
    answer.delete_cookie(FLOW_COOKIE, path=CALLBACK_PATH, httponly=True, samesite="lax", secure=secure)
    return answer

"""Staff sign-in for people: GET and POST /login (the sign-in page, in Swedish), POST /logout."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service import staff
from service.auth import ROLE_NAMES, Caller, client_of, request_caller
from service.context import context
from service.forms import StrictFormRoute
from service.html import pages, staff_links
from service.security import html_page

router = APIRouter(tags=["staff"], route_class=StrictFormRoute, include_in_schema=False)

_MESSAGES = {
    401: "Inloggningen misslyckades: fel användarnamn eller lösenord, eller så är kontot spärrat en stund "
         "efter för många misslyckade försök.",
    403: "Formuläret har gått ut. Försök igen.",
    429: "För många inloggningsförsök från din anslutning. Vänta en minut och försök igen.",
}
"""What the sign-in page says for each refusal (its HTTP status)."""


def local_target(target: str | None) -> str | None:
    """A ``next`` address to return to after sign-in when it stays on this site: a path that
    starts with one ``/`` (not ``//`` or ``/\\``, which browsers read as another host) and has
    no control characters; else None."""
    if not target or len(target) > 2000 or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return None
    return None if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target) else target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = Query(None, max_length=2000),
               caller: Caller | None = Depends(request_caller)) -> Response:
    """The sign-in page (``next``: the page to return to after sign-in, a path of this site); for
    a signed-in staff member, who they are, their pages and sign-out."""
    return sign_in_page(request, caller, target=local_target(next))


@router.post("/login")
def login(request: Request, name: str = Form("", max_length=200), password: str = Form("", max_length=1000),
          csrf_token: str = Form("", max_length=200), next: str = Form("", max_length=2000)) -> Response:
    """Sign in: at most ``STADSKARNA_STAFF_LOGIN_RATE_LIMIT`` attempts per client and minute; the
    form's token must match its cookie; then the account's name and password. Success: a session
    cookie and (303) to ``next`` when it is a path of this site, else back to /login."""
    state = context(request)
    client = client_of(request)
    target = local_target(next)
    wait = state.login_limiter.retry_after(client)
    if wait is not None:
        return sign_in_page(request, None, 429, {"Retry-After": str(wait)}, target)
    expected = request.cookies.get(staff.LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode("utf-8"), expected.encode("utf-8")):
        return sign_in_page(request, None, 403, target=target)
    try:
        session_id = staff.sign_in(state.store, name, password, state.clock(), state.settings.staff, client)
    except staff.SignInRefused:
        return sign_in_page(request, None, 401, target=target)
    earlier = request.cookies.get(staff.SESSION_COOKIE)
    if earlier:
        staff.sign_out(state.store, earlier, state.clock(), client)
    answer = RedirectResponse(target or "/login", status_code=303)
    answer.set_cookie(staff.SESSION_COOKIE, session_id, path="/", httponly=True, samesite="strict",
                      secure=state.settings.staff.secure_cookies)
    answer.delete_cookie(staff.LOGIN_COOKIE, path="/login", httponly=True, samesite="strict",
                         secure=state.settings.staff.secure_cookies)
    return answer


@router.post("/logout")
def logout(request: Request, caller: Caller | None = Depends(request_caller)) -> Response:
    """Sign out (the session's CSRF token is checked, as for every change made with a session):
    the session ends at once, its cookie goes, back to /login (303)."""
    state = context(request)
    session_id = request.cookies.get(staff.SESSION_COOKIE)
    if caller is not None and caller.user is not None and session_id:
        staff.sign_out(state.store, session_id, state.clock(), client_of(request))
        request.state.audited = True  # the sign-out is its own audit row (service.audit)
    answer = RedirectResponse("/login", status_code=303)
    answer.delete_cookie(staff.SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                         secure=state.settings.staff.secure_cookies)
    return answer


def sign_in_page(request: Request, caller: Caller | None, status: int = 200,
                 headers: dict[str, str] | None = None, target: str | None = None,
                 error: str | None = None) -> HTMLResponse:
    """The sign-in page: the form (with a fresh token in a hidden field and in its cookie, and the
    page to return to), the button of single sign-on when there is a provider, and the refusal's
    message (``error``, else the one of ``status``); or the signed-in member's page (their pages,
    and the session's token for sign-out)."""
    state = context(request)
    settings = state.settings.staff
    signed_in = caller is not None and caller.user is not None
    token = staff.csrf_token(request.cookies[staff.SESSION_COOKIE]) if signed_in else secrets.token_urlsafe(32)
    html = pages.get_template("login.html").render(
        user=caller.user if signed_in else None, role=ROLE_NAMES.get(caller.role, "") if signed_in else "",
        staff=staff_links(caller.role) if signed_in else [], current="/login", csrf_field=staff.CSRF_FIELD,
        csrf_token=token, error=error or _MESSAGES.get(status), target=target or "",
        sso_label=state.settings.oidc.label if state.oidc else None)
    answer = html_page(request, html, status_code=status)
    answer.headers.update(headers or {})
    answer.headers["Cache-Control"] = "no-store"
    if not signed_in:
        answer.set_cookie(staff.LOGIN_COOKIE, token, path="/login", httponly=True, samesite="strict",
                          secure=settings.secure_cookies)
    return answer

"""Staff pages: who may open them and how they are written. A page's route asks for the caller
(:func:`service.auth.request_caller`) and :func:`service.auth.require`s its roles: an anonymous
browser is sent to sign in and comes back (:func:`service.errors.sign_in_first`), a wrong role
gets a page in Swedish. Forms post with the session's CSRF token (checked by ``request_caller``)
and answer 303 back to a page, which shows what happened (``notice``) or what went wrong (``error``)."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from fastapi.responses import HTMLResponse

from service import staff
from service.auth import Caller
from service.html import pages, staff_links
from service.security import html_page


def csrf_of(request: Request, caller: Caller) -> str:
    """The CSRF token the page's forms carry: the session's; empty for a token caller (programs
    post to the API, not through forms)."""
    session_id = request.cookies.get(staff.SESSION_COOKIE)
    return staff.csrf_token(session_id) if caller.user is not None and session_id else ""


def staff_page(request: Request, caller: Caller, template: str, current: str, status_code: int = 200,
               notice: str | None = None, error: str | None = None, scripts: Iterable[str] = (),
               **values: object) -> HTMLResponse:
    """A staff page: ``template`` (extending ``staff_base.html``) rendered with ``values``, the
    site header with the caller's pages (``current`` marked), ``csrf_field``/``csrf_token`` for its
    forms and the ``notice`` or ``error`` to show; never cached (it is one member's). ``scripts``:
    the template's own inline scripts (without data), allowed by hash."""
    html = pages.get_template(template).render(
        current=current, staff=staff_links(caller.role), csrf_field=staff.CSRF_FIELD,
        csrf_token=csrf_of(request, caller), notice=notice, error=error, **values)
    answer = html_page(request, html, scripts, status_code=status_code)
    answer.headers["Cache-Control"] = "no-store"
    return answer

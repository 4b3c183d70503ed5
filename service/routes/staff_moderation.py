"""The staff page /staff/moderation: the reports whose text waits for review, each with the forms
that release or hide it (service/templates/staff_moderation_form.html), and the forms' address
POST /staff/moderation/{report_id}, which moderates (:func:`service.moderation.moderate_report`)
and answers 303 back to the page with what happened."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from geo.errors import StateConflict, ValidationError
from geo.layers import REPORT_CATEGORY_NAMES
from service.auth import Caller, request_caller, require
from service.context import context
from service.forms import StrictFormRoute
from service.moderation import held_reports, moderate_report
from service.routes.signin import local_target
from service.staff_pages import staff_page
from service.store import NotFound

router = APIRouter(tags=["staff"], route_class=StrictFormRoute, include_in_schema=False)

PAGE = "/staff/moderation"
MODERATORS = ("municipality",)
DONE = {"hide_text": "Texten är dold för allmänheten.", "restore_text": "Texten visas igen.",
        "release_text": "Texten är publicerad.", "hide_photo": "Bilden är dold för allmänheten.",
        "restore_photo": "Bilden visas igen."}
"""What the page says after each action (the ``done`` code in its address)."""
FAILED = {"conflict": "Någon annan hann före: anmälan var redan ändrad. Läget visas nedan.",
          "invalid": "Ange ett skäl, högst 500 tecken.", "not_found": "Anmälan finns inte."}
"""What the page says when an action was refused (the ``failed`` code in its address)."""


def messages(done: str | None, failed: str | None) -> tuple[str | None, str | None]:
    """(notice, error) a staff page shows for the codes a moderation form came back with; codes are
    looked up in :data:`DONE` and :data:`FAILED`, never shown as given."""
    return DONE.get(done or ""), FAILED.get(failed or "")


@router.get(PAGE)
def moderation_page(request: Request, done: str | None = Query(None, max_length=20),
                    failed: str | None = Query(None, max_length=20),
                    caller: Caller | None = Depends(request_caller)) -> Response:
    """The reports whose text is held for review (a link or a listed word), the oldest first, with
    their text, why it is held, and the forms that release or hide it."""
    require(caller.role if caller else None, MODERATORS, "the moderation page")
    notice, error = messages(done, failed)
    return staff_page(request, caller, "staff_moderation.html", PAGE, notice=notice, error=error,
                      reports=held_reports(context(request).store), categories=REPORT_CATEGORY_NAMES)


@router.post(PAGE + "/{report_id}")
def moderate_form(request: Request, report_id: str, action: str = Form("", max_length=20),
                  reason: str = Form("", max_length=1000), back: str | None = Form(None, max_length=2000),
                  caller: Caller | None = Depends(request_caller)) -> Response:
    """A moderation form sent (``action``, ``reason``, the session's CSRF token; ``back``: the
    staff page to return to, default the moderation page): 303 back with ``done`` (the action) or
    ``failed`` (``conflict``, ``invalid``, ``not_found``)."""
    require(caller.role if caller else None, MODERATORS, "moderating a report")
    try:
        moderate_report(context(request).store, report_id, action, reason, caller.actor)
        outcome = {"done": action}
    except StateConflict:
        outcome = {"failed": "conflict"}
    except ValidationError:
        outcome = {"failed": "invalid"}
    except NotFound:
        outcome = {"failed": "not_found"}
    target = local_target(back) or PAGE
    return RedirectResponse(f"{target}{'&' if '?' in target else '?'}{urlencode(outcome)}", status_code=303)

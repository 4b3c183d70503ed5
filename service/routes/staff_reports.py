"""Staff work on citizens' reports in the browser: GET /staff/reports (the queue), GET
/staff/reports/{id} (a report's page) and POST /staff/reports/{id} (its forms: change the status
with a note, merge it as a duplicate into another report), 303 back to the page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from geo.errors import Message, StateConflict, ValidationError
from service.auth import STAFF, Caller, request_caller, require
from service.context import context
from service.forms import StrictFormRoute
from service.report_queue import QueueFilter, queue_filter, report_queue, staff_report
from service.moderation import moderation_state
from service.reports import change_status, merge_report
from service.routes.staff_moderation import MODERATORS, messages
from service.staff_reports import (CHANGE_ROLES, NOTICES, UNKNOWN_REPORT, conflict_error, field_error, queue_page,
                                   report_page)
from service.store import NotFound

router = APIRouter(tags=["staff"], route_class=StrictFormRoute, include_in_schema=False)

REPORT_ID = Path(max_length=100)


def _filter() -> str:
    """A text field of the queue's filter form (a Query of its own per parameter)."""
    return Query("", max_length=100)


@router.get("/staff/reports", response_class=HTMLResponse)
def queue(request: Request, zone: str = _filter(), category: str = _filter(), status: str = _filter(),
          older_than: str = _filter(), created_from: str = _filter(), created_to: str = _filter(),
          page: str = _filter(),
          caller: Caller | None = Depends(request_caller)) -> Response:
    """The report queue for staff (open reports by default, oldest first, a page at a time)."""
    require(caller.role if caller else None, STAFF, "the report queue")
    state = context(request)
    form = {"zone": zone, "category": category, "status": status, "older_than": older_than,
            "created_from": created_from, "created_to": created_to}
    try:
        chosen = queue_filter(state.zones, page=page, **form)
    except ValidationError as exc:
        return queue_page(request, caller, state.zones, QueueFilter(), form, None, field_error(exc), 422)
    return queue_page(request, caller, state.zones, chosen, form,
                      report_queue(state.store, state.zones, chosen, state.clock()))


@router.get("/staff/reports/{report_id}", response_class=HTMLResponse)
def report(request: Request, report_id: str = REPORT_ID, klart: str = Query("", max_length=20),
           done: str = Query("", max_length=20), failed: str = Query("", max_length=20),
           caller: Caller | None = Depends(request_caller)) -> Response:
    """A report's staff page (``klart``: the change just made, for its notice; ``done`` and
    ``failed``: what a moderation form on it came back with)."""
    require(caller.role if caller else None, STAFF, "a report's staff page")
    state = context(request)
    view = staff_report(state.store, state.zones, state.settings.reports, report_id)
    notice, error = messages(done, failed)
    return report_page(request, caller, view, notice=NOTICES.get(klart) or notice, error=error,
                       moderation=_moderation(request, caller, report_id))


@router.post("/staff/reports/{report_id}", response_class=HTMLResponse)
def change(request: Request, report_id: str = REPORT_ID, action: str = Form("", max_length=20),
           status: str = Form("", max_length=20), close_reason: str = Form("", max_length=500),
           note: str = Form("", max_length=2000), into: str = Form("", max_length=100),
           caller: Caller | None = Depends(request_caller)) -> Response:
    """The report page's forms (``action``: ``status`` or ``merge``); 303 back to the page with
    its notice, or the page again with the values sent and the refusal in Swedish (409 when
    someone else moved it first, with the status it has now)."""
    require(caller.role if caller else None, CHANGE_ROLES, "changing a report")
    state = context(request)
    form = {"action": action, "status": status, "close_reason": close_reason, "note": note, "into": into}
    try:
        if action == "merge":
            merge_report(state.store, report_id, into.strip(), caller.actor)
        elif action == "status":
            change_status(state.store, report_id, status, caller.actor, close_reason or None, note=note)
        else:
            raise ValidationError(Message("unknown action {action!r}", action=action), field="action")
    except ValidationError as exc:
        return _again(request, caller, report_id, form, field_error(exc), 422)
    except StateConflict as exc:
        return _again(request, caller, report_id, form, conflict_error(exc, report_id), 409)
    except NotFound:  # the report to merge into (the page's own report: 404 from its page)
        return _again(request, caller, report_id, form, UNKNOWN_REPORT, 422)
    return RedirectResponse(f"/staff/reports/{quote(report_id, safe='')}?klart={action}", status_code=303)


def _again(request: Request, caller: Caller, report_id: str, form: dict, error: str, status_code: int) -> Response:
    """The report's page once more, as it is now, with the values sent and the refusal."""
    state = context(request)
    view = staff_report(state.store, state.zones, state.settings.reports, report_id)
    return report_page(request, caller, view, form=form, error=error, status_code=status_code,
                       moderation=_moderation(request, caller, report_id))


def _moderation(request: Request, caller: Caller, report_id: str) -> dict | None:
    """The report's moderation state for a moderator's forms on the page, None for other roles."""
    return moderation_state(context(request).store, report_id) if caller.role in MODERATORS else None

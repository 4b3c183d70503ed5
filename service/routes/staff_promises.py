"""/staff/promises: staff record the status of the promises measured by staff in the browser (the
same use case and role rule as POST /api/promises/{year}/{promise_id}/status) and see each one's
latest status and history."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter
from pydantic import ValidationError as BadDate

from geo.errors import ValidationError
from geo.promises import PromiseYear, UnknownPromise, promise_files, recorded_status, takes_staff_status
from geo.swedish import sv_number
from geo.status import RECORDABLE_STATUSES, STATUS_NAMES
from geo.timestamps import LOCAL_TZ, YEARS
from service.auth import Caller, request_caller, require
from service.context import context
from service.errors import Forbidden
from service.forms import StrictFormRoute
from service.params import IsoDate
from service.promise_page import RECORDER_NAMES
from service.promises import current_year, load_year, may_record, promised_by_name, record_status
from service.staff_pages import staff_page

router = APIRouter(tags=["staff"], route_class=StrictFormRoute, include_in_schema=False)

PATH = "/staff/promises"
ROLES = ("municipality", "police")
"""Who records promise statuses (as the API; which promises each may: :func:`service.promises.may_record`)."""
NOTE_MAX = 2000
"""The longest note, in characters (as the API's)."""


def _error(exc: Exception, year: int, note: str) -> tuple[int, str]:
    """The status and Swedish message of a refusal by :func:`service.promises.record_status`."""
    if isinstance(exc, UnknownPromise):
        return 404, f"Löftet finns inte bland löftena för {year}. Ladda om sidan."
    if isinstance(exc, Forbidden):
        return 403, "Du kan inte registrera status för det löftet: det gavs av den andra parten."
    field = getattr(exc, "field", None)
    return 422, {
        "promise": "Löftet mäts ur data och får ingen registrerad status.",
        "status": "Välj en status.",
        "date": f"Ange ett datum från {year}-01-01 till i dag.",
        "note": ("Skriv vad statusen grundar sig på (ett beslut, ett möte, ett dokument)." if not note.strip() else
                 "Kommentaren innehåller ett tecken som inte kan sparas (ett styrtecken). Ta bort det och försök igen."),
    }.get(field, "Statusen kunde inte registreras. Kontrollera fälten och försök igen.")


def _page(request: Request, caller: Caller, promises: PromiseYear, status: int = 200, notice: str | None = None,
          error: str | None = None, sent: dict | None = None) -> HTMLResponse:
    """Each promise measured by staff with its latest status and history, and a form for those the
    caller may record (``sent``: the form sent, shown again with its values after a refusal)."""
    state = context(request)
    records = state.store.promise_statuses(promises.year)
    today = pd.Timestamp.now(tz=LOCAL_TZ).date()
    entries = []
    for promise in promises.promises:
        if not takes_staff_status(promise):
            continue
        mine = records[records["promise_id"] == promise.id]
        latest = recorded_status(mine, date.max)
        form = sent if sent and sent["promise"] == promise.id else {"date": today.isoformat(), "status": "", "note": ""}
        entries.append({"promise": promise, "by": promised_by_name(promises, promise),
                        "latest": None if latest is None else latest.to_dict(),
                        "history": mine.iloc[::-1].to_dict("records"), "may_record": may_record(caller.role, promise),
                        "form": form})
    return staff_page(request, caller, "staff_promises.html", PATH, status, notice, error, year=promises.year,
                      years=sorted(promise_files(state.settings.promises.dir)), title=promises.title, entries=entries,
                      statuses={code: STATUS_NAMES[code] for code in RECORDABLE_STATUSES}, status_names=STATUS_NAMES,
                      recorders=RECORDER_NAMES, first_day=f"{promises.year}-01-01", today=today.isoformat(),
                      note_max=NOTE_MAX)


@router.get(PATH, response_class=HTMLResponse)
def promises_page(request: Request, year: int | None = Query(None, ge=YEARS[0], le=YEARS[1]),
                  recorded: str | None = Query(None, max_length=100),
                  caller: Caller | None = Depends(request_caller)) -> HTMLResponse:
    """The promises of ``year`` (default: the newest year up to this one with a promises file)
    measured by staff; ``recorded``: the promise whose status was just recorded (the notice)."""
    require(caller.role if caller else None, ROLES, "the promise statuses' page")
    folder = context(request).settings.promises.dir
    promises = load_year(folder, year or current_year(folder, pd.Timestamp.now(tz=LOCAL_TZ).date()))
    return _page(request, caller, promises, notice=_notice(request, promises, recorded))


def _notice(request: Request, promises: PromiseYear, promise_id: str | None) -> str | None:
    """What the page says after a status of ``promise_id`` was recorded: the one recorded last."""
    promise = next((p for p in promises.promises if p.id == promise_id), None)
    if promise is None:
        return None
    records = context(request).store.promise_statuses(promises.year)
    mine = records[records["promise_id"] == promise.id].sort_values("recorded_at")
    if mine.empty:
        return None
    last = mine.iloc[-1]
    return f"Statusen är registrerad: {promise.text.strip()} – {STATUS_NAMES[last['status']]} den {last['day']}."


@router.post(PATH)
def record(request: Request, year: int = Form(..., ge=YEARS[0], le=YEARS[1]), promise: str = Form("", max_length=100),
           day: str = Form("", alias="date", max_length=40), status: str = Form("", max_length=40),
           note: str = Form("", max_length=4 * NOTE_MAX), caller: Caller | None = Depends(request_caller)) -> Response:
    """Record the status (:func:`service.promises.record_status`) and go back to the year's page
    (303) with its notice; a refusal shows the page again with the form as it was sent and the
    reason in Swedish."""
    require(caller.role if caller else None, ROLES, "recording a promise's status")
    state = context(request)
    promises = load_year(state.settings.promises.dir, year)
    sent = {"promise": promise, "date": day, "status": status, "note": note}
    try:
        when = TypeAdapter(IsoDate).validate_python(day)
    except BadDate:
        return _page(request, caller, promises, 422, error=f"Ange datumet som ÅÅÅÅ-MM-DD, till exempel {year}-10-01.",
                     sent=sent)
    if len(note) > NOTE_MAX:
        return _page(request, caller, promises, 422, error=f"Kommentaren får vara högst {sv_number(NOTE_MAX)} tecken.", sent=sent)
    try:
        record_status(state.store, promises, promise, when, status, note, caller.actor)
    except (ValidationError, Forbidden, UnknownPromise) as exc:
        code, message = _error(exc, year, note)
        return _page(request, caller, promises, code, error=message, sent=sent)
    return RedirectResponse(f"{PATH}?{urlencode({'year': year, 'recorded': promise})}", status_code=303)

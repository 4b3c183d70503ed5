"""/staff/patrols: the police upload a patrol track (GPX) or a CSV of pings in the browser — the
same use case as POST /api/patrols — and see what was stored."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from geo.errors import ValidationError
from geo.layers import PATROL_MODE_NAMES
from geo.swedish import sv_number
from geo.timestamps import LOCAL_TZ
from service.auth import Caller, request_caller, require
from service.context import context
from service.errors import message_of
from service.forms import StrictFormRoute
from service.i18n import translate
from service.imports import ImportSummary
from service.patrol_upload import upload_patrols
from service.staff_pages import staff_page

router = APIRouter(tags=["staff"], route_class=StrictFormRoute, include_in_schema=False)

PATH = "/staff/patrols"
ROLES = ("police",)
"""Who uploads patrol tracks (as POST /api/patrols)."""


def stored_text(file: str, summary: ImportSummary) -> str:
    """What an upload stored, in Swedish: pings read, new ones stored, those stored already and skipped."""
    parts = [f"{file}: {sv_number(summary.read, 0)} punkter lästa, {sv_number(summary.imported, 0)} nya sparade"]
    if summary.unchanged:
        parts.append(f"{sv_number(summary.unchanged, 0)} fanns redan")
    if sum(summary.skipped.values()):
        parts.append(f"{sv_number(sum(summary.skipped.values()), 0)} hoppades över")
    return ", ".join(parts) + "."


def _page(request: Request, caller: Caller, values: dict, status: int = 200, notice: str | None = None,
          error: str | None = None) -> HTMLResponse:
    latest = context(request).store.latest_ping()
    return staff_page(request, caller, "staff_patrols.html", PATH, status, notice, error, values=values,
                      modes=PATROL_MODE_NAMES,
                      latest=None if latest is None else latest.tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"))


@router.get(PATH, response_class=HTMLResponse)
def patrols_page(request: Request, caller: Caller | None = Depends(request_caller)) -> HTMLResponse:
    """The upload form and the time of the newest stored ping."""
    require(caller.role if caller else None, ROLES, "the patrol upload page")
    return _page(request, caller, {"mode": "foot", "unit": "", "crew": ""})


@router.post(PATH, response_class=HTMLResponse)
def upload(request: Request, file: UploadFile = File(...), mode: str = Form("foot", max_length=20),
           unit: str = Form("", max_length=200), crew: str = Form("", max_length=10),
           caller: Caller | None = Depends(request_caller)) -> HTMLResponse:
    """Upload (:func:`service.patrol_upload.upload_patrols`) and show what was stored; a refusal
    shows the page again with the reason in Swedish (nothing stored). Sending the same file again
    stores nothing new, so the page is answered directly."""
    require(caller.role if caller else None, ROLES, "uploading patrol tracks")
    values = {"mode": mode, "unit": unit, "crew": crew}
    if crew.strip() and not crew.strip().isdigit():
        return _page(request, caller, values, 422, error="Ange antalet poliser i patrullen som ett heltal.")
    try:
        uploaded = upload_patrols(context(request), file.filename, file.file, unit.strip() or None, mode,
                                  int(crew) if crew.strip() else None)
    except ValidationError as exc:
        return _page(request, caller, values, 422, error=translate(message_of(exc), "sv"))
    return _page(request, caller, values, notice=stored_text(uploaded.file, uploaded.summary))

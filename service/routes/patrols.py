"""POST /api/patrols: police upload patrol tracks (GPX or CSV), validated like the CLI import."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from service.auth import request_role, require
from service.forms import StrictFormRoute
from service.i18n import negotiate, translate
from service.imports import ALREADY_STORED
from service.patrol_upload import upload_patrols
from service.responses import PatrolImport
from service.context import context

router = APIRouter(tags=["patrols"], route_class=StrictFormRoute)


@router.post("/api/patrols", status_code=201,
             responses={201: {"model": PatrolImport, "description": "The upload is imported (or was already)."}})
def upload(request: Request, file: UploadFile = File(...), unit: str | None = Form(None, max_length=200),
           mode: str | None = Form(None), crew: int | None = Form(None),
           role: str | None = Depends(request_role)) -> dict:
    """A GPX track (with ``mode``, and ``unit``/``crew`` as for ``stadskarna import patrols``) or a
    CSV of pings (:func:`service.patrol_upload.upload_patrols`). All pings valid or nothing stored;
    re-uploading the same file stores nothing new. The token is checked and the body capped before
    it is read (:mod:`service.limits`). The kept presence of the unit-days it touched is computed
    before the answer, so the next figures are quick."""
    require(role, ("police",), "uploading patrol tracks")
    uploaded = upload_patrols(context(request), file.filename, file.file, unit, mode, crew)
    summary = uploaded.summary
    return {"file": uploaded.file, "read": summary.read, "imported": summary.imported,
            "skipped": dict(summary.skipped) | ({ALREADY_STORED: summary.unchanged} if summary.unchanged else {}),
            "summary": translate(summary.line(), negotiate(request.headers.get("accept-language")))}

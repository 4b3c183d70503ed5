"""POST /api/patrols: police upload patrol tracks (GPX or CSV), validated like the CLI import."""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from geo.errors import Message, ValidationError
from geo.layers import PINGS
from service.auth import request_role, require
from service.forms import StrictFormRoute
from service.imports import import_file
from service.presence import keep_all
from service.responses import PatrolImport
from service.context import context

router = APIRouter(tags=["patrols"], route_class=StrictFormRoute)
UPLOAD_SUFFIXES = (".gpx", ".csv")


@router.post("/api/patrols", status_code=201,
             responses={201: {"model": PatrolImport, "description": "The upload is imported (or was already)."}})
def upload_patrols(request: Request, file: UploadFile = File(...), unit: str | None = Form(None, max_length=200),
                   mode: str | None = Form(None), crew: int | None = Form(None),
                   role: str | None = Depends(request_role)) -> dict:
    """A GPX track (with ``mode``, and ``unit``/``crew`` as for ``stadskarna import patrols``) or a
    CSV of pings. All pings valid or nothing stored; re-uploading the same file stores nothing new.
    The token is checked and the body capped before it is read (:mod:`service.limits`); the upload
    is streamed to a temporary file, never held in memory whole. The kept presence of the
    unit-days it touched is computed before the answer, so the next figures are quick."""
    require(role, ("police",), "uploading patrol tracks")
    name = Path(file.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ValidationError(Message("upload a .gpx or .csv file"), file=name, field="file")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / _safe_name(name)
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out, 1024 * 1024)
        options = {"unit_id": unit, "mode": mode, "crew": crew} if suffix == ".gpx" else {}
        state = context(request)
        try:
            summary = import_file(state.store, PINGS, path, **options)
        except ValidationError as exc:
            raise _named(exc, path, name) from None
    keep_all(state.store, state.zones, state.rules)
    return {"file": name, "read": summary.read, "imported": summary.imported,
            "skipped": dict(summary.skipped) | ({"already stored": summary.unchanged} if summary.unchanged else {}),
            "summary": summary.line().replace(str(path), name)}


def _safe_name(name: str) -> str:
    """The upload's name as a file name on this machine: letters, digits, ``._-`` and at most 100
    characters (the GPX reader takes the unit and the source from it)."""
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    return (re.sub(r"[^\w.-]", "_", stem)[:100] or "upload") + suffix


def _named(exc: ValidationError, path: Path, name: str) -> ValidationError:
    """The error naming the uploaded file, never the temporary one."""
    message = (exc.message.substitute(str(path), name) if isinstance(exc.message, Message)
               else exc.message.replace(str(path), name))
    return dataclasses.replace(exc, file=name if exc.file else None, message=message)

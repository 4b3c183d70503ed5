"""POST /api/patrols: police upload patrol tracks (GPX or CSV), validated like the CLI import."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile

from geo.layers import PINGS
from service.auth import request_role, require
from service.imports import import_file

router = APIRouter(tags=["patrols"])
UPLOAD_SUFFIXES = (".gpx", ".csv")


@router.post("/api/patrols", status_code=201)
async def upload_patrols(request: Request, file: UploadFile = File(...), unit: str | None = Form(None),
                         mode: str | None = Form(None), crew: int | None = Form(None),
                         role: str | None = Depends(request_role)) -> dict:
    """A GPX track (with ``mode``, and ``unit``/``crew`` as for ``stadskarna import patrols``) or a
    CSV of pings. All pings valid or nothing stored; re-uploading the same file stores nothing new."""
    require(role, ("police",), "uploading patrol tracks")
    name = Path(file.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise HTTPException(422, f"{name}: upload a .gpx or .csv file")
    limit = int(request.app.state.settings.reports.max_upload_mb * 1024 * 1024)
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"{name} is larger than {limit / 1e6:.0f} MB")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        options = {"unit_id": unit, "mode": mode, "crew": crew} if suffix == ".gpx" else {}
        summary = import_file(request.app.state.store, PINGS, path, **options)
    return {"file": name, "read": summary.read, "imported": summary.imported,
            "skipped": dict(summary.skipped) | ({"already stored": summary.unchanged} if summary.unchanged else {}),
            "summary": summary.line().replace(str(path), name)}

"""Camera surveillance: /api/cameras/figures (what the cameras see), /api/cameras/what-if (what a
proposal would cover; staff) and /api/cameras/{id}/drawing.png|.pdf (the recorded area's drawing; staff)."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from geo.timestamps import LOCAL_TZ, YEARS
from service.auth import STAFF, request_role, require
from service.cameras import WHAT_IF_MAX_CAMERAS, camera_drawing, camera_figures, given_cameras, stored_cameras, what_if
from service.context import context
from service.responses import CameraFigures, CameraWhatIf

router = APIRouter(tags=["cameras"])

YEAR = Query(None, ge=YEARS[0], le=YEARS[1], description="the hot spots' and marks' year; default: the newest "
                                                          "incident's")
MEDIA_TYPES = {"png": "image/png", "pdf": "application/pdf"}


class WhatIfCamera(BaseModel):
    """A camera of a what-if (checked as the cameras layer: height 0.5–40 m, bearing 0–360°, field
    of view 1–360°, range 1–500 m)."""

    model_config = ConfigDict(extra="forbid")
    lon: float
    lat: float
    direction_deg: float
    fov_deg: float
    range_m: float
    height_m: float = 6.0
    id: str | None = Field(None, max_length=80)
    name: str | None = Field(None, max_length=200)


class WhatIfCameras(BaseModel):
    """Cameras to try, not stored."""

    model_config = ConfigDict(extra="forbid")
    cameras: list[WhatIfCamera] = Field(min_length=1, max_length=WHAT_IF_MAX_CAMERAS)
    year: int | None = Field(None, ge=YEARS[0], le=YEARS[1])


@router.get("/api/cameras/figures",
            responses={200: {"model": CameraFigures, "description": "What the cameras see, per camera and status."}})
def figures(request: Request, year: int | None = YEAR, role: str | None = Depends(request_role)) -> dict:
    """Per stored camera and per status (the cameras of a status together): area seen (m²), each
    incident hot spot's located incidents inside the views, citizens' unsafe-place marks inside
    (publicly only counts of at least ``STADSKARNA_PRIVACY_MIN_COUNT``), metres of street seen by
    name, and entrances (no entrance data exists: ``null``, and ``entrances_note`` says so)."""
    state = context(request)
    return camera_figures(state, year, None if role in STAFF else state.settings.privacy.min_count)


@router.get("/api/cameras/what-if",
            responses={200: {"model": CameraWhatIf, "description": "What the cameras of the status cover together."}})
def what_if_stored(request: Request, status: str = Query("proposed", max_length=20),
                   year: int | None = YEAR, role: str | None = Depends(request_role)) -> dict:
    """Staff: what the stored cameras of ``status`` (default proposed) would cover together: the hot
    spots with incidents inside their views and how many, the area and streets seen."""
    require(role, STAFF, "camera what-ifs")
    state = context(request)
    return what_if(state, stored_cameras(state.store, status), year)


@router.post("/api/cameras/what-if",
             responses={200: {"model": CameraWhatIf, "description": "What the cameras given cover together."}})
def what_if_given(request: Request, body: WhatIfCameras, role: str | None = Depends(request_role)) -> dict:
    """Staff: the same for cameras given in the body (not stored; each within 200 m of the zones)."""
    require(role, STAFF, "camera what-ifs")
    state = context(request)
    return what_if(state, given_cameras(state, [c.model_dump(exclude_none=True) for c in body.cameras]), body.year)


@router.get("/api/cameras/{camera_id}/drawing.{kind}", response_class=Response,
            responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()},
                             "description": "The printable drawing of the camera's recorded area (A4)."}})
def drawing(request: Request, camera_id: str, kind: Literal["png", "pdf"],
            role: str | None = Depends(request_role)) -> Response:
    """Staff: the printable drawing of a camera's recorded area (A4 landscape): streets, buildings,
    the view polygon, scale bar, north arrow, the camera's data and today's date; SYNTETISKT
    EXEMPEL for synthetic data."""
    require(role, STAFF, "camera drawings")
    body = camera_drawing(context(request), camera_id, kind, pd.Timestamp.now(tz=LOCAL_TZ).date())
    return Response(body, media_type=MEDIA_TYPES[kind],
                    headers={"Content-Disposition": f'inline; filename="kamera.{kind}"'})

"""The safety survey: municipality staff import a year's results (POST /api/survey), everyone reads
the figures (GET /api/survey)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile

from geo.timestamps import YEARS
from service.auth import STAFF, request_role, require
from service.context import context
from service.forms import StrictFormRoute
from service.i18n import negotiate, translate
from service.responses import SurveyFigures, SurveyImported
from service.survey import survey_figures, upload_survey

router = APIRouter(tags=["survey"], route_class=StrictFormRoute)


@router.post("/api/survey", status_code=201,
             responses={201: {"model": SurveyImported, "description": "The year's survey is replaced by the upload."}})
def upload(request: Request, file: UploadFile = File(...), places: UploadFile | None = File(None),
           role: str | None = Depends(request_role)) -> dict:
    """A survey's results (CSV: year, area, question, question_text, share, answers, optional
    source) and optionally the places respondents marked (CSV with lon, lat, count, year, or
    GeoJSON Points/Polygons with count and year): every row valid, then the year's stored survey
    is replaced in one transaction (other years kept); else 422 naming the file, row and field and
    nothing stored."""
    require(role, ("municipality",), "importing a survey")
    state = context(request)
    done = upload_survey(state.store, state.zones["zone_id"].tolist(), (file.filename, file.file),
                         (places.filename, places.file) if places is not None else None)
    return {"year": done.year, "file": done.file, "results": done.results, "places": done.places,
            "replaced": done.replaced,
            "summary": translate(done.line(), negotiate(request.headers.get("accept-language")))}


@router.get("/api/survey", responses={200: {"model": SurveyFigures, "description": "The year's survey figures."}})
def figures(request: Request, year: int | None = Query(None, ge=YEARS[0], le=YEARS[1]),
            role: str | None = Depends(request_role)) -> dict:
    """A year's survey (default: the newest): per question and area the share with its Wilson
    95 % interval, the answers and the change against the previous survey with its interval; the
    marked places counted per 50 m cell. Without a staff token a share from fewer than k answers is
    null and cells with fewer than k marks are left out (``suppressed_below``). 404 when the year
    has no survey (the answer names the years there are)."""
    state = context(request)
    k = None if role in STAFF else state.settings.privacy.min_count
    return survey_figures(state.store, state.zones, year, k)

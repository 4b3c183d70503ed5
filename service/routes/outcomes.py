"""Outcomes: GET /api/outcomes (indicators per zone and year), POST /api/outcomes/before-after
(a difference-in-differences around a measure) and the public page /outcomes/before-after."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from geo.before_after import MAX_DAYS
from service.auth import STAFF, request_role
from service.context import context
from service.outcome_page import DEFAULT_DAYS, BeforeAfterForm, before_after_page
from service.outcomes import BEFORE_AFTER_LAYERS, before_after, outcome_report, today
from service.params import IsoDate
from service.responses import BeforeAfter, Outcomes
from service.security import html_page

router = APIRouter(tags=["outcomes"])


@router.get("/api/outcomes", responses={200: {"model": Outcomes, "description": "The year's outcome indicators."}})
def outcomes(request: Request, year: int = Query(description="the local year"),
             zone: str | None = Query(None, description="only this zone (a zone_id)", max_length=100),
             role: str | None = Depends(request_role)) -> dict:
    """The year's outcome indicators per zone and for the whole centre: incidents per category
    (placed ones; town- and county-level apart), citizens' reports per category and unsafe-place
    marks, each with the previous year's value, the change and whether it is larger than Poisson
    noise. Anonymous callers get citizens' counts below k as null (``suppressed_below``); staff
    tokens get exact ones."""
    state = context(request)
    k = None if role in STAFF else state.settings.privacy.min_count
    # cached per version of the data and per day (a year in progress is counted up to today)
    return state.pages.get(("outcomes", year, zone, k, today()),
                           lambda: outcome_report(state.store, state.zones, year, zone, min_count=k),
                           topics=("incidents", "reports", "survey", "meta"))


class Place(BaseModel):
    """An area: a zone, or a GeoJSON geometry in WGS84 (points and lines with a buffer in metres)."""

    model_config = ConfigDict(extra="forbid")
    zone: str | None = Field(None, max_length=100, description="a zone_id")
    geometry: dict | None = Field(None, description="a GeoJSON Polygon, MultiPolygon, Point, LineString or Multi-")
    buffer_m: float | None = Field(None, description="for points and lines: the buffer drawn around them, metres "
                                                     "(SWEREF 99 TM), more than 0 and at most 1,000")


class BeforeAfterQuestion(BaseModel):
    """A before/after around a measure: where, against what, when, over how long, counting what."""

    model_config = ConfigDict(extra="forbid")
    area: Place
    comparison: Place | None = Field(None, description="a zone or a polygon; default: the rest of the centre")
    at: IsoDate = Field(description="the measure's local date (the after period starts with it)")
    days: int = Field(ge=1, le=MAX_DAYS, description="the length of each period, days")
    seasonal: bool = Field(False, description="also the same periods a year earlier, to take out the season")
    layers: list[Literal[BEFORE_AFTER_LAYERS]] = Field(  # type: ignore[valid-type]
        ["incidents", "reports"], min_length=1, description="what to count (unsafe_places: staff only)")


@router.post("/api/outcomes/before-after",
             responses={200: {"model": BeforeAfter, "description": "The difference-in-differences table."}})
def before_after_json(request: Request, question: BeforeAfterQuestion,
                      role: str | None = Depends(request_role)) -> dict:
    """Incidents and reports in the affected area against the comparison area, the same number of
    days before and after the measure (optionally also a year earlier): counts and rates per area
    and period, the difference-in-differences of rates and of log rates with a 95 % interval,
    and the caveats (Swedish sentences). Public callers count incidents at their published
    positions (50 m cells), get fault reports below k as null with every figure computed from
    them, and may not count unsafe-place marks."""
    state = context(request)
    comparison = question.comparison or Place()
    return before_after(state.store, state.zones, at=question.at, days=question.days, area_zone=question.area.zone,
                        area_geometry=question.area.geometry, buffer_m=question.area.buffer_m,
                        comparison_zone=comparison.zone, comparison_geometry=comparison.geometry,
                        seasonal=question.seasonal, layers=question.layers,
                        min_count=None if role in STAFF else state.settings.privacy.min_count)



@router.get("/outcomes/before-after", response_class=HTMLResponse, include_in_schema=False)  # a form page, as staff forms
def before_after_html(request: Request, area: str | None = Query(None, max_length=100),
                      comparison: str | None = Query(None, max_length=100),
                      at: str | None = Query(None, max_length=20), days: str = Query(str(DEFAULT_DAYS), max_length=10),
                      layers: list[str] = Query([], max_length=3), seasonal: str | None = Query(None, max_length=5)) -> HTMLResponse:
    """Before and after a measure, as a public page: pick the zone, the comparison, the date and
    the days; the table of counts, the difference-in-differences and the caveats, in Swedish."""
    asked = at is not None  # the form was sent: its boxes as ticked; else the defaults
    form = BeforeAfterForm(area=area, comparison=comparison, at=at or "", days=days, seasonal=bool(seasonal),
                           **({"layers": layers} if asked else {}))
    html, status = before_after_page(context(request), form, asked)
    return html_page(request, html, status_code=status)

"""The promise tracker: GET /api/promises/{year} and the page /promises/{year} for everyone;
staff record the status of promises that no figure measures."""

from __future__ import annotations

from datetime import date

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from geo.promises import promise_files
from geo.timestamps import LOCAL_TZ
from service.auth import Caller, request_caller, require
from service.params import IsoDate
from service.promise_compare import chosen_years, compare_years
from service.promise_outcomes import outcomes_by_year
from service.promise_page import compare_html, tracker_html, year_summary
from service.promises import (current_year, followable_years, link_years, load_year, promise_tracker,
                              promises_fingerprint, record_status)
from service.responses import PromiseComparison, PromiseStatusRecorded, PromiseTracker, PromiseYears
from service.security import html_page
from service.context import context

router = APIRouter(tags=["promises"])

AS_OF = Query(None, description="follow up to this local date (default: the year's end, or today in the current year)")
YEARS = Query(None, description="comma-separated years to compare (default: every year with promises that has begun)")


class StatusRecord(BaseModel):
    """A status of a promise measured by staff, as of a date, with what it rests on."""

    date: IsoDate
    status: str = Field(description="met, on track, behind or not met")
    note: str = Field(max_length=2000)


def _year(request: Request, year: int):
    return load_year(context(request).settings.promises.dir, year)


def _report(request: Request, year: int, as_of: date | None) -> dict:
    """The tracker report, cached: a new day, new data or an edited promises file make a new one."""
    state = context(request)
    promises = _year(request, year)
    key = ("promises", year, as_of, pd.Timestamp.now(tz=LOCAL_TZ).date(),
           promises_fingerprint(state.settings.promises.dir))  # an edited promises or programme file
    return state.pages.get(key, lambda: promise_tracker(state.store, state.zones, promises, as_of,
                                                      min_count=state.settings.privacy.min_count, rules=state.rules,
                                                      streets=state.streets, photometry=state.lighting.photometry))


def _linked(request: Request, year: int, as_of: date | None) -> dict:
    """The tracker report with links to the neighbouring years and carried-over promises' results."""
    state, today = context(request), pd.Timestamp.now(tz=LOCAL_TZ).date()
    return link_years(_report(request, year, as_of), followable_years(state.settings.promises.dir, today),
                      lambda earlier: _report(request, earlier, None))


def _compared(request: Request, years: str | None) -> dict:
    """Each kind of promise across the chosen years (whole years, or up to today in the current one)."""
    state, today = context(request), pd.Timestamp.now(tz=LOCAL_TZ).date()
    reports = {year: _linked(request, year, None)
               for year in chosen_years(years, followable_years(state.settings.promises.dir, today))}
    return compare_years(reports, outcomes_by_year(reports))


@router.get("/api/promises", responses={200: {"model": PromiseYears, "description": "The years with promises."}})
def years(request: Request) -> dict:
    """The years that have a promises file."""
    return {"years": sorted(promise_files(context(request).settings.promises.dir))}


@router.get("/api/promises/compare",
            responses={200: {"model": PromiseComparison, "description": "The promises year after year."}})
def comparison(request: Request, years: str | None = YEARS) -> dict:
    """Each kind of promise across the years: every year's promises of the kind with status and
    result, the changes from year to year, a Swedish follow-up text, and the outcomes beside them."""
    return _compared(request, years)


@router.get("/api/promises/{year}",
            responses={200: {"model": PromiseTracker, "description": "The year's promise tracker."}})
def tracker(request: Request, year: int, as_of: IsoDate | None = AS_OF) -> dict:
    """Every promise of the year with its status (met, on track, behind, not met, not measurable
    yet), value, target, chart data and supporting figures; the neighbouring years with promises,
    and for a promise carried over its result the year before."""
    return _linked(request, year, as_of)


@router.post("/api/promises/{year}/{promise_id}/status", status_code=201,
             responses={201: {"model": PromiseStatusRecorded, "description": "The status is recorded."}})
def record(request: Request, year: int, promise_id: str, body: StatusRecord,
           caller: Caller | None = Depends(request_caller)) -> dict:
    """Record the status of a promise measured by staff (the municipality for its promises, the
    police for theirs, either for joint ones); earlier records are kept as its history."""
    require(caller.role if caller else None, ("municipality", "police"), "recording a promise's status")
    return record_status(context(request).store, _year(request, year), promise_id, body.date,
                         body.status, body.note, caller.actor)


@router.get("/promises", include_in_schema=False)
def latest(request: Request) -> RedirectResponse:
    """The latest year's tracker."""
    year = current_year(context(request).settings.promises.dir, pd.Timestamp.now(tz=LOCAL_TZ).date())
    return RedirectResponse(f"/promises/{year}")


@router.get("/promises/compare", response_class=HTMLResponse)
def compare_page(request: Request, years: str | None = YEARS) -> HTMLResponse:
    """Each kind of promise across the years as a page, with the follow-up text per kind."""
    state = context(request)
    key = ("compare", years, pd.Timestamp.now(tz=LOCAL_TZ).date(), promises_fingerprint(state.settings.promises.dir))
    return state.pages.get(key, lambda: html_page(request, compare_html(_compared(request, years))))


@router.get("/promises/{year}", response_class=HTMLResponse)
def page(request: Request, year: int, as_of: IsoDate | None = AS_OF) -> HTMLResponse:
    """The tracker as a page: a summary, each promise with its status, value against target and
    charts, links to the other years and a carried-over promise's result the year before."""
    state = context(request)
    key = ("page", year, as_of, pd.Timestamp.now(tz=LOCAL_TZ).date(),
           promises_fingerprint(state.settings.promises.dir))  # an edited promises or programme file

    def build() -> HTMLResponse:
        report = _linked(request, year, as_of)
        return html_page(request, tracker_html(report, summary=year_summary(report)))

    return state.pages.get(key, build)

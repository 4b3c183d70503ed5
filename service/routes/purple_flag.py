"""The Purple Flag evidence of a year: GET /api/purple-flag/{year} and the page /purple-flag/{year},
public like the tracker (citizens' counts below k suppressed)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from geo.timestamps import LOCAL_TZ
from service.context import context
from service.params import IsoDate
from service.purple_flag_page import purple_flag_html
from service.promises import current_year, load_year, purple_flag_report
from service.responses import PurpleFlagPage
from service.routes.promises import AS_OF
from service.security import html_page

router = APIRouter(tags=["promises"])

TOPICS = ("incidents", "lights", "reports", "patrols", "survey", "events", "meta")
"""The data the evidence is built from: a report, a lamp, a ping, the survey or an event changes it; a
removal round or a promise's status does not."""


def _evidence(request: Request, year: int, as_of: date | None) -> dict:
    """The year's evidence, cached for the day by the data it reads; 404 for a year without promises."""
    state = context(request)
    load_year(state.settings.promises.dir, year)
    key = ("purple-flag", year, as_of, pd.Timestamp.now(tz=LOCAL_TZ).date())
    return state.pages.get(key, lambda: purple_flag_report(
        state.store, state.zones, year, as_of, min_count=state.settings.privacy.min_count, rules=state.rules,
        streets=state.streets, photometry=state.lighting.photometry), topics=TOPICS)


@router.get("/api/purple-flag/{year}",
            responses={200: {"model": PurpleFlagPage, "description": "The year's Purple Flag evidence."}})
def evidence(request: Request, year: int, as_of: IsoDate | None = AS_OF) -> dict:
    """What the data shows of the evening and night per Purple Flag band (17-20, 20-23, 23-02,
    02-05) and for 17-05: the bands' dark hours, presence hours, incidents and citizens' reports by
    category, the lighting after dark, events and survey answers about the evening, each tagged
    with its theme, and per theme what the data cannot show."""
    return _evidence(request, year, as_of)


@router.get("/purple-flag", include_in_schema=False)
def latest(request: Request) -> RedirectResponse:
    """The latest year's evidence."""
    year = current_year(context(request).settings.promises.dir, pd.Timestamp.now(tz=LOCAL_TZ).date())
    return RedirectResponse(f"/purple-flag/{year}")


@router.get("/purple-flag/{year}", response_class=HTMLResponse)
def page(request: Request, year: int, as_of: IsoDate | None = AS_OF) -> HTMLResponse:
    """The evidence as a page, one section per theme."""
    return html_page(request, purple_flag_html(_evidence(request, year, as_of)))

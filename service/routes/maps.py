"""HTML map pages."""

import json
from pathlib import Path

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from geo.layers import FAULT_CATEGORIES, REPORT_CATEGORY_NAMES, UNSAFE_WHEN_NAMES, UNSAFE_WHY_NAMES
from geo.maps.markup import page_html
from geo.timestamps import LOCAL_TZ, YEARS
from service.auth import request_role, require
from service.maps import MAP_TITLES, build_map
from service.params import IsoDate
from service.promises import promises_fingerprint
from service.security import html_page, inline_scripts
from service.context import context

router = APIRouter(tags=["maps"])


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The overview map of the centre's zones and streets."""
    return _page(request, "overview")


@router.get("/maps/planner", response_class=HTMLResponse)
def planner(request: Request, year: int | None = Query(None, ge=YEARS[0], le=YEARS[1])) -> HTMLResponse:
    """For planners: zones by a chosen metric, incidents and unsafe places as heat grids, lights by
    status, open reports by category, dark spots and illuminance (default: the latest year)."""
    return context(request).pages.get(("planner", year), lambda: _page(request, "planner", year))


@router.get("/maps/lighting", response_class=HTMLResponse)
def lighting(request: Request) -> HTMLResponse:
    """For the lighting programme: illuminance with a lux legend, the EN 13201-3 fields by verdict
    today and after the current programme's measures not yet done (their lamps shown), dark spots,
    lamps (broken ones larger) and zones with their class. Other proposed lamps:
    ``stadskarna map lighting --proposed FILE``."""
    state = context(request)
    key = ("lighting", pd.Timestamp.now(tz=LOCAL_TZ).date(),  # a new day moves the measures not yet done
           promises_fingerprint(state.settings.promises.dir))  # an edited programme is a new map
    return state.pages.get(key, lambda: _page(request, "lighting"), topics=("lights", "reports", "meta"))


@router.get("/maps/police", response_class=HTMLResponse)
def police(request: Request, year: int | None = Query(None, ge=YEARS[0], le=YEARS[1]), day: IsoDate | None = None,
           unit: str | None = Query(None, max_length=200), role: str | None = Depends(request_role)) -> HTMLResponse:
    """For the police (token): presence per zone against its share of the year's promised hours
    (as its promises file counts and shares them), hot spots with their dosage, and the track of
    ``unit`` on ``day``."""
    require(role, ("police",), "the police map")
    state = context(request)
    key = ("police", year, day, unit, pd.Timestamp.now(tz=LOCAL_TZ).date(),  # a new day moves "today"
           promises_fingerprint(state.settings.promises.dir))  # an edited promises file is a new map
    return state.pages.get(key, lambda: _page(request, "police", year, day=day, unit=unit),
                           topics=("patrols", "incidents", "meta"))


REPORT_PAGE = Path(__file__).resolve().parent.parent / "pages" / "report.html"
REPORT_SCRIPTS = inline_scripts(REPORT_PAGE.read_text(encoding="utf-8"))
"""The report page's own script (its settings go into a JSON data block, which is not run)."""


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request) -> HTMLResponse:
    """For citizens, no account needed: tap the map, choose what it is (or mark a place where you
    feel unsafe, with when and why), add a description and photo, and send."""
    url, attribution = context(request).settings.maps.tile_url()
    names = REPORT_CATEGORY_NAMES
    config = json.dumps({"tiles": url, "attribution": attribution, "names": list(names.items()),
                         "categories": [(code, names[code]) for code in FAULT_CATEGORIES],
                         "when": list(UNSAFE_WHEN_NAMES.items()), "why": list(UNSAFE_WHY_NAMES.items())}
                        ).replace("</", "<\\/")
    return html_page(request, REPORT_PAGE.read_text(encoding="utf-8").replace("__CONFIG__", config), REPORT_SCRIPTS)


def _page(request: Request, kind: str, year: int | None = None, **options) -> HTMLResponse:
    page = page_html(build_map(kind, context(request), year, **options), MAP_TITLES[kind])
    return html_page(request, page.html, page.scripts)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """No icon (yet): answer empty instead of 404 so browsers log no error."""
    return Response(status_code=204)

"""HTML map pages."""

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from geo.maps.markup import page_html
from geo.timestamps import LOCAL_TZ, YEARS
from service.auth import STAFF, request_role, require
from service.cameras import FIGURE_TOPICS
from service.maps import MAP_TITLES, build_map, with_site_header
from service.params import IsoDate
from service.promises import promises_fingerprint
from service.report_page import REPORT_SCRIPTS, report_page_html
from service.security import html_page
from service.context import context

router = APIRouter(tags=["maps"])


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The overview map of the centre's zones and streets."""
    return _page(request, "overview")


@router.get("/maps/planner", response_class=HTMLResponse)
def planner(request: Request, year: int | None = Query(None, ge=YEARS[0], le=YEARS[1]),
            question: str | None = Query(None, max_length=64)) -> HTMLResponse:
    """For planners: zones by a chosen metric, incidents and unsafe places as heat grids, lights by
    status, open reports by category, dark spots and illuminance (default: the latest year), and the
    newest safety survey up to the year: the zones' shares for ``question`` (a code; default the
    first) and the places respondents marked; and the year's events."""
    return context(request).pages.get(("planner", year, question),
                                      lambda: _page(request, "planner", year, question=question))


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


@router.get("/maps/cameras", response_class=HTMLResponse)
def cameras(request: Request, year: int | None = Query(None, ge=YEARS[0], le=YEARS[1]),
            role: str | None = Depends(request_role)) -> HTMLResponse:
    """For staff (planner, municipality, police): the cameras by status with their view polygons
    (what each sees, buildings taken into account) and the year's incident hot spots."""
    require(role, STAFF, "the cameras map")
    key = ("cameras", year, role)  # the header links the role's pages
    return context(request).pages.get(key, lambda: _page(request, "cameras", year, role=role),
                                      topics=(*FIGURE_TOPICS, "meta"))


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request) -> HTMLResponse:
    """For citizens, no account needed: set the place (tap the map, move the pin with the arrow
    keys, use your position or choose a street), choose what it is (or mark a place where you feel
    unsafe, with when and why), add a description and photo, and send."""
    return html_page(request, report_page_html(context(request).settings.maps), REPORT_SCRIPTS)


def _page(request: Request, kind: str, year: int | None = None, role: str | None = None, **options) -> HTMLResponse:
    page = page_html(with_site_header(build_map(kind, context(request), year, **options), kind, role), MAP_TITLES[kind])
    return html_page(request, page.html, page.scripts)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """No icon (yet): answer empty instead of 404 so browsers log no error."""
    return Response(status_code=204)

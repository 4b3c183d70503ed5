"""HTML map pages."""

import json
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from service.auth import request_role, require
from service.maps import build_map
from service.pagecache import cached

router = APIRouter(tags=["maps"])


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The overview map of the centre's zones and streets."""
    return _page(build_map("overview", request.app.state), "Trygg stadskärna – Halmstad")


@router.get("/maps/planner", response_class=HTMLResponse)
def planner(request: Request, year: int | None = Query(None, ge=2000, le=2100)) -> HTMLResponse:
    """For planners: zones by a chosen metric, incidents and unsafe places as heat grids, lights by
    status, open reports by category, dark spots and illuminance (default: the latest year)."""
    return cached(request.app.state, ("planner", year), lambda: _page(build_map("planner", request.app.state, year),
                                                           "Planerarkarta – Trygg stadskärna"))


@router.get("/maps/lighting", response_class=HTMLResponse)
def lighting(request: Request) -> HTMLResponse:
    """For the lighting programme: illuminance with a lux legend, dark spots, lamps (broken ones
    larger) and zones with their class. Proposed lamps: ``stadskarna map lighting --proposed FILE``."""
    return cached(request.app.state, ("lighting",), lambda: _page(build_map("lighting", request.app.state),
                                                        "Belysningskarta – Trygg stadskärna"))


@router.get("/maps/police", response_class=HTMLResponse)
def police(request: Request, year: int | None = Query(None, ge=2000, le=2100), day: date | None = None,
           unit: str | None = None, role: str | None = Depends(request_role)) -> HTMLResponse:
    """For the police (token): presence per zone against its share of the 900 h target, hot spots
    with their dosage, and the track of ``unit`` on ``day``."""
    require(role, ("police",), "the police map")
    return _page(build_map("police", request.app.state, year, day=day, unit=unit), "Polisens karta – Trygg stadskärna")


REPORT_PAGE = Path(__file__).resolve().parent.parent / "pages" / "report.html"


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request) -> HTMLResponse:
    """For citizens, no account needed: tap the map, choose what it is (or mark a place where you
    feel unsafe, with when and why), add a description and photo, and send."""
    url, attribution = request.app.state.settings.maps.tile_url()
    config = json.dumps({"tiles": url, "attribution": attribution}).replace("</", "<\\/")
    return HTMLResponse(REPORT_PAGE.read_text(encoding="utf-8").replace("__CONFIG__", config))


def _page(fmap, title: str) -> HTMLResponse:
    fmap.get_root().title = title
    return HTMLResponse(fmap.get_root().render())


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """No icon (yet): answer empty instead of 404 so browsers log no error."""
    return Response(status_code=204)

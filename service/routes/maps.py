"""HTML map pages."""

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from service.maps import build_map

router = APIRouter(tags=["maps"])


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The overview map of the centre's zones and streets."""
    return _page(build_map("overview", request.app.state), "Trygg stadskärna – Halmstad")


@router.get("/maps/planner", response_class=HTMLResponse)
def planner(request: Request, year: int | None = Query(None, ge=2000, le=2100)) -> HTMLResponse:
    """For planners: zones by a chosen metric, incidents and unsafe places as heat grids, lights by
    status, open reports by category, dark spots and illuminance (default: the latest year)."""
    return _page(build_map("planner", request.app.state, year), "Planerarkarta – Trygg stadskärna")


def _page(fmap, title: str) -> HTMLResponse:
    fmap.get_root().title = title
    return HTMLResponse(fmap.get_root().render())


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """No icon (yet): answer empty instead of 404 so browsers log no error."""
    return Response(status_code=204)

"""HTML map pages."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from geo.maps.overview import overview_map

router = APIRouter(tags=["maps"])


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The overview map of the centre's zones and streets."""
    state = request.app.state
    fmap = overview_map(state.zones, state.streets)
    fmap.get_root().title = "Trygg stadskärna – Halmstad"
    return HTMLResponse(fmap.get_root().render())

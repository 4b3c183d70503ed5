"""HTML map pages."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from geo.maps.overview import overview_map

router = APIRouter(tags=["maps"])


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The overview map of the centre's zones and streets."""
    state = request.app.state
    maps = state.settings.maps
    fmap = overview_map(state.zones, state.streets, maps.folium_tiles(), maps.attribution)
    fmap.get_root().title = "Trygg stadskärna – Halmstad"
    return HTMLResponse(fmap.get_root().render())


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """No icon (yet): answer empty instead of 404 so browsers log no error."""
    return Response(status_code=204)

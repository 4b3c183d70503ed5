"""GET /api/zones: the centre's zones as RFC 7946 GeoJSON."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from geo.io.geojson import to_feature_collection
from geo.zones import zone_areas_m2

router = APIRouter(tags=["zones"])


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


@router.get("/api/zones", response_class=GeoJSONResponse)
def zones(request: Request) -> GeoJSONResponse:
    """The zones (WGS84) with ``zone_id``, ``name``, ``kind``, ``lighting_class`` and ``area_m2``
    (computed in SWEREF 99 TM), plus the file's metadata (source, licence, approximate)."""
    frame = request.app.state.zones
    shown = frame.assign(area_m2=zone_areas_m2(frame).round(1))
    return GeoJSONResponse(to_feature_collection(shown, metadata=frame.attrs.get("metadata")))

"""GET /api/layers/{layer}: a layer as GeoJSON, filtered, paginated, and only what the caller may see."""

from __future__ import annotations

from urllib.parse import urlencode

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request

from geo.crs import WGS84, in_box
from geo.errors import Message, ValidationError
from geo.io.geojson import area_geometry, point_features, to_feature_collection
from geo.layers import CAMERA_STATUSES, CAMERAS, COORDINATE_DECIMALS, EVENTS, INCIDENTS, LAYERS, PINGS, LayerSchema, REPORT_STATUSES, REPORTS, UNPUBLISHED_CATEGORIES
from geo.publish import within
from geo.timestamps import format_utc
from service.auth import EXACT_INCIDENT_ROLES, PATROL_ROLES, STAFF, request_role, require
from service.errors import NoSuchThing
from service.params import MAX_PATROL_SPAN, instant, time_query
from service.public_incidents import public_incidents
from service.responses import LayerCollection
from service.security import link
from service.store import FeatureQuery
from service.routes.zones import GeoJSONResponse
from service.context import context

router = APIRouter(tags=["layers"])

MAX_OFFSET = 10_000_000
"""The furthest a page may start (more than any layer holds; a larger number would overflow SQL's integers)."""


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4 or not (values[0] < values[2] and values[1] < values[3]):
        raise ValidationError(Message("bbox must be min_lon,min_lat,max_lon,max_lat in WGS84 degrees, minimum first"),
                              field="bbox")
    return values


def _statuses(text: str | None, schema: LayerSchema) -> tuple[str, ...] | None:
    """The report or camera statuses asked for (comma-separated), None for all."""
    if text is None:
        return None
    statuses = tuple(dict.fromkeys(s.strip() for s in text.split(",")))
    if schema is CAMERAS and set(statuses) <= set(CAMERA_STATUSES):
        return statuses
    if schema is not REPORTS or not set(statuses) <= set(REPORT_STATUSES):
        raise ValidationError(Message("status filters the reports layer, by {report_statuses}, and the cameras "
                                      "layer, by {camera_statuses} (comma-separated)",
                                      report_statuses=', '.join(REPORT_STATUSES),
                                      camera_statuses=', '.join(CAMERA_STATUSES)),
                              field="status")
    return statuses


@router.get("/api/layers/{layer}", response_class=GeoJSONResponse,
            responses={200: {"model": LayerCollection, "description": "A page of the layer, RFC 7946 GeoJSON."}})
def layer(request: Request, layer: str,
          bbox: str | None = Query(None, description="min_lon,min_lat,max_lon,max_lat (WGS84)"),
          start: str | None = time_query("from this time (ISO 8601; naive = Stockholm time)"),
          end: str | None = time_query("before this time"),
          limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=MAX_OFFSET),
          status: str | None = Query(None, max_length=200, description="reports and cameras only: the statuses "
                                     "shown, comma-separated (reports: open, acknowledged, scheduled, closed; cameras: "
                                     "proposed, permitted, installed, removed); default all"),
          role: str | None = Depends(request_role)) -> GeoJSONResponse:
    """Incidents (generalised to a 50 m grid and a date unless the caller is police or planner),
    lights, cameras, reports (never contact details; unsafe places only for staff roles), patrol pings
    (police only) or events (an event held on an area as its Polygon; ``bbox`` finds it by its
    point)."""
    if layer not in LAYERS:
        raise NoSuchThing(Message("no layer {layer!r}: the layers are {layers}", layer=layer, layers=', '.join(LAYERS)))
    schema, store = LAYERS[layer], context(request).store
    box, first, last = _bbox(bbox), instant(start, "start"), instant(end, "end")
    statuses = _statuses(status, schema)
    if schema is PINGS:
        require(role, PATROL_ROLES, "raw patrol tracks")
        if first is None or last is None or not pd.Timedelta(0) < last - first <= MAX_PATROL_SPAN:
            raise ValidationError(Message("patrol pings need start and end at most {days} days apart",
                                          days=MAX_PATROL_SPAN.days),
                                  field="start/end")
        frame = within(store.read_pings(first, last), "timestamp", box)  # at most 31 days
        frame = gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]),
                                 geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=WGS84)
        page, matched = frame.iloc[offset:offset + limit], len(frame)
    elif schema is INCIDENTS and role not in EXACT_INCIDENT_ROLES:
        page, matched = public_incidents(store, box, lambda frame: in_box(frame.geometry.to_numpy(), box),
                                         first, last, None, limit, offset)
    else:  # read as published, without frames: the busiest read path
        hidden = UNPUBLISHED_CATEGORIES if schema is REPORTS and role not in STAFF else ()
        query = FeatureQuery(bbox=box, start=first, end=last, exclude_categories=hidden, statuses=statuses)
        found = store.published_page(schema, query, limit, offset)
        properties = found.properties
        if schema is REPORTS:  # with how many citizens have seen each too
            counts = store.supporters([p["id"] for p in properties])
            properties = [p | {"supporters": counts.get(p["id"], 0)} for p in properties]
        features = point_features(properties, found.lon, found.lat, COORDINATE_DECIMALS)
        if schema is EVENTS:  # an event held on an area is that area
            areas = store.event_areas([p["id"] for p in properties])
            features = [f | {"geometry": area_geometry(areas[f["properties"]["id"]], COORDINATE_DECIMALS)}
                        if f["properties"]["id"] in areas else f for f in features]
        return _collection(request, features, found.matched, limit, offset)
    times = [c for c in page.columns if isinstance(page[c].dtype, pd.DatetimeTZDtype)]
    page = page.assign(**{c: format_utc(page[c]) for c in times})
    return _collection(request, to_feature_collection(page, decimals=COORDINATE_DECIMALS)["features"], matched,
                       limit, offset)


def _collection(request: Request, features: list[dict], matched: int, limit: int, offset: int) -> GeoJSONResponse:
    """A page of features as a FeatureCollection with its counts and the link to the next page."""
    links = []
    if offset + limit < matched:
        query = urlencode([*((k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")),
                           ("offset", offset + limit), ("limit", limit)])
        links.append({"rel": "next", "href": link(request, f"{request.url.path}?{query}")})
    return GeoJSONResponse({"type": "FeatureCollection", "numberMatched": matched, "numberReturned": len(features),
                            "links": links, "features": features})

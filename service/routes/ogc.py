"""OGC API – Features at /ogc: landing page, conformance, collections, queryables, items and
one item, as JSON (GeoJSON for features) or, with ``f=html``, as plain pages (:mod:`service.ogc`)."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from geo.crs import CRS84, OGC_CRS, from_crs84, in_box, to_crs84_box
from geo.errors import Message, ValidationError
from geo.io.geojson import area_geometry, to_feature_collection
from geo.layers import COORDINATE_DECIMALS, EVENTS, INCIDENTS, REPORTS, UNPUBLISHED_CATEGORIES, LayerSchema
from geo.timestamps import LOCAL_TZ, format_utc
from geo.tracks import unit_day_lines, unit_days
from service.auth import EXACT_INCIDENT_ROLES, STAFF, request_role, require
from service.cameras import CAMERA_TOPICS, camera_views
from service.context import Context, context
from service.errors import NoSuchThing
from service.html import pages
from service.ogc import (COLLECTIONS, CONFORMANCE, DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Collection, ItemsQuery,
                         items_query, visible)
from service.params import MAX_PATROL_SPAN
from service.public_incidents import public_incidents
from service.responses import (OGCCollection, OGCCollections, OGCConformance, OGCFeature, OGCFeatureCollection,
                               OGCLanding, OGCQueryables)
from service.routes.zones import GeoJSONResponse
from service.security import html_page, link
from service.store import FeatureQuery

router = APIRouter(prefix="/ogc", tags=["ogc"])

JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"
SCHEMA_JSON = "application/schema+json"
METRIC_DECIMALS = 2
"""Decimals of coordinates in metres (a centimetre)."""
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
FORMAT = Query(None, pattern="^(json|html)$", description="json (default) or html")


class SchemaResponse(JSONResponse):
    """A JSON Schema document."""

    media_type = SCHEMA_JSON


def _answer(model: type, description: str) -> dict:
    """The documented success answer: the JSON ``model``, or with ``f=html`` a page."""
    return {200: {"model": model, "description": description, "content": {HTML: {"schema": {"type": "string"}}}}}


def _html(request: Request, f: str | None) -> bool:
    """Whether to answer with a page: ``f=html``, or a browser that asks for HTML before JSON."""
    if f is not None:
        return f == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


def _url(request: Request, path: str, **params: object) -> str:
    query = urlencode([(k, v) for k, v in params.items() if v is not None])
    return link(request, path + (f"?{query}" if query else ""))


def _link(request: Request, path: str, rel: str, kind: str, title: str, **params: object) -> dict:
    return {"href": _url(request, path, **params), "rel": rel, "type": kind, "title": title}


def _self_links(request: Request, path: str, kind: str, title: str) -> list[dict]:
    return [_link(request, path, "self", kind, title), _link(request, path, "alternate", HTML, f"{title} (HTML)", f="html")]


def _page(request: Request, title: str, doc: dict, table: tuple[list[str], list[list]] | None = None) -> HTMLResponse:
    """A plain page of a document: its links and, for features, a table of their properties."""
    columns, rows = table or ([], [])
    return html_page(request, pages.get_template("ogc.html").render(title=title, doc=doc, columns=columns, rows=rows,
                                                                    current=None))


@router.get("/", response_model=None, include_in_schema=False)
@router.get("", response_model=None, responses=_answer(OGCLanding, "The landing page (JSON, or HTML with f=html)."))
def landing(request: Request, f: str | None = FORMAT) -> JSONResponse | HTMLResponse:
    """The landing page: links to the API's description, the conformance classes and the collections."""
    doc = {"title": "Trygg stadskärna – OGC API Features",
           "description": "Halmstads stadskärna: zoner, gator, brott och händelser, gatubelysning, medborgarnas "
                          "felanmälningar och (för polisen) patrullspår.",
           "links": [*_self_links(request, "/ogc", JSON, "det här dokumentet"),
                     _link(request, "/openapi.json", "service-desc", "application/vnd.oai.openapi+json;version=3.1",
                           "API:ets definition (OpenAPI 3.1)"),
                     _link(request, "/docs", "service-doc", HTML, "API:ets dokumentation"),
                     _link(request, "/ogc/conformance", "conformance", JSON, "konformitetsklasser"),
                     _link(request, "/ogc/conformance", "http://www.opengis.net/def/rel/ogc/1.0/conformance", JSON,
                           "konformitetsklasser"),
                     _link(request, "/ogc/collections", "data", JSON, "samlingarna"),
                     _link(request, "/ogc/collections", "http://www.opengis.net/def/rel/ogc/1.0/data", JSON,
                           "samlingarna")]}
    return _page(request, doc["title"], doc) if _html(request, f) else JSONResponse(doc)


@router.get("/conformance", response_model=None,
            responses=_answer(OGCConformance, "The conformance classes implemented."))
def conformance(request: Request, f: str | None = FORMAT) -> JSONResponse | HTMLResponse:
    """The conformance classes the API implements."""
    doc = {"links": _self_links(request, "/ogc/conformance", JSON, "konformitetsklasser"),
           "conformsTo": list(CONFORMANCE)}
    return _page(request, "Konformitetsklasser", doc) if _html(request, f) else JSONResponse(doc)


@router.get("/collections", response_model=None,
            responses=_answer(OGCCollections, "The collections the caller may see."))
def collections(request: Request, f: str | None = FORMAT,
                role: str | None = Depends(request_role)) -> JSONResponse | HTMLResponse:
    """The collections the caller may see, each with its extent and CRS."""
    state = context(request)
    doc = {"links": _self_links(request, "/ogc/collections", JSON, "samlingarna"),
           "collections": [_collection(request, state, c, role) for c in COLLECTIONS.values() if visible(c, role)],
           "crs": list(OGC_CRS)}
    return _page(request, "Samlingar", doc) if _html(request, f) else JSONResponse(doc)


@router.get("/collections/{collection_id}", response_model=None, responses=_answer(OGCCollection, "One collection."))
def collection(request: Request, collection_id: str, f: str | None = FORMAT,
               role: str | None = Depends(request_role)) -> JSONResponse | HTMLResponse:
    """One collection: its extent, CRS and links to its items and queryables."""
    found = _visible(collection_id, role)
    doc = _collection(request, context(request), found, role)
    return _page(request, found.title, doc) if _html(request, f) else JSONResponse(doc)


@router.get("/collections/{collection_id}/queryables", response_model=None, response_class=SchemaResponse,
            responses=_answer(OGCQueryables, "The properties its items can be filtered by (JSON Schema)."))
def queryables(request: Request, collection_id: str, f: str | None = FORMAT,
               role: str | None = Depends(request_role)) -> JSONResponse | HTMLResponse:
    """The properties a collection's items can be filtered by: ``?name=value`` (comma-separated
    values: any of them)."""
    found = _visible(collection_id, role)
    path = f"/ogc/collections/{found.id}/queryables"
    doc = {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": _url(request, path), "type": "object",
           "title": found.title,
           "properties": {name: {"title": q.title, "type": "string", **({"enum": list(q.values)} if q.values else {})}
                          for name, q in found.queryables.items()},
           "additionalProperties": False}
    if _html(request, f):
        return _page(request, f"{found.title}: filtrerbara egenskaper",
                     {"links": _self_links(request, path, SCHEMA_JSON, "filtrerbara egenskaper")} | doc)
    return SchemaResponse(doc)


@router.get("/collections/{collection_id}/items", response_class=GeoJSONResponse,
            response_model=None,
            responses=_answer(OGCFeatureCollection, "A page of the collection's features (GeoJSON, or HTML with "
                                                    "f=html); the header Content-Crs names their CRS."))
def items(request: Request, collection_id: str,
          limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="features per page"),
          offset: int = Query(0, ge=0, le=MAX_OFFSET, description="the first feature's place (next links carry it)"),
          bbox: str | None = Query(None, description="lower corner, upper corner, in the axis order of bbox-crs"),
          bbox_crs: str = Query(CRS84, alias="bbox-crs", description="the CRS of bbox: " + ", ".join(OGC_CRS)),
          crs: str = Query(CRS84, description="the CRS to answer in: " + ", ".join(OGC_CRS)),
          datetime: str | None = Query(None, description="an instant, or start/end with .. for an open end"),
          f: str | None = FORMAT, role: str | None = Depends(request_role)) -> GeoJSONResponse | HTMLResponse:
    """A page of a collection's features matching the box, time and property filters (its
    queryables, ``?category=graffiti,litter``), with the number matched and links to the next and
    previous pages. Queries run in the store; a page never reads a whole layer."""
    found = _visible(collection_id, role)
    asked = items_query(found, list(request.query_params.multi_items()))
    features, matched = _features(context(request), found, role, asked)
    path = f"/ogc/collections/{found.id}/items"
    base = {k: v for k, v in request.query_params.multi_items() if k not in ("offset", "limit", "f")}
    links = _self_links(request, path, GEOJSON, "den här sidan")
    links = [{**l, "href": _url(request, path, **base, limit=asked.limit, offset=asked.offset,
                                **({"f": "html"} if l["rel"] == "alternate" else {}))} for l in links]
    if asked.offset + asked.limit < matched:
        links.append(_link(request, path, "next", GEOJSON, "nästa sida", **base, limit=asked.limit,
                           offset=asked.offset + asked.limit))
    if asked.offset > 0:
        links.append(_link(request, path, "prev", GEOJSON, "föregående sida", **base, limit=asked.limit,
                           offset=max(asked.offset - asked.limit, 0)))
    links.append(_link(request, f"/ogc/collections/{found.id}", "collection", JSON, found.title))
    doc = {"type": "FeatureCollection", "features": features, "links": links,
           "timeStamp": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
           "numberMatched": matched, "numberReturned": len(features)}
    headers = {"Content-Crs": f"<{asked.crs}>"}
    if _html(request, f):
        page = _page(request, found.title, {"links": links, "numberMatched": matched,
                                            "numberReturned": len(features)}, _table(features))
        page.headers.update(headers)
        return page
    return GeoJSONResponse(doc, headers=headers)


@router.get("/collections/{collection_id}/items/{feature_id:path}", response_class=GeoJSONResponse,
            response_model=None, responses=_answer(OGCFeature, "One feature (GeoJSON, or HTML with f=html)."))
def item(request: Request, collection_id: str, feature_id: str,
         crs: str = Query(CRS84, description="the CRS to answer in: " + ", ".join(OGC_CRS)),
         f: str | None = FORMAT, role: str | None = Depends(request_role)) -> GeoJSONResponse | HTMLResponse:
    """One feature by its id."""
    found = _visible(collection_id, role)
    params = list(request.query_params.multi_items())
    wrong = [name for name, _ in params if name not in ("crs", "f")]
    if wrong:
        raise ValidationError(Message("unknown query parameter {wrong!r}; a feature takes crs and f", wrong=wrong[0]),
                              field=wrong[0])
    asked = items_query(found, params)
    if found.schema is INCIDENTS and role not in EXACT_INCIDENT_ROLES:
        raise NoSuchThing(Message("the public sees incidents generalised, without ids; police and planner tokens see "
                                  "each incident"))
    features = _by_id(context(request), found, role, feature_id, asked)
    if not features:
        raise NoSuchThing(Message("no feature {feature_id!r} in {id}", feature_id=feature_id, id=found.id))
    path = f"/ogc/collections/{found.id}/items/{feature_id}"
    feature = features[0] | {"links": [*_self_links(request, path, GEOJSON, "det här objektet"),
                                       _link(request, f"/ogc/collections/{found.id}", "collection", JSON, found.title)]}
    headers = {"Content-Crs": f"<{asked.crs}>"}
    if _html(request, f):
        page = _page(request, f"{found.title}: {feature_id}", {"links": feature["links"]}, _table(features))
        page.headers.update(headers)
        return page
    return GeoJSONResponse(feature, headers=headers)


# -- the collections ------------------------------------------------------------------------------


def _visible(collection_id: str, role: str | None) -> Collection:
    """The collection, if the caller may see it: 404 for an unknown one, 401/403 for one of other roles."""
    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise NoSuchThing(Message("no collection {collection_id!r}; see /ogc/collections", collection_id=collection_id))
    if not visible(found, role):
        require(role, found.roles or (), f"the collection {found.id}")
    return found


def _collection(request: Request, state: Context, found: Collection, role: str | None) -> dict:
    path = f"/ogc/collections/{found.id}"
    extent = state.pages.get(("ogc extent", found.id, _view(found, role)), lambda: _extent(state, found, role),
                             topics=_topics(found))
    return {"id": found.id, "title": found.title, "description": found.description,
            "links": [*_self_links(request, path, JSON, found.title),
                      _link(request, f"{path}/items", "items", GEOJSON, f"{found.title}: objekt"),
                      _link(request, f"{path}/items", "items", HTML, f"{found.title}: objekt (HTML)", f="html"),
                      _link(request, f"{path}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                            SCHEMA_JSON, f"{found.title}: filtrerbara egenskaper")],
            "extent": extent, "itemType": "feature", "crs": list(OGC_CRS), "storageCrs": CRS84}


def _topics(found: Collection) -> tuple[str, ...] | None:
    """The data a collection is made of (None: the settings' zones or streets, which do not change)."""
    if found.source in ("zones", "streets"):
        return None
    if found.source == "camera-views":
        return CAMERA_TOPICS
    return ("patrols",) if found.source == "patrols" else (found.schema.name,)


_KEYS = {"zones": "zone_id", "streets": "name", "camera-views": "id"}
"""The property that identifies a feature of a collection held as a frame."""


def _frame(state: Context, found: Collection) -> gpd.GeoDataFrame | None:
    """The WGS84 frame of a collection held as one: the zones, the streets (None without them) or
    the cameras' view polygons (computed once per version of the cameras and buildings)."""
    if found.source == "camera-views":
        return camera_views(state)
    return state.zones if found.source == "zones" else state.streets


def _view(found: Collection, role: str | None) -> str:
    """Which of a collection's views the caller gets: exact or public."""
    if found.schema is INCIDENTS:
        return "exact" if role in EXACT_INCIDENT_ROLES else "public"
    if found.schema is REPORTS:
        return "staff" if role in STAFF else "public"
    return "all"


def _extent(state: Context, found: Collection, role: str | None) -> dict:
    """The spatial extent (CRS84) and, for collections with times, the temporal one (UTC; for the
    public's incidents whole local days)."""
    bbox = first = last = None
    if found.source in _KEYS:
        frame = _frame(state, found)
        if frame is not None and len(frame):
            bbox = tuple(float(v) for v in frame.total_bounds)
    elif found.source == "patrols":  # once per version of the pings (a client's layer extent; GDAL reads it)
        tracks = state.store.read_tracks()
        if len(tracks):
            bbox = (float(tracks.lon.min()), float(tracks.lat.min()), float(tracks.lon.max()), float(tracks.lat.max()))
            first, last = pd.Timestamp(int(tracks.t_ns.min()), tz="UTC"), pd.Timestamp(int(tracks.t_ns.max()), tz="UTC")
    else:
        hidden = UNPUBLISHED_CATEGORIES if _view(found, role) == "public" and found.schema is REPORTS else ()
        extent = state.store.extent(found.schema, FeatureQuery(exclude_categories=hidden))
        bbox, first, last = extent.bbox, extent.first, extent.last
        if _view(found, role) == "public" and found.schema is INCIDENTS and first is not None:
            first = first.tz_convert(LOCAL_TZ).floor("D").tz_convert("UTC")  # dates only, as published
            last = (last.tz_convert(LOCAL_TZ).tz_localize(None).floor("D") + pd.Timedelta(days=1)).tz_localize(
                LOCAL_TZ).tz_convert("UTC")
    out = {"spatial": {"bbox": [list(bbox)], "crs": CRS84}} if bbox is not None else {}
    if found.temporal:
        out["temporal"] = {"interval": [[_stamp(first), _stamp(last)]], "trs": GREGORIAN}
    return out


def _stamp(at: pd.Timestamp | None) -> str | None:
    return None if at is None else at.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


# -- features -------------------------------------------------------------------------------------


def _features(state: Context, found: Collection, role: str | None, asked: ItemsQuery) -> tuple[list[dict], int]:
    """A page of features as GeoJSON dicts in the asked CRS, and how many match in all."""
    if found.source == "layer":
        return _layer_page(state, found, role, asked)
    if found.source == "patrols":
        return _patrol_page(state, asked)
    frame = _frame(state, found)
    if frame is None:
        return [], 0
    keep = np.ones(len(frame), dtype=bool)
    for name, values in asked.filters.items():
        keep &= frame[name].isin(values).to_numpy()
    if asked.bbox is not None:
        keep &= in_box(frame.geometry.to_numpy(), asked.bbox, asked.bbox_crs)
    chosen = frame[keep]
    page = chosen.iloc[asked.offset:asked.offset + asked.limit]
    ids = page[_KEYS[found.source]].tolist()
    return _geojson(page, ids, asked.crs), len(chosen)


def _layer_page(state: Context, found: Collection, role: str | None, asked: ItemsQuery) -> tuple[list[dict], int]:
    """A page of a point layer, queried in the store (the public's incidents generalised)."""
    store, schema = state.store, found.schema
    box = None if asked.bbox is None else _crs84_box(asked)
    categories, statuses = asked.filters.get("category"), asked.filters.get("status")
    if schema is INCIDENTS and role not in EXACT_INCIDENT_ROLES:
        page, matched = public_incidents(store, box, lambda f: in_box(f.geometry.to_numpy(), asked.bbox, asked.bbox_crs),
                                         asked.start, asked.end, categories, asked.limit, asked.offset)
        page = page.assign(date=page["date"].astype(str))
        return _geojson(page, None, asked.crs), matched
    hidden = UNPUBLISHED_CATEGORIES if schema is REPORTS and role not in STAFF else ()
    query = FeatureQuery(bbox=box, start=asked.start, end=asked.end, categories=categories, statuses=statuses,
                         exclude_categories=hidden, kinds=asked.filters.get("kind"))
    if box is not None and asked.bbox_crs != CRS84:  # the box's edges are curves in lon/lat: decided exactly here
        ids, lon, lat = store.positions(schema, query)
        inside = in_box(shapely.points(lon, lat), asked.bbox, asked.bbox_crs)
        chosen = np.asarray(ids, dtype=object)[inside]
        query = replace(query, bbox=None, ids=tuple(chosen[asked.offset:asked.offset + asked.limit]))
        found_page, matched = store.published_page(schema, query, asked.limit), int(inside.sum())
    else:
        found_page = store.published_page(schema, query, asked.limit, asked.offset)
        matched = found_page.matched
    points = from_crs84(shapely.points(found_page.lon, found_page.lat), asked.crs)
    return _with_areas(state, schema, _point_features(found_page.properties, points, asked.crs), asked.crs), matched


def _crs84_box(asked: ItemsQuery) -> tuple[float, float, float, float]:
    """The asked box as a WGS84 box holding it; 400 for a box outside its CRS's area."""
    try:
        return to_crs84_box(asked.bbox, asked.bbox_crs)
    except ValueError as exc:
        raise ValidationError(exc.args[0], field="bbox") from None


def _by_id(state: Context, found: Collection, role: str | None, feature_id: str, asked: ItemsQuery) -> list[dict]:
    """The feature of ``feature_id`` as the caller may see it (a list of one, or none)."""
    if found.source == "layer":
        hidden = UNPUBLISHED_CATEGORIES if found.schema is REPORTS and role not in STAFF else ()
        page = state.store.published_page(found.schema, FeatureQuery(ids=(feature_id,), exclude_categories=hidden), 1)
        points = from_crs84(shapely.points(page.lon, page.lat), asked.crs)
        return _with_areas(state, found.schema, _point_features(page.properties, points, asked.crs), asked.crs)
    if found.source == "patrols":
        unit, _, day = feature_id.rpartition("/")
        if not unit:
            return []
        try:
            start = pd.Timestamp(day).tz_localize(LOCAL_TZ)
        except ValueError:
            return []
        end = (start.tz_localize(None) + pd.Timedelta(days=1)).tz_localize(LOCAL_TZ)
        lines = unit_day_lines(state.store.read_tracks(start, end, [unit]))
        return _track_features(lines[lines["id"] == feature_id], asked.crs)
    frame = _frame(state, found)
    key = _KEYS[found.source]
    if frame is None:
        return []
    page = frame[frame[key] == feature_id]
    return _geojson(page, page[key].tolist(), asked.crs)


def _patrol_page(state: Context, asked: ItemsQuery) -> tuple[list[dict], int]:
    """A page of patrols' unit-day lines. Without a box the unit-days come from the store's index
    and only the page's unit-days are read (:func:`_spans`); a box needs a time span of at most 31 days (those tracks
    are read, then kept by the box)."""
    store = state.store
    units = asked.filters.get("unit_id")
    if asked.bbox is not None:
        if asked.start is None or asked.end is None or asked.end - asked.start > MAX_PATROL_SPAN:
            raise ValidationError(Message("a box over the patrols needs a datetime interval of at most {days} days",
                                          days=MAX_PATROL_SPAN.days), field="datetime")
    if asked.bbox is not None or asked.start is not None or asked.end is not None:
        spans = store.ping_spans(asked.start, asked.end)
    else:
        spans = store.ping_spans()
    if units is not None:
        spans = spans[spans["unit_id"].isin(units)]
    if asked.bbox is None and asked.start is None and asked.end is None:
        days = unit_days(spans)
        chosen = days.iloc[asked.offset:asked.offset + asked.limit]
        if chosen.empty:
            return [], len(days)
        lines = pd.concat([unit_day_lines(store.read_tracks(first, last, [unit])) for unit, first, last in _spans(chosen)])
        lines = lines.set_index("id").loc[chosen["id"]].reset_index()
        return _track_features(lines, asked.crs), len(days)
    if spans.empty:
        return [], 0
    lines = unit_day_lines(store.read_tracks(asked.start, asked.end, sorted(set(spans["unit_id"]))))
    if asked.bbox is not None:
        lines = lines[in_box(lines.geometry.to_numpy(), asked.bbox, asked.bbox_crs)]
    return _track_features(lines.iloc[asked.offset:asked.offset + asked.limit], asked.crs), len(lines)


def _spans(chosen: pd.DataFrame) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """Per unit of a page of unit-days (:func:`geo.tracks.unit_days` rows), the local time from its
    first day's start to its last day's end: the page's days of a unit follow each other in its list
    of days, so that span holds its pings of those days and no other (a page across two units
    never reads either over the other's days)."""
    days = chosen.groupby("unit_id", sort=False)["day"].agg(["min", "max"])
    return [(unit, pd.Timestamp(first).tz_localize(LOCAL_TZ), (pd.Timestamp(last) + pd.Timedelta(days=1)).tz_localize(LOCAL_TZ))
            for unit, first, last in zip(days.index, days["min"], days["max"])]


def _track_features(lines: gpd.GeoDataFrame, crs: str) -> list[dict]:
    times = {c: format_utc(lines[c]) for c in ("start", "end")}
    return _geojson(lines.assign(**times).drop(columns="id"), lines["id"].tolist(), crs)


def _point_features(properties: list[dict], points: np.ndarray, crs: str) -> list[dict]:
    """Point features of published properties (each with its ``id``) at ``points`` (in ``crs``)."""
    decimals = COORDINATE_DECIMALS if crs == CRS84 else METRIC_DECIMALS
    xy = shapely.get_coordinates(points)
    return [{"type": "Feature", "id": props["id"], "properties": props,
             "geometry": {"type": "Point", "coordinates": [round(float(x), decimals), round(float(y), decimals)]}}
            for props, (x, y) in zip(properties, xy)]


def _with_areas(state: Context, schema: LayerSchema, features: list[dict], crs: str) -> list[dict]:
    """Events' features with an event held on an area as that area (in ``crs``); others as they are."""
    if schema is not EVENTS or not features:
        return features
    areas = state.store.event_areas([f["id"] for f in features])
    if not areas:
        return features
    decimals = COORDINATE_DECIMALS if crs == CRS84 else METRIC_DECIMALS
    moved = dict(zip(areas, from_crs84(np.array(list(areas.values()), dtype=object), crs)))
    return [f | {"geometry": area_geometry(moved[f["id"]], decimals)} if f["id"] in moved else f for f in features]


def _geojson(frame: gpd.GeoDataFrame, ids: list[str] | None, crs: str) -> list[dict]:
    """Features of a WGS84 frame in ``crs`` (its axis order), with ``ids`` when given."""
    decimals = COORDINATE_DECIMALS if crs == CRS84 else METRIC_DECIMALS
    moved = gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name),
                             geometry=from_crs84(frame.geometry.to_numpy(), crs), crs=None)
    features = to_feature_collection(moved, decimals=decimals)["features"]
    if ids is not None:
        features = [{"type": "Feature", "id": i, **{k: v for k, v in f.items() if k != "type"}}
                    for f, i in zip(features, ids)]
    return features


def _table(features: list[dict]) -> tuple[list[str], list[list]]:
    """The features' properties as a table for a page: columns, then one row per feature."""
    columns = list(dict.fromkeys(k for f in features for k in f["properties"]))
    return (["id", *columns], [[f.get("id", ""), *(f["properties"].get(c) for c in columns)] for f in features])

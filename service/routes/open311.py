"""Open311 GeoReport v2: discovery, services and their definitions, submitting and reading service
requests — every endpoint in XML (``.xml``) and JSON (``.json``), errors as the spec's list in the
same format (:mod:`service.georeport`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, Response

from geo.errors import Message, ValidationError
from geo.layers import FAULT_CATEGORIES
from service.auth import open311_client
from service.context import context
from service.errors import Forbidden, NoSuchThing
from service.forms import StrictFormRoute
from service.georeport import FORMATS, XMLResponse, answer
from service.open311 import (DEFAULT_RADIUS_M, MAX_PAGE_SIZE, MAX_RADIUS_M, OPEN311_STATUSES, PAGE_SIZE, Near,
                             default_window, discovery, find_requests, request_items, service_definition, services)
from service.params import instant, time_query
from service.reports import Reporter, submit_report
from service.responses import (Open311Discovery, Open311Request, Open311RequestCreated, Open311Service,
                               Open311ServiceDefinition)
from service.security import link
from service.store import Actor, FeatureQuery

PREFIX = "/open311/v2"
router = APIRouter(prefix=PREFIX, tags=["open311"], route_class=StrictFormRoute)
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\]")


def _both(method: str, path: str, status: int, model: Any, described: str) -> Callable:
    """Register an endpoint at ``path.json`` (documented with ``model``, of :mod:`service.responses`)
    and at ``path.xml`` (documented as XML); the endpoint answers the format of the path it is called at."""
    def register(endpoint: Callable) -> Callable:
        for fmt in FORMATS:
            documented = ({"model": model} if fmt == "json"
                          else {"content": {"text/xml": {"schema": {"type": "string"}}}})
            router.add_api_route(f"{path}.{fmt}", endpoint, methods=[method], status_code=status,
                                 response_class=XMLResponse if fmt == "xml" else JSONResponse,
                                 responses={status: documented | {"description": described}})
        return endpoint
    return register


@_both("GET", "/discovery", 200, Open311Discovery, "The discovery document.")
def get_discovery(request: Request) -> Response:
    """How to use this endpoint: contact, how to get an api_key, its URL, specification and formats."""
    settings = context(request).settings
    return answer(request.url.path, "discovery", discovery(link(request, PREFIX), settings.open311))


@_both("GET", "/services", 200, list[Open311Service], "The services.")
def get_services(request: Request) -> Response:
    """The services citizens can request (the report categories; unsafe places are not services)."""
    return answer(request.url.path, "services", services())


@_both("GET", "/services/{service_code}", 200, Open311ServiceDefinition, "The service's definition.")
def get_service_definition(request: Request, service_code: str) -> Response:
    """A service's attributes (questions): their codes, whether required, and their allowed values."""
    return answer(request.url.path, "service_definition", service_definition(service_code))


async def attribute_values(request: Request) -> dict[str, list[str]]:
    """The ``attribute[CODE]=VALUE`` fields of a submission's form, by code (every value sent)."""
    values: dict[str, list[str]] = {}
    for key, value in (await request.form()).multi_items():
        if key.startswith("attribute"):
            code = _ATTRIBUTE.fullmatch(key)
            if code is None or not isinstance(value, str):
                raise ValidationError(Message("{key!r} is not an attribute field; send attribute[CODE]=VALUE",
                                              key=key), field=key)
            values.setdefault(code.group(1), []).append(value)
    return values


@_both("POST", "/requests", 201, list[Open311RequestCreated], "The request is stored.")
def create_request(request: Request, service_code: str = Form(...), lat: str | None = Form(None),
                   long: str | None = Form(None), address_string: str | None = Form(None),
                   description: str = Form(""), email: str | None = Form(None), first_name: str | None = Form(None),
                   last_name: str | None = Form(None), device_id: str | None = Form(None),
                   media_url: str | None = Form(None), api_key: str | None = Form(None),
                   attributes: dict[str, list[str]] = Depends(attribute_values)) -> Response:
    """Submit a service request (a form, UTF-8). ``attribute[CODE]=VALUE`` answers the service's
    questions (see its definition); ``email``, ``first_name``, ``last_name`` and ``device_id`` are
    kept private; ``media_url`` is kept as a link and never fetched. ``api_key`` identifies a
    registered client application: recorded when given, 403 when unknown, not needed for a
    citizen's own submission."""
    state = context(request)
    actor = Actor("open311")
    if api_key:
        client = open311_client(state.store, api_key)
        if client is None:
            raise Forbidden(Message("api_key not recognised"))
        actor = Actor("open311", client)
    if service_code not in FAULT_CATEGORIES:
        raise ValidationError(Message("service_code {service_code!r} not found; see services",
                                      service_code=service_code), field="service_code")
    if lat is None or long is None:
        raise ValidationError(Message("lat and long are required (address_string alone cannot be placed)")
                              if address_string else Message("lat and long are required"), field="lat/long")
    submitted = submit_report(state.store, state.zones, state.settings.reports, category=service_code, lat=lat,
                              lon=long, description=description, email=email, media_url=media_url,
                              attributes=attributes, reporter=Reporter(first_name, last_name, device_id), actor=actor,
                              hold=state.hold)
    created = [{"service_request_id": submitted.report.values["id"], "service_notice": None, "account_id": None}]
    return answer(request.url.path, "service_requests", created, 201)


@_both("GET", "/requests", 200, list[Open311Request], "The service requests, newest first.")
def list_requests(request: Request, service_request_id: str | None = Query(None, max_length=10_000),
                  service_code: str | None = Query(None, max_length=1000),
                  status: str | None = Query(None, pattern="^(open|closed)(,(open|closed))*$"),
                  start_date: str | None = time_query("requested at or after (ISO 8601)"),
                  end_date: str | None = time_query("requested at or before (ISO 8601)"),
                  lat: float | None = Query(None, ge=-90, le=90, description="with long: near this point (WGS84)"),
                  long: float | None = Query(None, ge=-180, le=180, description="with lat: near this point (WGS84)"),
                  radius: float | None = Query(None, gt=0, le=MAX_RADIUS_M,
                                               description=f"metres around lat/long (default {DEFAULT_RADIUS_M:g})"),
                  page: int = Query(1, ge=1, le=1_000_000, description="the page, from 1"),
                  page_size: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="requests per page"),
                  extensions: bool = Query(False, description="add each request's attributes")) -> Response:
    """Service requests, newest first, ``page_size`` (default 100, at most 1,000) a ``page``.
    ``service_request_id`` (comma separated) overrides every other filter. Otherwise filtered by
    service codes (comma separated), ``status`` (open, closed or both), the requested time
    (``start_date``/``end_date``, ISO 8601; neither given: the last 90 days) and the place
    (``lat``/``long`` with ``radius`` metres, default 500, at most 5,000). ``extensions=true`` adds
    each request's ``attributes``."""
    store = context(request).store
    limit, offset = page_size, (page - 1) * page_size
    if service_request_id:
        query = FeatureQuery(ids=tuple(i.strip() for i in service_request_id.split(",")))
        return _requests(request, find_requests(store, query, None, limit, offset), extensions)
    if (lat is None) != (long is None) or (radius is not None and lat is None):
        raise ValidationError(Message("lat and long go together, and radius needs them"), field="lat/long")
    start, end = default_window(instant(start_date, "start_date"), instant(end_date, "end_date"),
                                pd.Timestamp.now(tz="UTC"))
    query = FeatureQuery(categories=tuple(service_code.split(",")) if service_code else None, start=start,
                         end=None if end is None else end + pd.Timedelta(milliseconds=1),  # inclusive, to the ms
                         statuses=None if status is None else tuple(s for name in sorted(set(status.split(",")))
                                                                    for s in OPEN311_STATUSES[name]))
    near = None if lat is None else Near(long, lat, DEFAULT_RADIUS_M if radius is None else radius)
    return _requests(request, find_requests(store, query, near, limit, offset), extensions)


@_both("GET", "/requests/{service_request_id}", 200, list[Open311Request], "The service request (a list of one).")
def get_request(request: Request, service_request_id: str,
                extensions: bool = Query(False, description="add the request's attributes")) -> Response:
    """One service request."""
    found = find_requests(context(request).store, FeatureQuery(ids=(service_request_id,)), None, 1, 0)
    if found.empty:
        raise NoSuchThing(Message("service_request_id {service_request_id!r} not found",
                                  service_request_id=service_request_id))
    return _requests(request, found, extensions)


def _requests(request: Request, frame: gpd.GeoDataFrame, extensions: bool) -> Response:
    """Service requests in the format the path asks for."""
    return answer(request.url.path, "service_requests", request_items(context(request).store, frame, extensions))

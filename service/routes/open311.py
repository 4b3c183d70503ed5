"""Open311 GeoReport v2: services, submitting and reading service requests, in the spec's format.

Citizen reports are service requests; unsafe-place pins are not (they are shown only in
aggregate). Errors are the spec's list of ``{"code", "description"}``.
"""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Form, Query, Request

from geo.errors import ValidationError
from geo.layers import FAULT_CATEGORIES, REPORT_CATEGORY_NAMES, REPORTS
from geo.timestamps import LOCAL_TZ
from geo.workflow import OPEN_STATUSES
from service.auth import open311_client
from service.errors import Forbidden, NoSuchThing
from service.forms import StrictFormRoute
from service.params import instant, time_query
from service.reports import submit_report
from service.responses import Open311Request, Open311RequestCreated, Open311Service
from service.store import Actor, FeatureQuery
from service.context import context

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=StrictFormRoute)
AGENCY = "Halmstads kommun"
OPEN311_STATUSES = {"open": OPEN_STATUSES, "closed": ("closed",)}
"""Open311's two statuses in the workflow's: acknowledged and scheduled reports are open."""
SERVICE_DESCRIPTIONS = {
    "graffiti": "Klotter och tags på fasader, bänkar, skyltar och broar",
    "weeds": "Ogräs mellan plattor och i rabatter",
    "litter": "Skräp, fulla papperskorgar, glas",
    "broken_light": "Gatlampa eller annan belysning som inte lyser",
    "other": "Annat som behöver åtgärdas i stadskärnan",
}
"""What each Open311 service covers; the services are the fault categories
(:data:`geo.layers.FAULT_CATEGORIES`) and their names :data:`geo.layers.REPORT_CATEGORY_NAMES`."""


@router.get("/services.json", responses={200: {"model": list[Open311Service], "description": "The services."}})
def services() -> list[dict]:
    """The services citizens can request (the report categories)."""
    return [{"service_code": code, "service_name": REPORT_CATEGORY_NAMES[code], "description": SERVICE_DESCRIPTIONS[code],
             "metadata": False, "type": "realtime", "keywords": code, "group": "stadskärnan"}
            for code in FAULT_CATEGORIES]


@router.post("/requests.json", status_code=201,
             responses={201: {"model": list[Open311RequestCreated], "description": "The request is stored."}})
def create_request(request: Request, service_code: str = Form(...), lat: str | None = Form(None),
                   long: str | None = Form(None), address_string: str | None = Form(None),
                   description: str = Form(""), email: str | None = Form(None), media_url: str | None = Form(None),
                   api_key: str | None = Form(None)) -> list[dict]:
    """Submit a service request. ``api_key`` identifies a registered client application: recorded
    when given, 403 when unknown, not needed for a citizen's own submission."""
    state = context(request)
    actor = Actor("open311")
    if api_key:
        client = open311_client(state.store, api_key)
        if client is None:
            raise Forbidden("api_key not recognised")
        actor = Actor("open311", client)
    if service_code not in FAULT_CATEGORIES:
        raise ValidationError(f"service_code {service_code!r} not found; see services.json", field="service_code")
    if lat is None or long is None:
        raise ValidationError("lat and long are required (address_string alone cannot be placed)"
                              if address_string else "lat and long are required", field="lat/long")
    submitted = submit_report(state.store, state.zones, state.settings.reports, category=service_code, lat=lat,
                              lon=long, description=description, email=email, media_url=media_url, actor=actor)
    return [{"service_request_id": submitted.report.values["id"], "service_notice": None, "account_id": None}]


def _requests(request: Request, frame: pd.DataFrame) -> list[dict]:
    """Service requests in the spec's fields; ``updated_datetime`` is the latest change in each
    report's history."""
    history = context(request).store.report_history(frame["id"].tolist())
    updated = history.groupby("report_id")["at"].max()

    def stamp(value: pd.Timestamp) -> str | None:
        return None if pd.isna(value) else value.tz_convert(LOCAL_TZ).isoformat(timespec="seconds")

    return [{"service_request_id": row.id, "status": "closed" if row.status == "closed" else "open",
             "status_notes": row.close_reason if isinstance(row.close_reason, str) else None,
             "service_name": REPORT_CATEGORY_NAMES[row.category], "service_code": row.category,
             "description": row.description, "agency_responsible": AGENCY, "service_notice": None,
             "requested_datetime": stamp(row.created_at),
             "updated_datetime": stamp(updated.get(row.id, row.created_at)),
             "expected_datetime": None, "address": None, "address_id": None, "zipcode": None,
             "lat": row.geometry.y, "long": row.geometry.x,
             "media_url": row.photo if isinstance(row.photo, str) and row.photo.startswith("http") else None}
            for row in frame.itertuples()]


@router.get("/requests.json",
            responses={200: {"model": list[Open311Request], "description": "The service requests, newest first."}})
def list_requests(request: Request, service_request_id: str | None = None, service_code: str | None = None,
                  status: str | None = Query(None, pattern="^(open|closed)$"),
                  start_date: str | None = time_query("requested at or after (ISO 8601)"),
                  end_date: str | None = time_query("requested at or before (ISO 8601)")) -> list[dict]:
    """Service requests, newest first (at most 1,000), filtered by ids, service codes (comma
    separated), status and the requested time (``start_date``/``end_date``, ISO 8601)."""
    codes = [c for c in service_code.split(",") if c in FAULT_CATEGORIES] if service_code else list(FAULT_CATEGORIES)
    last = instant(end_date, "end_date")
    query = FeatureQuery(ids=tuple(service_request_id.split(",")) if service_request_id else None,
                         categories=tuple(codes), start=instant(start_date, "start_date"),
                         end=None if last is None else last + pd.Timedelta(milliseconds=1),  # inclusive, to the ms
                         statuses=None if status is None else OPEN311_STATUSES[status], newest_first=True)
    return _requests(request, context(request).store.query_features(REPORTS, query, 1000).frame)


@router.get("/requests/{service_request_id}.json",
            responses={200: {"model": list[Open311Request], "description": "The service request (a list of one)."}})
def get_request(request: Request, service_request_id: str) -> list[dict]:
    """One service request."""
    query = FeatureQuery(ids=(service_request_id,), categories=FAULT_CATEGORIES)
    found = context(request).store.read_features(REPORTS, query=query)
    if found.empty:
        raise NoSuchThing(f"service_request_id {service_request_id!r} not found")
    return _requests(request, found)

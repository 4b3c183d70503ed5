"""Open311 GeoReport v2: services, submitting and reading service requests, in the spec's format.

Citizen reports are service requests; unsafe-place pins are not (they are shown only in
aggregate). Errors are the spec's list of ``{"code", "description"}``.
"""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Form, Query, Request

from geo.errors import ValidationError
from geo.layers import REPORTS
from geo.timestamps import LOCAL_TZ
from service.auth import open311_client
from service.errors import Forbidden, NoSuchThing
from service.forms import StrictFormRoute
from service.params import instant, time_query
from service.reports import submit_report
from service.store import Actor

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=StrictFormRoute)
AGENCY = "Halmstads kommun"
SERVICES = {
    "graffiti": ("Klotter", "Klotter och tags på fasader, bänkar, skyltar och broar"),
    "weeds": ("Ogräs", "Ogräs mellan plattor och i rabatter"),
    "litter": ("Nedskräpning", "Skräp, fulla papperskorgar, glas"),
    "broken_light": ("Trasig belysning", "Gatlampa eller annan belysning som inte lyser"),
    "other": ("Övrigt", "Annat som behöver åtgärdas i stadskärnan"),
}


@router.get("/services.json")
def services() -> list[dict]:
    """The services citizens can request (the report categories)."""
    return [{"service_code": code, "service_name": name, "description": text, "metadata": False,
             "type": "realtime", "keywords": code, "group": "stadskärnan"}
            for code, (name, text) in SERVICES.items()]


@router.post("/requests.json", status_code=201)
def create_request(request: Request, service_code: str = Form(...), lat: str | None = Form(None),
                   long: str | None = Form(None), address_string: str | None = Form(None),
                   description: str = Form(""), email: str | None = Form(None), media_url: str | None = Form(None),
                   api_key: str | None = Form(None)) -> list[dict]:
    """Submit a service request. ``api_key`` identifies a registered client application: recorded
    when given, 403 when unknown, not needed for a citizen's own submission."""
    state = request.app.state
    actor = Actor("open311")
    if api_key:
        client = open311_client(state.store, api_key)
        if client is None:
            raise Forbidden("api_key not recognised")
        actor = Actor("open311", client)
    if service_code not in SERVICES:
        raise ValidationError(f"service_code {service_code!r} not found; see services.json", field="service_code")
    if lat is None or long is None:
        raise ValidationError("lat and long are required (address_string alone cannot be placed)"
                              if address_string else "lat and long are required", field="lat/long")
    submitted = submit_report(state.store, state.zones, state.settings.reports, category=service_code, lat=lat,
                              lon=long, description=description, email=email, media_url=media_url, actor=actor)
    return [{"service_request_id": submitted.report["id"].iloc[0], "service_notice": None, "account_id": None}]


def _requests(request: Request, frame: pd.DataFrame) -> list[dict]:
    """Service requests in the spec's fields; ``updated_datetime`` is the latest change in each
    report's history."""
    history = request.app.state.store.report_history(frame["id"].tolist())
    updated = history.groupby("report_id")["at"].max()

    def stamp(value: pd.Timestamp) -> str | None:
        return None if pd.isna(value) else value.tz_convert(LOCAL_TZ).isoformat(timespec="seconds")

    return [{"service_request_id": row.id, "status": "closed" if row.status == "closed" else "open",
             "status_notes": row.close_reason if isinstance(row.close_reason, str) else None,
             "service_name": SERVICES[row.category][0], "service_code": row.category,
             "description": row.description, "agency_responsible": AGENCY, "service_notice": None,
             "requested_datetime": stamp(row.created_at),
             "updated_datetime": stamp(updated.get(row.id, row.created_at)),
             "expected_datetime": None, "address": None, "address_id": None, "zipcode": None,
             "lat": row.geometry.y, "long": row.geometry.x,
             "media_url": row.photo if isinstance(row.photo, str) and row.photo.startswith("http") else None}
            for row in frame.itertuples()]


def _service_requests(request: Request) -> pd.DataFrame:
    reports = request.app.state.store.read_features(REPORTS)
    return reports[reports["category"].isin(list(SERVICES))]


@router.get("/requests.json")
def list_requests(request: Request, service_request_id: str | None = None, service_code: str | None = None,
                  status: str | None = Query(None, pattern="^(open|closed)$"),
                  start_date: str | None = time_query("requested at or after (ISO 8601)"),
                  end_date: str | None = time_query("requested at or before (ISO 8601)")) -> list[dict]:
    """Service requests, newest first (at most 1,000), filtered by ids, service codes (comma
    separated), status and the requested time (``start_date``/``end_date``, ISO 8601)."""
    frame = _service_requests(request)
    if service_request_id:
        frame = frame[frame["id"].isin(service_request_id.split(","))]
    if service_code:
        frame = frame[frame["category"].isin(service_code.split(","))]
    if status:
        frame = frame[(frame["status"] == "closed") == (status == "closed")]
    first, last = instant(start_date, "start_date"), instant(end_date, "end_date")
    if first is not None:
        frame = frame[frame["created_at"] >= first]
    if last is not None:
        frame = frame[frame["created_at"] <= last]
    return _requests(request, frame.sort_values("created_at", ascending=False).head(1000))


@router.get("/requests/{service_request_id}.json")
def get_request(request: Request, service_request_id: str) -> list[dict]:
    """One service request."""
    frame = _service_requests(request)
    found = frame[frame["id"] == service_request_id]
    if found.empty:
        raise NoSuchThing(f"service_request_id {service_request_id!r} not found")
    return _requests(request, found)

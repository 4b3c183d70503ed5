"""Open311 GeoReport v2: services, submitting and reading service requests, in the spec's format.

Citizen reports are service requests; unsafe-place pins are not (they are shown only in
aggregate). Errors are the spec's list of ``{"code", "description"}``.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse

from geo.errors import ValidationError
from geo.layers import REPORTS
from geo.timestamps import LOCAL_TZ
from service.auth import open311_client
from service.reports import submit_report
from service.routes.reports import rate_limited

router = APIRouter(prefix="/open311/v2", tags=["open311"])
AGENCY = "Halmstads kommun"
SERVICES = {
    "graffiti": ("Klotter", "Klotter och tags på fasader, bänkar, skyltar och broar"),
    "weeds": ("Ogräs", "Ogräs mellan plattor och i rabatter"),
    "litter": ("Nedskräpning", "Skräp, fulla papperskorgar, glas"),
    "broken_light": ("Trasig belysning", "Gatlampa eller annan belysning som inte lyser"),
    "other": ("Övrigt", "Annat som behöver åtgärdas i stadskärnan"),
}


class Open311Error(Exception):
    """An error answered as the spec's list; ``status`` is the HTTP status and the list's code."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description

    def response(self) -> JSONResponse:
        return JSONResponse([{"code": self.status, "description": self.description}], status_code=self.status)


@router.get("/services.json")
def services() -> list[dict]:
    """The services citizens can request (the report categories)."""
    return [{"service_code": code, "service_name": name, "description": text, "metadata": False,
             "type": "realtime", "keywords": code, "group": "stadskärnan"}
            for code, (name, text) in SERVICES.items()]


@router.post("/requests.json", status_code=201, dependencies=[Depends(rate_limited)])
def create_request(request: Request, service_code: str = Form(...), lat: str | None = Form(None),
                   long: str | None = Form(None), address_string: str | None = Form(None),
                   description: str = Form(""), email: str | None = Form(None), media_url: str | None = Form(None),
                   api_key: str | None = Form(None)) -> list[dict]:
    """Submit a service request. ``api_key`` identifies a registered client application: recorded
    when given, 403 when unknown, not needed for a citizen's own submission."""
    state = request.app.state
    source = "open311"
    if api_key:
        client = open311_client(state.store, api_key)
        if client is None:
            raise Open311Error(403, "api_key not recognised")
        source = f"open311:{client}"
    if service_code not in SERVICES:
        raise Open311Error(400, f"service_code {service_code!r} not found; see services.json")
    if lat is None or long is None:
        raise Open311Error(400, "lat and long are required (address_string alone cannot be placed)"
                           if address_string else "lat and long are required")
    try:
        submitted = submit_report(state.store, state.zones, state.settings.reports, category=service_code, lat=lat,
                                  lon=long, description=description, email=email, media_url=media_url, source=source)
    except ValidationError as exc:
        raise Open311Error(400, str(exc)) from None
    return [{"service_request_id": submitted.report["id"].iloc[0], "service_notice": None, "account_id": None}]


def _requests(frame: pd.DataFrame) -> list[dict]:
    def stamp(value: pd.Timestamp) -> str | None:
        return None if pd.isna(value) else value.tz_convert(LOCAL_TZ).isoformat(timespec="seconds")

    return [{"service_request_id": row.id, "status": "closed" if row.status == "closed" else "open",
             "status_notes": row.close_reason if isinstance(row.close_reason, str) else None,
             "service_name": SERVICES[row.category][0], "service_code": row.category,
             "description": row.description, "agency_responsible": AGENCY, "service_notice": None,
             "requested_datetime": stamp(row.created_at),
             "updated_datetime": stamp(row.closed_at if pd.notna(row.closed_at) else row.created_at),
             "expected_datetime": None, "address": None, "address_id": None, "zipcode": None,
             "lat": row.geometry.y, "long": row.geometry.x,
             "media_url": row.photo if isinstance(row.photo, str) and row.photo.startswith("http") else None}
            for row in frame.itertuples()]


def _service_requests(request: Request) -> pd.DataFrame:
    reports = request.app.state.store.read_features(REPORTS)
    return reports[reports["category"].isin(list(SERVICES))]


@router.get("/requests.json")
def list_requests(request: Request, service_request_id: str | None = None, service_code: str | None = None,
                  status: str | None = Query(None, pattern="^(open|closed)$"), start_date: datetime | None = None,
                  end_date: datetime | None = None) -> list[dict]:
    """Service requests, newest first (at most 1,000), filtered by ids, service codes (comma
    separated), status and the requested time (``start_date``/``end_date``, ISO 8601)."""
    frame = _service_requests(request)
    if service_request_id:
        frame = frame[frame["id"].isin(service_request_id.split(","))]
    if service_code:
        frame = frame[frame["category"].isin(service_code.split(","))]
    if status:
        frame = frame[(frame["status"] == "closed") == (status == "closed")]
    for bound, keep in ((start_date, lambda t, b: t >= b), (end_date, lambda t, b: t <= b)):
        if bound is not None:
            instant = pd.Timestamp(bound)
            instant = instant.tz_localize(LOCAL_TZ) if instant.tzinfo is None else instant
            frame = frame[keep(frame["created_at"], instant)]
    return _requests(frame.sort_values("created_at", ascending=False).head(1000))


@router.get("/requests/{service_request_id}.json")
def get_request(request: Request, service_request_id: str) -> list[dict]:
    """One service request."""
    frame = _service_requests(request)
    found = frame[frame["id"] == service_request_id]
    if found.empty:
        raise Open311Error(404, f"service_request_id {service_request_id!r} not found")
    return _requests(found)

"""Citizen reports: POST /api/reports, staff access to photos, and unsafe places in aggregate."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from geo.layers import REPORTS, UNPUBLISHED_CATEGORIES
from geo.publish import unsafe_places_per_zone
from geo.timestamps import format_utc, utc_text
from geo.errors import Message
from geo.workflow import MAX_NOTE
from service.auth import STAFF, Caller, request_caller, request_role, require
from service.errors import NoSuchThing
from service.forms import StrictFormRoute
from service.reports import change_status, merge_report, submit_report
from service.security import link
from service.responses import ReportCreated, ReportMerged, ReportUpdated, UnsafePlaces
from service.store import FeatureQuery
from service.context import context

router = APIRouter(tags=["reports"], route_class=StrictFormRoute)


@router.post("/api/reports", status_code=201,
             responses={201: {"model": ReportCreated, "description": "The report is stored."}})
def create_report(request: Request, category: str = Form(...), lat: str = Form(...), lon: str = Form(...),
                  description: str = Form(""), email: str | None = Form(None), when: str | None = Form(None),
                  why: str | None = Form(None), photo: UploadFile | None = File(None)) -> JSONResponse:
    """Report graffiti, weeds, litter, a broken light, something else, or a place where you feel
    unsafe (``unsafe_place`` with ``when`` and ``why``). The e-mail is kept private; a photo (JPEG or
    PNG, at most 5 MB) is stored without its EXIF data. Open reports of the same category within
    15 m are returned as possible duplicates (never for unsafe places). Form text must be UTF-8.
    ``page`` links to the report's public page (not for unsafe places); with an e-mail, the
    reporter gets a receipt and hears when the report is scheduled and closed."""
    settings = context(request).settings.reports
    data = photo.file.read(int(settings.max_photo_mb * 1024 * 1024) + 1) if photo is not None else None
    state = context(request)
    submitted = submit_report(state.store, state.zones, settings, category=category, lat=lat, lon=lon,
                              description=description, email=email, when=when, why=why, photo=data or None,
                              hold=state.hold)
    report = submitted.report.values
    return JSONResponse({
        "id": report["id"], "category": report["category"], "status": report["status"],
        "created_at": utc_text(report["created_at"]), "zone_id": submitted.zone_id,
        "lon": submitted.report.lon, "lat": submitted.report.lat, "photo": report["photo"],
        "possible_duplicates": submitted.possible_duplicates,
        "page": None if report["category"] in UNPUBLISHED_CATEGORIES else link(request, f"/reports/{quote(report['id'], safe='')}"),
        "text_held": submitted.text_held,
    }, status_code=201)


class StatusChange(BaseModel):
    """A staff member's move of a report along the workflow, with an optional note for its history."""

    status: str = Field(max_length=20)
    close_reason: str | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=MAX_NOTE, description="kept in the report's history (staff only)")


class Merge(BaseModel):
    """The report a duplicate is merged into."""

    into: str = Field(max_length=100, description="the id of the report kept")


@router.patch("/api/reports/{report_id}",
              responses={200: {"model": ReportUpdated, "description": "The report has moved."}})
def update_report(request: Request, report_id: str, change: StatusChange,
                  caller: Caller | None = Depends(request_caller)) -> dict:
    """Municipality staff move a report forward: open → acknowledged → scheduled → closed (with a
    close reason). The check and the write are one transaction: a move the report's current state
    does not allow (another request got there first) answers 409 with the current status. Every
    change is kept in the report's history with who and when, and ``note`` when given (else the
    close reason). A confirmed broken_light report turns the nearest lamp off in the lighting figures."""
    require(caller.role if caller else None, ("municipality",), "changing a report")
    updated = change_status(context(request).store, report_id, change.status, caller.actor, change.close_reason,
                            note=change.note)
    row = updated.iloc[0]
    return {"id": row["id"], "category": row["category"], "status": row["status"],
            "close_reason": row["close_reason"] if isinstance(row["close_reason"], str) else None,
            "closed_at": format_utc(updated["closed_at"]).iloc[0]}


@router.post("/api/reports/{report_id}/merge",
             responses={200: {"model": ReportMerged, "description": "The duplicate is merged into the report kept."}})
def merge(request: Request, report_id: str, body: Merge, caller: Caller | None = Depends(request_caller)) -> dict:
    """Municipality staff merge a duplicate report into another (``into``), in one transaction:
    the duplicate is closed with the reason ``dubblett av <into>``, both histories get a row, the
    duplicate's supporters and its reporter (one more) count for the kept report, and the mail
    subscriptions that heard of the duplicate hear of the kept report from now on (its reporter
    is told when the kept one is scheduled and closed). 409 (with the report and its status) when
    either is closed already, 422 for a merge into itself, across categories or of unsafe places,
    404 for an unknown id."""
    require(caller.role if caller else None, ("municipality",), "merging reports")
    store = context(request).store
    merged = merge_report(store, report_id, body.into, caller.actor).iloc[0]
    return {"id": merged["id"], "status": merged["status"], "close_reason": merged["close_reason"], "into": body.into,
            "supporters": store.supporters([body.into]).get(body.into, 0)}


@router.get("/api/reports/{report_id}/photo", response_class=Response, responses={200: {
    "content": {"image/jpeg": {}, "image/png": {}}, "description": "The photo (JPEG or PNG, metadata removed)."}})
def report_photo(request: Request, report_id: str, role: str | None = Depends(request_role)) -> Response:
    """A report's photo (EXIF removed), for staff."""
    require(role, STAFF, "report photos")
    photo = context(request).store.photo(report_id)
    if photo is None:
        raise NoSuchThing(Message("report {report_id!r} has no photo", report_id=report_id))
    return Response(photo[1], media_type=photo[0])


@router.get("/api/unsafe-places",
            responses={200: {"model": UnsafePlaces, "description": "Unsafe places per zone."}})
def unsafe_places(request: Request, role: str | None = Depends(request_role)) -> dict:
    """Where citizens feel unsafe, aggregated per zone with counts by time of day and reason —
    never individual pins. Anonymous callers get counts below k (``suppressed_below``) as null;
    staff tokens get the exact counts. The total for the whole centre is exact."""
    state = context(request)
    pins = state.store.read_features(REPORTS, query=FeatureQuery(categories=("unsafe_place",)))
    k = None if role in STAFF else state.settings.privacy.min_count
    return unsafe_places_per_zone(pins, state.zones, k)

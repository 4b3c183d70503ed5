"""Events: added and removed by municipality staff (POST /api/events, DELETE /api/events/{id}), the
year's events with their figures for everyone (GET /api/events, the calendar page /events)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from geo.layers import EVENT_KIND_NAMES
from geo.swedish import MONTHS, sv_number, when_text
from geo.timestamps import LOCAL_TZ, YEARS, utc_text
from service.auth import Caller, request_caller, require
from service.context import context
from service.demo import DEMO_META_KEY
from service.events import EDITORS, STAFF_SOURCE, figures_of_year, new_event
from service.html import pages
from service.responses import EventCreated, EventFigures
from service.security import html_page

router = APIRouter(tags=["events"])

TOPICS = ("events", "incidents", "reports", "patrols", "meta")
"""The data the figures are built from."""


class EventIn(BaseModel):
    """A new event. Its place: ``place`` (a zone id: a point inside it) or ``lon``/``lat`` (WGS84);
    ``area`` optionally a GeoJSON Polygon or MultiPolygon (WGS84), where the event is held (its
    point is then a point inside it). Times ISO 8601 (naive = Stockholm time). ``id`` is made when
    not given."""

    name: str = Field(max_length=200)
    starts_at: str = Field(max_length=40)
    ends_at: str = Field(max_length=40)
    kind: str | None = Field(None, max_length=40, description=", ".join(EVENT_KIND_NAMES))
    expected_visitors: int | None = None
    organiser: str | None = Field(None, max_length=200)
    place: str | None = Field(None, max_length=80)
    lon: float | None = None
    lat: float | None = None
    area: dict[str, Any] | None = None
    id: str | None = Field(None, max_length=80)


def the_year(year: int | None) -> int:
    """The year asked for, or this one."""
    return year or pd.Timestamp.now(tz=LOCAL_TZ).year


def year_figures(request: Request, year: int) -> dict:
    """:func:`service.events.figures_of_year` of ``year``, built once per version of its data (and day)."""
    state = context(request)
    key = ("events/figures", year, pd.Timestamp.now(tz=LOCAL_TZ).date())
    return state.pages.get(key, lambda: figures_of_year(state.store, state.zones, year, state.rules,
                                                       min_count=state.settings.privacy.min_count) | {
        "synthetic": state.store.get_meta(DEMO_META_KEY) is not None}, topics=TOPICS)


@router.post("/api/events", status_code=201,
             responses={201: {"model": EventCreated, "description": "The event is stored."}})
def create_event(request: Request, body: EventIn, caller: Caller | None = Depends(request_caller)) -> dict:
    """Add an event (municipality): checked by the layer's rules and in the stadskärna, written in
    one transaction; an id stored already answers 409 with the stored event's id and name."""
    require(caller.role if caller else None, EDITORS, "adding an event")
    state = context(request)
    frame = new_event(state.store, state.zones, body.model_dump(), caller.actor)
    event = frame.iloc[0]
    return {"id": event["id"], "name": event["name"], "starts_at": utc_text(event["starts_at"]),
            "ends_at": utc_text(event["ends_at"]), "kind": event["kind"], "source": STAFF_SOURCE,
            "lon": float(event.geometry.x), "lat": float(event.geometry.y), "has_area": event["area"] is not None}


@router.delete("/api/events/{event_id}", status_code=204)
def delete_event(request: Request, event_id: str, caller: Caller | None = Depends(request_caller)) -> Response:
    """Remove an event and its area (municipality); 404 for an unknown id."""
    require(caller.role if caller else None, EDITORS, "removing an event")
    context(request).store.remove_event(event_id)
    return Response(status_code=204)


@router.get("/api/events",
            responses={200: {"model": EventFigures, "description": "The year's events and their figures."}})
def figures(request: Request, year: int | None = Query(None, ge=YEARS[0], le=YEARS[1])) -> dict:
    """The year's events (default: this year) with, during each event's hours in the zones it
    touches, patrol presence hours (visible presence, unit-hours), incidents placed exactly or by
    street and citizens' fault reports, against the same weekday and hours of the year's other
    weeks without an event there (``comparison_windows``; ``mean``, ``min``, ``max``); and the
    events per Purple Flag band. Fault reports are suppressed below k for everyone (null, with
    ``suppressed_below``). See README "Events"."""
    return year_figures(request, the_year(year))


@router.get("/events", response_class=HTMLResponse, include_in_schema=False)
def calendar(request: Request, year: int | None = Query(None, ge=YEARS[0], le=YEARS[1])) -> HTMLResponse:
    """The events calendar: the year's events by month with kind, place, expected visitors and figures."""
    chosen = the_year(year)
    report = year_figures(request, chosen)
    months: dict[str, list[dict]] = {}
    for event in report["events"]:
        start = pd.Timestamp(event["starts_at"]).tz_convert(LOCAL_TZ)
        months.setdefault(f"{MONTHS[start.month - 1].capitalize()} {start.year}", []).append(
            event | {"when": when_text(event["starts_at"], event["ends_at"]), "compared": compared_texts(event, report["suppressed_below"])})
    html = pages.get_template("events.html").render(year=chosen, report=report, months=months,
                                                    kinds=EVENT_KIND_NAMES)
    return html_page(request, html)


def compared_texts(event: dict, k: int | None) -> dict[str, str]:
    """Each figure's comparison in Swedish: ``snitt 1,2 (0–4)``; a mean suppressed below ``k``
    (fault reports, :func:`geo.events.suppress_reports`) ``färre än 3 sammanlagt``, the least and
    most suppressed left out: ``snitt 0,4``."""
    windows = event["comparison_windows"]
    out = {}
    for name, figure in event["figures"].items():
        if not event["zones"]:
            out[name] = "utanför zonerna"
        elif not windows:
            out[name] = "ingen jämförelse"
        elif figure["mean"] is None:
            out[name] = f"färre än {k} sammanlagt"
        elif figure["min"] is None:
            out[name] = f"snitt {sv_number(figure['mean'], 1)}"
        else:
            out[name] = f"snitt {sv_number(figure['mean'], 1)} ({sv_number(figure['min'], 1)}–{sv_number(figure['max'], 1)})"
    return out

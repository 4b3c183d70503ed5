"""/staff/events: municipality staff add an event in the browser (the same use case as POST
/api/events), see the year's events and remove one."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from geo.errors import ValidationError
from geo.layers import EVENT_KIND_NAMES
from geo.swedish import when_text
from geo.timestamps import LOCAL_TZ, YEARS
from service.auth import Caller, request_caller, require
from service.context import context
from service.events import EDITORS, new_event, year_events
from service.forms import StrictFormRoute
from service.security import inline_scripts
from service.staff_pages import staff_page
from service.store import Conflict, NotFound

router = APIRouter(tags=["staff"], route_class=StrictFormRoute, include_in_schema=False)

PATH = "/staff/events"
ERRORS = {
    "name": "Ge evenemanget ett namn.",
    "starts_at": "Ange när evenemanget börjar, datum och klockslag.",
    "ends_at": "Sluttiden måste ligga efter starttiden.",
    "kind": "Välj en typ av evenemang ur listan.",
    "expected_visitors": "Väntade besökare anges som ett heltal mellan 0 och 1 000 000.",
    "organiser": "Arrangörens namn innehåller tecken som inte går att spara.",
    "place": "Platsen finns inte. Välj en plats ur listan.",
    "lat/lon": "Välj en plats ur listan eller ange longitud och latitud i stadskärnan (WGS84, till exempel 12,857 och 56,674).",
}
"""What the page says when the use case refuses a field (:class:`geo.errors.ValidationError`'s ``field``)."""
REFUSED = "Evenemanget kunde inte sparas. Kontrollera fälten och försök igen."
SCRIPTS = inline_scripts((Path(__file__).parents[1] / "templates" / "staff_events.html").read_text(encoding="utf-8"))
"""The page's own script (the map that sets the place by a click), allowed by its hash."""
FIELDS = ("name", "starts_at", "ends_at", "kind", "expected_visitors", "organiser", "place", "lon", "lat")


def _page(request: Request, caller: Caller, year: int, values: dict, status: int = 200,
          notice: str | None = None, error: str | None = None) -> HTMLResponse:
    """The form (with ``values``) and the year's events with a button to remove each."""
    state = context(request)
    events = year_events(state.store, year)
    names = dict(zip(state.zones["zone_id"], state.zones["name"]))
    rows = [{"id": e["id"], "name": e["name"], "kind": EVENT_KIND_NAMES.get(e["kind"], e["kind"]),
             "when": when_text(e["starts_at"], e["ends_at"]),
             "synthetic": e["source"] == "synthetic"} for e in events.to_dict("records")]
    tiles, attribution = state.settings.maps.tile_url()
    return staff_page(request, caller, "staff_events.html", PATH, status, notice, error, scripts=SCRIPTS, year=year,
                      values=dict.fromkeys(FIELDS, "") | values, kinds=EVENT_KIND_NAMES, places=names, events=rows,
                      tiles=tiles or "", attribution=attribution)


@router.get(PATH, response_class=HTMLResponse)
def events_page(request: Request, year: int | None = Query(None, ge=YEARS[0], le=YEARS[1]),
                added: str | None = Query(None, max_length=80), removed: str | None = Query(None, max_length=200),
                caller: Caller | None = Depends(request_caller)) -> HTMLResponse:
    """The form to add an event and the year's events (default: this year)."""
    require(caller.role if caller else None, EDITORS, "the events page")
    notice = (f"Evenemanget ”{added}” är sparat." if added else
              f"Evenemanget ”{removed}” är borttaget." if removed else None)
    return _page(request, caller, year or pd.Timestamp.now(tz=LOCAL_TZ).year, {"kind": "other"}, notice=notice)


@router.post(PATH)
def add(request: Request, name: str = Form("", max_length=200), starts_at: str = Form("", max_length=40),
        ends_at: str = Form("", max_length=40), kind: str = Form("other", max_length=40),
        expected_visitors: str = Form("", max_length=20), organiser: str = Form("", max_length=200),
        place: str = Form("", max_length=80), lon: str = Form("", max_length=40), lat: str = Form("", max_length=40),
        caller: Caller | None = Depends(request_caller)) -> Response:
    """Add the event (:func:`service.events.new_event`) and go back to the page (303) with a notice;
    a refusal shows the page again with the form as it was sent and the reason in Swedish."""
    require(caller.role if caller else None, EDITORS, "adding an event")
    state = context(request)
    values = {"name": name, "starts_at": starts_at, "ends_at": ends_at, "kind": kind,
              "expected_visitors": expected_visitors, "organiser": organiser, "place": place, "lon": lon, "lat": lat}
    this_year = pd.Timestamp.now(tz=LOCAL_TZ).year
    fields = {k: (v.strip().replace(",", ".") if k in ("lon", "lat") else v) or None for k, v in values.items()}
    if fields["place"] is None and (fields["lon"] is None or fields["lat"] is None):
        return _page(request, caller, this_year, values, 422, error=ERRORS["lat/lon"])
    try:
        frame = new_event(state.store, state.zones, fields, caller.actor)
    except ValidationError as exc:
        return _page(request, caller, this_year, values, 422, error=ERRORS.get(exc.field or "", REFUSED))
    except Conflict:
        return _page(request, caller, this_year, values, 409, error="Ett evenemang med samma id finns redan.")
    event = frame.iloc[0]
    year = event["starts_at"].tz_convert(LOCAL_TZ).year
    return RedirectResponse(f"{PATH}?{urlencode({'year': year, 'added': event['name']})}", status_code=303)


@router.post(PATH + "/{event_id}/remove")
def remove(request: Request, event_id: str, year: int | None = Form(None, ge=YEARS[0], le=YEARS[1]),
           caller: Caller | None = Depends(request_caller)) -> Response:
    """Remove an event (as DELETE /api/events/{id}) and go back to the page; an event removed
    meanwhile is said in Swedish (404)."""
    require(caller.role if caller else None, EDITORS, "removing an event")
    state = context(request)
    this_year = year or pd.Timestamp.now(tz=LOCAL_TZ).year
    stored = year_events(state.store, this_year)
    name = stored.loc[stored["id"] == event_id, "name"]
    try:
        state.store.remove_event(event_id)
    except NotFound:
        return _page(request, caller, this_year, {"kind": "other"}, 404,
                     error="Evenemanget finns inte längre (det kan redan ha tagits bort).")
    removed = name.iloc[0] if len(name) else event_id
    return RedirectResponse(f"{PATH}?{urlencode({'year': this_year, 'removed': removed})}", status_code=303)

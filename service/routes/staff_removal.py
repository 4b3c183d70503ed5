"""/staff/removal: municipality staff record a removal round of graffiti or weeds in the browser
(the same use case as POST /api/removal-rounds) and see the year's rounds against the promise."""

from __future__ import annotations

from datetime import date

import pandas as pd
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter
from pydantic import ValidationError as BadDate

from geo.errors import ValidationError
from geo.layers import REMOVAL_CATEGORIES, REPORT_CATEGORY_NAMES
from geo.timestamps import LOCAL_TZ, YEARS
from service.auth import Caller, request_caller, require
from service.context import context
from service.forms import StrictFormRoute
from service.params import IsoDate
from service.promises import promised
from service.removal import record_round, round_figures
from service.staff_pages import staff_page
from service.store import Conflict

router = APIRouter(tags=["staff"], route_class=StrictFormRoute, include_in_schema=False)

PATH = "/staff/removal"
ROLES = ("municipality",)
"""Who records removal rounds (as POST /api/removal-rounds)."""
ERRORS = {
    "date": "Datumet ligger i framtiden. Registrera rundan när den är gjord.",
    "category": "Välj vad rundan tog bort: klotter eller ogräs.",
    "zones": "En av zonerna finns inte. Ladda om sidan och välj zonerna igen.",
}
"""What the page says when the use case refuses a field (:class:`geo.errors.ValidationError`'s ``field``)."""
REFUSED = "Rundan kunde inte registreras. Kontrollera fälten och försök igen."


def _closed_text(count: int) -> str:
    """How many open reports a round closed, in Swedish."""
    if count == 0:
        return "Den stängde inga öppna anmälningar."
    return "Den stängde 1 öppen anmälan." if count == 1 else f"Den stängde {count} öppna anmälningar."


def _zones_text(zone_ids: list[str], names: dict[str, str]) -> str:
    """A round's zones by name in the zones file's order (a zone no longer there by its id), or "Alla zoner"."""
    if set(zone_ids) == set(names):
        return "Alla zoner"
    return ", ".join([name for zone_id, name in names.items() if zone_id in zone_ids]
                     + [zone_id for zone_id in zone_ids if zone_id not in names])


def _page(request: Request, caller: Caller, year: int, values: dict, status: int = 200,
          notice: str | None = None, error: str | None = None) -> HTMLResponse:
    """The form (with ``values``: date, category, chosen zones) and the year's rounds and figures."""
    state = context(request)
    promise = promised(state.settings.promises.dir, year, "removal_rounds")
    figures = round_figures(state.store, state.zones, year, min_count=None,
                            target_rounds=promise.measure.target_rounds if promise else None)
    names = dict(zip(state.zones["zone_id"], state.zones["name"]))
    rounds = sorted(((r["date"], category, _zones_text(r["zones"], names), r["closed_reports"], r["id"])
                     for category, figure in figures["categories"].items() for r in figure["rounds_held"]),
                    reverse=True)
    return staff_page(request, caller, "staff_removal.html", PATH, status, notice, error, year=year,
                      today=pd.Timestamp.now(tz=LOCAL_TZ).date().isoformat(), values=values, zones=names,
                      categories={c: REPORT_CATEGORY_NAMES[c] for c in REMOVAL_CATEGORIES},
                      figures=figures["categories"], promise=promise, rounds=rounds)


@router.get(PATH, response_class=HTMLResponse)
def removal_page(request: Request, year: int | None = Query(None, ge=YEARS[0], le=YEARS[1]),
                 recorded: str | None = Query(None, max_length=40),
                 caller: Caller | None = Depends(request_caller)) -> HTMLResponse:
    """The form to record a round and the year's rounds (default: this year); ``recorded``: the
    round just recorded, whose reports closed the notice tells."""
    require(caller.role if caller else None, ROLES, "the removal rounds' page")
    rounds = context(request).store.removal_rounds()
    done = rounds[rounds["id"] == recorded]
    notice = None if done.empty else (f"Rundan den {done['day'].iloc[0]} är registrerad. "
                                      f"{_closed_text(int(done['closed'].iloc[0]))}")
    values = {"date": pd.Timestamp.now(tz=LOCAL_TZ).date().isoformat(), "category": "",
              "zones": list(context(request).zones["zone_id"])}
    return _page(request, caller, year or pd.Timestamp.now(tz=LOCAL_TZ).year, values, notice=notice)


@router.post(PATH)
def record(request: Request, day: str = Form("", alias="date", max_length=40),
           category: str = Form("", max_length=40), zones: list[str] = Form([]),
           caller: Caller | None = Depends(request_caller)) -> Response:
    """Record the round (:func:`service.removal.record_round`) and go back to the page (303) with
    its notice; a refusal shows the page again with the form as it was sent and the reason in Swedish
    (409 with the recorded round's id when the round is recorded already)."""
    require(caller.role if caller else None, ROLES, "recording a removal round")
    state = context(request)
    values = {"date": day, "category": category, "zones": zones}
    this_year = pd.Timestamp.now(tz=LOCAL_TZ).year
    try:
        when = TypeAdapter(IsoDate).validate_python(day)
    except BadDate:
        return _page(request, caller, this_year, values, 422, error="Ange datumet som ÅÅÅÅ-MM-DD, till exempel "
                                                                     f"{date(this_year, 5, 15).isoformat()}.")
    if not zones:  # the API takes no zones as every zone; a form with every box unticked means none
        return _page(request, caller, this_year, values, 422, error="Välj minst en zon.")
    year = when.year if YEARS[0] <= when.year <= YEARS[1] else this_year
    try:
        done = record_round(state.store, state.zones, when, category, zones, caller.actor)
    except ValidationError as exc:
        return _page(request, caller, year, values, 422, error=ERRORS.get(exc.field or "", REFUSED))
    except Conflict as exc:
        return _page(request, caller, year, values, 409,
                     error=f"Den rundan är redan registrerad (runda {exc.current['id']}): samma datum, "
                           "kategori och zoner registreras bara en gång.")
    return RedirectResponse(f"{PATH}?year={year}&recorded={done['id']}", status_code=303)

"""GET /api/coverage/patrol and /api/coverage/lighting: the coverage figures as JSON."""

from __future__ import annotations


from fastapi import APIRouter, Query, Request

from geo.timestamps import YEARS
from service.coverage import lighting_coverage, patrol_coverage
from service.params import IsoDate

router = APIRouter(tags=["coverage"])


@router.get("/api/coverage/patrol")
def patrol(request: Request, year: int = Query(..., ge=YEARS[0], le=YEARS[1]),
           as_of: IsoDate | None = Query(None, description="count up to this local date")) -> dict:
    """Police presence against the 900 h promise: the whole centre and per zone (aggregated
    figures only; raw tracks are for the police, at /api/layers/patrols)."""
    state = request.app.state
    return patrol_coverage(state.store, state.zones, year, as_of, streets=state.streets).report


@router.get("/api/coverage/lighting")
def lighting(request: Request, incidents_year: int | None = Query(None, ge=YEARS[0], le=YEARS[1])) -> dict:
    """Modelled illuminance per zone against its EN 13201 class, dark spots and incidents after dark."""
    state = request.app.state
    return lighting_coverage(state.store, state.zones, incidents_year=incidents_year).report

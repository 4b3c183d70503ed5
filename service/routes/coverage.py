"""GET /api/coverage/patrol and /api/coverage/lighting: the coverage figures as JSON."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Query, Request

from geo.timestamps import LOCAL_TZ, YEARS
from service.coverage import lighting_coverage, patrol_coverage
from service.params import IsoDate
from service.promises import promised
from service.responses import LightingCoverageReport, PatrolCoverageReport
from service.context import context

router = APIRouter(tags=["coverage"])


@router.get("/api/coverage/patrol",
            responses={200: {"model": PatrolCoverageReport, "description": "The year's patrol coverage."}})
def patrol(request: Request, year: int = Query(..., ge=YEARS[0], le=YEARS[1]),
           as_of: IsoDate | None = Query(None, description="count up to this local date")) -> dict:
    """Police presence against the year's promised hours (from its promises file; no target and
    no status for a year without one): the whole centre and per zone (aggregated figures only;
    raw tracks are for the police, at /api/layers/patrols)."""
    state = context(request)
    promise = promised(state.settings.promises.dir, year, "patrol_presence")
    measure = promise.measure if promise else None
    key = ("coverage/patrol", year, as_of, pd.Timestamp.now(tz=LOCAL_TZ).date(),  # a new day moves "today"
           measure.model_dump_json() if measure else None)
    return state.pages.get(key, lambda: patrol_coverage(state.store, state.zones, year, as_of, state.rules,
                                                        streets=state.streets, measure=measure,
                                                        hotspot_buffer_m=state.settings.hotspots.buffer_m).report,
                           topics=("patrols", "incidents"))


@router.get("/api/coverage/lighting",
            responses={200: {"model": LightingCoverageReport, "description": "The lighting figures."}})
def lighting(request: Request, incidents_year: int | None = Query(None, ge=YEARS[0], le=YEARS[1])) -> dict:
    """Modelled illuminance per zone against its EN 13201 class, dark spots and incidents after dark."""
    state = context(request)
    return state.pages.get(("coverage/lighting", incidents_year),
                           lambda: lighting_coverage(state.store, state.zones, incidents_year=incidents_year).report,
                           topics=("lights", "reports", "incidents"))

"""GET /api/coverage/patrol and /api/coverage/lighting: the coverage figures as JSON."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Query, Request

from geo.timestamps import LOCAL_TZ, YEARS
from service.coverage import lighting_coverage, patrol_coverage
from service.params import IsoDate
from service.promises import promised, promises_fingerprint
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
    folder = state.settings.promises.dir
    key = ("coverage/patrol", year, as_of, pd.Timestamp.now(tz=LOCAL_TZ).date(),  # a new day moves "today"
           promises_fingerprint(folder))  # an edited promises file is a new report

    def build() -> dict:
        promise = promised(folder, year, "patrol_presence")
        return patrol_coverage(state.store, state.zones, year, as_of, state.rules, streets=state.streets,
                               measure=promise.measure if promise else None,
                               hotspot_buffer_m=state.settings.hotspots.buffer_m).report

    return state.pages.get(key, build, topics=("patrols", "incidents"))


@router.get("/api/coverage/lighting",
            responses={200: {"model": LightingCoverageReport, "description": "The lighting figures."}})
def lighting(request: Request, incidents_year: int | None = Query(None, ge=YEARS[0], le=YEARS[1])) -> dict:
    """Modelled illuminance per zone against its EN 13201 class, dark spots and incidents after dark."""
    state = context(request)
    return state.pages.get(("coverage/lighting", incidents_year),
                           lambda: lighting_coverage(state.store, state.zones, state.streets, incidents_year=incidents_year,
                                                     profile=state.settings.lighting.operating_profile()).report,
                           topics=("lights", "reports", "incidents"))

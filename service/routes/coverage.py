"""GET /api/coverage/patrol and /api/coverage/lighting: the coverage figures as JSON."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Query, Request

from geo.crs import to_metric
from geo.errors import Message, ValidationError
from geo.layers import LIGHTS, validate
from geo.timestamps import LOCAL_TZ, YEARS
from service.coverage import lamp_what_if, lighting_baseline, lighting_coverage, patrol_coverage
from service.params import IsoDate
from service.promises import promised, promises_fingerprint
from service.responses import LampWhatIf, LightingCoverageReport, PatrolCoverageReport
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
                                                     model=state.lighting).report,
                           topics=("lights", "reports", "incidents"))


WHAT_IF_REACH_M = 100.0
"""How far outside the zones a what-if lamp may stand (metres)."""


@router.get("/api/coverage/lighting/what-if",
            responses={200: {"model": LampWhatIf, "description": "The fields with and without the lamp."}})
def lighting_what_if(request: Request, lon: float = Query(..., ge=-180, le=180), lat: float = Query(..., ge=-90, le=90),
                     lumen: float = Query(4000, ge=1, le=200_000, description="the lamp's flux, lm"),
                     height_m: float = Query(6, ge=0.5, le=40, description="mounting height, metres"),
                     azimuth_deg: float | None = Query(None, ge=0, le=360, description="bearing it faces; default: "
                                                                                          "the nearest street"),
                     tilt_deg: float = Query(0, ge=-90, le=90),
                     luminaire: str | None = Query(None, min_length=1, max_length=80,
                                                   description="its luminaire type: with a photometric file "
                                                               "(STADSKARNA_LIGHTING_PHOTOMETRY) lit by it, else "
                                                               "Lambertian")) -> dict:
    """What one more lamp at (``lon``, ``lat``) would do to today's EN 13201-3 fields: the share
    meeting their class before and after, the fields it lifts to their class, and the fields it
    lights (with the buildings' shadows). Today's lighting is computed once per version of the
    lights; each what-if computes only the points within the lamp's reach."""
    state = context(request)
    lamp = validate(LIGHTS, pd.DataFrame([{"id": "what-if", "lumen": lumen, "height_m": height_m, "status": "working",
                                           "azimuth_deg": azimuth_deg, "tilt_deg": tilt_deg, "lon": lon, "lat": lat,
                                           **({"luminaire": luminaire} if luminaire else {})}]), "query")
    reach = to_metric(state.zones).union_all().buffer(WHAT_IF_REACH_M)
    if not reach.contains(to_metric(lamp).geometry.iloc[0]):
        raise ValidationError(Message("the lamp stands more than {what_if_reach_m} m outside the centre's zones",
                                      what_if_reach_m=WHAT_IF_REACH_M),
                              field="lon/lat")
    baseline = state.pages.get(("coverage/lighting/baseline",), lambda: lighting_baseline(state.store, state.zones,
                                                                                           state.streets, state.lighting),
                               topics=("lights", "reports"))
    return lamp_what_if(baseline, lamp)

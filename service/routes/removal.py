"""Removal rounds: recorded by municipality staff, figures for everyone."""

from __future__ import annotations


from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from geo.timestamps import YEARS
from service.auth import STAFF, Caller, request_caller, request_role, require
from service.params import IsoDate
from service.promises import promised
from service.removal import record_round, round_figures
from service.responses import RemovalFigures, RemovalRoundRecorded
from service.context import context

router = APIRouter(tags=["removal rounds"])


class RemovalRound(BaseModel):
    """A round of removing graffiti or weeds on a date, in some zones (default: all)."""

    date: IsoDate
    category: str
    zones: list[str] | None = None


@router.post("/api/removal-rounds", status_code=201,
             responses={201: {"model": RemovalRoundRecorded, "description": "The round is recorded."}})
def create_round(request: Request, body: RemovalRound, caller: Caller | None = Depends(request_caller)) -> dict:
    """Record a removal round; it closes the open reports of its category in its zones, in one
    transaction. A round is identified by its date, category and zones: recording the same round
    again answers 409 with the recorded round's id."""
    require(caller.role if caller else None, ("municipality",), "recording a removal round")
    state = context(request)
    return record_round(state.store, state.zones, body.date, body.category, body.zones, caller.actor)


@router.get("/api/removal-rounds",
            responses={200: {"model": RemovalFigures, "description": "The year's removal figures."}})
def figures(request: Request, year: int = Query(..., ge=YEARS[0], le=YEARS[1]),
            role: str | None = Depends(request_role)) -> dict:
    """Rounds held against the year's promised rounds (from its promises file), reports closed per round, median days to
    removal and the open backlog per zone, for graffiti and weeds. Anonymous callers get a zone's
    backlog below k (``suppressed_below``) as null; staff tokens get the exact backlog."""
    state = context(request)
    k = None if role in STAFF else state.settings.privacy.min_count
    promise = promised(state.settings.promises.dir, year, "removal_rounds")
    return round_figures(state.store, state.zones, year, min_count=k,
                         target_rounds=promise.measure.target_rounds if promise else None)

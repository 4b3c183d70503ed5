"""Removal rounds: recorded by municipality staff, figures for everyone."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from service.auth import request_role, require
from service.removal import record_round, round_figures

router = APIRouter(tags=["removal rounds"])


class RemovalRound(BaseModel):
    """A round of removing graffiti or weeds on a date, in some zones (default: all)."""

    date: date
    category: str
    zones: list[str] | None = None


@router.post("/api/removal-rounds", status_code=201)
def create_round(request: Request, body: RemovalRound, role: str | None = Depends(request_role)) -> dict:
    """Record a removal round; it closes the open reports of its category in its zones."""
    require(role, ("municipality",), "recording a removal round")
    state = request.app.state
    return record_round(state.store, state.zones, body.date, body.category, body.zones)


@router.get("/api/removal-rounds")
def figures(request: Request, year: int = Query(..., ge=2000, le=2100)) -> dict:
    """Rounds held against the promised two a year, reports closed per round, median days to
    removal and the open backlog per zone, for graffiti and weeds."""
    state = request.app.state
    return round_figures(state.store, state.zones, year)

"""GET /api/lagesbild and /lagesbild: the weekly lägesbild of the EST method, as JSON and as a page.

Aggregated figures only (counts and hours per zone), public like /api/coverage/patrol. The page
and the JSON without a staff token are the public lägesbild: citizens' counts below k
(``STADSKARNA_PRIVACY_MIN_COUNT``) are suppressed and count as 0 in the score, so the public
ranking may differ from the staff one (see :mod:`geo.lagesbild`); staff tokens get the exact JSON.
"""

from __future__ import annotations

from datetime import timedelta

import geopandas as gpd
import pandas as pd

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from geo.errors import ValidationError
from geo.lagesbild import MEASURES, parse_iso_week, shift_week
from geo.maps.lagesbild import attention_svg
from geo.swedish import MONTHS
from service.auth import STAFF, request_role
from service.html import pages
from service.i18n import translate
from service.security import html_page
from service.lagesbild import lagesbild
from service.responses import Lagesbild
from service.context import context

router = APIRouter(tags=["lagesbild"])


WEEK_QUERY = Query(None, description="ISO week, YYYY-Www (for example 2020-W12); default the current week",
                   max_length=20)


@router.get("/api/lagesbild", responses={200: {"model": Lagesbild, "description": "The week's lägesbild."}})
def lagesbild_json(request: Request, week: str | None = WEEK_QUERY,
                   role: str | None = Depends(request_role)) -> dict:
    """The week's lägesbild (EST): per zone incidents, new reports, unsafe-place pins and presence
    hours against the four previous weeks, the attention score, and the three priority zones with
    reasons. Anonymous callers get the public lägesbild (``suppressed_below``: citizens' counts
    below k are null and count as 0 in the score); staff tokens get the exact one."""
    state = context(request)
    k = None if role in STAFF else state.settings.privacy.min_count
    return lagesbild(state.store, state.zones, state.rules, week, min_count=k)


@router.get("/lagesbild", response_class=HTMLResponse)
def lagesbild_page(request: Request, week: str | None = WEEK_QUERY) -> HTMLResponse:
    """The lägesbild as a page for the weekly EST meeting: priorities with reasons, a map of the
    zones by attention score, and a table per zone, with links to the weeks before and after.
    Public, so always the suppressed lägesbild, whoever asks."""
    state = context(request)
    try:
        report = lagesbild(state.store, state.zones, state.rules, week, min_count=state.settings.privacy.min_count)
    except ValidationError as exc:
        page = pages.get_template("lagesbild.html").render(
            title="– ogiltig vecka", error="Veckan kan inte visas: " + translate(exc, "sv"), synthetic=False, report=None,
            previous_week=None, next_week=None)
        return html_page(request, page, status_code=422)
    return html_page(request, render_page(report, state.zones))


def render_page(report: dict, zones: gpd.GeoDataFrame) -> str:
    """The lägesbild page (HTML, every text escaped) for a report of :func:`service.lagesbild.lagesbild`
    and its ``zones`` (WGS84)."""
    start, _ = parse_iso_week(report["week"])
    year, number = report["week"].split("-W")
    priority_ids = {p["zone_id"] for p in report["priorities"]}
    score = pd.Series({z["zone_id"]: z["attention_score"] for z in report["zones"]}, dtype=float)
    svg = attention_svg(zones, score, {p["zone_id"]: p["rank"] for p in report["priorities"]})
    return pages.get_template("lagesbild.html").render(
        title=f"vecka {int(number)}, {year}", error=None, report=report, synthetic=report["synthetic"],
        period=_period(start), previous_week=shift_week(report["week"], -1), next_week=report["next_week"],
        measures=MEASURES, priority_ids=priority_ids, svg=svg, change_class=_change_class)


def _period(start: pd.Timestamp) -> str:
    """The week's local days: ``16–22 mars 2020``, ``30 mars–5 april 2020``, ``28 december 2020–3 januari 2021``."""
    first = start.date()
    last = first + timedelta(days=6)
    if first.year != last.year:
        return f"{first.day} {MONTHS[first.month - 1]} {first.year}–{last.day} {MONTHS[last.month - 1]} {last.year}"
    if first.month != last.month:
        return f"{first.day} {MONTHS[first.month - 1]}–{last.day} {MONTHS[last.month - 1]} {last.year}"
    return f"{first.day}–{last.day} {MONTHS[last.month - 1]} {last.year}"


def _change_class(measure: str, change: float | None) -> str:
    """CSS class of a change: ``worse`` (more incidents, reports or pins; less presence), ``better``,
    or none (also for a suppressed change)."""
    if change is None or abs(change) < 0.05:
        return ""
    worse = change < 0 if measure == "presence_h" else change > 0
    return "worse" if worse else "better"

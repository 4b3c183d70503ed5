"""Removal rounds for graffiti and weeds (the promise: removed at least twice a year) and their figures."""

from __future__ import annotations

import uuid
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ValidationError
from geo.layers import REPORTS
from geo.timestamps import LOCAL_TZ, local_day_end
from geo.zones import zone_of
from service.store import SQLiteStore

ROUND_CATEGORIES = ("graffiti", "weeds")
PROMISED_ROUNDS = 2


def record_round(store: SQLiteStore, zones: gpd.GeoDataFrame, day: date, category: str,
                 zone_ids: list[str] | None = None) -> dict:
    """Record a removal round of ``category`` on local date ``day`` in ``zone_ids`` (default all)
    and close the open reports of that category in those zones made up to that day, with the
    round as close reason and the end of the day as closed_at."""
    if category not in ROUND_CATEGORIES:
        raise ValidationError(f"{category!r} is not one of {', '.join(ROUND_CATEGORIES)}", field="category")
    known = zones["zone_id"].tolist()
    zone_ids = list(zone_ids) if zone_ids else known
    unknown = sorted(set(zone_ids) - set(known))
    if unknown:
        raise ValidationError(f"unknown zones {', '.join(unknown)}", field="zones")
    if day > pd.Timestamp.now(tz=LOCAL_TZ).date():
        raise ValidationError(f"{day} is in the future; record a round when it has been done", field="date")
    end = local_day_end(day) - pd.Timedelta(milliseconds=1)
    reports = store.read_features(REPORTS)
    where = zone_of(zones, reports.geometry.x.to_numpy(), reports.geometry.y.to_numpy())
    covered = reports[(reports["category"] == category) & (reports["status"] != "closed")
                      & (reports["created_at"] <= end) & np.isin(where.astype(str), zone_ids)]
    round_id = f"round-{uuid.uuid4().hex[:8]}"
    closed = covered.assign(status="closed", close_reason=f"removal round {round_id}",
                            closed_at=end.tz_convert("UTC"))
    store.add_removal_round(round_id, day.isoformat(), category, zone_ids, closed)
    return {"id": round_id, "date": day.isoformat(), "category": category, "zones": zone_ids,
            "closed_reports": closed["id"].tolist()}


def round_figures(store: SQLiteStore, zones: gpd.GeoDataFrame, year: int) -> dict:
    """Per category for ``year``: rounds held against the promised two, reports closed per round,
    the median days from report to removal, and the open backlog per zone today."""
    rounds = store.removal_rounds()
    rounds = rounds[rounds["day"].str.startswith(f"{year}-")]
    reports = store.read_features(REPORTS)
    where = zone_of(zones, reports.geometry.x.to_numpy(), reports.geometry.y.to_numpy())
    closed_year = reports["closed_at"].dt.tz_convert(LOCAL_TZ).dt.year == year
    result = {}
    for category in ROUND_CATEGORIES:
        mine = rounds[rounds["category"] == category]
        done = reports[(reports["category"] == category) & (reports["status"] == "closed") & closed_year]
        days = (done["closed_at"] - done["created_at"]).dt.total_seconds() / 86400
        open_now = (reports["category"] == category) & (reports["status"] != "closed")
        backlog = pd.Series(where[open_now.to_numpy()]).value_counts()
        result[category] = {
            "rounds": len(mine), "promised_rounds": PROMISED_ROUNDS, "promise_met": len(mine) >= PROMISED_ROUNDS,
            "rounds_held": [{"id": r.id, "date": r.day, "zones": r.zones, "closed_reports": int(r.closed)}
                            for r in mine.itertuples()],
            "reports_closed": int(len(done)),
            "median_days_to_removal": round(float(days.median()), 1) if len(done) else None,
            "open_backlog": {zone_id: int(backlog.get(zone_id, 0)) for zone_id in zones["zone_id"]},
        }
    return {"year": year, "categories": result}

"""Removal rounds for graffiti and weeds (the promise: removed at least twice a year) and their figures."""

from __future__ import annotations

import uuid
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import Message, ValidationError
from geo.layers import REMOVAL_CATEGORIES, REPORTS
from geo.status import rounds_held
from geo.publish import suppress_small
from geo.timestamps import LOCAL_TZ, local_day_end
from geo.workflow import ROUND_REASON
from geo.zones import zone_of
from service.store import Actor, FeatureQuery, Store



def record_round(store: Store, zones: gpd.GeoDataFrame, day: date, category: str,
                 zone_ids: list[str] | None, actor: Actor, now: pd.Timestamp | None = None) -> dict:
    """Record a removal round of ``category`` on local date ``day`` in ``zone_ids`` (default all)
    and close the open reports of that category in those zones made up to that day, with the
    round as close reason and the end of the day as closed_at — selected and closed in the same
    transaction as the round is recorded. The same round (day, category, zones) twice is the
    store's ``Conflict``, never a second round."""
    if category not in REMOVAL_CATEGORIES:
        raise ValidationError(Message("{category!r} is not one of {removal_categories}", category=category,
                                      removal_categories=', '.join(REMOVAL_CATEGORIES)), field="category")
    known = zones["zone_id"].tolist()
    zone_ids = sorted(set(zone_ids)) if zone_ids else known
    unknown = sorted(set(zone_ids) - set(known))
    if unknown:
        raise ValidationError(Message("unknown zones {unknown}", unknown=', '.join(unknown)), field="zones")
    if day > pd.Timestamp.now(tz=LOCAL_TZ).date():
        raise ValidationError(Message("{day} is in the future; record a round when it has been done", day=day),
                              field="date")
    end = local_day_end(day) - pd.Timedelta(milliseconds=1)
    round_id = f"round-{uuid.uuid4().hex[:8]}"

    def close(open_reports: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        where = zone_of(zones, open_reports.geometry.x.to_numpy(), open_reports.geometry.y.to_numpy())
        covered = open_reports[(open_reports["created_at"] <= end) & np.isin(where.astype(str), zone_ids)]
        return covered.assign(status="closed", close_reason=ROUND_REASON.format(round_id=round_id),
                              closed_at=end.tz_convert("UTC"))

    closed = store.record_removal_round(round_id, day.isoformat(), category, zone_ids, close, actor,
                                        now or pd.Timestamp.now(tz="UTC"))
    return {"id": round_id, "date": day.isoformat(), "category": category, "zones": zone_ids,
            "closed_reports": closed["id"].tolist()}


def round_figures(store: Store, zones: gpd.GeoDataFrame, year: int, *, target_rounds: int | None,
                  min_count: int | None) -> dict:
    """Per category for ``year``: rounds held against the promise's ``target_rounds`` (from the
    promises file; None: no promise that year, and ``promise_met`` is None), reports closed per round,
    the median days from report to removal, and the open backlog per zone today. ``min_count``
    (k, for the public; None for staff: exact): a zone's backlog below k is None
    (:func:`geo.publish.suppress_small`), and the answer says ``suppressed_below: k``."""
    rounds = store.removal_rounds()
    rounds = rounds[rounds["day"].str.startswith(f"{year}-")]
    reports = store.read_features(REPORTS, query=FeatureQuery(categories=REMOVAL_CATEGORIES))
    where = zone_of(zones, reports.geometry.x.to_numpy(), reports.geometry.y.to_numpy())
    closed_year = reports["closed_at"].dt.tz_convert(LOCAL_TZ).dt.year == year
    result = {}
    for category in REMOVAL_CATEGORIES:
        mine = rounds[rounds["category"] == category]
        done = reports[(reports["category"] == category) & (reports["status"] == "closed") & closed_year]
        days = (done["closed_at"] - done["created_at"]).dt.total_seconds() / 86400
        open_now = (reports["category"] == category) & (reports["status"] != "closed")
        backlog = pd.Series(where[open_now.to_numpy()]).value_counts()
        result[category] = {
            "rounds": rounds_held(mine["day"]), "promised_rounds": target_rounds,
            "promise_met": None if target_rounds is None else rounds_held(mine["day"]) >= target_rounds,
            "rounds_held": [{"id": r.id, "date": r.day, "zones": r.zones, "closed_reports": int(r.closed)}
                            for r in mine.itertuples()],
            "reports_closed": int(len(done)),
            "median_days_to_removal": round(float(days.median()), 1) if len(done) else None,
            "open_backlog": suppress_small({zone_id: int(backlog.get(zone_id, 0)) for zone_id in zones["zone_id"]},
                                           min_count),
        }
    return {"year": year, "suppressed_below": min_count, "categories": result}

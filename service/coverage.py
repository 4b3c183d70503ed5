"""Coverage reports assembled from the store and geo/ figures, for the CLI and the API."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import geopandas as gpd
import pandas as pd

from geo.errors import ValidationError
from geo.patrol import PresenceRules, centre_totals, monthly_hours, pings_presence_cube, zone_figures
from geo.timestamps import LOCAL_TZ
from service.store import SQLiteStore


def default_as_of(year: int, today: date | None = None) -> date:
    """The last day counted: the year's last day for a past year, today for the current one."""
    today = today or pd.Timestamp.now(tz=LOCAL_TZ).date()
    if year > today.year:
        raise ValidationError(f"{year} has not begun; give a year up to {today.year}", field="year")
    return date(year, 12, 31) if year < today.year else today


def patrol_coverage(store: SQLiteStore, zones: gpd.GeoDataFrame, year: int, as_of: date | None = None,
                    rules: PresenceRules = PresenceRules()) -> dict:
    """Patrol presence for ``year`` up to ``as_of`` (local date): the whole centre against the
    900 h promise, and per zone the figures of :func:`geo.patrol.zone_figures` with hours per month."""
    as_of = as_of or default_as_of(year)
    if as_of.year != year:
        raise ValidationError(f"the date {as_of} is not in {year}", field="as_of")
    start = pd.Timestamp(f"{year}-01-01", tz=LOCAL_TZ)
    pings = store.read_pings(start=start, end=pd.Timestamp(f"{year + 1}-01-01", tz=LOCAL_TZ))
    cube = pings_presence_cube(pings, zones, year, rules)
    figures = zone_figures(cube, as_of)
    monthly = monthly_hours(cube, as_of)
    names = zones.set_index("zone_id")["name"]
    per_zone = [{"zone_id": row["zone_id"], "name": names[row["zone_id"]],
                 **{k: _plain(v) for k, v in row.items() if k != "zone_id"},
                 "monthly_h": {f"{year}-{m:02d}": round(float(h), 2) for m, h in monthly.loc[row["zone_id"]].items()}}
                for row in figures.reset_index().to_dict("records")]
    centre = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in centre_totals(cube, as_of).items()}
    return {"year": year, "as_of": as_of.isoformat(), "rules": asdict(rules), "pings": len(pings),
            "centre": centre, "zones": per_zone}


def _plain(value: object) -> object:
    if hasattr(value, "item"):
        value = value.item()
    return round(value, 2) if isinstance(value, float) else value

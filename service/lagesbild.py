"""The weekly lägesbild (EST) assembled from the store and geo/ figures, for the API, the page and the CLI.

Aggregated figures only: counts and hours per zone, never a track, a pin or a reporter's contact.

The public lägesbild (the page, and the JSON without a staff token) is computed with
``min_count`` = k (``STADSKARNA_PRIVACY_MIN_COUNT``): zone-week counts of new reports and
unsafe-place pins below k are null and count as 0 in the score, and a mean or change that would
give one back is null (see :mod:`geo.lagesbild`). **So the public ranking and priorities may
differ from the staff one** (staff tokens and the command line get the exact lägesbild). The
centre-wide totals are exact in both.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.errors import Message, ValidationError
from geo.lagesbild import (MEASURES, PREVIOUS_WEEKS, REPORT_WEIGHT, SCORE_DEFINITION, comparison_span,
                           daily_presence_h, iso_week, parse_iso_week, shift_week, week_picture)
from geo.layers import INCIDENTS, REPORTS
from geo.patrol import PresenceRules
from geo.timestamps import LOCAL_TZ
from service.demo import DEMO_META_KEY
from service.presence import kept_cube
from service.store import FeatureQuery, Store


def current_week(now: pd.Timestamp | None = None) -> str:
    """The ISO week (local time) holding ``now`` (default: now)."""
    return iso_week(now if now is not None else pd.Timestamp.now(tz=LOCAL_TZ))


def lagesbild(store: Store, zones: gpd.GeoDataFrame, rules: PresenceRules, week: str | None = None,
              now: pd.Timestamp | None = None, min_count: int | None = None) -> dict:
    """The lägesbild of ISO ``week`` (``YYYY-Www``; default the current week) as a JSON-ready dict:
    the week and its local period, per zone the week's incidents, new reports, unsafe-place pins
    and presence hours with the mean of the four weeks before and the change, the attention score
    and rank, the top three zones with reasons, the centre-wide count of town-level incidents, and
    whether the store holds synthetic demo data. A week that has not begun is refused
    (:class:`geo.errors.ValidationError`, field ``week``). ``min_count``: k for the public
    lägesbild (``suppressed_below``; suppressed figures null), None for the exact one (staff)."""
    now = now if now is not None else pd.Timestamp.now(tz=LOCAL_TZ)
    week = week.strip() if week and week.strip() else current_week(now)
    start, end = parse_iso_week(week)
    if start > now:
        raise ValidationError(Message("{week} has not begun yet; the latest week is {latest}", week=iso_week(start),
                                      latest=current_week(now)),
                              field="week")
    span_start, span_end = comparison_span(start)
    years = range(span_start.year, (span_end - pd.Timedelta(seconds=1)).tz_convert(LOCAL_TZ).year + 1)
    cubes = [kept_cube(store, zones, year, rules) for year in years]
    presence = daily_presence_h(cubes)
    span = FeatureQuery(start=span_start, end=span_end)  # the week and the four before it
    picture = week_picture(zones, store.read_features(INCIDENTS, query=span), store.read_features(REPORTS, query=span),
                           presence, week, min_count, daily_presence_h(cubes, logged=True))
    names = zones.set_index("zone_id")["name"]
    rows = []
    for zone_id, row in picture.zones.iterrows():  # one row per zone, for the JSON (a handful)
        record = {"zone_id": zone_id, "name": names[zone_id]}
        for measure in MEASURES:
            for suffix in ("", "_mean_4w", "_change"):
                record[f"{measure}{suffix}"] = _plain(row[f"{measure}{suffix}"])
        record.update(presence_log_h=_plain(row["presence_log_h"]), load=_plain(row["load"]),
                      load_mean_4w=_plain(row["load_mean_4w"]),
                      attention_score=_plain(row["attention_score"]), attention_rank=int(row["attention_rank"]))
        rows.append(record)
    previous = [shift_week(picture.week, -k) for k in range(PREVIOUS_WEEKS, 0, -1)]
    next_week = shift_week(picture.week, 1)
    return {
        "week": picture.week,
        "period": {"start": start.isoformat(), "end": end.isoformat(), "time_zone": LOCAL_TZ,
                   "complete": bool(end <= now)},
        "previous_weeks": previous,
        "next_week": next_week if parse_iso_week(next_week)[0] <= now else None,
        "synthetic": store.get_meta(DEMO_META_KEY) is not None,
        "suppressed_below": picture.suppressed_below,
        "score": {"definition": SCORE_DEFINITION, "report_weight": REPORT_WEIGHT,
                  **({"suppressed": f"public figures: zone-week counts of new_reports and unsafe_place_pins below "
                                    f"{min_count} are null and count as 0 in load and score"}
                     if min_count is not None else {})},
        "zones": rows,
        "priorities": [{"rank": p["rank"], "zone_id": p["zone_id"], "name": names[p["zone_id"]],
                        "attention_score": _plain(p["score"]), "reasons": p["reasons"]} for p in picture.priorities],
        "centre": {"town_level_incidents": _plain(picture.town_level["incidents"]),
                   "town_level_incidents_mean_4w": _plain(picture.town_level["incidents_mean_4w"]),
                   "town_level_incidents_change": _plain(picture.town_level["incidents_change"]),
                   **{measure: _plain(picture.centre[measure]) for measure in MEASURES},
                   "presence_log_h": _plain(picture.centre["presence_log_h"]),
                   "incidents_outside_zones": picture.outside_zones["incidents"],
                   "reports_outside_zones": picture.outside_zones["reports"]},
    }


def _plain(value: float | None, digits: int = 2) -> int | float | None:
    """A figure for JSON: a whole number as int, otherwise rounded; None for a suppressed one."""
    if value is None or pd.isna(value):
        return None
    value = round(float(value), digits)
    return int(value) if value == int(value) else value

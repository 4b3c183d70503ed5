"""The weekly lägesbild of the EST method (effektiv samordning för trygghet): per zone, one ISO
week's incidents, new citizen reports, unsafe-place pins and patrol presence against the four
weeks before, and the zones that most need attention.

Weeks are ISO 8601 weeks in local time: Monday 00:00 Europe/Stockholm up to the next Monday
(168 hours, or 167/169 across a daylight-saving change). Everything is counted by local time.

Counting rules:

- incidents: ``occurred_at`` in the week. Those with ``location_precision`` "town" (police
  events placed at the town, not a street) cannot be put in a zone; they are counted as one
  centre-wide figure and never in a zone. Points outside every zone are not counted.
- new reports: ``created_at`` in the week, every category except ``unsafe_place``, whatever
  their status now.
- unsafe-place pins: reports of category ``unsafe_place`` created in the week.
- presence: visible patrol presence hours (see :mod:`geo.patrol`) on the week's local days.

Each figure comes with its mean over the four previous ISO weeks (a week without data counts
as zero) and the change against that mean.

**Attention score** (transparent on purpose, so a meeting can redo it by hand)::

    load  = incidents + unsafe_place_pins + ½ × new_reports          (this week)
    load₄ = the same sum, mean over the four previous weeks
    score = load + max(0, load − load₄)

so a zone counts its week's load, and a rise above its own usual level counts twice. Zones are
ranked by score (highest first); ties go to the zone with less police presence this week, then
to file order. The top three zones with a score above zero are the week's priorities, each with
plain-language reasons (Swedish, for the page and the meeting).

**The public lägesbild** (``min_count`` = k; the page, and the JSON without a staff token) follows
the privacy rule of :mod:`geo.publish` for the citizens' figures, new reports and unsafe-place
pins, and is computed from the suppressed counts throughout:

- a zone-week count below k (zero included) is not shown (None, "färre än k") and counts as 0 in
  the load and the score, this week and in the four weeks before; each week is suppressed on its
  own against the week's centre-wide total, which stays exact (so where the suppressed zones would
  add up to 1 … k−1, the smallest shown zone of that week is suppressed as well);
- a four-week mean is shown only when none of its four weeks is suppressed: those weeks are
  public on their own pages, so a mean over a suppressed week would give its count back (4 × mean
  minus the weeks shown) — in particular a mean whose four-week total is below k is never shown;
- a change involving a suppressed count or mean is not shown, and the reasons never cite one
  (a shown count is then cited without its change);
- reports lying outside every zone are suppressed like a zone; incidents and presence are exact.

So the public score and ranking may differ from the staff one (exact counts, ``min_count``
None): a zone with one or two pins or reports in the week scores them as 0 for the public.

Pure functions: frames in, frames out; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import Message, ValidationError
from geo.layers import USABLE_PRECISION
from geo.patrol import PresenceCube
from geo.publish import suppress_small
from geo.swedish import sv_number, sv_signed
from geo.timestamps import LOCAL_TZ, YEARS
from geo.zones import zone_positions

PREVIOUS_WEEKS = 4
"""The comparison period: this many ISO weeks before the week."""

TOP_ZONES = 3
"""How many zones are picked out as the week's priorities."""

REPORT_WEIGHT = 0.5
"""Weight of a new report (graffiti, weeds, litter, broken light, other) in the attention score;
incidents and unsafe-place pins weigh 1."""

SCORE_DEFINITION = (
    "score = load + max(0, load − load_4w), where load = incidents + unsafe_place_pins + 0.5 × new_reports "
    "in the week and load_4w is the same sum averaged over the four previous ISO weeks; ranked by score, "
    "ties to the zone with fewer presence hours, then file order; zones with score 0 are never priorities")

MEASURES = ("incidents", "new_reports", "unsafe_place_pins", "presence_h")
"""The figures per zone, each with ``_mean_4w`` and ``_change`` columns."""

CITIZEN_MEASURES = ("new_reports", "unsafe_place_pins")
"""The figures counted from citizens' reports: suppressed below k in the public lägesbild."""

_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


def weeks_in_year(year: int) -> int:
    """52 or 53: the ISO week of 28 December is always the year's last."""
    return date(year, 12, 28).isocalendar().week


def parse_iso_week(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``"2020-W12"`` -> (Monday 00:00, next Monday 00:00), Europe/Stockholm-aware Timestamps.

    Accepts ``YYYY-Www`` (also ``YYYYWww`` and a lowercase ``w``). Raises
    :class:`geo.errors.ValidationError` (field ``week``) for anything else, a week 0, or a week
    beyond the year's last (52, or 53 in years such as 2020 and 2026).
    """
    match = _WEEK.match(str(text)) if text is not None else None
    if not match:
        raise ValidationError(Message("{text!r} is not an ISO week; write it as YYYY-Www, for example 2020-W12",
                                      text=text),
                              field="week")
    year, week = int(match[1]), int(match[2])
    if not YEARS[0] <= year <= YEARS[1]:
        raise ValidationError(Message("{text!r}: the year must be {first} to {last}", text=text, first=str(YEARS[0]),
                                      last=str(YEARS[1])), field="week")
    last = weeks_in_year(year)
    if not 1 <= week <= last:
        raise ValidationError(Message("{text!r}: {year} has weeks 1 to {last}", text=text, year=str(year), last=last),
                              field="week")
    return week_bounds(date.fromisocalendar(year, week, 1))


def week_bounds(monday: date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Local start and end (next Monday 00:00, Europe/Stockholm) of the ISO week starting ``monday``."""
    return pd.Timestamp(monday, tz=LOCAL_TZ), pd.Timestamp(monday + timedelta(days=7), tz=LOCAL_TZ)


def iso_week(day: date | pd.Timestamp) -> str:
    """The ISO week label (``2020-W12``) of a date; a Timestamp is taken in local time."""
    if isinstance(day, pd.Timestamp):
        day = (day.tz_convert(LOCAL_TZ) if day.tzinfo else day).date()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def shift_week(label: str, weeks: int) -> str:
    """The ISO week ``weeks`` after (negative: before) the week ``label``."""
    start, _ = parse_iso_week(label)
    return iso_week(start.date() + timedelta(weeks=weeks))


def comparison_span(start: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Local start of the first of the :data:`PREVIOUS_WEEKS` weeks before the week starting at
    ``start``, and the week's end: everything a lägesbild reads."""
    monday = start.tz_convert(LOCAL_TZ).date()
    return week_bounds(monday - timedelta(weeks=PREVIOUS_WEEKS))[0], week_bounds(monday)[1]


def _edges_ns(start: pd.Timestamp) -> np.ndarray:
    """UTC ns of the local Mondays 00:00 bounding the previous weeks and the week (6 edges)."""
    monday = start.tz_convert(LOCAL_TZ).date()
    days = [monday + timedelta(weeks=k) for k in range(-PREVIOUS_WEEKS, 2)]
    return np.array([pd.Timestamp(d, tz=LOCAL_TZ).value for d in days], dtype=np.int64)


def _week_slot(times: pd.Series, start: pd.Timestamp) -> np.ndarray:
    """Per timestamp: 0..3 for the previous weeks (oldest first), 4 for the week, -1 otherwise."""
    edges = _edges_ns(start)
    t_ns = times.dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").view(np.int64)
    slot = np.searchsorted(edges, t_ns, side="right") - 1
    valid = (slot >= 0) & (slot <= PREVIOUS_WEEKS) & ~times.isna().to_numpy()
    return np.where(valid, slot, -1)


def _count(zone: np.ndarray, slot: np.ndarray, n_zones: int) -> np.ndarray:
    """Counts per zone (rows) and week slot (columns); zone -1 or slot -1 are left out."""
    keep = (zone >= 0) & (slot >= 0)
    slots = PREVIOUS_WEEKS + 1
    flat = np.bincount(zone[keep] * slots + slot[keep], minlength=n_zones * slots)
    return flat.reshape(n_zones, slots).astype(float)


def daily_presence_h(cubes: list[PresenceCube], logged: bool = False) -> pd.DataFrame:
    """Visible presence hours per zone (rows, ``zone_id``) and local day (columns, dates) from one
    or more presence cubes (of consecutive or any years, same zones); time outside every zone is
    left out. ``logged``: only the hours that came from presence logs (:mod:`geo.presence_log`)."""
    if not cubes:
        return pd.DataFrame(index=pd.Index([], name="zone_id"))

    def hours(cube: PresenceCube) -> np.ndarray:
        part = cube.logged if logged else cube
        seconds = part.presence_s if part is not None else np.zeros_like(cube.presence_s)
        return seconds[:-1].sum(axis=2) / 3600

    daily = np.concatenate([hours(cube) for cube in cubes], axis=1)
    days = pd.DatetimeIndex(np.concatenate([cube.day_dates().to_numpy() for cube in cubes]))
    return pd.DataFrame(daily, index=pd.Index(cubes[0].zone_ids, name="zone_id"), columns=days)


@dataclass
class WeekPicture:
    """One week's lägesbild.

    ``zones``: per zone (index ``zone_id``, zones' order) the :data:`MEASURES` with their
    ``_mean_4w`` and ``_change``, ``load``, ``load_mean_4w``, ``attention_score`` and
    ``attention_rank`` (1 = most attention). ``priorities``: up to :data:`TOP_ZONES` zones
    (``zone_id``, ``rank``, ``score``, ``reasons``). ``town_level``: the centre-wide count of
    incidents placed only at town level (``incidents``, ``incidents_mean_4w``, ``incidents_change``).
    ``outside_zones``: located incidents and reports of the week that lie outside every zone.
    ``centre``: the week's exact centre-wide total of each of :data:`MEASURES` over the zones.
    ``suppressed_below``: k of a public lägesbild (suppressed figures are NaN in ``zones`` and
    None in ``outside_zones``), None for an exact one.
    """

    week: str
    start: pd.Timestamp
    end: pd.Timestamp
    zones: pd.DataFrame
    priorities: list[dict]
    town_level: dict
    outside_zones: dict
    centre: dict = field(default_factory=dict)
    suppressed_below: int | None = None


def week_picture(zones: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, reports: gpd.GeoDataFrame,
                 presence_h: pd.DataFrame, week: str, min_count: int | None = None,
                 presence_log_h: pd.DataFrame | None = None) -> WeekPicture:
    """The lägesbild of ISO ``week`` (``YYYY-Www``); ``min_count`` k for the public one (citizens'
    counts below k suppressed, see the module's docstring), None for the exact one.

    ``zones``: WGS84 polygons with ``zone_id`` (file order breaks ties). ``incidents`` and
    ``reports``: the typed layer frames (WGS84 points; see :mod:`geo.layers`), any period.
    ``presence_h``: presence hours per zone (rows, ``zone_id``) and local day (date columns), as
    from :func:`daily_presence_h`; missing zones or days count as zero. ``presence_log_h``: the
    part of it from presence logs (the same form), shown as the week's ``presence_log_h``.
    """
    start, end = parse_iso_week(week)
    ids = zones["zone_id"].to_numpy(dtype=object)
    n = len(ids)
    slots = PREVIOUS_WEEKS + 1

    located = incidents["location_precision"].isin(USABLE_PRECISION).to_numpy()
    town = (incidents["location_precision"] == "town").to_numpy()
    incident_slot = _week_slot(incidents["occurred_at"], start)
    incident_zone = np.where(located, _positions(zones, incidents), -1)
    report_slot = _week_slot(reports["created_at"], start)
    report_zone = _positions(zones, reports)
    unsafe = (reports["category"] == "unsafe_place").to_numpy()

    counts = {"incidents": _count(incident_zone, incident_slot, n),
              "new_reports": _count(np.where(unsafe, -1, report_zone), report_slot, n),
              "unsafe_place_pins": _count(np.where(unsafe, report_zone, -1), report_slot, n),
              "presence_h": _weekly_presence(presence_h, ids, start)}
    centre = {name: float(table[:, -1].sum()) for name, table in counts.items()}
    for name in CITIZEN_MEASURES:  # NaN where suppressed (the mean then NaN too, and the change)
        counts[name] = _suppressed(counts[name], min_count)
    frame = pd.DataFrame(index=pd.Index(ids, name="zone_id"))
    for name, table in counts.items():
        frame[name] = table[:, -1]
        frame[f"{name}_mean_4w"] = table[:, :-1].mean(axis=1)
        frame[f"{name}_change"] = frame[name] - frame[f"{name}_mean_4w"]
    scored = {name: np.nan_to_num(table, nan=0.0) for name, table in counts.items()}  # suppressed: 0
    load = scored["incidents"] + scored["unsafe_place_pins"] + REPORT_WEIGHT * scored["new_reports"]
    logged = _weekly_presence(presence_log_h, ids, start)[:, -1] if presence_log_h is not None else np.zeros(n)
    frame["presence_log_h"] = logged
    centre["presence_log_h"] = float(logged.sum())
    frame["load"] = load[:, -1]
    frame["load_mean_4w"] = load[:, :-1].mean(axis=1)
    frame["attention_score"] = frame["load"] + (frame["load"] - frame["load_mean_4w"]).clip(lower=0)
    order = np.lexsort((np.arange(n), frame["presence_h"].to_numpy(), -frame["attention_score"].to_numpy()))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    frame["attention_rank"] = rank
    top = [position for position in order[:TOP_ZONES] if frame["attention_score"].iat[position] > 0]
    priorities = [{"zone_id": ids[p], "rank": int(rank[p]), "score": float(frame["attention_score"].iat[p]),
                   "reasons": reasons(frame.iloc[p])} for p in top]

    town_counts = np.bincount(incident_slot[town & (incident_slot >= 0)], minlength=slots).astype(float)
    town_level = {"incidents": float(town_counts[-1]), "incidents_mean_4w": float(town_counts[:-1].mean()),
                  "incidents_change": float(town_counts[-1] - town_counts[:-1].mean())}
    this_week = PREVIOUS_WEEKS
    outside = {"incidents": int(((incident_slot == this_week) & located & (incident_zone < 0)).sum()),
               "reports": suppress_small({"reports": int(((report_slot == this_week) & (report_zone < 0)).sum())},
                                         min_count)["reports"]}
    return WeekPicture(iso_week(start), start, end, frame, priorities, town_level, outside, centre, min_count)


def _suppressed(table: np.ndarray, min_count: int | None) -> np.ndarray:
    """Counts per zone (rows) and week slot (columns) as the public sees them: each week on its
    own, against its exact centre-wide total (:func:`geo.publish.suppress_small`), NaN where
    suppressed; unchanged for ``min_count`` None."""
    if min_count is None:
        return table
    public = np.empty_like(table)
    for slot in range(table.shape[1]):
        column = {zone: int(count) for zone, count in enumerate(table[:, slot])}
        shown = suppress_small(column, min_count, total=sum(column.values()))
        public[:, slot] = [np.nan if shown[zone] is None else shown[zone] for zone in range(len(column))]
    return public


def _positions(zones: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> np.ndarray:
    """Zone position of each point (-1 outside every zone or without a position)."""
    if not len(points):
        return np.zeros(0, dtype=np.int64)
    return zone_positions(zones, points.geometry.x.to_numpy(), points.geometry.y.to_numpy())


def _weekly_presence(presence_h: pd.DataFrame, ids: np.ndarray, start: pd.Timestamp) -> np.ndarray:
    """Presence hours per zone and week slot from the daily table (zones x local dates)."""
    monday = start.tz_convert(LOCAL_TZ).date()
    days = pd.date_range(monday - timedelta(weeks=PREVIOUS_WEEKS), periods=7 * (PREVIOUS_WEEKS + 1), freq="D")
    table = presence_h.copy()
    table.columns = pd.DatetimeIndex(table.columns).normalize() if len(table.columns) else table.columns
    daily = table.reindex(index=ids, columns=days, fill_value=0.0).fillna(0.0).to_numpy(dtype=float)
    return daily.reshape(len(ids), PREVIOUS_WEEKS + 1, 7).sum(axis=2)


def reasons(row: pd.Series) -> list[str]:
    """Plain-language reasons (Swedish) why a zone needs attention, from its row of
    :attr:`WeekPicture.zones`: each count of the week with its change against the four-week mean,
    and the police presence when it fell (or was none while something happened). A suppressed
    (NaN) count is never cited, and a suppressed change is left out."""
    said = []
    for measure, one, many in (("incidents", "brott", "brott"),
                               ("unsafe_place_pins", "markering av otrygg plats", "markeringar av otrygga platser"),
                               ("new_reports", "ny felanmälan", "nya felanmälningar")):
        count, change = row[measure], row[f"{measure}_change"]
        if pd.notna(count) and count > 0:
            said.append(f"{sv_number(count)} {one if count == 1 else many}"
                        + (f", {sv_signed(change)} mot fyraveckorssnittet" if pd.notna(change) else ""))
    presence, usual = row["presence_h"], row["presence_h_mean_4w"]
    if round(presence, 1) < round(usual, 1):
        said.append(f"polisnärvaro {sv_number(presence, 1)} h, ned från {sv_number(usual, 1)} h")
    elif round(presence, 1) == 0 and row["load"] > 0:
        said.append("ingen polisnärvaro under veckan")
    return said

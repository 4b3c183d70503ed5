"""Incident hot spots and the dose of patrol presence they get, against the Koper curve.

Hot spots: incidents with a usable position (precision exact or street; town-level police events
are left out) are counted on a 50 m grid in SWEREF 99 TM; the 150 m × 150 m window (3 × 3 cells)
holding the most incidents becomes a hot spot, its incidents are taken away, and the next window
is chosen, until a window holds fewer than ``min_incidents`` or ``max_hotspots`` are found. Hot
spots are therefore squares of about 150 m across, the largest size hot-spot policing research
recommends, and never overlap.

Dosage: a **visit** is a run of visible-presence intervals of one unit whose midpoints lie inside
a hot spot or within ``GPS_BUFFER_M`` (10 m, the accuracy of a phone's GPS) of it (see
:mod:`geo.patrol` for intervals; they are read from the presence trail, :mod:`geo.trail`, whose
5 m squares fit the hot spots' grid exactly), allowing breaks of up to 2 minutes, and lasting at least a minute
(shorter is a pass). The Koper curve recommends visits of 10–15 minutes, at least one every 2 hours
in the busy period: a busy 2-hour window counts as visited when any visit overlaps it (a visit
from 22:00 to 01:00 covers 22–24 and 00–02), not only the window the visit began in.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.signal import convolve2d

from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.layers import USABLE_PRECISION
from geo.patrol import local_offsets_ns
from geo.trail import TRAIL_CELL_M, in_unit_time_order, squares
from geo.zones import zone_of, zone_positions

HOTSPOT_CELL_M = 50.0
HOTSPOT_WINDOW = 3
"""Hot spots are HOTSPOT_WINDOW x HOTSPOT_WINDOW cells of HOTSPOT_CELL_M: 150 m across."""
KOPER_MIN_VISIT_MIN, KOPER_MAX_VISIT_MIN = 10.0, 15.0
KOPER_INTERVAL_H = 2
MIN_VISIT_MIN = 1.0
"""Shorter presence in a hot spot is a pass, not a visit (a drive-by has far less effect than a stop)."""
BUSY_WINDOWS = ((18, 20), (20, 22), (22, 24), (0, 2))
"""The busy period's 2-hour windows (local hours; 00-02 belongs to the previous evening)."""
GPS_BUFFER_M = 10.0
"""A unit this close to a hot spot's edge (m) is taken to be in it: the GPS's accuracy."""


def incident_hotspots(incidents: gpd.GeoDataFrame, min_incidents: int = 10, max_hotspots: int = 5,
                      cell_m: float = HOTSPOT_CELL_M, window: int = HOTSPOT_WINDOW) -> gpd.GeoDataFrame:
    """Hot spots of ``incidents`` (a validated incidents layer, WGS84) as WGS84 squares with
    ``hotspot_id`` (hs-1, hs-2, ... by rank) and ``incidents`` (the number they hold).

    ``.attrs["excluded_town_level"]`` counts incidents left out for having only a town-level position.
    """
    usable = incidents[incidents["location_precision"].isin(USABLE_PRECISION)]
    columns = {"hotspot_id": pd.Series(dtype="str"), "incidents": pd.Series(dtype="int64")}
    result = gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    result.attrs["excluded_town_level"] = int(len(incidents) - len(usable))
    if usable.empty:
        return result
    metric = to_metric(usable)
    x, y = metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy()
    x0 = np.floor(x.min() / cell_m) * cell_m - window * cell_m
    y0 = np.floor(y.min() / cell_m) * cell_m - window * cell_m
    nx = int((x.max() - x0) // cell_m) + window + 1
    ny = int((y.max() - y0) // cell_m) + window + 1
    counts = np.zeros((ny, nx))
    np.add.at(counts, (((y - y0) // cell_m).astype(int), ((x - x0) // cell_m).astype(int)), 1)
    squares, totals = [], []
    sums = convolve2d(counts, np.ones((window, window)), mode="valid")
    free = np.ones(sums.shape, dtype=bool)  # windows that share no cell with a chosen one
    while len(squares) < max_hotspots:
        row, col = np.unravel_index(np.argmax(np.where(free, sums, -1)), sums.shape)
        if not free[row, col] or sums[row, col] < min_incidents:
            break
        totals.append(int(sums[row, col]))
        free[max(row - window + 1, 0):row + window, max(col - window + 1, 0):col + window] = False
        left, bottom = x0 + col * cell_m, y0 + row * cell_m
        squares.append(shapely.box(left, bottom, left + window * cell_m, bottom + window * cell_m))
    found = gpd.GeoDataFrame({"hotspot_id": [f"hs-{i + 1}" for i in range(len(squares))], "incidents": totals},
                             geometry=squares, crs=SWEREF99TM).to_crs(WGS84)
    found.attrs["excluded_town_level"] = result.attrs["excluded_town_level"]
    return found


def hotspot_visits(trail: pd.DataFrame, hotspots: gpd.GeoDataFrame, merge_gap_s: float = 120.0,
                   min_visit_min: float = MIN_VISIT_MIN, buffer_m: float = GPS_BUFFER_M) -> pd.DataFrame:
    """Visits of patrol units to hot spots: ``hotspot_id``, ``unit_id``, ``start`` and ``end``
    (UTC) and ``minutes`` of visible presence, from the presence ``trail`` (:mod:`geo.trail`).

    Runs of presence inside the same hot spot (or within ``buffer_m`` metres of it, a multiple of
    the trail's 5 m squares; where two widened hot spots overlap, the first hot spot's) by the same
    unit less than ``merge_gap_s`` apart (a step outside its edge, a GPS jump) are one visit;
    visits shorter than ``min_visit_min`` are passes, not stops, and are left out.
    """
    columns = {"hotspot_id": pd.Series(dtype="str"), "unit_id": pd.Series(dtype="str"),
               "start": pd.Series(dtype="datetime64[ns, UTC]"), "end": pd.Series(dtype="datetime64[ns, UTC]"),
               "minutes": pd.Series(dtype="float64")}
    if (buffer_m / TRAIL_CELL_M) % 1 or (HOTSPOT_CELL_M / TRAIL_CELL_M) % 1:
        raise ValueError(f"the hot-spot buffer ({buffer_m} m) must be a whole multiple of {TRAIL_CELL_M:g} m")
    if trail.empty or hotspots.empty:
        return pd.DataFrame(columns)
    trail = in_unit_time_order(trail)
    widened = gpd.GeoDataFrame({"zone_id": hotspots["hotspot_id"].to_numpy()},
                               geometry=hotspots.geometry.to_crs(SWEREF99TM).buffer(buffer_m, join_style="mitre"))
    east, north, cell_of = squares(trail)
    spot = zone_positions(widened, east, north)[cell_of]
    unit, unit_names = pd.factorize(trail["unit_id"])
    start, end = trail["start_ns"].to_numpy(), trail["end_ns"].to_numpy()
    inside = spot >= 0
    goes_on = np.r_[False, inside[:-1] & (spot[:-1] == spot[1:]) & (unit[:-1] == unit[1:]) & (end[:-1] == start[1:])]
    first = np.flatnonzero(inside & ~goes_on)
    run = np.cumsum(inside & ~goes_on) - 1
    members = np.flatnonzero(inside)
    totals = np.bincount(run[members], weights=trail["seconds"].to_numpy()[members], minlength=len(first))
    last = np.zeros(len(first), dtype=np.int64)
    np.maximum.at(last, run[members], members)
    runs = pd.DataFrame({"spot": spot[first], "unit": unit[first], "start": start[first], "end": end[last],
                         "seconds": totals})
    new_visit = ((runs["spot"].diff() != 0) | (runs["unit"].diff() != 0)
                 | (runs["start"] - runs["end"].shift() > merge_gap_s * 1e9))
    visits = runs.groupby(new_visit.cumsum()).agg(spot=("spot", "first"), unit=("unit", "first"),
                                                  start=("start", "first"), end=("end", "last"),
                                                  seconds=("seconds", "sum"))
    visits = visits[visits["seconds"] >= min_visit_min * 60]
    return pd.DataFrame({
        "hotspot_id": hotspots["hotspot_id"].to_numpy()[visits["spot"].to_numpy()],
        "unit_id": np.asarray(unit_names, dtype=object)[visits["unit"].to_numpy()].astype(str),
        "start": pd.to_datetime(visits["start"].to_numpy(), utc=True).astype("datetime64[ns, UTC]"),
        "end": pd.to_datetime(visits["end"].to_numpy(), utc=True).astype("datetime64[ns, UTC]"),
        "minutes": visits["seconds"].to_numpy() / 60,
    })


def dosage_figures(visits: pd.DataFrame, hotspots: gpd.GeoDataFrame, year: int,
                   as_of: date | None = None) -> pd.DataFrame:
    """Per hot spot (index ``hotspot_id``), for visits starting (local date) in ``year`` up to ``as_of``:
    visits, presence minutes per day and per week, median visit length, the shares of visits
    shorter than, within and longer than the Koper window (10-15 min), and the share of the busy
    period's 2-hour windows (18-20, 20-22, 22-24, 00-02 local) that a visit overlapped."""
    first = pd.Timestamp(f"{year}-01-01")
    last = pd.Timestamp(as_of) if as_of else pd.Timestamp(f"{year}-12-31")
    days = (last - first).days + 1
    t_ns = visits["start"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    end_ns = visits["end"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    local = pd.to_datetime(t_ns + local_offsets_ns(t_ns, year)) if len(visits) else pd.DatetimeIndex([])
    local_end = (end_ns + local_offsets_ns(end_ns, year)) if len(visits) else np.array([], dtype=np.int64)
    hour = np.asarray(local.hour)
    evening_of = (local - pd.to_timedelta((hour < 6).astype(int), unit="D")).normalize()
    start_day = local.normalize()
    counted = (start_day >= first) & (start_day <= last)  # the same visits as a list of visits up to as_of
    covered = _busy_windows_covered(np.asarray(evening_of.asi8 if len(visits) else [], dtype=np.int64),
                                    np.asarray(local.asi8 if len(visits) else [], dtype=np.int64), local_end)
    rows = []
    for spot in hotspots["hotspot_id"]:
        mine = (visits["hotspot_id"].to_numpy() == spot) & np.asarray(counted)
        minutes = visits["minutes"].to_numpy()[mine]
        windows_hit = len(set().union(*(covered[i] for i in np.flatnonzero(mine))))
        n = int(mine.sum())
        rows.append({
            "hotspot_id": spot, "visits": n, "presence_min": float(minutes.sum()),
            "minutes_per_day": float(minutes.sum() / days), "minutes_per_week": float(minutes.sum() / days * 7),
            "median_visit_min": float(np.median(minutes)) if n else 0.0,
            "share_visits_under_10_min": float((minutes < KOPER_MIN_VISIT_MIN).mean()) if n else 0.0,
            "share_visits_10_15_min": float(((minutes >= KOPER_MIN_VISIT_MIN)
                                             & (minutes <= KOPER_MAX_VISIT_MIN)).mean()) if n else 0.0,
            "share_visits_over_15_min": float((minutes > KOPER_MAX_VISIT_MIN).mean()) if n else 0.0,
            "busy_windows_with_visit_share": windows_hit / (days * len(BUSY_WINDOWS)),
        })
    return pd.DataFrame(rows).set_index("hotspot_id") if rows else pd.DataFrame()


def _busy_windows_covered(evening_ns: NDArray[np.int64], start_ns: NDArray[np.int64],
                          end_ns: NDArray[np.int64]) -> list[set[tuple[int, int]]]:
    """Per visit (its evening's local midnight and its local start and end, ns on the local clock),
    the busy windows it overlaps as (evening, window index) — of its own evening and the next."""
    hour = 3600 * 10**9
    covered: list[set[tuple[int, int]]] = [set() for _ in range(len(start_ns))]
    for evening_offset in (0, 24):
        evening = evening_ns + evening_offset * hour
        for index, (a, b) in enumerate(BUSY_WINDOWS):
            begin = evening + (a + (24 if a < 6 else 0)) * hour
            finish = evening + (b + (24 if a < 6 else 0)) * hour
            for i in np.flatnonzero((start_ns < finish) & (end_ns > begin)):
                covered[i].add((int(evening[i]), index))
    return covered


def placed_hotspots(hotspots: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``hotspots`` (WGS84) with the zone of their centre (``zone_id``, None outside every zone)
    and the centre's ``lon``/``lat`` (WGS84 degrees, 6 decimals; the centroid taken in SWEREF 99 TM)."""
    centre = hotspots.geometry.to_crs(SWEREF99TM).centroid.to_crs(WGS84)
    return hotspots.assign(zone_id=zone_of(zones, centre.x.to_numpy(), centre.y.to_numpy()),
                           lon=centre.x.round(6), lat=centre.y.round(6))

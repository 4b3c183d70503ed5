"""Patrol presence kept, not recomputed: the presence cube of a year is summed from per unit-day
parts the store keeps (:func:`geo.patrol.presence_parts`), computed once from the pings and again
only for the unit-days an import touches, or for all when the zones or the presence rules change.
Coverage, the maps, the promise tracker and the lägesbild read the cube from here; spatial
coverage and hot-spot visits read the kept trail of visible presence (:mod:`geo.trail`)."""

from __future__ import annotations

import hashlib
import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.patrol import (NS, PresenceCube, PresenceParts, PresenceRules, Tracks, cube_from_contributions, gps_covered,
                        presence_parts)
from geo.presence_log import cube_with_log, log_contributions
from geo.io.geojson import read_polygons
from geo.timestamps import SUPPORTED_END, SUPPORTED_START, local_year
from service.settings import PresenceSettings
from service.store import Store
from service.store.base import Progress

CONTRIBUTIONS_VERSION = 3
"""Raise when :func:`geo.patrol.presence_parts` counts differently: everything kept is
computed again."""
_FILLING = threading.Lock()  # one process computes missing unit-days at a time (others wait, then read)
DAY = 86_400


def presence_inputs(zones: gpd.GeoDataFrame, rules: PresenceRules) -> str:
    """A fingerprint of what presence is computed with: the zones (ids and shapes, in order) and the rules."""
    digest = hashlib.sha256(f"v{CONTRIBUTIONS_VERSION} {rules!r} {zones['zone_id'].tolist()}".encode())
    for wkb in shapely.to_wkb(zones.geometry.to_numpy(), hex=False):
        digest.update(wkb)
    return digest.hexdigest()


def presence_rules(settings: PresenceSettings) -> PresenceRules:
    """The rules the service counts presence with: the method's thresholds, each as set or its
    default, and the exclusion areas (:class:`ValidationError` for a bad file)."""
    thresholds = {name: value for name, value in settings.model_dump(exclude={"exclusions"}).items()
                  if value is not None}
    if settings.exclusions is None:
        return PresenceRules(**thresholds)
    areas = read_polygons(settings.exclusions)
    return PresenceRules(**thresholds, exclusions=tuple(shapely.to_wkt(areas.geometry.to_numpy(), rounding_precision=7)))


def kept_cube(store: Store, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules) -> PresenceCube:
    """The presence cube of ``year`` (local time) from the kept per unit-day presence, computing the
    unit-days that are missing first (all of them when the zones or rules changed)."""
    first_day, last_day = _utc_days(year)
    keep_up(store, zones, rules, first_day, last_day)
    cube = cube_from_contributions(store.presence_cells(first_day, last_day), zones["zone_id"].tolist(), year)
    return with_logs(store, zones, year, rules, cube)


def with_logs(store: Store, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules,
              cube: PresenceCube) -> PresenceCube:
    """``cube`` (from GPS) with the year's presence logs added where the same unit's pings do not
    cover them (:mod:`geo.presence_log`; GPS covers up to the rules' longest gap). Only the pings
    of the logged units on the logged UTC days are read."""
    start, end = local_year(year)
    log = store.read_presence_log(start, end)
    if log.empty:
        return cube
    # whole UTC days (a track's sampling is its day's), and the next day's first pings
    after = pd.Timedelta(days=1, seconds=rules.max_gap_cap_s)
    pings = pd.concat([store.read_pings(first, last + after, unit_ids=[unit]) for unit, first, last in _logged_days(log)],
                      ignore_index=True)
    covered = gps_covered(Tracks.from_pings(pings), rules)
    return cube_with_log(cube, *log_contributions(log, covered, zones, year))


def _logged_days(log: pd.DataFrame) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """Per unit, the runs of consecutive UTC days its log rows touch: (unit_id, first day, last day)."""
    days = pd.DataFrame({"unit_id": log["unit_id"], "first": log["start"].dt.floor("D"),
                         "last": (log["end"] - pd.Timedelta(1, "ns")).dt.floor("D")}).sort_values(["unit_id", "first"])
    reach = days.groupby("unit_id")["last"].cummax().groupby(days["unit_id"]).shift()
    new_run = reach.isna() | (days["first"] > reach + pd.Timedelta(days=1))
    runs = days.groupby([days["unit_id"], new_run.cumsum()]).agg(first=("first", "min"), last=("last", "max"))
    return [(unit, first, last) for (unit, _), first, last in zip(runs.index, runs["first"], runs["last"])]


def kept_cube_and_trail(store: Store, zones: gpd.GeoDataFrame, year: int,
                        rules: PresenceRules) -> tuple[PresenceCube, pd.DataFrame]:
    """:func:`kept_cube` and the trail of visible presence (:mod:`geo.trail`) of ``year`` (rows of
    its local days), from the kept presence brought up to date once."""
    cube = kept_cube(store, zones, year, rules)
    trail = store.presence_trail(*_utc_days(year))
    first, last = (day.tz_localize(None).value // (DAY * NS) for day in local_year(year))
    return cube, trail[(trail["local_day"] >= first) & (trail["local_day"] < last)].reset_index(drop=True)


def _utc_days(year: int) -> tuple[int, int]:
    """The UTC days (since 1970) that hold the local ``year``."""
    start, end = local_year(year)
    return start.tz_convert("UTC").value // (DAY * NS) - 1, end.tz_convert("UTC").value // (DAY * NS)


def rebuild(store: Store, zones: gpd.GeoDataFrame, rules: PresenceRules, progress: Progress | None = None) -> int:
    """Drop all kept presence and compute it again from every ping with ``zones`` and ``rules``;
    the number of unit-days kept. ``progress(unit-days done, of all)`` is called as it goes."""
    with _FILLING:
        store.reset_presence(presence_inputs(zones, rules))
    return keep_all(store, zones, rules, progress)


def keep_all(store: Store, zones: gpd.GeoDataFrame, rules: PresenceRules, progress: Progress | None = None) -> int:
    """Compute and keep the presence of every unit-day that has pings but none kept (after an
    import); the number kept. ``progress(unit-days done, of all)`` is called as it goes."""
    first, last = (int(day.value // (DAY * NS)) for day in (SUPPORTED_START, SUPPORTED_END))
    return keep_up(store, zones, rules, first, last, progress)


def keep_up(store: Store, zones: gpd.GeoDataFrame, rules: PresenceRules, first_day: int, last_day: int,
            progress: Progress | None = None) -> int:
    """Compute and keep the presence of the unit-days ``first_day``..``last_day`` (UTC days since
    1970) that have pings but none kept; the number kept. A unit's run of consecutive days is
    read at once (with the next day's first pings, which close a day's last interval)."""
    inputs = presence_inputs(zones, rules)
    with _FILLING:
        if store.presence_inputs() != inputs:
            store.reset_presence(inputs)
        missing = store.presence_missing(first_day, last_day)
        kept, done = 0, 0
        for unit_id, days in missing.groupby("unit_id", sort=False):
            day = days["day_utc"].to_numpy(dtype=np.int64)
            for run in np.split(np.arange(len(day)), np.flatnonzero(np.diff(day) != 1) + 1):
                run_days = days.iloc[run]
                begin = pd.Timestamp(int(run_days["day_utc"].iloc[0]) * DAY * NS, tz="UTC")
                end = pd.Timestamp((int(run_days["day_utc"].iloc[-1]) + 1) * DAY * NS, tz="UTC")
                pings = store.read_pings(begin, end + pd.Timedelta(seconds=rules.max_gap_cap_s), unit_ids=[unit_id])
                parts = presence_parts(Tracks.from_pings(pings), zones, rules)
                for row in run_days.itertuples():
                    mine = PresenceParts(parts.cells[parts.cells["day_utc"] == row.day_utc],
                                         parts.trail[parts.trail["day_utc"] == row.day_utc])
                    kept += store.put_presence(inputs, unit_id, int(row.day_utc), row.signature, mine)
                done += len(run_days)
                if progress:
                    progress(done, len(missing))
    return kept

"""Patrol presence kept, not recomputed: the presence cube of a year is summed from per unit-day
parts the store keeps (:func:`geo.patrol.presence_parts`), computed once from the pings and again
only for the unit-days an import touches, or for all when the zones or the presence rules change.
Coverage, the maps, the promise tracker and the lägesbild read the cube from here; spatial
coverage and hot-spot visits read the kept trail of visible presence (:mod:`geo.trail`)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.patrol import (NS, PresenceCube, PresenceParts, PresenceRules, Tracks, cube_from_contributions, gps_covered,
                        presence_parts)
from geo.presence_log import cube_with_log, log_contributions
from geo.io.geojson import read_polygons
from geo.timestamps import SUPPORTED_END, SUPPORTED_START, local_year, utc_days_of_year
from geo.trail import trail_of_year
from service.settings import PresenceSettings
from service.store import Store
from service.store.base import Progress

CONTRIBUTIONS_VERSION = 4
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


@dataclass
class YearPresence:
    """A local year's patrol presence as coverage reads it: the cube (presence logs added), the
    trail of visible presence on the year's local days and the number of pings in the year."""

    cube: PresenceCube
    trail: pd.DataFrame
    pings: int


PingReader = Callable[[pd.Timestamp, pd.Timestamp, list[str]], pd.DataFrame]
"""``read(start, end, unit_ids)``: pings as the store's ``read_pings`` gives them."""


def kept_cube(store: Store, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules) -> PresenceCube:
    """The presence cube of ``year`` (local time) from the kept per unit-day presence, computing the
    unit-days that are missing first (all of them when the zones or rules changed)."""
    first_day, last_day = utc_days_of_year(year)
    keep_up(store, zones, rules, first_day, last_day)
    cube = cube_from_contributions(store.presence_cells(first_day, last_day), zones["zone_id"].tolist(), year)
    return with_logs(store, zones, year, rules, cube)


def kept_presence(store: Store, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules) -> YearPresence:
    """:func:`kept_cube` with the year's trail, from the kept presence brought up to date once
    (``rules`` are the service's)."""
    cube = kept_cube(store, zones, year, rules)
    start, end = local_year(year)
    return YearPresence(cube, trail_of_year(store.presence_trail(*utc_days_of_year(year)), year),
                        store.count_pings(start, end))


def computed_presence(store: Store, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules) -> YearPresence:
    """The presence of ``year`` computed here from the stored pings with other ``rules`` than the
    service's (a what-if): whole UTC days, as the kept presence has them."""
    first_day, last_day = utc_days_of_year(year)
    tracks = store.read_tracks(utc_day(first_day), utc_day(last_day + 1) + pd.Timedelta(seconds=rules.max_gap_cap_s))
    return presence_of_parts(store, zones, year, rules, presence_parts(tracks, zones, rules),
                             store.count_pings(*local_year(year)))


def presence_of_parts(store: Store, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules, parts: PresenceParts,
                      pings: int, read_pings: PingReader | None = None) -> YearPresence:
    """The :class:`YearPresence` of ``year`` from the parts of its UTC days (:func:`geo.patrol.presence_parts`;
    ``pings`` in the year), the presence logs of ``store`` added where the pings ``read_pings``
    gives (default the store's) do not cover them."""
    cube = cube_from_contributions(parts.cells, zones["zone_id"].tolist(), year)
    return YearPresence(with_logs(store, zones, year, rules, cube, read_pings), trail_of_year(parts.trail, year), pings)


def with_logs(store: Store, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules,
              cube: PresenceCube, read_pings: PingReader | None = None) -> PresenceCube:
    """``cube`` (from GPS) with the year's presence logs added where the same unit's pings do not
    cover them (:mod:`geo.presence_log`; GPS covers up to the rules' longest gap). Only the pings
    of the logged units on the logged UTC days and the day before are read (``read_pings``; default
    the store's)."""
    start, end = local_year(year)
    log = store.read_presence_log(start, end)
    if log.empty:
        return cube
    read = read_pings or (lambda first, last, units: store.read_pings(first, last, unit_ids=units))
    # whole UTC days (a track's sampling is its day's): the day before too, whose last gap may reach
    # into the first logged day, and the next day's first pings
    before, after = pd.Timedelta(days=1), pd.Timedelta(days=1, seconds=rules.max_gap_cap_s)
    pings = pd.concat([read(first - before, last + after, [unit]) for unit, first, last in _logged_days(log)],
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


def utc_day(day: int) -> pd.Timestamp:
    """The start of UTC day ``day`` (days since 1970)."""
    return pd.Timestamp(day * DAY * NS, tz="UTC")


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
                begin = utc_day(int(run_days["day_utc"].iloc[0]))
                end = utc_day(int(run_days["day_utc"].iloc[-1]) + 1)
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

"""Patrol pings as one line per unit and local day: how a GIS shows a patrol's track (a point per
ping is a million features a month)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import WGS84, to_metric
from geo.layers import PATROL_MODES
from geo.patrol import Tracks
from geo.timestamps import LOCAL_TZ

UNIT_DAY_COLUMNS = ["id", "unit_id", "day", "start", "end", "pings", "modes", "crew", "length_m"]
"""The properties of a unit-day line (:func:`unit_day_lines`)."""
_DAY_NS = 86_400 * 10**9


def unit_day_lines(tracks: Tracks) -> gpd.GeoDataFrame:
    """One LineString (WGS84) per unit and local (Europe/Stockholm) day through its pings in time
    order: ``id`` (``<unit>/<day>``), ``unit_id``, ``day`` (ISO date), ``start``/``end`` (UTC,
    the first and last ping), ``pings``, ``modes`` (comma-separated, in PATROL_MODES order),
    ``crew`` (the most officers of any ping) and ``length_m`` (along the line, in EPSG:3006). A day
    of one ping is a line of two equal positions. Ordered by unit (as in ``tracks``) and day."""
    if not len(tracks):  # the columns' types as with lines (a GIS layer or a page of none keeps its schema)
        types = {"id": str, "unit_id": str, "day": str, "start": "datetime64[ns, UTC]", "end": "datetime64[ns, UTC]",
                 "pings": np.int64, "modes": str, "crew": tracks.crew.dtype, "length_m": np.float64}
        return gpd.GeoDataFrame({c: pd.Series(dtype=types[c]) for c in UNIT_DAY_COLUMNS}, geometry=[], crs=WGS84)
    times = pd.DatetimeIndex(tracks.t_ns.view("datetime64[ns]"), tz="UTC")
    day = times.tz_convert(LOCAL_TZ).tz_localize(None).as_unit("ns").asi8 // _DAY_NS  # local days since 1970
    new = np.ones(len(tracks), dtype=bool)
    new[1:] = (tracks.unit[1:] != tracks.unit[:-1]) | (day[1:] != day[:-1])
    group = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(tracks)) - 1
    single = first == last  # a line needs two positions: the one ping twice
    index = np.concatenate([group, group[first[single]]])
    order = np.argsort(index, kind="stable")
    coords = np.column_stack([np.concatenate([tracks.lon, tracks.lon[first[single]]]),
                              np.concatenate([tracks.lat, tracks.lat[first[single]]])])[order]
    lines = shapely.linestrings(coords, indices=index[order])
    seen = np.zeros((len(first), len(PATROL_MODES)), dtype=bool)
    seen[group, tracks.mode] = True
    modes = [",".join(m for m, s in zip(PATROL_MODES, row) if s) for row in seen]
    units = tracks.unit_ids(tracks.unit[first])
    days = pd.to_datetime(day[first], unit="D").strftime("%Y-%m-%d")
    frame = gpd.GeoDataFrame({
        "id": [f"{u}/{d}" for u, d in zip(units, days)], "unit_id": units, "day": np.asarray(days, dtype=object),
        "start": times[first], "end": times[last], "pings": (last - first + 1).astype(np.int64), "modes": modes,
        "crew": np.maximum.reduceat(tracks.crew, first), "length_m": 0.0}, geometry=lines, crs=WGS84)
    return frame.assign(length_m=to_metric(frame).geometry.length.round(1).to_numpy())


def unit_days(spans: pd.DataFrame) -> pd.DataFrame:
    """The (``unit_id``, ``day``) pairs — local days, ISO — that have pings, from spans of pings
    (``unit_id``, first and last ping ``t_min``/``t_max`` in UTC ns, each span within one UTC day,
    as the store keeps them): a span's first and last ping are pings, and a UTC day touches at most
    two local days. Sorted by unit and day; the ids of :func:`unit_day_lines`."""
    def local_day(ns: pd.Series) -> pd.Series:
        return pd.to_datetime(ns.to_numpy(), utc=True).tz_convert(LOCAL_TZ).strftime("%Y-%m-%d")

    days = pd.concat([pd.DataFrame({"unit_id": spans["unit_id"].to_numpy(), "day": local_day(spans[column])})
                      for column in ("t_min", "t_max")], ignore_index=True)
    days = days.drop_duplicates().sort_values(["unit_id", "day"], kind="stable").reset_index(drop=True)
    return days.assign(id=days["unit_id"] + "/" + days["day"])

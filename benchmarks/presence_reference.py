"""The presence method as it was written with NumPy and pandas before its inner loops were compiled
(:mod:`geo.presence_kernel`): kept as the benchmark's baseline ("the current implementation" when
the compiled kernel came, and, with shapely's prepared ``contains_xy`` per zone for the midpoints,
the usual vectorised way) and as the tests' reference — the compiled method must agree with it to
one second per zone (it agrees exactly unless a ping lies on a window's edge to the nanosecond).

Its input conversion is the old one too (pings as int64 codes and float crews), so its memory is
what that version needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.crs import MetricProjector
from geo.layers import PATROL_MODES, VEHICLE_MODES
from geo.patrol import (DAY_NS, HOUR_NS, NS, PresenceCube, PresenceRules, Tracks, _empty_cube, _exact_squared_m,
                        _excluded_area, local_offsets_ns, projector_for)
from geo.zones import ZoneGrid, zone_positions


def reference_tracks(unit, t_ns, lon, lat, crew, mode=None) -> Tracks:
    """Tracks as the NumPy version made them: int64 unit codes (pandas factorize), float crews."""
    codes, names = pd.factorize(np.asarray(unit))
    codes = codes.astype(np.int64)
    t_ns = np.asarray(t_ns, dtype=np.int64)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    crew = np.asarray(crew, dtype=float)
    modes = np.zeros(len(t_ns), dtype=np.uint8) if mode is None else \
        pd.Categorical(np.asarray(mode), categories=list(PATROL_MODES)).codes.astype(np.uint8)
    step = np.diff(codes)
    if not ((step > 0) | ((step == 0) & (np.diff(t_ns) >= 0))).all():
        order = np.lexsort((t_ns, codes))
        codes, t_ns, lon, lat, crew, modes = (codes[order], t_ns[order], lon[order], lat[order], crew[order],
                                              modes[order])
    return Tracks(codes, t_ns, lon, lat, crew, np.asarray(names, dtype=object), modes)


def contains_xy_per_zone(zones: gpd.GeoDataFrame, x: NDArray, y: NDArray) -> NDArray[np.int64]:
    """The zone of each point by shapely's prepared ``contains_xy``, one pass per zone (no grid)."""
    result = np.full(len(x), -1, dtype=np.int64)
    geoms = zones.geometry.to_numpy()
    shapely.prepare(geoms)
    for position, geom in enumerate(geoms):
        result[(result == -1) & shapely.contains_xy(geom, x, y)] = position
    return result


_RUN_SPACING_S = 4 * 86_400.0
"""Seconds between runs on the window search's single time axis: more than a run lasts (a run
lies within one UTC day, plus its last gap) and half a window."""


def _intervals(tracks: Tracks, projector: MetricProjector, rules: PresenceRules,
               chunk: int) -> Iterator[tuple[slice, NDArray, NDArray, NDArray, NDArray, NDArray]]:
    """Per chunk of whole tracks (about ``chunk`` pings): the slice of the intervals' first pings,
    the nanoseconds each interval counts (whole numbers as float64; 0 when it does not count:
    another unit, no time, a gap over the track's longest gap), whether it is faster than its
    mode's limit, whether its mode is a vehicle, and its lon/lat differences."""
    (jee, jen), (jne, jnn) = projector.jacobian()
    limits, vehicles = rules.limits_ms(), np.isin(PATROL_MODES, VEHICLE_MODES)
    unit, t_ns = tracks.unit, tracks.t_ns
    n = len(t_ns)
    new_track = np.ones(n, dtype=bool)
    for start in range(0, n - 1, chunk):  # a track starts where the unit or the UTC day changes (chunked: memory)
        a, b = slice(start, min(start + chunk, n - 1)), slice(start + 1, min(start + chunk, n - 1) + 1)
        new_track[b] = (unit[b] != unit[a]) | (t_ns[b] // DAY_NS != t_ns[a] // DAY_NS)
    track_starts = np.flatnonzero(new_track)
    begin = 0
    while begin < n - 1:
        following = np.searchsorted(track_starts, begin + chunk)
        end = int(track_starts[following]) if following < len(track_starts) else n
        stop = min(end, n - 1)
        yield _chunk_intervals(tracks, rules, new_track, begin, end, stop, limits, vehicles,
                               (jee, jen, jne, jnn), projector)
        begin = end


def _longest_gaps_ns(dt: NDArray[np.int64], track: NDArray[np.int64], inner: NDArray[np.bool_],
                     rules: PresenceRules) -> NDArray[np.float64]:
    """Per interval (``dt`` ns, in track number ``track``) the longest gap that counts (ns):
    ``gap_factor`` × its track's median sampling interval (of the ``inner`` intervals), at least
    ``max_gap_s``, at most ``max_gap_cap_s`` (a pandas group-by; compiled: :func:`geo.presence_kernel.longest_gap`)."""
    sampling = pd.Series(dt[inner]).groupby(track[inner]).median()
    typical = np.full(int(track.max()) + 1 if len(track) else 0, np.nan)
    typical[sampling.index.to_numpy()] = sampling.to_numpy()
    return np.minimum(np.maximum(np.nan_to_num(rules.gap_factor * typical[track]), rules.max_gap_s * NS),
                      rules.max_gap_cap_s * NS)


def _chunk_intervals(tracks: Tracks, rules: PresenceRules, new_track: NDArray[np.bool_], begin: int, end: int,
                     stop: int, limits: NDArray, vehicles: NDArray, jacobian: tuple, projector: MetricProjector
                     ) -> tuple[slice, NDArray, NDArray, NDArray, NDArray, NDArray]:
    """:func:`_intervals` of the pings ``begin``..``end`` (whole tracks): intervals ``begin``..``stop``."""
    jee, jen, jne, jnn = jacobian
    unit, t_ns, lon, lat, mode = tracks.unit, tracks.t_ns, tracks.lon, tracks.lat, tracks.mode
    a, b = slice(begin, stop), slice(begin + 1, stop + 1)
    dt = t_ns[b] - t_ns[a]
    track = np.cumsum(new_track[begin:end]) - 1  # tracks numbered within the chunk
    longest = _longest_gaps_ns(dt, track[:stop - begin], ~new_track[b] & (dt > 0), rules)
    counts = (unit[a] == unit[b]) & (dt > 0) & (dt <= longest)
    if rules.exclusions:
        counts &= ~shapely.contains_xy(_excluded_area(rules.exclusions), 0.5 * (lon[a] + lon[b]), 0.5 * (lat[a] + lat[b]))
    counted_ns = (dt * counts).astype(np.float64)
    # runs of counted intervals within a track, laid on one time axis far apart, for the windows
    new_run = new_track[begin:end].copy()
    new_run[1:] |= ~counts[:end - begin - 1]
    run = np.cumsum(new_run) - 1
    run_start = t_ns[begin + np.flatnonzero(new_run)][run]
    axis = run * _RUN_SPACING_S + (t_ns[begin:end] - run_start) / NS
    first = np.arange(stop - begin)
    middle = axis[first] + dt / (2 * NS)
    low = np.minimum(np.searchsorted(axis, middle - rules.window_s / 2, side="left"), first) + begin
    high = np.maximum(np.searchsorted(axis, middle + rules.window_s / 2, side="right") - 1, first + 1) + begin
    dlon_w, dlat_w = lon[high] - lon[low], lat[high] - lat[low]
    east, north = jee * dlon_w + jen * dlat_w, jne * dlon_w + jnn * dlat_w
    squared_m = east * east + north * north
    far = np.flatnonzero(~(projector.inside(lon[low], lat[low]) & projector.inside(lon[high], lat[high])))
    if len(far):
        squared_m[far] = _exact_squared_m(lon[low][far], lat[low][far], lon[high][far], lat[high][far])
    reach = limits[mode[a]] * (t_ns[high] - t_ns[low]) / NS
    return a, counted_ns, squared_m > reach * reach, vehicles[mode[a]], lon[b] - lon[a], lat[b] - lat[a]


def reference_cube(tracks: Tracks, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules = PresenceRules(),
                   chunk: int = 262_144, lookup: str = "grid") -> PresenceCube:
    """Accumulate the patrol time of ``tracks`` into a :class:`PresenceCube` for ``year``.

    ``zones`` are WGS84 polygons with ``zone_id``. Intervals are processed ``chunk`` at a time
    (small chunks stay in the CPU cache: measured about twice as fast as 2 million at a time).
    """
    cube = _empty_cube(year, zones["zone_id"].tolist())
    if len(tracks) < 2:
        return cube
    locate = {"grid": lambda: ZoneGrid(zones).positions if len(tracks) > 500_000 else partial(zone_positions, zones),
              "contains_xy": lambda: partial(contains_xy_per_zone, zones)}[lookup]()
    year_start = pd.Timestamp(f"{year}-01-01").value
    outside_row = len(zones)
    size = cube.presence_s.size
    sums = [np.zeros(size), np.zeros(size), np.zeros(size), np.zeros(size)]
    for a, counted_ns, fast, vehicle, dlon, dlat in _intervals(tracks, projector_for(zones), rules, chunk):
        zone = locate(tracks.lon[a] + 0.5 * dlon, tracks.lat[a] + 0.5 * dlat)
        zone[zone < 0] = outside_row
        t0 = tracks.t_ns[a]
        local = t0 + local_offsets_ns(t0, year)
        day = (local - year_start) // DAY_NS
        counted_ns *= (day >= 0) & (day < cube.days)
        np.clip(day, 0, cube.days - 1, out=day)
        key = (zone * cube.days + day) * 24 + (local // HOUR_NS) % 24
        visible = counted_ns * ~fast * ~vehicle
        sums[0] += np.bincount(key, weights=visible, minlength=size)
        sums[1] += np.bincount(key, weights=visible * tracks.crew[a], minlength=size)
        sums[2] += np.bincount(key, weights=counted_ns * fast, minlength=size)
        sums[3] += np.bincount(key, weights=counted_ns * ~fast * vehicle, minlength=size)
    shape = cube.presence_s.shape
    cube.presence_s, cube.officer_s, cube.drive_s, cube.vehicle_s = (s.reshape(shape) / NS for s in sums)
    return cube

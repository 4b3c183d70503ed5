"""Patrol presence per zone from GPS pings: the figures behind the 900-hour promise.

Method. A **track** is one unit's pings of one UTC day, in time order. The interval between two
consecutive pings counts when it is at most the track's longest gap: ``gap_factor`` (3) × the
track's sampling interval (the median time between its pings), at least ``max_gap_s`` (120 s)
and at most ``max_gap_cap_s`` (600 s) — so a unit logging every 180 s is counted, and a gap of
more than 10 minutes is a gap whatever the sampling. An interval's length is attributed, whole, to
the zone holding its **midpoint** and to the local hour of its **start** (with 1 Hz pings an
interval is a few metres long: splitting at zone boundaries would change a zone's total by at
most one interval per crossing, at the cost of a geometric intersection per interval).

Speed is the **displacement over a window** of ``window_s`` (60 s) centred on the interval's
midpoint, within the run of counted intervals it belongs to (never across a gap or into another
track), and never shorter than the interval itself: the GPS jitter of a standing officer (3 m)
then reads as well under 1 km/h, where the speed between two consecutive 1 Hz pings would read
about 15 km/h. By the unit's ``mode``: foot, bike and horse patrols are **visible presence** up
to ``foot_kmh``, ``bike_kmh`` and ``horse_kmh`` (10, 25 and 20 km/h); a car up to
``vehicle_kmh`` (7 km/h, stationary or walking pace) is **vehicle presence**, reported apart;
anything faster is **drive-through**. Officer-hours are unit-hours × the crew of the interval's
first ping.

Distances are SWEREF 99 TM metres: inside a few km of the centre the projection's Jacobian turns
lon/lat differences into metres (relative error ≤ :attr:`geo.crs.MetricProjector.jacobian_relative_error`,
about 0.1 %, i.e. ±0.01 km/h at a speed threshold); displacements with an end outside that area
are projected exactly with pyproj. Local time is Europe/Stockholm (daylight-saving days have 23
or 25 hours and come out right).

Everything is accumulated into a :class:`PresenceCube` (seconds per zone, local day and local
hour) in chunks of whole tracks, so a fleet-year of 50 million pings needs little memory; the
figures are derived from the cube. Time is summed as whole nanoseconds (in float64, exact while a
cell's total stays below 2**53 ns: 2,500 officer-hours in one zone and hour) and made seconds once
at the end, so the cube is the same to the last bit however the pings are split — in chunks, kept
per unit and day (:func:`presence_parts`) or spread over a cluster's workers.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache, partial

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from geo.arrays import sum_by
from geo.crs import SWEREF99TM, WGS84, MetricProjector
from geo.errors import Message, ValidationError
from geo.layers import PATROL_MODES, USABLE_PRECISION, VEHICLE_MODES
from geo.presence_kernel import (add_intervals, covered_steps, cube_chunk, integer_ids, interval_flags,
                                 sorted_by_unit_and_time, track_end)
from geo.promises import PresenceCounting, ZoneTargets
from geo.status import YearClock, total_status
from geo.timestamps import LOCAL_TZ
from geo.trail import TRAIL_COLUMNS, empty_trail, trail_rows
from geo.zones import ZoneGrid, zone_areas_m2, zone_positions

NS = 10**9
HOUR_NS = 3600 * NS
DAY_NS = 24 * HOUR_NS

GRID_FROM_PINGS = 500_000
"""From this many pings on, zones are looked up on a :class:`geo.zones.ZoneGrid` (same results,
faster once its build time is paid)."""

NIGHT_BANDS = {"17-20": (17, 18, 19), "20-23": (20, 21, 22), "23-02": (23, 0, 1), "02-05": (2, 3, 4)}
"""Purple Flag Sweden's evening and night bands (local hours)."""


@dataclass(frozen=True)
class PresenceRules:
    """The thresholds of the method (see the module): the longest gap that counts (s) —
    ``gap_factor`` × the track's sampling interval, at least ``max_gap_s``, at most
    ``max_gap_cap_s`` —, the speed window (s), the highest speed (km/h) of visible presence per
    mode and of vehicle presence, and the areas never counted."""

    max_gap_s: float = 120.0
    gap_factor: float = 3.0
    max_gap_cap_s: float = 600.0
    window_s: float = 60.0
    foot_kmh: float = 10.0
    bike_kmh: float = 25.0
    horse_kmh: float = 20.0
    vehicle_kmh: float = 7.0
    exclusions: tuple[str, ...] = ()
    """Areas never counted (the police station's yard, a garage): WGS84 polygons as WKT. Time
    whose interval midpoint lies in one counts as nothing, not even drive-through."""

    def summary(self) -> dict:
        """The rules for a report: every threshold, and how many exclusion areas."""
        return {**{k: v for k, v in asdict(self).items() if k != "exclusions"}, "exclusion_areas": len(self.exclusions)}

    def limits_ms(self) -> NDArray[np.float64]:
        """The speed limit (m/s) of each mode, in the order of :data:`geo.layers.PATROL_MODES`."""
        by_mode = {"foot": self.foot_kmh, "bike": self.bike_kmh, "horse": self.horse_kmh, "car": self.vehicle_kmh}
        return np.array([by_mode[mode] for mode in PATROL_MODES]) / 3.6

    def gap_rule_ns(self) -> tuple[float, float, float]:
        """``gap_factor`` and the least and most a longest gap may be (ns), as the kernels take them."""
        return float(self.gap_factor), float(self.max_gap_s * NS), float(self.max_gap_cap_s * NS)


@dataclass
class PresenceCube:
    """Seconds of patrol time per zone, local day of ``year`` and local hour (Europe/Stockholm).

    Arrays have shape (zones + 1, days, 24); the last zone row is time outside every zone.
    ``presence_s`` is visible presence (foot, bike and horse; unit-seconds), ``officer_s`` the
    same × crew, ``vehicle_s`` vehicle presence (cars at walking pace or standing), ``drive_s``
    drive-through time. ``logged`` is the part of them from presence logs (:mod:`geo.presence_log`)
    as a cube of its own, ``log_overlap_s`` the logged time GPS covered too (counted from GPS, so
    not in ``logged``); None: no log.
    """

    year: int
    zone_ids: list[str]
    presence_s: NDArray[np.float64]
    officer_s: NDArray[np.float64]
    drive_s: NDArray[np.float64]
    vehicle_s: NDArray[np.float64]
    logged: PresenceCube | None = None
    log_overlap_s: NDArray[np.float64] | None = None

    @property
    def days(self) -> int:
        return self.presence_s.shape[1]

    def day_dates(self) -> pd.DatetimeIndex:
        """The local calendar date of each day index."""
        return pd.date_range(f"{self.year}-01-01", periods=self.days, freq="D")


def _empty_cube(year: int, zone_ids: list[str]) -> PresenceCube:
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    shape = (len(zone_ids) + 1, days, 24)
    return PresenceCube(year, list(zone_ids), np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape))


def local_offset_table(year: int, tz: str = LOCAL_TZ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The UTC offsets (ns) of ``tz`` from December of the year before ``year`` to January after
    it: the instants (UTC, ns since 1970) they start at and their values."""
    hours = pd.date_range(f"{year - 1}-12-01", f"{year + 1}-02-01", freq="h", tz="UTC", unit="ns")
    offsets = (hours.tz_convert(tz).tz_localize(None) - hours.tz_localize(None)).to_numpy().view(np.int64)
    change = np.flatnonzero(np.diff(offsets)) + 1
    return np.r_[hours[0].value, hours[change].asi8], np.r_[offsets[0], offsets[change]]


def local_offsets_ns(t_ns: NDArray[np.int64], year: int, tz: str = LOCAL_TZ) -> NDArray[np.int64]:
    """UTC offset in ns of ``tz`` at each UTC instant (ns since 1970), for instants in or near ``year``."""
    starts, values = local_offset_table(year, tz)
    return values[np.clip(np.searchsorted(starts, t_ns, side="right") - 1, 0, len(values) - 1)]


@dataclass
class Tracks:
    """Patrol pings as arrays sorted by unit and time: ``unit`` codes (int32 or int64), ``t_ns``
    (UTC, ns since 1970), ``lon``/``lat`` (WGS84 degrees), ``crew`` (officers; uint8 or float),
    ``mode`` (the index of the mode in :data:`geo.layers.PATROL_MODES`); ``unit_names[code]`` is
    the unit's id as given."""

    unit: NDArray[np.integer]
    t_ns: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    crew: NDArray[np.number]
    unit_names: NDArray[np.object_]
    mode: NDArray[np.uint8]

    @classmethod
    def of(cls, unit: ArrayLike, t_ns: ArrayLike, lon: ArrayLike, lat: ArrayLike, crew: ArrayLike,
           mode: ArrayLike | None = None) -> Tracks:
        """From whole arrays, one entry per ping (``unit`` any ids, ``mode`` names of
        :data:`geo.layers.PATROL_MODES`, default foot); sorted here if needed. Arrays already of
        the kept types are used as they are (no copy): ``t_ns`` int64, ``lon``/``lat`` float64,
        integer unit ids 0..k-1 with every one present, and ``crew`` uint8."""
        codes, names = _unit_codes(np.asarray(unit))
        t_ns = np.asarray(t_ns, dtype=np.int64)
        lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        crew = np.asarray(crew)
        crew = crew if crew.dtype == np.uint8 else \
            crew.astype(np.uint8) if np.issubdtype(crew.dtype, np.integer) or (crew == np.round(crew)).all() else crew
        modes = np.zeros(len(t_ns), dtype=np.uint8) if mode is None else \
            pd.Categorical(np.asarray(mode), categories=list(PATROL_MODES)).codes.astype(np.uint8)
        if not _in_order(codes, t_ns):
            order = np.lexsort((t_ns, codes))
            codes, t_ns, lon, lat, crew, modes = (codes[order], t_ns[order], lon[order], lat[order], crew[order],
                                                  modes[order])
        return cls(codes, t_ns, lon, lat, crew, np.asarray(names, dtype=object), modes)

    @classmethod
    def from_pings(cls, pings: pd.DataFrame) -> Tracks:
        """From a validated pings frame (unit_id, timestamp, lon, lat, crew, mode)."""
        return cls.of(pings["unit_id"].to_numpy(dtype=object),
                      pings["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64),
                      pings["lon"].to_numpy(), pings["lat"].to_numpy(), pings["crew"].to_numpy(),
                      pings["mode"].to_numpy(dtype=object))

    def unit_ids(self, codes: NDArray[np.integer]) -> pd.api.extensions.ExtensionArray:
        """The ids of the units with ``codes``, as a column of one type however many rows it has
        (text ids: pandas' ``str``, also when there are no units; other ids: the type pandas gives
        all of them): frames of parts with and without rows concatenate without changing it."""
        names = pd.Series(self.unit_names, dtype=None if len(self.unit_names) else str)
        return names.array.take(np.asarray(codes, dtype=np.intp))

    def __len__(self) -> int:
        return len(self.t_ns)


def _in_order(unit: NDArray[np.integer], t_ns: NDArray[np.int64]) -> bool:
    """Whether pings are grouped by ascending unit code and in time order (checked in a slice per core)."""
    edges = np.linspace(0, len(t_ns), (os.cpu_count() or 1) + 1).astype(np.int64)
    with ThreadPoolExecutor(len(edges) - 1) as pool:  # (slices overlap by one ping: their borders are checked)
        return all(pool.map(lambda a, b: sorted_by_unit_and_time(unit, t_ns, max(a - 1, 0), b), edges[:-1], edges[1:]))


def _unit_codes(unit: NDArray) -> tuple[NDArray[np.integer], NDArray]:
    """Codes (int32) and names of unit ids: integer ids that are 0..k-1 with each present are
    their own codes (no copy when int32); other integers in a small range are renumbered through a
    table; anything else is factorised (codes in order of first appearance)."""
    if np.issubdtype(unit.dtype, np.integer) and len(unit):
        low, high, seen = integer_ids(unit)
        if low >= 0 and len(seen):
            present = np.flatnonzero(seen) + low
            if low == 0 and len(present) == high + 1:
                return (unit if unit.dtype == np.int32 else unit.astype(np.int32)), present
            table = np.zeros(high + 1, dtype=np.int32)
            table[present] = np.arange(len(present), dtype=np.int32)
            return table[unit], present
    codes, names = pd.factorize(unit)
    return codes.astype(np.int32), np.asarray(names)


def projector_for(zones: gpd.GeoDataFrame) -> MetricProjector:
    """Fast WGS84 -> SWEREF 99 TM projection for the zones' bounding box plus about 2 km (made
    once per box: fitting it takes about 10 ms, and the kept presence asks for it per unit)."""
    minx, miny, maxx, maxy = (float(v) for v in zones.total_bounds)
    return _projector((minx - 0.03, miny - 0.02, maxx + 0.03, maxy + 0.02))


@lru_cache(maxsize=8)
def _projector(bounds: tuple[float, float, float, float]) -> MetricProjector:
    return MetricProjector(bounds)


def _chunks(tracks: Tracks, chunk: int) -> list[tuple[int, int, int]]:
    """Chunks of whole tracks of about ``chunk`` pings: (first ping, end of its pings, end of its
    intervals) — the intervals of a chunk are those starting at its pings but the very last ping."""
    n = len(tracks)
    bounds, begin = [], 0
    while begin < n - 1:
        end = n if begin + chunk >= n else track_end(tracks.unit, tracks.t_ns, begin + chunk)
        bounds.append((begin, end, min(end, n - 1)))
        begin = end
    return bounds


@dataclass
class _Method:
    """The rules and the fast projection as the kernels take them."""

    rules: PresenceRules
    projector: MetricProjector

    def __post_init__(self) -> None:
        (jee, jen), (jne, jnn) = self.projector.jacobian()
        self.jacobian = np.array([jee, jen, jne, jnn])
        self.box = np.array(self.projector.bounds, dtype=np.float64)
        self.limits = self.rules.limits_ms()
        self.vehicles = np.isin(PATROL_MODES, VEHICLE_MODES)
        self.scalars = (*self.rules.gap_rule_ns(), int(round(self.rules.window_s * NS)))

    def excluded(self, tracks: Tracks, begin: int, stop: int) -> NDArray[np.bool_]:
        """Per interval of the chunk, whether its midpoint is in an exclusion area (empty: no areas)."""
        if not self.rules.exclusions:
            return np.zeros(0, dtype=np.bool_)
        a, b = slice(begin, stop), slice(begin + 1, stop + 1)
        return shapely.contains_xy(_excluded_area(self.rules.exclusions), 0.5 * (tracks.lon[a] + tracks.lon[b]),
                                   0.5 * (tracks.lat[a] + tracks.lat[b]))

    def exact_fast(self, tracks: Tracks, first: NDArray[np.int64], low: NDArray[np.int64],
                   high: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Whether intervals (first pings ``first``) with a window end outside the fast
        projection's area are over their mode's limit: their displacement from pyproj."""
        lon, lat, t_ns = tracks.lon, tracks.lat, tracks.t_ns
        squared_m = _exact_squared_m(lon[low], lat[low], lon[high], lat[high])
        reach = self.limits[tracks.mode[first]] * (t_ns[high] - t_ns[low]) / NS
        return squared_m > reach * reach


class _Buffers:
    """A thread's working arrays for chunks of up to ``size`` pings."""

    def __init__(self, size: int) -> None:
        self.scratch = np.empty(size, dtype=np.int64)
        self.counted_ns = np.empty(size, dtype=np.float64)
        self.fast = np.empty(size, dtype=np.bool_)
        self.far, self.far_low, self.far_high, self.deferred = (np.empty(size, dtype=np.int64) for _ in range(4))


def _flags(tracks: Tracks, method: _Method, begin: int, end: int, stop: int, buffers: _Buffers) -> int:
    """Run :func:`geo.presence_kernel.interval_flags` on a chunk and settle its far intervals;
    the number of them (their positions in ``buffers.far``)."""
    n_far = interval_flags(tracks.unit, tracks.t_ns, tracks.lon, tracks.lat, tracks.mode, begin, end, stop,
                           method.excluded(tracks, begin, stop), *method.scalars, method.limits, method.jacobian,
                           method.box, buffers.scratch, buffers.counted_ns, buffers.fast, buffers.far,
                           buffers.far_low, buffers.far_high)
    if n_far:
        far = buffers.far[:n_far]
        buffers.fast[far] = method.exact_fast(tracks, begin + far, buffers.far_low[:n_far], buffers.far_high[:n_far])
    return n_far


def _intervals(tracks: Tracks, projector: MetricProjector, rules: PresenceRules,
               chunk: int) -> Iterator[tuple[slice, NDArray, NDArray, NDArray, NDArray, NDArray]]:
    """Per chunk of whole tracks (about ``chunk`` pings): the slice of the intervals' first pings,
    the nanoseconds each interval counts (whole numbers as float64; 0 when it does not count:
    another unit, no time, a gap over the track's longest gap), whether it is faster than its
    mode's limit, whether its mode is a vehicle, and its lon/lat differences."""
    method = _Method(rules, projector)
    buffers = _Buffers(0)
    for begin, end, stop in _chunks(tracks, chunk):
        if len(buffers.scratch) < end - begin:
            buffers = _Buffers(end - begin)
        _flags(tracks, method, begin, end, stop, buffers)
        a, b = slice(begin, stop), slice(begin + 1, stop + 1)
        m = stop - begin
        yield (a, buffers.counted_ns[:m].copy(), buffers.fast[:m].copy(), method.vehicles[tracks.mode[a]],
               tracks.lon[b] - tracks.lon[a], tracks.lat[b] - tracks.lat[a])


def gps_covered(tracks: Tracks, rules: PresenceRules) -> pd.DataFrame:
    """The time each unit's pings cover: from a ping to the unit's next one when presence counts
    that gap (at most the track's longest gap, :func:`geo.presence_kernel.longest_gap`; whatever
    the speed, and exclusion areas included: the pings say where the unit was), merged per unit:
    ``unit_id``, ``start_ns``, ``end_ns`` (UTC). Pass whole UTC days of a unit: a track's sampling
    is its day's."""
    unit, t_ns = tracks.unit, tracks.t_ns
    step = np.zeros(max(len(tracks) - 1, 0), dtype=np.bool_)
    if len(step):
        covered_steps(unit, t_ns, *rules.gap_rule_ns(), np.empty(len(tracks), dtype=np.int64), step)
    start, end, owner = t_ns[:-1][step], t_ns[1:][step], unit[:-1][step]
    new = np.r_[True, (owner[1:] != owner[:-1]) | (start[1:] != end[:-1])][:len(start)]
    last = np.r_[np.flatnonzero(new)[1:] - 1, len(start) - 1][:int(new.sum())]
    return pd.DataFrame({"unit_id": tracks.unit_ids(owner[new]), "start_ns": start[new], "end_ns": end[last]})


def presence_cube(tracks: Tracks, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules = PresenceRules(),
                  chunk: int = 262_144, threads: int | None = None) -> PresenceCube:
    """Accumulate the patrol time of ``tracks`` into a :class:`PresenceCube` for ``year``.

    ``zones`` are WGS84 polygons with ``zone_id``. Chunks of whole tracks of about ``chunk`` pings
    (their working arrays stay in the CPU cache) go through the compiled kernel
    (:func:`geo.presence_kernel.cube_chunk`) on ``threads`` threads (default: one per core), each
    into sums of its own; the sums are of whole nanoseconds, so the cube is the same whatever the
    threads. Intervals the kernel leaves (an end outside the fast projection, a midpoint on a
    zone boundary's grid cell) are settled exactly with pyproj and shapely.
    """
    cube = _empty_cube(year, zones["zone_id"].tolist())
    if len(tracks) < 2:
        return cube
    method = _Method(rules, projector_for(zones))
    grid = _grid_arrays(_zone_grid(zones) if len(tracks) > GRID_FROM_PINGS else None)
    offsets = local_offset_table(year)
    year_start, outside_row, size = pd.Timestamp(f"{year}-01-01").value, len(zones), cube.presence_s.size
    chunks = _chunks(tracks, chunk)
    workers = max(1, min(threads or os.cpu_count() or 1, len(chunks)))
    t, lon, lat = tracks.t_ns, tracks.lon, tracks.lat

    def accumulate(mine: list[tuple[int, int, int]]) -> NDArray[np.float64]:
        sums = np.zeros((4, size))
        buffers = _Buffers(max(end - begin for begin, end, _ in mine))
        for begin, end, stop in mine:
            n_deferred, n_far = cube_chunk(
                tracks.unit, t, lon, lat, tracks.mode, tracks.crew, begin, end, stop,
                method.excluded(tracks, begin, stop), *method.scalars, method.limits, method.vehicles, method.jacobian,
                method.box, *grid, outside_row, *offsets, year_start, cube.days, sums, buffers.scratch,
                buffers.counted_ns, buffers.fast, buffers.far, buffers.far_low, buffers.far_high, buffers.deferred)
            if n_far:
                far = buffers.far[:n_far]
                buffers.fast[far] = method.exact_fast(tracks, begin + far, buffers.far_low[:n_far],
                                                      buffers.far_high[:n_far])
            if n_deferred:
                k = buffers.deferred[:n_deferred]
                i = begin + k
                zone = zone_positions(zones, lon[i] + 0.5 * (lon[i + 1] - lon[i]), lat[i] + 0.5 * (lat[i + 1] - lat[i]))
                zone[zone < 0] = outside_row
                add_intervals(sums, i, zone, t, buffers.counted_ns[k], buffers.fast[k], method.vehicles, tracks.mode,
                              tracks.crew, *offsets, year_start, cube.days)
        return sums

    parts = [chunks[i::workers] for i in range(workers)]  # (interleaved: the work is spread evenly)
    with ThreadPoolExecutor(workers) as pool:
        sums = sum(pool.map(accumulate, parts))
    shape = cube.presence_s.shape
    cube.presence_s, cube.officer_s, cube.drive_s, cube.vehicle_s = (row.reshape(shape) / NS for row in sums)
    return cube


def _zone_grid(zones: gpd.GeoDataFrame) -> ZoneGrid:
    """The :class:`geo.zones.ZoneGrid` of ``zones``, made once per set of zones (shapes in order)."""
    digest = hashlib.sha256(b"".join(shapely.to_wkb(zones.geometry.to_numpy()))).hexdigest()
    grid = _GRIDS.get(digest)
    if grid is None:
        grid = _GRIDS[digest] = ZoneGrid(zones)
        while len(_GRIDS) > 4:
            _GRIDS.pop(next(iter(_GRIDS)))
    return grid


_GRIDS: dict[str, ZoneGrid] = {}


def _grid_arrays(grid: ZoneGrid | None) -> tuple[NDArray[np.float64], NDArray[np.float64], int, int, NDArray]:
    """A zone grid as the kernel takes it (origin, scale, nx, ny, cells); without one, a single
    boundary cell: every midpoint is looked up exactly."""
    if grid is None:
        return np.zeros(2), np.zeros(2), 1, 1, np.array([-2], dtype=np.int16)
    return (np.array([grid.x0, grid.y0]), np.array([1 / grid.dx, 1 / grid.dy]), grid.nx, grid.ny,
            np.ascontiguousarray(grid.cells).ravel())


CUBE_FIGURES = ("presence_s", "officer_s", "drive_s", "vehicle_s")
"""The seconds a :class:`PresenceCube` holds, by name."""
CONTRIBUTION_COLUMNS = ("unit_id", "day_utc", "zone", "local_day", "hour", *CUBE_FIGURES)


@dataclass
class PresenceParts:
    """Patrol time by what can be kept and updated per unit and UTC day: ``cells`` (seconds per
    unit, day, zone, local day and hour; see :func:`presence_parts`) and the ``trail`` of visible
    presence (:mod:`geo.trail`)."""

    cells: pd.DataFrame
    trail: pd.DataFrame


def presence_parts(tracks: Tracks, zones: gpd.GeoDataFrame, rules: PresenceRules = PresenceRules(),
                   chunk: int = 262_144) -> PresenceParts:
    """The patrol time of ``tracks`` in parts that can be kept and updated per unit and UTC day.

    ``cells``: one row per unit, UTC day of the interval's start (``day_utc``, days since 1970),
    zone row (the index in ``zones``; ``len(zones)`` outside every zone), local day (``local_day``,
    days since 1970-01-01 in Europe/Stockholm) and local hour, with the seconds of visible
    presence, officer-seconds, drive-through and vehicle presence. Intervals as
    :func:`presence_cube` counts them (the zone of the midpoint, the hour of the start), so
    :func:`cube_from_contributions` of these equals :func:`presence_cube` of the same tracks.
    ``trail``: the visible presence within the fast projection's area around the zones, as
    :func:`geo.trail.trail_rows` (unit ids as given)."""
    if len(tracks) < 2:
        return _no_parts(tracks)
    locate = _zone_grid(zones).positions if len(tracks) > GRID_FROM_PINGS else partial(zone_positions, zones)
    projector = projector_for(zones)
    parts, trails = [], []
    for a, counted_ns, fast, vehicle, dlon, dlat in _intervals(tracks, projector, rules, chunk):
        counted = counted_ns > 0
        if not counted.any():
            continue
        index = np.arange(a.start, a.stop)[counted]
        mid_lon, mid_lat = tracks.lon[index] + 0.5 * dlon[counted], tracks.lat[index] + 0.5 * dlat[counted]
        zone = locate(mid_lon, mid_lat)
        zone[zone < 0] = len(zones)
        t0 = tracks.t_ns[index]
        local = t0 + _local_offsets_any_year(t0)
        slow, fast, vehicle = counted_ns[counted] * ~fast[counted], fast[counted], vehicle[counted]
        visible = slow * ~vehicle
        # summed per chunk: a chunk holds whole tracks (unit and UTC day), so no cell spans two
        parts.append(pd.DataFrame({"unit": tracks.unit[index], "day_utc": t0 // DAY_NS, "zone": zone,
                                   "local_day": local // DAY_NS, "hour": (local // HOUR_NS) % 24,
                                   "presence_s": visible, "officer_s": visible * tracks.crew[index],
                                   "drive_s": counted_ns[counted] * fast, "vehicle_s": slow * vehicle})
                     .groupby(["unit", "day_utc", "zone", "local_day", "hour"], sort=True).sum().reset_index())
        kept = np.flatnonzero((visible > 0) & projector.inside(mid_lon, mid_lat))
        east, north = projector(mid_lon[kept], mid_lat[kept])
        trails.append(trail_rows(index[kept], tracks.unit[index[kept]], t0[kept], tracks.t_ns[index[kept] + 1],
                                 east, north, local[kept] // DAY_NS, visible[kept]))
    if not parts:
        return _no_parts(tracks)
    # summed as whole nanoseconds (exact in any order), made seconds once
    summed = pd.concat(parts, ignore_index=True)  # (chunks follow the tracks' order: sorted as each is)
    cells = summed.assign(unit=tracks.unit_ids(summed["unit"].to_numpy()), **{
        name: summed[name] / NS for name in CUBE_FIGURES}).rename(columns={"unit": "unit_id"})
    trail = pd.concat(trails, ignore_index=True)
    trail["unit_id"] = tracks.unit_ids(trail["unit_id"].to_numpy(dtype=np.int64))
    trail["seconds"] /= NS
    return PresenceParts(cells[list(CONTRIBUTION_COLUMNS)], trail[list(TRAIL_COLUMNS)])


def _no_parts(tracks: Tracks) -> PresenceParts:
    """Parts without rows, with the columns' types of parts with rows (the unit ids' as ``tracks`` has them)."""
    ids = pd.Series(tracks.unit_ids(np.empty(0, dtype=np.intp)))
    types = dict.fromkeys(("day_utc", "zone", "local_day", "hour"), np.int64)
    cells = pd.DataFrame({c: ids if c == "unit_id" else pd.Series(dtype=types.get(c, np.float64))
                          for c in CONTRIBUTION_COLUMNS})
    return PresenceParts(cells, empty_trail().astype({"unit_id": ids.dtype}))


def _local_offsets_any_year(t_ns: NDArray[np.int64]) -> NDArray[np.int64]:
    """:func:`local_offsets_ns` for instants of any years."""
    years = pd.DatetimeIndex(t_ns.view("datetime64[ns]")).year.to_numpy()
    offsets = np.empty_like(t_ns)
    for year in np.unique(years):
        mine = years == year
        offsets[mine] = local_offsets_ns(t_ns[mine], int(year))
    return offsets


def cube_from_contributions(contributions: pd.DataFrame, zone_ids: list[str], year: int) -> PresenceCube:
    """The :class:`PresenceCube` of ``year`` summed from the ``cells`` of :func:`presence_parts`
    (computed with zones in the order of ``zone_ids``; rows of other local years are left out)."""
    cube = _empty_cube(year, zone_ids)
    first = (pd.Timestamp(f"{year}-01-01") - pd.Timestamp("1970-01-01")).days
    day = contributions["local_day"].to_numpy(dtype=np.int64) - first
    mine = (day >= 0) & (day < cube.days)
    key = (contributions["zone"].to_numpy(dtype=np.int64)[mine] * cube.days + day[mine]) * 24 \
        + contributions["hour"].to_numpy(dtype=np.int64)[mine]
    shape = cube.presence_s.shape
    for name in CUBE_FIGURES:  # summed as whole nanoseconds, as presence_cube does: the same cube exactly
        values = np.rint(contributions[name].to_numpy(dtype=float)[mine] * NS)
        setattr(cube, name, sum_by(key, values, cube.presence_s.size).reshape(shape) / NS)
    return cube


@lru_cache(maxsize=4)
def _excluded_area(exclusions: tuple[str, ...]) -> shapely.Geometry:
    """The exclusion areas (WKT, WGS84) as one prepared geometry."""
    area = shapely.union_all(shapely.from_wkt(list(exclusions)))
    shapely.prepare(area)
    return area


_EXACT = Transformer.from_crs(WGS84, SWEREF99TM, always_xy=True)


def _exact_squared_m(lon0: NDArray, lat0: NDArray, lon1: NDArray, lat1: NDArray) -> NDArray:
    """Squared length in SWEREF 99 TM metres of segments between lon/lat points, via pyproj."""
    e0, n0 = _EXACT.transform(lon0, lat0)
    e1, n1 = _EXACT.transform(lon1, lat1)
    return np.subtract(e1, e0) ** 2 + np.subtract(n1, n0) ** 2


def _days_until(cube: PresenceCube, as_of: date | None) -> int:
    """Number of days of the cube counted up to and including ``as_of`` (all when None)."""
    if as_of is None:
        return cube.days
    return int(np.clip((pd.Timestamp(as_of) - pd.Timestamp(f"{cube.year}-01-01")).days + 1, 0, cube.days))


def counted_seconds(cube: PresenceCube, counting: PresenceCounting) -> NDArray[np.float64]:
    """The seconds a promise counts (``counting``, from its file) per zone (the last row: outside
    the zones), local day and hour: visible presence as unit- or officer-seconds, plus vehicle
    presence (unit-seconds) when it counts vehicles."""
    seconds = cube.officer_s if counting.hours == "officer" else cube.presence_s
    return seconds + cube.vehicle_s if counting.vehicles else seconds


def zone_figures(cube: PresenceCube, as_of: date | None = None,
                 counting: PresenceCounting = PresenceCounting()) -> pd.DataFrame:
    """Per zone (index ``zone_id``), up to and including ``as_of`` (local date; default all year):
    presence (foot, bike, horse), officer, drive-through and vehicle-presence hours, and the hours
    the promise counts (``promise_h``, as ``counting`` says); days with presence and the longest run
    of days without; presence hours in Purple Flag's night bands and on Friday/Saturday nights (17-05)."""
    days = _days_until(cube, as_of)
    presence = cube.presence_s[:-1, :days] / 3600
    daily = presence.sum(axis=2)
    frame = pd.DataFrame(index=pd.Index(cube.zone_ids, name="zone_id"))
    frame["presence_h"] = daily.sum(axis=1)
    frame["promise_h"] = counted_seconds(cube, counting)[:-1, :days].sum(axis=(1, 2)) / 3600
    frame["officer_h"] = cube.officer_s[:-1, :days].sum(axis=(1, 2)) / 3600
    frame["drive_through_h"] = cube.drive_s[:-1, :days].sum(axis=(1, 2)) / 3600
    frame["vehicle_h"] = cube.vehicle_s[:-1, :days].sum(axis=(1, 2)) / 3600
    logged = cube.logged
    frame["presence_log_h"] = logged.presence_s[:-1, :days].sum(axis=(1, 2)) / 3600 if logged is not None else 0.0
    frame["promise_log_h"] = (counted_seconds(logged, counting)[:-1, :days].sum(axis=(1, 2)) / 3600
                              if logged is not None else 0.0)
    frame["days_with_presence"] = (daily > 0).sum(axis=1)
    frame["longest_gap_days"] = [_longest_run(~row) for row in daily > 0]
    for band, hours in NIGHT_BANDS.items():
        frame[f"night_{band}_h"] = presence[:, :, list(hours)].sum(axis=(1, 2))
    weekday = cube.day_dates()[:days].day_of_week.to_numpy()
    evening = presence[:, np.isin(weekday, (4, 5)), 17:24].sum(axis=(1, 2))  # Friday, Saturday 17-24
    morning = presence[:, np.isin(weekday, (5, 6)), 0:5].sum(axis=(1, 2))  # Saturday, Sunday 00-05
    frame["fri_sat_night_h"] = evening + morning
    return frame


def monthly_hours(cube: PresenceCube, as_of: date | None = None) -> pd.DataFrame:
    """Presence hours per zone (rows) and local month (columns 1-12), up to ``as_of``."""
    days = _days_until(cube, as_of)
    daily = cube.presence_s[:-1, :days].sum(axis=2) / 3600
    months = cube.day_dates()[:days].month.to_numpy()
    table = np.stack([daily[:, months == m].sum(axis=1) for m in range(1, 13)], axis=1)
    return pd.DataFrame(table, index=pd.Index(cube.zone_ids, name="zone_id"), columns=range(1, 13))


def centre_totals(cube: PresenceCube, clock: YearClock | None = None, target_h: float | None = None,
                  counting: PresenceCounting = PresenceCounting()) -> dict:
    """Whole-centre hours up to ``clock.as_of`` (default: the whole year, over): visible presence,
    the hours the promise counts (``promise_h``, as ``counting`` says) and their projected
    year-end total (linear), and with a yearly ``target_h`` (the promise's, from its file) the
    pro-rata expectation and the status of ``promise_h`` (:func:`geo.status.total_status`)."""
    clock = clock or YearClock.whole(cube.year)
    days = _days_until(cube, clock.as_of)
    presence_h = float(cube.presence_s[:-1, :days].sum() / 3600)
    promise_h = float(counted_seconds(cube, counting)[:-1, :days].sum() / 3600)
    elapsed = days / cube.days
    projected = promise_h / elapsed if elapsed else 0.0
    known = target_h is not None
    return {"presence_h": presence_h, "promise_h": promise_h, "counts": counting.model_dump(), "target_h": target_h,
            "expected_h_pro_rata": target_h * clock.elapsed if known else None,
            "projected_year_end_h": projected, "share_of_year_elapsed": elapsed,
            "status": total_status(promise_h, target_h, clock) if known else None,
            "officer_h": float(cube.officer_s[:-1, :days].sum() / 3600),
            "drive_through_h": float(cube.drive_s[:-1, :days].sum() / 3600),
            "vehicle_h": float(cube.vehicle_s[:-1, :days].sum() / 3600),
            "presence_log_h": float(cube.logged.presence_s[:-1, :days].sum() / 3600) if cube.logged is not None else 0.0,
            "promise_log_h": (float(counted_seconds(cube.logged, counting)[:-1, :days].sum() / 3600)
                              if cube.logged is not None else 0.0),
            "presence_log_overlap_h": (float(cube.log_overlap_s[:-1, :days].sum() / 3600)
                                       if cube.log_overlap_s is not None else 0.0),
            "outside_zones_presence_h": float(cube.presence_s[-1, :days].sum() / 3600)}


def _longest_run(flags: NDArray[np.bool_]) -> int:
    """Length of the longest run of True in a 1-d bool array."""
    if not flags.any():
        return 0
    edges = np.diff(np.r_[0, flags.astype(np.int8), 0])
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


def zone_targets_h(zones: gpd.GeoDataFrame, target_h: float, targets: ZoneTargets = ZoneTargets(),
                   incidents: gpd.GeoDataFrame | None = None) -> pd.Series:
    """Each zone's share of the yearly ``target_h`` in hours (indexed by zone_id), as the
    promise's ``targets`` say: in proportion to the zone's area (SWEREF 99 TM), to its
    ``incidents`` (a validated incidents layer, WGS84: those with a usable position, town-level
    ones left out), or by the file's fixed shares. ``.attrs["basis"]`` says which was used: by
    incidents with none to share by, the area is used and the basis says so. A fixed table that
    names a zone the zones do not have raises :class:`ValidationError`."""
    ids = zones["zone_id"].to_numpy()
    basis = targets.by
    if targets.by == "fixed":
        unknown = sorted(set(targets.shares) - set(ids))
        if unknown:
            raise ValidationError(Message("names {unknown}, which are not zones (the zones are {ids})",
                                          unknown=", ".join(unknown), ids=", ".join(ids)),
                                  field="measure.zone_targets.shares")
        weight = np.array([targets.shares.get(zone_id, 0.0) for zone_id in ids])
    elif targets.by == "incidents":
        if incidents is None:
            raise ValueError("zone targets by incidents need the incidents")
        usable = incidents[incidents["location_precision"].isin(USABLE_PRECISION)]
        zone = zone_positions(zones, usable.geometry.x.to_numpy(), usable.geometry.y.to_numpy())
        weight = np.bincount(zone[zone >= 0], minlength=len(ids)).astype(float)
        if not weight.sum():
            weight, basis = zone_areas_m2(zones).to_numpy(), "area (no incidents to share by)"
    else:
        weight = zone_areas_m2(zones).to_numpy()
    series = pd.Series(target_h * weight / weight.sum(), index=ids, name="target_h")
    series.index.name = "zone_id"
    series.attrs["basis"] = basis
    return series


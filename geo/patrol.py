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

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache, partial

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84, MetricProjector
from geo.errors import Message, ValidationError
from geo.layers import PATROL_MODES, USABLE_PRECISION, VEHICLE_MODES
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


def local_offsets_ns(t_ns: NDArray[np.int64], year: int, tz: str = LOCAL_TZ) -> NDArray[np.int64]:
    """UTC offset in ns of ``tz`` at each UTC instant (ns since 1970), for instants in or near ``year``."""
    hours = pd.date_range(f"{year - 1}-12-01", f"{year + 1}-02-01", freq="h", tz="UTC", unit="ns")
    offsets = (hours.tz_convert(tz).tz_localize(None) - hours.tz_localize(None)).to_numpy().view(np.int64)
    change = np.flatnonzero(np.diff(offsets)) + 1
    starts = np.r_[hours[0].value, hours[change].asi8]
    values = np.r_[offsets[0], offsets[change]]
    return values[np.clip(np.searchsorted(starts, t_ns, side="right") - 1, 0, len(values) - 1)]


@dataclass
class Tracks:
    """Patrol pings as arrays sorted by unit and time: ``unit`` codes, ``t_ns`` (UTC, ns since
    1970), ``lon``/``lat`` (WGS84 degrees), ``crew`` (officers), ``mode`` (the index of the mode
    in :data:`geo.layers.PATROL_MODES`); ``unit_names[code]`` is the unit's id as given."""

    unit: NDArray[np.int64]
    t_ns: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    crew: NDArray[np.float64]
    unit_names: NDArray[np.object_]
    mode: NDArray[np.uint8]

    @classmethod
    def of(cls, unit: ArrayLike, t_ns: ArrayLike, lon: ArrayLike, lat: ArrayLike, crew: ArrayLike,
           mode: ArrayLike | None = None) -> Tracks:
        """From whole arrays, one entry per ping (``unit`` any ids, ``mode`` names of
        :data:`geo.layers.PATROL_MODES`, default foot); sorted here if needed."""
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
        return cls(codes, t_ns, lon, lat, crew, np.asarray(names, dtype=object), modes)

    @classmethod
    def from_pings(cls, pings: pd.DataFrame) -> Tracks:
        """From a validated pings frame (unit_id, timestamp, lon, lat, crew, mode)."""
        return cls.of(pings["unit_id"].to_numpy(dtype=object),
                      pings["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64),
                      pings["lon"].to_numpy(), pings["lat"].to_numpy(), pings["crew"].to_numpy(),
                      pings["mode"].to_numpy(dtype=object))

    def __len__(self) -> int:
        return len(self.t_ns)


def projector_for(zones: gpd.GeoDataFrame) -> MetricProjector:
    """Fast WGS84 -> SWEREF 99 TM projection for the zones' bounding box plus about 2 km (made
    once per box: fitting it takes about 10 ms, and the kept presence asks for it per unit)."""
    minx, miny, maxx, maxy = (float(v) for v in zones.total_bounds)
    return _projector((minx - 0.03, miny - 0.02, maxx + 0.03, maxy + 0.02))


@lru_cache(maxsize=8)
def _projector(bounds: tuple[float, float, float, float]) -> MetricProjector:
    return MetricProjector(bounds)


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
    ``max_gap_s``, at most ``max_gap_cap_s``."""
    sampling = pd.Series(dt[inner]).groupby(track[inner]).median()
    typical = np.full(int(track.max()) + 1 if len(track) else 0, np.nan)
    typical[sampling.index.to_numpy()] = sampling.to_numpy()
    return np.minimum(np.maximum(np.nan_to_num(rules.gap_factor * typical[track]), rules.max_gap_s * NS),
                      rules.max_gap_cap_s * NS)


def gps_covered(tracks: Tracks, rules: PresenceRules) -> pd.DataFrame:
    """The time each unit's pings cover: from a ping to the unit's next one when presence counts
    that gap (at most the track's longest gap, :func:`_longest_gaps_ns`; whatever the speed, and
    exclusion areas included: the pings say where the unit was), merged per unit: ``unit_id``,
    ``start_ns``, ``end_ns`` (UTC). Pass whole UTC days of a unit: a track's sampling is its day's."""
    unit, t_ns = tracks.unit, tracks.t_ns
    new_track = np.r_[True, (unit[1:] != unit[:-1]) | (t_ns[1:] // DAY_NS != t_ns[:-1] // DAY_NS)]  # as _intervals
    dt = np.diff(t_ns)
    track = (np.cumsum(new_track) - 1)[:-1]
    longest = _longest_gaps_ns(dt, track, ~new_track[1:] & (dt > 0), rules)
    step = (unit[1:] == unit[:-1]) & (dt > 0) & (dt <= longest)
    start, end, owner = t_ns[:-1][step], t_ns[1:][step], unit[:-1][step]
    new = np.r_[True, (owner[1:] != owner[:-1]) | (start[1:] != end[:-1])][:len(start)]
    last = np.r_[np.flatnonzero(new)[1:] - 1, len(start) - 1][:int(new.sum())]
    return pd.DataFrame({"unit_id": tracks.unit_names[owner[new]].astype(object), "start_ns": start[new],
                         "end_ns": end[last]})


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


def presence_cube(tracks: Tracks, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules = PresenceRules(),
                  chunk: int = 262_144) -> PresenceCube:
    """Accumulate the patrol time of ``tracks`` into a :class:`PresenceCube` for ``year``.

    ``zones`` are WGS84 polygons with ``zone_id``. Intervals are processed ``chunk`` at a time
    (small chunks stay in the CPU cache: measured about twice as fast as 2 million at a time).
    """
    cube = _empty_cube(year, zones["zone_id"].tolist())
    if len(tracks) < 2:
        return cube
    locate = ZoneGrid(zones).positions if len(tracks) > GRID_FROM_PINGS else partial(zone_positions, zones)
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
        cells = pd.DataFrame({c: pd.Series(dtype=object if c == "unit_id" else float) for c in CONTRIBUTION_COLUMNS})
        return PresenceParts(cells, empty_trail())
    locate = ZoneGrid(zones).positions if len(tracks) > GRID_FROM_PINGS else partial(zone_positions, zones)
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
        parts.append(pd.DataFrame({"unit": tracks.unit[index], "day_utc": t0 // DAY_NS, "zone": zone,
                                   "local_day": local // DAY_NS, "hour": (local // HOUR_NS) % 24,
                                   "presence_s": visible, "officer_s": visible * tracks.crew[index],
                                   "drive_s": counted_ns[counted] * fast, "vehicle_s": slow * vehicle}))
        kept = np.flatnonzero((visible > 0) & projector.inside(mid_lon, mid_lat))
        east, north = projector(mid_lon[kept], mid_lat[kept])
        trails.append(trail_rows(index[kept], tracks.unit[index[kept]], t0[kept], tracks.t_ns[index[kept] + 1],
                                 east, north, local[kept] // DAY_NS, visible[kept]))
    if not parts:
        return presence_parts(Tracks.of([], [], [], [], []), zones)
    # summed as whole nanoseconds (exact in any order), made seconds once
    summed = pd.concat(parts).groupby(["unit", "day_utc", "zone", "local_day", "hour"], sort=True).sum().reset_index()
    cells = summed.assign(unit=tracks.unit_names[summed["unit"].to_numpy()], **{
        name: summed[name] / NS for name in CUBE_FIGURES}).rename(columns={"unit": "unit_id"})
    trail = pd.concat(trails, ignore_index=True)
    trail["unit_id"] = tracks.unit_names[trail["unit_id"].to_numpy(dtype=np.int64)]
    trail["seconds"] /= NS
    return PresenceParts(cells[list(CONTRIBUTION_COLUMNS)], trail[list(TRAIL_COLUMNS)])


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
        setattr(cube, name, np.bincount(key, weights=values, minlength=cube.presence_s.size).reshape(shape) / NS)
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


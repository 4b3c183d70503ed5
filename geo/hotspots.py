"""Incident hot spots (Getis-Ord Gi* with a false-discovery-rate correction), the incidents' kernel
density, and the dose of patrol presence the hot spots get, against the Koper curve.

Hot spots: incidents with a usable position (precision exact or street; town-level police events
are left out and counted) are counted on a grid of ``cell_m`` squares (50 m) in SWEREF 99 TM
whose corners lie on whole multiples of the cell size (plus ``shift_m``, for the stability check)
of absolute SWEREF coordinates. The grid covers ``area`` (the zones; cells that touch it), or
without one the incidents' bounding box grown by a cell. For every cell the Getis-Ord Gi* statistic
(PySAL's ``esda.G_Local``, ``star=True``, binary weights) compares the incidents of its 3 × 3 block
(queen contiguity plus the cell itself: a 150 m square, the largest hot-spot size policing research
recommends, and eight neighbours, the fewest ArcGIS's Hot Spot Analysis advises) with the whole
grid's. p-values come from the normal approximation (deterministic; permutation p-values could be
no smaller than 1 / (permutations + 1), too coarse to survive the FDR over a thousand cells). A
cell is hot when its z is positive and its p is at or below the Benjamini-Hochberg threshold of
``esda.fdr`` at ``alpha`` 0.05 over all cells, so about 5 % of the hot cells may be hot by chance.
Hot cells that touch (queen) are merged into one hot spot: ``hotspot_id`` hs-1, hs-2, ... by
incidents, its ``incidents``, ``area_m2``, the highest ``z`` and lowest ``p`` of its cells, and its
outline (the union of its cells). Hot spots holding fewer than ``min_incidents`` are left out:
with few incidents a 3 × 3 block's count is far from normal and a handful can look significant.

Density: a quartic (biweight) kernel of ``bandwidth_m`` (150 m, the hot-spot scale) in SWEREF 99 TM,
as incidents per km² on a grid of ``cell_m`` (10 m) squares.

Dosage: a **visit** is a run of visible-presence intervals of one unit whose midpoints lie inside
a hot spot or within ``GPS_BUFFER_M`` (10 m, the accuracy of a phone's GPS) of it (see
:mod:`geo.patrol` for intervals; they are read from the presence trail, :mod:`geo.trail`, whose
5 m squares fit the hot spots' grid exactly), allowing breaks of up to 2 minutes, and lasting at least a minute
(shorter is a pass). The Koper curve recommends visits of 10–15 minutes, at least one every 2 hours
in the busy period: a busy 2-hour window counts as visited when any visit overlaps it (a visit
from 22:00 to 01:00 covers 22–24 and 00–02), not only the window the visit began in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from numpy.typing import NDArray
from scipy import ndimage, sparse, stats

from geo.arrays import sum_by
from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.layers import USABLE_PRECISION
from geo.patrol import NIGHT_BANDS, local_offsets_ns
from geo.timestamps import LOCAL_TZ
from geo.trail import TRAIL_CELL_M, in_unit_time_order, squares
from geo.zones import zone_of, zone_positions

if TYPE_CHECKING:
    import libpysal

HOTSPOT_CELL_M = 50.0
HOTSPOT_ALPHA = 0.05
"""The false discovery rate of the hot cells (Benjamini-Hochberg)."""
HOTSPOT_MIN_INCIDENTS = 10
"""A significant hot spot holding fewer incidents is left out (see the module)."""
HOTSPOT_NEIGHBOURS = "queen"
HOTSPOT_METHOD_NAME = f"Gi*, {HOTSPOT_CELL_M:g} m-rutor, högst {100 * HOTSPOT_ALPHA:g} % falska fynd"
"""The method in a few Swedish words, for legends and table titles."""
DENSITY_CELL_M = 10.0
DENSITY_BANDWIDTH_M = 150.0
NIGHT_TYPES = ("weekday", "weekend")
"""Weekend nights are those of Friday and Saturday (17:00 to 05:00 local); the others are weekday nights."""
KOPER_MIN_VISIT_MIN, KOPER_MAX_VISIT_MIN = 10.0, 15.0
KOPER_INTERVAL_H = 2
MIN_VISIT_MIN = 1.0
"""Shorter presence in a hot spot is a pass, not a visit (a drive-by has far less effect than a stop)."""
BUSY_WINDOWS = ((18, 20), (20, 22), (22, 24), (0, 2))
"""The busy period's 2-hour windows (local hours; 00-02 belongs to the previous evening)."""
GPS_BUFFER_M = 10.0
"""A unit this close to a hot spot's edge (m) is taken to be in it: the GPS's accuracy."""
_QUEEN = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
"""The cell itself and its eight queen neighbours (row, column offsets)."""


def incident_hotspots(incidents: gpd.GeoDataFrame, area: gpd.GeoDataFrame | None = None,
                      cell_m: float = HOTSPOT_CELL_M, alpha: float = HOTSPOT_ALPHA,
                      min_incidents: int = HOTSPOT_MIN_INCIDENTS, shift_m: float = 0.0) -> gpd.GeoDataFrame:
    """Hot spots of ``incidents`` (a validated incidents layer, WGS84) by Getis-Ord Gi* with an FDR
    of ``alpha`` (see the module), as WGS84 polygons ranked by incidents: ``hotspot_id`` (hs-1, ...),
    ``incidents``, ``area_m2`` (m², SWEREF 99 TM), ``z`` (the highest Gi* z of its cells) and ``p``
    (the lowest p). The grid of ``cell_m`` squares covers ``area`` (polygons, any CRS; incidents
    outside it are not counted) or the incidents; its corners lie on multiples of ``cell_m`` plus
    ``shift_m`` (both multiples of the trail's 5 m, so the hot spots' edges lie on its squares).

    ``.attrs``: ``excluded_town_level`` (incidents left out for a town-level position), ``cells``
    (the grid's cells) and ``p_threshold`` (the FDR's p threshold; None without incidents).
    """
    # PySAL is imported here, not with the module: importing esda takes seconds (scikit-learn)
    from esda import fdr
    from esda.getisord import G_Local

    if (cell_m / TRAIL_CELL_M) % 1 or (shift_m / TRAIL_CELL_M) % 1:
        raise ValueError(f"the hot-spot cell ({cell_m} m) and shift ({shift_m} m) must be whole multiples "
                         f"of {TRAIL_CELL_M:g} m")
    usable = incidents[incidents["location_precision"].isin(USABLE_PRECISION)]
    excluded = int(len(incidents) - len(usable))
    metric = to_metric(usable).geometry
    x, y = metric.x.to_numpy(), metric.y.to_numpy()
    if area is not None:
        bounds = area.to_crs(SWEREF99TM).total_bounds
    elif len(usable):
        bounds = np.array([x.min() - cell_m, y.min() - cell_m, x.max() + cell_m, y.max() + cell_m])
    else:
        return _hotspot_frame([], [], [], [], [], excluded, 0, None)
    x0, y0 = np.floor((bounds[:2] - shift_m) / cell_m) * cell_m + shift_m
    nx, ny = int(np.floor((bounds[2] - x0) / cell_m)) + 1, int(np.floor((bounds[3] - y0) / cell_m)) + 1
    rows, cols = np.divmod(np.arange(nx * ny), nx)
    boxes = shapely.box(x0 + cols * cell_m, y0 + rows * cell_m, x0 + (cols + 1) * cell_m, y0 + (rows + 1) * cell_m)
    kept = (shapely.intersects(boxes, shapely.union_all(area.to_crs(SWEREF99TM).geometry.to_numpy()))
            if area is not None else np.ones(nx * ny, dtype=bool))
    number = np.full(nx * ny, -1)
    number[kept] = np.arange(int(kept.sum()))
    col, row = np.floor((x - x0) / cell_m).astype(int), np.floor((y - y0) / cell_m).astype(int)
    inside = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
    cell_of = number[(row * nx + col)[inside]]
    counts = np.bincount(cell_of[cell_of >= 0], minlength=len(number[kept])).astype(float)
    if counts.sum() == 0:
        return _hotspot_frame([], [], [], [], [], excluded, int(kept.sum()), None)
    gi = G_Local(counts, _queen_weights(rows[kept], cols[kept], number, nx, ny), transform="B", star=True,
                 permutations=0)
    p = stats.norm.sf(gi.Zs)  # one-sided: only more incidents than chance make a hot spot
    threshold = float(fdr(p, alpha))
    hot = np.zeros(nx * ny, dtype=bool)
    hot[kept] = p <= threshold
    labels, found = ndimage.label(hot.reshape(ny, nx), structure=np.ones((3, 3)))
    label = labels.ravel()[kept]
    spots = np.arange(1, found + 1)
    totals = ndimage.sum_labels(counts, label, spots).astype(int)
    z = ndimage.maximum(gi.Zs, label, spots)
    lowest_p = ndimage.minimum(p, label, spots)
    cells = np.bincount(label, minlength=found + 1)[1:]
    order = [i for i in np.lexsort((-z, -totals)) if totals[i] >= min_incidents]
    outlines = [shapely.union_all(boxes[kept][label == spots[i]]) for i in order]
    return _hotspot_frame(outlines, totals[order], cells[order] * cell_m ** 2, z[order], lowest_p[order], excluded,
                          int(kept.sum()), threshold)


def _queen_weights(rows: NDArray[np.int64], cols: NDArray[np.int64], number: NDArray[np.int64],
                   nx: int, ny: int) -> libpysal.weights.W:
    """Binary weights of the grid's kept cells (at ``rows``/``cols``; ``number`` maps a cell of the
    full ``ny`` × ``nx`` grid to its kept number, -1 if left out): each cell, itself included, and
    its kept queen neighbours."""
    from libpysal.weights import W

    pairs = []
    for dr, dc in _QUEEN:
        r, c = rows + dr, cols + dc
        on_grid = (r >= 0) & (r < ny) & (c >= 0) & (c < nx)
        other = np.full(len(rows), -1)
        other[on_grid] = number[r[on_grid] * nx + c[on_grid]]
        pairs.append(np.column_stack([np.flatnonzero(other >= 0), other[other >= 0]]))
    i, j = np.concatenate(pairs).T
    matrix = sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(len(rows), len(rows)))
    return W.from_sparse(matrix)


def _hotspot_frame(outlines: list, incidents, area_m2, z, p, excluded: int, cells: int,
                   threshold: float | None) -> gpd.GeoDataFrame:
    """The hot spots as a WGS84 frame with the attrs of :func:`incident_hotspots`."""
    frame = gpd.GeoDataFrame({
        "hotspot_id": pd.Series([f"hs-{i + 1}" for i in range(len(outlines))], dtype="str"),
        "incidents": pd.Series(incidents, dtype="int64"), "area_m2": pd.Series(area_m2, dtype="float64"),
        "z": pd.Series(z, dtype="float64"), "p": pd.Series(p, dtype="float64")},
        geometry=gpd.GeoSeries(outlines, crs=SWEREF99TM), crs=SWEREF99TM).to_crs(WGS84)
    frame.attrs.update(excluded_town_level=excluded, cells=cells, p_threshold=threshold)
    return frame


@dataclass(frozen=True)
class DensityGrid:
    """Incident density in incidents per km² on a grid in SWEREF 99 TM: ``per_km2[row, col]`` is
    the value at the centre of the cell whose lower-left corner is (x0 + col·cell_m, y0 + row·cell_m)."""

    x0: float
    y0: float
    cell_m: float
    per_km2: NDArray[np.float64]

    @property
    def transform(self) -> Affine:
        """Affine transform of the grid as a north-up raster (row 0 at the top, ``per_km2[::-1]``), EPSG:3006."""
        return Affine(self.cell_m, 0, self.x0, 0, -self.cell_m, self.y0 + self.per_km2.shape[0] * self.cell_m)


def incident_density(incidents: gpd.GeoDataFrame, cell_m: float = DENSITY_CELL_M,
                     bandwidth_m: float = DENSITY_BANDWIDTH_M) -> DensityGrid:
    """Kernel density of the incidents with a usable position (``incidents`` WGS84) with a quartic
    (biweight) kernel of radius ``bandwidth_m``, 3 / (π h²) · (1 − d²/h²)² for d < h, in incidents
    per km², on a grid of ``cell_m`` squares (corners on multiples of ``cell_m`` in SWEREF 99 TM)
    reaching ``bandwidth_m`` beyond the outermost incidents. Each incident adds 1 to the surface's integral."""
    usable = to_metric(incidents[incidents["location_precision"].isin(USABLE_PRECISION)]).geometry
    x, y = usable.x.to_numpy(), usable.y.to_numpy()
    if not len(x):
        return DensityGrid(0.0, 0.0, cell_m, np.zeros((0, 0)))
    x0, y0 = np.floor((np.array([x.min(), y.min()]) - bandwidth_m) / cell_m) * cell_m
    nx = int(np.ceil((x.max() + bandwidth_m - x0) / cell_m))
    ny = int(np.ceil((y.max() + bandwidth_m - y0) / cell_m))
    reach = int(np.ceil(bandwidth_m / cell_m))
    dc, dr = (a.ravel() for a in np.meshgrid(np.arange(-reach, reach + 1), np.arange(-reach, reach + 1)))
    col = np.floor((x - x0) / cell_m).astype(int)[:, None] + dc  # (incidents, cells near each)
    row = np.floor((y - y0) / cell_m).astype(int)[:, None] + dr
    d2 = (x0 + (col + 0.5) * cell_m - x[:, None]) ** 2 + (y0 + (row + 0.5) * cell_m - y[:, None]) ** 2
    near = (d2 < bandwidth_m ** 2) & (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
    weight = 3 / (np.pi * bandwidth_m ** 2) * (1 - d2[near] / bandwidth_m ** 2) ** 2 * 1e6
    density = sum_by(row[near] * nx + col[near], weight, nx * ny).reshape(ny, nx)
    return DensityGrid(float(x0), float(y0), cell_m, density)


def night_incidents(incidents: gpd.GeoDataFrame, band: str | None = None, night: str | None = None) -> gpd.GeoDataFrame:
    """The ``incidents`` (``occurred_at`` tz-aware) of Purple Flag ``band`` (a key of
    :data:`geo.patrol.NIGHT_BANDS`, local hours) and of ``night`` (``weekend``: Friday's and
    Saturday's nights, 17:00-05:00 local; ``weekday``: the other nights); None: any."""
    local = incidents["occurred_at"].dt.tz_convert(LOCAL_TZ)
    hour = local.dt.hour.to_numpy()
    keep = np.isin(hour, NIGHT_BANDS[band]) if band is not None else np.ones(len(incidents), dtype=bool)
    if night is not None:
        if night not in NIGHT_TYPES:
            raise ValueError(f"night must be one of {NIGHT_TYPES}, not {night!r}")
        # the local calendar day before (not 24 h before: a spring-forward Sunday has 23 hours)
        day = local.dt.tz_localize(None).dt.normalize() - pd.to_timedelta((hour < 5).astype(int), unit="D")
        evening_weekday = day.dt.day_of_week.to_numpy()
        weekend = np.isin(evening_weekday, (4, 5))  # the evening of Friday or Saturday
        keep &= ((hour >= 17) | (hour < 5)) & (weekend if night == "weekend" else ~weekend)
    return incidents[keep]


def hotspots_by_band(incidents: gpd.GeoDataFrame, area: gpd.GeoDataFrame | None = None,
                     **options) -> dict[str, gpd.GeoDataFrame]:
    """:func:`incident_hotspots` (with ``options``) of the incidents of each Purple Flag band, by band."""
    return {band: incident_hotspots(night_incidents(incidents, band=band), area, **options) for band in NIGHT_BANDS}


def hotspots_by_night(incidents: gpd.GeoDataFrame, area: gpd.GeoDataFrame | None = None,
                      **options) -> dict[str, gpd.GeoDataFrame]:
    """:func:`incident_hotspots` (with ``options``) of the incidents of weekday and of weekend nights."""
    return {night: incident_hotspots(night_incidents(incidents, night=night), area, **options) for night in NIGHT_TYPES}


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
    if (buffer_m / TRAIL_CELL_M) % 1:
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
    totals = sum_by(run[members], trail["seconds"].to_numpy()[members], len(first))
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

"""What the public may see of a layer: filters, generalised incidents, and the privacy rule for
aggregates of citizens' data (pure functions).

**Small counts are suppressed** (k-anonymity, k = ``Settings().privacy.min_count``): every public
aggregate of citizens' data — reports of every category and unsafe-place pins — leaves out a
cell or group with fewer than k records, and a figure computed from such a count is not shown
either. :func:`suppress_small` is the one place the rule is applied; a suppressed value is
``None`` (JSON ``null``, "färre än k" on pages), and a map grid simply leaves the cell out. Zero
is fewer than k too, so a reader never tells an empty group from one with one or two records.
Where the same answer gives the exact total the values add up to, the suppressed values must not
be recoverable as total − shown: when they would add up to 1 … k−1, the smallest shown value is
suppressed as well (secondary suppression), so the difference is 0 or at least k; a two-way table
(:func:`shown_in_table`) is settled that way along its rows and columns. Staff answers pass ``k = None`` and get exact figures.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.layers import UNSAFE_WHEN, UNSAFE_WHY, USABLE_PRECISION
from geo.timestamps import LOCAL_TZ
from geo.workflow import OPEN_STATUSES
from geo.zones import zone_of

PUBLIC_INCIDENT_GRID_M = 50.0


def generalise_incidents(incidents: gpd.GeoDataFrame, cell_m: float = PUBLIC_INCIDENT_GRID_M) -> gpd.GeoDataFrame:
    """Incidents as the public sees them: category, local date and source only (so synthetic data
    stays labelled), the position moved to the centre of its ``cell_m`` grid cell in SWEREF 99 TM
    (WGS84 out) — and none (an unlocated feature) for an incident placed only at a town's or
    county's centroid, so no map shows the town's incidents piled on one square."""
    metric = to_metric(incidents)
    x = (np.floor(metric.geometry.x.to_numpy() / cell_m) + 0.5) * cell_m
    y = (np.floor(metric.geometry.y.to_numpy() / cell_m) + 0.5) * cell_m
    dates = incidents["occurred_at"].dt.tz_convert(LOCAL_TZ).dt.strftime("%Y-%m-%d")
    located = incidents["location_precision"].isin(USABLE_PRECISION).to_numpy()
    points = np.where(located, shapely.points(x, y), None)
    return gpd.GeoDataFrame({"category": incidents["category"].to_numpy(), "date": dates.to_numpy(),
                             "location_precision": incidents["location_precision"].to_numpy(),
                             "source": incidents["source"].to_numpy()},
                            geometry=gpd.GeoSeries(points, crs=SWEREF99TM)).to_crs(WGS84)


def within(frame: pd.DataFrame, time_field: str, bbox: tuple[float, float, float, float] | None = None,
           start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Rows inside ``bbox`` (min lon, min lat, max lon, max lat; WGS84) and with
    ``start <= time_field < end`` (tz-aware). Point layers have a geometry, pings lon/lat."""
    keep = np.ones(len(frame), dtype=bool)
    if bbox is not None:
        lon = frame.geometry.x.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else frame["lon"].to_numpy()
        lat = frame.geometry.y.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else frame["lat"].to_numpy()
        keep &= (lon >= bbox[0]) & (lon <= bbox[2]) & (lat >= bbox[1]) & (lat <= bbox[3])
    times = frame[time_field]
    if start is not None:
        keep &= (times >= start).to_numpy(dtype=bool, na_value=False)
    if end is not None:
        keep &= (times < end).to_numpy(dtype=bool, na_value=False)
    return frame[keep]


def suppress_small(counts: Mapping[Hashable, int], k: int | None,
                   total: int | None = None) -> dict[Hashable, int | None]:
    """``counts`` (group -> number of records) as the public may see them: every count below
    ``k`` (zero included) becomes ``None``; counts of ``k`` or more are unchanged. ``k`` None: no
    suppression (staff), the counts as they are.

    ``total``: the exact total published beside these counts (the counts add up to it, or to less
    when some records are in no group). Then the records behind the suppressed groups,
    total − the shown counts, must not be fewer than k unless none: when they would be 1 … k−1,
    the smallest shown count (the first of equals) is suppressed as well.
    """
    exact = {key: int(value) for key, value in counts.items()}
    if k is None:
        return dict(exact)
    values = np.array(list(exact.values()), dtype=float)
    shown = values >= k
    if total is not None:
        _settle_line(values, shown, np.arange(len(values)), int(total), k)
    return {key: int(value) if public else None for (key, value), public in zip(exact.items(), shown)}


def _settle_line(values: np.ndarray, shown: np.ndarray, parts: np.ndarray, total: float, k: int) -> bool:
    """Secondary suppression along one line of counts (``values[parts]``, NaN: no data) with an
    exact, shown ``total``: when the records not shown (total − the shown parts) would be 1 … k−1,
    the smallest shown part (the first of equals) is hidden as well. Changes ``shown`` in place;
    whether it did."""
    parts = parts[~np.isnan(values[parts])]
    visible = parts[shown[parts]]
    if len(visible) and 0 < total - values[visible].sum() < k:
        shown[visible[np.argmin(values[visible])]] = False
        return True
    return False


def shown_in_table(table: pd.DataFrame, k: int | None, total_row: Hashable, total_column: Hashable) -> pd.DataFrame:
    """Which cells of a two-way table of citizens' counts (groups × categories) the public may
    see: ``table`` has a column ``total_column``, each row's total (its categories add up to it, or
    to less), and may have a row ``total_row``, the sum of the other rows (a centre-wide row).
    Every count below ``k`` is hidden; a row whose total is hidden is hidden whole; and along every
    row and column with a shown total, what is hidden never adds up to 1 … k−1 (the rule of
    :func:`suppress_small`, repeated until nothing changes), so no hidden count is total − shown.
    NaN cells (no data) stay as they are. ``k`` None (staff): every cell shown."""
    values = table.to_numpy(dtype=float)
    if k is None:
        return pd.DataFrame(True, index=table.index, columns=table.columns)
    data = ~np.isnan(values)
    shown = ~data | (values >= k)
    column_total = table.columns.get_loc(total_column)
    row_total = table.index.get_loc(total_row) if total_row in table.index else None
    categories = np.flatnonzero(np.arange(values.shape[1]) != column_total)
    groups = np.flatnonzero(np.arange(values.shape[0]) != row_total)
    changed = True
    while changed:
        changed = False
        for row in range(values.shape[0]):
            if data[row, column_total] and not shown[row, column_total]:
                changed |= bool((shown[row] & data[row]).any())
                shown[row, data[row]] = False
            elif data[row, column_total]:
                changed |= _settle_line(values[row], shown[row], categories, values[row, column_total], k)
        if row_total is not None:
            for column in np.flatnonzero(data[row_total] & shown[row_total]):
                changed |= _settle_line(values[:, column], shown[:, column], groups, values[row_total, column], k)
    return pd.DataFrame(shown, index=table.index, columns=table.columns)


def grid_counts(points: gpd.GeoDataFrame, cell_m: float, by: str | None = None,
                min_count: int | None = None, weight: str | None = None) -> gpd.GeoDataFrame:
    """Points counted per ``cell_m`` square of SWEREF 99 TM (and per value of column ``by``):
    WGS84 cell polygons with ``count`` (and ``by``), for heat maps and clusters that never show
    an individual point. ``min_count`` (k, for citizens' data on a public map): cells with fewer
    points are left out (:func:`suppress_small`). ``weight``: a column of whole numbers each point
    stands for (a place marked by several people), summed instead of counting points."""
    columns = ["count"] + ([by] if by else [])
    if points.empty:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    metric = to_metric(points)
    col = np.floor(metric.geometry.x.to_numpy() / cell_m).astype(np.int64)
    row = np.floor(metric.geometry.y.to_numpy() / cell_m).astype(np.int64)
    keys = pd.DataFrame({"col": col, "row": row} | ({by: points[by].to_numpy()} if by else {}))
    grouped = keys.assign(count=points[weight].to_numpy() if weight else 1).groupby(list(keys.columns))
    counted = grouped["count"].sum().rename("count").reset_index()
    if min_count is not None:
        public = suppress_small(counted["count"].to_dict(), min_count)
        counted = counted[[public[i] is not None for i in counted.index]].reset_index(drop=True)
    boxes = shapely.box(counted["col"] * cell_m, counted["row"] * cell_m,
                        (counted["col"] + 1) * cell_m, (counted["row"] + 1) * cell_m)
    return gpd.GeoDataFrame(counted[columns], geometry=boxes, crs=SWEREF99TM).to_crs(WGS84)


class PublicReports(NamedTuple):
    """Citizens' reports as a public map shows them: counts only, groups below k left out."""

    open_cells: gpd.GeoDataFrame
    """Open reports (unsafe places aside) per 25 m cell and ``category``: the cells' centres
    (WGS84 points) with ``count``."""
    unsafe_cells: dict[str, gpd.GeoDataFrame]
    """Unsafe-place pins per 50 m cell, for each time of day (every value of :data:`UNSAFE_WHEN`):
    WGS84 squares with ``count``."""
    open_per_zone: dict[str, int | None]
    """Open reports (unsafe places aside) per zone, in the zones' order; None below k."""
    min_count: int
    """k: groups with fewer reports are left out or None."""


def public_reports(reports: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, min_count: int) -> PublicReports:
    """What a public map may show of citizens' ``reports`` (WGS84, any statuses) in ``zones``
    (:class:`PublicReports`), with k = ``min_count``: a map builder gets this, never the pins."""
    unsafe = reports[reports["category"] == "unsafe_place"]
    open_reports = reports[reports["status"].isin(OPEN_STATUSES) & (reports["category"] != "unsafe_place")]
    cells = grid_counts(open_reports, 25.0, by="category", min_count=min_count)
    centres = cells.assign(geometry=cells.geometry.to_crs(SWEREF99TM).centroid.to_crs(WGS84))
    where = pd.Series(zone_of(zones, open_reports.geometry.x.to_numpy(), open_reports.geometry.y.to_numpy()))
    per_zone = where.value_counts().reindex(zones["zone_id"], fill_value=0)
    return PublicReports(centres, {when: grid_counts(unsafe[unsafe["when"] == when], 50.0, min_count=min_count)
                                   for when in UNSAFE_WHEN},
                         suppress_small(per_zone.to_dict(), min_count), min_count)


def unsafe_places_per_zone(pins: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, min_count: int | None) -> dict:
    """Citizens' unsafe-place pins (WGS84) only in aggregate: per zone (in the zones' order) the
    count and the counts by time of day (``when``: every value of :data:`UNSAFE_WHEN`) and reason
    (``why``: every value of :data:`UNSAFE_WHY`), and the total of all pins (exact: one number for
    the whole centre). ``min_count`` (k; None for staff: exact): counts below k are None
    (:func:`suppress_small`, against the total for the zones and against the zone's count for
    its when and why), a suppressed zone has every when and why None, and the answer says
    ``suppressed_below: k``."""
    where = zone_of(zones, pins.geometry.x.to_numpy(), pins.geometry.y.to_numpy())
    mine = [pins[where == zone_id] for zone_id in zones["zone_id"]]
    counts = suppress_small({i: len(m) for i, m in enumerate(mine)}, min_count, total=len(pins))
    per_zone = []
    for i, (zone_id, name) in enumerate(zip(zones["zone_id"], zones["name"])):
        breakdowns = {}
        for field, values in (("when", UNSAFE_WHEN), ("why", UNSAFE_WHY)):
            exact = {value: int((mine[i][field] == value).sum()) for value in values}
            breakdowns[field] = (dict.fromkeys(values) if counts[i] is None
                                 else suppress_small(exact, min_count, total=counts[i]))
        per_zone.append({"zone_id": zone_id, "name": name, "count": counts[i], **breakdowns})
    return {"suppressed_below": min_count, "zones": per_zone, "total": int(len(pins))}

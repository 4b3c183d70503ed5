"""What the public may see of a layer: filters, and generalised incidents (pure functions)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.timestamps import LOCAL_TZ
from geo.zones import zone_of

PUBLIC_INCIDENT_GRID_M = 50.0


def generalise_incidents(incidents: gpd.GeoDataFrame, cell_m: float = PUBLIC_INCIDENT_GRID_M) -> gpd.GeoDataFrame:
    """Incidents as the public sees them: category, local date and source only (so synthetic data
    stays labelled), the position moved to the centre of its ``cell_m`` grid cell in SWEREF 99 TM
    (WGS84 out)."""
    metric = to_metric(incidents)
    x = (np.floor(metric.geometry.x.to_numpy() / cell_m) + 0.5) * cell_m
    y = (np.floor(metric.geometry.y.to_numpy() / cell_m) + 0.5) * cell_m
    dates = incidents["occurred_at"].dt.tz_convert(LOCAL_TZ).dt.strftime("%Y-%m-%d")
    return gpd.GeoDataFrame({"category": incidents["category"].to_numpy(), "date": dates.to_numpy(),
                             "location_precision": incidents["location_precision"].to_numpy(),
                             "source": incidents["source"].to_numpy()},
                            geometry=gpd.points_from_xy(x, y), crs=SWEREF99TM).to_crs(WGS84)


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


def grid_counts(points: gpd.GeoDataFrame, cell_m: float, by: str | None = None) -> gpd.GeoDataFrame:
    """Points counted per ``cell_m`` square of SWEREF 99 TM (and per value of column ``by``):
    WGS84 cell polygons with ``count`` (and ``by``), for heat maps and clusters that never show
    an individual point."""
    columns = ["count"] + ([by] if by else [])
    if points.empty:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    metric = to_metric(points)
    col = np.floor(metric.geometry.x.to_numpy() / cell_m).astype(np.int64)
    row = np.floor(metric.geometry.y.to_numpy() / cell_m).astype(np.int64)
    keys = pd.DataFrame({"col": col, "row": row} | ({by: points[by].to_numpy()} if by else {}))
    counted = keys.groupby(list(keys.columns)).size().rename("count").reset_index()
    boxes = shapely.box(counted["col"] * cell_m, counted["row"] * cell_m,
                        (counted["col"] + 1) * cell_m, (counted["row"] + 1) * cell_m)
    return gpd.GeoDataFrame(counted[columns], geometry=boxes, crs=SWEREF99TM).to_crs(WGS84)


def unsafe_places_per_zone(pins: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> dict:
    """Citizens' unsafe-place pins (WGS84) only in aggregate: per zone (in the zones' order) the
    count and the counts by time of day (``when``) and reason (``why``), and the total."""
    where = zone_of(zones, pins.geometry.x.to_numpy(), pins.geometry.y.to_numpy())
    per_zone = []
    for zone_id, name in zip(zones["zone_id"], zones["name"]):
        mine = pins[where == zone_id]
        per_zone.append({"zone_id": zone_id, "name": name, "count": int(len(mine)),
                         "when": {k: int(v) for k, v in mine["when"].value_counts().items()},
                         "why": {k: int(v) for k, v in mine["why"].value_counts().items()}})
    return {"zones": per_zone, "total": int(len(pins))}

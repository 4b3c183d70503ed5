"""Coordinate reference systems: store and serve WGS84, measure in SWEREF 99 TM."""

from __future__ import annotations

import geopandas as gpd

WGS84 = "EPSG:4326"
"""Storage and API CRS (RFC 7946 GeoJSON): longitude, latitude in degrees."""

SWEREF99TM = "EPSG:3006"
"""Metric CRS for distances, areas and grids in Sweden (metres)."""

HALMSTAD_LONLAT = (12.8578, 56.6744)
"""Stora Torg, Halmstad (lon, lat in degrees, WGS84); the town's reference point."""


def to_metric(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` reprojected to SWEREF 99 TM (EPSG:3006, metres)."""
    if frame.crs is None:
        raise ValueError("GeoDataFrame has no CRS; expected WGS84 (EPSG:4326)")
    return frame.to_crs(SWEREF99TM)

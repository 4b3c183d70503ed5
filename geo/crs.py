"""Coordinate reference systems: store and serve WGS84, measure in SWEREF 99 TM."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from numpy.typing import ArrayLike, NDArray

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


SWEDEN_LONLAT_BOUNDS = (10.0, 55.0, 24.5, 69.5)
"""Generous lon/lat box around Sweden (degrees), used to recognise swapped coordinates."""


def coordinate_problems(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.object_]:
    """A message per point whose WGS84 lon/lat (degrees) cannot be right, else None.

    Recognises missing/NaN values, values outside WGS84 ranges (projected metres such as
    SWEREF 99 TM passed as degrees), and latitude/longitude given in swapped order (a point
    outside Sweden that would lie in Sweden with the two swapped). Pass whole arrays.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    minx, miny, maxx, maxy = SWEDEN_LONLAT_BOUNDS
    in_sweden = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    swapped_in_sweden = (lat >= minx) & (lat <= maxx) & (lon >= miny) & (lon <= maxy)
    missing = np.isnan(lon) | np.isnan(lat)
    projected = (np.abs(lon) > 1000) & (np.abs(lat) > 1000)
    out_of_range = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    return np.select(
        [missing, projected, out_of_range, swapped_in_sweden & ~in_sweden],
        ["missing or NaN coordinate",
         "coordinates look like projected metres (for example SWEREF 99 TM, x ≈ 370000, y ≈ 6280000) "
         "given as degrees: state the CRS (--crs EPSG:3006) or convert to WGS84",
         "coordinate outside WGS84 ranges (longitude -180..180, latitude -90..90)",
         "latitude and longitude look swapped (Halmstad is at about 56.67 N, 12.86 E)"],
        default=None).astype(object)

"""Coordinate reference systems: store and serve WGS84, measure in SWEREF 99 TM."""

from __future__ import annotations

import math
import threading

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer
from pyproj.exceptions import ProjError

from geo.errors import Message

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


_TRANSFORMERS = threading.local()


def metric_xy(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """SWEREF 99 TM metres (east, north) of WGS84 lon/lat degrees, by pyproj (one transformer per
    thread, made once): for a few points, without a GeoDataFrame."""
    transformer = getattr(_TRANSFORMERS, "to_metric", None)
    if transformer is None:
        transformer = _TRANSFORMERS.to_metric = Transformer.from_crs(WGS84, SWEREF99TM, always_xy=True)
    east, north = transformer.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(east), np.asarray(north)


def distances_m(lon: ArrayLike, lat: ArrayLike, point: tuple[float, float]) -> NDArray[np.float64]:
    """Metres (in SWEREF 99 TM) from ``point`` (lon, lat) to each WGS84 position."""
    east, north = metric_xy(np.append(np.asarray(lon, dtype=float), point[0]),
                            np.append(np.asarray(lat, dtype=float), point[1]))
    return np.hypot(east[:-1] - east[-1], north[:-1] - north[-1])


def nearest_within(ids: list[str], lon: ArrayLike, lat: ArrayLike, point: tuple[float, float],
                   radius_m: float) -> list[str]:
    """The ``ids`` whose WGS84 positions lie within ``radius_m`` of ``point`` (lon, lat), nearest
    first (distances in SWEREF 99 TM metres)."""
    if not len(ids):
        return []
    distance = distances_m(lon, lat, point)
    order = np.argsort(distance, kind="stable")
    return [ids[i] for i in order if distance[i] <= radius_m]


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
    which = np.select([missing, projected, out_of_range, swapped_in_sweden & ~in_sweden], [0, 1, 2, 3], default=-1)
    problems = np.full(which.shape, None, dtype=object)
    for i, message in enumerate(_COORDINATE_PROBLEMS):
        problems[which == i] = message
    return problems


_COORDINATE_PROBLEMS = (
    Message("missing or NaN coordinate"),
    Message("coordinates look like projected metres (for example SWEREF 99 TM, x ≈ 370000, y ≈ 6280000) given as "
            "degrees: state the CRS (--crs EPSG:3006) or convert to WGS84"),
    Message("coordinate outside WGS84 ranges (longitude -180..180, latitude -90..90)"),
    Message("latitude and longitude look swapped (Halmstad is at about 56.67 N, 12.86 E)"))
"""The problems :func:`coordinate_problems` finds, the first that holds winning."""


class MetricProjector:
    """Fast WGS84 -> SWEREF 99 TM for many points near one place, exact to a checked bound.

    pyproj converts about 6 million points a second here; a fleet-year of pings is 50 million.
    Within ``bounds`` (lon/lat degrees, a few km across) the projection is replaced by a quadratic
    polynomial fitted to pyproj on a grid. The fit is checked against pyproj on a finer grid and
    refused if it is off by more than ``tolerance_m`` (default 1 cm; about 0.2 mm is typical for
    Halmstad's centre plus 2 km). Points outside ``bounds`` go through pyproj itself.
    """

    def __init__(self, bounds: tuple[float, float, float, float], tolerance_m: float = 0.01) -> None:
        self.bounds = bounds
        self._exact = Transformer.from_crs(WGS84, SWEREF99TM, always_xy=True)
        minx, miny, maxx, maxy = bounds
        self._origin = ((minx + maxx) / 2, (miny + maxy) / 2)
        fit_lon, fit_lat = (a.ravel() for a in np.meshgrid(np.linspace(minx, maxx, 15), np.linspace(miny, maxy, 15)))
        u, v = fit_lon - self._origin[0], fit_lat - self._origin[1]
        design = np.column_stack([np.ones_like(u), u, v, u * u, u * v, v * v])
        east, north = self._exact.transform(fit_lon, fit_lat)
        self._coef = (np.linalg.lstsq(design, east, rcond=None)[0], np.linalg.lstsq(design, north, rcond=None)[0])
        check_lon, check_lat = (a.ravel() for a in np.meshgrid(np.linspace(minx, maxx, 61), np.linspace(miny, maxy, 61)))
        want_e, want_n = self._exact.transform(check_lon, check_lat)
        got_e, got_n = self._polynomial(check_lon, check_lat)
        self.max_error_m = float(np.max(np.hypot(got_e - want_e, got_n - want_n)))
        if self.max_error_m > tolerance_m:
            raise ValueError(f"area too large for the polynomial projection: error {self.max_error_m:.4f} m "
                             f"exceeds {tolerance_m} m")

    def _polynomial(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        u = lon - self._origin[0]
        v = lat - self._origin[1]
        (e0, e1, e2, e3, e4, e5), (n0, n1, n2, n3, n4, n5) = self._coef
        east = u * (e1 + e3 * u + e4 * v) + v * (e2 + e5 * v) + e0
        north = u * (n1 + n3 * u + n4 * v) + v * (n2 + n5 * v) + n0
        return east, north

    def inside(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Which points lie within the fitted bounds."""
        minx, miny, maxx, maxy = self.bounds
        return (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)

    def jacobian(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Metres per degree at the centre of the bounds: ((dE/dlon, dE/dlat), (dN/dlon, dN/dlat)).

        Turns small lon/lat differences inside the bounds into SWEREF 99 TM metres; the relative
        error over the bounds is at most :attr:`jacobian_relative_error`.
        """
        (_, e1, e2, *_), (_, n1, n2, *_) = self._coef
        return (e1, e2), (n1, n2)

    @property
    def jacobian_relative_error(self) -> float:
        """Largest relative difference between the Jacobian anywhere in the bounds and at its centre."""
        (_, e1, e2, e3, e4, e5), (_, n1, n2, n3, n4, n5) = self._coef
        minx, miny, maxx, maxy = self.bounds
        worst = 0.0
        for u in (minx - self._origin[0], maxx - self._origin[0]):
            for v in (miny - self._origin[1], maxy - self._origin[1]):
                local = np.array([[e1 + 2 * e3 * u + e4 * v, e2 + e4 * u + 2 * e5 * v],
                                  [n1 + 2 * n3 * u + n4 * v, n2 + n4 * u + 2 * n5 * v]])
                centre = np.array([[e1, e2], [n1, n2]])
                worst = max(worst, float(np.linalg.norm(local - centre, 2) / np.linalg.norm(centre, -2)))
        return worst

    def __call__(self, lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Easting and northing in metres (EPSG:3006) of lon/lat arrays in degrees (WGS84)."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        east, north = self._polynomial(lon, lat)
        outside = ~self.inside(lon, lat)
        if outside.any():
            east[outside], north[outside] = self._exact.transform(lon[outside], lat[outside])
        return east, north


def widened_box(box: tuple[float, float, float, float], metres: float) -> tuple[float, float, float, float]:
    """The WGS84 box (min lon, min lat, max lon, max lat; degrees) widened by at least ``metres``
    on every side — a generous filter for the points within ``metres`` of the box, for a spatial
    index to narrow the candidates before an exact test in SWEREF 99 TM. Degrees per metre from
    the WGS84 ellipsoid's smallest radius of curvature, 1 % on top; valid away from the poles."""
    minx, miny, maxx, maxy = box
    dlat = 1.01 * metres / 110_574.0
    dlon = 1.01 * metres / (111_320.0 * math.cos(math.radians(min(max(abs(miny), abs(maxy)) + dlat, 89.0))))
    return minx - dlon, max(miny - dlat, -90.0), maxx + dlon, min(maxy + dlat, 90.0)


CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
"""WGS84 longitude, latitude (degrees) by its OGC URI: what RFC 7946 GeoJSON and OGC API answer by default."""

OGC_CRS = {CRS84: "OGC:CRS84",
           "http://www.opengis.net/def/crs/EPSG/0/3006": "EPSG:3006",
           "http://www.opengis.net/def/crs/EPSG/0/3008": "EPSG:3008"}
"""The CRS the OGC API answers in, by URI: CRS84, SWEREF 99 TM (the national grid) and SWEREF 99
13 30 (Halmstad's own). Coordinates are in each CRS's own axis order: the two SWEREF 99 grids are
northing, easting (metres), CRS84 is longitude, latitude."""


def _ogc_transformer(source: str, target: str) -> Transformer:
    """A pyproj transformer in the CRSs' own axis orders, one per thread and pair."""
    key = f"ogc {source} {target}"
    transformer = getattr(_TRANSFORMERS, key, None)
    if transformer is None:
        transformer = Transformer.from_crs(source, target)
        setattr(_TRANSFORMERS, key, transformer)
    return transformer


def from_crs84(geoms: NDArray[np.object_], crs_uri: str) -> NDArray[np.object_]:
    """WGS84 (lon, lat) shapely geometries in the CRS of ``crs_uri`` (a key of :data:`OGC_CRS`),
    coordinates in its axis order."""
    if OGC_CRS[crs_uri] == "OGC:CRS84":
        return geoms
    transformer = _ogc_transformer("OGC:CRS84", OGC_CRS[crs_uri])
    return shapely.transform(geoms, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def to_crs84_box(box: tuple[float, float, float, float], crs_uri: str) -> tuple[float, float, float, float]:
    """The WGS84 box (min lon, min lat, max lon, max lat) holding a box given in the CRS of
    ``crs_uri`` (min and max in its axis order), its edges densified so none of it is left out."""
    if OGC_CRS[crs_uri] == "OGC:CRS84":
        return box
    transformer = _ogc_transformer(OGC_CRS[crs_uri], "OGC:CRS84")
    try:
        out = tuple(float(v) for v in transformer.transform_bounds(*box, densify_pts=21))
    except ProjError:
        out = (math.nan,) * 4
    if not all(map(math.isfinite, out)):
        raise ValueError(Message("the box lies outside the area of its CRS"))
    return out


def in_box(geoms: NDArray[np.object_], box: tuple[float, float, float, float], crs_uri: str = CRS84) -> NDArray[np.bool_]:
    """Which WGS84 geometries intersect ``box`` given in the CRS of ``crs_uri`` (min and max in
    its axis order, edges included); a missing or empty geometry never does."""
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    keep = np.zeros(len(geoms), dtype=bool)
    if present.any():
        shape = shapely.box(box[0], box[1], box[2], box[3])
        keep[present] = shapely.intersects(from_crs84(geoms[present], crs_uri), shape)
    return keep

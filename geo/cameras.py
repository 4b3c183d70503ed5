"""What surveillance cameras see: each camera's view polygon and what lies inside it.

A camera at a point faces ``direction_deg`` (compass bearing, clockwise from north) with a
horizontal field of view of ``fov_deg`` and records up to ``range_m``: its *sector*. Building
footprints block the view: the *view polygon* is the visibility polygon of the sector, what the
camera can see and not what lies behind a wall. It is found by ray casting, vectorised with
shapely 2: :data:`RAYS_PER_DEGREE` rays per degree of the field of view, each cut at its nearest
crossing with a footprint (an STRtree finds the candidate pairs, ``shapely.intersection`` and
``shapely.distance`` on arrays the crossings); the polygon through the cut ends is then freed of
the footprints themselves, so no view ever lies inside a building. A building blocks the view
whatever its height (the camera watches the ground), the one a camera is mounted on too: a camera
whose point lies on a footprint or at most :data:`geo.shadows.OWN_WALL_M` inside it looks from
:data:`NUDGE_M` outside the wall, so it sees along and away from its facade, not through its
building.

All geometry in SWEREF 99 TM (EPSG:3006, metres); inputs in any CRS they declare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.crs import SWEREF99TM, to_metric
from geo.layers import USABLE_PRECISION
from geo.publish import suppress_small
from geo.shadows import OWN_WALL_M

RAYS_PER_DEGREE = 2.0
"""Rays cast per degree of the field of view; 2 keeps the area within about 1 % of a 20-ray
reference among buildings (README, "Camera surveillance")."""
MIN_RAYS = 8
"""At least this many rays per camera, however narrow its field of view."""
NUDGE_M = 0.01
"""How far outside its building's wall a camera mounted on it looks from (metres): a camera's point
on or just inside a footprint (the footprint and the point are both approximate) is moved there."""
MIN_STREET_M = 0.5
"""A street counts as seen from this many metres of its centre line inside a view."""


def _rays(direction: NDArray[np.float64], fov: NDArray[np.float64],
          rays_per_degree: float) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """The rays of every camera (bearing and field of view, degrees): each ray's camera, and its
    unit direction (east, north). A full circle's rays are evenly spaced without repeating the
    first; a sector's include both edges (one ray more than its spaces)."""
    full = fov >= 360.0
    spaces = np.maximum(np.ceil(fov * rays_per_degree).astype(np.int64), MIN_RAYS)
    count = spaces + np.where(full, 0, 1)
    camera = np.repeat(np.arange(len(fov)), count)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    k = np.arange(len(camera)) - first[camera]
    step = np.where(full, 360.0, fov) / spaces
    bearing = np.radians(direction[camera] - np.where(full, 0.0, fov / 2)[camera] + k * step[camera])
    return camera, np.sin(bearing), np.cos(bearing)


def view_polygons(cameras: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None = None,
                  rays_per_degree: float = RAYS_PER_DEGREE) -> gpd.GeoSeries:
    """The view polygon of each camera (see the module) in SWEREF 99 TM, indexed like ``cameras``.

    ``cameras``: Points (any CRS) with ``direction_deg``, ``fov_deg`` and ``range_m``;
    ``buildings``: footprints (any CRS; None or empty: nothing blocks the view, each view is its
    sector). Pass every camera at once: the rays of all are cast together.
    """
    metric = to_metric(cameras)
    direction = cameras["direction_deg"].to_numpy(float) % 360.0
    fov = np.clip(cameras["fov_deg"].to_numpy(float), 1e-6, 360.0)
    reach = cameras["range_m"].to_numpy(float)
    camera, east, north = _rays(direction, fov, rays_per_degree)
    hit = reach[camera].copy()
    footprints = (np.empty(0, dtype=object) if buildings is None or buildings.empty
                  else to_metric(buildings).geometry.to_numpy())
    tree = shapely.STRtree(footprints)
    lenses = _lenses(metric.geometry.to_numpy(), footprints, tree)
    x, y = shapely.get_x(lenses), shapely.get_y(lenses)
    if len(footprints):
        ends = np.column_stack([x[camera] + east * hit, y[camera] + north * hit])
        starts = np.column_stack([x[camera], y[camera]])
        rays = shapely.linestrings(np.stack([starts, ends], axis=1))
        ray, building = tree.query(rays, predicate="intersects")
        if len(ray):
            crossing = shapely.intersection(rays[ray], footprints[building])
            np.minimum.at(hit, ray, shapely.distance(lenses[camera[ray]], crossing))
    px, py = x[camera] + east * hit, y[camera] + north * hit
    views = []
    for i in range(len(x)):
        mine = camera == i
        ring = np.column_stack([px[mine], py[mine]])
        if fov[i] < 360.0:
            ring = np.vstack([[x[i], y[i]], ring])
        view = shapely.make_valid(shapely.Polygon(ring))
        near = tree.query(view, predicate="intersects")
        if len(near):
            view = shapely.difference(view, shapely.union_all(footprints[near]))
        views.append(_polygonal(view))
    return gpd.GeoSeries(views, index=cameras.index, crs=SWEREF99TM)


def _lenses(points: NDArray[np.object_], footprints: NDArray[np.object_],
            tree: shapely.STRtree) -> NDArray[np.object_]:
    """Where each camera (``points``, SWEREF 99 TM) looks from: its point, or for a point on a
    footprint or at most :data:`geo.shadows.OWN_WALL_M` inside one (a camera on a facade) the
    nearest point :data:`NUDGE_M` outside the footprints within ``OWN_WALL_M`` of it. A point
    deeper inside a building stays there, and sees nothing."""
    lenses = points.copy()
    inside = np.unique(tree.query(points, predicate="intersects")[0])
    if not len(inside):
        return lenses
    camera, building = tree.query(points[inside], predicate="dwithin", distance=OWN_WALL_M)
    own = np.array([shapely.union_all(footprints[building[camera == i]]) for i in range(len(inside))],
                   dtype=object)
    near = shapely.distance(points[inside], shapely.boundary(own)) <= OWN_WALL_M
    outside = shapely.boundary(shapely.buffer(own[near], NUDGE_M))
    lenses[inside[near]] = shapely.get_point(shapely.shortest_line(points[inside[near]], outside), 1)
    return lenses


def sectors(cameras: gpd.GeoDataFrame, rays_per_degree: float = RAYS_PER_DEGREE) -> gpd.GeoSeries:
    """Each camera's whole sector (no building in the way), SWEREF 99 TM, indexed like ``cameras``."""
    return view_polygons(cameras, None, rays_per_degree)


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """The polygons of ``geometry`` (a difference may leave lines and points on a wall behind)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", [geometry]) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


@dataclass(frozen=True)
class Seen:
    """What a view (one camera's, or the union of a proposal's) covers."""

    area_m2: float
    """Ground seen, m² (SWEREF 99 TM)."""
    hotspots: list[dict] = field(default_factory=list)
    """Per incident hot spot: ``hotspot_id``, ``incidents`` (its located incidents, exact or
    street), ``seen`` (of them inside the view) and ``share`` (seen / incidents)."""
    unsafe_places: int | None = None
    """Citizens' unsafe-place marks inside the view; None when below the privacy threshold k."""
    streets_m: dict[str, float] = field(default_factory=dict)
    """Metres of street centre line inside the view, by street name (longest first)."""
    entrances: int | None = None
    """Entrances inside the view; None: no entrance data exists (nothing is made up)."""

    def as_dict(self) -> dict:
        return {"area_m2": round(self.area_m2, 1), "hotspots": self.hotspots, "unsafe_places": self.unsafe_places,
                "streets_m": self.streets_m, "entrances": self.entrances}


def seen(view: shapely.Geometry, hotspots: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame,
         unsafe_places: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, min_count: int | None,
         entrances: gpd.GeoDataFrame | None = None) -> Seen:
    """What ``view`` (a polygon in SWEREF 99 TM) covers (:class:`Seen`).

    ``hotspots``: :func:`geo.hotspots.incident_hotspots`' polygons (any CRS); ``incidents``: the
    incidents layer (only exact and street-located ones count); ``unsafe_places``: citizens'
    unsafe-place marks (points); ``streets``: centre lines with ``name``; ``min_count``: k for a
    public answer (a count of marks below k is None), None for staff; ``entrances``: points, None
    when no entrance data exists.
    """
    shapely.prepare(view)
    located = incidents[incidents["location_precision"].isin(USABLE_PRECISION)]
    points = to_metric(located).geometry.to_numpy() if len(located) else np.empty(0, dtype=object)
    spots = to_metric(hotspots).geometry.to_numpy() if len(hotspots) else np.empty(0, dtype=object)
    in_view = shapely.intersects(view, points) if len(points) else np.zeros(0, dtype=bool)
    per_spot = []
    for spot_id, outline in zip(hotspots.get("hotspot_id", pd.Series(dtype=str)), spots):
        inside = shapely.intersects(outline, points) if len(points) else np.zeros(0, dtype=bool)
        total, covered = int(inside.sum()), int((inside & in_view).sum())
        per_spot.append({"hotspot_id": str(spot_id), "incidents": total, "seen": covered,
                         "share": round(covered / total, 3) if total else None})
    marks = to_metric(unsafe_places).geometry.to_numpy() if len(unsafe_places) else np.empty(0, dtype=object)
    unsafe = int(shapely.intersects(view, marks).sum()) if len(marks) else 0
    doors = None
    if entrances is not None:
        doors = int(shapely.intersects(view, to_metric(entrances).geometry.to_numpy()).sum()) if len(entrances) else 0
    return Seen(float(shapely.area(view)), per_spot, suppress_small({"n": unsafe}, min_count)["n"],
                street_metres(view, streets), doors)


def street_metres(view: shapely.Geometry, streets: gpd.GeoDataFrame) -> dict[str, float]:
    """Metres of street centre line inside ``view`` (SWEREF 99 TM) by street ``name`` (``streets``:
    lines, any CRS), longest first, to the decimetre; streets seen for less than
    :data:`MIN_STREET_M` (a line along the view's edge) are left out."""
    if not len(streets):
        return {}
    lines = to_metric(streets)
    lengths = shapely.length(shapely.intersection(lines.geometry.to_numpy(), view))
    by_name = pd.Series(lengths).groupby(lines["name"].to_numpy()).sum()
    return {str(k): round(float(v), 1) for k, v in by_name[by_name >= MIN_STREET_M].sort_values(ascending=False).items()}


def union_view(views: gpd.GeoSeries) -> shapely.Geometry:
    """The ground seen by any of ``views`` (SWEREF 99 TM): a proposal's cameras together."""
    return _polygonal(shapely.union_all(views.to_numpy())) if len(views) else shapely.Polygon()


def covered_hotspots(figures: Seen) -> list[dict]:
    """The hot spots a view covers (at least one of their incidents inside), most incidents seen first."""
    return sorted((h for h in figures.hotspots if h["seen"] > 0), key=lambda h: -h["seen"])

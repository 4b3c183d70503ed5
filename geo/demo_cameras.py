"""Synthetic surveillance cameras for the demo: two proposed and one installed, at the demo's hot spots.

Each stands on the street nearest its hot spot (:data:`geo.demo.HOT_SPOTS`), a little way along
it, and faces the hot spot's centre. Deterministic; ``source`` is ``synthetic`` and every name says
so. Pure, like :mod:`geo.demo`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.demo import HOT_SPOTS, SOURCE
from geo.layers import CAMERAS, validate

DEMO_CAMERAS = (
    # position in HOT_SPOTS, status, field of view (°), range (m), height (m), metres along the street, decided
    (0, "proposed", 90.0, 60.0, 6.0, 30.0, "2021-09-15T10:00:00"),
    (1, "proposed", 70.0, 70.0, 5.0, -30.0, "2021-09-15T10:00:00"),
    (2, "installed", 80.0, 60.0, 6.0, -30.0, "2020-03-15T10:00:00"),
)
"""The demo's cameras: two proposed at the two busiest hot spots (proposed in September 2021, as
the 2021 promise applies for camera surveillance), one installed at the station (decided in March
2020). The same cameras whichever demo years are loaded (Stockholm time)."""


def demo_cameras(zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The demo cameras (a validated :data:`geo.layers.CAMERAS` frame, WGS84) at the hot spots of
    :data:`geo.demo.HOT_SPOTS` that lie in ``zones``; ``streets``: centre lines (any CRS)."""
    area = shapely.union_all(to_metric(zones).geometry.to_numpy())
    lines = to_metric(streets).geometry.to_numpy()
    tree = shapely.STRtree(lines)
    spots = gpd.GeoSeries(gpd.points_from_xy([h[1] for h in HOT_SPOTS], [h[2] for h in HOT_SPOTS]),
                          crs=WGS84).to_crs(SWEREF99TM).to_numpy()
    rows = []
    for index, status, fov, reach, height, along, decided in DEMO_CAMERAS:
        spot = spots[index]
        if not shapely.contains(area, spot):
            continue
        line = lines[tree.query_nearest(spot)[0]]
        at = float(np.clip(shapely.line_locate_point(line, spot) + along, 0.0, shapely.length(line)))
        place = shapely.line_interpolate_point(line, at)
        dx, dy = spot.x - place.x, spot.y - place.y
        if np.hypot(dx, dy) < 1.0:  # on the spot: face along the street
            ahead = shapely.line_interpolate_point(line, min(at + 1.0, shapely.length(line)))
            dx, dy = ahead.x - place.x, ahead.y - place.y
        rows.append({"id": f"demo-kamera-{index + 1}", "name": f"{HOT_SPOTS[index][0]} (syntetiskt exempel)",
                     "height_m": height, "direction_deg": round(float(np.degrees(np.arctan2(dx, dy))) % 360.0, 1),
                     "fov_deg": fov, "range_m": reach, "status": status,
                     "decided_at": decided,
                     "source": SOURCE, "x": place.x, "y": place.y})
    raw = pd.DataFrame(rows, columns=[f.name for f in CAMERAS.fields] + ["x", "y"])
    lonlat = gpd.GeoSeries(gpd.points_from_xy(raw["x"], raw["y"]), crs=SWEREF99TM).to_crs(WGS84)
    raw = raw.drop(columns=["x", "y"]).assign(lon=lonlat.x.to_numpy(), lat=lonlat.y.to_numpy())
    return validate(CAMERAS, raw, "demo")

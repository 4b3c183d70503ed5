"""The toolkit of the printable maps (matplotlib, no tiles, drawn in SWEREF 99 TM so metres are
true): polygons with holes, buildings and streets clipped to a square frame, a scale bar, a north
arrow and the SYNTETISKT EXEMPEL mark. The camera drawing (:mod:`service.camera_drawing`) and the
yearly report's static maps (:mod:`service.report_maps`) are drawn with it."""

from __future__ import annotations

import io
import threading

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from geo.crs import to_metric

RC_LOCK = threading.Lock()
"""rc_context changes process-wide settings: one drawing or chart at a time."""
SYNTHETIC_LABEL = "SYNTETISKT EXEMPEL"
WARN_COLOUR = "#b03a2e"
BUILDING_COLOUR, BUILDING_EDGE, STREET_COLOUR = "#c8c8c8", "#8c8c8c", "#7f8c8d"
_SCALE_LENGTHS_M = (2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1)


def square_frame(geometry: shapely.Geometry, margin_m: float) -> shapely.Polygon:
    """The smallest square (EPSG:3006) holding ``geometry`` with ``margin_m`` metres around it."""
    minx, miny, maxx, maxy = geometry.buffer(margin_m).bounds
    side = max(maxx - minx, maxy - miny)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return shapely.box(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


def map_axes(ax, frame: shapely.Polygon) -> None:
    """Fit ``ax`` to the square ``frame`` (EPSG:3006), metres equal both ways, without ticks, with a
    scale bar in the lower left and a north arrow in the upper right."""
    minx, miny, maxx, maxy = frame.bounds
    side = maxx - minx
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    scale_bar(ax, minx, miny, side)
    north_arrow(ax, maxx, maxy, side)


def fill(ax, geometry: shapely.Geometry, **style) -> None:
    """Draw a polygon or multipolygon (with holes) as one patch."""
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        rings = [np.asarray(polygon.exterior.coords), *(np.asarray(r.coords) for r in polygon.interiors)]
        codes = np.concatenate([[MplPath.MOVETO] + [MplPath.LINETO] * (len(r) - 2) + [MplPath.CLOSEPOLY] for r in rings])
        ax.add_patch(PathPatch(MplPath(np.concatenate(rings), codes), **style))


def draw_buildings(ax, buildings: gpd.GeoDataFrame, frame: shapely.Polygon) -> None:
    """The ``buildings`` (WGS84) inside ``frame`` (EPSG:3006), grey."""
    for geometry in to_metric(buildings).geometry.clip(frame) if len(buildings) else []:
        fill(ax, geometry, facecolor=BUILDING_COLOUR, edgecolor=BUILDING_EDGE, linewidth=0.5)


def draw_streets(ax, streets: gpd.GeoDataFrame | None, frame: shapely.Polygon, linewidth: float = 2.0) -> None:
    """The ``streets``' centre lines (WGS84) inside ``frame`` (EPSG:3006), grey."""
    if streets is None or not len(streets):
        return
    for line in to_metric(streets).geometry.clip(frame):
        for part in getattr(line, "geoms", [line]):
            if part.geom_type == "LineString":
                xs, ys = part.xy
                ax.plot(xs, ys, color=STREET_COLOUR, linewidth=linewidth, alpha=0.7, solid_capstyle="round")


def scale_bar(ax, x0: float, y0: float, side: float) -> None:
    """A bar of a round length (at most a fifth of the width ``side``, metres) in the lower left corner."""
    length = next(n for n in _SCALE_LENGTHS_M if n <= side / 5)
    x, y = x0 + side * 0.04, y0 + side * 0.04
    for k in range(2):
        ax.add_patch(Rectangle((x + k * length / 2, y), length / 2, side * 0.008,
                               facecolor="black" if k == 0 else "white", edgecolor="black"))
    ax.text(x, y + side * 0.015, "0", ha="center", fontsize=8)
    ax.text(x + length, y + side * 0.015, f"{length} m", ha="center", fontsize=8)


def north_arrow(ax, x1: float, y1: float, side: float) -> None:
    """An arrow to grid north (SWEREF 99 TM; true north differs by under 2° in Halmstad) in the upper right corner."""
    x, y = x1 - side * 0.06, y1 - side * 0.14
    ax.annotate("N", xy=(x, y + side * 0.09), xytext=(x, y), ha="center", fontsize=12, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 2})


def synthetic_mark(fig: Figure, ax) -> None:
    """SYNTETISKT EXEMPEL in the sheet's upper right corner and across the map."""
    fig.text(0.98, 0.96, SYNTHETIC_LABEL, ha="right", va="center", fontsize=14, fontweight="bold", color=WARN_COLOUR)
    ax.text(0.5, 0.5, SYNTHETIC_LABEL, transform=ax.transAxes, ha="center", va="center", fontsize=34,
            color=WARN_COLOUR, alpha=0.18, rotation=30)


def figure_bytes(fig: Figure, kind: str, title: str | None = None) -> bytes:
    """``fig`` saved as ``kind`` (png, pdf, svg); a PDF carries ``title`` in its metadata."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=kind, metadata={"Title": title} if kind == "pdf" and title else None)
    return buffer.getvalue()


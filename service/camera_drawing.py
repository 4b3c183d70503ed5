"""A printable drawing of one camera's recorded area (A4 landscape, PNG or PDF, matplotlib): the
streets, the buildings, the camera's sector and its view polygon, a scale bar, a north arrow, the
camera's data and the date, and SYNTETISKT EXEMPEL for synthetic data — what the balancing of
interests of the camera-surveillance law (kamerabevakningslag 2018:1200) documents."""

from __future__ import annotations

import io
import textwrap
import threading
from datetime import date
from typing import Literal

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Patch
from matplotlib.path import Path as MplPath

from geo.crs import to_metric
from geo.layers import CAMERA_STATUS_NAMES
from geo.swedish import sv_number

_RC_LOCK = threading.Lock()  # rc_context changes process-wide settings: one drawing at a time
MARGIN_M = 20.0
"""Ground shown around the camera's sector, metres."""
_VIEW, _SECTOR, _BUILDING, _STREET, _WARN = "#1f5fa8", "#5d6d7e", "#c8c8c8", "#7f8c8d", "#b03a2e"
SYNTHETIC_LABEL = "SYNTETISKT EXEMPEL"


def drawing(camera: pd.Series, view: shapely.Geometry, sector: shapely.Geometry, buildings: gpd.GeoDataFrame,
            streets: gpd.GeoDataFrame | None, streets_seen_m: dict[str, float], day: date,
            kind: Literal["png", "pdf"]) -> bytes:
    """The drawing of ``camera`` (a cameras-layer row with its WGS84 ``geometry``) as PNG or PDF
    bytes. ``view`` and ``sector``: its view polygon and whole sector in SWEREF 99 TM;
    ``buildings`` and ``streets``: WGS84; ``streets_seen_m``: metres of each street seen;
    ``day``: the drawing's date. Synthetic data (``source`` synthetic) says so on the sheet."""
    with _RC_LOCK, matplotlib.rc_context({"font.size": 9, "pdf.fonttype": 42}):
        return _draw(camera, view, sector, buildings, streets, streets_seen_m, day, kind)


def _draw(camera, view, sector, buildings, streets, streets_seen_m, day, kind) -> bytes:
    fig = Figure(figsize=(11.69, 8.27), dpi=150)  # A4 landscape; no pyplot: no global figure registry
    ax = fig.add_axes((0.03, 0.08, 0.62, 0.82))
    info = fig.add_axes((0.67, 0.08, 0.31, 0.82))
    info.axis("off")
    point = to_metric(gpd.GeoDataFrame(geometry=[camera.geometry], crs="EPSG:4326")).geometry.iloc[0]
    minx, miny, maxx, maxy = shapely.union_all([sector, point.buffer(1.0)]).buffer(MARGIN_M).bounds
    side = max(maxx - minx, maxy - miny)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    frame = shapely.box(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
    for geometry in to_metric(buildings).geometry.clip(frame) if len(buildings) else []:
        _fill(ax, geometry, facecolor=_BUILDING, edgecolor="#8c8c8c", linewidth=0.5)
    if streets is not None and len(streets):
        for line in to_metric(streets).geometry.clip(frame):
            for part in getattr(line, "geoms", [line]):
                if part.geom_type == "LineString":
                    xs, ys = part.xy
                    ax.plot(xs, ys, color=_STREET, linewidth=2.0, alpha=0.7, solid_capstyle="round")
    _fill(ax, sector, facecolor="none", edgecolor=_SECTOR, linewidth=1.0, linestyle="--")
    _fill(ax, view, facecolor=_VIEW, alpha=0.35, edgecolor=_VIEW, linewidth=1.5)
    ax.plot([point.x], [point.y], marker="o", markersize=7, color="black")
    bearing = np.radians(camera["direction_deg"])
    reach = min(camera["range_m"] * 0.25, side * 0.1)
    ax.annotate("", xy=(point.x + reach * np.sin(bearing), point.y + reach * np.cos(bearing)), xytext=(point.x, point.y),
                arrowprops={"arrowstyle": "->", "color": "black", "linewidth": 1.5})
    ax.set_xlim(cx - side / 2, cx + side / 2)
    ax.set_ylim(cy - side / 2, cy + side / 2)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(handles=[Patch(facecolor=_VIEW, alpha=0.35, edgecolor=_VIEW, label="Inspelat område (synfält)"),
                       Line2D([], [], color=_SECTOR, linestyle="--", label="Hela sektorn inom räckvidden"),
                       Patch(facecolor=_BUILDING, edgecolor="#8c8c8c", label="Byggnad"),
                       Line2D([], [], color=_STREET, linewidth=2.0, alpha=0.7, label="Gata (mittlinje)"),
                       Line2D([], [], color="black", marker="o", linestyle="none", label="Kamera, pil: riktning")],
              loc="lower right", fontsize=7.5, framealpha=0.9)
    _scale_bar(ax, cx - side / 2, cy - side / 2, side)
    _north_arrow(ax, cx + side / 2, cy + side / 2, side)
    synthetic = camera.get("source") == "synthetic"
    fig.suptitle(f"Inspelningsområde – kamera {camera['id']}", x=0.03, y=0.96, ha="left", fontsize=14,
                 fontweight="bold")
    if synthetic:
        fig.text(0.98, 0.96, SYNTHETIC_LABEL, ha="right", va="center", fontsize=14, fontweight="bold", color=_WARN)
        ax.text(0.5, 0.5, SYNTHETIC_LABEL, transform=ax.transAxes, ha="center", va="center", fontsize=34,
                color=_WARN, alpha=0.18, rotation=30)
    _camera_text(info, camera, view, streets_seen_m, day)
    fig.text(0.03, 0.03, "Underlag för intresseavvägning enligt kamerabevakningslagen (2018:1200). Synfältet är "
             "beräknat: sektorn inom kamerans räckvidd utan det som byggnader skymmer. Streckad linje: hela sektorn. "
             "Koordinater SWEREF 99 TM.", fontsize=7.5, wrap=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=kind, metadata={"Title": f"Inspelningsområde kamera {camera['id']}"}
                if kind == "pdf" else None)
    return buffer.getvalue()


def _camera_text(ax, camera: pd.Series, view: shapely.Geometry, streets_seen_m: dict[str, float], day: date) -> None:
    decided = camera.get("decided_at")
    rows = [("Kamera", str(camera["id"])), ("Namn", "" if pd.isna(camera.get("name")) else str(camera["name"])),
            ("Status", CAMERA_STATUS_NAMES[camera["status"]]),
            ("Beslutad", "–" if pd.isna(decided) else f"{decided.tz_convert('Europe/Stockholm'):%Y-%m-%d}"),
            ("Monteringshöjd", f"{sv_number(camera['height_m'], 1)} m"),
            ("Riktning", f"{sv_number(camera['direction_deg'], 0)}° (från norr, medurs)"),
            ("Synfält", f"{sv_number(camera['fov_deg'], 0)}°"), ("Räckvidd", f"{sv_number(camera['range_m'], 0)} m"),
            ("Position", f"{camera.geometry.y:.6f} N, {camera.geometry.x:.6f} E"),
            ("Inspelad yta", f"{sv_number(round(view.area), 0)} m²"), ("Källa", str(camera.get("source", ""))),
            ("Ritningens datum", day.isoformat())]
    y = 1.0
    for label, value in rows:
        lines = textwrap.wrap(value, 28) or [""]
        ax.text(0.0, y, label, fontweight="bold", va="top", transform=ax.transAxes)
        ax.text(0.42, y, "\n".join(lines), va="top", transform=ax.transAxes, linespacing=1.3)
        y -= 0.045 + 0.028 * (len(lines) - 1)
    y -= 0.02
    ax.text(0.0, y, "Gator i bild", fontweight="bold", va="top", transform=ax.transAxes)
    y -= 0.045
    for name, metres in list(streets_seen_m.items())[:8] or [("inga", None)]:
        ax.text(0.0, y, name if metres is None else f"{name}: {sv_number(metres, 0)} m", va="top", transform=ax.transAxes)
        y -= 0.04
    y -= 0.02
    ax.text(0.0, y, "Entréer i bild", fontweight="bold", va="top", transform=ax.transAxes)
    ax.text(0.0, y - 0.045, "Uppgifter om entréer saknas; inte räknade.", va="top", transform=ax.transAxes)


def _fill(ax, geometry: shapely.Geometry, **style) -> None:
    """Draw a polygon or multipolygon (with holes) as one patch."""
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        rings = [np.asarray(polygon.exterior.coords), *(np.asarray(r.coords) for r in polygon.interiors)]
        codes = np.concatenate([[MplPath.MOVETO] + [MplPath.LINETO] * (len(r) - 2) + [MplPath.CLOSEPOLY] for r in rings])
        ax.add_patch(PathPatch(MplPath(np.concatenate(rings), codes), **style))


def _scale_bar(ax, x0: float, y0: float, side: float) -> None:
    """A bar of a round length (about a fifth of the width) in the lower left corner."""
    length = next(n for n in (200, 100, 50, 20, 10, 5, 2, 1) if n <= side / 5)
    x, y = x0 + side * 0.04, y0 + side * 0.04
    for k in range(2):
        ax.add_patch(matplotlib.patches.Rectangle((x + k * length / 2, y), length / 2, side * 0.008,
                                                  facecolor="black" if k == 0 else "white", edgecolor="black"))
    ax.text(x, y + side * 0.015, "0", ha="center", fontsize=8)
    ax.text(x + length, y + side * 0.015, f"{length} m", ha="center", fontsize=8)


def _north_arrow(ax, x1: float, y1: float, side: float) -> None:
    """An arrow to grid north (SWEREF 99 TM; true north differs by under 2° in Halmstad) in the upper right corner."""
    x, y = x1 - side * 0.06, y1 - side * 0.14
    ax.annotate("N", xy=(x, y + side * 0.09), xytext=(x, y), ha="center", fontsize=12, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 2})

"""A printable drawing of one camera's recorded area (A4 landscape, PNG or PDF, matplotlib): the
streets, the buildings, the camera's sector and its view polygon, a scale bar, a north arrow, the
camera's data and the date, and SYNTETISKT EXEMPEL for synthetic data — what the balancing of
interests of the camera-surveillance law (kamerabevakningslag 2018:1200) documents."""

from __future__ import annotations

import textwrap
from datetime import date
from typing import Literal

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geo.crs import to_metric
from geo.layers import CAMERA_STATUS_NAMES
from geo.swedish import sv_number
from service.drawing import (BUILDING_COLOUR, BUILDING_EDGE, RC_LOCK, STREET_COLOUR, draw_buildings, draw_streets,
                             figure_bytes, fill, map_axes, square_frame, synthetic_mark)

MARGIN_M = 20.0
"""Ground shown around the camera's sector, metres."""
_VIEW, _SECTOR = "#1f5fa8", "#5d6d7e"


def drawing(camera: pd.Series, view: shapely.Geometry, sector: shapely.Geometry, buildings: gpd.GeoDataFrame,
            streets: gpd.GeoDataFrame | None, streets_seen_m: dict[str, float], day: date,
            kind: Literal["png", "pdf"]) -> bytes:
    """The drawing of ``camera`` (a cameras-layer row with its WGS84 ``geometry``) as PNG or PDF
    bytes. ``view`` and ``sector``: its view polygon and whole sector in SWEREF 99 TM;
    ``buildings`` and ``streets``: WGS84; ``streets_seen_m``: metres of each street seen;
    ``day``: the drawing's date. Synthetic data (``source`` synthetic) says so on the sheet."""
    with RC_LOCK, matplotlib.rc_context({"font.size": 9, "pdf.fonttype": 42}):
        return _draw(camera, view, sector, buildings, streets, streets_seen_m, day, kind)


def _draw(camera, view, sector, buildings, streets, streets_seen_m, day, kind) -> bytes:
    fig = Figure(figsize=(11.69, 8.27), dpi=150)  # A4 landscape; no pyplot: no global figure registry
    ax = fig.add_axes((0.03, 0.08, 0.62, 0.82))
    info = fig.add_axes((0.67, 0.08, 0.31, 0.82))
    info.axis("off")
    point = to_metric(gpd.GeoDataFrame(geometry=[camera.geometry], crs="EPSG:4326")).geometry.iloc[0]
    frame = square_frame(shapely.union_all([sector, point.buffer(1.0)]), MARGIN_M)
    draw_buildings(ax, buildings, frame)
    draw_streets(ax, streets, frame)
    fill(ax, sector, facecolor="none", edgecolor=_SECTOR, linewidth=1.0, linestyle="--")
    fill(ax, view, facecolor=_VIEW, alpha=0.35, edgecolor=_VIEW, linewidth=1.5)
    ax.plot([point.x], [point.y], marker="o", markersize=7, color="black")
    bearing = np.radians(camera["direction_deg"])
    side = frame.bounds[2] - frame.bounds[0]
    reach = min(camera["range_m"] * 0.25, side * 0.1)
    ax.annotate("", xy=(point.x + reach * np.sin(bearing), point.y + reach * np.cos(bearing)), xytext=(point.x, point.y),
                arrowprops={"arrowstyle": "->", "color": "black", "linewidth": 1.5})
    map_axes(ax, frame)
    ax.legend(handles=[Patch(facecolor=_VIEW, alpha=0.35, edgecolor=_VIEW, label="Inspelat område (synfält)"),
                       Line2D([], [], color=_SECTOR, linestyle="--", label="Hela sektorn inom räckvidden"),
                       Patch(facecolor=BUILDING_COLOUR, edgecolor=BUILDING_EDGE, label="Byggnad"),
                       Line2D([], [], color=STREET_COLOUR, linewidth=2.0, alpha=0.7, label="Gata (mittlinje)"),
                       Line2D([], [], color="black", marker="o", linestyle="none", label="Kamera, pil: riktning")],
              loc="lower right", fontsize=7.5, framealpha=0.9)
    fig.suptitle(f"Inspelningsområde – kamera {camera['id']}", x=0.03, y=0.96, ha="left", fontsize=14,
                 fontweight="bold")
    if camera.get("source") == "synthetic":
        synthetic_mark(fig, ax)
    _camera_text(info, camera, view, streets_seen_m, day)
    fig.text(0.03, 0.03, "Underlag för intresseavvägning enligt kamerabevakningslagen (2018:1200). Synfältet är "
             "beräknat: sektorn inom kamerans räckvidd utan det som byggnader skymmer. Streckad linje: hela sektorn. "
             "Koordinater SWEREF 99 TM.", fontsize=7.5, wrap=True)
    return figure_bytes(fig, kind, f"Inspelningsområde kamera {camera['id']}")


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


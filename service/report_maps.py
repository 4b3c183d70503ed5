"""The yearly report's maps as static PNG images for the PDF (WeasyPrint runs no JavaScript): the
same figures as the report's interactive maps (:func:`service.maps.planner_figures`,
:func:`service.maps.lighting_figures`), drawn in SWEREF 99 TM with the printable maps' toolkit
(:mod:`service.drawing`), each with a title, a legend, a Swedish text alternative and, for synthetic
data, SYNTETISKT EXEMPEL; embedded as data: URIs so the PDF stays one file."""

from __future__ import annotations

import base64
import textwrap
from collections.abc import Callable
from typing import NamedTuple

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geo.crs import to_metric
from geo.io.raster import colourise
from geo.layers import LIGHT_STATUS_NAMES, USABLE_PRECISION
from geo.maps.colours import LIGHT_COLOURS, REPORT_COLOUR, ZONE_OUTLINE, ramp
from geo.maps.lighting import FIELD_COLOURS, LUX_LEGEND, field_colours
from geo.maps.planner import INCIDENT_CELL_M, METRICS, hidden_cells, unplaced_note
from geo.publish import grid_counts
from geo.swedish import sv_number
from service.context import Context
from service.drawing import (RC_LOCK, STREET_COLOUR, draw_streets, figure_bytes, fill, map_axes, square_frame,
                             synthetic_mark)
from service.maps import LightingFigures, PlannerFigures, lighting_figures, planner_figures

MARGIN_M = 30.0
"""Ground shown around the zones, metres."""
_DARK_SPOT, _DARK_SPOT_EDGE = "#000000", "#ff4040"
_INCIDENTS = "#252525"
"""The incidents' circles: dark grey, apart from the zones' light-to-dark-red ramp and the reports' purple."""
_FIELD_STATES = {(False, False): "Fält under sin klass", (False, True): "Fält som programmets åtgärder lyfter till klassen",
                 (True, True): "Fält som når sin klass", (True, False): "Fält som når sin klass men inte efter åtgärderna"}
"""The calculation fields' states (meets its class now, after the measures) as the legend names them."""


class MapImage(NamedTuple):
    """One static map of the report: its heading, its Swedish text alternative and the PNG as a data: URI."""

    title: str
    alt: str
    src: str


def static_map(kind: str, state: Context, year: int, title: str) -> MapImage:
    """The report's map ``kind`` (planner: of ``year``; lighting: as now) as a static image headed ``title``."""
    draw: Callable[..., str]
    figures: PlannerFigures | LightingFigures
    if kind == "planner":
        figures, draw = planner_figures(state, year), _planner
    elif kind == "lighting":
        figures, draw = lighting_figures(state, None), _lighting
    else:
        raise ValueError(f"no static map {kind!r}")
    with RC_LOCK, matplotlib.rc_context({"font.size": 9}):
        fig = Figure(figsize=(8.27, 8.8), dpi=130)  # A4 width; no pyplot: no global figure registry
        ax = fig.add_axes((0.03, 0.22, 0.94, 0.69))
        alt = draw(fig, ax, figures, state.streets)
        fig.text(0.03, 0.975, textwrap.fill(figures.title, 50), ha="left", va="top", fontsize=12, fontweight="bold")
        if figures.synthetic:
            synthetic_mark(fig, ax)
        png = figure_bytes(fig, "png")
    return MapImage(title, alt, "data:image/png;base64," + base64.b64encode(png).decode())


def _planner(fig: Figure, ax, f: PlannerFigures, streets: gpd.GeoDataFrame | None) -> str:
    """The zones by police presence (the planner's first layer), the year's incidents per 50 m cell
    and the open reports as published; returns the text alternative."""
    zones = to_metric(f.zones)
    frame = square_frame(zones.union_all(), MARGIN_M)
    presence = f.metrics["presence_h"].reindex(f.zones["zone_id"]).fillna(0).astype(float).reset_index(drop=True)
    zone_colours = ramp(presence)
    for geometry, colour in zip(zones.geometry, zone_colours):
        fill(ax, geometry, facecolor=colour, alpha=0.6, edgecolor="none")
    draw_streets(ax, streets, frame, linewidth=1.0)
    for geometry in zones.geometry:
        fill(ax, geometry, facecolor="none", edgecolor=ZONE_OUTLINE, linewidth=1.0)
    usable = f.incidents[f.incidents["location_precision"].isin(USABLE_PRECISION)]
    cells = grid_counts(usable, INCIDENT_CELL_M)
    centres = to_metric(cells).geometry.centroid
    if len(cells):
        ax.scatter(centres.x, centres.y, s=_incident_size(cells["count"]), facecolor=_INCIDENTS, edgecolor="white",
                   linewidth=0.5, alpha=0.8, zorder=3)
    points = to_metric(f.reports.open_cells)
    if len(points):
        ax.scatter(points.geometry.x, points.geometry.y, s=12 + 8 * np.minimum(points["count"], 8), marker="s",
                   facecolor=REPORT_COLOUR, edgecolor="white", linewidth=0.6, alpha=0.9, zorder=4)
    map_axes(ax, frame)
    low, high = presence.min(), presence.max()
    hidden = hidden_cells(f.reports.min_count)
    handles = [Patch(facecolor=zone_colours.loc[presence.idxmin()], alpha=0.6, edgecolor=ZONE_OUTLINE,
                     label=f"Zon, {METRICS['presence_h'].lower()}: minst, {sv_number(low, 1)} h"),
               Patch(facecolor=zone_colours.loc[presence.idxmax()], alpha=0.6, edgecolor=ZONE_OUTLINE,
                     label=f"Zon, {METRICS['presence_h'].lower()}: mest, {sv_number(high, 1)} h")]
    most = int(cells["count"].max()) if len(cells) else 0
    handles += [Line2D([], [], marker="o", linestyle="none", markerfacecolor=_INCIDENTS, markeredgecolor="white",
                       markersize=float(np.sqrt(_incident_size(pd.Series([count]))[0])),
                       label=f"Brott per {sv_number(INCIDENT_CELL_M, 0)} m-ruta: {count}") for count in sorted({1, max(most // 2, 1), most}) if count]
    handles += [Line2D([], [], marker="s", linestyle="none", markerfacecolor=REPORT_COLOUR, markeredgecolor="white",
                       markersize=8, label=f"Öppna felanmälningar per 25 m-ruta (större = fler; {hidden})"),
                Line2D([], [], color=STREET_COLOUR, linewidth=1.0, label="Gata (mittlinje)")]
    _legend(fig, handles)
    _note(fig, f"Medborgarnas uppgifter visas bara sammanräknade: {hidden}.{unplaced_note(f.incidents)} "
               f"Koordinater SWEREF 99 TM. Den interaktiva kartan har fler lager.")
    return (f"Karta: stadskärnans {len(zones)} zoner färgade efter polisnärvaro {f.year}, från {sv_number(low, 1)} h "
            f"(ljusast) till {sv_number(high, 1)} h (mörkast). Ovanpå årets {sv_number(len(usable), 0)} brott med känd plats räknade "
            f"per {sv_number(INCIDENT_CELL_M, 0)} m-ruta som mörkgrå cirklar (större = fler" + (f", som mest {most} i en ruta)" if most else ")")
            + f" och öppna felanmälningar som lila kvadrater i {len(points)} rutor om 25 m ({hidden}).")


def _lighting(fig: Figure, ax, f: LightingFigures, streets: gpd.GeoDataFrame | None) -> str:
    """The modelled illuminance, the calculation fields, dark spots and lamps (the lighting map's
    layers); returns the text alternative."""
    zones = to_metric(f.zones)
    frame = square_frame(zones.union_all(), MARGIN_M)
    grid = f.grid
    rows, cols = grid.lux.shape
    lux = np.where(grid.zone >= 0, grid.lux, np.nan)
    draw_streets(ax, streets, frame, linewidth=1.0)
    ax.imshow(colourise(grid.north_up(lux)), origin="upper", interpolation="nearest",
              extent=(grid.x0, grid.x0 + cols * grid.cell_m, grid.y0, grid.y0 + rows * grid.cell_m))
    fields = to_metric(f.fields) if len(f.fields) else f.fields
    colours = field_colours(f.fields) if len(f.fields) else []
    for geometry, colour in zip(fields.geometry, colours):
        fill(ax, geometry, facecolor=colour, alpha=0.35, edgecolor=colour, linewidth=0.8)
    for geometry in to_metric(f.dark_spots).geometry if len(f.dark_spots) else []:
        fill(ax, geometry, facecolor=_DARK_SPOT, alpha=0.4, edgecolor=_DARK_SPOT_EDGE, linewidth=0.8)
    for geometry in zones.geometry:
        fill(ax, geometry, facecolor="none", edgecolor=ZONE_OUTLINE, linewidth=1.2)
    lights = to_metric(f.lights) if len(f.lights) else f.lights
    for status, colour in LIGHT_COLOURS.items():
        lamps = lights[lights["status"] == status] if len(lights) else lights
        if len(lamps):
            ax.scatter(lamps.geometry.x, lamps.geometry.y, s=24 if status == "broken" else 5, color=colour,
                       edgecolor="#000000", linewidth=0.3, zorder=3)
    proposed = f.proposed if f.proposed is not None else gpd.GeoDataFrame(geometry=[], crs=f.zones.crs)
    if len(proposed):
        metric = to_metric(proposed)
        ax.scatter(metric.geometry.x, metric.geometry.y, s=40, color=LIGHT_COLOURS["planned"], edgecolor="#000000",
                   linewidth=0.5, marker="D", zorder=4)
    map_axes(ax, frame)
    handles = [Patch(facecolor=colour, edgecolor="#7f7f7f", label=f"≥ {sv_number(lux_stop)} lx") for lux_stop, colour in LUX_LEGEND]
    shown = set(colours)
    handles += [Patch(facecolor=FIELD_COLOURS[state], alpha=0.6, label=label) for state, label in _FIELD_STATES.items()
                if FIELD_COLOURS[state] in shown]
    handles += [Patch(facecolor=_DARK_SPOT, alpha=0.4, edgecolor=_DARK_SPOT_EDGE, label="Mörk fläck"),
                *[Line2D([], [], marker="o", linestyle="none", markerfacecolor=LIGHT_COLOURS[s], markeredgecolor="#000000",
                         markersize=7 if s == "broken" else 4, label=f"Belysningspunkt: {LIGHT_STATUS_NAMES[s].lower()}")
                  for s in LIGHT_COLOURS if len(lights) and (lights["status"] == s).any()],
                *([Line2D([], [], marker="D", linestyle="none", markerfacecolor=LIGHT_COLOURS["planned"],
                          markeredgecolor="#000000", markersize=6, label="Föreslagen armatur")] if len(proposed) else [])]
    _legend(fig, handles, columns=3)
    _note(fig, "Modellerad horisontell belysningsstyrka på gångbar yta; fälten bedöms enligt EN 13201-3. "
               "Koordinater SWEREF 99 TM. Den interaktiva kartan visar varje fälts och armaturs värden.")
    meets = int(fields["meets_class"].sum()) if len(fields) else 0
    broken = int((lights["status"] == "broken").sum()) if len(lights) else 0
    return (f"Karta: modellerad belysningsstyrka i stadskärnans {len(zones)} zoner, från mörkblått (under "
            f"{sv_number(LUX_LEGEND[0][0])} lx) till gulvitt ({sv_number(LUX_LEGEND[-1][0])} lx och mer); "
            f"{len(fields)} beräkningsfält, varav {meets} når sin klass; {len(f.dark_spots)} mörka fläckar på "
            f"sammanlagt {sv_number(float(f.dark_spots['area_m2'].sum()) if len(f.dark_spots) else 0, 0)} m²; "
            f"{len(lights)} belysningspunkter, varav {broken} trasiga"
            + (f"; {len(proposed)} föreslagna armaturer." if len(proposed) else "."))


def _incident_size(counts: pd.Series) -> np.ndarray:
    """A circle's area (points²) for each cell's count of incidents: the area grows with the count."""
    return 6.0 + 4.0 * counts.to_numpy(dtype=float)


def _legend(fig: Figure, handles: list, columns: int = 2) -> None:
    """The legend under the map."""
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.03, 0.21), ncol=columns, fontsize=7.5,
               frameon=False, title="Teckenförklaring", title_fontproperties={"weight": "bold", "size": 8},
               alignment="left")


def _note(fig: Figure, text: str) -> None:
    """A note at the foot of the sheet."""
    fig.text(0.03, 0.015, text, fontsize=7, wrap=True, va="bottom")


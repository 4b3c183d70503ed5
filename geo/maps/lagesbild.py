"""A small static choropleth of the zones by attention score, as inline SVG for the lägesbild page.

Drawn with matplotlib's object API on a fresh :class:`~matplotlib.figure.Figure` (no pyplot
state, no display; the Agg backend is selected in case pyplot is used elsewhere in the process).
No text from the zones file reaches the SVG: the priority zones carry their rank number only,
and the page names them. Works offline (no tiles).
"""

from __future__ import annotations

import io

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)

from geo.crs import to_metric  # noqa: E402


def attention_svg(zones: gpd.GeoDataFrame, score: pd.Series, ranks: dict[str, int] | None = None,
                  width_in: float = 4.6) -> str:
    """SVG markup (an ``<svg>`` element, no XML prolog) of ``zones`` (WGS84, with ``zone_id``)
    coloured by ``score`` (indexed by zone_id; missing = 0), drawn in SWEREF 99 TM so shapes are
    true to scale; ``ranks`` (zone_id -> 1..3) are written on the priority zones."""
    metric = to_metric(zones)
    values = score.reindex(metric["zone_id"]).fillna(0.0).to_numpy(dtype=float)
    minx, miny, maxx, maxy = metric.total_bounds
    height_in = width_in * (maxy - miny) / max(maxx - minx, 1.0) + 0.6
    figure = Figure(figsize=(width_in, min(max(height_in, 2.0), 8.0)))
    ax = figure.add_axes((0.02, 0.14, 0.96, 0.84))
    vmax = max(float(values.max()) if len(values) else 0.0, 1.0)
    metric.assign(score=values).plot(column="score", cmap="OrRd", vmin=0, vmax=vmax, ax=ax, edgecolor="#333333",
                                     linewidth=0.6)
    for zone_id, rank in (ranks or {}).items():
        point = metric.loc[metric["zone_id"] == zone_id].geometry.representative_point()
        if len(point):
            ax.annotate(str(int(rank)), (point.iloc[0].x, point.iloc[0].y), ha="center", va="center", fontsize=10,
                        fontweight="bold", color="#000000",
                        bbox={"boxstyle": "circle,pad=0.2", "facecolor": "#ffffff", "edgecolor": "#000000"})
    ax.set_axis_off()
    ax.set_aspect("equal")
    bar = figure.add_axes((0.15, 0.07, 0.7, 0.035))
    ramp = np.linspace(0, vmax, 256)[np.newaxis, :]
    bar.imshow(ramp, aspect="auto", cmap="OrRd", extent=(0, vmax, 0, 1))
    bar.set_yticks([])
    bar.set_xlabel("uppmärksamhetspoäng", fontsize=8)
    bar.tick_params(labelsize=7)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
    text = buffer.getvalue()
    return text[text.index("<svg"):]

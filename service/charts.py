"""The promise tracker's charts as inline SVG (matplotlib, no scripts, no outside requests)."""

from __future__ import annotations

import io

import matplotlib
import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from service.drawing import RC_LOCK

_MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
_COLOURS = {"actual": "#1f5fa8", "target": "#b03a2e", "open": "#d68910", "closed": "#1e8449", "round": "#6c3483"}


def chart_svg(chart: dict, synthetic: bool = False) -> str:
    """The SVG of one tracker chart (the ``chart`` dict of a promise in the tracker's JSON)."""
    with RC_LOCK, matplotlib.rc_context({"svg.fonttype": "none"}):  # text stays text: smaller, searchable
        return _svg(chart, synthetic)


def _svg(chart: dict, synthetic: bool) -> str:
    fig = Figure(figsize=(7.2, 2.8), dpi=100, layout="constrained")  # no pyplot: no global figure registry
    ax = fig.subplots()
    _DRAW[chart["kind"]](ax, chart)
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _MONTHS[mdates.num2date(x).month - 1]))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    if synthetic:
        ax.set_title("syntetiska demodata", fontsize=8, loc="right", color="#b03a2e")
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]  # inline: without the XML declaration and doctype


def _days(values: list[str]) -> pd.DatetimeIndex:
    return pd.to_datetime(pd.Series(values))


def _cumulative_presence(ax, chart: dict) -> None:
    days = _days(chart["days"])
    ax.plot(days, chart["cumulative_h"], color=_COLOURS["actual"], label="polisnärvaro, ackumulerat (h)")
    ax.plot(days, chart["pro_rata_h"], color=_COLOURS["target"], linestyle="--", label="löftet pro rata (h)")
    ax.set_ylabel("timmar")


def _open_closed(ax, chart: dict) -> None:
    days = _days(chart["days"])
    ax.plot(days, chart["open"], color=_COLOURS["open"], label="öppna anmälningar")
    ax.plot(days, chart["closed_in_year"], color=_COLOURS["closed"], label="stängda under året")
    for number, held in enumerate(chart["rounds"]):
        ax.axvline(pd.Timestamp(held["date"]), color=_COLOURS["round"], linestyle=":", linewidth=1.2,
                   label="saneringsrunda" if number == 0 else None)
    ax.set_ylabel("anmälningar")


def _lighting_trend(ax, chart: dict) -> None:
    moments = _days(chart["moments"])
    ax.plot(moments, [100 * s for s in chart["share"]], color=_COLOURS["actual"], marker="o", markersize=3,
            label="beräkningsfältens yta som når sin klass (%)")
    ax.set_ylim(0, 100)
    ax.set_ylabel("procent")


_DRAW = {"cumulative_presence": _cumulative_presence, "open_closed": _open_closed, "lighting_trend": _lighting_trend}

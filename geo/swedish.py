"""Figures as Swedish text, for pages, reports and plain-language reasons."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

import pandas as pd

from geo.timestamps import LOCAL_TZ

MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")
"""The months' Swedish names."""
WEEKDAYS = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")
"""The weekdays' short Swedish names, Monday first."""


def sv_number(value: float | None, decimals: int = 2) -> str:
    """A figure as Swedish text: at most ``decimals`` decimals, a decimal comma, no trailing zeros,
    a narrow no-break space between thousands and a true minus sign (``7``, ``3,5``, ``1 734,2``);
    ``–`` for None."""
    if value is None:
        return "–"
    text = f"{float(value):,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(",", "\u202f").replace(".", ",").replace("-", "−")


def sv_numbers(values: Iterable[float | None], decimals: int = 2) -> list[str]:
    """Each figure as Swedish text (:func:`sv_number`), ``–`` for a missing one (None or NaN):
    for map tooltips and tables people read."""
    return [sv_number(None if value is None or math.isnan(value) else value, decimals) for value in values]


def sv_signed(value: float, decimals: int = 2) -> str:
    """A change as Swedish text with its sign: ``+3,5``, ``−2``, ``±0``."""
    text = sv_number(value, decimals)
    return "±0" if text == "0" else ("+" if value > 0 else "") + text


def sv_date(day: date) -> str:
    """A date as Swedish text: ``2 december 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def when_text(starts_at: str | pd.Timestamp, ends_at: str | pd.Timestamp) -> str:
    """An event's time in Swedish local time: ``lör 9 maj 22:00–02:00`` (the end's date when it is
    more than a night later). The times: aware timestamps, or ISO 8601 text with an offset."""
    start, end = (pd.Timestamp(t).tz_convert(LOCAL_TZ) for t in (starts_at, ends_at))
    text = f"{WEEKDAYS[start.weekday()]} {start.day} {MONTHS[start.month - 1]} {start:%H:%M}–"
    if (end - start) > pd.Timedelta(hours=24) or (end.date() != start.date() and end.hour >= 12):
        text += f"{WEEKDAYS[end.weekday()]} {end.day} {MONTHS[end.month - 1]} "
    return text + f"{end:%H:%M}"

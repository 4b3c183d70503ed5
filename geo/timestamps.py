"""Timestamps: parse text to UTC; naive local times are Europe/Stockholm."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

LOCAL_TZ = "Europe/Stockholm"
"""Time zone of naive timestamps in input files, and of days and evenings in figures."""


def local_day_end(day: date) -> pd.Timestamp:
    """The end of local date ``day`` (Europe/Stockholm): the next day's midnight, so a day of the
    daylight-saving change lasts 23 or 25 hours, not 24."""
    return pd.Timestamp(day + timedelta(days=1), tz=LOCAL_TZ)


_OFFSET = r"(?:Z|[+-]\d\d(?::?\d\d)?)$"
_TIME_WITH_OFFSET = r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?" + _OFFSET
"""An offset counts only after a time of day, so the date 2024-01-15 is not read as offset -15."""


def parse_utc(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ISO 8601 text (or datetimes) to UTC.

    Text with an offset or ``Z`` is exact; the police API's ``"2026-08-22 19:51:41 +02:00"``
    (space before the offset) is accepted. Naive text is local time in Europe/Stockholm.
    Returns ``(timestamps, problems)``: a ``datetime64[ns, UTC]`` Series with NaT where a value
    could not be used, and a Series of messages (None where fine), both indexed like ``values``.
    """
    problems = pd.Series(None, index=values.index, dtype=object)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        result = values.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
        problems[result.isna()] = "missing timestamp"
        return result, problems
    text = values.astype("string").str.strip().str.replace(r"(\d)\s+(" + _OFFSET[:-1] + r")$", r"\1\2", regex=True)
    missing = text.isna() | (text == "")
    aware = text.str.contains(_TIME_WITH_OFFSET, regex=True).fillna(False) & ~missing
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if aware.any():
        result[aware] = pd.to_datetime(text[aware], errors="coerce", utc=True, format="ISO8601")
    naive = ~aware & ~missing
    if naive.any():
        local = _naive(text[naive])
        shifted = local.dt.tz_localize(LOCAL_TZ, ambiguous="NaT", nonexistent="NaT")
        dst_gap_or_overlap = local.notna() & shifted.isna()
        problems[dst_gap_or_overlap[dst_gap_or_overlap].index] = (
            "local time that is ambiguous or does not exist at a daylight-saving change in "
            f"{LOCAL_TZ}; give the time with its UTC offset")
        result[naive] = shifted.dt.tz_convert("UTC")
    problems[missing] = "missing timestamp"
    unparsed = result.isna() & problems.isna()
    problems[unparsed] = "cannot parse " + values[unparsed].astype(str).map(repr) + \
        " as an ISO 8601 timestamp (for example 2020-03-14T21:30:00+01:00)"
    return result, problems


def _naive(text: pd.Series) -> pd.Series:
    """Naive ISO 8601 text to naive datetimes; NaT for anything unreadable or carrying a zone in a
    form not recognised as an offset (so it is reported instead of silently shifted)."""
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
            return parsed
    except (TypeError, ValueError):
        pass

    def one(value: str) -> pd.Timestamp:
        try:
            stamp = pd.Timestamp(value)
        except (TypeError, ValueError):
            return pd.NaT
        return pd.NaT if stamp.tzinfo is not None else stamp

    return pd.to_datetime(text.map(one).astype("datetime64[ns]"))


def format_utc(values: pd.Series) -> pd.Series:
    """ISO 8601 UTC text with milliseconds and ``Z`` (``2020-03-14T20:30:00.000Z``), None for NaT;
    the form of every exported and served timestamp (GeoPackage asks for it too)."""
    text = values.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:23] + "Z"
    return text.astype(object).where(values.notna(), None)

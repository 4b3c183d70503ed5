"""Timestamps: parse text to UTC; naive local times are Europe/Stockholm."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd

from geo.errors import Message

LOCAL_TZ = "Europe/Stockholm"
"""Time zone of naive timestamps in input files, and of days and evenings in figures."""


def local_year(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The start of local year ``year`` (Europe/Stockholm) and the start of the next."""
    return pd.Timestamp(f"{year}-01-01", tz=LOCAL_TZ), pd.Timestamp(f"{year + 1}-01-01", tz=LOCAL_TZ)


def utc_days_of_year(year: int) -> tuple[int, int]:
    """The first and last UTC day (days since 1970) whose pings can count in local ``year``: the
    day before its start (a track is a UTC day, and the year starts at 23:00 or 22:00 UTC) to the
    day its end falls on."""
    start, end = local_year(year)
    day = 86_400 * 10**9
    return start.tz_convert("UTC").value // day - 1, end.tz_convert("UTC").value // day


def local_day_end(day: date) -> pd.Timestamp:
    """The end of local date ``day`` (Europe/Stockholm): the next day's midnight, so a day of the
    daylight-saving change lasts 23 or 25 hours, not 24."""
    return pd.Timestamp(day + timedelta(days=1), tz=LOCAL_TZ)


YEARS = (2000, 2100)
"""The years the promises, figures and commands are for (first, last)."""
SUPPORTED_START = pd.Timestamp("1900-01-01T00:00:00Z")
SUPPORTED_END = pd.Timestamp("2200-01-01T00:00:00Z")
"""The supported times are ``SUPPORTED_START <= t < SUPPORTED_END`` (1900-01-01 to 2199-12-31, UTC);
:func:`parse_utc` reports any other time as a problem of that value.

Why these bounds: stored times are ``datetime64[ns]``, which ends at 1677-09-21 and 2262-04-11, so a
time outside that span cannot be held at all (year 0001 and 9999 parse fine as Python datetimes and
ISO text, and used to end in an unhandled ``OutOfBoundsDatetime``). Staying well inside it leaves room
for every offset (±24 h), for rounding a time to its local day, week or year, and for a
year's figures (``year + 1``) without ever reaching pandas' limits. 1900 is also when Sweden took
Central European Time (before, Stockholm kept local mean time, +00:53:28), and no incident, lamp,
report or patrol the service holds is older; nothing is recorded 175 years ahead either."""

SUPPORTED_DATES = f"{SUPPORTED_START.date()} to {(SUPPORTED_END - pd.Timedelta(days=1)).date()}"
"""The supported range as text, for messages."""


def _out_of_range(value: object) -> Message:
    return Message("{value!r} is outside the supported range of times, {dates} UTC", value=str(value),
                   dates=SUPPORTED_DATES)


def _unparsable(value: object) -> Message:
    return Message("cannot parse {value!r} as an ISO 8601 timestamp (for example 2020-03-14T21:30:00+01:00)",
                   value=str(value))


_MISSING = Message("missing timestamp")
_MARGIN = pd.Timedelta(days=2)
"""Naive local times further than this outside the range are refused before localising them."""

_OFFSET = r"(?:Z|[+-]\d\d(?::?\d\d)?)$"
_TIME_WITH_OFFSET = r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?" + _OFFSET
"""An offset counts only after a time of day, so the date 2024-01-15 is not read as offset -15."""
_BEYOND_MICROSECONDS = r"([.,]\d{6})\d+"
"""Digits of a second beyond the sixth: dropped (times are kept to the millisecond anyway), so every
time is parsed at microsecond resolution, which holds any year 1-9999 without overflowing."""
_EXPANDED_YEAR = r"^[+-]?\d{5,}-|^[+-]\d{4}-"
"""An ISO 8601 expanded year (more than four digits or a sign): always outside the supported range."""


def parse_utc(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ISO 8601 text (or datetimes) to UTC, within the supported range.

    Text with an offset or ``Z`` is exact; the police API's ``"2026-08-22 19:51:41 +02:00"``
    (space before the offset) is accepted. Naive text is local time in Europe/Stockholm. Python
    datetimes and pandas Timestamps (naive or aware) are read as their ISO text; a tz-aware
    datetime Series of any resolution as the instants it holds.
    Returns ``(timestamps, problems)``: a ``datetime64[ns, UTC]`` Series with NaT where a value
    could not be used, and a Series of messages (None where fine), both indexed like ``values``.
    A value is never an exception: missing, unparsable, ambiguous or non-existent local times and
    times outside ``SUPPORTED_START``..``SUPPORTED_END`` are each a message.
    """
    problems = pd.Series(None, index=values.index, dtype=object)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        result = values.dt.tz_convert("UTC")
        problems[result.isna()] = _MISSING
        result, problems = _within_range(result, values, problems, pd.Series(False, index=values.index))
        return result, _none_where_fine(problems)
    text = values.astype("string").str.strip()
    spaced = text.str.contains(r"\d\s+" + _OFFSET, regex=True, na=False).astype(bool)
    if spaced.any():  # the police API's space before the offset (only where there is one: the replacement is slow)
        text = text.copy()
        text[spaced] = text[spaced].str.replace(r"(\d)\s+(" + _OFFSET[:-1] + r")$", r"\1\2", regex=True).to_numpy()
    if text.str.contains(r"[.,]\d{7}", regex=True, na=False).any():
        text = text.str.replace(_BEYOND_MICROSECONDS, r"\1", regex=True)
    missing = text.isna() | (text == "")
    aware = text.str.contains(_TIME_WITH_OFFSET, regex=True).fillna(False).astype(bool) & ~missing
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    if aware.any():
        result[aware] = pd.to_datetime(text[aware], errors="coerce", utc=True, format="ISO8601").astype(
            "datetime64[us, UTC]")
    naive = ~aware & ~missing
    far = pd.Series(False, index=values.index)
    if naive.any():
        local = _naive(text[naive])
        too_far = local.notna() & ((local < SUPPORTED_START.tz_localize(None) - _MARGIN)
                                   | (local >= SUPPORTED_END.tz_localize(None) + _MARGIN))
        far[naive] = too_far.to_numpy()
        local = local.mask(too_far)
        shifted = local.dt.tz_localize(LOCAL_TZ, ambiguous="NaT", nonexistent="NaT")
        dst_gap_or_overlap = local.notna() & shifted.isna()
        problems[dst_gap_or_overlap[dst_gap_or_overlap].index] = _DST_PROBLEM
        result[naive] = shifted.dt.tz_convert("UTC")
    problems[missing] = _MISSING
    unread = result.isna() & problems.isna() & ~far
    if unread.any():
        far |= unread & text.where(unread).str.contains(_EXPANDED_YEAR, regex=True, na=False).astype(bool)
    result, problems = _within_range(result, values, problems, far)
    unparsed = result.isna() & problems.isna()
    problems[unparsed] = values[unparsed].map(_unparsable)
    return result, _none_where_fine(problems)


_SPACED_OFFSET = re.compile(r"\d\s+" + _OFFSET)
_SPACE_BEFORE_OFFSET = re.compile(r"(\d)\s+(" + _OFFSET[:-1] + r")$")
_SEVEN_DIGITS = re.compile(r"[.,]\d{7}")
_DST_PROBLEM = Message("local time that is ambiguous or does not exist at a daylight-saving change in {zone}; "
                       "give the time with its UTC offset", zone=LOCAL_TZ)


def parse_one(value: object) -> tuple[pd.Timestamp | None, Message | None]:
    """One value as :func:`parse_utc` reads it: the UTC time (``datetime64[ns]``; None when it
    cannot be used) and the problem (None when fine). The same rules without a Series, for a few
    values (one form, one record); a tz-aware ``pd.Timestamp`` is the instant it holds."""
    if isinstance(value, pd.Timestamp) and value.tzinfo is not None:
        stamp = value.tz_convert("UTC")
        return _in_range_one(stamp, value)
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None, _MISSING
    original = value
    text = str(value).strip()
    if _SPACED_OFFSET.search(text):
        text = _SPACE_BEFORE_OFFSET.sub(r"\1\2", text)
    if _SEVEN_DIGITS.search(text):
        text = re.sub(_BEYOND_MICROSECONDS, r"\1", text)
    if text == "":
        return None, _MISSING
    far = False
    if re.search(_TIME_WITH_OFFSET, text):
        stamp = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    else:
        local = _naive_one(text)
        if local is not pd.NaT and not (SUPPORTED_START.tz_localize(None) - _MARGIN <= local
                                        < SUPPORTED_END.tz_localize(None) + _MARGIN):
            far, local = True, pd.NaT
        stamp = pd.NaT
        if local is not pd.NaT:
            stamp = local.tz_localize(LOCAL_TZ, ambiguous="NaT", nonexistent="NaT")
            if stamp is pd.NaT:
                return None, _DST_PROBLEM
            stamp = stamp.tz_convert("UTC")
    if stamp is pd.NaT and not far:
        far = re.search(_EXPANDED_YEAR, text) is not None
    if far:
        return None, _out_of_range(original)
    if stamp is pd.NaT:
        return None, _unparsable(original)
    return _in_range_one(stamp, original)


def _in_range_one(stamp: pd.Timestamp, original: object) -> tuple[pd.Timestamp | None, Message | None]:
    if not SUPPORTED_START <= stamp < SUPPORTED_END:
        return None, _out_of_range(original)
    return stamp.as_unit("ns"), None


def _naive_one(text: str) -> pd.Timestamp:
    """Naive ISO 8601 text as a naive time, as :func:`_naive` reads it (NaT when it cannot be read
    or carries a zone in a form not recognised as an offset)."""
    try:
        stamp = pd.to_datetime(text, errors="coerce", format="ISO8601")
    except (TypeError, ValueError):
        return pd.NaT
    return pd.NaT if stamp is pd.NaT or stamp.tzinfo is not None else stamp


def _none_where_fine(problems: pd.Series) -> pd.Series:
    return problems.astype(object).where(problems.notna(), None)


def _within_range(result: pd.Series, values: pd.Series, problems: pd.Series,
                  outside: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``result`` as ``datetime64[ns, UTC]`` with the times outside the supported range (and those
    already known to be, ``outside``) made NaT and reported."""
    outside = outside | (result.notna() & ((result < SUPPORTED_START) | (result >= SUPPORTED_END)))
    if outside.any():
        problems[outside] = values[outside].map(_out_of_range)
        result = result.mask(outside)
    return result.astype("datetime64[ns, UTC]"), problems


def _naive(text: pd.Series) -> pd.Series:
    """Naive ISO 8601 text to naive datetimes (microseconds, so any year 1-9999 fits); NaT for
    anything unreadable or carrying a zone in a form not recognised as an offset (so it is reported
    instead of silently shifted)."""
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
            return parsed.astype("datetime64[us]")
    except (TypeError, ValueError):
        pass
    return pd.to_datetime(text.map(_naive_one).astype("datetime64[us]"))


def format_utc(values: pd.Series) -> pd.Series:
    """ISO 8601 UTC text with milliseconds and ``Z`` (``2020-03-14T20:30:00.000Z``), None for NaT;
    the form of every exported and served timestamp (GeoPackage asks for it too)."""
    if len(values) <= 64:  # a few (one record, one page): without pandas' cost per call
        return pd.Series([utc_text(v) for v in values], index=values.index, dtype=object)
    text = values.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:23] + "Z"
    return text.astype(object).where(values.notna(), None)


def utc_text(at: pd.Timestamp | None) -> str | None:
    """One time as :func:`format_utc` writes it; None for None or NaT."""
    if at is None or at is pd.NaT:
        return None
    return f"{at.tz_convert('UTC'):%Y-%m-%dT%H:%M:%S.%f}"[:23] + "Z"

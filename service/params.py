"""Parameters shared by routes: times as ISO 8601 text read by the one time parser, dates as YYYY-MM-DD."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

import pandas as pd
from fastapi import Query
from pydantic import BeforeValidator

from geo.errors import Message, ValidationError
from geo.timestamps import SUPPORTED_DATES, SUPPORTED_END, SUPPORTED_START, parse_utc


MAX_PATROL_SPAN = pd.Timedelta(days=31)
"""The longest time a request may read patrol pings over at once."""


def instant(value: str | None, field: str) -> pd.Timestamp | None:
    """A query time (ISO 8601; naive = Europe/Stockholm) as a tz-aware instant, None when not
    given; 422 naming ``field`` for anything else — numbers included (no Unix seconds), a local
    time that a daylight-saving change skips or repeats, or a time outside the supported range."""
    if value is None:
        return None
    times, problems = parse_utc(pd.Series([value], dtype=object))
    if problems.notna().iloc[0]:
        raise ValidationError(problems.iloc[0], field=field)
    return times.iloc[0]


def time_query(description: str):
    """A query parameter holding a time (text, read by :func:`instant`), documented as date-time."""
    return Query(None, description=description, json_schema_extra={"format": "date-time"}, max_length=40)


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD`` text (or a date; pydantic would otherwise take 0 as 1 January 1970),
    in the supported range of times."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValueError(Message("not a date of the calendar")) from None
    if not isinstance(value, date):
        raise ValueError(Message("give a date as YYYY-MM-DD"))
    if not SUPPORTED_START.date() <= value < SUPPORTED_END.date():
        raise ValueError(Message("outside the supported dates, {dates}", dates=SUPPORTED_DATES))
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
"""A local date given as ``YYYY-MM-DD``, in queries and bodies alike."""

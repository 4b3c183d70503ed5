"""The year's clock and the one status rule of every promise: the tracker, the coverage figures
and the maps all ask here whether a promise is met, on track, behind or not met.

Statuses: ``met``; ``on track`` and ``behind`` during the year; ``not met`` once the year is over
short of the target; ``not measurable yet`` when the data needed are missing. A year is over only
once its last local day has passed: on 31 December the day still runs and counts half.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from geo.errors import Message, ValidationError
from geo.timestamps import local_year

STATUS_NAMES = {"met": "uppfyllt", "on track": "i fas", "behind": "efter", "not met": "ej uppfyllt",
                "not measurable yet": "ej mätbart ännu"}
"""A promise's statuses (codes) and their Swedish names: the one list."""
STATUSES = tuple(STATUS_NAMES)
RECORDABLE_STATUSES = ("met", "on track", "behind", "not met")
"""The statuses staff may record for a ``staff_status`` promise."""


def days_in_year(year: int) -> int:
    return 366 if pd.Timestamp(f"{year}-12-31").is_leap_year else 365


def elapsed_share(year: int, as_of: date) -> float:
    """Share of ``year`` counted up to and including local date ``as_of`` (0 before, 1 after)."""
    days = (pd.Timestamp(as_of) - pd.Timestamp(f"{year}-01-01")).days + 1
    return float(np.clip(days / days_in_year(year), 0.0, 1.0))


@dataclass(frozen=True)
class YearClock:
    """How far a promise year is counted: up to and including local date ``as_of``; ``over``
    once the year's last day has passed."""

    year: int
    as_of: date
    over: bool

    @classmethod
    def at(cls, year: int, as_of: date | None, today: date) -> YearClock:
        """The clock of ``year`` counted up to ``as_of`` (default: the year's last day for a past
        year, ``today`` for the current one); :class:`ValidationError` for a date outside the
        year, in the future, or a year that has not begun."""
        if year > today.year:
            raise ValidationError(Message("{year} has not begun; give a year up to {current}", year=str(year),
                                          current=str(today.year)), field="year")
        as_of = as_of or (date(year, 12, 31) if year < today.year else today)
        if as_of.year != year:
            raise ValidationError(Message("the date {as_of} is not in {year}", as_of=as_of, year=str(year)),
                                  field="as_of")
        if as_of > today:
            raise ValidationError(Message("{as_of} is in the future; follow up to today ({today}) at the latest",
                                          as_of=as_of, today=today), field="as_of")
        return cls(year, as_of, as_of == date(year, 12, 31) and today > as_of)

    @classmethod
    def whole(cls, year: int) -> YearClock:
        """The whole of a year that is over."""
        return cls(year, date(year, 12, 31), True)

    @property
    def elapsed(self) -> float:
        """Share of the year counted: 1 only once the year is over (its last day counts half while it runs)."""
        share = elapsed_share(self.year, self.as_of)
        return share if self.over else min(share, 1 - 0.5 / days_in_year(self.year))

    @property
    def year_end(self) -> pd.Timestamp:
        """The end of the year (local midnight starting the next)."""
        return local_year(self.year)[1]


def total_status(value: float, target: float, clock: YearClock) -> str:
    """A yearly total that grows (presence hours): met once ``value`` reaches ``target``; on
    track when at least the pro-rata share ``target × elapsed``; short of target once the year
    is over: not met."""
    if value >= target:
        return "met"
    if clock.over:
        return "not met"
    return "on track" if value >= target * clock.elapsed else "behind"


def rounds_held(days: pd.Series) -> int:
    """Removal rounds held, from the local days (ISO dates) of the recorded rounds of one
    category: one per day, so parts of a round recorded on one day for different zones count once."""
    return int(days.nunique())


def rounds_status(rounds: int, target: int, clock: YearClock) -> str:
    """Rounds held in a year: met at ``target``; on track while the rounds held are at least
    the whole rounds due by now, ``floor(target × elapsed)`` (for two a year: one by mid-year)."""
    if rounds >= target:
        return "met"
    if clock.over:
        return "not met"
    return "on track" if rounds >= math.floor(target * clock.elapsed + 1e-9) else "behind"


def share_status(share: float | None, target: float, clock: YearClock) -> str:
    """A share that should stay at or above ``target`` (reports closed in time): on track (met
    once the year is over) while it does, behind (not met) when not; None is not measurable yet."""
    if share is None:
        return "not measurable yet"
    if share >= target:
        return "met" if clock.over else "on track"
    return "not met" if clock.over else "behind"


def programme_status(adopt_by: date | None, adopted: date | None, clock: YearClock) -> str:
    """A programme the promise is to produce (the lighting programme): met once adopted (on or
    before the day measured); else on track until the day it is to be adopted by, behind after it
    or without such a day, and not met when the year is over."""
    if adopted is not None and adopted <= clock.as_of:
        return "met"
    if clock.over:
        return "not met"
    return "on track" if adopt_by is not None and clock.as_of <= adopt_by else "behind"


def measures_status(measures: int, done: int, overdue: int, clock: YearClock) -> str:
    """A programme the promise is to carry out (light a route): met once all its ``measures`` are
    done; not met when the year is over before that; behind while any is ``overdue`` (planned by
    now, not done), on track otherwise. A programme without measures is not measurable yet."""
    if measures == 0:
        return "not measurable yet"
    if done >= measures:
        return "met"
    if clock.over:
        return "not met"
    return "behind" if overdue else "on track"


def projected_level(values: pd.Series, at: pd.Timestamp) -> float:
    """The least-squares straight line through ``values`` (indexed by timestamps) evaluated at ``at``;
    the latest value when there are fewer than two."""
    if len(values) < 2:
        return float(values.iloc[-1])
    days = (values.index - values.index[0]).total_seconds().to_numpy() / 86400
    slope, intercept = np.polyfit(days, values.to_numpy(dtype=float), 1)
    return float(intercept + slope * (at - values.index[0]).total_seconds() / 86400)

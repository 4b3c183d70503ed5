"""The year's clock and the one status rule (geo.status)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import ValidationError
from geo.patrol import PresenceCube, centre_totals
from geo.status import (STATUS_NAMES, STATUSES, YearClock, elapsed_share, programme_status, projected_level,
                        rounds_status, share_status, total_status)
from geo.timestamps import LOCAL_TZ

RUNNING = YearClock(2020, date(2020, 6, 30), False)
OVER = YearClock.whole(2020)


def at(day: date) -> YearClock:
    """The clock while ``day``'s year runs (counted up to ``day``)."""
    return YearClock(day.year, day, False)


# --- the year's clock ----------------------------------------------------------------------------

def test_elapsed_share_counts_local_days_including_as_of():
    assert elapsed_share(2020, date(2020, 1, 1)) == pytest.approx(1 / 366)
    assert elapsed_share(2020, date(2020, 6, 30)) == pytest.approx(182 / 366)
    assert elapsed_share(2020, date(2020, 7, 1)) == pytest.approx(0.5)  # leap year: 183 of 366
    assert elapsed_share(2021, date(2021, 7, 2)) == pytest.approx(183 / 365)
    assert elapsed_share(2020, date(2020, 12, 31)) == 1.0 == elapsed_share(2021, date(2021, 12, 31))
    assert elapsed_share(2020, date(2019, 12, 31)) == 0.0 and elapsed_share(2020, date(2021, 3, 1)) == 1.0


def test_the_clock_defaults_to_the_years_end_or_today_and_the_year_is_over_only_after_its_last_day():
    assert YearClock.at(2020, None, date(2026, 12, 1)) == YearClock(2020, date(2020, 12, 31), True)
    assert YearClock.at(2026, None, date(2026, 12, 1)) == YearClock(2026, date(2026, 12, 1), False)
    new_years_eve = YearClock.at(2026, None, date(2026, 12, 31))
    assert not new_years_eve.over and new_years_eve.elapsed == pytest.approx(1 - 0.5 / 365), \
        "on 31 December the day still runs: it counts half"
    assert YearClock.at(2026, date(2026, 12, 31), date(2027, 1, 1)).over
    assert YearClock.at(2020, date(2020, 6, 30), date(2026, 1, 1)) == RUNNING, "an earlier date of a past year runs"
    assert OVER.elapsed == 1.0 and OVER.year_end == pd.Timestamp("2021-01-01", tz=LOCAL_TZ)


@pytest.mark.parametrize("year, as_of, field", [(2027, None, "year"), (2026, date(2025, 5, 1), "as_of"),
                                                (2026, date(2026, 12, 2), "as_of")])
def test_the_clock_refuses_a_year_not_begun_a_date_outside_the_year_or_in_the_future(year, as_of, field):
    with pytest.raises(ValidationError) as caught:
        YearClock.at(year, as_of, date(2026, 12, 1))
    assert caught.value.field == field


# --- status rules --------------------------------------------------------------------------------

PRO_RATA_900_ON_30_JUNE = 900 * 182 / 366  # 447.5 h


def test_presence_against_900_hours_on_both_sides_of_the_pro_rata_line():
    assert PRO_RATA_900_ON_30_JUNE == pytest.approx(447.54, abs=0.01)
    assert total_status(400, 900, RUNNING) == "behind", "400 h by 30 June is under 447.5 h pro rata"
    assert total_status(PRO_RATA_900_ON_30_JUNE - 0.1, 900, RUNNING) == "behind"
    assert total_status(PRO_RATA_900_ON_30_JUNE + 0.1, 900, RUNNING) == "on track"
    assert total_status(450, 900, RUNNING) == "on track"
    assert total_status(900, 900, RUNNING) == "met", "met as soon as the target is reached"
    assert total_status(950, 900, OVER) == "met"
    assert total_status(899.9, 900, OVER) == "not met", "short of target at year end"
    assert total_status(899.9, 900, at(date(2020, 12, 31))) == "on track", "not over while the last day runs"
    assert total_status(0, 900, at(date(2020, 1, 1))) == "behind"


def test_removal_rounds_two_a_year():
    march, august = at(date(2020, 3, 31)), at(date(2020, 8, 31))
    assert rounds_status(0, 2, march) == "on track", "no round is due yet in March"
    assert rounds_status(0, 2, august) == "behind", "one round is due by mid-year"
    assert rounds_status(1, 2, august) == "on track"
    assert rounds_status(2, 2, august) == "met" == rounds_status(3, 2, march)
    assert rounds_status(1, 2, OVER) == "not met" and rounds_status(2, 2, OVER) == "met"
    # the first round falls due exactly at mid-year (1 July in a leap year), not a day before
    assert rounds_status(0, 2, at(date(2020, 6, 30))) == "on track"
    assert rounds_status(0, 2, at(date(2020, 7, 1))) == "behind"


def test_share_status_of_reports_closed_in_time():
    assert share_status(None, 0.9, RUNNING) == "not measurable yet" == share_status(None, 0.9, OVER)
    assert share_status(0.95, 0.9, RUNNING) == "on track" and share_status(0.95, 0.9, OVER) == "met"
    assert share_status(0.9, 0.9, RUNNING) == "on track", "exactly the target keeps to it"
    assert share_status(0.85, 0.9, RUNNING) == "behind" and share_status(0.85, 0.9, OVER) == "not met"


def monthly(values: list[float | None], year: int = 2020) -> pd.Series:
    moments = pd.date_range(f"{year}-02-01", periods=len(values), freq="MS", tz=LOCAL_TZ)
    return pd.Series(values, index=moments, dtype=float)


def test_the_lighting_trend_is_projected_to_the_years_end():
    rising = monthly([0.50, 0.56, 0.62])  # +0.06 a month: well above 0.8 by the year's end
    falling = monthly([0.70, 0.68, 0.66])
    assert projected_level(rising, OVER.year_end) > 0.8 > projected_level(falling, OVER.year_end)
    assert projected_level(monthly([0.5]), OVER.year_end) == 0.5, "one value: no trend"


def test_a_programme_is_met_once_adopted_and_on_track_until_its_day():
    adopt_by, adopted = date(2020, 11, 30), date(2020, 11, 24)
    assert programme_status(adopt_by, adopted, at(date(2020, 11, 24))) == "met"
    assert programme_status(adopt_by, adopted, at(date(2020, 11, 23))) == "on track", "adopted later than the day measured"
    assert programme_status(adopt_by, None, at(date(2020, 11, 30))) == "on track"
    assert programme_status(adopt_by, None, at(date(2020, 12, 1))) == "behind", "past the day it was to be adopted by"
    assert programme_status(None, None, RUNNING) == "behind", "no programme, no day: behind"
    assert programme_status(adopt_by, None, OVER) == "not met"
    assert programme_status(adopt_by, date(2021, 2, 1), OVER) == "not met", "adopted after the year"
    assert programme_status(adopt_by, adopted, OVER) == "met"

def test_projected_level_is_the_least_squares_line():
    start = pd.Timestamp("2020-03-01", tz=LOCAL_TZ)
    values = pd.Series([0.1, 0.2], index=[start, start + pd.Timedelta(days=10)])
    assert projected_level(values, start + pd.Timedelta(days=20)) == pytest.approx(0.3)
    noisy = pd.Series([0.1, 0.3, 0.2], index=[start + pd.Timedelta(days=d) for d in (0, 10, 20)])
    assert projected_level(noisy, start + pd.Timedelta(days=30)) == pytest.approx(0.3)  # slope 0.005/day
    assert projected_level(values.iloc[:1], OVER.year_end) == 0.1


def test_every_status_has_a_swedish_name():
    assert set(STATUS_NAMES) == set(STATUSES) and all(STATUS_NAMES.values())


RANK = {"not met": 0, "behind": 1, "on track": 2, "met": 3}
days_2020 = st.integers(0, 365).map(lambda d: date(2020, 1, 1) + timedelta(days=d))
clocks = st.builds(YearClock, st.just(2020), days_2020, st.booleans()).filter(
    lambda c: not c.over or c.as_of == date(2020, 12, 31))


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 2000), st.floats(0, 2000), st.floats(1, 2000), clocks)
def test_total_status_is_monotone_in_value(a, b, target, clock):
    low, high = sorted((a, b))
    assert RANK[total_status(low, target, clock)] <= RANK[total_status(high, target, clock)]
    assert total_status(high, target, clock) in STATUSES


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6), st.integers(1, 6), days_2020, days_2020)
def test_rounds_status_never_improves_as_the_year_goes_on(rounds, target, a, b):
    early, late = at(min(a, b)), at(max(a, b))
    assert RANK[rounds_status(rounds, target, early)] >= RANK[rounds_status(rounds, target, late)]
    assert RANK[rounds_status(rounds, target, late)] <= RANK[rounds_status(rounds + 1, target, late)]


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 3), days_2020, st.booleans())
def test_the_centres_presence_takes_its_status_from_the_one_rule(hours_per_day, as_of, over):
    """centre_totals (coverage, maps) and total_status (tracker) agree on every day, 31 December included."""
    clock = YearClock(2020, as_of, over and as_of == date(2020, 12, 31))
    presence = np.zeros((2, 366, 24))
    presence[0, :, 20] = hours_per_day * 3600
    cube = PresenceCube(2020, ["a"], presence, presence.copy(), np.zeros_like(presence), np.zeros_like(presence))
    totals = centre_totals(cube, clock, 900.0)
    assert totals["status"] == total_status(totals["presence_h"], 900.0, clock)
    assert totals["expected_h_pro_rata"] == pytest.approx(900.0 * clock.elapsed)
    assert centre_totals(cube, clock)["status"] is None, "no target, no status"

"""Outcome indicators per zone and year, and their change against the previous year."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from geo.layers import FAULT_CATEGORIES, INCIDENT_CATEGORIES, INCIDENTS, REPORTS, validate
from geo.outcomes import (ALL, CENTRE, COLUMNS, centre_indicators, counted_days, outcome_indicators,
                          poisson_rate_ratio, suppress_citizen_counts, unplaced_incidents,
                          with_changes)
from geo.survey import year_changes


def _inside(zones, zone_ids):
    inside = zones.set_index("zone_id").geometry.representative_point()
    return inside[zone_ids].x.to_numpy(), inside[zone_ids].y.to_numpy()


def _incidents(block_zones, rows):
    """rows: (zone a/b/outside, local time, category, precision)."""
    where = [r[0] for r in rows]
    lon, lat = _inside(block_zones, [w if w != "out" else "a" for w in where])
    lon = np.where(np.array(where) == "out", lon + 0.1, lon)
    return validate(INCIDENTS, pd.DataFrame({
        "id": [f"i{k}" for k in range(len(rows))], "occurred_at": [r[1] for r in rows],
        "category": [r[2] for r in rows], "location_precision": [r[3] for r in rows], "lon": lon, "lat": lat}), "t")


def _reports(block_zones, rows):
    """rows: (zone, local time, category)."""
    lon, lat = _inside(block_zones, [r[0] for r in rows])
    unsafe = [r[2] == "unsafe_place" for r in rows]
    return validate(REPORTS, pd.DataFrame({
        "id": [f"r{k}" for k in range(len(rows))], "created_at": [r[1] for r in rows], "category": [r[2] for r in rows],
        "when": ["night" if u else None for u in unsafe], "why": ["lighting" if u else None for u in unsafe],
        "lon": lon, "lat": lat}), "t")


@pytest.fixture
def layers(block_zones):
    incidents = _incidents(block_zones, [
        ("a", "2020-05-01T12:00", "stöld", "exact"), ("a", "2021-05-01T12:00", "stöld", "street"),
        ("a", "2021-06-01T12:00", "stöld", "exact"), ("a", "2021-07-01T12:00", "rån", "exact"),
        ("b", "2021-01-01T00:30", "misshandel", "exact"),  # local 2021, UTC 2020
        ("a", "2021-02-01T12:00", "stöld", "town"), ("a", "2020-02-01T12:00", "stöld", "county"),
        ("out", "2021-02-01T12:00", "stöld", "exact")])
    reports = _reports(block_zones, [
        ("a", "2021-03-01T12:00", "graffiti"), ("a", "2021-03-02T12:00", "graffiti"),
        ("b", "2020-03-01T12:00", "unsafe_place"), ("b", "2021-03-01T12:00", "unsafe_place"),
        ("b", "2021-04-01T12:00", "litter")])
    return incidents, reports


def _value(frame, zone_id, year, indicator, category):
    row = frame[(frame.zone_id == zone_id) & (frame.year == year) & (frame.indicator == indicator)
                & (frame.category == category)]
    assert len(row) == 1
    return row.iloc[0]


def test_counts_per_zone_year_and_category(block_zones, layers):
    outcomes = outcome_indicators(*layers, block_zones, [2020, 2021])
    assert tuple(outcomes.columns) == COLUMNS
    assert _value(outcomes, "a", 2021, "incidents", "stöld")["value"] == 2  # exact and street; town apart
    assert _value(outcomes, "a", 2021, "incidents", "rån")["value"] == 1
    assert _value(outcomes, "a", 2021, "incidents", ALL)["value"] == 3
    assert _value(outcomes, "b", 2021, "incidents", "misshandel")["value"] == 1  # the local year
    assert _value(outcomes, "b", 2020, "incidents", ALL)["value"] == 0
    assert _value(outcomes, "a", 2021, "reports", "graffiti")["value"] == 2
    assert _value(outcomes, "b", 2021, "reports", ALL)["value"] == 1  # unsafe places are not fault reports
    assert _value(outcomes, "b", 2021, "unsafe_places", ALL)["value"] == 1
    assert _value(outcomes, "a", 2020, "incidents", ALL)["days"] == 366
    # every zone, year and category is there, zeros included; no survey without a survey
    per_zone_year = len(INCIDENT_CATEGORIES) + 1 + len(FAULT_CATEGORIES) + 1 + 1
    assert len(outcomes) == 2 * 2 * per_zone_year
    assert "survey" not in set(outcomes["indicator"])
    assert list(outcomes["zone_id"].unique()) == ["a", "b"]


def test_town_and_county_incidents_are_counted_apart(block_zones, layers):
    unplaced = unplaced_incidents(layers[0], [2020, 2021])
    assert unplaced.to_dict("index") == {2020: {"town": 0, "county": 1}, 2021: {"town": 1, "county": 0}}
    outcomes = outcome_indicators(*layers, block_zones, [2020, 2021])
    placed = outcomes[(outcomes.indicator == "incidents") & (outcomes.category == ALL)]["value"].sum()
    assert placed == 5  # of 8: two centroid-placed, one outside the zones


def test_a_year_in_progress_compares_with_the_same_part_of_the_year_before(block_zones, layers):
    assert counted_days(2021, date(2021, 1, 31)) == 31 and counted_days(2020, date(2021, 3, 31)) == 91
    assert counted_days(2021, date(2020, 2, 29)) == 59 and counted_days(2020, None) == 366
    outcomes = outcome_indicators(*layers, block_zones, [2020, 2021], as_of=date(2021, 5, 31))
    assert set(outcomes[outcomes.year == 2021]["days"]) == {151.0}
    assert set(outcomes[outcomes.year == 2020]["days"]) == {152.0}
    assert _value(outcomes, "a", 2021, "incidents", "stöld")["value"] == 1  # 1 May, not 1 June
    assert _value(outcomes, "a", 2020, "incidents", "stöld")["value"] == 1  # 1 May 2020
    assert _value(outcomes, "b", 2021, "reports", "litter")["value"] == 1  # 1 April


def test_survey_rows_when_a_survey_is_given(block_zones, layers):
    survey = pd.DataFrame({"year": [2020, 2021, 2021], "area": ["a", "a", "centrum"],
                           "question": ["otrygg-kvall"] * 3, "question_text": ["Känner dig otrygg på kvällen"] * 3,
                           "share": [0.40, 0.30, 0.35], "answers": [600, 600, 1200], "low": [0.36, 0.26, 0.32],
                           "high": [0.44, 0.34, 0.38]})
    outcomes = with_changes(outcome_indicators(*layers, block_zones, [2020, 2021], survey=survey))
    row = _value(outcomes, "a", 2021, "survey", "otrygg-kvall")
    assert row["value"] == 0.30 and row["answers"] == 600 and row["low"] == 0.26
    assert row["change"] == pytest.approx(-0.10)
    assert row["relative_change"] == pytest.approx(-0.25)
    assert np.isnan(row["p_value"]) and row["beyond_noise"] is True  # Newcombe's interval: −0.15 to −0.05
    same = year_changes(survey.iloc[:2].assign(source="t"))["within_noise"].iloc[1]
    assert row["beyond_noise"] is (not same)  # the survey's own rule
    assert _value(outcomes, CENTRE, 2021, "survey", "otrygg-kvall")["beyond_noise"] is None  # no year before
    assert "centrum" not in set(outcomes["zone_id"])  # the survey's whole centre is the centre's rows


def test_changes_against_the_previous_year(block_zones, layers):
    outcomes = with_changes(outcome_indicators(*layers, block_zones, [2020, 2021]))
    stolen = _value(outcomes, "a", 2021, "incidents", "stöld")
    assert (stolen["previous"], stolen["change"]) == (1, 1)
    assert stolen["relative_change"] == pytest.approx(2 * 366 / 365 - 1)  # per day: 2020 had 366
    assert stolen["ratio_low"] < 1 < stolen["ratio_high"]
    assert stolen["beyond_noise"] is False
    first = _value(outcomes, "a", 2020, "incidents", "stöld")
    assert np.isnan(first["previous"]) and first["beyond_noise"] is None
    none = _value(outcomes, "b", 2021, "incidents", "rån")
    assert none["change"] == 0 and none["beyond_noise"] is None and np.isnan(none["p_value"])
    new = _value(outcomes, "a", 2021, "reports", "graffiti")
    assert np.isnan(new["relative_change"]) and new["ratio_high"] == np.inf


def test_a_large_drop_is_beyond_noise_and_a_small_one_is_not():
    ratio, low, high, p = poisson_rate_ratio(np.array([120, 12]), np.array([365, 365]), np.array([60, 9]),
                                             np.array([365, 365]))
    assert ratio == pytest.approx([0.5, 0.75])
    assert p[0] < 0.001 and high[0] < 1
    assert p[1] > 0.05 and low[1] < 1 < high[1]


@settings(max_examples=60, deadline=None)
@given(n0=st.integers(0, 200), n1=st.integers(0, 200), d0=st.integers(1, 366), d1=st.integers(1, 366))
def test_the_poisson_test_is_scipys_exact_binomial_test(n0, n1, d0, d1):
    """The vectorised test equals scipy's binomtest of n1 of n0 + n1 at d1 / (d0 + d1) (doubled
    one-sided tails; Clopper–Pearson interval, turned into a rate ratio)."""
    ratio, low, high, p = (float(v[0]) for v in poisson_rate_ratio([n0], [d0], [n1], [d1]))
    if n0 + n1 == 0:
        assert np.isnan(p) and np.isnan(ratio)
        return
    share = d1 / (d0 + d1)
    test = stats.binomtest(n1, n0 + n1, share)
    one_sided = min(stats.binomtest(n1, n0 + n1, share, alternative=a).pvalue for a in ("less", "greater"))
    assert p == pytest.approx(min(1.0, 2 * one_sided), rel=1e-6, abs=1e-12)
    interval = test.proportion_ci(confidence_level=0.95, method="exact")
    odds = d0 / d1
    assert low == pytest.approx(interval.low / (1 - interval.low) * odds, rel=1e-6, abs=1e-12)
    if interval.high < 1:
        assert high == pytest.approx(interval.high / (1 - interval.high) * odds, rel=1e-6)
    else:
        assert high == np.inf
    if n0 > 0:
        assert ratio == pytest.approx(n1 / d1 / (n0 / d0))
        assert (p < 0.05) == (not low <= 1 <= high)  # the interval excludes 1 iff p < 0.05




def test_a_year_without_any_record_of_a_layer_has_no_data(block_zones, layers):
    """2019 holds no incident and no report: NaN, not 0, so 2020 has no change against it."""
    outcomes = with_changes(outcome_indicators(*layers, block_zones, [2019, 2020]))
    assert outcomes[outcomes.year == 2019]["value"].isna().all()
    first = _value(outcomes, "a", 2020, "incidents", ALL)
    assert first["value"] == 1 and np.isnan(first["previous"]) and first["beyond_noise"] is None
    centre = centre_indicators(outcome_indicators(*layers, block_zones, [2019, 2020]))
    assert centre[centre.year == 2019]["value"].isna().all()


def _citizen_frame(zone_values: dict[str, dict[str, int]]) -> pd.DataFrame:
    """Reports of 2021 (and none of 2020, with data) per zone and category: a with_changes frame
    with the centre's rows."""
    rows = [{"zone_id": zone, "year": year, "indicator": "reports", "category": category,
             "value": values.get(category, 0) if year == 2021 else 0, "days": 365.0}
            for zone, values in zone_values.items() for year in (2020, 2021)
            for category in ("graffiti", "weeds")]
    frame = pd.DataFrame(rows)
    totals = frame.groupby(["zone_id", "year"], sort=False).agg(value=("value", "sum"), days=("days", "first"))
    frame = pd.concat([frame, totals.reset_index().assign(indicator="reports", category=ALL)], ignore_index=True)
    frame = frame.reindex(columns=list(COLUMNS))
    return with_changes(pd.concat([frame, centre_indicators(frame)], ignore_index=True))


def test_citizens_counts_below_k_are_suppressed_with_what_gives_them_away():
    public = suppress_citizen_counts(_citizen_frame({"a": {"graffiti": 5, "weeds": 1}, "b": {"graffiti": 4},
                                                     "c": {"graffiti": 2, "weeds": 2}}), 3)

    def row(zone, category, year=2021):
        return public[(public.zone_id == zone) & (public.category == category) & (public.year == year)].iloc[0]

    assert row("a", ALL)["value"] == 6
    assert np.isnan(row("a", "weeds")["value"]) and row("a", "weeds")["beyond_noise"] is None
    # the zone's total is shown, so the suppressed weeds (1) would be total − shown graffiti: both go
    assert np.isnan(row("a", "graffiti")["value"]) and not row("a", "graffiti")["shown"]
    assert row("b", ALL)["value"] == 4 and np.isnan(row("b", "weeds")["value"])  # 0 is suppressed too
    assert row("b", "graffiti")["value"] == 4
    # c's total (4) is shown, its two categories of 2 are not
    assert row("c", ALL)["value"] == 4 and np.isnan(row("c", "graffiti")["value"])
    assert row(CENTRE, ALL)["value"] == 14  # the centre's total is at least k
    assert np.isnan(row("a", ALL, 2020)["value"])  # a zero the year before is suppressed …
    assert np.isnan(row("a", ALL)["previous"]) and np.isnan(row("a", ALL)["change"])  # … and every figure from it
    exact = suppress_citizen_counts(_citizen_frame({"a": {"graffiti": 5, "weeds": 1}}), None)
    assert exact["shown"].all() and exact[(exact.zone_id == "a") & (exact.category == "weeds")]["value"].tolist() == [0, 1]


def test_a_zone_total_that_would_give_away_a_suppressed_zone_is_suppressed():
    """Centre 12 = a 6 + b 5 + c 1: c is suppressed, and 12 − 6 − 5 = 1 would show it, so b (the
    smallest shown) goes too, and with it b's categories."""
    public = suppress_citizen_counts(_citizen_frame({"a": {"graffiti": 6}, "b": {"graffiti": 5},
                                                     "c": {"graffiti": 1}}), 3)
    totals = public[(public.category == ALL) & (public.year == 2021)].set_index("zone_id")["value"]
    assert totals["a"] == 6 and np.isnan(totals["b"]) and np.isnan(totals["c"]) and totals[CENTRE] == 12
    graffiti = public[(public.category == "graffiti") & (public.year == 2021)].set_index("zone_id")["value"]
    assert np.isnan(graffiti["b"])


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=5),
       k=st.integers(1, 4))
def test_no_suppressed_count_can_be_worked_out_from_the_totals(counts, k):
    """Whatever the counts: every shown count is at least k (the centre's too), and along every
    line with a shown total — a zone's or the centre's categories against its ``all``, the zones
    against the centre in each category and in ``all`` — what the shown counts leave over is 0 or
    at least k."""
    frame = suppress_citizen_counts(_citizen_frame({f"z{i}": {"graffiti": g, "weeds": w}
                                                    for i, (g, w) in enumerate(counts)}), k)
    year = frame[frame.year == 2021]
    assert (year.loc[year["shown"], "value"] >= k).all()
    table = year.pivot(index="zone_id", columns="category", values="value")
    lines = [(table.loc[zone, ALL], table.loc[zone].drop(ALL)) for zone in table.index]
    lines += [(table.loc[CENTRE, category], table[category].drop(CENTRE)) for category in table.columns]
    for total, parts in lines:
        if not np.isnan(total):
            left = total - parts.sum()  # NaN (hidden) parts left out
            assert left == 0 or left >= k


def test_a_category_suppressed_in_one_zone_is_not_the_centre_minus_the_others():
    """Graffiti: a 2 (hidden), b 8, centre 10 — 10 − 8 would give a's 2 away, so b's graffiti goes
    too; and a centre-wide count below k is hidden like any other."""
    public = suppress_citizen_counts(_citizen_frame({"a": {"graffiti": 2, "weeds": 9}, "b": {"graffiti": 8, "weeds": 1}}), 5)
    table = public[public.year == 2021].pivot(index="zone_id", columns="category", values="value")
    assert np.isnan(table.loc["a", "graffiti"]) and np.isnan(table.loc["b", "graffiti"])
    assert table.loc[CENTRE, "graffiti"] == 10 and table.loc[CENTRE, ALL] == 20
    assert np.isnan(table.loc[CENTRE, "weeds"]) or table.loc[CENTRE, "weeds"] == 10
    few = suppress_citizen_counts(_citizen_frame({"a": {"graffiti": 1}, "b": {"graffiti": 1}}), 3)
    assert few.loc[(few.year == 2021) & (few.zone_id == CENTRE), "value"].isna().all()

"""Outcome indicators per zone and year: what the promise is for (fewer crimes, a safer centre),
beside the outputs the tracker measures (hours, rounds, lamps). Pure functions: frames in, frames out.

The indicators, one row per zone, year, indicator and category (a *long* frame, :data:`COLUMNS`):

- ``incidents``: incidents per category (:data:`geo.layers.INCIDENT_CATEGORIES`) and ``all``,
  placed in a zone — only those with a usable position (:data:`geo.layers.USABLE_PRECISION`);
  town- and county-level incidents are counted apart (:func:`unplaced_incidents`), never placed;
- ``reports``: citizens' fault reports per category (:data:`geo.layers.FAULT_CATEGORIES`) and ``all``;
- ``unsafe_places``: unsafe-place marks (reports of category ``unsafe_place``), category ``all``;
- ``survey``: the share of respondents per question (category = the question's code), with the
  number of answers and its interval, when a survey frame is given.

:func:`with_changes` adds the change against the previous year and whether it is larger than
chance would give. Counts are compared as Poisson rates per day of the period counted: given the
two years' counts ``n0`` and ``n1`` over ``d0`` and ``d1`` days, ``n1`` is binomial with
``n0 + n1`` trials and probability ``d1 / (d0 + d1)`` when the rate did not change (the exact
conditional test for the ratio of two Poisson rates). The p-value is the doubled smaller tail
(``scipy.stats.binom``) and the interval of the rate ratio comes from the Clopper–Pearson interval
of that probability (``scipy.stats.beta``), so the interval excludes 1 exactly when the p-value is
below ``1 − level``; a change of counts is "beyond noise" when p is below ``1 − level``. Survey
shares follow the survey's own rule (:func:`geo.survey.year_changes`): beyond noise when
Newcombe's 95 % interval of the change, from the answer counts, does not hold 0. Either says the
change is larger than chance would give, not why.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats

from geo.layers import FAULT_CATEGORIES, INCIDENT_CATEGORIES, USABLE_PRECISION
from geo.publish import shown_in_table
from geo.survey import CENTRE as SURVEY_CENTRE, RESULT_COLUMNS, year_changes
from geo.timestamps import LOCAL_TZ, local_day_end, local_year
from geo.zones import zone_of

ALL = "all"
"""The category of a row that counts every category of its indicator."""
INDICATORS = ("incidents", "reports", "unsafe_places", "survey")
"""The outcome indicators, in the order they are shown."""
COUNT_INDICATORS = INDICATORS[:3]
"""The indicators that are counts of records (compared as Poisson rates)."""
COLUMNS = ("zone_id", "year", "indicator", "category", "value", "days", "answers", "low", "high")
"""The columns of :func:`outcome_indicators`: ``value`` a count or a share (0–1), ``days`` the
days counted (counts only), ``answers``, ``low`` and ``high`` the survey's (shares only)."""
SURVEY_COLUMNS = tuple(column for column in RESULT_COLUMNS if column != "source")
"""The columns of a survey frame (the survey import's without its source): a share of respondents
per year, area (a zone id, or :data:`geo.survey.CENTRE` for the whole centre) and question."""


def counted_days(year: int, as_of: date | None = None) -> int:
    """The local days of ``year`` counted: all of them, or (``as_of``) those up to and including
    the same day of the year as ``as_of`` (the 28th of February for the 29th in another year)."""
    start, end = local_year(year)
    if as_of is not None:
        end = local_day_end(_same_day(year, as_of))
    return int(round((end - start) / pd.Timedelta(days=1)))


def _same_day(year: int, day: date) -> date:
    """``day``'s month and day in ``year`` (the 29th of February becomes the 28th)."""
    return (pd.Timestamp(day) + pd.DateOffset(years=year - day.year)).date()


def year_to_date(frame: pd.DataFrame, time_field: str, as_of: date | None) -> pd.DataFrame:
    """The rows of ``frame`` whose local time in ``time_field`` falls on or before ``as_of``'s
    month and day in its own year (all rows when ``as_of`` is None): every year counted over the
    same part of the year, so a year in progress compares with the same part of the years before."""
    if as_of is None:
        return frame
    local = frame[time_field].dt.tz_convert(LOCAL_TZ)
    return frame[(local.dt.month * 100 + local.dt.day <= as_of.month * 100 + as_of.day).to_numpy()]


def local_years(times: pd.Series) -> np.ndarray:
    """The local (Europe/Stockholm) year of each UTC time, as integers."""
    return times.dt.tz_convert(LOCAL_TZ).dt.year.to_numpy()


def _counted(zone_ids: np.ndarray, years: np.ndarray, categories: np.ndarray, zones: gpd.GeoDataFrame,
             wanted_years: list[int], category_list: tuple[str, ...], indicator: str, days: dict[int, int],
             with_all: bool = True) -> pd.DataFrame:
    """Records (their zone, year and category; ``years`` of every record of the layer, in a zone
    or not) counted per zone, year and category, every combination present (zero included), with
    ``all`` per zone and year when ``with_all``; NaN in a year without any record of the layer."""
    keys = pd.DataFrame({"zone_id": zone_ids, "year": years, "category": categories})
    keys = keys[keys["zone_id"].notna() & keys["year"].isin(wanted_years) & keys["category"].isin(category_list)]
    index = pd.MultiIndex.from_product([zones["zone_id"], wanted_years, category_list],
                                       names=["zone_id", "year", "category"])
    counts = keys.groupby(["zone_id", "year", "category"]).size().reindex(index, fill_value=0).rename("value")
    frame = counts.reset_index()
    if with_all:
        total = frame.groupby(["zone_id", "year"], sort=False)["value"].sum().reset_index().assign(category=ALL)
        frame = pd.concat([frame, total], ignore_index=True)
    observed = frame["year"].isin(np.unique(years))  # a year without a single record of the layer has no data
    return frame.assign(indicator=indicator, days=frame["year"].map(days).astype(float),
                        value=frame["value"].where(observed))


def outcome_indicators(incidents: gpd.GeoDataFrame, reports: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                       years: list[int], survey: pd.DataFrame | None = None,
                       as_of: date | None = None) -> pd.DataFrame:
    """The outcome indicators of ``years`` per zone (a long frame of :data:`COLUMNS`, sorted by
    zone in ``zones``' order, year, indicator and category).

    ``incidents`` and ``reports`` are the layers' frames (WGS84) of the whole years. ``as_of``
    (a date): every year is counted from its first day up to the same day of the year
    (:func:`year_to_date`; ``days`` says how many days), so a year in progress compares with the
    same part of the year before; None: whole years. A year in
    which a layer has no record at all (anywhere, of any precision) has no data: its values are
    NaN, not 0, so a change is never measured against a year before the data begins. Zones are
    assigned with :func:`geo.zones.zone_of` in one vectorised pass per layer; records outside the
    zones and incidents without a usable position are left out (see :func:`unplaced_incidents`).
    ``survey``: a frame of :data:`SURVEY_COLUMNS` (None: no survey rows); its ``area`` becomes the
    ``zone_id``, the whole centre's (:data:`geo.survey.CENTRE`) :data:`CENTRE`.
    """
    years = sorted(set(years))
    days = {year: counted_days(year, as_of) for year in years}
    incidents = year_to_date(incidents, "occurred_at", as_of)
    reports = year_to_date(reports, "created_at", as_of)
    placed = incidents["location_precision"].isin(USABLE_PRECISION).to_numpy()
    where = np.full(len(incidents), None, dtype=object)
    where[placed] = zone_of(zones, incidents.geometry.x.to_numpy()[placed], incidents.geometry.y.to_numpy()[placed])
    frames = [_counted(where, local_years(incidents["occurred_at"]), incidents["category"].to_numpy(dtype=object),
                       zones, years, INCIDENT_CATEGORIES, "incidents", days)]
    report_zones = zone_of(zones, reports.geometry.x.to_numpy(), reports.geometry.y.to_numpy())
    report_years = local_years(reports["created_at"])
    categories = reports["category"].to_numpy(dtype=object)
    frames.append(_counted(report_zones, report_years, categories, zones, years, FAULT_CATEGORIES, "reports", days))
    frames.append(_counted(report_zones, report_years, np.where(categories == "unsafe_place", ALL, None), zones,
                           years, (ALL,), "unsafe_places", days, with_all=False))
    if survey is not None:
        answers = survey[survey["year"].isin(years)]
        frames.append(pd.DataFrame({"zone_id": answers["area"].replace({SURVEY_CENTRE: CENTRE}).to_numpy(dtype=object),
                                    "year": answers["year"].astype(int).to_numpy(), "indicator": "survey",
                                    "category": answers["question"].to_numpy(dtype=object),
                                    "value": answers["share"].astype(float).to_numpy(),
                                    "answers": answers["answers"].astype(float).to_numpy(),
                                    "low": answers["low"].astype(float).to_numpy(),
                                    "high": answers["high"].astype(float).to_numpy()}))
    frame = pd.concat(frames, ignore_index=True).reindex(columns=list(COLUMNS))
    order = {zone_id: i for i, zone_id in enumerate(zones["zone_id"])}
    frame = frame.assign(_zone=frame["zone_id"].map(order).fillna(len(order)),
                         _indicator=frame["indicator"].map({name: i for i, name in enumerate(INDICATORS)}),
                         _all=frame["category"] == ALL)
    frame = frame.sort_values(["_zone", "zone_id", "year", "_indicator", "_all"], kind="stable")
    return frame.drop(columns=["_zone", "_indicator", "_all"]).reset_index(drop=True)


def unplaced_incidents(incidents: gpd.GeoDataFrame, years: list[int]) -> pd.DataFrame:
    """Incidents the police placed only at a town's or county's centroid, per year (rows, every
    year of ``years``) and precision (columns ``town`` and ``county``): counted apart, never in a
    zone — the centroid is not the scene."""
    unplaced = incidents[~incidents["location_precision"].isin(USABLE_PRECISION)]
    counts = pd.crosstab(local_years(unplaced["occurred_at"]), unplaced["location_precision"].to_numpy())
    return counts.reindex(index=sorted(set(years)), columns=["town", "county"], fill_value=0).rename_axis(
        index="year", columns=None).astype(int)


def with_changes(outcomes: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """``outcomes`` (:func:`outcome_indicators`) with the change against the previous year of the
    same zone, indicator and category (None-valued NaN where there is no previous year):

    - ``previous``: the previous year's value; ``change``: value − previous (records, or share points);
    - ``relative_change``: for counts the rate ratio − 1 (per day counted), for shares the relative
      change of the share; NaN when the previous is 0;
    - ``ratio_low``, ``ratio_high``: for counts the ``level`` interval of the rate ratio (exact,
      conditional on the two years' total; see the module); NaN for shares and when both are 0;
    - ``p_value`` (counts) and ``beyond_noise``: whether the change is larger than Poisson noise
      (counts: p < 1 − ``level``) or sampling noise (survey shares: Newcombe's interval of the
      change excludes 0, the survey's rule) would give; ``beyond_noise`` is None where it cannot
      be told (no previous year, nothing counted in either, a share without its answers).
    """
    key = ["zone_id", "indicator", "category"]
    earlier = outcomes[key + ["year", "value", "days", "answers"]].assign(year=outcomes["year"] + 1).rename(
        columns={"value": "previous", "days": "previous_days", "answers": "previous_answers"})
    frame = outcomes.merge(earlier, on=key + ["year"], how="left")
    value, previous = frame["value"].to_numpy(float), frame["previous"].to_numpy(float)
    counts = frame["indicator"].isin(COUNT_INDICATORS).to_numpy() & ~np.isnan(previous)
    alpha = 1 - level
    frame["change"] = value - previous
    ratio, low, high, p_counts = poisson_rate_ratio(previous, frame["previous_days"].to_numpy(float), value,
                                                    frame["days"].to_numpy(float), level)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_relative = np.where(previous > 0, value / previous - 1, np.nan)
    frame["relative_change"] = np.where(counts, ratio - 1, share_relative)
    frame["ratio_low"] = np.where(counts, low, np.nan)
    frame["ratio_high"] = np.where(counts, high, np.nan)
    p_value = np.where(counts, p_counts, np.nan)
    frame["p_value"] = p_value
    beyond = np.where(np.isnan(p_value), None, p_value < alpha)
    within = _survey_within_noise(frame)
    beyond[within.notna().to_numpy()] = ~within.dropna().to_numpy(dtype=bool)
    frame["beyond_noise"] = pd.Series(beyond, dtype=object)
    frame["relative_change"] = frame["relative_change"].replace([np.inf, -np.inf], np.nan)
    return frame.drop(columns=["previous_days", "previous_answers"])


def poisson_rate_ratio(n0: np.ndarray, d0: np.ndarray, n1: np.ndarray, d1: np.ndarray,
                       level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ratio of two Poisson rates, ``(n1 / d1) / (n0 / d0)``, its ``level`` interval and the
    two-sided p-value of "the rate did not change", for whole arrays (the exact conditional test:
    see the module). NaN where both counts are 0 or an input is NaN; the ratio is inf when
    ``n0`` is 0 (and the interval's upper end)."""
    n0, d0, n1, d1 = (np.asarray(a, dtype=float) for a in (n0, d0, n1, d1))
    total = n0 + n1
    valid = ~(np.isnan(total) | np.isnan(d0) | np.isnan(d1)) & (total > 0)
    n = np.where(valid, total, 1)
    k = np.where(valid, n1, 0)
    p = np.where(valid, d1 / (d0 + d1), 0.5)
    odds = d0 / d1
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(n0 > 0, n1 / n0 * odds, np.inf)
        lower_p = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        upper_p = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
        low = lower_p / (1 - lower_p) * odds
        high = np.where(upper_p < 1, upper_p / (1 - upper_p) * odds, np.inf)
    tails = np.minimum(stats.binom.cdf(k, n, p), stats.binom.sf(k - 1, n, p))
    p_value = np.minimum(1.0, 2 * tails)
    nan = np.full(n.shape, np.nan)
    return (np.where(valid, ratio, nan), np.where(valid, low, nan), np.where(valid, high, nan),
            np.where(valid, p_value, nan))


def _survey_within_noise(frame: pd.DataFrame) -> pd.Series:
    """For the survey rows of ``frame`` with a share the year before: whether Newcombe's interval
    of the change holds 0 (:func:`geo.survey.year_changes`, the survey's own rule); NA elsewhere."""
    rows = frame[(frame["indicator"] == "survey") & frame["value"].notna() & (frame["answers"] > 0)]
    result = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    if rows.empty:
        return result
    results = pd.DataFrame({"year": rows["year"].astype(int), "area": rows["zone_id"], "question": rows["category"],
                            "share": rows["value"].astype(float), "answers": rows["answers"].astype(int)})
    changes = year_changes(results)
    last_year = (changes["previous_year"] == changes["year"] - 1).fillna(False).to_numpy(dtype=bool)
    result.loc[rows.index[last_year]] = changes["within_noise"].to_numpy()[last_year]
    return result


CENTRE = "*"
"""The ``zone_id`` of the whole centre's rows (:func:`centre_indicators`): not a zone id (a slug)."""
CITIZEN_INDICATORS = ("reports", "unsafe_places")
"""The indicators counting citizens' records: public counts below k are suppressed."""
INDICATOR_NAMES = {"incidents": "Brott", "reports": "Felanmälningar", "unsafe_places": "Otrygga platser",
                   "survey": "Trygghetsmätning"}
"""The indicators' Swedish names."""


def centre_indicators(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The counts of ``outcomes`` (:func:`outcome_indicators`) summed over the zones: the whole
    centre's rows (``zone_id`` :data:`CENTRE`), in the same columns. Survey rows are not summed."""
    counts = outcomes[outcomes["indicator"].isin(COUNT_INDICATORS) & (outcomes["zone_id"] != CENTRE)]
    grouped = counts.groupby(["year", "indicator", "category"], sort=False)
    summed = pd.DataFrame({"value": grouped["value"].sum(min_count=1), "days": grouped["days"].first()}).reset_index()
    return summed.assign(zone_id=CENTRE).reindex(columns=list(COLUMNS))


def suppress_citizen_counts(changes: pd.DataFrame, k: int | None) -> pd.DataFrame:
    """``changes`` (:func:`with_changes` of zones' and the centre's rows, with the year before the
    first one shown, so its suppression is known) as the public may see them: citizens' counts
    (:data:`CITIZEN_INDICATORS`) below ``k`` become NaN, and so does every figure computed from one
    (the change, the ratio, the test). Each year's counts of an indicator are a table of zones and
    the centre by category and ``all``: :func:`geo.publish.shown_in_table` keeps the zones' and the
    centre's totals from giving a suppressed count away, along rows and columns. A column ``shown``
    says which values are public; ``k`` None (staff): all of them."""
    frame = changes.reset_index(drop=True)
    shown = pd.Series(True, index=frame.index)
    if k is not None:
        citizen = frame[frame["indicator"].isin(CITIZEN_INDICATORS)]
        for _, group in citizen.groupby(["year", "indicator"], sort=False):
            both = group.reset_index().pivot(index="zone_id", columns="category", values=["value", "index"])
            table, where = both["value"], both["index"]
            public = shown_in_table(table, k, CENTRE, ALL)
            cells = where.notna().to_numpy()
            shown.loc[where.to_numpy()[cells].astype(int)] = public.to_numpy()[cells]
    frame["shown"] = shown.to_numpy()
    earlier = frame[["zone_id", "indicator", "category", "year", "shown"]].assign(year=frame["year"] + 1)
    previous_shown = frame[["zone_id", "indicator", "category", "year"]].merge(
        earlier, on=["zone_id", "indicator", "category", "year"], how="left")["shown"].fillna(True).to_numpy(bool)
    both = frame["shown"].to_numpy() & previous_shown
    frame.loc[~frame["shown"], "value"] = np.nan
    frame.loc[~previous_shown, "previous"] = np.nan
    derived = ["change", "relative_change", "ratio_low", "ratio_high", "p_value"]
    frame.loc[~both, derived] = np.nan
    frame.loc[~both, "beyond_noise"] = None
    return frame

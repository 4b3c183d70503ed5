"""Before and after a measure (new lamps in a street, a camera, a patrol change): records in the
affected area against a comparison area over the same periods, as a difference-in-differences
table with its caveats. Pure functions: geometries and frames in, frames and lists out.

**Periods** (:func:`periods`): ``before`` is the ``days`` local days before the measure's date,
``after`` the ``days`` days from it; with ``seasonal`` the same two periods a year earlier as well
(``before_year_earlier``, ``after_year_earlier``), so that the season's own change is taken out.

**The estimate** (:func:`difference_in_differences`): per area the change of the rate per day from
before to after — less the change over the same months a year earlier when seasonal — and the
difference of the two areas' changes, affected minus comparison, once of rates per day and once of
natural log rates (a ratio: exp of it is the factor by which the affected area changed more than
the comparison). Intervals treat each count as Poisson: the variance of a rate is
``n / days²``, of a log rate ``1 / n`` (with ``n`` = 0.5 for a zero count, Haldane's correction),
summed over the cells, with a normal quantile (``scipy.stats.norm``). It is arithmetic on counts,
not a causal claim: :func:`caveats` says what it cannot tell.

**Privacy.** Counts of citizens' records, as the public sees them (:func:`suppress_counts`): a
count below k is hidden, and so is every figure computed from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats

from geo.crs import SWEREF99TM, WGS84
from geo.errors import Message, ValidationError
from geo.publish import suppress_small
from geo.swedish import sv_number
from geo.timestamps import LOCAL_TZ

AREAS = ("affected", "comparison")
"""The two areas, in the table's order."""
PERIODS = ("before", "after", "before_year_earlier", "after_year_earlier")
"""The periods, in the table's order (the last two only when seasonal)."""
MAX_DAYS = 366
"""The longest period (days) on either side of the measure."""
SMALL_COUNT = 10
"""A cell with fewer records than this is a small count (the caveats say so)."""
HOT_FACTOR = 1.5
"""The affected area's rate before the measure this many times its rate a year earlier (seasonal
tables) is a hot period (regression to the mean)."""
PERIOD_NAMES = {"before": "Före", "after": "Efter", "before_year_earlier": "Före, året innan",
                "after_year_earlier": "Efter, året innan"}
"""The periods' Swedish names."""
AREA_NAMES = {"affected": "Åtgärdsområdet", "comparison": "Jämförelseområdet"}
"""The areas' Swedish names."""
ESTIMATE_NAMES = {"rate": "Per dag", "log_rate": "Logaritmerad takt (kvot)"}
"""The estimates' Swedish names."""


def periods(at: date, days: int, seasonal: bool = False) -> pd.DataFrame:
    """The periods around a measure taken on local date ``at``: rows of :data:`PERIODS` (two, or
    four when ``seasonal``) with ``start`` and ``end`` (local midnights, end excluded) and
    ``days``. Before and after are equally long, ``days`` local days each (1 … :data:`MAX_DAYS`)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(Message("the period must be 1 to {most} days, not {days}", most=MAX_DAYS, days=days),
                              field="days")
    rows = []
    for shift, names in ((0, PERIODS[:2]), (1, PERIODS[2:])) if seasonal else ((0, PERIODS[:2]),):
        middle = _year_earlier(at, shift)
        for name, first, last in ((names[0], middle - timedelta(days=days), middle),
                                  (names[1], middle, middle + timedelta(days=days))):
            rows.append({"period": name, "start": pd.Timestamp(first, tz=LOCAL_TZ),
                         "end": pd.Timestamp(last, tz=LOCAL_TZ), "days": days})
    return pd.DataFrame(rows)


def _year_earlier(day: date, years: int) -> date:
    """``day`` ``years`` years earlier (the 29th of February becomes the 28th)."""
    return (pd.Timestamp(day) - pd.DateOffset(years=years)).date()


def affected_area(centre: shapely.Geometry, geometry: shapely.Geometry, buffer_m: float | None = None) -> shapely.Geometry:
    """The affected area (WGS84): ``geometry`` (WGS84: a polygon, or points and lines with
    ``buffer_m``, a buffer in metres drawn in SWEREF 99 TM) clipped to the ``centre`` (WGS84).
    :class:`ValidationError` (field ``area``) when it covers no part of the centre."""
    if buffer_m is not None:
        if not 0 < buffer_m <= 1000:
            raise ValidationError(Message("the buffer must be more than 0 and at most 1,000 m, not {buffer_m}",
                                          buffer_m=buffer_m), field="buffer_m")
        geometry = gpd.GeoSeries([geometry], crs=WGS84).to_crs(SWEREF99TM).buffer(buffer_m).to_crs(WGS84).iloc[0]
    elif shapely.get_dimensions(geometry) < 2:
        raise ValidationError(Message("points and lines need a buffer in metres to be an area"), field="buffer_m")
    area = shapely.intersection(shapely.make_valid(geometry), centre)
    if _area_m2(area) < 1:
        raise ValidationError(Message("the area lies outside the centre"), field="area")
    return area


def comparison_area(centre: shapely.Geometry, affected: shapely.Geometry,
                    geometry: shapely.Geometry | None = None) -> shapely.Geometry:
    """The comparison area (WGS84): ``geometry`` (a zone or a polygon; default: the whole
    ``centre``) clipped to the centre, less the affected area, so the two never overlap.
    :class:`ValidationError` (field ``comparison``) when nothing is left."""
    area = shapely.difference(shapely.intersection(shapely.make_valid(geometry if geometry is not None else centre),
                                                   centre), affected)
    if _area_m2(area) < 1:
        raise ValidationError(Message("the comparison area is empty once the affected area is taken out of it"),
                              field="comparison")
    return area


def _area_m2(geometry: shapely.Geometry) -> float:
    """The area of a WGS84 geometry in m² (SWEREF 99 TM)."""
    return float(gpd.GeoSeries([geometry], crs=WGS84).to_crs(SWEREF99TM).area.iloc[0])


def area_counts(records: gpd.GeoDataFrame, time_field: str, areas: Mapping[str, shapely.Geometry],
                spans: pd.DataFrame) -> pd.DataFrame:
    """``records`` (WGS84 points with ``time_field``) counted per area (``areas``: name → WGS84
    polygon, a point on its boundary inside) and period (``spans``: :func:`periods`): one row per
    area and period, in their orders, with ``count``, ``days``, ``rate_per_day`` and the area's
    ``area_m2`` (SWEREF 99 TM)."""
    x, y = records.geometry.x.to_numpy(), records.geometry.y.to_numpy()
    times = records[time_field]
    rows = []
    for name, geometry in areas.items():
        inside = shapely.intersects_xy(geometry, x, y)
        size = _area_m2(geometry)
        for span in spans.itertuples():
            during = ((times >= span.start) & (times < span.end)).to_numpy(dtype=bool)
            rows.append({"area": name, "period": span.period, "count": int((inside & during).sum()),
                         "days": int(span.days), "area_m2": size})
    table = pd.DataFrame(rows)
    return table.assign(rate_per_day=table["count"] / table["days"])[
        ["area", "period", "count", "days", "rate_per_day", "area_m2"]]


def difference_in_differences(counts: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """The difference-in-differences of a :func:`area_counts` table of the two :data:`AREAS`: rows
    ``rate`` (per day) and ``log_rate`` with ``affected_change``, ``comparison_change``, ``did``
    (affected's change − comparison's) and its ``level`` interval ``low``, ``high`` (see the
    module). Seasonal tables (four periods) take each area's change a year earlier out of its change."""
    cells = counts.set_index(["area", "period"])
    seasonal = "before_year_earlier" in cells.index.get_level_values("period")
    signs = {"before": -1, "after": 1} | ({"before_year_earlier": 1, "after_year_earlier": -1} if seasonal else {})
    n = cells["count"].astype(float)
    days = cells["days"].astype(float)
    z = float(stats.norm.ppf(0.5 + level / 2))
    rows = []
    for kind, value, variance in (("rate", n / days, n / days ** 2),
                                  ("log_rate", np.log(n.where(n > 0, 0.5) / days), 1 / n.where(n > 0, 0.5))):
        change = {area: sum(sign * value[(area, period)] for period, sign in signs.items()) for area in AREAS}
        did = change["affected"] - change["comparison"]
        spread = z * float(np.sqrt(sum(variance[(area, period)] for area in AREAS for period in signs)))
        rows.append({"estimate": kind, "affected_change": change["affected"],
                     "comparison_change": change["comparison"], "did": did, "low": did - spread, "high": did + spread})
    return pd.DataFrame(rows)


def suppress_counts(counts: pd.DataFrame, did: pd.DataFrame, k: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts of citizens' records (:func:`area_counts`) and their ``did``
    (:func:`difference_in_differences`) as the public may see them (k-anonymity,
    :func:`geo.publish.suppress_small`): a count below ``k`` (zero included) and its rate NaN; an
    area's change NaN when one of its counts is, the difference and its interval when any is. No
    total is given beside the cells, so no other figure gives a hidden one back. ``k`` None
    (staff): unchanged."""
    if k is None:
        return counts, did
    shown = np.array([value is not None for value in suppress_small(dict(enumerate(counts["count"])), k).values()],
                     dtype=bool)
    public = counts.assign(count=counts["count"].where(shown), rate_per_day=counts["rate_per_day"].where(shown))
    hidden = [f"{area}_change" for area in AREAS if not shown[(counts["area"] == area).to_numpy()].all()]
    return public, did.assign(**dict.fromkeys(hidden + (["did", "low", "high"] if hidden else []), np.nan))


def caveats(counts: pd.DataFrame, did: pd.DataFrame, k: int | None = None) -> list[str]:
    """What a difference-in-differences of ``counts`` (:func:`area_counts`) and ``did``
    (:func:`difference_in_differences`) cannot tell, as Swedish sentences for the people reading
    it: always that it is not a causal claim, displacement, other changes at the same time and
    regression to the mean — stated from the figures when the affected area's rate before the
    measure was more than :data:`HOT_FACTOR` times its rate a year earlier —, and small counts and
    an interval that holds zero when the figures show them. Public tables (:func:`suppress_counts`
    with ``k``): only the figures shown are read, and hidden counts are said to be fewer than k."""
    cells = counts.set_index(["area", "period"])
    log = did.set_index("estimate").loc["log_rate"]
    notes = ["Jämförelsen visar hur antalet förändrades, inte varför: den är inget bevis för att åtgärden "
             "orsakade förändringen."]
    smallest = cells["count"].min()  # of the counts shown
    if cells["count"].isna().any():
        notes.append(f"Små tal: några räkningar i tabellen är färre än {k} och visas inte, av hänsyn till dem som "
                     "anmält, och inte heller det som räknas fram ur dem. Med så få händelser kan slumpen ensam ge "
                     "stora skillnader.")
    elif smallest < SMALL_COUNT:
        notes.append(f"Små tal: den minsta räkningen i tabellen är {int(smallest)}. Med så få händelser kan slumpen "
                     "ensam ge stora skillnader; se intervallet.")
    if log["low"] <= 0 <= log["high"]:
        notes.append("Intervallet för skillnaden rymmer noll: förändringen kan vara slump.")
    notes.append("Förflyttning: brott och störningar kan ha flyttat till gator intill i stället för att minska, "
                 "och då även påverkat jämförelseområdet.")
    notes.append("Annat som ändrades under samma tid – evenemang, väder, polisens insatser, ombyggnader, hur "
                 "benägna folk är att anmäla – kan förklara skillnaden.")
    rate = cells["rate_per_day"]
    if ("affected", "before_year_earlier") in rate.index and rate[("affected", "before")] > HOT_FACTOR * rate[
            ("affected", "before_year_earlier")]:
        notes.append(f"Återgång mot medelvärdet: före åtgärden var takten i området hög "
                     f"({sv_number(rate[('affected', 'before')], 2)} per dag, mer än {sv_number(HOT_FACTOR)} gånger "
                     "samma tid året innan). Efter en ovanligt intensiv period sjunker antalet ofta av sig självt.")
    else:
        notes.append("Återgång mot medelvärdet: valdes platsen för att det just varit ovanligt mycket där, sjunker "
                     "antalet ofta av sig självt efteråt.")
    return notes

"""Outcome indicators per zone and year (:mod:`geo.outcomes`) and before/after a measure
(:mod:`geo.before_after`), read from the store, for the API, the pages and the command line.

Public answers suppress citizens' counts below k (``STADSKARNA_PRIVACY_MIN_COUNT``): reports and
unsafe-place marks per zone (:func:`geo.outcomes.suppress_citizen_counts`); incidents per zone are
public aggregates, as the tracker's hot spots already show them. In a public before/after the
incidents are counted at their published positions (the centre of their 50 m cell,
:func:`geo.publish.generalise_incidents`), so no area drawn by a caller places one more exactly
than the public layer does, fault reports below k are hidden with every figure computed from
them (:func:`geo.before_after.suppress_counts`), and unsafe-place marks are for staff only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from geo.before_after import (affected_area, area_counts, caveats, comparison_area, difference_in_differences,
                              periods, suppress_counts)
from geo.errors import Message, ValidationError
from geo.layers import FAULT_CATEGORIES, INCIDENTS, REPORT_CATEGORY_NAMES, REPORTS, USABLE_PRECISION
from geo.outcomes import (ALL, CENTRE, CITIZEN_INDICATORS, INDICATOR_NAMES, INDICATORS, SURVEY_COLUMNS, centre_indicators,
                          outcome_indicators, suppress_citizen_counts, unplaced_incidents, with_changes, year_to_date)
from geo.publish import generalise_incidents
from geo.survey import year_figures
from geo.timestamps import LOCAL_TZ, YEARS, local_year
from service.demo import DEMO_META_KEY
from service.settings import PrivacySettings
from service.store import FeatureQuery, Store

LEVEL = 0.95
"""The confidence level of the intervals and the tests (a change "beyond noise" has p < 0.05)."""
METHOD = ("Counts per zone and local year; incidents only with a usable position (exact or street), town- and "
          "county-level ones counted apart. A change of counts is compared as Poisson rates per day counted: "
          "the exact conditional binomial test and the Clopper–Pearson interval of the rate ratio (beyond noise: "
          "p < 0.05); survey shares by Newcombe's 95 % interval of the change (beyond noise: it excludes 0). "
          "Not a causal claim.")
"""How the outcome figures are made, said in every answer."""
BEFORE_AFTER_LAYERS = ("incidents", "reports", "unsafe_places")
"""What a before/after counts: incidents (usable positions), fault reports and unsafe-place marks (staff)."""
STAFF_ONLY_LAYERS = ("unsafe_places",)
"""Layers a public before/after does not count (a small area would locate a citizen's mark)."""


def today() -> date:
    """Today's local date."""
    return pd.Timestamp.now(tz=LOCAL_TZ).date()


def _check_year(year: int) -> None:
    if not YEARS[0] <= year <= today().year:
        raise ValidationError(Message("{year} is not a year with figures ({first}–{last})", year=str(year),
                                      first=str(YEARS[0]), last=str(today().year)), field="year")


def outcome_table(store: Store, zones: gpd.GeoDataFrame, years: Sequence[int], *, min_count: int | None,
                  survey: pd.DataFrame | None = None,
                  as_of: date | None = None) -> tuple[pd.DataFrame, pd.DataFrame, date | None, pd.DataFrame | None]:
    """The outcome indicators of ``years`` per zone and of the whole centre (``zone_id``
    :data:`geo.outcomes.CENTRE`) with the change against the year before each (read too), as the
    public may see them with k = ``min_count`` (None: exact); the incidents placed only at a town's
    or county's centroid per year; and the day of the year every year is counted up to: ``as_of``,
    or today when the last year is the current one, or None (whole years). ``survey``: the survey
    results to show (default: the stored ones, :func:`stored_survey`), returned last."""
    wanted = sorted(set(years))
    for year in wanted:
        _check_year(year)
    if as_of is None and wanted[-1] == today().year:
        as_of = today()
    read = list(range(wanted[0] - 1, wanted[-1] + 1))
    if survey is None:
        survey = stored_survey(store, read, min_count)
    span = FeatureQuery(start=local_year(read[0])[0], end=local_year(read[-1])[1])
    incidents = store.read_features(INCIDENTS, query=span)
    outcomes = outcome_indicators(incidents, store.read_features(REPORTS, query=span), zones, read, survey,
                                  as_of=as_of)
    changes = with_changes(pd.concat([outcomes, centre_indicators(outcomes)], ignore_index=True), LEVEL)
    public = suppress_citizen_counts(changes, min_count)
    unplaced = unplaced_incidents(year_to_date(incidents, "occurred_at", as_of), read)
    return public[public["year"].isin(wanted)].reset_index(drop=True), unplaced, as_of, survey


def stored_survey(store: Store, years: Sequence[int], min_count: int | None) -> pd.DataFrame | None:
    """The stored safety survey's results of ``years`` (:data:`geo.outcomes.SURVEY_COLUMNS`) as the
    public sees them with k = ``min_count`` (:func:`geo.survey.year_figures`: a share from fewer
    than k answers is NaN; None: exact), or None when none of the years has a survey."""
    results = store.survey_results(years=range(YEARS[0], max(years) + 1))
    held = [year for year in years if (results["year"] == year).any()]
    if not held:
        return None
    return pd.concat([year_figures(results, year, min_count) for year in held])[list(SURVEY_COLUMNS)]


def _number(value: object, digits: int | None = None) -> float | int | None:
    """A figure for JSON: None for NaN and infinity, whole counts as int, others rounded."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if digits is None:
        return int(value)
    return round(float(value), digits)


def category_name(indicator: str, category: str, survey_texts: dict[str, str]) -> str:
    """A row's category in Swedish: ``Alla``, an incident category, a report category's name, a
    survey question's text."""
    if category == ALL:
        return "Alla"
    if indicator == "incidents":
        return category.capitalize()
    if indicator == "reports":
        return REPORT_CATEGORY_NAMES[category]
    return survey_texts.get(category, category)


def _rows(frame: pd.DataFrame, survey_texts: dict[str, str]) -> dict[str, list[dict]]:
    """One zone's (or the centre's) rows of a year, per indicator, ``all`` first."""
    indicators: dict[str, list[dict]] = {}
    for row in frame.itertuples():  # one zone's year: a few dozen rows
        count = row.indicator != "survey"
        digits = None if count else 4
        entry = {"category": row.category, "name": category_name(row.indicator, row.category, survey_texts),
                 "value": _number(row.value, digits), "previous": _number(row.previous, digits),
                 "change": _number(row.change, digits), "relative_change": _number(row.relative_change, 4),
                 "ratio_low": _number(row.ratio_low, 4), "ratio_high": _number(row.ratio_high, 4),
                 "p_value": _number(row.p_value, 4), "beyond_noise": row.beyond_noise,
                 "suppressed": not row.shown}
        if not count:
            entry.update(answers=_number(row.answers), low=_number(row.low, 4), high=_number(row.high, 4))
        rows = indicators.setdefault(row.indicator, [])
        rows.insert(0 if row.category == ALL else len(rows), entry)
    return indicators


def outcome_report(store: Store, zones: gpd.GeoDataFrame, year: int, zone: str | None = None, *,
                   min_count: int | None, survey: pd.DataFrame | None = None, as_of: date | None = None) -> dict:
    """The outcome indicators of ``year`` (JSON-ready): per zone (``zone``: only that one) and for
    the whole centre, per indicator and category the value, the previous year's, the change and
    whether it is beyond noise; the incidents counted apart; ``suppressed_below`` = ``min_count``.
    ``as_of``: both years up to that day of the year (default: today in the current year)."""
    if zone is not None and zone not in set(zones["zone_id"]):
        raise ValidationError(Message("unknown zone {zone!r}", zone=zone), field="zone")
    table, unplaced, as_of, survey = outcome_table(store, zones, [year], min_count=min_count, survey=survey,
                                                   as_of=as_of)
    texts = {} if survey is None else dict(zip(survey["question"], survey["question_text"]))
    names = dict(zip(zones["zone_id"], zones["name"]))
    shown = [z for z in zones["zone_id"] if zone in (None, z)]
    by_zone = {zone_id: group for zone_id, group in table.groupby("zone_id", sort=False)}
    return {"year": year, "previous_year": year - 1, "as_of": (as_of or date(year, 12, 31)).isoformat(),
            "synthetic": store.get_meta(DEMO_META_KEY) is not None, "suppressed_below": min_count,
            "level": LEVEL, "method": METHOD,
            "indicators": {name: INDICATOR_NAMES[name] for name in INDICATORS if survey is not None or name != "survey"},
            "unplaced_incidents": {"town": int(unplaced.loc[year, "town"]), "county": int(unplaced.loc[year, "county"]),
                                   "previous_town": int(unplaced.loc[year - 1, "town"]),
                                   "previous_county": int(unplaced.loc[year - 1, "county"])},
            "centre": _rows(by_zone[CENTRE], texts) if zone is None else None,
            "zones": [{"zone_id": z, "name": names[z], **_rows(by_zone.get(z, table.iloc[:0]), texts)}
                      for z in shown]}


def outcome_summary(store: Store, zones: gpd.GeoDataFrame, years: Sequence[int], *, min_count: int | None = None,
                    survey: pd.DataFrame | None = None) -> dict:
    """The outcomes of each of ``years`` for the comparison across years (JSON-ready): per year
    the whole centre's incidents by category, reports and unsafe-place marks with the change
    against the year before, and each zone's totals (``all``) of the three; ``as_of``: when the
    last year is the current one, every year is counted up to today's day of the year (null: whole
    years). Public: citizens' counts below ``min_count`` (default ``STADSKARNA_PRIVACY_MIN_COUNT``;
    the comparison page is public) are null."""
    k = PrivacySettings().min_count if min_count is None else min_count
    table, unplaced, as_of, survey = outcome_table(store, zones, years, min_count=k, survey=survey)
    texts = {} if survey is None else dict(zip(survey["question"], survey["question_text"]))
    names = dict(zip(zones["zone_id"], zones["name"]))
    result = {"suppressed_below": k, "level": LEVEL, "method": METHOD,
              "as_of": None if as_of is None else as_of.isoformat(),  # each year up to this day of the year
              "synthetic": store.get_meta(DEMO_META_KEY) is not None, "years": {}}
    for year, rows in table.groupby("year"):
        totals = rows[(rows["category"] == ALL) & (rows["zone_id"] != CENTRE)]
        result["years"][int(year)] = {
            "centre": _rows(rows[rows["zone_id"] == CENTRE], texts),
            "unplaced_incidents": {"town": int(unplaced.loc[year, "town"]), "county": int(unplaced.loc[year, "county"])},
            "zones": [{"zone_id": z, "name": names[z], **_rows(group, texts)}
                      for z, group in totals.groupby("zone_id", sort=False)]}
    return result


def _geometry(value: dict, field: str) -> shapely.Geometry:
    """A GeoJSON geometry (WGS84) from a request, or :class:`ValidationError` naming ``field``."""
    try:
        geometry = shape(value)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, shapely.errors.ShapelyError):
        raise ValidationError(Message("not a GeoJSON geometry"), field=field) from None
    if geometry.is_empty or geometry.geom_type.replace("Multi", "") not in ("Point", "LineString", "Polygon"):
        raise ValidationError(Message("a Point, LineString or Polygon (or Multi-) geometry is needed"), field=field)
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90) or not np.isfinite(geometry.bounds).all():
        raise ValidationError(Message("coordinates must be WGS84 longitude and latitude in degrees"), field=field)
    return geometry


def _place(zones: gpd.GeoDataFrame, zone: str | None, geometry: dict | None, field: str) -> shapely.Geometry | None:
    """A zone's polygon, or the GeoJSON geometry given (WGS84); None when neither is given."""
    if zone is not None:
        match = zones[zones["zone_id"] == zone]
        if match.empty:
            raise ValidationError(Message("unknown zone {zone!r}", zone=zone), field=field)
        return match.geometry.iloc[0]
    return None if geometry is None else _geometry(geometry, field)


def _records(store: Store, layer: str, start: pd.Timestamp, end: pd.Timestamp, public: bool) -> gpd.GeoDataFrame:
    """A before/after layer's records from ``start`` to ``end``, with their time as ``at`` (incidents
    of a usable position only; for the public at their published positions)."""
    query = FeatureQuery(start=start, end=end)
    if layer == "incidents":
        incidents = store.read_features(INCIDENTS, query=query)
        incidents = incidents[incidents["location_precision"].isin(USABLE_PRECISION)]
        if public:
            return gpd.GeoDataFrame({"at": incidents["occurred_at"].to_numpy()},
                                    geometry=generalise_incidents(incidents).geometry.to_numpy(), crs=incidents.crs)
        return incidents.rename(columns={"occurred_at": "at"})
    categories = FAULT_CATEGORIES if layer == "reports" else ("unsafe_place",)
    reports = store.read_features(REPORTS, query=FeatureQuery(start=start, end=end, categories=categories))
    return reports.rename(columns={"created_at": "at"})


def _check_data_covers(store: Store, layers: Sequence[str], spans: pd.DataFrame, at: date) -> None:
    """:class:`ValidationError` when the measure's date is outside the layers' data, or a period
    reaches before its first or after its last record (an empty period is not a fall to zero)."""
    schemas = {INCIDENTS if layer == "incidents" else REPORTS for layer in layers}
    extents = [store.extent(schema, FeatureQuery()) for schema in schemas]
    firsts = [e.first for e in extents if e.first is not None]
    lasts = [e.last for e in extents if e.last is not None]
    if not firsts:
        raise ValidationError(Message("there are no records to compare"), field="layers")
    first = max(firsts).tz_convert(LOCAL_TZ).normalize()
    last = min(lasts).tz_convert(LOCAL_TZ).normalize() + pd.Timedelta(days=1)
    moment = pd.Timestamp(at, tz=LOCAL_TZ)
    if not first <= moment < last:
        raise ValidationError(Message("{at} is outside the data ({first} – {last})", at=at.isoformat(),
                                      first=first.date().isoformat(), last=(last - pd.Timedelta(days=1)).date().isoformat()),
                              field="at")
    outside = spans[(spans["start"] < first) | (spans["end"] > last)]
    if len(outside):
        span = outside.iloc[0]
        raise ValidationError(Message("the period {period} ({start} – {end}) is not covered by the data ({first} – "
                                      "{last}); choose fewer days", period=span["period"],
                                      start=span["start"].date().isoformat(),
                                      end=(span["end"] - pd.Timedelta(days=1)).date().isoformat(),
                                      first=first.date().isoformat(),
                                      last=(last - pd.Timedelta(days=1)).date().isoformat()), field="days")


def before_after(store: Store, zones: gpd.GeoDataFrame, *, at: date, days: int, area_zone: str | None = None,
                 area_geometry: dict | None = None, buffer_m: float | None = None, comparison_zone: str | None = None,
                 comparison_geometry: dict | None = None, seasonal: bool = False,
                 layers: Sequence[str] = ("incidents", "reports"), min_count: int | None) -> dict:
    """A before/after around a measure taken on local date ``at`` (JSON-ready): the affected area
    (a zone, or a GeoJSON geometry — points and lines with ``buffer_m`` metres) against the
    comparison (a zone or a polygon; default the rest of the centre), ``days`` days before and
    after (``seasonal``: and a year earlier), per layer the counts per area and period, the
    difference-in-differences of rates and log rates with its interval, and the caveats, with
    ``suppressed_below`` = ``min_count``: k for citizens' counts (null below it, and every figure
    computed from one; None: exact, for staff). The public's (``min_count`` given) counts incidents at
    their published positions and never unsafe-place marks.
    :class:`ValidationError` (field named) for an area outside the centre, an empty comparison,
    a date outside the data or a period the data does not cover, an unknown layer."""
    public = min_count is not None
    layers = list(dict.fromkeys(layers))
    unknown = [layer for layer in layers if layer not in BEFORE_AFTER_LAYERS]
    if unknown or not layers:
        raise ValidationError(Message("layers must be some of {layers}", layers=", ".join(BEFORE_AFTER_LAYERS)),
                              field="layers")
    if public and any(layer in STAFF_ONLY_LAYERS for layer in layers):
        raise ValidationError(Message("unsafe-place marks are compared for staff only"), field="layers")
    if (area_zone is None) == (area_geometry is None):
        raise ValidationError(Message("give the area as a zone or as a geometry"), field="area")
    centre = shapely.union_all(zones.geometry.to_numpy())
    affected = affected_area(centre, _place(zones, area_zone, area_geometry, "area"),
                             None if area_zone is not None else buffer_m)
    compared = comparison_area(centre, affected, _place(zones, comparison_zone, comparison_geometry, "comparison"))
    spans = periods(at, days, seasonal)
    _check_data_covers(store, layers, spans, at)
    areas = {"affected": affected, "comparison": compared}
    tables = {}
    for layer in layers:
        counts = area_counts(_records(store, layer, spans["start"].min(), spans["end"].max(), public), "at", areas,
                             spans)
        did = difference_in_differences(counts, LEVEL)
        if layer in CITIZEN_INDICATORS:
            counts, did = suppress_counts(counts, did, min_count)
        tables[layer] = {"name": INDICATOR_NAMES[layer],
                         "counts": [{**row, "count": _number(row["count"]), "days": int(row["days"]),
                                     "rate_per_day": _number(row["rate_per_day"], 5), "area_m2": round(row["area_m2"], 1)}
                                    for row in counts.to_dict("records")],
                         "did": [{key: value if key == "estimate" else _number(value, 5)
                                  for key, value in row.items()} for row in did.to_dict("records")],
                         "caveats": caveats(counts, did, min_count)}
    return {"at": at.isoformat(), "days": days, "seasonal": seasonal, "level": LEVEL, "suppressed_below": min_count,
            "synthetic": store.get_meta(DEMO_META_KEY) is not None,
            "periods": [{"period": s.period, "start": s.start.date().isoformat(),
                         "end": (s.end - pd.Timedelta(days=1)).date().isoformat(), "days": int(s.days)}
                        for s in spans.itertuples()],
            "areas": {"affected": {"zone": area_zone, "buffer_m": buffer_m,
                                   "geometry": shapely.geometry.mapping(affected)},
                      "comparison": {"zone": comparison_zone, "rest_of_centre": comparison_zone is None
                                     and comparison_geometry is None, "geometry": shapely.geometry.mapping(compared)}},
            "layers": tables}


"""Purple Flag evidence: what the data can show of the centre's evening and night, per band of
Purple Flag Sweden's assessment (:data:`geo.patrol.NIGHT_BANDS`: 17-20, 20-23, 23-02, 02-05 local
time) and for the whole evening and night (17-05) of a year, each figure tagged with the theme
it speaks to (:data:`FIGURE_THEMES`), and per theme what the data cannot show (:data:`CANNOT_SHOW`).

A band's hours are the real hours of the local year (up to ``end``) whose local clock hour lies
in the band, as the presence cube counts them by local day and hour: the 23-02 band of New Year's
Eve is 23-24 of 31 December in its year and 00-02 of 1 January in the next; on the night the
clocks go forward (last Sunday of March) the 02-05 band has two hours, on the night they go back
(last Sunday of October) four. Records (incidents, reports) fall in the band of their local
hour; an event counts in a band when its time overlaps one of the band's hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.fields import field_figures, share_compliant
from geo.layers import EVENT_KINDS, FAULT_CATEGORIES, INCIDENT_CATEGORIES
from geo.lighting import PEDESTRIAN_CLASSES, LampContributions, lights_at
from geo.patrol import NIGHT_BANDS, PresenceCube
from geo.publish import shown_in_table, suppress_small
from geo.sun import dark_fraction
from geo.timestamps import LOCAL_TZ, local_year

BANDS = tuple(NIGHT_BANDS)
WHOLE_NIGHT = "17-05"
"""The four bands together: the evening and night."""
TOTAL = "total"
"""The key of a band's fault reports of all categories."""
HOUR = pd.Timedelta(hours=1)

THEME_NAMES = {"safety": "Säkerhet", "access": "Tillgänglighet", "offer": "Utbud", "place": "Plats",
               "policy": "Policy"}
"""Purple Flag Sweden's five themes (codes, for machines) and their Swedish names."""
FIGURE_THEMES = {"presence_h": "safety", "incidents": "safety", "unsafe_places": "safety", "survey": "safety",
                 "dark_share": "access", "lighting": "access", "events": "offer", "reports": "place"}
"""The theme each figure of :func:`purple_flag_evidence` speaks to."""
CANNOT_SHOW = {
    "safety": "Brott som aldrig anmäls, ordningsvakternas och krogarnas arbete, ambulans- och akutbesök och hur "
              "tryggt det känns en enskild kväll. Polisens händelser som bara anges till kommunen eller länet kan "
              "inte placeras i stadskärnan och redovisas för sig.",
    "access": "Kollektivtrafik, nattbussar, taxi, parkering och hur lätt det är att ta sig hem på natten. "
              "Belysningen är beräknad från lamporna och deras status, inte uppmätt på plats.",
    "offer": "Öppettider för butiker, restauranger, barer och kultur, utbudets bredd och hur många som är i "
             "stadskärnan en kväll. Bara evenemang som förts in i tjänsten räknas.",
    "place": "Städning utöver medborgarnas anmälningar, offentliga toaletter, sittplatser, skyltning och hur "
             "platserna upplevs.",
    "policy": "Kommunens och polisens strategier, serveringstillstånd, samverkan med näringslivet och beslut. "
              "Medborgarlöftets status, Purple Flag-löftet med, följs upp i uppföljningen av medborgarlöftet.",
}
"""Per theme, in Swedish, what the data cannot show: said plainly rather than left out."""
EVENING_WORDS = ("kväll", "natt")
"""A survey question is about the evening when its code or text holds one of these (any case)."""
SAMPLE_DAYS = 14
"""The lamps are taken as they stood once per this many days (in the middle of the period's dark
band hours): lamp states change over days, and each state costs a light calculation. Measured on
the demo year (509 lamps, 239 fields): 7 days 2.4 s, 14 days 1.5 s, 30 days 0.5 s, the shares
within 0.0003 of the weekly ones at 14 days."""


def band_of(hours: NDArray[np.int64]) -> NDArray[np.object_]:
    """The band of each local clock hour (0-23); None outside 17-05."""
    table = np.full(24, None, dtype=object)
    for band, clock in NIGHT_BANDS.items():
        table[list(clock)] = band
    return table[np.asarray(hours, dtype=np.int64)]


def band_hours(year: int, end: pd.Timestamp) -> pd.DataFrame:
    """Every real hour of local ``year`` that starts before ``end`` (tz-aware) and lies in a band:
    ``start`` (UTC), ``band`` and ``dark``, the part of the hour after dark (0-1, :func:`geo.sun.dark_fraction`)."""
    first, after = local_year(year)
    starts = pd.Series(pd.date_range(first.tz_convert("UTC"), min(after, end).tz_convert("UTC"), freq="h",
                                     inclusive="left"), dtype="datetime64[ns, UTC]")
    band = band_of(starts.dt.tz_convert(LOCAL_TZ).dt.hour.to_numpy())
    keep = pd.notna(band)
    starts = starts[keep].reset_index(drop=True)
    return pd.DataFrame({"start": starts, "band": band[keep], "dark": dark_fraction(starts)})


def presence_per_band(cube: PresenceCube, end: pd.Timestamp) -> NDArray[np.float64]:
    """Visible presence in the zones (foot, bike, horse; unit-hours) per band (in :data:`BANDS`'
    order), on the cube's local days before ``end``."""
    days = int((cube.day_dates() < end.tz_convert(LOCAL_TZ).tz_localize(None)).sum())
    presence = cube.presence_s[:-1, :days]
    return np.array([presence[:, :, list(NIGHT_BANDS[band])].sum() / 3600 for band in BANDS])


def counts_per_band(times: pd.Series, groups: pd.Series, keys: tuple[str, ...]) -> NDArray[np.int64]:
    """Records counted per band (rows, :data:`BANDS`' order) and group (columns, ``keys``' order)
    by the local hour of their ``times``; records outside the bands or ``keys`` are not counted."""
    band = pd.Index(BANDS).get_indexer(band_of(times.dt.tz_convert(LOCAL_TZ).dt.hour.to_numpy()))
    group = pd.Index(keys).get_indexer(groups.astype(object).to_numpy())
    keep = (band >= 0) & (group >= 0)
    table = np.zeros((len(BANDS), len(keys)), dtype=np.int64)
    np.add.at(table, (band[keep], group[keep]), 1)
    return table


def band_occurrences(hours: pd.DataFrame) -> pd.DataFrame:
    """The bands' occurrences in ``hours`` (:func:`band_hours`): each run of consecutive hours of
    one band (one evening's 17-20, one night's 23-02) with its ``band``, ``start`` and ``end`` (UTC)."""
    step = hours["start"].diff() != HOUR
    run = (step | (hours["band"] != hours["band"].shift())).cumsum()
    grouped = hours.groupby(run, sort=False)
    return pd.DataFrame({"band": grouped["band"].first().to_numpy(), "start": grouped["start"].first().to_numpy(),
                         "end": (grouped["start"].last() + HOUR).to_numpy()})


def event_bands(events: pd.DataFrame, hours: pd.DataFrame) -> NDArray[np.bool_]:
    """Whether each event (``starts_at``, ``ends_at``, tz-aware) overlaps an hour of each band in
    ``hours`` (:func:`band_hours`): a boolean (events, bands) array. The occurrences of a band do
    not overlap, so the first one ending after an event starts decides."""
    occurrences = band_occurrences(hours)
    begin = _ns(events["starts_at"])
    finish = _ns(events["ends_at"])
    overlaps = np.zeros((len(events), len(BANDS)), dtype=bool)
    for column, band in enumerate(BANDS):
        mine = occurrences[occurrences["band"] == band]
        start, end = _ns(mine["start"]), _ns(mine["end"])
        first = np.searchsorted(end, begin, side="right")
        inside = first < len(end)
        overlaps[inside, column] = start[first[inside]] < finish[inside]
    return overlaps


def _ns(times: pd.Series) -> NDArray[np.int64]:
    """Tz-aware times as ns since 1970 (UTC)."""
    return pd.to_datetime(times, utc=True).dt.as_unit("ns").astype("int64").to_numpy()


@dataclass(frozen=True)
class Lamps:
    """What the lighting at a moment is computed from: the lamps (WGS84), their status history,
    the broken-light reports that put lamps out (:func:`geo.lighting.lights_at`), every lamp's
    light at the calculation fields' points, and the fields with their points (:mod:`geo.fields`)."""

    lights: gpd.GeoDataFrame
    history: pd.DataFrame
    outages: gpd.GeoDataFrame
    contributions: LampContributions
    fields: gpd.GeoDataFrame
    points: pd.DataFrame


def lighting_after_dark(hours: pd.DataFrame, lamps: Lamps, sample_days: int = SAMPLE_DAYS) -> tuple[dict, int]:
    """The share of the calculation fields' walkable area meeting its class after dark, per band
    and for 17-05 (None without dark hours or fields), and how many lamp states were sampled.
    The lamps are taken as they stood (:func:`geo.lighting.lights_at`) once per ``sample_days``
    days, at the middle dark band hour of the period; each dark hour of a band weighs by its dark
    part (``dark`` of :func:`band_hours`), so the long dark evenings of winter weigh most."""
    dark = hours[hours["dark"] > 0]
    if dark.empty or lamps.fields.empty:
        return dict.fromkeys((*BANDS, WHOLE_NIGHT)), 0
    middle = dark["start"] + HOUR / 2
    period = ((middle - hours["start"].iloc[0]) // pd.Timedelta(days=sample_days)).to_numpy()
    moments = middle.groupby(period).agg(lambda times: times.iloc[len(times) // 2])
    shares, by_lamps = {}, {}
    for key, moment in moments.items():
        standing = lights_at(lamps.lights, lamps.history, lamps.outages, moment)
        working = np.sort(standing.loc[standing["status"] == "working", "id"].to_numpy(dtype=object))
        if tuple(working) not in by_lamps:
            figures = field_figures(lamps.fields, lamps.points, lamps.contributions.lux(working), PEDESTRIAN_CLASSES)
            by_lamps[tuple(working)] = share_compliant(figures)
        shares[key] = by_lamps[tuple(working)]
    share = pd.Series(period).map(shares).to_numpy(dtype=float)
    weight = dark["dark"].to_numpy()
    result = {band: _weighted(share[mine], weight[mine]) for band in BANDS
              for mine in [(dark["band"] == band).to_numpy()]}
    return {**result, WHOLE_NIGHT: _weighted(share, weight)}, len(moments)


def _weighted(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float | None:
    keep = ~np.isnan(values)
    total = float(weights[keep].sum())
    return round(float((values[keep] * weights[keep]).sum()) / total, 4) if total > 0 else None


def evening_survey(survey: pd.DataFrame, year: int, area_names: Mapping[str, str] | None = None) -> list[dict]:
    """The survey answers of ``year`` (columns ``year, area, question, question_text, share,
    answers, low, high``) whose question's code or text mentions the evening or night
    (:data:`EVENING_WORDS`), as records (shares 0-1; NaN as None) by question, then area in the
    order of ``area_names`` (area code -> its name, given as ``name``; default: the code)."""
    names = dict(area_names or {})
    words = (survey["question"].astype(str) + " " + survey["question_text"].astype(str)).str.casefold()
    mine = survey[(survey["year"] == year) & words.str.contains("|".join(EVENING_WORDS), regex=True)]
    order = mine["area"].map({area: i for i, area in enumerate(names)}).fillna(len(names))
    mine = mine.assign(_order=order).sort_values(["question", "_order", "area"], kind="stable")
    return [{"year": int(row.year), "area": str(row.area), "name": names.get(row.area, str(row.area)),
             "question": str(row.question),
             "question_text": str(row.question_text), "share": _number(row.share), "answers": int(row.answers),
             "low": _number(row.low), "high": _number(row.high)} for row in mine.itertuples(index=False)]


def _number(value: object) -> float | None:
    return None if pd.isna(value) else round(float(value), 4)


def purple_flag_evidence(year: int, end: pd.Timestamp, *, cube: PresenceCube, incidents: pd.DataFrame,
                         town_level: pd.DataFrame, reports: pd.DataFrame, min_count: int | None,
                         lamps: Lamps | None = None, events: pd.DataFrame | None = None,
                         survey: pd.DataFrame | None = None, area_names: Mapping[str, str] | None = None,
                         sample_days: int = SAMPLE_DAYS) -> dict:
    """The evidence of local ``year`` up to ``end`` (tz-aware), JSON-ready: per band and for 17-05
    (``bands``, ``whole_night``) the band's hours and the part after dark, presence hours,
    incidents by category — ``incidents`` placed in the zones (exact or street precision),
    ``town_level`` (placed only at the town's or county's centroid) counted apart —, citizens'
    reports by category and in all made in the band (``reports``: any years; fault reports and
    unsafe-place marks as counts with those below ``min_count`` (k) suppressed, None for staff:
    exact; see :func:`fault_reports` and :func:`_unsafe_places`), the lighting after dark
    (``lamps``; None: no lamps to model), the events that overlap the band (``events`` with
    ``id, name, starts_at, ends_at, kind``; None: no events layer) and, for the year, the survey's
    answers about the evening (``survey`` with its ``area_names``, see :func:`evening_survey`;
    None: no survey); the themes with their figures and what the data cannot show."""
    first, after = local_year(year)
    hours = band_hours(year, end)
    per_band = {band: hours[hours["band"] == band] for band in BANDS}
    presence = presence_per_band(cube, end)
    located = counts_per_band(incidents["occurred_at"], incidents["category"], INCIDENT_CATEGORIES)
    unlocated = counts_per_band(town_level["occurred_at"], town_level["category"], INCIDENT_CATEGORIES).sum(axis=1)
    made = reports["created_at"]
    reports = reports[((made >= first) & (made < min(after, end))).to_numpy(dtype=bool)]
    faults = fault_reports(counts_per_band(reports["created_at"], reports["category"], FAULT_CATEGORIES), min_count)
    pins = reports[reports["category"] == "unsafe_place"]
    unsafe = _unsafe_places(pins, min_count)
    lighting, sampled = lighting_after_dark(hours, lamps, sample_days) if lamps is not None else (None, 0)
    held = _events(events, hours, first, min(after, end)) if events is not None else None

    def figures(band: str, rows: slice | list[int], band_frame: pd.DataFrame) -> dict:
        total_h, dark_h = float(len(band_frame)), float(band_frame["dark"].sum())
        return {"hours": total_h, "dark_h": round(dark_h, 2),
                "dark_share": round(dark_h / total_h, 4) if total_h else None,
                "presence_h": round(float(presence[rows].sum()), 1),
                "incidents": {"by_category": dict(zip(INCIDENT_CATEGORIES, located[rows].sum(axis=0).tolist())),
                              "total": int(located[rows].sum()), "town_level": int(unlocated[rows].sum())},
                "reports": {**faults[band], "unsafe_place": unsafe["bands"][band]},
                "lighting_share_after_dark": None if lighting is None else lighting[band],
                "events": None if held is None else _band_events(held, band)}

    bands = {band: figures(band, [i], per_band[band]) for i, band in enumerate(BANDS)}
    themes = [{"theme": theme, "name": name, "figures": [f for f, t in FIGURE_THEMES.items() if t == theme],
               "cannot_show": CANNOT_SHOW[theme]} for theme, name in THEME_NAMES.items()]
    return {"year": year, "bands": bands, "whole_night": figures(WHOLE_NIGHT, slice(None), hours),
            "unsafe_places": {"total": unsafe["total"], "suppressed_below": min_count},
            "lighting_method": None if lamps is None else {"sample_days": sample_days, "lamp_states": sampled},
            "events": None if held is None else held["list"],
            "survey": None if survey is None else evening_survey(survey, year, area_names), "themes": themes}


def fault_reports(counts: NDArray[np.int64], k: int | None) -> dict[str, dict]:
    """Citizens' fault reports per band (rows of ``counts``, :data:`BANDS`' order) and category
    (columns, :data:`FAULT_CATEGORIES`' order) as the public may see them, per band and for
    :data:`WHOLE_NIGHT`: ``by_category`` and :data:`TOTAL` (all categories). The bands and 17-05 are
    a two-way table, 17-05 its sum row and the total each row's total: counts below ``k`` are None,
    and no hidden count is a shown total less the shown counts
    (:func:`geo.publish.shown_in_table`). ``k`` None (staff): exact."""
    rows = np.vstack([counts, counts.sum(axis=0)])
    table = pd.DataFrame(np.column_stack([rows, rows.sum(axis=1)]), index=[*BANDS, WHOLE_NIGHT],
                         columns=[*FAULT_CATEGORIES, TOTAL])
    public = table.astype(object).where(shown_in_table(table, k, WHOLE_NIGHT, TOTAL), None)
    return {band: {"by_category": {c: public.at[band, c] for c in FAULT_CATEGORIES}, TOTAL: public.at[band, TOTAL]}
            for band in table.index}


def _unsafe_places(pins: pd.DataFrame, k: int | None) -> dict:
    """The year's unsafe-place marks per band (made in it) and for 17-05; counts below ``k``
    suppressed, each level against the exact total above it (:func:`geo.publish.suppress_small`),
    so no small group follows from a difference; the year's total too is public only from k. By the time of day the citizen chose (``when``)
    they are counted per zone by the tracker's ``unsafe_places`` only: a centre-wide split beside
    it would give suppressed counts of a zone back."""
    total = len(pins)
    per_band = counts_per_band(pins["created_at"], pins["category"], ("unsafe_place",))[:, 0]
    night = suppress_small({WHOLE_NIGHT: int(per_band.sum())}, k, total=total)[WHOLE_NIGHT]
    bands = (dict.fromkeys(BANDS) if night is None
             else suppress_small(dict(zip(BANDS, per_band.tolist())), k, total=night))
    return {"total": suppress_small({"total": total}, k)["total"], "bands": {**bands, WHOLE_NIGHT: night}}


def _events(events: pd.DataFrame, hours: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    """The events held in the year up to ``end`` (overlapping it), each with the bands it overlaps."""
    held = events[(pd.to_datetime(events["starts_at"], utc=True) < end)
                  & (pd.to_datetime(events["ends_at"], utc=True) > start)].sort_values("starts_at", kind="stable")
    overlaps = event_bands(held, hours)
    listed = [{"id": str(row.id), "name": str(row.name), "kind": str(row.kind),
               "starts_at": pd.Timestamp(row.starts_at).tz_convert(LOCAL_TZ).isoformat(),
               "ends_at": pd.Timestamp(row.ends_at).tz_convert(LOCAL_TZ).isoformat(),
               "bands": [band for band, on in zip(BANDS, flags) if on]}
              for row, flags in zip(held.itertuples(index=False), overlaps)]
    return {"list": listed, "kinds": held["kind"].astype(object).to_numpy(), "overlaps": overlaps}


def _band_events(held: Mapping, band: str) -> dict:
    """Events overlapping ``band`` (any band for 17-05): how many, and how many of each kind."""
    overlaps = held["overlaps"]
    mine = overlaps.any(axis=1) if band == WHOLE_NIGHT else overlaps[:, BANDS.index(band)]
    kinds = held["kinds"][mine]
    return {"count": int(mine.sum()), "by_kind": {kind: int((kinds == kind).sum()) for kind in EVENT_KINDS
                                                  if (kinds == kind).any()}}

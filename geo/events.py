"""Events for a living centre: what an evening with an event looked like against ordinary ones.

**Place.** An event's place is the zones it touches: the zone of its point, or every zone its area
(:data:`geo.layers.AREA`) overlaps (by more than a shared edge; measured in EPSG:3006). Presence,
incidents and reports are counted in those zones (an event outside every zone has no figures).

**Hours.** The event's own hours, ``starts_at`` to ``ends_at``. Its comparison windows are the same
weekday and the same local wall-clock hours in every other week of the same year (an event from
Friday 22:00 to Saturday 02:00 is compared with every other Friday 22:00 to Saturday 02:00), less
the windows in which any event touched one of the same zones, those outside the year and those not
over yet (``until``). Wall-clock times are Europe/Stockholm: a window across a change of daylight
saving time is an hour longer or shorter in real time; a start that does not exist that night
(02:00–03:00 in spring) moves forward to 03:00, and an ambiguous one (in autumn) is the first.

**Figures.** Patrol presence hours (visible presence of the presence cube, unit-hours, spread
evenly over each hour), incidents placed exactly or by street (:data:`geo.layers.USABLE_PRECISION`)
and citizens' fault reports (not unsafe places, which are never counted one by one) made in the
window; for the comparison windows their number, mean, least and most. An event not over by the end
of the data (``until``) has no figures of its own yet (NaN), only its comparison. Every function
takes whole frames and arrays; nothing loops over pings, incidents or hours in Python.

**Privacy.** Fault reports are citizens' data: a public answer (k, :mod:`geo.publish`) hides an
event's count below k, its comparison windows' mean unless they hold k or more reports together
(the mean times the windows is their sum) and their least and most unless every window holds k
or more (:func:`suppress_reports`).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.layers import AREA, UNPUBLISHED_CATEGORIES, USABLE_PRECISION
from geo.patrol import HOUR_NS, NIGHT_BANDS, PresenceCube
from geo.timestamps import LOCAL_TZ, local_year
from geo.zones import zone_positions

EDGE_M = 0.05
"""How far (metres) an event's area must reach into a zone to be held in it: an area drawn along a
zone's edge, its corners rounded to 1e-7 degrees (about 1 cm), may cross the edge by a sliver."""
FIGURES = ("presence_h", "incidents", "reports")
"""The figures of an event and of its comparison windows."""
FIGURE_COLUMNS = ("id", "name", "kind", "starts_at", "ends_at", "zones", *FIGURES, "comparison_windows",
                  *(f"{figure}_{stat}" for figure in FIGURES for stat in ("mean", "min", "max")))
"""The columns of :func:`event_figures`."""


def event_zones(events: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> list[tuple[str, ...]]:
    """The ``zone_id`` of every zone each event touches: those its area overlaps (reaching more than
    :data:`EDGE_M` into, in EPSG:3006: a shared edge is no overlap), else the one holding its point
    (empty outside every zone), in the zones' order. ``zones`` in WGS84, like the areas."""
    ids = zones["zone_id"].tolist()
    points = zone_positions(zones, events.geometry.x.to_numpy(), events.geometry.y.to_numpy())
    areas = events[AREA].to_numpy(dtype=object) if AREA in events else np.full(len(events), None, dtype=object)
    has_area = np.array([a is not None for a in areas], dtype=bool)
    overlaps = np.zeros((len(events), len(ids)), dtype=bool)
    if has_area.any():
        metric = gpd.GeoSeries(list(areas[has_area]), crs=WGS84).to_crs(SWEREF99TM).to_numpy()
        inner = shapely.buffer(to_metric(zones).geometry.to_numpy(), -EDGE_M)  # each zone less its edge
        overlaps[has_area] = shapely.intersects(metric[:, None], inner[None, :])
    rows = np.arange(len(events))
    point_rows = ~has_area & (points >= 0)
    overlaps[rows[point_rows], points[point_rows]] = True
    return [tuple(np.asarray(ids, dtype=object)[row].tolist()) for row in overlaps]


def localize(wall: pd.DatetimeIndex | pd.Series) -> pd.DatetimeIndex:
    """Naive Europe/Stockholm wall-clock times as UTC: a time that does not exist (spring forward)
    moves forward to the first that does, an ambiguous one (autumn) is the first of the two."""
    index = pd.DatetimeIndex(wall)
    return index.tz_localize(LOCAL_TZ, ambiguous=np.ones(len(index), dtype=bool),
                             nonexistent="shift_forward").tz_convert("UTC").as_unit("ns")


def comparison_windows(start: pd.Timestamp, end: pd.Timestamp, year: int,
                       busy: Sequence[tuple[pd.Timestamp, pd.Timestamp]] = (),
                       until: pd.Timestamp | None = None) -> pd.DataFrame:
    """The windows to compare an event from ``start`` to ``end`` (tz-aware) with: the same weekday
    and local wall-clock hours in every other week, starting in local ``year``, overlapping none of
    the ``busy`` spans (events in the same place, this one included), ended by ``until`` (None: any).
    A day whose wall-clock hours of the event do not exist (within the spring change's missing
    hour) has no window. Columns ``start`` and ``end`` (UTC), oldest first."""
    local_start = start.tz_convert(LOCAL_TZ).tz_localize(None)
    local_end = end.tz_convert(LOCAL_TZ).tz_localize(None)
    day = local_start.normalize()
    weeks = pd.to_timedelta(7 * np.arange(-54, 55), unit="D")
    days = pd.DatetimeIndex(day + weeks)
    first, last = (moment.tz_localize(None) for moment in local_year(year))
    days = days[(days >= first) & (days < last) & (days != day)]
    starts, ends = localize(days + (local_start - day)), localize(days + (local_end - day))  # (UTC ns)
    keep = starts.asi8 < ends.asi8
    if until is not None:
        keep &= ends.asi8 <= pd.Timestamp(until).value
    if len(busy):
        busy_start = np.array([pd.Timestamp(s).value for s, _ in busy], dtype=np.int64)
        busy_end = np.array([pd.Timestamp(e).value for _, e in busy], dtype=np.int64)
        overlap = (starts.asi8[:, None] < busy_end[None, :]) & (ends.asi8[:, None] > busy_start[None, :])
        keep &= ~overlap.any(axis=1)
    return pd.DataFrame({"start": starts[keep], "end": ends[keep]})


class HourlyPresence:
    """The presence cube's visible presence per zone as a running total over the UTC hours of the
    local year, so that the presence in any span is two interpolations (uniform within an hour).
    A local hour that occurs twice (autumn) has its cube cell shared by its two real hours."""

    def __init__(self, cube: PresenceCube) -> None:
        first, last = local_year(cube.year)
        hours = pd.date_range(first, last, freq="h", inclusive="left").tz_convert("UTC")
        local = hours.tz_convert(LOCAL_TZ)
        day = np.asarray((local.tz_localize(None).normalize() - first.tz_localize(None)).days, dtype=np.int64)
        hour = np.asarray(local.hour, dtype=np.int64)
        cell = day * 24 + hour
        shares = np.bincount(cell, minlength=cube.days * 24)[cell]
        per_hour = cube.presence_s[:, day, hour] / shares / 3600.0
        self.t0 = int(hours[0].value)
        self.zone_ids = list(cube.zone_ids)
        self.total = np.concatenate([np.zeros((per_hour.shape[0], 1)), np.cumsum(per_hour, axis=1)], axis=1)

    def hours(self, zone_ids: Sequence[str], starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.float64]:
        """Presence hours in the zones ``zone_ids`` from each of ``starts`` to ``ends`` (UTC ns)."""
        rows = [self.zone_ids.index(z) for z in zone_ids if z in self.zone_ids]
        total = self.total[rows].sum(axis=0)
        grid = np.arange(len(total), dtype=float)

        def running(t: NDArray[np.int64]) -> NDArray[np.float64]:
            return np.interp((np.asarray(t, dtype=np.int64) - self.t0) / HOUR_NS, grid, total)

        return running(ends) - running(starts)


def _counts(times: NDArray[np.int64], starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.int64]:
    """How many of the sorted ``times`` lie in each span [start, end) (UTC ns)."""
    return np.searchsorted(times, ends, side="left") - np.searchsorted(times, starts, side="left")


def event_figures(events: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, cube: PresenceCube, incidents: gpd.GeoDataFrame,
                  reports: gpd.GeoDataFrame, until: pd.Timestamp | None = None, *, min_count: int | None) -> pd.DataFrame:
    """The figures of each event of ``events`` that starts in the cube's year, against its comparison
    windows (see the module), one row per event in the order of their start, columns
    :data:`FIGURE_COLUMNS` (``zones``: a tuple of zone ids; figures NaN for an event outside every
    zone, the event's own NaN (not known yet) when it ends after ``until``, comparison figures NaN
    without comparison windows). ``incidents`` and ``reports`` are the layers' frames (any period;
    the windows pick); ``until``: the end of the data (windows after it are not compared with);
    ``min_count``: k, the reports as the public may see them (:func:`suppress_reports`; None: exact)."""
    year = cube.year
    first, last = local_year(year)
    events = events.reset_index(drop=True)
    every = event_zones(events, zones)
    chosen = events[(events["starts_at"] >= first) & (events["starts_at"] < last)].sort_values(["starts_at", "id"])
    places = [every[position] for position in chosen.index]
    presence = HourlyPresence(cube)
    incident_zone = _zone_ids(zones, incidents[incidents["location_precision"].isin(USABLE_PRECISION)])
    fault = reports[~reports["category"].isin(UNPUBLISHED_CATEGORIES)]
    report_zone = _zone_ids(zones, fault)
    rows = []
    for (_, event), place in zip(chosen.iterrows(), places):  # one row per event (tens a year)
        row = {"id": event["id"], "name": event["name"], "kind": event["kind"], "starts_at": event["starts_at"],
               "ends_at": event["ends_at"], "zones": place}
        busy = [(s, e) for s, e, z in zip(events["starts_at"], events["ends_at"], every) if set(z) & set(place)]
        windows = comparison_windows(event["starts_at"], event["ends_at"], year, busy, until)
        starts = np.concatenate([[event["starts_at"].value], windows["start"].to_numpy(dtype="datetime64[ns]").view(np.int64)])
        ends = np.concatenate([[event["ends_at"].value], windows["end"].to_numpy(dtype="datetime64[ns]").view(np.int64)])
        row["comparison_windows"] = len(windows)
        known = until is None or event["ends_at"] <= until  # an event not over yet has no figures of its own yet
        values = {"presence_h": presence.hours(place, starts, ends) if place else None,
                  "incidents": _counts(incident_zone(place, "occurred_at"), starts, ends) if place else None,
                  "reports": _counts(report_zone(place, "created_at"), starts, ends) if place else None}
        for figure, found in values.items():
            compared = found[1:] if found is not None and len(windows) else None
            row[figure] = float(found[0]) if found is not None and known else np.nan
            row |= {f"{figure}_mean": np.nan if compared is None else float(compared.mean()),
                    f"{figure}_min": np.nan if compared is None else float(compared.min()),
                    f"{figure}_max": np.nan if compared is None else float(compared.max())}
        rows.append(row)
    return suppress_reports(pd.DataFrame(rows, columns=list(FIGURE_COLUMNS)), min_count)


def suppress_reports(figures: pd.DataFrame, k: int | None) -> pd.DataFrame:
    """``figures`` (:data:`FIGURE_COLUMNS`) with citizens' fault reports as the public may see
    them (k-anonymity, :mod:`geo.publish`): an event's ``reports`` below ``k`` (zero included) NaN;
    ``reports_mean`` NaN unless the comparison windows hold ``k`` or more reports together (the
    mean times ``comparison_windows`` gives their sum back); ``reports_min`` and ``reports_max``
    NaN unless every window holds ``k`` or more. So no figure shows or gives back a count of 1 …
    k−1. ``k`` None (staff): unchanged."""
    if k is None:
        return figures
    together = (figures["reports_mean"] * figures["comparison_windows"]).round()
    every = figures["reports_min"] >= k
    return figures.assign(reports=figures["reports"].where(figures["reports"] >= k),
                          reports_mean=figures["reports_mean"].where(together >= k),
                          reports_min=figures["reports_min"].where(every), reports_max=figures["reports_max"].where(every))


def _zone_ids(zones: gpd.GeoDataFrame, frame: gpd.GeoDataFrame):
    """A function (zone ids, time field) → the sorted UTC ns of the records of ``frame`` in those zones."""
    zone = np.append(zones["zone_id"].to_numpy(dtype=object), None)[
        zone_positions(zones, frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())]

    def times(place: Sequence[str], field: str) -> NDArray[np.int64]:
        chosen = frame[field].to_numpy(dtype="datetime64[ns]")[np.isin(zone, list(place))]
        return np.sort(chosen.view(np.int64))

    return times


def events_per_band(events: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per Purple Flag band (:data:`geo.patrol.NIGHT_BANDS`, in its order): ``events``, how many
    events of local ``year`` were held in it (any of their time in one of its hours, on any night),
    and ``event_hours``, the hours of events in it (an hour with two events counts twice).
    ``events`` needs ``starts_at`` and ``ends_at`` (tz-aware)."""
    first, last = local_year(year)
    hours = pd.date_range(first, last, freq="h", inclusive="left").tz_convert("UTC").as_unit("ns")
    h0 = hours.asi8
    starts = events["starts_at"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    ends = events["ends_at"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    overlap = np.clip(np.minimum(ends[:, None], h0[None, :] + HOUR_NS) - np.maximum(starts[:, None], h0[None, :]),
                      0, None) / HOUR_NS
    local_hour = np.asarray(hours.tz_convert(LOCAL_TZ).hour)
    rows = {}
    for band, band_hours in NIGHT_BANDS.items():
        in_band = overlap[:, np.isin(local_hour, band_hours)]
        rows[band] = {"events": int((in_band.sum(axis=1) > 0).sum()), "event_hours": float(in_band.sum())}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("band")

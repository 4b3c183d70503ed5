"""Presence logs: the hours the police's own systems log for a unit (unit, start, end, mode, crew,
and a zone id or a point), counted as presence where no GPS track of the same unit covers them.

Police rarely hand over raw GPS; their systems log hours. A log row is taken at its word for its
place (the zone it names, or the zone of its point; outside every zone it is time outside) and its
mode: foot, bike and horse time is visible presence (× crew for officer-hours), a car's time is
vehicle presence. Where the same unit also has GPS, **GPS wins**: the unit's logged time is counted
only where its pings do not cover it, and the time both cover is reported as the overlap. GPS
covers the time between two consecutive pings of the unit whose gap presence counts
(:func:`geo.patrol.gps_covered`): no time is lost between the two. Two log rows of one unit may not
overlap.

Times are UTC instants (ns since 1970); a row's time is split at hour boundaries and each piece
counted in the local (Europe/Stockholm) day and hour it starts in, as GPS time is.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.errors import Message, ValidationError
from geo.layers import PATROL_MODES, VEHICLE_MODES
from geo.patrol import CUBE_FIGURES, PresenceCube, cube_from_contributions, local_offsets_ns
from geo.timestamps import parse_utc
from geo.zones import zone_positions

HOUR_NS = 3600 * 10**9
DAY_NS = 24 * HOUR_NS
MAX_ROW_H = 24
"""A log row longer than this (hours) is refused: a shift, not a season."""
LOG_COLUMNS = ("unit_id", "start", "end", "mode", "crew", "zone_id", "lon", "lat", "source")
"""A validated presence log: UTC ``start``/``end``, ``zone_id`` or ``lon``/``lat`` (WGS84), ``source``."""


def validate_log(raw: pd.DataFrame, zone_ids: list[str], source: str) -> pd.DataFrame:
    """The rows of a presence log file (text columns unit_id, start, end, mode, optional crew,
    zone_id, lon, lat, source) checked and typed, in :data:`LOG_COLUMNS`; the first problem raises
    :class:`ValidationError` naming ``source``, the row (as a spreadsheet numbers it: the header is row 1) and the field."""
    missing = [c for c in ("unit_id", "start", "end", "mode") if c not in raw]
    if missing:
        raise ValidationError(Message("the file has no '{name}' column (a presence log needs unit_id, start, end, "
                                      "mode and a zone_id or lon and lat)", name=missing[0]), file=source,
                              field=missing[0])
    if "zone_id" not in raw and not {"lon", "lat"} <= set(raw.columns):
        raise ValidationError(Message("a presence log needs a zone_id column or lon and lat columns"), file=source)
    rows = pd.Series([f"row {i + 2}" for i in range(len(raw))], index=raw.index)

    def fail(mask: pd.Series, field: str, message: str) -> None:
        if mask.any():
            first = mask.idxmax()
            raise ValidationError(message, file=source, row=rows[first], field=field)

    text = {c: raw[c].astype("string").str.strip() if c in raw else pd.Series(pd.NA, index=raw.index, dtype="string")
            for c in ("unit_id", "mode", "zone_id", "source")}
    fail(text["unit_id"].isna() | (text["unit_id"] == ""), "unit_id", "a unit id is needed")
    times = {}
    for field in ("start", "end"):
        times[field], problems = parse_utc(raw[field])
        if problems.notna().any():
            first = problems.notna().idxmax()
            raise ValidationError(Message("not a usable time: {problem}", problem=problems[first]),
                                  file=source, row=rows[first], field=field)
    length = times["end"] - times["start"]
    fail(length <= pd.Timedelta(0), "end", "the end is not after the start")
    fail(length > pd.Timedelta(hours=MAX_ROW_H), "end", f"a log row spans more than {MAX_ROW_H} hours")
    mode = text["mode"].str.lower()
    fail(~mode.isin(PATROL_MODES), "mode", f"the mode must be one of {', '.join(PATROL_MODES)}")
    given = raw["crew"].astype("string").str.strip().replace("", pd.NA) if "crew" in raw \
        else pd.Series(pd.NA, index=raw.index, dtype="string")
    crew = pd.to_numeric(given.astype(object), errors="coerce").where(given.notna(), 1.0)  # no crew given: 1
    fail(crew.isna() | (crew % 1 != 0) | (crew < 1) | (crew > 20), "crew", "the crew is a whole number of officers, 1 to 20")
    lon = pd.to_numeric(raw["lon"], errors="coerce") if "lon" in raw else pd.Series(np.nan, index=raw.index)
    lat = pd.to_numeric(raw["lat"], errors="coerce") if "lat" in raw else pd.Series(np.nan, index=raw.index)
    zone = text["zone_id"].where(text["zone_id"] != "")
    placed = zone.notna() | (lon.notna() & lat.notna())
    fail(~placed, "zone_id", "give the zone_id or the point (lon and lat, WGS84 degrees)")
    fail(zone.notna() & ~zone.isin(zone_ids), "zone_id", f"not a zone; the zones are {', '.join(zone_ids)}")
    fail(zone.isna() & ((lon.abs() > 180) | (lat.abs() > 90)), "lon", "lon/lat are WGS84 degrees")
    log = pd.DataFrame({"unit_id": text["unit_id"].astype(object), "start": times["start"], "end": times["end"],
                        "mode": mode.astype(object), "crew": crew.astype("int64"), "zone_id": zone.astype(object),
                        "lon": lon.where(zone.isna()).astype(float), "lat": lat.where(zone.isna()).astype(float),
                        "source": text["source"].fillna(source).astype(object)})
    log = log.where(pd.notna(log), None).astype({"crew": "int64", "lon": float, "lat": float})
    order = log.sort_values(["unit_id", "start"])
    overlaps = (order["unit_id"] == order["unit_id"].shift()) & (order["start"] < order["end"].shift())
    if overlaps.any():
        second = overlaps.idxmax()
        first = order.index[order.index.get_loc(second) - 1]
        raise ValidationError(Message("overlaps {row} of the same unit; a unit's logged time is given once",
                                      row=rows[first]),
                              file=source, row=rows[second], field="start")
    return log.reset_index(drop=True)


def log_contributions(log: pd.DataFrame, covered: pd.DataFrame, zones: gpd.GeoDataFrame,
                      year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a validated ``log`` adds to presence where the GPS ``covered`` time
    (:func:`geo.patrol.gps_covered`) of the same unit does not: rows of (zone position in ``zones``, the last
    for outside every zone; ``local_day`` since 1970; local ``hour``; and the seconds of
    :data:`geo.patrol.CUBE_FIGURES`), like :func:`geo.patrol.presence_parts`' cells; and the
    log's time per zone, day and hour split into ``counted_s`` and ``overlap_s`` (covered by GPS
    too, so counted from GPS). ``year`` bounds the local-time conversion."""
    segment_rows, seg_start, seg_end, seg_covered = [], [], [], []
    starts = log["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    ends = log["end"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    for unit, rows in log.groupby("unit_id", sort=False).indices.items():
        gps = covered[covered["unit_id"] == unit]
        c_start, c_end = gps["start_ns"].to_numpy(dtype=np.int64), gps["end_ns"].to_numpy(dtype=np.int64)
        order = rows[np.argsort(starts[rows], kind="stable")]
        bounds = np.unique(np.r_[starts[order], ends[order], c_start, c_end])
        mid = (bounds[:-1] + bounds[1:]) // 2
        owner = np.searchsorted(starts[order], mid, side="right") - 1
        in_log = (owner >= 0) & (mid < ends[order][np.maximum(owner, 0)])
        gps_at = np.searchsorted(c_start, mid, side="right") - 1
        in_gps = (gps_at >= 0) & (mid < np.r_[c_end, 0][gps_at])  # index -1: no GPS before (0 never > mid)
        keep = np.flatnonzero(in_log)
        segment_rows.append(order[owner[keep]]), seg_start.append(bounds[:-1][keep])
        seg_end.append(bounds[1:][keep]), seg_covered.append(in_gps[keep])
    if not segment_rows:
        return _cells([], [], [], {}), pd.DataFrame(columns=["zone", "local_day", "hour", "counted_s", "overlap_s"])
    row, start, end, gps = (np.concatenate(parts) for parts in (segment_rows, seg_start, seg_end, seg_covered))
    # split at hour boundaries (local hours start on UTC hours in Sweden)
    first_hour, last_hour = start // HOUR_NS, (end - 1) // HOUR_NS
    count = (last_hour - first_hour + 1).astype(np.int64)
    piece = np.repeat(np.arange(len(start)), count)
    hour_index = first_hour[piece] + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    p_start = np.maximum(start[piece], hour_index * HOUR_NS)
    p_end = np.minimum(end[piece], (hour_index + 1) * HOUR_NS)
    seconds = (p_end - p_start) / 1e9
    local = p_start + local_offsets_ns(p_start, year)
    day, hour = local // DAY_NS, (local % DAY_NS) // HOUR_NS
    zone = _zone_of_rows(log, zones)[row[piece]]
    mode = log["mode"].to_numpy()[row[piece]]
    crew = log["crew"].to_numpy(dtype=float)[row[piece]]
    counted = ~gps[piece]
    vehicle = np.isin(mode, VEHICLE_MODES)
    visible = seconds * counted * ~vehicle
    cells = _cells(zone, day, hour, {"presence_s": visible, "officer_s": visible * crew,
                                     "drive_s": np.zeros_like(seconds), "vehicle_s": seconds * counted * vehicle})
    split = pd.DataFrame({"zone": zone, "local_day": day, "hour": hour, "counted_s": seconds * counted,
                          "overlap_s": seconds * ~counted}).groupby(["zone", "local_day", "hour"], as_index=False).sum()
    return cells, split


def _zone_of_rows(log: pd.DataFrame, zones: gpd.GeoDataFrame) -> NDArray[np.int64]:
    """Each row's zone position (by its zone id, else its point); outside every zone: len(zones)."""
    ids = zones["zone_id"].tolist()
    by_id = log["zone_id"].map({zone_id: i for i, zone_id in enumerate(ids)})
    by_point = zone_positions(zones, log["lon"].fillna(0.0).to_numpy(), log["lat"].fillna(0.0).to_numpy())
    position = np.where(by_id.notna(), by_id.fillna(-1).to_numpy(), by_point).astype(np.int64)
    return np.where(position < 0, len(ids), position)


def _cells(zone, day, hour, figures: dict) -> pd.DataFrame:
    frame = pd.DataFrame({"zone": np.asarray(zone, dtype=np.int64), "local_day": np.asarray(day, dtype=np.int64),
                          "hour": np.asarray(hour, dtype=np.int64),
                          **{name: np.asarray(figures.get(name, []), dtype=float) for name in CUBE_FIGURES}})
    return frame.groupby(["zone", "local_day", "hour"], as_index=False).sum()


def cube_with_log(cube: PresenceCube, cells: pd.DataFrame, split: pd.DataFrame) -> PresenceCube:
    """``cube`` (from GPS) with a log's contributions (:func:`log_contributions`) added, the log's
    part kept apart as ``logged`` (a cube of its own) and its overlap with GPS as ``log_overlap_s``."""
    logged = cube_from_contributions(cells, cube.zone_ids, cube.year)
    # the same summing, with the overlapping seconds in the first figure's place
    overlap = cube_from_contributions(split.assign(presence_s=split["overlap_s"], officer_s=0.0, drive_s=0.0,
                                                   vehicle_s=0.0), cube.zone_ids, cube.year)
    return PresenceCube(cube.year, cube.zone_ids, *(getattr(cube, name) + getattr(logged, name) for name in CUBE_FIGURES),
                        logged=logged, log_overlap_s=overlap.presence_s)


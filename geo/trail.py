"""The presence trail: where and when visible presence was, compact enough to keep per unit and day.

Each interval of visible presence (see :mod:`geo.patrol`) is placed by its midpoint on a grid of
``TRAIL_CELL_M`` (5 m) squares in SWEREF 99 TM, aligned to multiples of 5 m; consecutive
intervals of one unit in the same square, UTC day and local day are one row of the trail:
``unit_id``, ``day_utc`` (UTC days since 1970 of the start), ``local_day`` (days since 1970-01-01
in Europe/Stockholm), ``east_dm``/``north_dm`` (the mean of the row's midpoints, SWEREF 99 TM
decimetres rounded down: inside the row's square), ``start_ns``/``end_ns`` (UTC ns; the end of
the row's last interval) and ``seconds`` of visible presence. Rows of one unit follow each other
without a break when one's end is the next one's start.

A year of the demo's patrols (3.3 million pings) is about a million rows, so hot-spot visits and
spatial coverage are computed from the kept trail without reading the pings. Squares are exact for
hot spots (150 m squares on the 50 m grid, widened by whole multiples of 5 m): a midpoint lies in
a hot spot exactly when its square does. For spatial coverage a row's mean position stands for its
midpoints (at most a square's diagonal, 7.1 m, away; about 1.5 m for a walk across it) — not the
square's centre, whose fixed lattice would put many places at exactly the reach.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.timestamps import local_year

TRAIL_CELL_M = 5.0
TRAIL_COLUMNS = ("unit_id", "day_utc", "local_day", "east_dm", "north_dm", "start_ns", "end_ns", "seconds")
_SQUARE_DM = int(TRAIL_CELL_M * 10)


def empty_trail() -> pd.DataFrame:
    """A trail without rows, with the columns' types."""
    types = {"unit_id": str, "day_utc": np.int64, "local_day": np.int64, "east_dm": np.int64, "north_dm": np.int64,
             "start_ns": np.int64, "end_ns": np.int64, "seconds": np.float64}
    return pd.DataFrame({name: pd.Series(dtype=types[name]) for name in TRAIL_COLUMNS})


def trail_rows(interval: NDArray[np.int64], unit: NDArray[np.int64], start_ns: NDArray[np.int64],
               end_ns: NDArray[np.int64], east: NDArray[np.float64], north: NDArray[np.float64],
               local_day: NDArray[np.int64], seconds: NDArray[np.float64]) -> pd.DataFrame:
    """The trail of visible-presence intervals given in unit and time order: their numbers in
    the track arrays (``interval``; consecutive numbers are consecutive intervals), unit codes,
    UTC start and end (ns), midpoints (SWEREF 99 TM metres), local days and seconds. The
    ``unit_id`` column holds the unit codes as given."""
    cell_e = np.floor(east / TRAIL_CELL_M).astype(np.int64)
    cell_n = np.floor(north / TRAIL_CELL_M).astype(np.int64)
    day_utc = start_ns // (86_400 * 10**9)
    new = np.ones(len(interval), dtype=bool)
    new[1:] = ((np.diff(interval) != 1) | (np.diff(unit) != 0) | (np.diff(cell_e) != 0) | (np.diff(cell_n) != 0)
               | (np.diff(local_day) != 0) | (np.diff(day_utc) != 0))
    first = np.flatnonzero(new)
    if not len(first):
        return empty_trail().astype({"unit_id": np.int64})  # (codes here)
    last = np.r_[first[1:] - 1, len(interval) - 1]
    count = last - first + 1
    # the mean midpoint, in decimetres rounded down, clamped into the square (against rounding)
    east_dm = np.clip(np.floor(np.add.reduceat(east, first) / count * 10).astype(np.int64),
                      cell_e[first] * _SQUARE_DM, cell_e[first] * _SQUARE_DM + _SQUARE_DM - 1)
    north_dm = np.clip(np.floor(np.add.reduceat(north, first) / count * 10).astype(np.int64),
                       cell_n[first] * _SQUARE_DM, cell_n[first] * _SQUARE_DM + _SQUARE_DM - 1)
    return pd.DataFrame({"unit_id": unit[first], "day_utc": day_utc[first], "local_day": local_day[first],
                         "east_dm": east_dm, "north_dm": north_dm, "start_ns": start_ns[first],
                         "end_ns": end_ns[last], "seconds": np.add.reduceat(seconds, first)})


def trail_of_year(trail: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of ``trail`` on the local days of ``year`` (Europe/Stockholm)."""
    first, last = (day.tz_localize(None).value // (86_400 * 10**9) for day in local_year(year))
    return trail[(trail["local_day"] >= first) & (trail["local_day"] < last)].reset_index(drop=True)


def in_unit_time_order(trail: pd.DataFrame) -> pd.DataFrame:
    """``trail`` with each unit's rows together in time order (unchanged when they already are, as
    kept and as computed)."""
    step = np.diff(pd.factorize(trail["unit_id"])[0])  # codes by first appearance: 1 at a new unit
    if ((step == 1) | ((step == 0) & (np.diff(trail["start_ns"].to_numpy()) >= 0))).all():
        return trail
    return trail.sort_values(["unit_id", "start_ns"], kind="stable", ignore_index=True)


def squares(trail: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """The distinct squares of ``trail`` as their centres (SWEREF 99 TM metres, east and north),
    and for each row the number of its square among them."""
    return _distinct(trail["east_dm"].to_numpy(dtype=np.int64) // _SQUARE_DM,
                     trail["north_dm"].to_numpy(dtype=np.int64) // _SQUARE_DM, TRAIL_CELL_M)


def positions(trail: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The distinct positions of ``trail``'s rows to the metre (SWEREF 99 TM metres, the centres
    of the metre squares they lie in)."""
    east, north, _ = _distinct(trail["east_dm"].to_numpy(dtype=np.int64) // 10,
                               trail["north_dm"].to_numpy(dtype=np.int64) // 10, 1.0)
    return east, north


def _distinct(ix: NDArray[np.int64], iy: NDArray[np.int64], size: float
              ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """The distinct grid squares of indices ``ix``/``iy`` as centres (squares of ``size`` m),
    and each entry's number among them (by hashing, not sorting: a year's trail has about a
    million rows)."""
    if not len(ix):
        return np.empty(0), np.empty(0), np.empty(0, dtype=np.int64)
    low_x, low_y = ix.min(), iy.min()
    span = iy.max() - low_y + 1
    which, keys = pd.factorize((ix - low_x) * span + (iy - low_y))
    return ((keys // span + low_x + 0.5) * size, (keys % span + low_y + 0.5) * size, which.astype(np.int64))

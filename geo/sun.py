"""Daylight at Halmstad: whether moments fall between sunset and sunrise (astral)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from astral import Observer
from astral.sun import sunrise, sunset
from numpy.typing import NDArray

from geo.crs import HALMSTAD_LONLAT
from geo.timestamps import LOCAL_TZ

HALMSTAD = Observer(latitude=HALMSTAD_LONLAT[1], longitude=HALMSTAD_LONLAT[0])


def after_dark(moments: pd.Series, observer: Observer = HALMSTAD) -> NDArray[np.bool_]:
    """Whether each tz-aware moment lies after sunset or before sunrise on its local date
    (Europe/Stockholm) at ``observer`` (default Stora Torg, Halmstad). NaT gives False."""
    local = moments.dt.tz_convert(LOCAL_TZ)
    days = local.dt.date
    result = np.zeros(len(moments), dtype=bool)
    for day in pd.unique(days.dropna()):
        rise, set_ = _sun_times(day, observer)
        mine = (days == day).to_numpy()
        stamps = local[mine]
        result[mine] = ((stamps < rise) | (stamps >= set_)).to_numpy()
    return result


def _sun_times(day: date, observer: Observer) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Sunrise and sunset (UTC timestamps) on a date at the observer."""
    return (pd.Timestamp(sunrise(observer, day)).tz_convert("UTC"),
            pd.Timestamp(sunset(observer, day)).tz_convert("UTC"))


def dark_fraction(starts: pd.Series, length: pd.Timedelta = pd.Timedelta(hours=1),
                  observer: Observer = HALMSTAD) -> NDArray[np.float64]:
    """The part (0-1) of each period of ``length`` from the tz-aware moments ``starts`` that lies
    after sunset or before sunrise of its local date (as :func:`after_dark` counts them), for
    periods that do not cross local midnight (a whole local hour never does, on daylight-saving
    nights too). One sun calculation per local date, the rest vectorised."""
    local = starts.dt.tz_convert(LOCAL_TZ)
    days = local.dt.date
    unique = pd.unique(days)
    times = [_sun_times(day, observer) for day in unique]
    which = pd.Index(unique).get_indexer(days)
    rise = np.array([r.value for r, _ in times], dtype=np.int64)[which]
    set_ = np.array([s.value for _, s in times], dtype=np.int64)[which]
    begin = starts.dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy()
    end = begin + length.value
    before = np.clip(np.minimum(end, rise) - begin, 0, None)
    after = np.clip(end - np.maximum(begin, set_), 0, None)
    return (before + after) / length.value

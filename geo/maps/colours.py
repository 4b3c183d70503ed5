"""Colours the map builders share: the light-to-dark-red value ramp and the lamps' status colours."""

from __future__ import annotations

import numpy as np
import pandas as pd

LIGHT_COLOURS = {"working": "#f2c230", "broken": "#d7301f", "planned": "#3182bd", "removed": "#969696"}
"""A lamp's colour by status (the statuses of :data:`geo.layers.LIGHT_STATUS_NAMES`)."""

_RAMP_STOPS = np.array([[254, 240, 217], [253, 204, 138], [252, 141, 89], [215, 48, 31]])


def ramp(values: pd.Series) -> pd.Series:
    """CSS colours (``#rrggbb``, same index) from light to dark red for ``values``, scaled to their
    range: the smallest lightest, the largest darkest, all of them lightest when they are equal.
    Negate the values for the reverse order."""
    low, high = float(values.min()), float(values.max())
    share = (values - low) / (high - low) if high > low else values * 0
    index = np.clip(share.to_numpy() * (len(_RAMP_STOPS) - 1), 0, len(_RAMP_STOPS) - 1)
    lower = np.floor(index).astype(int)
    upper = np.minimum(lower + 1, len(_RAMP_STOPS) - 1)
    mix = (_RAMP_STOPS[lower] + (_RAMP_STOPS[upper] - _RAMP_STOPS[lower]) * (index - lower)[:, None]).astype(int)
    return pd.Series(["#%02x%02x%02x" % tuple(rgb) for rgb in mix], index=values.index)

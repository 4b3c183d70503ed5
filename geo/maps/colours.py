"""The maps' colours, in one place: the web maps (folium) and the styles of the GIS package
(:mod:`geo.maps.gis_styles`) take them from here — the light-to-dark-red value ramp, the zones by
kind, the streets, lamps by status, citizens' reports and unsafe places, a patrol's track, events and
cameras by status."""

from __future__ import annotations

import numpy as np
import pandas as pd

LIGHT_COLOURS = {"working": "#f2c230", "broken": "#d7301f", "planned": "#3182bd", "removed": "#969696"}
"""A lamp's colour by status (the statuses of :data:`geo.layers.LIGHT_STATUS_NAMES`)."""
ZONE_KIND_COLOURS = {"square": "#d95f02", "street": "#7570b3", "park": "#1b9e77", "waterfront": "#1f78b4",
                     "transport": "#e7298a", "mixed": "#a6761d"}
"""A zone's fill by kind (the kinds of :data:`geo.zones.ZONE_KINDS`)."""
ZONE_OUTLINE = "#333333"
ZONE_FILL_OPACITY = 0.25
STREET_COLOUR = "#222222"
REPORT_COLOUR = "#6a3d9a"
"""Citizens' reports (open reports on the planner's map)."""
UNSAFE_PLACE_COLOUR = "#8856a7"
"""Places where citizens feel unsafe."""
SURVEY_PLACE_COLOUR = "#225ea8"
"""Places the safety survey's respondents marked."""
NO_VALUE_COLOUR = "#d9d9d9"
"""A zone without a figure (no survey result, or one from fewer than k answers)."""
TRACK_COLOUR = "#1f78b4"
"""A patrol's track."""
HOTSPOT_COLOUR = "#e31a1c"
EVENT_COLOUR = "#01665e"
"""Events (their places and areas), apart from the red ramp, the purples of citizens' data and the lamps."""

_RAMP_STOPS = np.array([[254, 240, 217], [253, 204, 138], [252, 141, 89], [215, 48, 31]])
INCIDENT_COLOUR = "#%02x%02x%02x" % tuple(_RAMP_STOPS[-1])
"""Incidents one by one: the ramp's darkest colour, that of the busiest cells of the incident grids."""


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
CAMERA_COLOURS = {"proposed": "#ff7f00", "permitted": "#984ea3", "installed": "#4daf4a", "removed": "#969696"}
"""Surveillance cameras and their views by status (geo.layers.CAMERA_STATUS_NAMES)."""
VIEW_FILL_OPACITY = 0.3
"""How much a camera's view polygon is filled."""

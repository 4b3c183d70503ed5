"""Incidents as the public sees them, a page at a time: generalised to the public grid and a local
date (:func:`geo.publish.generalise_incidents`), and filtered on what is published."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import widened_box
from geo.layers import INCIDENTS
from geo.publish import PUBLIC_INCIDENT_GRID_M, generalise_incidents
from geo.timestamps import LOCAL_TZ
from service.store import FeatureQuery, Store

Inside = Callable[[gpd.GeoDataFrame], np.ndarray]
"""Which of a frame's (WGS84) features lie in the asked box, decided exactly."""


def public_incidents(store: Store, box: tuple[float, float, float, float] | None, inside: Inside | None,
                     first: pd.Timestamp | None, last: pd.Timestamp | None, categories: tuple[str, ...] | None,
                     limit: int, offset: int) -> tuple[gpd.GeoDataFrame, int]:
    """A page of incidents as the public sees them and how many match, filtered on what is
    published — the local date and the cell's centre — so narrow boxes and time windows cannot
    reveal exact incidents. The dates are exact in SQL (a local day's bounds). ``box`` (WGS84,
    holding the asked box) is widened there by the distance from a point to its cell's centre;
    ``inside`` decides exactly on the generalised candidates."""
    query = FeatureQuery(start=_local_day(first, "floor"), end=_local_day(last, "ceil"), categories=categories)
    if box is None:
        found = store.query_features(INCIDENTS, query, limit, offset)
        return generalise_incidents(found.frame), found.matched
    reach_m = PUBLIC_INCIDENT_GRID_M / math.sqrt(2)
    candidates = generalise_incidents(store.read_features(INCIDENTS, query=replace(query, bbox=widened_box(box, reach_m))))
    public = candidates[inside(candidates)]
    return public.iloc[offset:offset + limit], len(public)


def _local_day(at: pd.Timestamp | None, rounding: str) -> pd.Timestamp | None:
    """The instant rounded down or up to a whole day in Stockholm time."""
    if at is None:
        return None
    naive = at.tz_convert(LOCAL_TZ).tz_localize(None)
    day = naive.floor("D") if rounding == "floor" else naive.ceil("D")
    return day.tz_localize(LOCAL_TZ)

"""Synthetic events of a demo year (source ``synthetic``, every name saying so): the summer
festival on Stora Torg (four days in July, an area inside the square), the Christmas market (the
December weekends before Christmas, on Lilla Torg) and a Saturday night in the centre (the first
Saturday of each month, 22:00–02:00, a point on Storgatan). A pure function of the year and the zones."""

from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import pandas as pd
import shapely
from shapely import affinity

from geo.demo import SOURCE
from geo.layers import AREA, EVENTS, area_point, validate

ORGANISER = "Syntetisk arrangör (demodata)"
FESTIVAL_ZONE, MARKET_ZONE, NIGHT_ZONE = "stora-torg", "brogatan-lilla-torg", "storgatan-norre-port"
"""The zones the demo's events are held in (of data/stadskarna.geojson)."""


def demo_events(zones: gpd.GeoDataFrame, year: int) -> gpd.GeoDataFrame:
    """The demo's events of ``year`` as the validated events frame (naive times are local time)."""
    by_zone = dict(zip(zones["zone_id"], zones.to_crs("EPSG:4326").geometry))
    square = affinity.scale(by_zone[FESTIVAL_ZONE], 0.6, 0.6, origin=shapely.point_on_surface(by_zone[FESTIVAL_ZONE]))
    market, night = (area_point(by_zone[zone].buffer(-0.0001)) for zone in (MARKET_ZONE, NIGHT_ZONE))
    rows = []
    first_thursday = _first(date(year, 7, 14), 3)  # the third weekend of July, Thursday to Sunday
    for day in range(4):
        held = first_thursday + timedelta(days=day)
        rows.append({"id": f"demo-{year}-sommarfest-{day + 1}", "name": f"Sommarfest på Stora Torg, dag {day + 1} (syntetisk)",
                     "starts_at": f"{held}T12:00", "ends_at": f"{held + timedelta(days=1)}T00:00", "kind": "festival",
                     "expected_visitors": 8000, AREA: square.wkt, "lon": None, "lat": None})
    for held in pd.date_range(f"{year}-12-01", f"{year}-12-23", freq="D"):
        if held.weekday() >= 5:
            rows.append({"id": f"demo-{year}-julmarknad-{held:%m%d}", "name": "Julmarknad på Lilla Torg (syntetisk)",
                         "starts_at": f"{held:%Y-%m-%d}T11:00", "ends_at": f"{held:%Y-%m-%d}T17:00", "kind": "market",
                         "expected_visitors": 3000, "lon": market.x, "lat": market.y})
    for month in range(1, 13):
        held = _first(date(year, month, 1), 5)
        rows.append({"id": f"demo-{year}-lordagsnatt-{month:02d}", "name": "Lördagsnatt i centrum (syntetisk)",
                     "starts_at": f"{held}T22:00", "ends_at": f"{held + timedelta(days=1)}T02:00", "kind": "nightlife",
                     "expected_visitors": 1500, "lon": night.x, "lat": night.y})
    raw = pd.DataFrame(rows).assign(organiser=ORGANISER, source=SOURCE)
    in_square = raw[AREA].notna()  # placed by the rules at a point of their area
    point = area_point(square)
    raw.loc[in_square, "lon"], raw.loc[in_square, "lat"] = point.x, point.y
    return validate(EVENTS, raw, "demo events")


def _first(day: date, weekday: int) -> date:
    """The first date on or after ``day`` that is ``weekday`` (Monday 0)."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)

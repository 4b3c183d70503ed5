"""Events for a living centre: adding one (the API's and the staff page's one use case), removing
one, and the year's events with their figures (:mod:`geo.events`) for the calendar and the API."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import Message, ValidationError
from geo.events import FIGURES, event_figures, events_per_band
from geo.layers import AREA, EVENT_KIND_NAMES, EVENTS, INCIDENTS, REPORTS, validate
from geo.patrol import PresenceRules
from geo.timestamps import LOCAL_TZ, local_day_end, local_year, utc_text
from geo.zones import zone_positions
from service.presence import kept_cube
from service.store import Actor, FeatureQuery, Store

STAFF_SOURCE = "staff"
"""The ``source`` of an event added by staff (through the API or the staff page)."""
EDITORS = ("municipality",)
"""Who adds and removes events (the API and the staff page)."""


def place_of(zones: gpd.GeoDataFrame, place: str | None, lon: object, lat: object) -> tuple[object, object]:
    """The position of an event: the named place ``place`` (a zone id: a point inside that zone),
    else ``lon``/``lat`` as given (checked by the layer's rules)."""
    if place:
        chosen = zones[zones["zone_id"] == place]
        if chosen.empty:
            raise ValidationError(Message("no place {place!r}: the places are {places}", place=place,
                                          places=", ".join(zones["zone_id"])), field="place")
        point = shapely.point_on_surface(chosen.geometry.iloc[0])
        return round(point.x, 7), round(point.y, 7)
    return lon, lat


def new_event(store: Store, zones: gpd.GeoDataFrame, fields: Mapping[str, object], actor: Actor) -> gpd.GeoDataFrame:
    """Validate and store one event from a request's or a form's ``fields`` (``name``,
    ``starts_at``, ``ends_at``, ``kind``, ``expected_visitors``, ``organiser``, the place as
    ``place`` — a zone id — or ``lon``/``lat``, optionally ``area`` as WKT or a GeoJSON geometry,
    optionally ``id``): by the layer's rules, in the stadskärna (the point, or the area's, in a
    zone), checked and written in one transaction. Returns the stored one-row frame;
    :class:`ValidationError` naming the field, :class:`service.store.Conflict` for an id taken."""
    lon, lat = place_of(zones, fields.get("place") or None, fields.get("lon"), fields.get("lat"))
    area = fields.get(AREA)
    if isinstance(area, Mapping):
        try:
            area = shapely.geometry.shape(area).wkt
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, shapely.errors.ShapelyError):
            raise ValidationError(Message("the area is not a GeoJSON Polygon or MultiPolygon"), field=AREA) from None
    raw = {name: fields.get(name) for name in EVENTS.field_names if name not in ("id", "source")}
    raw |= {"id": fields.get("id") or f"ev-{uuid.uuid4().hex[:12]}", "source": STAFF_SOURCE, "lon": lon, "lat": lat,
            AREA: area}
    frame = validate(EVENTS, pd.DataFrame([raw], dtype=object), "request")
    if zone_positions(zones, frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())[0] < 0:
        raise ValidationError(Message("the place lies outside the stadskärna; events are kept for Halmstad's city "
                                      "centre only"), field="lat/lon")
    store.add_event(frame, actor)
    return frame


def year_events(store: Store, year: int) -> gpd.GeoDataFrame:
    """The events that start in local ``year``, oldest first, with their areas."""
    start, end = local_year(year)
    events = store.read_features(EVENTS, query=FeatureQuery(start=start, end=end, oldest_first=True))
    return events.reset_index(drop=True)


def figures_of_year(store: Store, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules, today: date | None = None,
                    *, min_count: int | None) -> dict:
    """The year's events and their figures (:func:`geo.events.event_figures`), JSON-ready: per
    event its fields, place (zones), area (GeoJSON geometry or None) and figures against its
    comparison windows; and the events per Purple Flag band (:func:`geo.events.events_per_band`).
    The data end (no comparison window after it) is the end of today for the current year.
    Citizens' fault reports as the public sees them with k = ``min_count``
    (:func:`geo.events.suppress_reports`; None: exact), said as ``suppressed_below``."""
    start, end = local_year(year)
    today = today or pd.Timestamp.now(tz=LOCAL_TZ).date()
    until = min(end, local_day_end(today))
    events = store.read_features(EVENTS)
    incidents = store.read_features(INCIDENTS, query=FeatureQuery(start=start, end=end))
    reports = store.read_features(REPORTS, query=FeatureQuery(start=start, end=end))
    cube = kept_cube(store, zones, year, rules)
    figures = event_figures(events, zones, cube, incidents, reports, until=until, min_count=min_count)
    details = events.set_index("id")
    names = dict(zip(zones["zone_id"], zones["name"]))
    rows = []
    for row in figures.to_dict("records"):
        event = details.loc[row["id"]]
        area = event[AREA]
        rows.append({
            "id": row["id"], "name": row["name"], "kind": row["kind"], "kind_name": EVENT_KIND_NAMES[row["kind"]],
            "starts_at": utc_text(row["starts_at"]), "ends_at": utc_text(row["ends_at"]),
            "expected_visitors": _number(event["expected_visitors"]),
            "organiser": None if pd.isna(event["organiser"]) else event["organiser"], "source": event["source"],
            "lon": float(event.geometry.x), "lat": float(event.geometry.y),
            "area": None if area is None else shapely.geometry.mapping(area),
            "zones": [{"zone_id": z, "name": names.get(z, z)} for z in row["zones"]],
            "comparison_windows": int(row["comparison_windows"]),
            "figures": {figure: {"event": _number(row[figure]), "mean": _number(row[f"{figure}_mean"], 2),
                                 "min": _number(row[f"{figure}_min"]), "max": _number(row[f"{figure}_max"])}
                        for figure in FIGURES}})
    year_frame = events[(events["starts_at"] >= start) & (events["starts_at"] < end)]
    bands = events_per_band(year_frame, year)
    return {"year": year, "until": utc_text(until), "suppressed_below": min_count, "events": rows,
            "bands": {band: {"events": int(b["events"]), "event_hours": round(float(b["event_hours"]), 1)}
                      for band, b in bands.iterrows()}}


def _number(value: object, decimals: int = 1) -> float | int | None:
    """A figure as JSON: None for NaN, whole numbers as int, others rounded."""
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return int(number) if number == np.round(number) else round(number, decimals)

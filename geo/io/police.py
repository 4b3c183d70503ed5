"""The Swedish police open events API (polisen.se ``/api/events``) as incident records.

The feed is national. An event's ``location.gps`` is the centroid of the municipality or county
named in ``location.name``, never the scene, and the event's ``name`` ends with the place it is
about ("22 augusti 10.05, Trafikolycka, Kungsbacka"). Only events of the centre's town
(:class:`PoliceArea`) are kept:

- ``location.name`` the town: ``location_precision = "town"`` (its centroid);
- ``location.name`` the town's county and the place the town or the county itself:
  ``location_precision = "county"`` (the county's centroid);
- any other municipality or county: skipped, counted by reason.

Neither precision is a place in the centre: spatial analyses and the centre's counts leave them
out. The feed re-publishes events: an id that comes again with the same content is imported once,
with other content it is an update and the last version in the file is imported (both counted).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import Message, ValidationError
from geo.io.geojson import read_json
from geo.io.records import Records

CATEGORY_BY_TYPE = {
    "Misshandel": "misshandel", "Misshandel, grov": "misshandel", "Våld/hot mot tjänsteman": "misshandel",
    "Rån": "rån", "Rån, försök": "rån", "Rån väpnat": "rån", "Rån övrigt": "rån",
    "Stöld": "stöld", "Stöld, försök": "stöld", "Stöld/inbrott": "stöld", "Inbrott": "stöld",
    "Inbrott, försök": "stöld", "Motorfordon, stöld": "stöld", "Snatteri": "stöld", "Häleri": "stöld",
    "Skadegörelse": "skadegörelse", "Mordbrand": "skadegörelse",
    "Fylleri": "ordningsstörning", "Fylleri/LOB": "ordningsstörning", "Bråk": "ordningsstörning",
    "Ofredande/förargelse": "ordningsstörning", "Ordningslagen": "ordningsstörning",
    "Narkotikabrott": "narkotika",
}
"""Police event types mapped to incident categories; other incident types become "övrigt"."""

NOT_INCIDENTS = ("Sammanfattning", "Uppdatering", "Information")
"""Event types (by prefix) that are summaries or notices, not incidents."""


@dataclass(frozen=True)
class PoliceArea:
    """The municipality the centre lies in, as the police name it (``town``, "Halmstad"), and its
    county (``county``, "Hallands län")."""

    town: str
    county: str


def looks_like_police_events(doc: Any) -> bool:
    """True for a JSON list of objects shaped like police events."""
    return isinstance(doc, list) and bool(doc) and all(
        isinstance(e, dict) and {"datetime", "type", "location"} <= set(e) for e in doc[:5])


def read_police_events(path: str | Path, area: PoliceArea) -> Records:
    """Read a police events JSON file (a list of events) into the incident records of ``area``."""
    return police_records(read_json(path), str(path), area)


def police_records(doc: Any, source: str, area: PoliceArea) -> Records:
    """Incident records of parsed police events (a list of events) in ``area``."""
    if not looks_like_police_events(doc):
        raise ValidationError(Message("expected a list of police events (id, datetime, type, location{{name, gps}})"),
                              file=source)
    latest: dict[str, tuple[int, dict]] = {}  # id -> (position of its first appearance, last version)
    skipped, updated = Counter(), 0
    for i, event in enumerate(doc):
        key = str(event.get("id"))
        if key in latest:
            same = event == latest[key][1]  # the parsed documents, compared whole
            skipped[Message("repeated in the file (imported once)")] += same
            updated += not same
            latest[key] = (latest[key][0], event)
        else:
            latest[key] = (i, event)
    records = []
    for i, event in latest.values():
        kind = str(event.get("type", ""))
        reason = Message("a summary or notice, not an incident") if kind.startswith(NOT_INCIDENTS) else None
        precision = _precision(event, area)
        if reason is None and precision is None:
            reason = Message("not in {town} (another municipality or county)", town=area.town)
        if reason is not None:
            skipped[reason] += 1
            continue
        lat, lon = _gps(event, source, i)
        records.append({"id": f"polisen-{event.get('id')}", "occurred_at": event.get("datetime"),
                        "category": CATEGORY_BY_TYPE.get(kind, "övrigt"), "location_precision": precision,
                        "source": "polisen.se", "lon": lon, "lat": lat, "_row": f"event {i} (id {event.get('id')})"})
    raw = pd.DataFrame.from_records(records, columns=["id", "occurred_at", "category", "location_precision",
                                                      "source", "lon", "lat", "_row"])
    by_precision = raw["location_precision"].value_counts()
    warnings = [Message("{town} incidents have town-level and {county} county-level positions (the police publish "
                        "the municipality's or county's centroid, not the scene): they are kept but left out of "
                        "spatial analyses and the centre's counts", town=int(by_precision.get("town", 0)),
                        county=int(by_precision.get("county", 0)))] if len(raw) else []
    if updated:
        warnings.append(Message("{count} events come again with other content (updates): the last version in the "
                                "file is imported", count=updated))
    return Records(raw, skipped, warnings)


def _precision(event: dict, area: PoliceArea) -> str | None:
    """"town" or "county" for an event of ``area`` (by the area its position is the centroid of,
    and the place its name ends with), None for any other."""
    where = event.get("location")
    named = str(where.get("name", "")).strip() if isinstance(where, dict) else ""
    place = str(event.get("name", "")).rsplit(",", 1)[-1].strip()
    if named == area.town:
        return "town"
    if named == area.county and place in (area.town, area.county):
        return "county"
    return None


def _gps(event: dict, source: str, i: int) -> tuple[float, float]:
    gps = (event.get("location") or {}).get("gps") if isinstance(event.get("location"), dict) else None
    try:
        lat, lon = (float(part) for part in str(gps).split(","))
    except ValueError:
        raise ValidationError(Message("expected 'lat,lon', got {gps!r}", gps=gps), file=source,
                              row=f"event {i} (id {event.get('id')})", field="location.gps") from None
    return lat, lon

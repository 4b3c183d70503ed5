"""The Swedish police open events API (polisen.se ``/api/events``) as incident records.

An event's ``location.gps`` is the centroid of the municipality or county named in
``location.name``, never the scene: every event gets ``location_precision = "town"`` and is kept,
but spatial analyses leave town-level incidents out.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import ValidationError
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


def looks_like_police_events(doc: Any) -> bool:
    """True for a JSON list of objects shaped like police events."""
    return isinstance(doc, list) and bool(doc) and all(
        isinstance(e, dict) and {"datetime", "type", "location"} <= set(e) for e in doc[:5])


def read_police_events(path: str | Path) -> Records:
    """Read a police events JSON file (a list of events) into incident records."""
    return police_records(read_json(path), str(path))


def police_records(doc: Any, source: str) -> Records:
    """Incident records of parsed police events (a list of events)."""
    if not looks_like_police_events(doc):
        raise ValidationError("expected a list of police events (id, datetime, type, location{name, gps})",
                              file=source)
    records, skipped = [], Counter()
    for i, event in enumerate(doc):
        kind = str(event.get("type", ""))
        if kind.startswith(NOT_INCIDENTS):
            skipped["a summary or notice, not an incident"] += 1
            continue
        lat, lon = _gps(event, source, i)
        records.append({"id": f"polisen-{event.get('id')}", "occurred_at": event.get("datetime"),
                        "category": CATEGORY_BY_TYPE.get(kind, "övrigt"), "location_precision": "town",
                        "source": "polisen.se", "lon": lon, "lat": lat, "_row": f"event {i} (id {event.get('id')})"})
    raw = pd.DataFrame.from_records(records, columns=["id", "occurred_at", "category", "location_precision",
                                                      "source", "lon", "lat", "_row"])
    warnings = [f"{len(raw)} incidents have town-level positions (the police publish the municipality's "
                "or county's centroid, not the scene): they are kept but excluded from spatial analyses"] if len(raw) else []
    return Records(raw, skipped, warnings)


def _gps(event: dict, source: str, i: int) -> tuple[float, float]:
    gps = (event.get("location") or {}).get("gps") if isinstance(event.get("location"), dict) else None
    try:
        lat, lon = (float(part) for part in str(gps).split(","))
    except ValueError:
        raise ValidationError(f"expected 'lat,lon', got {gps!r}", file=source,
                              row=f"event {i} (id {event.get('id')})", field="location.gps") from None
    return lat, lon

"""``stadskarna export gis``: every layer a role may see, as the API gives it to that role, in one
styled GeoPackage to open in QGIS — never reporters' contacts, and synthetic demo data labelled.

Who sees what is the API's rule (``GET /api/layers/{layer}``): exact incidents for
:data:`service.auth.EXACT_INCIDENT_ROLES`, the rest generalised
(:func:`geo.publish.generalise_incidents`); unsafe-place reports
(:data:`geo.layers.UNPUBLISHED_CATEGORIES`) for staff roles (:data:`service.auth.STAFF`) only;
patrols for the police only, here as one line per unit and local day (:func:`geo.tracks.unit_day_lines`).
Events (with the areas of those held on one) and cameras with their view polygons
(:func:`service.cameras.views_of`, as the OGC collection ``camera-views`` gives them) are everyone's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.crs import WGS84
from geo.io.gis_package import PackageLayer, write_gis_package
from geo.layers import AREA, CAMERAS, EVENTS, INCIDENTS, LIGHTS, REPORTS, UNPUBLISHED_CATEGORIES
from geo.maps.gis_styles import LAYER_STYLES
from geo.publish import PUBLIC_INCIDENT_GRID_M, generalise_incidents
from geo.timestamps import LOCAL_TZ, SUPPORTED_START, utc_text
from geo.tracks import unit_day_lines
from geo.zones import published_zones
from service.auth import EXACT_INCIDENT_ROLES, PATROL_ROLES, ROLES, STAFF
from service.cameras import views_of
from service.demo import DEMO_META_KEY
from service.store import FeatureQuery, Store

PUBLIC = "public"
PACKAGE_ROLES = (PUBLIC, *ROLES)
"""Whom a package is for: the public (no token) or a token's role."""
SYNTHETIC_LABEL = "SYNTHETIC DEMO DATA (syntetiska demodata)"
PATROL_WINDOW_DAYS = 7
"""Patrol lines are made this many local days at a time, so memory holds a week's pings, not every
stored ping: the demo's police package (3.3 million pings) peaks at 0.34 GB in 5 s this way, and
at 0.92 GB in 11 s with every ping at once."""


def synthetic_note(store: Store) -> str | None:
    """What the store says about its synthetic demo data (``stadskarna demo`` marks it), or None."""
    marker = store.get_meta(DEMO_META_KEY)
    return f"{SYNTHETIC_LABEL}: {marker}; generated, not observed" if marker else None


def package_layers(store: Store, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None,
                   role: str) -> list[PackageLayer]:
    """The layers ``role`` (one of :data:`PACKAGE_ROLES`) may see, as the API gives them to it."""
    caller = None if role == PUBLIC else role
    note = synthetic_note(store)

    def layer(name: str, parts: Iterable[gpd.GeoDataFrame], description: str) -> PackageLayer:
        return PackageLayer(name, parts, f"{description} — {note}" if note else description, LAYER_STYLES[name])

    approximate = " (approximate boundaries)" if zones.attrs.get("metadata", {}).get("approximate") else ""
    layers = [layer("zones", [published_zones(zones)], f"The centre's zones (zoner){approximate}")]
    if streets is not None:
        layers.append(layer("streets", [streets], "Streets and paths (gator och stråk), approximate centre lines"))
    lights = store.read_features(LIGHTS)
    layers.append(layer("lights", [lights[[*LIGHTS.public_fields, "geometry"]]], "Street lights (belysningspunkter)"))
    hidden = () if caller in STAFF else UNPUBLISHED_CATEGORIES
    reports = store.read_features(REPORTS, query=FeatureQuery(exclude_categories=hidden))
    support = store.supporters(reports["id"].tolist())  # as the layers API gives them: with their support
    reports = reports.assign(supporters=reports["id"].map(support).fillna(0).astype("int64"))
    layers.append(layer("reports", [reports[[*REPORTS.public_fields, "supporters", "geometry"]]],
                        "Citizen reports (felanmälningar), without contact details"
                        + ("" if caller in STAFF else ", without unsafe places (otrygga platser)")))
    incidents = store.read_features(INCIDENTS)
    if caller in EXACT_INCIDENT_ROLES:
        layers.append(layer("incidents", [incidents[[*INCIDENTS.public_fields, "geometry"]]],
                            "Incidents (brott och händelser), exact places"))
    else:
        layers.append(layer("incidents", [generalise_incidents(incidents)],
                            f"Incidents (brott och händelser) as the public sees them: category, local date and "
                            f"source, each moved to the centre of its {PUBLIC_INCIDENT_GRID_M:g} m cell; no place "
                            "for those placed only at a town's or county's centroid"))
    events = store.read_features(EVENTS)
    layers.append(layer("events", [events[[*EVENTS.public_fields, "geometry"]]],
                        "Events (evenemang), each at its place (an event held on an area: a point inside it)"))
    layers.append(layer("event_areas", [event_areas(events)],
                        "The areas of events held on one (evenemangens områden), with the event's fields"))
    cameras = store.read_features(CAMERAS)
    layers.append(layer("cameras", [cameras[[*CAMERAS.public_fields, "geometry"]]],
                        "Surveillance cameras (kameror) and where they stand in the decision"))
    layers.append(layer("camera_views", [views_of(cameras, store.read_surfaces("buildings"))],
                        "What each camera sees (kamerornas synfält), computed: its sector within range without "
                        "what buildings hide, with the camera's id, name, status and area_m2"))
    if caller in PATROL_ROLES:
        layers.append(layer("patrols", patrol_lines(store),
                            "Patrol tracks (patrullspår), one line per unit and local day"))
    return layers


def event_areas(events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The areas of ``events`` (an events layer as the store reads it, with :data:`geo.layers.AREA`)
    held on one, as WGS84 polygons with the events' public fields."""
    held = events[events[AREA].notna()]
    return gpd.GeoDataFrame(held[EVENTS.public_fields],
                            geometry=gpd.GeoSeries(held[AREA].tolist(), index=held.index, crs=WGS84), crs=WGS84)


def patrol_lines(store: Store, days: int = PATROL_WINDOW_DAYS) -> Iterator[gpd.GeoDataFrame]:
    """The lines of every stored ping, one per unit and local day (:func:`geo.tracks.unit_day_lines`),
    oldest first, made ``days`` local days at a time: each window ends at a local midnight, so no
    unit-day is split. Without pings, one empty frame."""
    windows = []
    latest = store.latest_ping()
    end = None if latest is None else _local_midnight(latest, 1)
    while end is not None and store.count_pings(SUPPORTED_START, end):
        windows.append((_local_midnight(end, -days), end))
        end = windows[-1][0]
    if not windows:
        yield unit_day_lines(store.read_tracks())
    for start, end in reversed(windows):
        yield unit_day_lines(store.read_tracks(start, end))


def _local_midnight(at: pd.Timestamp, days: int) -> pd.Timestamp:
    """The local (Stockholm) midnight ``days`` days after the one that starts ``at``'s local day."""
    day = at.tz_convert(LOCAL_TZ).tz_localize(None).normalize() + pd.Timedelta(days=days)
    return day.tz_localize(LOCAL_TZ)


def package_about(store: Store, zones: gpd.GeoDataFrame, role: str, counts: Mapping[str, int],
                  written_at: pd.Timestamp) -> list[tuple[str, str]]:
    """The ``about`` table's rows: whom and when the package was made for, what it holds (``counts``:
    features per layer) and what it leaves out."""
    metadata = zones.attrs.get("metadata", {})
    left_out = ["reporters' contact details"]
    if "patrols" not in counts:
        left_out.append("patrol tracks (police only)")
    if role not in STAFF:
        left_out.append("unsafe-place reports one by one (staff only)")
    rows = [("title", "Trygg stadskärna: layers for a GIS"), ("role", role),
            ("written_at", utc_text(written_at)),
            ("synthetic", synthetic_note(store) or "no: the database is not marked as holding demo data"),
            ("layers", ", ".join(f"{name} ({n})" for name, n in counts.items())),
            ("left_out", "; ".join(left_out)),
            ("styles", "layer_styles: QGIS uses each layer's style when it opens the layer")]
    rows += [(f"zones_{key}", str(metadata[key])) for key in ("source", "licence", "date", "approximate")
             if key in metadata]
    return rows


def export_gis(store: Store, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None, role: str,
               path: str | Path) -> dict[str, int]:
    """Write the package for ``role`` to the new file ``path``; returns the features per layer."""
    if role not in PACKAGE_ROLES:
        raise ValueError(f"unknown role {role!r}: choose one of {', '.join(PACKAGE_ROLES)}")
    written_at = pd.Timestamp.now(tz="UTC")
    note = synthetic_note(store)
    return write_gis_package(path, package_layers(store, zones, streets, role),
                             lambda counts: package_about(store, zones, role, counts, written_at),
                             f"What this package holds, for the role {role}" + (f" — {note}" if note else ""),
                             written_at)

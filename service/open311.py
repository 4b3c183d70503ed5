"""Open311 GeoReport v2 over the citizens' reports: the services and their definitions, the
discovery document, and service requests as the spec shapes them, found by ids, service codes,
status, time, place and page.

Citizen reports of the fault categories are service requests; unsafe-place pins are not (they
are shown only in aggregate). The answers are lists and dicts in the spec's member order, which
:mod:`service.georeport` writes as JSON or XML.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import distances_m, widened_box
from geo.layers import FAULT_CATEGORIES, REPORT_CATEGORY_NAMES, REPORTS
from geo.report_attributes import DATATYPE, attributes_of, stored_answers
from geo.timestamps import LOCAL_TZ
from geo.workflow import OPEN_STATUSES
from geo.errors import Message
from service.errors import NoSuchThing
from service.georeport import MEDIA_TYPES
from service.settings import Open311Settings
from service.store import FeatureQuery, Store

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-02T00:00:00Z"
"""When this endpoint last changed what it answers (discovery's ``changeset``)."""
AGENCY = "Halmstads kommun"
OPEN311_STATUSES = {"open": OPEN_STATUSES, "closed": ("closed",)}
"""Open311's two statuses in the workflow's: acknowledged and scheduled reports are open."""
SERVICE_DESCRIPTIONS = {
    "graffiti": "Klotter och tags på fasader, bänkar, skyltar och broar",
    "weeds": "Ogräs mellan plattor och i rabatter",
    "litter": "Skräp, fulla papperskorgar, glas",
    "broken_light": "Gatlampa eller annan belysning som inte lyser",
    "other": "Annat som behöver åtgärdas i stadskärnan",
}
"""What each Open311 service covers; the services are the fault categories
(:data:`geo.layers.FAULT_CATEGORIES`), their names :data:`geo.layers.REPORT_CATEGORY_NAMES` and
their questions :data:`geo.report_attributes.REPORT_ATTRIBUTES`."""
DEFAULT_WINDOW = pd.Timedelta(days=90)
"""Without ``start_date`` and ``end_date``, the requests of the last 90 days (the spec's default)."""
PAGE_SIZE = 100
"""Requests per page unless ``page_size`` says otherwise."""
MAX_PAGE_SIZE = 1000
"""Requests per page at most (the spec's limit of one answer)."""
DEFAULT_RADIUS_M = 500.0
"""Metres around ``lat``/``long`` unless ``radius`` says otherwise."""
MAX_RADIUS_M = 5000.0
"""The largest ``radius`` (metres) taken."""


def services() -> list[dict]:
    """The services citizens can request (the fault categories); ``metadata`` is true for those
    with questions (:func:`service_definition`)."""
    return [{"service_code": code, "service_name": REPORT_CATEGORY_NAMES[code],
             "description": SERVICE_DESCRIPTIONS[code], "metadata": bool(attributes_of(code)), "type": "realtime",
             "keywords": code, "group": "stadskärnan"} for code in FAULT_CATEGORIES]


def service_definition(service_code: str) -> dict:
    """A service's questions in the spec's form (none for a service without any); :class:`NoSuchThing`
    for a code that is not a service."""
    if service_code not in FAULT_CATEGORIES:
        raise NoSuchThing(Message("service_code {service_code!r} not found; see services", service_code=service_code))
    return {"service_code": service_code, "attributes": [
        {"variable": True, "code": attribute.code, "datatype": DATATYPE, "required": attribute.required,
         "datatype_description": None, "order": order, "description": attribute.description,
         "values": [{"key": key, "name": name} for key, name in attribute.values.items()]}
        for order, attribute in enumerate(attributes_of(service_code), start=1)]}


def discovery(url: str, settings: Open311Settings) -> dict:
    """The discovery document: whom to contact, how to get an api_key, and this endpoint at ``url``."""
    return {"changeset": CHANGESET, "contact": settings.contact, "key_service": settings.key_service,
            "endpoints": [{"specification": SPECIFICATION, "url": url, "changeset": CHANGESET, "type": "production",
                           "formats": [MEDIA_TYPES["xml"], MEDIA_TYPES["json"]]}]}


@dataclass(frozen=True)
class Near:
    """Within ``radius_m`` metres of the WGS84 point (``lon``, ``lat``)."""

    lon: float
    lat: float
    radius_m: float


def find_requests(store: Store, query: FeatureQuery, near: Near | None, limit: int, offset: int) -> gpd.GeoDataFrame:
    """The page (at most ``limit`` from ``offset`` on) of the service requests of ``query`` (of the
    fault categories only), newest first, and only those within ``near`` when given: the store's spatial index finds the
    requests in a WGS84 box around the circle, and their exact distance in SWEREF 99 TM keeps
    those inside — read in steps, newest first, until the page is full."""
    codes = FAULT_CATEGORIES if query.categories is None else query.categories
    query = replace(query, categories=tuple(c for c in codes if c in FAULT_CATEGORIES), newest_first=True)
    if near is None:
        return store.query_features(REPORTS, query, limit, offset).frame
    boxed = replace(query, bbox=widened_box((near.lon, near.lat, near.lon, near.lat), near.radius_m))
    kept, read, step = [], 0, min(2 * (offset + limit), 10_000)
    while True:
        page = store.query_features(REPORTS, boxed, step, read)
        frame = page.frame
        distance = distances_m(frame.geometry.x, frame.geometry.y, (near.lon, near.lat)) if len(frame) else np.zeros(0)
        kept.append(frame[distance <= near.radius_m])
        read += len(frame)
        if frame.empty or read >= page.matched or sum(map(len, kept)) >= offset + limit:
            return pd.concat(kept).iloc[offset:offset + limit]


def default_window(start: pd.Timestamp | None, end: pd.Timestamp | None,
                   now: pd.Timestamp) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The requested times asked for: as given, or the last :data:`DEFAULT_WINDOW` up to ``now``
    when neither ``start`` nor ``end`` is."""
    return (now - DEFAULT_WINDOW, None) if start is None and end is None else (start, end)


def request_items(store: Store, frame: gpd.GeoDataFrame, extensions: bool = False) -> list[dict]:
    """Service requests in the spec's members and order; ``updated_datetime`` is the latest change
    in each report's history. ``extensions`` adds the answers to the service's questions
    (``attributes``: a list of ``{code, value}``), which the spec's requests do not have."""
    history = store.report_history(frame["id"].tolist())
    updated = history.groupby("report_id")["at"].max()

    def stamp(value: pd.Timestamp) -> str | None:
        return None if pd.isna(value) else value.tz_convert(LOCAL_TZ).isoformat(timespec="seconds")

    def text(value: object) -> str | None:
        return value if isinstance(value, str) else None

    items = []
    for row in frame.itertuples():
        item = {"service_request_id": row.id, "status": "closed" if row.status == "closed" else "open",
                "status_notes": text(row.close_reason), "service_name": REPORT_CATEGORY_NAMES[row.category],
                "service_code": row.category, "description": row.description, "agency_responsible": AGENCY,
                "service_notice": None, "requested_datetime": stamp(row.created_at),
                "updated_datetime": stamp(updated.get(row.id, row.created_at)), "expected_datetime": None,
                "address": None, "address_id": None, "zipcode": None, "lat": row.geometry.y, "long": row.geometry.x,
                "media_url": row.photo if isinstance(row.photo, str) and row.photo.startswith("http") else None}
        if extensions:
            item["attributes"] = [{"code": code, "value": value}
                                  for code, value in stored_answers(text(row.attributes)).items()]
        items.append(item)
    return items

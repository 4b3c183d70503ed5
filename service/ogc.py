"""OGC API – Features over the centre's layers: what the collections are, who sees which, and
the query parameters of their items, read into one query.

Implemented: Part 1 (Core, GeoJSON, HTML), Part 2 (Coordinate Reference Systems by Reference:
CRS84, SWEREF 99 TM and SWEREF 99 13 30) and of Part 3 the queryables with their query
parameters (equality on a few fields per collection). The same access rules as the rest of the
API: the public gets generalised incidents and no unsafe-place pins; patrols are for the police.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from geo.crs import CRS84, OGC_CRS
from geo.errors import Message, ValidationError
from geo.layers import (CAMERA_STATUSES, CAMERAS, EVENT_KINDS, EVENTS, INCIDENT_CATEGORIES, LIGHT_STATUSES,
                        REPORT_CATEGORIES, REPORT_STATUSES, INCIDENTS, LIGHTS, REPORTS, LayerSchema)
from geo.timestamps import LOCAL_TZ
from service.auth import PATROL_ROLES
from service.params import instant

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
)
"""The conformance classes implemented, exactly (not OpenAPI 3.0: the service describes itself in 3.1)."""

DEFAULT_LIMIT, MAX_LIMIT = 100, 10_000
"""Features per page when ``limit`` is not given, and the most a page holds."""

MAX_OFFSET = 10_000_000
"""The furthest a page may start."""


@dataclass(frozen=True)
class Queryable:
    """A property a collection's items can be filtered by (equality, values comma-separated)."""

    title: str
    """What it is, in Swedish."""
    values: tuple[str, ...] | None = None
    """The values it takes (an enum), None when free text."""


@dataclass(frozen=True)
class Collection:
    """One collection: its id, Swedish title and description, where its features come from (a
    point layer of the store, the zones or streets of the settings, the patrols' unit-days or the
    cameras' view polygons, computed),
    the roles that see it (None: everyone) and its queryables."""

    id: str
    title: str
    description: str
    source: Literal["layer", "zones", "streets", "patrols", "camera-views"]
    schema: LayerSchema | None = None
    roles: tuple[str, ...] | None = None
    queryables: dict[str, Queryable] = field(default_factory=dict)

    @property
    def temporal(self) -> bool:
        """Whether its features have a time (``datetime`` applies)."""
        return self.source in ("layer", "patrols")


COLLECTIONS = {c.id: c for c in (
    Collection("zones", "Zoner i stadskärnan", "Stadskärnans zoner med sin belysningsklass enligt EN 13201-2.", "zones",
               queryables={"kind": Queryable("typ av zon"),
                           "lighting_class": Queryable("belysningsklass enligt EN 13201-2")}),
    Collection("streets", "Gator och platser", "Gatornas mittlinjer med bredd och belysningsklass.", "streets",
               queryables={"kind": Queryable("typ av gata"),
                           "lighting_class": Queryable("belysningsklass enligt EN 13201-2")}),
    Collection("incidents", "Brott och händelser", "Brott och händelser; för allmänheten generaliserade till ett "
               "rutnät på 50 m och ett lokalt datum (polisens och planerarnas token ser dem exakt).", "layer",
               INCIDENTS, queryables={"category": Queryable("kategori", INCIDENT_CATEGORIES)}),
    Collection("lights", "Belysningspunkter", "Gatubelysningens ljuspunkter med status och armatur.", "layer", LIGHTS,
               queryables={"status": Queryable("status", LIGHT_STATUSES)}),
    Collection("reports", "Felanmälningar", "Medborgarnas felanmälningar, utan kontaktuppgifter (otrygga platser "
               "bara för personalens token).", "layer", REPORTS,
               queryables={"category": Queryable("kategori", REPORT_CATEGORIES),
                           "status": Queryable("status", REPORT_STATUSES)}),
    Collection("events", "Evenemang", "Evenemang i stadskärnan: när, vilken typ, väntade besökare och arrangör; ett "
               "evenemang på ett område (ett torg, en gatusträcka) har området som geometri.", "layer", EVENTS,
               queryables={"kind": Queryable("typ av evenemang", EVENT_KINDS)}),
    Collection("cameras", "Kameror", "Kamerabevakning: kamerornas plats, monteringshöjd, riktning, synfält, räckvidd "
               "och var de står i beslutet.", "layer", CAMERAS,
               queryables={"status": Queryable("status i beslutet", CAMERA_STATUSES)}),
    Collection("camera-views", "Kamerornas synfält", "Vad varje kamera ser (beräknat): sektorn inom räckvidden utan "
               "det byggnader skymmer, med kamerans id, status och yta i m².", "camera-views",
               queryables={"status": Queryable("status i beslutet", CAMERA_STATUSES)}),
    Collection("patrols", "Patrullspår", "Polisens patrullspår, en linje per enhet och lokal dag (bara för "
               "polisens token).", "patrols", roles=PATROL_ROLES, queryables={"unit_id": Queryable("enhet")}),
)}
"""Every collection, in the order they are listed."""

COMMON_PARAMETERS = frozenset({"f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime"})
"""The query parameters every collection's items take (besides its queryables)."""


@dataclass(frozen=True)
class ItemsQuery:
    """The items asked for: ``bbox`` in ``bbox_crs`` (min and max in its axis order), times with
    ``start <= t < end`` (either open), property ``filters`` (equality), the page, and the ``crs``
    to answer in."""

    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: str = CRS84
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    crs: str = CRS84


def visible(collection: Collection, role: str | None) -> bool:
    """Whether a caller of ``role`` (None: anonymous) sees the collection."""
    return collection.roles is None or role in collection.roles


def items_query(collection: Collection, params: list[tuple[str, str]]) -> ItemsQuery:
    """The items query of a request's query parameters (name, value pairs); a parameter this
    collection does not take, or a bad value, is a :class:`ValidationError` naming it."""
    given: dict[str, str] = {}
    for name, value in params:
        if name not in COMMON_PARAMETERS and name not in collection.queryables:
            known = sorted(COMMON_PARAMETERS | set(collection.queryables))
            raise ValidationError(Message("unknown query parameter {name!r}; this collection takes {known}", name=name,
                                          known=', '.join(known)),
                                  field=name)
        if name in given:
            raise ValidationError(Message("the query parameter {name!r} is given twice", name=name), field=name)
        given[name] = value
    crs = _crs(given.get("crs", CRS84), "crs")
    bbox_crs = _crs(given.get("bbox-crs", CRS84), "bbox-crs")
    if "bbox-crs" in given and "bbox" not in given:
        raise ValidationError(Message("bbox-crs needs a bbox"), field="bbox-crs")
    start = end = None
    if "datetime" in given:
        if not collection.temporal:
            raise ValidationError(Message("the collection {id!r} has no time: datetime does not apply",
                                          id=collection.id),
                                  field="datetime")
        start, end = datetime_interval(given["datetime"])
    filters = {}
    for name, queryable in collection.queryables.items():
        if name in given:
            values = tuple(v.strip() for v in given[name].split(","))
            wrong = [v for v in values if queryable.values is not None and v not in queryable.values or not v]
            if wrong:
                raise ValidationError(Message("{name} {wrong!r} is not one of {values}", name=name, wrong=wrong[0],
                                              values=", ".join(queryable.values or ())),
                                      field=name)
            filters[name] = values
    return ItemsQuery(bbox=_bbox(given["bbox"]) if "bbox" in given else None, bbox_crs=bbox_crs, start=start,
                      end=end, filters=filters, limit=_integer(given.get("limit"), "limit", 1, DEFAULT_LIMIT, MAX_LIMIT),
                      offset=_integer(given.get("offset"), "offset", 0, 0, MAX_OFFSET), crs=crs)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def datetime_interval(text: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``datetime`` as ``start <= t < end`` (either None when open): an instant (RFC 3339; an
    instant matches times equal to it, to the millisecond the store keeps), an interval
    ``start/end`` with both ends included and ``..`` (or nothing) for an open end. A date alone
    (``2020-05-01``) is that whole local day (Europe/Stockholm); as an interval's end, up to its
    end."""
    parts = text.split("/")
    if len(parts) > 2 or not text.strip():
        raise ValidationError(Message("datetime must be an instant or an interval start/end (.. for an open end)"),
                              field="datetime")
    if len(parts) == 1:
        first = _time(parts[0], "start")
        return first, _time(parts[0], "end")
    start = None if parts[0] in ("", "..") else _time(parts[0], "start")
    end = None if parts[1] in ("", "..") else _time(parts[1], "end")
    if start is None and end is None:
        raise ValidationError(Message("datetime: at least one end of an interval must be given"), field="datetime")
    if start is not None and end is not None and start >= end:
        raise ValidationError(Message("datetime: the interval's start is after its end"), field="datetime")
    return start, end


def _time(text: str, side: Literal["start", "end"]) -> pd.Timestamp:
    """One end of a datetime interval: ``start`` is the instant (or the date's first moment),
    ``end`` the moment after it (or after the date's last), for ``start <= t < end``."""
    if _DATE.fullmatch(text):
        try:
            day = pd.Timestamp(text).tz_localize(LOCAL_TZ)
        except ValueError:
            raise ValidationError(Message("datetime: {text!r} is not a date of the calendar", text=text),
                                  field="datetime") from None
        return day if side == "start" else (day.tz_localize(None) + pd.Timedelta(days=1)).tz_localize(LOCAL_TZ)
    at = instant(text, "datetime")
    return at if side == "start" else at + pd.Timedelta(milliseconds=1)


def _crs(uri: str, name: str) -> str:
    if uri not in OGC_CRS:
        raise ValidationError(Message("{name} {uri!r} is not offered; use one of {ogc_crs}", name=name, uri=uri,
                                      ogc_crs=', '.join(OGC_CRS)), field=name)
    return uri


def _bbox(text: str) -> tuple[float, float, float, float]:
    """min, min, max, max in the bbox CRS's axis order (a 6-number 3D box loses its heights)."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(pd.notna(values)) or not (values[0] <= values[2] and values[1] <= values[3]):
        raise ValidationError(Message("bbox must be four numbers: the lower corner, then the upper corner, in the axis "
                                      "order of bbox-crs (CRS84: min lon, min lat, max lon, max lat)"), field="bbox")
    return tuple(values)


def _integer(text: str | None, name: str, low: int, default: int, high: int | None = None) -> int:
    if text is None:
        return default
    if not re.fullmatch(r"\d{1,9}", text.strip()) or int(text) < low or (high is not None and int(text) > high):
        raise ValidationError(Message("{name} must be a whole number from {low} to {high}", name=name, low=low,
                                      high=high) if high else
                              Message("{name} must be a whole number from {low}", name=name, low=low), field=name)
    return int(text)

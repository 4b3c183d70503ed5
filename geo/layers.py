"""The four layer contracts (incidents, lights, reports, patrol pings) and their validation.

Every reader produces a *raw* frame: one row per record, the file's fields as columns, ``lon`` and
``lat`` in WGS84 degrees, and ``_row`` naming where the record sits in its file ("row 7",
"feature 3"). :func:`validate` turns it into the layer's typed frame or raises
:class:`geo.errors.ValidationError` naming the file, the row and the field. Extra fields are ignored.

Typed frames: incidents, lights and reports are GeoDataFrames of Points in EPSG:4326; patrol
pings are a plain DataFrame with ``lon``/``lat`` columns (tens of millions of rows). Times are
``datetime64[ns, UTC]`` kept to the millisecond, within :data:`geo.timestamps.SUPPORTED_START` and
``SUPPORTED_END``; naive input times are Europe/Stockholm (see :mod:`geo.timestamps`). Text is
pandas' ``str`` dtype, with NaN where an optional field is empty; every text value is as
:func:`geo.text.clean_text` leaves it (LF line ends, NFC, no control or bidi formatting characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Callable, Mapping
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS

from geo.crs import WGS84, coordinate_problems
from geo.errors import Message, ValidationError, place
from geo.report_attributes import attribute_problem
from geo.text import FORBIDDEN, clean_one, clean_text
from geo.timestamps import format_utc, parse_one, parse_utc

INCIDENT_CATEGORIES = ("misshandel", "rån", "stöld", "skadegörelse", "ordningsstörning", "narkotika", "övrigt")
LOCATION_PRECISIONS = ("exact", "street", "town", "county")
USABLE_PRECISION = ("exact", "street")
"""Precisions good enough for spatial analyses; town- and county-level positions (police events: the
area's centroid) are not."""
LIGHT_STATUS_NAMES = {"working": "Fungerar", "broken": "Trasig", "planned": "Planerad", "removed": "Borttagen"}
"""Lamp statuses (codes, for machines) and their Swedish names (for people): the one list."""
LIGHT_STATUSES = tuple(LIGHT_STATUS_NAMES)
REPORT_CATEGORY_NAMES = {"graffiti": "Klotter", "weeds": "Ogräs", "litter": "Nedskräpning",
                         "broken_light": "Trasig belysning", "unsafe_place": "Otrygg plats", "other": "Övrigt"}
"""Citizens' report categories and their Swedish names: the form, the maps, Open311 and the
follow-up all name them from here."""
REPORT_CATEGORIES = tuple(REPORT_CATEGORY_NAMES)
FAULT_CATEGORIES = tuple(c for c in REPORT_CATEGORIES if c != "unsafe_place")
"""Categories of fault reports (something to fix); ``unsafe_place`` marks a feeling, not a fault."""
UNPUBLISHED_CATEGORIES = ("unsafe_place",)
"""Report categories the public never sees one by one (only as counts per cell): where someone
feels unsafe could point to them."""
REMOVAL_CATEGORIES = ("graffiti", "weeds")
"""Categories removed in rounds (the promise: graffiti and weeds removed twice a year)."""
REPORT_STATUS_NAMES = {"open": "Öppen", "acknowledged": "Mottagen", "scheduled": "Planerad", "closed": "Åtgärdad"}
"""The reports' workflow states in order (see :mod:`geo.workflow`) and their Swedish names."""
REPORT_STATUSES = tuple(REPORT_STATUS_NAMES)
UNSAFE_WHEN_NAMES = {"day": "Dag", "evening": "Kväll", "night": "Natt"}
UNSAFE_WHEN = tuple(UNSAFE_WHEN_NAMES)
UNSAFE_WHY_NAMES = {"lighting": "Dålig belysning", "people": "Människor", "hidden_view": "Skymd sikt",
                    "traffic": "Trafik", "other": "Annat"}
UNSAFE_WHY = tuple(UNSAFE_WHY_NAMES)
PATROL_MODE_NAMES = {"foot": "Till fots", "bike": "Cykel", "car": "Bil", "horse": "Häst"}
"""How a patrol unit moves, and its Swedish name."""
PATROL_MODES = tuple(PATROL_MODE_NAMES)
"""The modes (stored as the index in this tuple: append, never reorder)."""
VEHICLE_MODES = ("car",)
"""Modes whose slow time is vehicle presence, reported apart from foot, bike and horse presence."""
_WGS84_CRS = CRS.from_user_input(WGS84)  # parsed once: a layer frame is made per request
COORDINATE_DECIMALS = 7
"""Stored positions are rounded to 1e-7 degrees (about 1 cm), so exports round-trip exactly."""

Kind = Literal["id", "text", "category", "time", "number", "integer"]


@dataclass(frozen=True)
class Field:
    """One field of a layer: its name in files and the API, its kind and its rules.

    An optional field may be absent or empty; it then takes ``default`` (None/NaT/NaN when None).
    ``bounds`` are inclusive limits for numbers. ``private`` fields never leave the service publicly.
    """

    name: str
    kind: Kind
    required: bool = True
    choices: tuple[str, ...] = ()
    bounds: tuple[float, float] | None = None
    default: Any = None
    private: bool = False


@dataclass(frozen=True)
class LayerSchema:
    """A layer's fields, its key (unique per record), the time field that places a record in time
    (for time filters) and whether rows are Point features."""

    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    time_field: str
    points_as_geometry: bool = True

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def public_fields(self) -> list[str]:
        return [f.name for f in self.fields if not f.private]


SOURCE = Field("source", "text", required=False, default="unknown")

INCIDENTS = LayerSchema("incidents", (
    Field("id", "id"),
    Field("occurred_at", "time"),
    Field("category", "category", choices=INCIDENT_CATEGORIES),
    Field("location_precision", "category", required=False, choices=LOCATION_PRECISIONS, default="exact"),
    SOURCE,
), key=("id",), time_field="occurred_at")

LIGHTS = LayerSchema("lights", (
    Field("id", "id"),
    Field("lumen", "number", bounds=(1, 200_000)),
    Field("height_m", "number", bounds=(0.5, 40)),
    Field("status", "category", choices=LIGHT_STATUSES),
    Field("luminaire", "text", required=False, default="unknown"),
    Field("updated_at", "time", required=False),
    Field("azimuth_deg", "number", required=False, bounds=(0, 360)),
    Field("tilt_deg", "number", required=False, bounds=(-90, 90), default=0.0),
    Field("overhang_m", "number", required=False, bounds=(0, 20), default=0.0),
    Field("watts", "number", required=False, bounds=(0.1, 5000)),
    Field("installed_at", "time", required=False),
    Field("removed_at", "time", required=False),
    SOURCE,
), key=("id",), time_field="updated_at")
"""Street lights. ``azimuth_deg``: the compass bearing the luminaire faces (its C90 half-plane, the
street side; missing: it faces the nearest street); ``tilt_deg`` raises that side; ``overhang_m``:
the arm's reach from the pole that way; ``watts``: power drawn with ballast or driver;
``installed_at``/``removed_at``: when the lamp came and went (missing: always there, never removed)."""

REPORTS = LayerSchema("reports", (
    Field("id", "id"),
    Field("category", "category", choices=REPORT_CATEGORIES),
    Field("description", "text", required=False, default=""),
    Field("created_at", "time"),
    Field("status", "category", required=False, choices=REPORT_STATUSES, default="open"),
    Field("closed_at", "time", required=False),
    Field("close_reason", "text", required=False),
    Field("when", "category", required=False, choices=UNSAFE_WHEN),
    Field("why", "category", required=False, choices=UNSAFE_WHY),
    Field("photo", "text", required=False),
    Field("attributes", "text", required=False),
    Field("contact", "text", required=False, private=True),
    Field("first_name", "text", required=False, private=True),
    Field("last_name", "text", required=False, private=True),
    Field("device_id", "text", required=False, private=True),
    SOURCE,
), key=("id",), time_field="created_at")
"""Citizens' reports. ``attributes``: the answers to the category's questions, a JSON object from
code to key (:mod:`geo.report_attributes`); ``contact`` (an e-mail address), ``first_name``,
``last_name`` and ``device_id`` (an Open311 app's id of the phone) are the reporter's and private."""

PINGS = LayerSchema("patrols", (
    Field("unit_id", "text"),
    Field("timestamp", "time"),
    Field("mode", "category", choices=PATROL_MODES),
    Field("crew", "integer", required=False, bounds=(1, 20), default=1),
    SOURCE,
), key=("unit_id", "timestamp"), time_field="timestamp", points_as_geometry=False)

EVENT_KIND_NAMES = {"festival": "Festival", "market": "Marknad", "nightlife": "Nöjesliv", "concert": "Konsert",
                    "sport": "Idrott", "culture": "Kultur", "other": "Övrigt"}
"""Kinds of events for a living centre, and their Swedish names."""
EVENT_KINDS = tuple(EVENT_KIND_NAMES)

EVENTS = LayerSchema("events", (
    Field("id", "id"),
    Field("name", "text"),
    Field("starts_at", "time"),
    Field("ends_at", "time"),
    Field("kind", "category", required=False, choices=EVENT_KINDS, default="other"),
    Field("expected_visitors", "integer", required=False, bounds=(0, 1_000_000)),
    Field("organiser", "text", required=False),
    SOURCE,
), key=("id",), time_field="starts_at")
"""Events in the centre (the promise of events for a living centre): when (``starts_at`` before
``ends_at``), what kind, how many visitors are expected and who organises it; the position is the
event's place (a point; a square or a street's stretch may add an area)."""

CAMERA_STATUS_NAMES = {"proposed": "Föreslagen", "permitted": "Beslutad", "installed": "Installerad",
                       "removed": "Nedtagen"}
"""Where a surveillance camera stands in the decision (codes, for machines) and its Swedish name."""
CAMERA_STATUSES = tuple(CAMERA_STATUS_NAMES)

CAMERAS = LayerSchema("cameras", (
    Field("id", "id"),
    Field("name", "text", required=False),
    Field("height_m", "number", bounds=(0.5, 40)),
    Field("direction_deg", "number", bounds=(0, 360)),
    Field("fov_deg", "number", bounds=(1, 360)),
    Field("range_m", "number", bounds=(1, 500)),
    Field("status", "category", choices=CAMERA_STATUSES),
    Field("decided_at", "time", required=False),
    SOURCE,
), key=("id",), time_field="decided_at")
"""Camera surveillance of public places: mounting height, the compass bearing the camera faces
(``direction_deg``, degrees clockwise from north), its horizontal field of view (``fov_deg``) and
the range it records at (``range_m``), where it stands in the decision and when that was decided."""

AREA = "area"
"""An event's area (a square, a stretch of street): in raw records WKT text of a Polygon or
MultiPolygon in WGS84 (or a shapely geometry); in the typed events frame a column of shapely
geometries, None where the event's point is its place."""

LAYERS = {schema.name: schema for schema in (INCIDENTS, LIGHTS, REPORTS, PINGS, EVENTS, CAMERAS)}
"""The layers by the name used on the command line and in the API."""


def validate(schema: LayerSchema, raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check a raw frame against ``schema`` and return the typed layer frame.

    ``raw`` holds the file's fields, ``lon``/``lat`` (WGS84 degrees) and optionally ``_row``
    labels. The first problem raises :class:`ValidationError` naming ``source``, the row and the
    field. Patrol pings repeated for the same unit and time are dropped (the first is kept);
    their number is in ``.attrs["duplicates"]``.
    """
    raw = raw.reset_index(drop=True)
    rows = raw["_row"] if "_row" in raw else pd.Series([f"row {i + 1}" for i in range(len(raw))])
    if len(raw) <= FEW_RECORDS:
        columns = {spec.name: _few_values(spec, (raw[spec.name].dtype, raw[spec.name].tolist()) if spec.name in raw
                                          else None, rows, source) for spec in schema.fields}
        few = _few_records(schema, columns, raw, rows, source)
        if few is not None:
            return _with_areas(schema, few, raw, rows, source)
        out = pd.DataFrame({spec.name: _series(spec, columns[spec.name]) for spec in schema.fields},
                           index=raw.index)
    else:
        out = pd.DataFrame(index=raw.index)
        for spec in schema.fields:
            out[spec.name] = _field(spec, raw, rows, source)
    out["lon"], out["lat"] = _check_coordinates(raw, rows, source)
    if schema is REPORTS:
        early = out["closed_at"].notna() & (out["closed_at"] < out["created_at"])
        _raise_first(early, rows, source, "closed_at", Message("closed before it was created"))
        _check_attributes(out["category"].tolist(), [None if pd.isna(v) else v for v in out["attributes"]], rows,
                          source)
    if schema is EVENTS:
        _raise_first(out["ends_at"] <= out["starts_at"], rows, source, "ends_at", Message("ends before it starts"))
    duplicated = out.duplicated(list(schema.key), keep=False)
    duplicates = 0
    if duplicated.any() and schema.key == ("id",):
        first, second = np.flatnonzero(duplicated.to_numpy())[:2]
        raise ValidationError(Message("id {id!r} is also used in {place}; ids must be unique within a file",
                                      id=out["id"].iloc[first], place=place(rows.iloc[first])),
                              file=source, row=rows.iloc[second], field="id")
    if duplicated.any():
        keep = ~out.duplicated(list(schema.key), keep="first")
        duplicates = int((~keep).sum())
        out = out[keep].reset_index(drop=True)
    if schema.points_as_geometry:
        out = gpd.GeoDataFrame(out.drop(columns=["lon", "lat"]),
                               geometry=gpd.points_from_xy(out["lon"], out["lat"], crs=_WGS84_CRS))
    out.attrs["duplicates"] = duplicates
    return _with_areas(schema, out, raw, rows, source)


def _with_areas(schema: LayerSchema, out: pd.DataFrame, raw: pd.DataFrame, rows: pd.Series,
                source: str) -> pd.DataFrame:
    """Events' frame with the column :data:`AREA` (each record's area, or None), an event with an
    area placed at its :func:`area_point`; other layers as they are."""
    if schema is not EVENTS:
        return out
    values = raw[AREA].tolist() if AREA in raw else [None] * len(raw)
    areas = [parse_area(v, source, str(rows.iloc[i])) for i, v in enumerate(values)]
    points = [p if a is None else area_point(a) for p, a in zip(out.geometry, areas)]
    return out.assign(**{AREA: areas}).set_geometry(gpd.GeoSeries(points, index=out.index, crs=_WGS84_CRS))


def area_point(area: shapely.Geometry) -> shapely.Point:
    """The point of an event held on an area: a point inside it (:func:`shapely.point_on_surface`),
    to :data:`COORDINATE_DECIMALS`; so an area exported and read again gives the same point."""
    point = shapely.point_on_surface(area)
    return shapely.Point(round(point.x, COORDINATE_DECIMALS), round(point.y, COORDINATE_DECIMALS))


def parse_area(value: object, source: str, row: str = "record") -> shapely.Geometry | None:
    """An event's area from WKT text (or a shapely geometry): a valid, non-empty Polygon or
    MultiPolygon with WGS84 coordinates, rounded to :data:`COORDINATE_DECIMALS`; None when missing.
    Anything else raises :class:`ValidationError` naming ``source``, ``row`` and the field ``area``."""
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    def refuse(message: Message) -> ValidationError:
        return ValidationError(message, file=source, row=row, field=AREA)
    if isinstance(value, shapely.Geometry):
        area = value
    else:
        try:
            area = shapely.from_wkt(str(value))
        except shapely.errors.GEOSException:
            raise refuse(Message("not a WKT polygon: {value!r}", value=str(value)[:60])) from None
    if area.geom_type not in ("Polygon", "MultiPolygon") or area.is_empty:
        raise refuse(Message("an area is a Polygon or MultiPolygon, got {found!r}", found=area.geom_type))
    minx, miny, maxx, maxy = area.bounds
    problems = coordinate_problems(np.array([minx, maxx]), np.array([miny, maxy]))
    if any(p is not None for p in problems):
        raise refuse(next(p for p in problems if p is not None))
    area = shapely.set_precision(area, 10 ** -COORDINATE_DECIMALS, mode="pointwise")
    if not area.is_valid or area.area == 0:
        raise refuse(Message("the area's outline crosses itself or has no surface"))
    return area


FEW_RECORDS = 16
"""Up to this many records (one form, one request) are checked value by value: the same rules as
for a whole file, without pandas' cost per call, which would dominate for one record."""


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _few_values(spec: Field, column: tuple[Any, list] | None, rows: pd.Series, source: str) -> list:
    """:func:`_field` for a few records, value by value: the field's typed values (None when
    missing). ``column`` is the field's dtype and raw values, None when the records lack the field."""
    def fail(bad: list[int], message: Message | Callable[[Any], Message]) -> None:
        if bad:
            mask = pd.Series([i in bad for i in range(len(values))])
            _raise_first(mask, rows, source, spec.name, message, pd.Series(values, dtype=object))

    if column is None:
        if spec.required:
            raise ValidationError(Message("the file has no '{field}' field", field=spec.name), file=source,
                                  field=spec.name)
        dtype, values = np.dtype(object), [None] * len(rows)
    else:
        dtype, values = column
    textual = spec.kind in ("id", "text", "category")
    if textual and pd.api.types.is_float_dtype(dtype) and all(v % 1 == 0 for v in values if not _missing(v)):
        values = [None if _missing(v) else int(v) for v in values]  # ids and codes a spreadsheet made numeric
    typed = (spec.kind == "time" and isinstance(dtype, pd.DatetimeTZDtype)) or (
        spec.kind in ("number", "integer") and pd.api.types.is_numeric_dtype(dtype))
    if not typed:
        cleaned = [clean_one(v) for v in values]
        problems = [problem for _, problem in cleaned]
        if any(p is not None for p in problems):
            values = problems
            fail([i for i, p in enumerate(problems) if p is not None], lambda problem: problem)
        values = [None if text is None or not text.strip() else text.strip() for text, _ in cleaned]
    missing = [_missing(v) for v in values]
    if spec.required:
        fail([i for i, m in enumerate(missing) if m], Message("missing value"))

    if spec.kind == "time":
        parsed = [(None, None) if m and not spec.required else parse_one(v) for v, m in zip(values, missing)]
        bad = [i for i, (_, problem) in enumerate(parsed) if problem is not None]
        if bad:
            values = [problem for _, problem in parsed]
            fail(bad, lambda problem: problem)
        return [None if stamp is None else stamp.floor("ms") for stamp, _ in parsed]
    if spec.kind in ("number", "integer"):
        numbers = [np.nan if m else float(pd.to_numeric(v, errors="coerce")) for v, m in zip(values, missing)]
        fail([i for i, (n, m) in enumerate(zip(numbers, missing)) if n != n and not m],
             lambda value: Message("not a number: {value!r}", value=value))
        if spec.kind == "integer":
            fail([i for i, n in enumerate(numbers) if n == n and n != np.round(n)], Message("not a whole number"))
        if spec.bounds:
            low, high = spec.bounds
            fail([i for i, n in enumerate(numbers) if n == n and (n < low or n > high)],
                 lambda value: Message("must be between {low} and {high}, got {value}", low=low, high=high,
                                       value=value))
        if spec.default is not None:
            numbers = [spec.default if n != n else n for n in numbers]
        return numbers
    text = values
    if spec.kind == "category":
        text = [None if v is None else v.lower() for v in values]
        fail([i for i, v in enumerate(text) if v is not None and v not in spec.choices],
             lambda value: Message("{value!r} is not one of {choices}", value=value.strip(),
                                   choices=", ".join(spec.choices)))
    if spec.default is not None:
        text = [spec.default if v is None else v for v in text]
    return text


def _few_records(schema: LayerSchema, columns: dict[str, list], raw: pd.DataFrame, rows: pd.Series,
                 source: str) -> pd.DataFrame | None:
    """The rest of :func:`validate` for a few records whose fields passed: positions, a report
    closed before it was created, and the typed frame. None when records repeat a key (the
    whole-file path says which, or drops repeated pings)."""
    lon, lat = _check_coordinates(raw, rows, source)
    _check_closed(schema, columns, rows, source)
    if len(set(zip(*(columns[name] for name in schema.key)))) < len(raw):
        return None
    data = {spec.name: _series(spec, columns[spec.name]) for spec in schema.fields}
    if schema.points_as_geometry:
        out = gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(lon, lat, crs=_WGS84_CRS))
    else:
        out = pd.DataFrame(data | {"lon": lon, "lat": lat})
    out.attrs["duplicates"] = 0
    return out


def _check_closed(schema: LayerSchema, columns: dict[str, list], rows: pd.Series, source: str) -> None:
    """A report closed before it was created, or with attributes its category does not have, and
    an event that ends before it starts, raise."""
    if schema is EVENTS:
        early = [e <= s for s, e in zip(columns["starts_at"], columns["ends_at"])]
        if any(early):
            _raise_first(pd.Series(early), rows, source, "ends_at", Message("ends before it starts"))
    if schema is REPORTS:
        early = [c is not None and c < m for c, m in zip(columns["closed_at"], columns["created_at"])]
        if any(early):
            _raise_first(pd.Series(early), rows, source, "closed_at", Message("closed before it was created"))
        _check_attributes(columns["category"], columns["attributes"], rows, source)


def _check_attributes(categories: list[str], texts: list[str | None], rows: pd.Series, source: str) -> None:
    """Reports' ``attributes`` that their category's questions (:mod:`geo.report_attributes`) do
    not allow raise."""
    problems = [None if text is None else attribute_problem(category, text)
                for category, text in zip(categories, texts)]
    _raise_first(pd.Series([p is not None for p in problems]), rows, source, "attributes", lambda problem: problem,
                 pd.Series(problems, dtype=object))


@dataclass(frozen=True)
class Record:
    """One validated record: its typed values by field (text, float, int, a UTC ``pd.Timestamp``
    or None when missing) and its position (WGS84 degrees, 7 decimals)."""

    values: dict[str, Any]
    lon: float
    lat: float


def validate_record(schema: LayerSchema, raw: Mapping[str, object], source: str, row: str = "record") -> Record:
    """:func:`validate` for one record — a form's fields as text (or None) with ``lon``/``lat`` —
    by the same rules and with the same errors, without building frames (the cost that would
    dominate a request that stores one report)."""
    rows = pd.Series([row])
    columns = {spec.name: _few_values(spec, (np.dtype(object), [raw[spec.name]]) if spec.name in raw else None,
                                      rows, source) for spec in schema.fields}
    lon, lat = _check_coordinates(raw, rows, source)
    _check_closed(schema, columns, rows, source)
    return Record({spec.name: _one(spec, columns[spec.name][0]) for spec in schema.fields}, float(lon[0]), float(lat[0]))


def _one(spec: Field, value: Any) -> Any:
    """A value of :func:`_few_values` as a record holds it: None when missing, whole numbers as int."""
    if spec.kind in ("number", "integer"):
        return None if value != value else int(value) if spec.kind == "integer" else float(value)
    return value


def _series(spec: Field, values: list) -> pd.Series:
    """A field's typed values as the Series :func:`validate` gives (times floored to the millisecond)."""
    if spec.kind == "time":
        return pd.Series([pd.NaT if v is None else v for v in values], dtype="datetime64[ns, UTC]")
    if spec.kind in ("number", "integer"):
        numbers = pd.Series(values, dtype="float64")
        return numbers.astype("int64") if spec.kind == "integer" and not numbers.isna().any() else numbers
    return pd.Series(pd.array(values, dtype="str"))


def stored_frame(schema: LayerSchema, columns: dict[str, list], lon: ArrayLike, lat: ArrayLike,
                 source: str) -> pd.DataFrame:
    """The typed layer frame of records read back from where :func:`validate` put them: ``columns``
    maps each field to its stored values (times as ISO 8601 text or datetimes, numbers, text, None
    for missing), ``lon``/``lat`` are WGS84 degrees. The types are those :func:`validate` gives,
    without its per-field checks (the values passed them when they were written), except the
    text rule: a text that another program wrote with a forbidden character
    (:data:`geo.text.FORBIDDEN`) raises :class:`ValidationError` naming ``source``, the field and the id."""
    check_stored_text(schema, columns, source)
    data: dict[str, Any] = {}
    for spec in schema.fields:
        values = columns[spec.name]
        if spec.kind == "time":
            data[spec.name] = _stored_times(values)
        elif spec.kind in ("number", "integer"):
            numbers = np.array([np.nan if v is None else v for v in values], dtype=float)
            data[spec.name] = numbers.astype(np.int64) if spec.kind == "integer" and not np.isnan(numbers).any() \
                else numbers
        else:
            data[spec.name] = pd.array(values, dtype="str")
    out = pd.DataFrame(data, index=pd.RangeIndex(len(lon)))
    if schema.points_as_geometry:
        return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(lon, lat, crs=_WGS84_CRS))
    return out.assign(lon=np.asarray(lon, dtype=float), lat=np.asarray(lat, dtype=float))


def check_stored_text(schema: LayerSchema, columns: dict[str, list], source: str) -> None:
    """Stored text (of the fields in ``columns``) that another program wrote with a character the
    text rule forbids (:data:`geo.text.FORBIDDEN`) raises :class:`ValidationError` naming
    ``source``, the field and the record's id."""
    for spec in schema.fields:
        if spec.kind in ("id", "text", "category") and spec.name in columns:
            values = columns[spec.name]
            text = [v for v in values if v is not None]
            if text and FORBIDDEN.search("\n".join(text)):
                bad = next(i for i, v in enumerate(values) if v is not None and FORBIDDEN.search(v))
                raise ValidationError(Message("holds a text the text rule refuses (id {id!r})",
                                              id=columns[schema.key[0]][bad]),
                                      file=source, field=spec.name)


def published_values(schema: LayerSchema, columns: dict[str, list], source: str) -> dict[str, list]:
    """Stored values of the fields in ``columns`` (as :func:`stored_frame` takes them) as a page of
    the layer publishes them: times as ISO 8601 UTC text with milliseconds
    (:func:`geo.timestamps.format_utc`), numbers as float or int, text as text, None when missing —
    without frames (a request's page); the text rule is checked as :func:`stored_frame` does."""
    check_stored_text(schema, columns, source)
    out: dict[str, list] = {}
    for spec in schema.fields:
        if spec.name not in columns:
            continue
        values = columns[spec.name]
        if spec.kind == "time":
            out[spec.name] = values if _all_canonical(values) else format_utc(pd.Series(_stored_times(values))).tolist()
        elif spec.kind in ("number", "integer"):
            out[spec.name] = [None if v is None else float(v) if spec.kind == "number" else int(v) for v in values]
        else:
            out[spec.name] = values
    return out


_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
"""A time as the store writes it (:func:`geo.timestamps.format_utc`)."""


def _all_canonical(values: list) -> bool:
    return all(v is None or (isinstance(v, str) and _CANONICAL_TIME.fullmatch(v)) for v in values)


def _stored_times(values: list) -> pd.arrays.DatetimeArray:
    """Stored times as UTC: the store's own text (``2020-05-01T10:00:00.000Z``) parsed by numpy,
    anything else (datetimes, other ISO 8601 forms another program wrote) by pandas."""
    if _all_canonical(values):
        stamps = np.array([v[:-1] if v is not None else "NaT" for v in values], dtype="datetime64[ms]")
        return pd.array(stamps.astype("datetime64[ns]")).tz_localize("UTC")
    return pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601").astype("datetime64[ns, UTC]").array


def empty_layer(schema: LayerSchema) -> pd.DataFrame:
    """A typed layer frame with no rows."""
    raw = pd.DataFrame({name: pd.Series(dtype=object) for name in schema.field_names})
    return validate(schema, raw.assign(lon=pd.Series(dtype=float), lat=pd.Series(dtype=float)), "empty")


def _field(spec: Field, raw: pd.DataFrame, rows: pd.Series, source: str) -> pd.Series:
    def fail(mask: pd.Series, message: Message | Callable[[Any], Message]) -> None:
        _raise_first(mask, rows, source, spec.name, message, values)

    if spec.name not in raw:
        if spec.required:
            raise ValidationError(Message("the file has no '{field}' field", field=spec.name), file=source,
                                  field=spec.name)
        values = pd.Series(None, index=raw.index, dtype=object)
    else:
        values = raw[spec.name]
    textual = spec.kind in ("id", "text", "category")
    if textual and pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")  # ids and codes that a spreadsheet or JSON made numeric
    typed = (spec.kind == "time" and isinstance(values.dtype, pd.DatetimeTZDtype)) or (
        spec.kind in ("number", "integer") and pd.api.types.is_numeric_dtype(values))
    if not typed:
        text, problems = clean_text(values)  # LF line ends, NFC; control and bidi characters refused
        _raise_first(problems.notna(), rows, source, spec.name, lambda problem: problem, problems)
        text = text.str.strip()
        values = text.mask(text == "")
    missing = values.isna()
    if spec.required:
        fail(missing, Message("missing value"))

    if spec.kind == "time":
        times, problems = parse_utc(values)
        bad = problems.notna() & ~(missing & (not spec.required))
        _raise_first(bad, rows, source, spec.name, lambda problem: problem, problems)
        return times.dt.floor("ms")
    if spec.kind in ("number", "integer"):
        numbers = pd.to_numeric(values, errors="coerce")
        fail(numbers.isna() & ~missing, lambda value: Message("not a number: {value!r}", value=value))
        if spec.kind == "integer":
            fail(numbers.notna() & (numbers != np.round(numbers)), Message("not a whole number"))
        if spec.bounds:
            low, high = spec.bounds
            fail(numbers.notna() & ((numbers < low) | (numbers > high)),
                 lambda value: Message("must be between {low} and {high}, got {value}", low=low, high=high,
                                       value=value))
        if spec.default is not None:
            numbers = numbers.fillna(spec.default)
        if spec.kind == "integer" and not numbers.isna().any():
            return numbers.astype("int64")
        return numbers.astype("float64")
    text = values
    if spec.kind == "category":
        text = text.str.lower()
        fail(text.notna() & ~text.isin(spec.choices),
             lambda value: Message("{value!r} is not one of {choices}", value=value.strip(),
                                   choices=", ".join(spec.choices)))
    if spec.default is not None:
        text = text.fillna(spec.default)
    return text.astype("str")


def _check_coordinates(raw: pd.DataFrame | Mapping[str, object], rows: pd.Series,
                       source: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The records' lon/lat (WGS84 degrees, rounded to :data:`COORDINATE_DECIMALS`) from a raw
    frame, or from one raw record; the first position that cannot be right raises."""
    for name in ("lon", "lat"):
        if name not in raw:
            raise ValidationError(Message("the record has no position"), file=source, field=name)
    raw_lon, raw_lat = ((raw["lon"], raw["lat"]) if isinstance(raw, pd.DataFrame) else
                        (pd.Series([raw["lon"]], dtype=object), pd.Series([raw["lat"]], dtype=object)))
    lon = pd.to_numeric(raw_lon, errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(raw_lat, errors="coerce").to_numpy(dtype=float)
    problems = coordinate_problems(lon, lat)
    _raise_first(pd.Series(problems).notna(), rows, source, "lat/lon",
                 lambda i: Message("{problem}: lat {lat}, lon {lon}", problem=problems[i], lat=str(raw_lat.iloc[i]),
                                   lon=str(raw_lon.iloc[i])),
                 pd.Series(np.arange(len(lon))))
    return np.round(lon, COORDINATE_DECIMALS), np.round(lat, COORDINATE_DECIMALS)


def _raise_first(mask: pd.Series, rows: pd.Series, source: str, field: str,
                 message: Message | Callable[[Any], Message], values: pd.Series | None = None) -> None:
    """Raise for the first row of ``mask``; a callable ``message`` gets that row's value."""
    bad = np.flatnonzero(mask.to_numpy(dtype=bool))
    if len(bad):
        i = bad[0]
        text = message if isinstance(message, Message) else message(values.iloc[i])
        raise ValidationError(more_rows(text, len(bad) - 1) if len(bad) > 1 else text, file=source,
                              row=str(rows.iloc[i]), field=field)


def more_rows(problem: Message, count: int) -> Message:
    """``problem`` of a row, saying ``count`` more rows have it."""
    return Message("{problem} ({count} more rows have this problem)", problem=problem, count=count)


def counted_rows(message: str | Message) -> tuple[Message, int] | None:
    """The problem and the count of more rows of a :func:`more_rows` message, None for another."""
    if isinstance(message, Message) and message.template == more_rows(message, 0).template:
        return message.params["problem"], message.params["count"]
    return None



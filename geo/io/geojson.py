"""GeoJSON (RFC 7946) reading with feature-level errors, and writing of WGS84 FeatureCollections."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import shape

from geo.crs import WGS84
from geo.errors import Message, ValidationError

FieldRule = Callable[[Any], str | None]
"""A property check: returns a message for people when the value is bad, else None."""

_WGS84_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326",
                "urn:ogc:def:crs:EPSG::4326"}


def one_of(choices: tuple[str, ...]) -> FieldRule:
    """Rule: the value is one of ``choices``."""
    def rule(value: Any) -> str | None:
        if value not in choices:
            return f"{value!r} is not one of {', '.join(choices)}"
        return None
    return rule


def text(value: Any) -> str | None:
    """Rule: a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        return f"expected non-empty text, got {value!r}"
    return None


def number_between(low: float, high: float) -> FieldRule:
    """Rule: a finite number from ``low`` to ``high``."""
    def rule(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            return f"expected a number from {low:g} to {high:g}, got {value!r}"
        return None
    return rule


def read_geojson(path: str | Path) -> dict[str, Any]:
    """Read a GeoJSON FeatureCollection from ``path`` (WGS84 lon/lat, RFC 7946)."""
    doc = read_json(path)
    check_collection(doc, str(path))
    return doc


def read_json(path: str | Path) -> Any:
    """Any JSON document from ``path``; errors name the file (and the line of a syntax error)."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(Message("file not found"), file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(Message("cannot read file: {exc}", exc=exc), file=str(path)) from None
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(Message("not valid JSON: {msg} (line {lineno}, column {colno})", msg=exc.msg,
                                      lineno=exc.lineno, colno=exc.colno),
                              file=str(path)) from None
    try:
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a \ud800-style escape: half a character, not text
        raise ValidationError(Message("the file escapes half of a character (a lone UTF-16 surrogate such as \\ud800); "
                                      "it is not text"), file=str(path)) from None
    return doc


def check_collection(doc: Any, source: str) -> None:
    """Raise :class:`ValidationError` unless ``doc`` is a non-empty WGS84 FeatureCollection."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ValidationError(Message("expected a GeoJSON FeatureCollection"), file=source)
    if not isinstance(doc.get("features"), list) or not doc["features"]:
        raise ValidationError(Message("the FeatureCollection has no features"), file=source)
    crs = doc.get("crs")
    if crs is not None:
        name = (crs.get("properties") or {}).get("name") if isinstance(crs, dict) else None
        if name not in _WGS84_NAMES:
            raise ValidationError(
                Message("the file declares CRS {name!r}; GeoJSON must be WGS84 longitude/latitude (RFC 7946): "
                        "reproject it, for example with `ogr2ogr -t_srs EPSG:4326`", name=name), file=source)


def read_polygons(path: str | Path) -> gpd.GeoDataFrame:
    """The polygons of a GeoJSON file (WGS84, RFC 7946), checked as :func:`parse_features` checks
    them (properties are not read)."""
    return parse_features(read_geojson(path), str(path), ("Polygon", "MultiPolygon"), {})


def parse_features(doc: dict[str, Any], source: str, geometry_types: tuple[str, ...],
                   fields: Mapping[str, FieldRule], id_field: str | None = None,
                   optional: Mapping[str, FieldRule] | None = None) -> gpd.GeoDataFrame:
    """Validate the features of a FeatureCollection and return them as a WGS84 GeoDataFrame.

    Every feature needs a geometry of one of ``geometry_types`` with finite WGS84 lon/lat
    coordinates, valid and non-empty, and each property of ``fields`` passing its rule; a property
    of ``optional`` may be missing or null (None in its column), else it passes its rule. Only
    those properties become columns; extra properties are ignored. The first problem found
    raises :class:`ValidationError` naming ``source``, the feature and the field.
    """
    check_collection(doc, source)
    records: list[dict[str, Any]] = []
    geometries = []
    for i, feature in enumerate(doc["features"]):
        props = feature.get("properties") if isinstance(feature, dict) else None
        label = f"feature {i}"
        if isinstance(props, dict) and id_field and isinstance(props.get(id_field), str):
            label += f" ({id_field} {props[id_field]!r})"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise ValidationError(Message("expected a GeoJSON Feature"), file=source, row=label)
        if not isinstance(props, dict):
            raise ValidationError(Message("feature has no properties object"), file=source, row=label)
        record = {}
        for name, rule in fields.items():
            if name not in props:
                raise ValidationError(Message("required property is missing"), file=source, row=label, field=name)
            problem = rule(props[name])
            if problem:
                raise ValidationError(problem, file=source, row=label, field=name)
            record[name] = props[name]
        for name, rule in (optional or {}).items():
            value = props.get(name)
            problem = None if value is None else rule(value)
            if problem:
                raise ValidationError(problem, file=source, row=label, field=name)
            record[name] = value
        records.append(record)
        geometries.append(_geometry(feature.get("geometry"), geometry_types, source, label))
    return gpd.GeoDataFrame(records, geometry=geometries, crs=WGS84)


def _geometry(raw: Any, geometry_types: tuple[str, ...], source: str, label: str):
    def bad(message: str) -> ValidationError:
        return ValidationError(message, file=source, row=label, field="geometry")

    if not isinstance(raw, dict) or raw.get("type") not in geometry_types:
        found = raw.get("type") if isinstance(raw, dict) else raw
        wanted = " or ".join(geometry_types)
        raise bad(Message("expected a {wanted} geometry, got {found!r}", wanted=wanted, found=found))
    try:
        with np.errstate(invalid="ignore"):  # NaN coordinates are reported below, not warned about
            geom = shape(raw)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise bad(Message("malformed coordinates: {exc}", exc=exc)) from None
    if geom.is_empty:
        raise bad(Message("geometry is empty"))
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise bad(Message("coordinates contain NaN or infinity"))
    lon, lat = coords[:, 0], coords[:, 1]
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        x, y = coords[np.argmax((np.abs(lon) > 180) | (np.abs(lat) > 90))]
        raise bad(Message("coordinate ({x}, {y}) is outside WGS84 ranges; it looks like projected metres (for "
                          "example SWEREF 99 TM): reproject to WGS84 longitude/latitude", x=x, y=y))
    if not geom.is_valid:
        raise bad(Message("invalid geometry: {reason}", reason=shapely.is_valid_reason(geom)))
    return geom


def to_feature_collection(frame: gpd.GeoDataFrame, metadata: Mapping[str, Any] | None = None,
                          decimals: int = 6) -> dict[str, Any]:
    """Return ``frame`` as an RFC 7946 FeatureCollection dict.

    Geometry is reprojected to WGS84 if needed, polygon exterior rings are made
    counter-clockwise (RFC 7946 §3.1.6) and coordinates rounded to ``decimals`` places
    (6 decimals is about 0.1 m). ``metadata`` becomes foreign members of the collection.
    """
    if frame.crs is not None and frame.crs != WGS84:
        frame = frame.to_crs(WGS84)
    geoms = frame.geometry.to_numpy()
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    if len(geoms) and ((shapely.get_type_id(geoms) == 0) & ~shapely.is_empty(geoms)).all():  # points (the layers): no GeoJSON text per feature
        xy = shapely.get_coordinates(geoms)
        features = point_features([_plain(props) for props in records], xy[:, 0].tolist(), xy[:, 1].tolist(), decimals)
    elif len(geoms) and (shapely.get_type_id(geoms) == 1).all():  # lines (patrols' unit-days): no GeoJSON text either
        features = [{"type": "Feature", "properties": _plain(props), "geometry": {"type": "LineString", "coordinates": line}}
                    for props, line in zip(records, _line_coordinates(geoms, decimals))]
    else:
        features = []
        for props, geom in zip(records, shapely.orient_polygons(geoms, exterior_cw=False)):
            geometry = None if geom is None else json.loads(shapely.to_geojson(geom))  # None: unlocated (§3.2)
            if geometry is not None:
                geometry["coordinates"] = _round(geometry["coordinates"], decimals)
            features.append({"type": "Feature", "properties": _plain(props), "geometry": geometry})
    return {"type": "FeatureCollection", **dict(metadata or {}), "features": features}


def point_features(properties: Sequence[dict[str, Any]], lon: Sequence[float], lat: Sequence[float],
                   decimals: int) -> list[dict[str, Any]]:
    """RFC 7946 Point features of JSON-ready ``properties`` at ``lon``/``lat`` (WGS84 degrees),
    coordinates rounded to ``decimals`` places."""
    return [{"type": "Feature", "properties": props,
             "geometry": {"type": "Point", "coordinates": [round(x, decimals), round(y, decimals)]}}
            for props, x, y in zip(properties, lon, lat)]


def area_geometry(area: shapely.Geometry, decimals: int) -> dict[str, Any]:
    """An area (Polygon or MultiPolygon, WGS84) as an RFC 7946 geometry: exterior rings
    counter-clockwise, coordinates rounded to ``decimals`` places."""
    geometry = json.loads(shapely.to_geojson(shapely.orient_polygons(area, exterior_cw=False)))
    geometry["coordinates"] = _round(geometry["coordinates"], decimals)
    return geometry


def _line_coordinates(lines: np.ndarray, decimals: int) -> list[list[list[float]]]:
    """The coordinates of LineStrings as GeoJSON gives them, rounded to ``decimals`` places by
    numpy over all of them at once (a patrol's day is tens of thousands of positions: rounding
    each number in Python, or parsing GEOS' GeoJSON text, takes seconds)."""
    coords = np.round(shapely.get_coordinates(lines), decimals).tolist()
    ends = np.cumsum(shapely.get_num_coordinates(lines)).tolist()
    return [coords[start:end] for start, end in zip([0, *ends[:-1]], ends)]


def _round(coords: Any, decimals: int) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(c, decimals) for c in coords]
    return [_round(c, decimals) for c in coords]


def _plain(props: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe property values: numpy scalars to Python, NaN to null."""
    out = {}
    for key, value in props.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            value = None
        out[key] = value
    return out

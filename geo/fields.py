"""The lit surface of the centre and its EN 13201-3 calculation fields.

The surface. Each street segment is a corridor of its ``width_m`` about its centre line (flat
ends): carriageway and footways of a street, a pedestrian street facade to facade, a square, a
park path, a bridge deck. The walkable surface is the union of the corridors less building
footprints and water. Blocks, courtyards, open water and lawns are not walkable.

The fields follow EN 13201-3:2015 (calculation of illuminance: field of calculation and position
of the calculation points). There a field runs between two consecutive luminaires of a row over
the width W of the area; its points are spaced D = S/N along it (S the length of the field,
N = 10 when S ≤ 30 m, else the smallest integer giving D ≤ 3 m) and d = W/n across it (n ≥ 3,
the smallest integer giving d ≤ 1.5 m), the first row at D/2 from the start of the field and
the outer points at d/2 from its edges. The centre's lamps do not stand in regular rows and they
change over the years, so here a field is a fixed piece of street: each street is cut at the
zone boundaries and each piece into equal fields of about :data:`FIELD_LENGTH_M` metres, and
the points are laid out by the standard's rule for that S and W. Field ids last as long as the
streets file, so dates, what-ifs and measures compare field by field. Points on a building or on
water are left out (the field is its walkable part); a field with none left is dropped.

A field meets its P class (EN 13201-2:2015, table 3) when its average Ē and its minimum Emin
over its points are at least the class's; it is over-lit when Ē exceeds 1.5 × the class's
average. All geometry here is SWEREF 99 TM (EPSG:3006, metres) unless stated.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.ops import substring

from geo.arrays import sum_by
from geo.crs import SWEREF99TM, to_metric
from geo.zones import zone_positions

FIELD_LENGTH_M = 30.0
"""Nominal length of a calculation field (m): the spacing S of a row of 5-6 m poles at 2.5-3 × their
height on one side of a town street, lamps on both sides staggered at half of it."""
OVER_LIGHTING_FACTOR = 1.5
MIN_PIECE_M = 1.0
"""Street pieces shorter than this (m), slivers of the cut at a zone boundary, carry no field."""


@dataclass
class LitSurface:
    """The walkable surface (one EPSG:3006 geometry), its calculation fields (:func:`calculation_fields`)
    and their points."""

    walkable: shapely.Geometry
    fields: gpd.GeoDataFrame
    points: pd.DataFrame


def lit_surface(zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None,
                obstacles: gpd.GeoDataFrame | None = None) -> LitSurface:
    """The lit surface of the centre: the streets' corridors less the ``obstacles`` (buildings and
    water, any CRS) with their fields (all WGS84 in). Without streets the surface is the zones less
    the obstacles and there are no fields."""
    if streets is None or streets.empty:
        walkable = _less(shapely.union_all(to_metric(zones).geometry.to_numpy()), obstacles)
        no_pieces = gpd.GeoDataFrame({"street": [], "kind": [], "width_m": [], "zone_id": [], "lighting_class": [],
                                      "sc_class": []},
                                     geometry=[], crs=SWEREF99TM)
        return LitSurface(walkable, *calculation_fields(no_pieces))
    pieces = street_pieces(streets, zones)
    return LitSurface(walkable_surface(pieces, obstacles), *calculation_fields(pieces, obstacles))


def street_pieces(streets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The street centre lines (WGS84, :func:`geo.streets.parse_streets`) cut at the zone
    boundaries (WGS84 zones), in EPSG:3006: ``street``, ``kind``, ``width_m``, ``zone_id``,
    ``lighting_class`` (the street's own, else its zone's) and ``sc_class`` (the street's, or None). A line along a shared boundary goes to
    one zone (that of its midpoint); lines outside every zone are dropped."""
    lines, areas = to_metric(streets), to_metric(zones)
    line_at, zone_at = shapely.STRtree(areas.geometry.to_numpy()).query(lines.geometry.to_numpy(),
                                                                        predicate="intersects")
    cut = shapely.intersection(lines.geometry.to_numpy()[line_at], areas.geometry.to_numpy()[zone_at])
    parts, owner = shapely.get_parts(shapely.line_merge(cut), return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) >= MIN_PIECE_M)
    parts, owner = parts[keep], owner[keep]
    middle = shapely.line_interpolate_point(parts, 0.5, normalized=True)
    home = zone_positions(areas, shapely.get_x(middle), shapely.get_y(middle))
    mine = home == zone_at[owner]
    parts, street, zone = parts[mine], line_at[owner[mine]], zone_at[owner[mine]]
    own_class = lines["lighting_class"].to_numpy(dtype=object)[street]
    sc_class = (lines["sc_class"].to_numpy(dtype=object) if "sc_class" in lines else np.full(len(lines), None))[street]
    zone_class = zones["lighting_class"].to_numpy(dtype=object)[zone]
    return gpd.GeoDataFrame({
        "street": lines["name"].to_numpy(dtype=object)[street], "kind": lines["kind"].to_numpy(dtype=object)[street],
        "width_m": lines["width_m"].to_numpy(float)[street], "zone_id": zones["zone_id"].to_numpy(dtype=object)[zone],
        "lighting_class": np.where(pd.isna(own_class), zone_class, own_class),
        "sc_class": np.where(pd.isna(sc_class), None, sc_class)},
        geometry=parts, crs=SWEREF99TM).reset_index(drop=True)


def walkable_surface(pieces: gpd.GeoDataFrame, obstacles: gpd.GeoDataFrame | None = None) -> shapely.Geometry:
    """The union of the pieces' corridors (``width_m`` wide, flat ends; EPSG:3006) less the
    ``obstacles`` (building footprints and water, any CRS): one (Multi)Polygon in EPSG:3006."""
    corridors = shapely.buffer(pieces.geometry.to_numpy(), pieces["width_m"].to_numpy(float) / 2, cap_style="flat")
    return _less(shapely.union_all(corridors), obstacles)


def _less(surface: shapely.Geometry, obstacles: gpd.GeoDataFrame | None) -> shapely.Geometry:
    """``surface`` (EPSG:3006) less the ``obstacles`` (any CRS)."""
    if obstacles is None or not len(obstacles):
        return surface
    return shapely.difference(surface, shapely.union_all(to_metric(obstacles).geometry.to_numpy()))


def points_along(length_m: NDArray[np.float64]) -> NDArray[np.int64]:
    """EN 13201-3 points along a field of length S (m): N = 10 for S ≤ 30 m, else the smallest N with S/N ≤ 3 m."""
    return np.where(length_m <= 30.0, 10, np.ceil(length_m / 3.0 - 1e-9)).astype(np.int64)


def points_across(width_m: NDArray[np.float64]) -> NDArray[np.int64]:
    """EN 13201-3 points across a field of width W (m): the smallest n ≥ 3 with W/n ≤ 1.5 m."""
    return np.maximum(3, np.ceil(width_m / 1.5 - 1e-9)).astype(np.int64)


def calculation_fields(pieces: gpd.GeoDataFrame, obstacles: gpd.GeoDataFrame | None = None,
                       field_length_m: float = FIELD_LENGTH_M) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The calculation fields of the street ``pieces`` (:func:`street_pieces`) and their points.

    Fields (EPSG:3006 polygons; the field's corridor, obstacles not cut out): ``field_id``
    (the street's slug and a number along it), ``street``, ``kind``, ``zone_id``,
    ``lighting_class``, ``length_m`` (S), ``width_m`` (W), ``points_along`` (N),
    ``points_across`` (n), ``points`` (those left off obstacles), ``walkable_m2`` (S·W times
    the share of points left) and ``sc_class``. Points: ``field`` (the row position of their field
    in the returned fields), ``x``, ``y`` (EPSG:3006) and ``ux``, ``uy`` (the unit vector along the
    street there: the walking direction).
    """
    lines = pieces.geometry.to_numpy()
    piece_length = shapely.length(lines)
    count = np.maximum(1, np.round(piece_length / field_length_m)).astype(np.int64)
    piece = np.repeat(np.arange(len(pieces)), count)
    index = np.arange(len(piece)) - np.repeat(np.cumsum(count) - count, count)  # field's number in its piece
    length = piece_length[piece] / count[piece]
    start = index * length
    width = pieces["width_m"].to_numpy(float)[piece]
    along, across = points_along(length), points_across(width)
    x, y, ux, uy, field = _layout(lines[piece], start, length, width, along, across)
    walkable = np.ones(len(x), dtype=bool)
    if obstacles is not None and len(obstacles):
        blocked = shapely.union_all(to_metric(obstacles).geometry.to_numpy())
        shapely.prepare(blocked)
        walkable = ~shapely.contains_xy(blocked, x, y)
    kept = np.bincount(field[walkable], minlength=len(piece))
    outline = [substring(line, a, a + s) for line, a, s in zip(lines[piece], start, length)]
    fields = gpd.GeoDataFrame({
        "field_id": _field_ids(pieces["street"].to_numpy(dtype=object)[piece]),
        **{name: pieces[name].to_numpy(dtype=object)[piece]
           for name in ("street", "kind", "zone_id", "lighting_class", "sc_class")},
        "length_m": length, "width_m": width, "points_along": along, "points_across": across, "points": kept,
        "walkable_m2": length * width * kept / (along * across)},
        geometry=shapely.buffer(np.array(outline, dtype=object), width / 2, cap_style="flat"), crs=SWEREF99TM)
    present = kept > 0
    renumber = np.cumsum(present) - 1
    points = pd.DataFrame({"field": renumber[field[walkable]], "x": x[walkable], "y": y[walkable],
                           "ux": ux[walkable], "uy": uy[walkable]})
    return fields[present].reset_index(drop=True), points


def _layout(lines: NDArray[np.object_], start: NDArray[np.float64], length: NDArray[np.float64],
            width: NDArray[np.float64], along: NDArray[np.int64],
            across: NDArray[np.int64]) -> tuple[NDArray[np.float64], ...]:
    """x, y (m), the unit vector along the line (ux, uy) and the field position of every field's
    N × n points: at (i + ½)·S/N along the line from the field's start and (j + ½)·W/n − W/2 to
    its left, perpendicular to the line there."""
    per_field = along * across
    field = np.repeat(np.arange(len(lines)), per_field)
    k = np.arange(len(field)) - np.repeat(np.cumsum(per_field) - per_field, per_field)
    i, j = k // across[field], k % across[field]
    s = start[field] + (i + 0.5) * length[field] / along[field]
    t = (j + 0.5) * width[field] / across[field] - width[field] / 2
    line = lines[field]
    total = shapely.length(line)
    centre = shapely.line_interpolate_point(line, s)
    ahead = shapely.line_interpolate_point(line, np.minimum(s + 0.5, total))
    behind = shapely.line_interpolate_point(line, np.maximum(s - 0.5, 0.0))
    tx, ty = shapely.get_x(ahead) - shapely.get_x(behind), shapely.get_y(ahead) - shapely.get_y(behind)
    norm = np.hypot(tx, ty)
    x = shapely.get_x(centre) - t * ty / norm
    y = shapely.get_y(centre) + t * tx / norm
    return x, y, tx / norm, ty / norm, field


def _field_ids(streets: NDArray[np.object_]) -> list[str]:
    """``<street slug>-<nn>``, numbered from 1 along each street in the order of its fields."""
    slugs = [_slug(name) for name in streets]
    number = pd.Series(slugs).groupby(slugs).cumcount() + 1
    return [f"{slug}-{n:02d}" for slug, n in zip(slugs, number)]


def _slug(name: str) -> str:
    """Lowercase ASCII with hyphens: 'Karl XI:s väg' -> 'karl-xi-s-vag'."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", name.lower()) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", bare).strip("-") or "gata"


def field_figures(fields: gpd.GeoDataFrame, points: pd.DataFrame, lux: NDArray[np.float64],
                  classes: dict[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    """``fields`` with their average ``average_lx`` (Ē), minimum ``minimum_lx`` (Emin) and
    ``uniformity`` (Uo = Emin/Ē, 0 when dark) over their points lit to ``lux`` (one value per row
    of ``points``, lux); the class's ``class_average_lx`` and ``class_minimum_lx`` (``classes``:
    class -> (Ē, Emin)); ``meets_class``; ``over_lit`` (Ē above 1.5 × the class average); and
    ``shortfall``, how far below the class the field is (the larger of 1 − Ē/Ē_class and
    1 − Emin/Emin_class, 0 when it meets it)."""
    field = points["field"].to_numpy()
    n = np.bincount(field, minlength=len(fields))
    average = sum_by(field, lux, len(fields)) / np.maximum(n, 1)
    minimum = np.full(len(fields), np.inf)
    np.minimum.at(minimum, field, lux)
    minimum[n == 0] = 0.0
    required = np.array([classes[c] for c in fields["lighting_class"]], dtype=float).reshape(-1, 2)
    shortfall = np.maximum(0.0, np.maximum(1 - average / required[:, 0], 1 - minimum / required[:, 1]))
    return fields.assign(average_lx=average, minimum_lx=minimum,
                         uniformity=np.divide(minimum, average, out=np.zeros(len(fields)), where=average > 0),
                         class_average_lx=required[:, 0], class_minimum_lx=required[:, 1],
                         meets_class=(average >= required[:, 0]) & (minimum >= required[:, 1]),
                         over_lit=average > OVER_LIGHTING_FACTOR * required[:, 0], shortfall=shortfall)


SEMICYLINDRICAL_KINDS = ("square", "pedestrian")
"""Where semi-cylindrical illuminance is computed: faces are recognised on foot."""


def semicylindrical_figures(fields: gpd.GeoDataFrame, points: pd.DataFrame, esc: NDArray[np.float64],
                            classes: dict[str, float]) -> gpd.GeoDataFrame:
    """``fields`` (with :func:`field_figures`) with ``sc_minimum_lx``, the lowest semi-cylindrical
    illuminance over their points (``esc``, lux, one per row of ``points``; NaN outside
    :data:`SEMICYLINDRICAL_KINDS`), and ``meets_sc_class`` against their ``sc_class`` (``classes``:
    class -> E_sc,min; None without a class)."""
    minimum = np.full(len(fields), np.inf)
    np.minimum.at(minimum, points["field"].to_numpy(), esc)
    shown = fields["kind"].isin(SEMICYLINDRICAL_KINDS).to_numpy() & np.isfinite(minimum)
    minimum = np.where(shown, minimum, np.nan)
    required = fields["sc_class"].map(classes).to_numpy(float)
    meets = np.where(shown & ~np.isnan(required), minimum >= required, None)
    return fields.assign(sc_minimum_lx=minimum, meets_sc_class=pd.array(meets, dtype="boolean"))


def zone_compliance(figures: gpd.GeoDataFrame, zone_ids: list[str]) -> pd.DataFrame:
    """Per zone of ``zone_ids`` (index ``zone_id``), from :func:`field_figures`: ``fields``, the
    fields that fail (``fields_failing``) and are over-lit (``fields_over_lit``), the walkable
    field area (``field_m2``) and ``share_compliant``, the share of it in fields meeting their
    class (None for a zone without fields)."""
    grouped = figures.assign(compliant_m2=figures["walkable_m2"] * figures["meets_class"],
                             failing=~figures["meets_class"]).groupby("zone_id")
    frame = pd.DataFrame({"fields": grouped.size(), "fields_failing": grouped["failing"].sum(),
                          "fields_over_lit": grouped["over_lit"].sum(), "field_m2": grouped["walkable_m2"].sum(),
                          "compliant_m2": grouped["compliant_m2"].sum()}).reindex(zone_ids)
    frame[["fields", "fields_failing", "fields_over_lit"]] = frame[["fields", "fields_failing", "fields_over_lit"]].fillna(0).astype(int)
    frame["share_compliant"] = (frame["compliant_m2"] / frame["field_m2"]).where(frame["field_m2"] > 0)
    frame.index.name = "zone_id"
    return frame.drop(columns="compliant_m2")


def share_compliant(figures: gpd.GeoDataFrame) -> float | None:
    """Share of the walkable area of all fields in fields meeting their class (None without fields)."""
    area = float(figures["walkable_m2"].sum())
    return float((figures["walkable_m2"] * figures["meets_class"]).sum()) / area if area > 0 else None


def failing_fields(figures: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The fields that do not meet their class, the furthest below first."""
    return figures[~figures["meets_class"]].sort_values(["shortfall", "field_id"], ascending=[False, True])

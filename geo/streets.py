"""Street centre lines of the centre: loading, validation and network connectivity.

A streets file is a GeoJSON FeatureCollection (WGS84) of LineStrings with ``name`` and
``kind`` (street, pedestrian, path, square, bridge), and optionally ``width_m`` (the walkable
width, facade to facade or edge to edge, metres; default by kind, :data:`STREET_WIDTHS_M`) and
``lighting_class`` (the EN 13201-2 P class the segment is lit to; default the zone's) and
``sc_class`` (the SC class of its semi-cylindrical illuminance, for squares and pedestrian
streets where faces should be recognised; default none). Coverage
can be measured per metre of it; lighting is calculated on the surface its widths make.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from geo.io.geojson import number_between, one_of, parse_features, read_geojson, text
from geo.lighting import SEMICYLINDRICAL_CLASSES
from geo.zones import LIGHTING_CLASSES

STREET_KINDS = ("street", "pedestrian", "path", "square", "bridge")
STREET_FIELDS = {"name": text, "kind": one_of(STREET_KINDS)}
STREET_OPTIONAL_FIELDS = {"width_m": number_between(1, 200), "lighting_class": one_of(LIGHTING_CLASSES),
                          "sc_class": one_of(tuple(SEMICYLINDRICAL_CLASSES))}
STREET_WIDTHS_M = {"street": 14.0, "pedestrian": 10.0, "path": 4.0, "square": 40.0, "bridge": 10.0}
"""Walkable width (m) of a segment whose ``width_m`` is not given: a town-centre street with its
footways facade to facade, a pedestrian street, a park path, a square, a bridge deck."""


def read_streets(path: str | Path) -> gpd.GeoDataFrame:
    """Read and validate a streets GeoJSON file; see :func:`parse_streets`."""
    return parse_streets(read_geojson(path), source=str(path))


def parse_streets(doc: dict[str, Any], source: str = "streets") -> gpd.GeoDataFrame:
    """Validate a streets FeatureCollection; return ``name``, ``kind``, ``width_m`` (given or
    by kind), ``lighting_class`` (None: the zone's), ``sc_class`` (None: none) and ``geometry`` in WGS84.

    Raises :class:`geo.errors.ValidationError` naming ``source``, the feature and the field.
    File-level members other than type/features are kept in ``.attrs["metadata"]``.
    """
    streets = parse_features(doc, source, ("LineString", "MultiLineString"), STREET_FIELDS, id_field="name",
                             optional=STREET_OPTIONAL_FIELDS)
    given = pd.to_numeric(streets["width_m"], errors="coerce")
    streets["width_m"] = given.fillna(streets["kind"].map(STREET_WIDTHS_M)).astype(float)
    streets.attrs["metadata"] = {k: v for k, v in doc.items() if k not in ("type", "features", "crs")}
    return streets


def network_components(streets: gpd.GeoDataFrame) -> pd.Series:
    """Label of the connected network each street belongs to, indexed like ``streets``.

    Two streets are connected when their lines touch or cross (any CRS, no distances
    involved). One label for all rows means one connected network.
    """
    geoms = streets.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    graph = coo_array((np.ones(len(left)), (left, right)), shape=(len(geoms), len(geoms)))
    _, labels = connected_components(graph, directed=False)
    return pd.Series(labels, index=streets.index, name="component")

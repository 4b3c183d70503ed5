"""A GeoPackage to hand to a GIS: feature layers in WGS84, each described in ``gpkg_contents`` and
styled as QGIS keeps styles in a GeoPackage (the ``layer_styles`` table, one default style per
layer: QML and SLD, :mod:`geo.io.styles`), and an ``about`` table saying what the package holds."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.crs import WGS84
from geo.errors import Message, ValidationError
from geo.io.files import written_as_new
from geo.io.styles import LayerStyle, qml, sld

GEOMETRY_COLUMN = "geom"
STYLES_TABLE = "layer_styles"
ABOUT_TABLE = "about"
GEOPACKAGE_VERSION = "1.2"
"""The GeoPackage version written: 1.2 has all the package needs, and GDAL before 3.7 (Debian 12's
3.6, which its QGIS 3.22 runs on) warns that a 1.4 file "may only be partially supported"."""
_GEOMETRY_TYPES = {"point": "Point", "line": "LineString", "polygon": "MultiPolygon"}
_DATASET = {"VERSION": GEOPACKAGE_VERSION}


@dataclass(frozen=True)
class PackageLayer:
    """A layer of the package: its table ``name``, its features in ``parts`` written one after the
    other (any CRS; written in WGS84; the first part makes the layer, even when empty), the
    ``description`` GIS programs show, and its ``style`` (whose geometry is the layer's)."""

    name: str
    parts: Iterable[gpd.GeoDataFrame]
    description: str
    style: LayerStyle


About = Callable[[Mapping[str, int]], Sequence[tuple[str, str]]]
"""The ``about`` table's (key, value) rows, given the features written per layer."""


def write_gis_package(path: str | Path, layers: Sequence[PackageLayer], about: About, about_description: str,
                      written_at: pd.Timestamp) -> dict[str, int]:
    """Write the package to the new file ``path`` (``.gpkg``); returns the features per layer.

    ``written_at`` (UTC) dates the styles. An existing file is never overwritten, and a failed
    write leaves no file."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        named = repr(path.suffix) if path.suffix else "without a suffix"
        raise ValidationError(Message("a GIS package is a GeoPackage: name it .gpkg, not {named}", named=named),
                              file=str(path))
    counts: dict[str, int] = {}
    with written_as_new(path) as partial:
        for layer in layers:
            counts[layer.name] = _write_layer(partial, layer)
        pyogrio.write_dataframe(_styles(layers, written_at), partial, layer=STYLES_TABLE, driver="GPKG",
                                dataset_options=_DATASET,
                                layer_options={"FID": "id", "DESCRIPTION": "QGIS layer styles (QML and SLD), "
                                                                           "one default style per layer"})
        pyogrio.write_dataframe(pd.DataFrame(list(about(counts)), columns=["key", "value"]), partial,
                                layer=ABOUT_TABLE, driver="GPKG", dataset_options=_DATASET,
                                layer_options={"DESCRIPTION": about_description})
    return counts


def _write_layer(path: Path, layer: PackageLayer) -> int:
    """Write the layer's parts to the GeoPackage ``path``; returns the features written."""
    written = 0
    for i, part in enumerate(layer.parts):
        if i and not len(part):
            continue
        options = {} if i else {"layer_options": {"IDENTIFIER": layer.name, "DESCRIPTION": layer.description,
                                                  "GEOMETRY_NAME": GEOMETRY_COLUMN}, "dataset_options": _DATASET}
        pyogrio.write_dataframe(part.to_crs(WGS84).rename_geometry(GEOMETRY_COLUMN), path, layer=layer.name,
                                driver="GPKG", geometry_type=_GEOMETRY_TYPES[layer.style.geometry],
                                promote_to_multi=layer.style.geometry == "polygon", append=i > 0, **options)
        written += len(part)
    return written


def _styles(layers: Sequence[PackageLayer], written_at: pd.Timestamp) -> pd.DataFrame:
    """The ``layer_styles`` rows, with the columns QGIS gives the table (its default style per layer)."""
    return pd.DataFrame({
        "f_table_catalog": "", "f_table_schema": "",
        "f_table_name": [layer.name for layer in layers], "f_geometry_column": GEOMETRY_COLUMN,
        "styleName": [layer.style.title for layer in layers],
        "styleQML": [qml(layer.style) for layer in layers],
        "styleSLD": [sld(layer.name, layer.style) for layer in layers],
        "useAsDefault": True, "description": [layer.description for layer in layers], "owner": "",
        "ui": None, "update_time": written_at}, index=pd.RangeIndex(len(layers)))

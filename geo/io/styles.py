"""Layer styles for GIS programs from one small description: a QGIS style (QML, the form QGIS keeps
in a GeoPackage's ``layer_styles`` table) and an OGC Symbology Encoding style (SLD 1.1), both built
with :mod:`xml.etree.ElementTree`, so no value ever becomes markup.

A style is one symbol for every feature, or one per value of a field (QGIS's categorised renderer,
an SLD rule with an equality filter per value). Sizes are millimetres on the map as QGIS counts them
(SLD has pixels: 96 per inch).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Literal

Geometry = Literal["point", "line", "polygon"]

QGIS_VERSION = "3.22.0"
"""The QGIS version the QML says it was written for (QGIS 3.22 and later read it)."""
MM_PER_PIXEL = 25.4 / 96
_SYMBOL_TYPES = {"point": "marker", "line": "line", "polygon": "fill"}
_SYMBOL_LAYERS = {"point": "SimpleMarker", "line": "SimpleLine", "polygon": "SimpleFill"}
_SLD_SYMBOLIZERS = {"point": "PointSymbolizer", "line": "LineSymbolizer", "polygon": "PolygonSymbolizer"}

SLD = "http://www.opengis.net/sld"
SE = "http://www.opengis.net/se"
OGC = "http://www.opengis.net/ogc"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
for _prefix, _uri in (("", SLD), ("se", SE), ("ogc", OGC), ("xsi", XSI)):
    ET.register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class Symbol:
    """How a feature is drawn: ``colour`` (``#rrggbb``) fills a marker or a polygon, or is a line's
    colour; ``opacity`` (0–1) applies to that fill or line; ``outline`` (``#rrggbb``, None for
    none) and ``outline_mm`` edge a marker or a polygon; ``size_mm`` is a marker's diameter or a
    line's width."""

    colour: str
    size_mm: float = 2.0
    opacity: float = 1.0
    outline: str | None = None
    outline_mm: float = 0.2


@dataclass(frozen=True)
class Category:
    """The features whose field has ``value``, drawn with ``symbol`` and named ``label`` in a legend."""

    value: str
    label: str
    symbol: Symbol


@dataclass(frozen=True)
class LayerStyle:
    """A layer's style: ``symbol`` for every feature, or (when ``field`` is given) the symbol of
    the feature's category by that field's value; ``title`` names the style."""

    title: str
    geometry: Geometry
    symbol: Symbol | None = None
    field: str | None = None
    categories: tuple[Category, ...] = ()

    def __post_init__(self) -> None:
        if (self.field is None) == (self.symbol is None) or bool(self.categories) != (self.field is not None):
            raise ValueError("a style has either one symbol, or a field and its categories")


def qml(style: LayerStyle) -> str:
    """The QGIS style document (QML) of ``style``: the renderer and its symbols."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    if style.field is None:
        renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0",
                                 enableorderby="0")
        symbols = [style.symbol]
    else:
        renderer = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=style.field, symbollevels="0",
                                 forceraster="0", enableorderby="0")
        categories = ET.SubElement(renderer, "categories")
        for i, category in enumerate(style.categories):
            ET.SubElement(categories, "category", value=category.value, label=category.label, symbol=str(i),
                          render="true")
        symbols = [category.symbol for category in style.categories]
    holder = ET.SubElement(renderer, "symbols")
    for i, symbol in enumerate(symbols):
        _qml_symbol(holder, str(i), style.geometry, symbol)
    ET.SubElement(root, "layerGeometryType").text = str(list(_SYMBOL_TYPES).index(style.geometry))
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def _qml_symbol(parent: ET.Element, name: str, geometry: Geometry, symbol: Symbol) -> None:
    """A ``<symbol>`` of one simple symbol layer; its properties both as an ``Option`` map (how
    QGIS 3.22 and later read them) and as ``prop`` elements (how earlier versions do)."""
    element = ET.SubElement(parent, "symbol", name=name, type=_SYMBOL_TYPES[geometry], alpha="1",
                            clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(element, "layer", {"class": _SYMBOL_LAYERS[geometry], "enabled": "1", "locked": "0",
                                             "pass": "0"})
    properties = _qml_properties(geometry, symbol)
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in properties.items():
        ET.SubElement(options, "Option", name=key, value=value, type="QString")
    for key, value in properties.items():
        ET.SubElement(layer, "prop", k=key, v=value)


def _qml_properties(geometry: Geometry, symbol: Symbol) -> dict[str, str]:
    """The simple symbol layer's properties as QGIS names them."""
    colour = _qgis_colour(symbol.colour, symbol.opacity)
    outline = {"outline_color": _qgis_colour(symbol.outline or "#000000", 1.0 if symbol.outline else 0.0),
               "outline_style": "solid" if symbol.outline else "no", "outline_width": _number(symbol.outline_mm),
               "outline_width_unit": "MM"}
    if geometry == "point":
        return {"name": "circle", "color": colour, **outline, "size": _number(symbol.size_mm), "size_unit": "MM",
                "scale_method": "diameter"}
    if geometry == "line":
        return {"line_color": colour, "line_style": "solid", "line_width": _number(symbol.size_mm),
                "line_width_unit": "MM", "capstyle": "round", "joinstyle": "round"}
    return {"color": colour, "style": "solid", **outline}


def sld(layer: str, style: LayerStyle) -> str:
    """The OGC Symbology Encoding style (SLD 1.1) of ``style`` for the layer named ``layer``."""
    root = ET.Element(ET.QName(SLD, "StyledLayerDescriptor"), {
        "version": "1.1.0", ET.QName(XSI, "schemaLocation"):
            f"{SLD} http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"})
    named = ET.SubElement(root, ET.QName(SLD, "NamedLayer"))
    ET.SubElement(named, ET.QName(SE, "Name")).text = layer
    user = ET.SubElement(named, ET.QName(SLD, "UserStyle"))
    ET.SubElement(user, ET.QName(SE, "Name")).text = style.title
    feature_style = ET.SubElement(user, ET.QName(SE, "FeatureTypeStyle"))
    rules = ([(style.title, None, style.symbol)] if style.field is None
             else [(c.label, c.value, c.symbol) for c in style.categories])
    for label, value, symbol in rules:
        rule = ET.SubElement(feature_style, ET.QName(SE, "Rule"))
        ET.SubElement(rule, ET.QName(SE, "Name")).text = label
        ET.SubElement(ET.SubElement(rule, ET.QName(SE, "Description")), ET.QName(SE, "Title")).text = label
        if value is not None:
            equal = ET.SubElement(ET.SubElement(rule, ET.QName(OGC, "Filter")), ET.QName(OGC, "PropertyIsEqualTo"))
            ET.SubElement(equal, ET.QName(OGC, "PropertyName")).text = style.field
            ET.SubElement(equal, ET.QName(OGC, "Literal")).text = value
        _sld_symbolizer(rule, style.geometry, symbol)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _sld_symbolizer(rule: ET.Element, geometry: Geometry, symbol: Symbol) -> None:
    """The rule's symbolizer: a filled circle, a line, or a filled polygon, with its outline."""
    symbolizer = ET.SubElement(rule, ET.QName(SE, _SLD_SYMBOLIZERS[geometry]))
    if geometry == "line":
        _sld_parameters(ET.SubElement(symbolizer, ET.QName(SE, "Stroke")), {
            "stroke": symbol.colour, "stroke-opacity": _number(symbol.opacity),
            "stroke-width": _pixels(symbol.size_mm), "stroke-linejoin": "round", "stroke-linecap": "round"})
        return
    shape = symbolizer
    if geometry == "point":
        graphic = ET.SubElement(symbolizer, ET.QName(SE, "Graphic"))
        shape = ET.SubElement(graphic, ET.QName(SE, "Mark"))
        ET.SubElement(shape, ET.QName(SE, "WellKnownName")).text = "circle"
    _sld_parameters(ET.SubElement(shape, ET.QName(SE, "Fill")),
                    {"fill": symbol.colour, "fill-opacity": _number(symbol.opacity)})
    if symbol.outline:
        _sld_parameters(ET.SubElement(shape, ET.QName(SE, "Stroke")),
                        {"stroke": symbol.outline, "stroke-width": _pixels(symbol.outline_mm)})
    if geometry == "point":
        ET.SubElement(graphic, ET.QName(SE, "Size")).text = _pixels(symbol.size_mm)


def _sld_parameters(parent: ET.Element, parameters: dict[str, str]) -> None:
    for name, value in parameters.items():
        ET.SubElement(parent, ET.QName(SE, "SvgParameter"), name=name).text = value


def _qgis_colour(colour: str, opacity: float) -> str:
    """``#rrggbb`` and an opacity as QGIS writes a colour: ``r,g,b,a`` (0–255 each)."""
    if len(colour) != 7 or colour[0] != "#":
        raise ValueError(f"a colour is #rrggbb, not {colour!r}")
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"{red},{green},{blue},{round(opacity * 255)}"


def _number(value: float) -> str:
    return f"{value:g}"


def _pixels(mm: float) -> str:
    return f"{mm / MM_PER_PIXEL:.2f}"

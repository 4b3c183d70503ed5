"""Layer styles for QGIS (QML) and SLD: built with ElementTree from the maps' colours and the layers' names."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from geo.io.styles import OGC, SE, SLD, Category, LayerStyle, Symbol, qml, sld
from geo.layers import LIGHT_STATUS_NAMES, REPORT_CATEGORY_NAMES, UNPUBLISHED_CATEGORIES
from geo.maps.colours import LIGHT_COLOURS, REPORT_COLOUR, UNSAFE_PLACE_COLOUR, ZONE_KIND_COLOURS
from geo.maps.gis_styles import LAYER_STYLES
from geo.maps.overview import KIND_LABELS_SV

HOSTILE = "</qgis><script>x()</script> ' \" & ${a} {{7*7}}"


def rgba(colour: str, alpha: int) -> str:
    """A ``#rrggbb`` colour as QGIS writes it, ``r,g,b,a``."""
    return ",".join(str(int(colour[i:i + 2], 16)) for i in (1, 3, 5)) + f",{alpha}"


def rgb(qgis_colour: str) -> str:
    """A QGIS colour without its alpha."""
    return qgis_colour.rsplit(",", 1)[0]


def qml_categories(style: LayerStyle) -> list[tuple[str, str, str]]:
    """(value, label, fill colour) of each category of the style's QML, read back from the XML."""
    root = ET.fromstring(qml(style))
    renderer = root.find("renderer-v2")
    symbols = {s.get("name"): s for s in renderer.find("symbols")}
    out = []
    for category in renderer.find("categories"):
        layer = symbols[category.get("symbol")].find("layer")
        options = {o.get("name"): o.get("value") for o in layer.find("Option")}
        assert options == {p.get("k"): p.get("v") for p in layer.findall("prop")}, "both forms say the same"
        out.append((category.get("value"), category.get("label"), options["color"]))
    return out


def test_lamps_are_coloured_by_status_as_on_the_web_maps():
    style = LAYER_STYLES["lights"]
    assert ET.fromstring(qml(style)).find("renderer-v2").get("attr") == "status"
    assert [(value, label, rgb(colour)) for value, label, colour in qml_categories(style)] == [
        (status, name, rgb(rgba(LIGHT_COLOURS[status], 0))) for status, name in LIGHT_STATUS_NAMES.items()]


def test_reports_are_coloured_as_on_the_planners_map_and_unsafe_places_apart():
    categories = qml_categories(LAYER_STYLES["reports"])
    assert [(value, label) for value, label, _ in categories] == list(REPORT_CATEGORY_NAMES.items())
    for category, _, colour in categories:
        expected = UNSAFE_PLACE_COLOUR if category in UNPUBLISHED_CATEGORIES else REPORT_COLOUR
        assert rgb(colour) == rgb(rgba(expected, 0))


def test_zones_are_filled_by_kind_with_the_overview_maps_colours_and_opacity():
    assert qml_categories(LAYER_STYLES["zones"]) == [
        (kind, KIND_LABELS_SV[kind], rgba(colour, 64)) for kind, colour in ZONE_KIND_COLOURS.items()]


@pytest.mark.parametrize("name", sorted(LAYER_STYLES))
def test_every_style_is_qml_and_sld_that_parse(name):
    style = LAYER_STYLES[name]
    document = qml(style)
    assert document.startswith("<!DOCTYPE qgis")
    root = ET.fromstring(document)
    kind = {"point": "marker", "line": "line", "polygon": "fill"}[style.geometry]
    assert root.tag == "qgis" and {s.get("type") for s in root.iter("symbol")} == {kind}
    sld_root = ET.fromstring(sld(name, style))
    assert sld_root.tag == f"{{{SLD}}}StyledLayerDescriptor" and sld_root.get("version") == "1.1.0"
    assert sld_root.find(f"{{{SLD}}}NamedLayer/{{{SE}}}Name").text == name
    rules = sld_root.findall(f".//{{{SE}}}Rule")
    assert len(rules) == max(1, len(style.categories))
    symbolizer = {"point": "PointSymbolizer", "line": "LineSymbolizer", "polygon": "PolygonSymbolizer"}[style.geometry]
    assert all(rule.find(f"{{{SE}}}{symbolizer}") is not None for rule in rules)
    literals = [rule.find(f"{{{OGC}}}Filter/{{{OGC}}}PropertyIsEqualTo/{{{OGC}}}Literal") for rule in rules]
    assert [x.text for x in literals if x is not None] == [c.value for c in style.categories]


def test_text_in_a_style_stays_text():
    symbol = Symbol("#112233")
    style = LayerStyle(HOSTILE, "point", field="kind", categories=(Category(HOSTILE, HOSTILE, symbol),))
    category = ET.fromstring(qml(style)).find("renderer-v2/categories/category")
    assert (category.get("value"), category.get("label")) == (HOSTILE, HOSTILE)
    root = ET.fromstring(sld(HOSTILE, style))
    assert root.find(f"{{{SLD}}}NamedLayer/{{{SE}}}Name").text == HOSTILE
    assert root.find(f".//{{{OGC}}}Literal").text == HOSTILE
    assert root.find(f".//{{{SE}}}Rule/{{{SE}}}Name").text == HOSTILE


def test_a_style_has_one_symbol_or_categories_and_colours_are_checked():
    with pytest.raises(ValueError, match="either one symbol, or a field"):
        LayerStyle("x", "point", Symbol("#000000"), field="kind", categories=(Category("a", "a", Symbol("#000000")),))
    with pytest.raises(ValueError, match="either one symbol, or a field"):
        LayerStyle("x", "point", field="kind")
    with pytest.raises(ValueError, match="#rrggbb"):
        qml(LayerStyle("x", "line", Symbol("red")))

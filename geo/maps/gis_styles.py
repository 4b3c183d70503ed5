"""How the layers of the GIS package look in QGIS: as on the web maps, with the same colours
(:mod:`geo.maps.colours`) and the same Swedish names (:mod:`geo.layers`, the overview's zone kinds)."""

from __future__ import annotations

from geo.io.styles import Category, LayerStyle, Symbol
from geo.layers import (CAMERA_STATUS_NAMES, EVENT_KIND_NAMES, LIGHT_STATUS_NAMES, REPORT_CATEGORY_NAMES,
                        UNPUBLISHED_CATEGORIES)
from geo.maps.colours import (CAMERA_COLOURS, EVENT_COLOUR, INCIDENT_COLOUR, LIGHT_COLOURS, REPORT_COLOUR,
                              STREET_COLOUR, TRACK_COLOUR, UNSAFE_PLACE_COLOUR, VIEW_FILL_OPACITY, ZONE_FILL_OPACITY,
                              ZONE_KIND_COLOURS, ZONE_OUTLINE)
from geo.maps.overview import KIND_LABELS_SV

_EDGE = "#232323"

LAYER_STYLES = {
    "zones": LayerStyle("Zoner efter typ", "polygon", field="kind", categories=tuple(
        Category(kind, label, Symbol(ZONE_KIND_COLOURS[kind], opacity=ZONE_FILL_OPACITY, outline=ZONE_OUTLINE,
                                     outline_mm=0.5))
        for kind, label in KIND_LABELS_SV.items())),
    "streets": LayerStyle("Gator och stråk", "line", Symbol(STREET_COLOUR, size_mm=0.5, opacity=0.7)),
    "lights": LayerStyle("Belysningspunkter efter status", "point", field="status", categories=tuple(
        Category(status, label, Symbol(LIGHT_COLOURS[status], size_mm=1.8, opacity=0.9, outline=LIGHT_COLOURS[status]))
        for status, label in LIGHT_STATUS_NAMES.items())),
    "reports": LayerStyle("Felanmälningar efter kategori", "point", field="category", categories=tuple(
        Category(category, label, Symbol(UNSAFE_PLACE_COLOUR if category in UNPUBLISHED_CATEGORIES else REPORT_COLOUR,
                                         size_mm=2.4, opacity=0.8, outline=_EDGE))
        for category, label in REPORT_CATEGORY_NAMES.items())),
    "incidents": LayerStyle("Brott och händelser", "point", Symbol(INCIDENT_COLOUR, size_mm=2.0, opacity=0.8,
                                                                   outline=_EDGE)),
    "patrols": LayerStyle("Patrullspår per enhet och dag", "line", Symbol(TRACK_COLOUR, size_mm=0.8)),
    "events": LayerStyle("Evenemang efter typ", "point", field="kind", categories=tuple(
        Category(kind, label, Symbol(EVENT_COLOUR, size_mm=3.0, opacity=0.9, outline=_EDGE))
        for kind, label in EVENT_KIND_NAMES.items())),
    "event_areas": LayerStyle("Evenemangens områden efter typ", "polygon", field="kind", categories=tuple(
        Category(kind, label, Symbol(EVENT_COLOUR, opacity=ZONE_FILL_OPACITY, outline=EVENT_COLOUR, outline_mm=0.5))
        for kind, label in EVENT_KIND_NAMES.items())),
    "cameras": LayerStyle("Kameror efter status i beslutet", "point", field="status", categories=tuple(
        Category(status, label, Symbol(CAMERA_COLOURS[status], size_mm=3.0, outline="#000000", outline_mm=0.4))
        for status, label in CAMERA_STATUS_NAMES.items())),
    "camera_views": LayerStyle("Kamerornas synfält efter status", "polygon", field="status", categories=tuple(
        Category(status, label, Symbol(CAMERA_COLOURS[status], opacity=VIEW_FILL_OPACITY, outline=CAMERA_COLOURS[status],
                                       outline_mm=0.4))
        for status, label in CAMERA_STATUS_NAMES.items())),
}
"""The style of each layer of the GIS package, by layer name."""

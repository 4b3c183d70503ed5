"""The overview map: the centre's zones (and streets when given) for everyone."""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd

from geo.crs import WGS84
from geo.maps.base import base_map
from geo.maps.colours import STREET_COLOUR, ZONE_FILL_OPACITY, ZONE_KIND_COLOURS, ZONE_OUTLINE
from geo.maps.markup import Legend

KIND_LABELS_SV = {"square": "torg", "street": "gata", "park": "park", "waterfront": "vattennära",
                  "transport": "kollektivtrafik", "mixed": "blandat"}


def overview_map(zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None = None,
                 tiles: str | None = "OpenStreetMap", attribution: str | None = None) -> folium.Map:
    """Folium map of ``zones`` (WGS84 polygons) with name tooltips, a legend and a layer control,
    loading Leaflet from the service (:mod:`geo.maps.base`).

    ``streets`` (WGS84 lines with ``name``, ``kind``) are added as a second layer when given.
    ``tiles`` is a folium tiles name or a URL template (with ``attribution``), or None for no
    basemap. Every displayed text is HTML-escaped, because a zones file may come from anyone.
    """
    zones = zones.to_crs(WGS84)
    fmap = base_map(zones, tiles, attribution)
    shown = zones[["zone_id", "kind", "lighting_class", "geometry"]].assign(
        name=zones["name"].map(escape), kind_sv=zones["kind"].map(KIND_LABELS_SV))
    folium.GeoJson(
        shown.to_json(),
        name="Zoner",
        style_function=lambda f: {"color": ZONE_OUTLINE, "weight": 2, "fillOpacity": ZONE_FILL_OPACITY,
                                  "fillColor": ZONE_KIND_COLOURS[f["properties"]["kind"]]},
        highlight_function=lambda f: {"weight": 4, "fillOpacity": 0.45},
        tooltip=folium.GeoJsonTooltip(fields=["name", "kind_sv", "lighting_class"],
                                      aliases=["Zon", "Typ", "Belysningsklass"]),
    ).add_to(fmap)
    if streets is not None:
        folium.GeoJson(
            streets.to_crs(WGS84)[["kind", "geometry"]].assign(name=streets["name"].map(escape)).to_json(),
            name="Gator och stråk (ungefärliga)",
            style_function=lambda f: {"color": STREET_COLOUR, "weight": 2, "opacity": 0.7},
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["Gata"]),
        ).add_to(fmap)
    approximate = zones.attrs.get("metadata", {}).get("approximate")
    fmap.add_child(Legend("Trygg stadskärna – zoner", [
        (ZONE_KIND_COLOURS[kind], f"{name} ({KIND_LABELS_SV[kind]}, {cls})")
        for name, kind, cls in zip(zones["name"], zones["kind"], zones["lighting_class"])], "zone-legend",
        "Ungefärliga gränser, ritade från offentliga beskrivningar." if approximate else ""))
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap

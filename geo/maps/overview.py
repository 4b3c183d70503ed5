"""The overview map: the centre's zones (and streets when given) for everyone."""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd

from geo.crs import WGS84
from geo.maps.assets import use_local_assets

KIND_LABELS_SV = {"square": "torg", "street": "gata", "park": "park", "waterfront": "vattennära",
                  "transport": "kollektivtrafik", "mixed": "blandat"}
KIND_COLOURS = {"square": "#d95f02", "street": "#7570b3", "park": "#1b9e77", "waterfront": "#1f78b4",
                "transport": "#e7298a", "mixed": "#a6761d"}


def overview_map(zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None = None,
                 tiles: str | None = "OpenStreetMap", attribution: str | None = None) -> folium.Map:
    """Folium map of ``zones`` (WGS84 polygons) with name tooltips, a legend and a layer control,
    loading Leaflet from the service (:mod:`geo.maps.assets`).

    ``streets`` (WGS84 lines with ``name``, ``kind``) are added as a second layer when given.
    ``tiles`` is a folium tiles name or a URL template (with ``attribution``), or None for no
    basemap. Every displayed text is HTML-escaped, because a zones file may come from anyone.
    """
    zones = zones.to_crs(WGS84)
    minx, miny, maxx, maxy = zones.total_bounds
    fmap = use_local_assets(folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=tiles,
                                       attr=attribution, control_scale=True))
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    shown = zones[["zone_id", "kind", "lighting_class", "geometry"]].assign(
        name=zones["name"].map(escape), kind_sv=zones["kind"].map(KIND_LABELS_SV))
    folium.GeoJson(
        shown.to_json(),
        name="Zoner",
        style_function=lambda f: {"color": "#333333", "weight": 2, "fillOpacity": 0.25,
                                  "fillColor": KIND_COLOURS[f["properties"]["kind"]]},
        highlight_function=lambda f: {"weight": 4, "fillOpacity": 0.45},
        tooltip=folium.GeoJsonTooltip(fields=["name", "kind_sv", "lighting_class"],
                                      aliases=["Zon", "Typ", "Belysningsklass"]),
    ).add_to(fmap)
    if streets is not None:
        folium.GeoJson(
            streets.to_crs(WGS84)[["kind", "geometry"]].assign(name=streets["name"].map(escape)).to_json(),
            name="Gator och stråk (ungefärliga)",
            style_function=lambda f: {"color": "#222222", "weight": 2, "opacity": 0.7},
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["Gata"]),
        ).add_to(fmap)
    fmap.get_root().html.add_child(folium.Element(_legend(zones)))
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def _legend(zones: gpd.GeoDataFrame) -> str:
    swatch = "display:inline-block;width:10px;height:10px;margin-right:6px;background:"
    rows = "".join(
        f'<li><span style="{swatch}{KIND_COLOURS[kind]}"></span>{escape(name)} '
        f"<small>({KIND_LABELS_SV[kind]}, {cls})</small></li>"
        for name, kind, cls in zip(zones["name"], zones["kind"], zones["lighting_class"]))
    approximate = zones.attrs.get("metadata", {}).get("approximate")
    note = "<p><small>Ungefärliga gränser, ritade från offentliga beskrivningar.</small></p>" if approximate else ""
    return (
        '<div id="zone-legend" style="position:fixed;bottom:24px;left:12px;z-index:9999;'
        "background:white;padding:8px 12px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);"
        'font:13px sans-serif;max-width:260px">'
        "<strong>Trygg stadskärna – zoner</strong>"
        f'<ul style="list-style:none;margin:4px 0;padding:0">{rows}</ul>{note}</div>'
    )

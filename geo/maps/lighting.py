"""The lighting map: modelled illuminance with a lux legend, dark spots, lamps (broken ones
highlighted) and proposed lamps for the lighting programme's what-if."""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd

from geo.io.raster import LUX_COLOURS, LUX_STOPS
from geo.layers import LIGHT_STATUS_NAMES
from geo.maps.base import base_map
from geo.maps.colours import LIGHT_COLOURS
from geo.maps.markup import Legend

LUX_LEGEND = tuple((lux, "#%02x%02x%02x" % colour[:3]) for lux, colour in zip(LUX_STOPS, LUX_COLOURS) if lux > 0)
"""The overlay's colour stops (lux, colour), from :mod:`geo.io.raster`."""


def lighting_map(zones: gpd.GeoDataFrame, lights: gpd.GeoDataFrame, dark_spots: gpd.GeoDataFrame,
                 lux_overlay: tuple[str, list[list[float]]], title: str,
                 proposed: gpd.GeoDataFrame | None = None, tiles: str | None = "OpenStreetMap",
                 attribution: str | None = None) -> folium.Map:
    """Folium map (WGS84 data) of the illuminance overlay (PNG URL and [[south, west], [north, east]]),
    dark spots, zones with their class, lamps by status and ``proposed`` lamps."""
    fmap = base_map(zones, tiles, attribution)
    url, bounds = lux_overlay
    folium.raster_layers.ImageOverlay(url, bounds=bounds, name="Belysningsstyrka (lux)", opacity=0.85).add_to(fmap)
    outline = zones[["zone_id", "lighting_class", "geometry"]].assign(name=zones["name"].map(escape))
    folium.GeoJson(outline.to_json(), name="Zoner och belysningsklass",
                   style_function=lambda f: {"fillOpacity": 0, "color": "#ffffff", "weight": 1.5},
                   tooltip=folium.GeoJsonTooltip(["name", "lighting_class"], aliases=["Zon", "Klass"])).add_to(fmap)
    if len(dark_spots):
        spots = dark_spots[["zone_id", "area_m2", "mean_lx", "geometry"]].round({"area_m2": 0, "mean_lx": 2})
        folium.GeoJson(spots.to_json(), name="Mörka fläckar",
                       style_function=lambda f: {"fillColor": "#000000", "color": "#ff4040", "weight": 1, "fillOpacity": 0.4},
                       tooltip=folium.GeoJsonTooltip(["area_m2", "mean_lx"], aliases=["Yta (m²)", "Medel (lx)"])).add_to(fmap)
    for name, frame, radius in (("Belysningspunkter", lights, 3), ("Föreslagna armaturer", proposed, 6)):
        if frame is None or frame.empty:
            continue
        status = frame["status"] if name == "Belysningspunkter" else frame["status"].map(lambda _: "planned")
        lamps = frame[["lumen", "height_m", "geometry"]].assign(
            id=frame["id"].map(escape), status_sv=status.map(LIGHT_STATUS_NAMES), colour=status.map(LIGHT_COLOURS),
            radius=[radius + (3 if s == "broken" else 0) for s in status])
        folium.GeoJson(lamps.to_json(), name=name, marker=folium.CircleMarker(radius=radius, weight=1),
                       style_function=lambda f: {"radius": f["properties"]["radius"], "color": f["properties"]["colour"],
                                                 "fillColor": f["properties"]["colour"], "fillOpacity": 0.9},
                       tooltip=folium.GeoJsonTooltip(["id", "status_sv", "lumen", "height_m"],
                                                     aliases=["Armatur", "Status", "Ljusflöde (lm)", "Höjd (m)"])).add_to(fmap)
    fmap.add_child(Legend(title, [(colour, f"≥ {lux:g} lx") for lux, colour in LUX_LEGEND]
                                          + [(LIGHT_COLOURS["broken"], "trasig armatur (större)"),
                                             (LIGHT_COLOURS["planned"], "föreslagen armatur")], "lux-legend"))
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap

"""The lighting map: modelled illuminance with a lux legend, the EN 13201-3 calculation fields
(failing ones marked), dark spots, lamps (broken ones highlighted) and proposed lamps for the
lighting programme's what-if, before and after in one view."""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd
import pandas as pd

from geo.io.raster import LUX_COLOURS, LUX_STOPS
from geo.layers import LIGHT_STATUS_NAMES
from geo.maps.base import base_map
from geo.maps.colours import LIGHT_COLOURS
from geo.maps.markup import Legend
from geo.swedish import sv_number, sv_numbers

LUX_LEGEND = tuple((lux, "#%02x%02x%02x" % colour[:3]) for lux, colour in zip(LUX_STOPS, LUX_COLOURS) if lux > 0)
"""The overlay's colour stops (lux, colour), from :mod:`geo.io.raster`."""
FIELD_COLOURS = {(True, True): "#1b9e77", (False, False): "#d7191c", (False, True): "#2c7bb6", (True, False): "#fdae61"}
"""A field's colour by (meets its class now, meets it with the proposed lamps)."""


def lighting_map(zones: gpd.GeoDataFrame, lights: gpd.GeoDataFrame, dark_spots: gpd.GeoDataFrame,
                 lux_overlay: tuple[str, list[list[float]]], title: str,
                 proposed: gpd.GeoDataFrame | None = None, fields: gpd.GeoDataFrame | None = None,
                 tiles: str | None = "OpenStreetMap", attribution: str | None = None) -> folium.Map:
    """Folium map (WGS84 data) of the illuminance overlay (PNG URL and [[south, west], [north, east]]),
    the calculation ``fields`` with their figures (:func:`geo.fields.field_figures`; with
    ``meets_class_after`` when there are proposed lamps), dark spots, zones with their class, lamps
    by status and ``proposed`` lamps."""
    fmap = base_map(zones, tiles, attribution)
    url, bounds = lux_overlay
    folium.raster_layers.ImageOverlay(url, bounds=bounds, name="Belysningsstyrka (lux)", opacity=0.85).add_to(fmap)
    outline = zones[["zone_id", "lighting_class", "geometry"]].assign(name=zones["name"].map(escape))
    folium.GeoJson(outline.to_json(), name="Zoner och belysningsklass",
                   style_function=lambda f: {"fillOpacity": 0, "color": "#ffffff", "weight": 1.5},
                   tooltip=folium.GeoJsonTooltip(["name", "lighting_class"], aliases=["Zon", "Klass"])).add_to(fmap)
    if fields is not None and len(fields):
        after = _meets_after(fields)
        state = [("når klassen" if m else "under klassen") + ("" if m == a else (" – når den med förslaget" if a
                 else " – under den med förslaget")) for m, a in zip(fields["meets_class"], after)]
        shown = fields[["field_id", "lighting_class", "geometry"]].assign(
            street=fields["street"].map(escape), average=sv_numbers(fields["average_lx"], 1),
            minimum=sv_numbers(fields["minimum_lx"]), uniformity=sv_numbers(fields["uniformity"]), state=state,
            colour=field_colours(fields))
        folium.GeoJson(shown.to_json(), name="Beräkningsfält (EN 13201-3)",
                       style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": f["properties"]["colour"],
                                                 "weight": 1, "fillOpacity": 0.35},
                       tooltip=folium.GeoJsonTooltip(["field_id", "street", "lighting_class", "average", "minimum",
                                                      "uniformity", "state"],
                                                     aliases=["Fält", "Gata", "Klass", "Ē (lx)", "Emin (lx)", "Uo",
                                                              "Bedömning"])).add_to(fmap)
    if len(dark_spots):
        spots = dark_spots[["zone_id", "geometry"]].assign(area_m2=sv_numbers(dark_spots["area_m2"], 0),
                                                           mean_lx=sv_numbers(dark_spots["mean_lx"]))
        folium.GeoJson(spots.to_json(), name="Mörka fläckar",
                       style_function=lambda f: {"fillColor": "#000000", "color": "#ff4040", "weight": 1, "fillOpacity": 0.4},
                       tooltip=folium.GeoJsonTooltip(["area_m2", "mean_lx"], aliases=["Yta (m²)", "Medel (lx)"])).add_to(fmap)
    for name, frame, radius in (("Belysningspunkter", lights, 3), ("Föreslagna armaturer", proposed, 6)):
        if frame is None or frame.empty:
            continue
        status = frame["status"] if name == "Belysningspunkter" else frame["status"].map(lambda _: "planned")
        lamps = frame[["geometry"]].assign(
            lumen=sv_numbers(frame["lumen"], 0), height_m=sv_numbers(frame["height_m"], 1), id=frame["id"].map(escape), status_sv=status.map(LIGHT_STATUS_NAMES), colour=status.map(LIGHT_COLOURS),
            radius=[radius + (3 if s == "broken" else 0) for s in status])
        folium.GeoJson(lamps.to_json(), name=name, marker=folium.CircleMarker(radius=radius, weight=1, fill=True),
                       style_function=lambda f: {"radius": f["properties"]["radius"], "color": f["properties"]["colour"],
                                                 "fillColor": f["properties"]["colour"], "fillOpacity": 0.9},
                       tooltip=folium.GeoJsonTooltip(["id", "status_sv", "lumen", "height_m"],
                                                     aliases=["Armatur", "Status", "Ljusflöde (lm)", "Höjd (m)"])).add_to(fmap)
    fmap.add_child(Legend(title, [(colour, f"≥ {sv_number(lux)} lx") for lux, colour in LUX_LEGEND]
                                          + [(FIELD_COLOURS[(False, False)], "fält under sin klass"),
                                             (FIELD_COLOURS[(False, True)], "fält som förslaget lyfter till klassen"),
                                             (FIELD_COLOURS[(True, True)], "fält som når sin klass"),
                                             (LIGHT_COLOURS["broken"], "trasig armatur (större)"),
                                             (LIGHT_COLOURS["planned"], "föreslagen armatur")], "lux-legend"))
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def _meets_after(fields: gpd.GeoDataFrame) -> pd.Series:
    """Whether each field meets its class with the proposed lamps (without them: as it is)."""
    return fields["meets_class_after"] if "meets_class_after" in fields else fields["meets_class"]


def field_colours(fields: gpd.GeoDataFrame) -> list[str]:
    """Each calculation field's colour (:data:`FIELD_COLOURS`): meets its class now, with the proposed lamps."""
    return [FIELD_COLOURS[(bool(m), bool(a))] for m, a in zip(fields["meets_class"], _meets_after(fields))]

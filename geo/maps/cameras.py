"""The cameras map: surveillance cameras by status with their view polygons, and the incident hot spots."""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd

from geo.hotspots import HOTSPOT_METHOD_NAME
from geo.layers import CAMERA_STATUS_NAMES
from geo.maps.base import base_map
from geo.maps.colours import CAMERA_COLOURS, HOTSPOT_COLOUR, VIEW_FILL_OPACITY
from geo.maps.markup import Legend, TextBox
from geo.swedish import sv_numbers


def cameras_map(zones: gpd.GeoDataFrame, cameras: gpd.GeoDataFrame, views: gpd.GeoDataFrame,
                hotspots: gpd.GeoDataFrame, title: str, tiles: str | None = "OpenStreetMap",
                attribution: str | None = None) -> folium.Map:
    """Folium map (WGS84): per camera status a layer of the cameras (a cameras layer) and their
    ``views`` (:func:`service.cameras.views_of`: ``id``, ``status``, ``area_m2``), and the
    ``hotspots`` of :func:`geo.hotspots.incident_hotspots` (``hotspot_id``, ``incidents``)."""
    fmap = base_map(zones, tiles, attribution)
    if len(hotspots):
        spots = hotspots[["geometry"]].assign(hotspot_id=hotspots["hotspot_id"].map(escape),
                                              incidents=sv_numbers(hotspots["incidents"], 0))
        folium.GeoJson(spots.to_json(), name="Hot spots (brott)",
                       style_function=lambda f: {"fillColor": HOTSPOT_COLOUR, "color": HOTSPOT_COLOUR, "weight": 2,
                                                 "fillOpacity": 0.15, "dashArray": "4 4"},
                       tooltip=folium.GeoJsonTooltip(["hotspot_id", "incidents"], aliases=["Hot spot", "Brott"])
                       ).add_to(fmap)
    for status, status_name in CAMERA_STATUS_NAMES.items():
        mine, seen = cameras[cameras["status"] == status], views[views["status"] == status]
        if mine.empty:
            continue
        layer = folium.FeatureGroup(name=f"{status_name} ({len(mine)})")
        shown = seen[["geometry"]].assign(id=seen["id"].map(escape), name=seen["name"].fillna("").map(escape),
                                          status_sv=status_name,
                                          area_m2=sv_numbers(seen["area_m2"], 0), colour=CAMERA_COLOURS[status])
        folium.GeoJson(shown.to_json(), style_function=lambda f: {
            "fillColor": f["properties"]["colour"], "color": f["properties"]["colour"], "weight": 1.5,
            "fillOpacity": VIEW_FILL_OPACITY}, tooltip=folium.GeoJsonTooltip(["id", "name", "status_sv", "area_m2"],
                                                               aliases=["Kamera", "Namn", "Status", "Inspelad yta (m²)"])
        ).add_to(layer)
        points = mine[["geometry"]].assign(
            id=mine["id"].map(escape), name=mine["name"].fillna("").map(escape), status_sv=status_name,
            direction=sv_numbers(mine["direction_deg"], 0), fov=sv_numbers(mine["fov_deg"], 0),
            range_m=sv_numbers(mine["range_m"], 0), source=mine["source"].map(escape), colour=CAMERA_COLOURS[status])
        folium.GeoJson(points.to_json(), marker=folium.CircleMarker(radius=6, weight=2, fill=True),
                       style_function=lambda f: {"color": "#000000", "fillColor": f["properties"]["colour"],
                                                 "fillOpacity": 1.0},
                       tooltip=folium.GeoJsonTooltip(["id", "name", "status_sv", "direction", "fov", "range_m", "source"],
                                                     aliases=["Kamera", "Namn", "Status", "Riktning (°)", "Synfält (°)",
                                                              "Räckvidd (m)", "Källa"])).add_to(layer)
        layer.add_to(fmap)
    fmap.add_child(TextBox(title))
    fmap.add_child(Legend("Kamerabevakning", [(CAMERA_COLOURS[s], f"{name}: kamera och synfält")
                                              for s, name in CAMERA_STATUS_NAMES.items()]
                          + [(HOTSPOT_COLOUR, f"hot spot ({HOTSPOT_METHOD_NAME})")], "camera-legend",
                          note="Synfältet är beräknat: sektorn inom räckvidden utan det byggnader skymmer."))
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap

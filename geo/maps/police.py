"""The police map: presence per zone against its share of the year's promised hours, hot spots with their
dosage, and the tracks of a chosen unit and day."""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd
import pandas as pd

from geo.hotspots import HOTSPOT_METHOD_NAME
from geo.maps.base import base_map
from geo.maps.colours import HOTSPOT_COLOUR, TRACK_COLOUR, ZONE_OUTLINE, ramp
from geo.maps.markup import Legend, TextBox
from geo.swedish import sv_number, sv_numbers


ZONE_TARGET_BASES = {"area": "fördelat efter zonernas yta", "incidents": "fördelat efter brotten i zonerna",
                     "fixed": "fördelat enligt löftets tabell",
                     "area (no incidents to share by)": "fördelat efter yta – inga brott att fördela efter"}
"""How the promise shares its hours among the zones (:func:`geo.patrol.zone_targets_h`), in Swedish."""


def police_map(zones: gpd.GeoDataFrame, presence_h: pd.Series, targets: pd.Series | None, hotspots: gpd.GeoDataFrame,
               track: pd.DataFrame | None, title: str, tiles: str | None = "OpenStreetMap",
               attribution: str | None = None, logged_h: pd.Series | None = None) -> folium.Map:
    """Folium map (WGS84). ``presence_h`` (the hours the promise counts) is indexed by zone_id and
    compared with each zone's share of the year's hours, ``targets`` (:func:`geo.patrol.zone_targets_h`,
    indexed by zone_id, its basis in ``.attrs["basis"]``; None: no promise that year, and zones are
    then compared with the most visited one); ``hotspots`` are those of
    :func:`geo.hotspots.incident_hotspots` (unions of grid cells) with the dosage columns of
    :func:`geo.hotspots.dosage_figures` (and in ``.attrs["excluded_town_level"]`` the incidents
    left out of them for having only a town's centroid as place); ``track`` is one unit's pings (timestamp, lon, lat) for a
    day, or None; ``logged_h``: the part of ``presence_h`` from presence logs, by zone_id (None: none;
    :attr:`geo.patrol.PresenceCube.logged`)."""
    fmap = base_map(zones, tiles, attribution)
    presence = presence_h.reindex(zones["zone_id"]).fillna(0.0)
    if targets is None:
        target = pd.Series(presence.max() or 1.0, index=presence.index)
        measure = "Närvaro mot mest besökta zonen (inget löfte om timmar detta år)"
    else:
        target = targets.reindex(zones["zone_id"])
        measure = (f"Närvaro mot zonens andel av {sv_number(targets.sum(), 0)} h "
                   f"({ZONE_TARGET_BASES[targets.attrs['basis']]})")
    # a zone with no share of the hours (a fixed table's 0) has no percentage; any presence there is "more"
    ratio = (presence / target.where(target > 0)).fillna((presence > 0) * 1.5)
    percent = (ratio * 100).round(0).where(target > 0)
    shown = zones[["zone_id", "geometry"]].assign(
        name=zones["name"].map(escape), presence_h=sv_numbers(presence, 1), target_h=sv_numbers(target, 1),
        percent=sv_numbers(percent, 0),
        colour=ramp(-ratio.clip(upper=1.5)).to_numpy())
    fields, aliases = ["name", "presence_h", "target_h", "percent"], ["Zon", "Närvaro (h)", "Andel av målet (h)", "Uppfyllt (%)"]
    if logged_h is not None and logged_h.sum() > 0:
        shown["logged_h"] = sv_numbers(logged_h.reindex(zones["zone_id"]).fillna(0.0), 1)
        fields, aliases = fields + ["logged_h"], aliases + ["Varav ur närvarologg (h)"]
    folium.GeoJson(shown.to_json(), name=measure,
                   style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": ZONE_OUTLINE,
                                             "weight": 1, "fillOpacity": 0.55},
                   tooltip=folium.GeoJsonTooltip(fields, aliases=aliases)).add_to(fmap)
    if len(hotspots):
        labels = {"hotspot_id": "Plats", "incidents": "Brott", "area_m2": "Yta (m²)", "z": "Gi* z (högsta)",
                  "visits": "Besök", "minutes_per_week": "Min/vecka", "share_visits_10_15_min": "Andel besök 10-15 min"}
        fields = [c for c in labels if c in hotspots.columns]
        text = {c: hotspots[c] if c == "hotspot_id" else sv_numbers(hotspots[c]) for c in fields}
        folium.GeoJson(hotspots[["geometry"]].assign(**text)[fields + ["geometry"]].to_json(),
                       name="Hot spots och dos",
                       style_function=lambda f: {"fillColor": HOTSPOT_COLOUR, "color": HOTSPOT_COLOUR, "weight": 2,
                                                 "fillOpacity": 0.25},
                       tooltip=folium.GeoJsonTooltip(fields, aliases=[labels[c] for c in fields])).add_to(fmap)
    if track is not None and len(track) > 1:
        layer = folium.FeatureGroup(name="Spår (rått, endast polis)")
        folium.PolyLine(track[["lat", "lon"]].to_numpy().tolist(), color=TRACK_COLOUR, weight=3).add_to(layer)
        layer.add_to(fmap)
    fmap.add_child(TextBox(title))
    scale = ramp(-pd.Series([0.0, 0.5, 1.0, 1.5]))
    fmap.add_child(Legend(measure, [
        (scale.iloc[0], "ingen närvaro"), (scale.iloc[1], "halva andelen"), (scale.iloc[2], "hela andelen"),
        (scale.iloc[3], "mer än andelen"), (HOTSPOT_COLOUR, f"hot spot ({HOTSPOT_METHOD_NAME})"),
        (TRACK_COLOUR, "valt spår")], "police-legend",
        note=_unplaced_note(hotspots.attrs.get("excluded_town_level", 0))))
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def _unplaced_note(unplaced: int) -> str:
    """The incidents the hot spots leave out for having only a town's centroid as place, said apart."""
    return f"{unplaced} brott har bara kommunens mittpunkt som plats och ingår inte i hot spots." if unplaced else ""

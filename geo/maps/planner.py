"""The planner's map: zones by a chosen metric, incidents and unsafe places as heat grids, lights
by status, open reports by category, dark spots, the illuminance overlay, the safety survey (the
zones' shares for one question and the places respondents marked, per 50 m cell) and the year's
events.

The page is public, so it gets citizens' data only as published by :func:`geo.publish.public_reports`:
open reports per 25 m cell and category and unsafe places per 50 m cell and time of day, cells
below k left out (their layers are drawn even when empty, so a layer's presence tells nothing),
and the zones' open reports, drawn in the lowest colour with "färre än k" as their value when
below k."""

from __future__ import annotations

from html import escape
from typing import NamedTuple

import folium
import geopandas as gpd
import pandas as pd

from geo.layers import EVENT_KIND_NAMES, LIGHT_STATUS_NAMES, REPORT_CATEGORY_NAMES, UNSAFE_WHEN_NAMES, USABLE_PRECISION
from geo.maps.base import base_map
from geo.maps.colours import (EVENT_COLOUR, LIGHT_COLOURS, NO_VALUE_COLOUR, REPORT_COLOUR, SURVEY_PLACE_COLOUR,
                              UNSAFE_PLACE_COLOUR, ramp)
from geo.maps.markup import Legend, TextBox
from geo.publish import PublicReports, grid_counts
from geo.swedish import sv_number, sv_numbers, when_text

METRICS = {"presence_h": "Polisnärvaro (h)", "share_compliant": "Belysning: andel fältyta som når klassen",
           "incidents_per_ha": "Brott per hektar", "open_reports": "Öppna felanmälningar"}
INCIDENT_CELL_M = 50.0
"""The side of the squares the year's incidents are counted in, metres (SWEREF 99 TM)."""


class SurveyLayer(NamedTuple):
    """The safety survey as the planner's map shows it (public: shares from fewer than k answers
    and cells of fewer than k marks already left out)."""

    year: int
    question_text: str
    shares: gpd.GeoDataFrame
    """The zones with ``share``, ``low``, ``high`` and ``answers`` of the question (NaN: none shown)."""
    cells: gpd.GeoDataFrame
    """The places respondents marked, per 50 m cell (WGS84 squares with ``count``)."""
    source: str


def planner_map(zones: gpd.GeoDataFrame, metrics: pd.DataFrame, incidents: gpd.GeoDataFrame,
                lights: gpd.GeoDataFrame, reports: PublicReports, dark_spots: gpd.GeoDataFrame,
                title: str, lux_overlay: tuple[str, list[list[float]]] | None = None,
                tiles: str | None = "OpenStreetMap", attribution: str | None = None,
                survey: SurveyLayer | None = None, events: gpd.GeoDataFrame | None = None) -> folium.Map:
    """The planner's folium map (WGS84 data). ``metrics`` is indexed by ``zone_id`` with the
    columns of :data:`METRICS` but ``open_reports``, which comes from ``reports`` (citizens' reports
    as published; the legend names their k); ``incidents`` are shown as 50 m
    counts (usable positions only). ``lux_overlay`` is (PNG URL, [[south, west], [north, east]]).
    ``survey``: the safety survey's layers, when there is one; ``events``: the year's events (an
    events layer), a layer of their places (drawn even when there are none)."""
    fmap, min_count = base_map(zones, tiles, attribution), reports.min_count
    fmap.add_child(TextBox(title))
    shown = zones[["zone_id", "geometry"]].assign(name=zones["name"].map(escape))
    for i, (column, label) in enumerate(METRICS.items()):
        if column == "open_reports":  # a suppressed zone: the lowest colour, never its number
            public = [reports.open_per_zone[z] for z in zones["zone_id"]]
            values = pd.Series([count or 0 for count in public], dtype=float)
            shown_values = [f"färre än {min_count}" if count is None else count for count in public]
        else:
            values = metrics[column].reindex(zones["zone_id"]).fillna(0).astype(float)
            shown_values = sv_numbers(values)
        layer = shown.assign(value=shown_values, colour=ramp(values).to_numpy())
        folium.GeoJson(layer.to_json(), name=label, show=i == 0,
                       style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#444444",
                                                 "weight": 1, "fillOpacity": 0.55},
                       tooltip=folium.GeoJsonTooltip(["name", "value"], aliases=["Zon", label])).add_to(fmap)
    heat = grid_counts(incidents[incidents["location_precision"].isin(USABLE_PRECISION)], INCIDENT_CELL_M)
    if len(heat):
        heat = heat.assign(colour=ramp(heat["count"].astype(float)).to_numpy())
        folium.GeoJson(heat.to_json(), name="Brott (antal per 50 m-ruta)",
                       style_function=lambda f: {"fillColor": f["properties"]["colour"], "weight": 0,
                                                 "fillOpacity": 0.7},
                       tooltip=folium.GeoJsonTooltip(["count"], aliases=["Brott"])).add_to(fmap)
    if len(lights):
        lamps = lights[["id", "status", "lumen", "height_m", "geometry"]].assign(
            id=lights["id"].map(escape), status_sv=lights["status"].map(LIGHT_STATUS_NAMES),
            lumen=sv_numbers(lights["lumen"], 0), height_m=sv_numbers(lights["height_m"], 1),
            colour=lights["status"].map(LIGHT_COLOURS))
        folium.GeoJson(lamps.to_json(), name="Belysningspunkter", show=False,
                       marker=folium.CircleMarker(radius=3, weight=1, fill=True),
                       style_function=lambda f: {"color": f["properties"]["colour"], "fillColor": f["properties"]["colour"],
                                                 "fillOpacity": 0.9},
                       tooltip=folium.GeoJsonTooltip(["status_sv", "lumen", "height_m"],
                                                     aliases=["Status", "Ljusflöde (lm)", "Höjd (m)"])).add_to(fmap)
    # citizens' data: cells below k are left out, and each layer is drawn even when empty
    hidden = hidden_cells(min_count)
    points = reports.open_cells.assign(category_sv=reports.open_cells["category"].map(REPORT_CATEGORY_NAMES))
    folium.GeoJson(points.to_json(), name="Öppna felanmälningar (per kategori och 25 m)",
                   marker=folium.CircleMarker(radius=5, weight=1, fill=True),
                   style_function=lambda f: {"radius": 4 + 2 * min(f["properties"]["count"], 8),
                                             "color": REPORT_COLOUR, "fillOpacity": 0.6},
                   tooltip=folium.GeoJsonTooltip(["category_sv", "count"], aliases=["Kategori", f"Öppna ({hidden})"])
                   if len(points) else None).add_to(fmap)
    for when, label in UNSAFE_WHEN_NAMES.items():
        cells = reports.unsafe_cells[when]
        folium.GeoJson(cells.to_json(), name=f"Otrygga platser ({label.lower()})", show=False,
                       style_function=lambda f: {"fillColor": UNSAFE_PLACE_COLOUR, "weight": 0,
                                                 "fillOpacity": min(0.2 + 0.15 * f["properties"]["count"], 0.8)},
                       tooltip=folium.GeoJsonTooltip(["count"], aliases=[f"Markeringar ({hidden})"])
                       if len(cells) else None).add_to(fmap)
    if len(dark_spots):
        folium.GeoJson(dark_spots[["zone_id", "geometry"]].assign(area_m2=sv_numbers(dark_spots["area_m2"], 0)).to_json(),
                       name="Mörka fläckar", show=False,
                       style_function=lambda f: {"fillColor": "#08081f", "color": "#08081f", "weight": 1, "fillOpacity": 0.6},
                       tooltip=folium.GeoJsonTooltip(["area_m2"], aliases=["Yta (m²)"])).add_to(fmap)
    if survey is not None:
        _survey_layers(fmap, survey, min_count)
    if events is not None:
        _event_layer(fmap, events)
    if lux_overlay is not None:
        url, bounds = lux_overlay
        folium.raster_layers.ImageOverlay(url, bounds=bounds, name="Belysningsstyrka (lux)", show=False,
                                          opacity=0.8).add_to(fmap)
    scale = ramp(pd.Series([0.0, 1 / 3, 2 / 3, 1.0]))
    fmap.add_child(Legend("Teckenförklaring", [
        (scale.iloc[0], "zoner och rutor: lågt värde"), (scale.iloc[-1], "zoner och rutor: högt värde"),
        *[(LIGHT_COLOURS[s], f"belysningspunkt: {LIGHT_STATUS_NAMES[s].lower()}") for s in LIGHT_COLOURS],
        (REPORT_COLOUR, f"öppna felanmälningar (större = fler; {hidden})"),
        (UNSAFE_PLACE_COLOUR, f"otrygga platser (mörkare = fler; {hidden})"),
        *([(SURVEY_PLACE_COLOUR, f"platser som svarande i trygghetsmätningen markerat (mörkare = fler; {hidden})"),
           (NO_VALUE_COLOUR, f"trygghetsmätningen: inget svar, eller färre än {min_count} svar")] if survey else []),
        *([(EVENT_COLOUR, "evenemang")] if events is not None else []),
        ("#08081f", "mörk fläck (under klassens minimum)")], "planner-legend",
        note=f"Medborgarnas uppgifter visas bara sammanräknade: {hidden}, och zoner med färre än {min_count} "
             f"öppna felanmälningar har lägsta färgen.{unplaced_note(incidents)}"))
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def _survey_layers(fmap: folium.Map, survey: SurveyLayer, min_count: int) -> None:
    """The zones' shares of the survey's question (grey where none is shown) and the marked places'
    cells (drawn even when empty)."""
    shares = survey.shares
    shown = [("ingen uppgift" if pd.isna(n) else f"färre än {min_count} svar" if pd.isna(p) else
              f"{sv_number(100 * p, 1)} % (felmarginal {sv_number(100 * lo, 1)}–{sv_number(100 * hi, 1)} %), "
              f"{sv_number(n, 0)} svar")
             for p, lo, hi, n in zip(shares["share"], shares["low"], shares["high"], shares["answers"])]
    colour = ramp(shares["share"].fillna(0.0)).where(shares["share"].notna(), NO_VALUE_COLOUR)
    layer = shares[["zone_id", "geometry"]].assign(name=shares["name"].map(escape), value=shown,
                                                   colour=colour.to_numpy())
    label = f"Trygghetsmätning {survey.year}: ”{escape(survey.question_text)}”"
    folium.GeoJson(layer.to_json(), name=label, show=False,
                   style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#444444",
                                             "weight": 1, "fillOpacity": 0.55},
                   tooltip=folium.GeoJsonTooltip(["name", "value"], aliases=["Zon", "Andel ja"])).add_to(fmap)
    hidden = hidden_cells(min_count)
    folium.GeoJson(survey.cells.to_json(), name=f"Platser markerade i trygghetsmätningen {survey.year} "
                                                f"(källa: {escape(survey.source)})", show=False,
                   style_function=lambda f: {"fillColor": SURVEY_PLACE_COLOUR, "weight": 0,
                                             "fillOpacity": min(0.2 + 0.05 * f["properties"]["count"], 0.8)},
                   tooltip=folium.GeoJsonTooltip(["count"], aliases=[f"Markeringar ({hidden})"])
                   if len(survey.cells) else None).add_to(fmap)


def _event_layer(fmap: folium.Map, events: gpd.GeoDataFrame) -> None:
    """The events at their places (an event held on an area: a point inside it), hidden until
    chosen, with name, time (local), kind and expected visitors in Swedish."""
    shown = events[["geometry"]].assign(
        name=events["name"].map(escape), when=[when_text(s, e) for s, e in zip(events["starts_at"], events["ends_at"])],
        kind_sv=events["kind"].map(EVENT_KIND_NAMES), visitors=sv_numbers(events["expected_visitors"], 0))
    folium.GeoJson(shown.to_json(), name=f"Evenemang ({len(events)})", show=False,
                   marker=folium.CircleMarker(radius=7, weight=2, fill=True),
                   style_function=lambda f: {"color": EVENT_COLOUR, "fillColor": EVENT_COLOUR, "fillOpacity": 0.8},
                   tooltip=folium.GeoJsonTooltip(["name", "when", "kind_sv", "visitors"],
                                                 aliases=["Evenemang", "När", "Typ", "Väntade besökare"])
                   if len(events) else None).add_to(fmap)


def hidden_cells(min_count: int) -> str:
    """What a public map leaves out of citizens' data, in Swedish."""
    return f"rutor med färre än {min_count} visas inte"


def unplaced_note(incidents: gpd.GeoDataFrame) -> str:
    """How many incidents the map leaves out for having only a town's or county's centroid as place."""
    unplaced = int((~incidents["location_precision"].isin(USABLE_PRECISION)).sum())
    return f" {unplaced} brott har bara kommunens eller länets mittpunkt som plats och finns inte på kartan." \
        if unplaced else ""

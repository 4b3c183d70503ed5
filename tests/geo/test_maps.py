"""Map builders: layers present, colours by value, escaping, local assets, grid counts."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd

from folium.map import FitBounds

from geo.layers import EVENTS, INCIDENTS, LIGHT_STATUSES, LIGHTS, REPORTS, empty_layer, validate
from geo.maps.base import base_map
from geo.maps.colours import EVENT_COLOUR, LIGHT_COLOURS, ZONE_KIND_COLOURS, ramp
from geo.maps.overview import KIND_LABELS_SV, overview_map
from geo.maps.planner import METRICS, planner_map
from geo.publish import grid_counts, public_reports
from geo.zones import ZONE_KINDS, zone_of


def points(layer, rows: list[dict]) -> gpd.GeoDataFrame:
    return validate(layer, pd.DataFrame(rows), "test")


def test_ramp_darkens_with_the_value():
    colours = ramp(pd.Series([0.0, 1.0, 5.0, 10.0]))
    green = [int(c[3:5], 16) for c in colours]
    assert green == sorted(green, reverse=True) and colours.iloc[0] != colours.iloc[-1]
    assert ramp(pd.Series([3.0, 3.0])).nunique() == 1


def test_every_zone_kind_and_lamp_status_has_its_label_and_colour():
    assert set(KIND_LABELS_SV) == set(ZONE_KIND_COLOURS) == set(ZONE_KINDS)
    assert set(LIGHT_COLOURS) == set(LIGHT_STATUSES)


def test_base_map_is_fitted_on_the_zones_with_local_leaflet(zones):
    fmap = base_map(zones, None, None)
    minx, miny, maxx, maxy = zones.total_bounds
    assert fmap.location == [(miny + maxy) / 2, (minx + maxx) / 2]
    fits = [child for child in fmap._children.values() if isinstance(child, FitBounds)]
    assert [fit.bounds for fit in fits] == [[[miny, minx], [maxy, maxx]]]
    html = fmap.get_root().render()
    assert "/static/leaflet/leaflet.js" in html and "https://" not in html


def test_grid_counts_never_lose_or_show_a_point():
    pins = points(REPORTS, [{"id": f"r{i}", "category": c, "created_at": "2020-01-01T12:00:00Z",
                             "lon": 12.8572 + 0.00001 * i, "lat": 56.674} for i, c in
                            enumerate(["graffiti"] * 3 + ["litter"] * 2)])
    cells = grid_counts(pins, 25.0, by="category")
    assert cells["count"].sum() == 5 and set(cells["category"]) == {"graffiti", "litter"}
    assert (cells.to_crs(3006).area.round() == 625).all()
    assert grid_counts(pins.iloc[:0], 25.0).empty


def test_a_public_map_gets_counts_of_reports_never_the_pins(zones):
    at = {"created_at": "2020-05-01T22:00:00Z", "lat": 56.674}
    reports = points(REPORTS, [
        *({"id": f"g{i}", "category": "graffiti", "lon": 12.8572 + 0.00001 * i, **at} for i in range(3)),
        {"id": "l", "category": "litter", "lon": 12.8572, **at},  # alone in its cell: left out
        {"id": "c", "category": "graffiti", "status": "closed", "closed_at": "2020-05-02T10:00:00Z",
         "close_reason": "fixed", "lon": 12.8572, **at},  # not open: not counted
        *({"id": f"u{i}", "category": "unsafe_place", "when": "night", "lon": 12.8572, **at} for i in range(3))])
    public = public_reports(reports, zones, 3)
    assert public.open_cells[["category", "count"]].values.tolist() == [["graffiti", 3]]
    shown = public.open_cells.geometry.iloc[0]
    assert not any(shown.equals(pin) for pin in reports.geometry), "a cell's centre, not a pin"
    assert public.unsafe_cells["night"]["count"].tolist() == [3] and public.unsafe_cells["day"].empty
    zone = zone_of(zones, np.array([12.8572]), np.array([56.674]))[0]
    assert public.open_per_zone[zone] == 4 and list(public.open_per_zone) == zones["zone_id"].tolist()
    assert public_reports(reports, zones, 5).open_per_zone[zone] is None, "fewer than k: not shown"


def test_planner_map_has_its_layers_and_escapes_text(zones):
    hostile = "<img src=x onerror=alert(1)>"
    incidents = points(INCIDENTS, [{"id": "i", "occurred_at": "2020-05-01T22:00:00Z", "category": "rån",
                                    "lon": 12.8572, "lat": 56.674},
                                   {"id": "t", "occurred_at": "2020-05-01T22:00:00Z", "category": "rån",
                                    "location_precision": "town", "lon": 12.8572, "lat": 56.674}])
    lights = points(LIGHTS, [{"id": hostile, "lumen": 4000, "height_m": 6, "status": "broken",
                              "lon": 12.8572, "lat": 56.674}])
    reports = points(REPORTS, [{"id": "r", "category": "unsafe_place", "when": "night", "created_at": "2020-05-01T22:00:00Z",
                                "description": hostile, "lon": 12.8572, "lat": 56.674}])
    metrics = pd.DataFrame({column: np.arange(len(zones), dtype=float) for column in METRICS}, index=zones["zone_id"])
    html = planner_map(zones, metrics.drop(columns="open_reports"), incidents, lights, public_reports(reports, zones, 3),
                       gpd.GeoDataFrame(geometry=[], crs=4326), f"Karta {hostile}", tiles=None).get_root().render()
    for name in ("Polisnärvaro (h)", "Brott (antal per 50 m-ruta)", "Belysningspunkter", "Otrygga platser (natt)"):
        assert json.dumps(name) in html, "drawn even when its only cell (one pin) is suppressed"
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "1 brott har bara kommunens eller länets mittpunkt som plats" in html, "the town-level one is said apart"
    assert "/static/leaflet/leaflet.js" in html and "cdn.jsdelivr" not in html


def test_planner_map_shows_the_years_events_as_a_layer_with_their_details_as_data(zones):
    hostile = "<img src=x onerror=alert(1)>"
    events = points(EVENTS, [
        {"id": "e1", "name": f"Kväll {hostile}", "starts_at": "2020-05-09T22:00", "ends_at": "2020-05-10T02:00",
         "kind": "nightlife", "expected_visitors": 2500, "lon": 12.8572, "lat": 56.674},
        {"id": "e2", "name": "Marknad", "starts_at": "2020-08-01T10:00", "ends_at": "2020-08-01T16:00",
         "kind": "market", "lon": 12.8580, "lat": 56.6745}])
    metrics = pd.DataFrame({column: np.zeros(len(zones)) for column in METRICS}, index=zones["zone_id"])
    empty = gpd.GeoDataFrame(geometry=[], crs=4326)

    def render(shown: gpd.GeoDataFrame | None) -> str:
        return planner_map(zones, metrics.drop(columns="open_reports"), empty_layer(INCIDENTS), empty_layer(LIGHTS),
                           public_reports(empty_layer(REPORTS), zones, 3), empty, "Karta", tiles=None,
                           events=shown).get_root().render()

    html = render(events)
    assert json.dumps("Evenemang (2)") in html and json.dumps(EVENT_COLOUR) in html
    features = [f for f in map(json.loads, re.findall(r"_add\((\{.*\})\);$", html, re.M))
                if f["features"] and "when" in f["features"][0]["properties"]]
    (shown,) = features
    assert [f["properties"] for f in shown["features"]] == [
        {"name": "Kväll &lt;img src=x onerror=alert(1)&gt;", "when": "lör 9 maj 22:00–02:00",
         "kind_sv": "Nöjesliv", "visitors": "2\u202f500"},
        {"name": "Marknad", "when": "lör 1 augusti 10:00–16:00",
         "kind_sv": "Marknad", "visitors": "–"}]
    assert [f["geometry"]["coordinates"] for f in shown["features"]] == [[12.8572, 56.674], [12.858, 56.6745]]
    assert "<img src=x" not in html and json.dumps(["Evenemang", "När", "Typ", "Väntade besökare"]) in html
    assert "evenemang</li>" in html, "in the legend"
    assert json.dumps("Evenemang (0)") in render(events.iloc[:0]), "drawn even when the year has none"
    assert "Evenemang (" not in render(None) and json.dumps(EVENT_COLOUR) not in render(None)


def test_overview_map_uses_local_assets(zones):
    html = overview_map(zones, tiles=None).get_root().render()
    assert "/static/leaflet/leaflet.css" in html and "https://" not in html


def test_lighting_map_highlights_broken_and_proposed_lamps(zones):
    from geo.maps.lighting import LUX_LEGEND, lighting_map

    lights = points(LIGHTS, [{"id": "a", "lumen": 4000, "height_m": 6, "status": "broken", "lon": 12.8572, "lat": 56.674},
                             {"id": "b", "lumen": 4000, "height_m": 6, "status": "working", "lon": 12.8575, "lat": 56.674}])
    proposed = points(LIGHTS, [{"id": "<b>ny</b>", "lumen": 8000, "height_m": 6, "status": "planned",
                                "lon": 12.864, "lat": 56.670}])
    html = lighting_map(zones, lights, gpd.GeoDataFrame(geometry=[], crs=4326), ("data:image/png;base64,", [[0, 0], [1, 1]]),
                        "Belysning", proposed, tiles=None).get_root().render()
    assert json.dumps("Föreslagna armaturer") in html
    assert '"radius": 3' in html and '"radius": 6' in html, "broken lamps are drawn larger than working ones"
    assert "<b>ny</b>" not in html and [lux for lux, _ in LUX_LEGEND] == [0.4, 1.0, 2.0, 5.0, 10.0, 20.0]
    assert "≥ 0,4 lx" in html and "0.4 lx" not in html, "a decimal comma in the Swedish legend"
    assert json.dumps("4\u202f000") in html and '"lumen": 4000' not in html, "figures in tooltips as Swedish text"


def test_police_map_compares_presence_with_each_zones_share_of_the_target(zones):
    from geo.maps.police import police_map
    from geo.patrol import zone_targets_h

    targets = zone_targets_h(zones, 900.0)
    assert abs(targets.sum() - 900.0) < 1e-6 and targets["stora-torg"] < targets["resecentrum"]
    presence = targets * 0.5
    track = pd.DataFrame({"lon": [12.857, 12.858], "lat": [56.674, 56.6745]})
    html = police_map(zones, presence, targets, gpd.GeoDataFrame(geometry=[], crs=4326), track,
                      "Polis <script>", tiles=None).get_root().render()
    assert '"percent": "50"' in html and json.dumps("Spår (rått, endast polis)") in html
    assert "närvarologg" not in html, "without logged hours the tooltip does not mention them"
    logged = police_map(zones, presence, targets, gpd.GeoDataFrame(geometry=[], crs=4326), None, "Polis", tiles=None,
                        logged_h=pd.Series({"stora-torg": 1.25})).get_root().render()
    assert json.dumps("Varav ur närvarologg (h)") in logged and '"logged_h": "1,2"' in logged
    from geo.patrol import zone_targets_h
    from geo.promises import ZoneTargets

    fixed = zone_targets_h(zones, 900.0, ZoneTargets(by="fixed", shares={"stora-torg": 1.0}))
    table = police_map(zones, presence, fixed, gpd.GeoDataFrame(geometry=[], crs=4326), None, "Polis",
                       tiles=None).get_root().render()
    assert "Infinity" not in table and '"percent": "\\u2013"' in table, "a zone without a share has no percentage"
    assert json.dumps("Närvaro mot zonens andel av 900 h (fördelat efter zonernas yta)") in html, \
        "the target is the one given (the promise's), and how it is shared out is said"
    half = zone_targets_h(zones, 450.0)
    other = police_map(zones, presence, half, gpd.GeoDataFrame(geometry=[], crs=4326), None, "Polis",
                       tiles=None).get_root().render()
    assert '"percent": "100"' in other and json.dumps("Närvaro mot zonens andel av 450 h (fördelat efter zonernas yta)") in other
    unpromised = police_map(zones, presence, None, gpd.GeoDataFrame(geometry=[], crs=4326), None, "Polis",
                            tiles=None).get_root().render()
    assert "inget löfte" in unpromised and '"percent": "100"' in unpromised, "the most visited zone is the yardstick"
    spots = gpd.GeoDataFrame(geometry=[], crs=4326)
    spots.attrs["excluded_town_level"] = 3
    noted = police_map(zones, presence, targets, spots, None, "Polis", tiles=None).get_root().render()
    assert "3 brott har bara kommunens mittpunkt som plats" in noted and "mittpunkt" not in other
    assert "Polis &lt;script&gt;" in html and "Polis <script>" not in html

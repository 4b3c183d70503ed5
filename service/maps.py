"""Map pages assembled from the store and geo/ figures, for the routes and `stadskarna map`."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import folium
import pandas as pd
from xstatic.pkg import leaflet

from geo.crs import to_metric
from geo.io.raster import write_png_overlay
from geo.layers import INCIDENTS, LIGHTS, REPORTS, USABLE_PRECISION
from geo.lighting import dark_spots, empty_grid, illuminance, with_reported_breakdowns, zone_lighting
from geo.maps.overview import overview_map
from geo.maps.planner import planner_map
from geo.patrol import Tracks, presence_cube, zone_figures
from geo.timestamps import LOCAL_TZ
from geo.zones import zone_of
from service.demo import DEMO_META_KEY

MAP_KINDS = ("overview", "planner")


def build_map(kind: str, state, year: int | None = None) -> folium.Map:
    """The folium map ``kind`` for the app ``state`` (store, zones, streets, settings)."""
    tiles = state.settings.maps
    if kind == "overview":
        return overview_map(state.zones, state.streets, tiles.folium_tiles(), tiles.attribution)
    if kind == "planner":
        return _planner(state, year)
    raise ValueError(f"unknown map {kind!r}: choose one of {', '.join(MAP_KINDS)}")


def _planner(state, year: int | None) -> folium.Map:
    store, zones = state.store, state.zones
    incidents = store.read_features(INCIDENTS)
    reports = store.read_features(REPORTS)
    local = incidents["occurred_at"].dt.tz_convert(LOCAL_TZ)
    year = year or (int(local.dt.year.max()) if len(incidents) else pd.Timestamp.now(tz=LOCAL_TZ).year)
    incidents = incidents[local.dt.year == year]
    pings = store.read_pings(pd.Timestamp(f"{year}-01-01", tz=LOCAL_TZ), pd.Timestamp(f"{year + 1}-01-01", tz=LOCAL_TZ))
    presence = zone_figures(presence_cube(Tracks.from_pings(pings), zones, year))["presence_h"]
    lights = with_reported_breakdowns(store.read_features(LIGHTS), reports)
    grid = illuminance(lights, empty_grid(zones))
    lighting = zone_lighting(grid, zones)["share_at_class_average"]
    usable = incidents[incidents["location_precision"].isin(USABLE_PRECISION)]
    hectares = pd.Series(to_metric(zones).area.to_numpy() / 1e4, index=zones["zone_id"])
    per_zone = pd.Series(zone_of(zones, usable.geometry.x.to_numpy(), usable.geometry.y.to_numpy())).value_counts()
    open_reports = reports[(reports["status"] != "closed") & (reports["category"] != "unsafe_place")]
    open_per_zone = pd.Series(zone_of(zones, open_reports.geometry.x.to_numpy(),
                                      open_reports.geometry.y.to_numpy())).value_counts()
    metrics = pd.DataFrame({"presence_h": presence, "share_at_class_average": lighting,
                            "incidents_per_ha": per_zone.reindex(hectares.index, fill_value=0) / hectares,
                            "open_reports": open_per_zone.reindex(hectares.index, fill_value=0)})
    with tempfile.TemporaryDirectory() as folder:
        bounds = write_png_overlay(grid, Path(folder) / "lux.png")
        png = base64.b64encode((Path(folder) / "lux.png").read_bytes()).decode()
    span = f"{local.min():%Y-%m-%d}–{local.max():%Y-%m-%d}" if len(local) else "inga brott"
    demo = " · SYNTETISKA DEMODATA" if store.get_meta(DEMO_META_KEY) else ""
    tiles = state.settings.maps
    return planner_map(zones, metrics, incidents, lights, reports, dark_spots(grid, zones),
                       f"Planerarkarta {year} · brott {span}{demo}", (f"data:image/png;base64,{png}", bounds),
                       tiles.folium_tiles(), tiles.attribution)


def standalone_html(fmap: folium.Map) -> str:
    """The map as one self-contained HTML file: Leaflet's JavaScript and CSS inlined, so it opens
    from disk without the service and without internet (basemap tiles excepted)."""
    folder = Path(leaflet.BASE_DIR)
    fmap.default_js, fmap.default_css = [], []
    header = fmap.get_root().header
    header.add_child(folium.Element(f"<style>{(folder / 'leaflet.css').read_text(encoding='utf-8')}</style>"), index=0)
    header.add_child(folium.Element(f"<script>{(folder / 'leaflet.js').read_text(encoding='utf-8')}</script>"), index=1)
    return fmap.get_root().render()

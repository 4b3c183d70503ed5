"""Map pages assembled from the store and geo/ figures, for the routes and `stadskarna map`."""

from __future__ import annotations

import base64
import tempfile
from datetime import date
from pathlib import Path
from typing import NamedTuple

import folium
from folium.map import FitBounds
import geopandas as gpd
import pandas as pd
from xstatic.pkg import leaflet

from geo.crs import to_metric
from geo.io.raster import write_png_overlay
from geo.layers import CAMERAS, INCIDENTS, REPORTS, USABLE_PRECISION
from geo.maps.cameras import cameras_map
from geo.maps.lighting import lighting_map
from geo.maps.markup import MapPage, Refit, markup, page_html
from geo.maps.overview import overview_map
from geo.maps.police import police_map
from geo.lighting import LuxGrid
from geo.maps.planner import SurveyLayer, planner_map
from geo.patrol import zone_figures
from geo.errors import Message, ValidationError
from geo.publish import PublicReports, public_reports
from geo.survey import public_places, questions_of, year_figures, zone_shares
from geo.swedish import sv_number
from geo.timestamps import LOCAL_TZ, local_day_end, local_year
from geo.workflow import OPEN_STATUSES
from geo.zones import zone_of
from service.cameras import camera_views, latest_incident_year, year_ground
from service.coverage import current_lights, lighting_coverage, patrol_coverage
from service.demo import DEMO_META_KEY
from service.events import year_events
from service.html import site_header
from service.presence import kept_cube
from service.promises import current_programme, promised
from service.store import FeatureQuery
from service.context import Context

MAP_TITLES = {"overview": "Trygg stadskärna – Halmstad", "planner": "Planerarkarta – Trygg stadskärna",
              "lighting": "Belysningskarta – Trygg stadskärna", "police": "Polisens karta – Trygg stadskärna",
              "cameras": "Kamerakarta – Trygg stadskärna"}
MAP_KINDS = tuple(MAP_TITLES)


def build_map(kind: str, state: Context, year: int | None = None, proposed: gpd.GeoDataFrame | None = None,
              day: date | None = None, unit: str | None = None, question: str | None = None) -> folium.Map:
    """The folium map ``kind`` for the app ``state`` (store, zones, streets, settings); ``proposed``
    lamps (a lights layer) are the lighting map's what-if; ``day`` and ``unit`` pick the police map's
    track; ``question`` the safety survey's question the planner's map shows (default: the first code)."""
    if kind == "overview":
        return overview_map(state.zones, state.streets, **_basemap(state))
    if kind == "planner":
        return _planner(state, year, question)
    if kind == "lighting":
        return _lighting(state, proposed)
    if kind == "police":
        return _police(state, year, day, unit)
    if kind == "cameras":
        return _cameras(state, year)
    raise ValueError(f"unknown map {kind!r}: choose one of {', '.join(MAP_KINDS)}")


def _basemap(state: Context) -> dict[str, str | None]:
    """The configured basemap as the map builders' ``tiles`` and ``attribution`` arguments."""
    maps = state.settings.maps
    return {"tiles": maps.folium_tiles(), "attribution": maps.attribution}


def _lux_png(grid) -> tuple[str, list[list[float]]]:
    """The illuminance as a PNG data URL and its WGS84 bounds, for an image overlay."""
    with tempfile.TemporaryDirectory() as folder:
        bounds = write_png_overlay(grid, Path(folder) / "lux.png")
        png = base64.b64encode((Path(folder) / "lux.png").read_bytes()).decode()
    return f"data:image/png;base64,{png}", bounds


def _synthetic(store) -> bool:
    """Whether the store holds the synthetic demo data."""
    return bool(store.get_meta(DEMO_META_KEY))


def _demo_label(store) -> str:
    return " · SYNTETISKA DEMODATA" if _synthetic(store) else ""


class LightingFigures(NamedTuple):
    """What the lighting map shows (WGS84 layers; the grid in EPSG:3006), for the folium map and the
    report's static one (:mod:`service.report_maps`)."""

    zones: gpd.GeoDataFrame
    lights: gpd.GeoDataFrame
    dark_spots: gpd.GeoDataFrame
    grid: LuxGrid
    title: str
    proposed: gpd.GeoDataFrame | None
    fields: gpd.GeoDataFrame
    synthetic: bool


def lighting_figures(state: Context, proposed: gpd.GeoDataFrame | None) -> LightingFigures:
    """Today's lighting and, in one view, after the ``proposed`` lamps — or, without them, after the
    current lighting programme's measures not yet done (the fields they lift to their class)."""
    store, zones = state.store, state.zones
    programme = None if proposed is not None else current_programme(state.settings.promises.dir,
                                                                     pd.Timestamp.now(tz=LOCAL_TZ).date())
    result = lighting_coverage(store, zones, state.streets, proposed, model=state.lighting, programme=programme)
    lights = current_lights(store, state.streets)
    grid = result.proposed_grid or result.grid
    spots = result.dark_spots
    if result.proposed_grid is not None:
        spots = spots[spots["after_proposed"]]
    if proposed is not None:
        title = "Belysning med förslag"
    elif programme is not None:
        measures = result.report["proposed"]["measures"]
        title = f"Belysning idag och med programmets {len(measures)} återstående åtgärder"
    else:
        title = "Belysning idag"
    return LightingFigures(zones, lights, spots, grid, title + _demo_label(store), result.proposed_lamps,
                           result.fields, _synthetic(store))


def _lighting(state: Context, proposed: gpd.GeoDataFrame | None) -> folium.Map:
    f = lighting_figures(state, proposed)
    return lighting_map(f.zones, f.lights, f.dark_spots, _lux_png(f.grid), f.title, f.proposed, f.fields,
                        **_basemap(state))


def _police(state: Context, year: int | None, day: date | None, unit: str | None) -> folium.Map:
    store, zones = state.store, state.zones
    if year is None:  # the day's, else the year of the newest ping (the year now when there is none)
        newest = store.latest_ping()
        year = day.year if day else (newest or pd.Timestamp.now(tz="UTC")).tz_convert(LOCAL_TZ).year
    promise = promised(state.settings.promises.dir, year, "patrol_presence")
    measure = promise.measure if promise else None
    result = patrol_coverage(store, zones, year, None, state.rules, measure=measure,
                             hotspot_buffer_m=state.settings.hotspots.buffer_m)
    presence = pd.Series({z["zone_id"]: z["promise_h"] for z in result.report["zones"]})
    targets = None
    if measure:
        targets = pd.Series({z["zone_id"]: z["target_h"] for z in result.report["zones"]})
        targets.attrs["basis"] = result.report["zone_targets"]
    track = None
    if day is not None and unit is not None:
        start = pd.Timestamp(day, tz=LOCAL_TZ)
        track = store.read_pings(start, local_day_end(day), unit_ids=[unit])
    shown_h = sv_number(round(result.report["centre"]["promise_h"]))
    title = (f"Polisnärvaro {year}: {shown_h} h{f' av {sv_number(measure.target_h)} h' if measure else ''}"
             f"{f' · spår {unit} {day}' if track is not None else ''}{_demo_label(store)}")
    logged = pd.Series({z["zone_id"]: z["promise_log_h"] for z in result.report["zones"]})
    return police_map(zones, presence, targets, result.hotspots, track, title, logged_h=logged, **_basemap(state))


def _cameras(state: Context, year: int | None) -> folium.Map:
    """The cameras by status with their view polygons, and the hot spots of ``year`` (default: the
    newest incident's) they are weighed against."""
    year = latest_incident_year(state.store) if year is None else year
    cameras = state.store.read_features(CAMERAS)
    return cameras_map(state.zones, cameras, camera_views(state), year_ground(state, year).hotspots,
                       f"Kamerabevakning · hot spots {year}{_demo_label(state.store)}", **_basemap(state))


def _presence_h(state: Context, year: int) -> pd.Series:
    """Presence hours per zone in ``year``, from the kept presence."""
    return zone_figures(kept_cube(state.store, state.zones, year, state.rules))["presence_h"]


def _survey_layer(state: Context, year: int, question: str | None) -> SurveyLayer | None:
    """The newest safety survey up to ``year`` as the public planner's map shows it, for
    ``question`` (default: the first code); None when there is none. An unknown question is refused
    (:class:`ValidationError` naming the field ``question`` and the questions there are)."""
    results = state.store.survey_results()
    results = results[results["year"] <= year]
    if results.empty:
        return None
    survey_year = int(results["year"].max())
    k = state.settings.privacy.min_count
    figures = year_figures(results, survey_year, k)
    asked = questions_of(figures, survey_year)
    question = question or next(iter(asked))
    if question not in asked:
        raise ValidationError(Message("the survey of {year} has no question {question!r}; it asked {questions}",
                                      year=str(survey_year), question=question, questions=", ".join(asked)),
                              field="question")
    chosen = figures[figures["question"] == question]
    return SurveyLayer(survey_year, asked[question], zone_shares(chosen, state.zones, survey_year, question),
                       public_places(state.store.survey_places(survey_year), k),
                       ", ".join(sorted(set(chosen["source"]))))


class PlannerFigures(NamedTuple):
    """What the planner's map shows (WGS84 layers; the grid in EPSG:3006), for the folium map and
    the report's static one (:mod:`service.report_maps`): citizens' reports only as published."""

    year: int
    zones: gpd.GeoDataFrame
    metrics: pd.DataFrame
    incidents: gpd.GeoDataFrame
    lights: gpd.GeoDataFrame
    reports: PublicReports
    dark_spots: gpd.GeoDataFrame
    title: str
    grid: LuxGrid
    synthetic: bool


def planner_figures(state: Context, year: int | None) -> PlannerFigures:
    """The planner's map's figures for ``year`` (default: the year of the latest incident)."""
    store, zones = state.store, state.zones
    if year is None:  # the year of the latest incident
        latest = store.query_features(INCIDENTS, FeatureQuery(newest_first=True), limit=1).frame["occurred_at"]
        year = latest.dt.tz_convert(LOCAL_TZ).dt.year.iloc[0] if len(latest) else pd.Timestamp.now(tz=LOCAL_TZ).year
    start, end = local_year(int(year))
    incidents = store.read_features(INCIDENTS, query=FeatureQuery(start=start, end=end))
    local = incidents["occurred_at"].dt.tz_convert(LOCAL_TZ)
    reports = store.read_features(REPORTS, query=FeatureQuery(statuses=OPEN_STATUSES))  # unsafe places are open
    presence = _presence_h(state, year)
    lights = current_lights(store, state.streets)
    lit = lighting_coverage(store, zones, state.streets, model=state.lighting)
    lighting = pd.Series({z["zone_id"]: z["share_compliant"] for z in lit.report["zones"]}, dtype=float)
    usable = incidents[incidents["location_precision"].isin(USABLE_PRECISION)]
    hectares = pd.Series(to_metric(zones).area.to_numpy() / 1e4, index=zones["zone_id"])
    per_zone = pd.Series(zone_of(zones, usable.geometry.x.to_numpy(), usable.geometry.y.to_numpy())).value_counts()
    metrics = pd.DataFrame({"presence_h": presence, "share_compliant": lighting,
                            "incidents_per_ha": per_zone.reindex(hectares.index, fill_value=0) / hectares})
    span = f"{local.min():%Y-%m-%d}–{local.max():%Y-%m-%d}" if len(local) else "inga brott"
    # a public page (also embedded in the yearly report): citizens' reports only as published, below k left out
    return PlannerFigures(int(year), zones, metrics, incidents, lights,
                          public_reports(reports, zones, state.settings.privacy.min_count), lit.dark_spots,
                          f"Planerarkarta {year} · brott {span}{_demo_label(store)}", lit.grid, _synthetic(store))


def _planner(state: Context, year: int | None, question: str | None = None) -> folium.Map:
    f = planner_figures(state, year)
    return planner_map(f.zones, f.metrics, f.incidents, f.lights, f.reports, f.dark_spots, f.title, _lux_png(f.grid),
                       **_basemap(state), survey=_survey_layer(state, f.year, question),
                       events=year_events(state.store, f.year))


MAP_PATHS = {"overview": "/", "planner": "/maps/planner", "lighting": "/maps/lighting", "police": "/maps/police",
             "cameras": "/maps/cameras"}
_BELOW_HEADER = "<style>.folium-map { height: calc(100% - var(--site-header-h)) !important; }</style>"
"""The map fills the page below the site header (folium sizes it to the whole page)."""


def with_site_header(fmap: folium.Map, kind: str, role: str | None = None) -> folium.Map:
    """``fmap`` as the service serves it: the site header above the map (not in files, which
    have no service to link to); the police map, which only the police see, links their pages, and
    a staff map shown to a ``role`` that role's pages."""
    role = "police" if kind == "police" else role
    fmap.get_root().html.add_child(markup(site_header(MAP_PATHS[kind], role) + _BELOW_HEADER), index=0)
    return fmap


def standalone_html(fmap: folium.Map, title: str) -> MapPage:
    """The map as one self-contained HTML file: Leaflet's JavaScript and CSS inlined, so it opens
    from disk without the service and without internet (basemap tiles excepted); with the
    scripts the program wrote into it, for its Content-Security-Policy."""
    folder = Path(leaflet.BASE_DIR)
    fmap.default_js, fmap.default_css = [], []
    header = fmap.get_root().header
    header.add_child(markup(f"<style>{(folder / 'leaflet.css').read_text(encoding='utf-8')}</style>"), index=0)
    header.add_child(markup(f"<script>{(folder / 'leaflet.js').read_text(encoding='utf-8')}</script>"), index=1)
    fits = [child for child in fmap._children.values() if isinstance(child, FitBounds)]
    if fits:
        fmap.add_child(Refit(fits[-1].bounds))
    return page_html(fmap, title)

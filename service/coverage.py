"""Coverage reports assembled from the store and geo/ figures, for the CLI and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import pandas as pd

from geo.crs import WGS84
from geo.hotspots import (BUSY_WINDOWS, GPS_BUFFER_M, HOTSPOT_ALPHA, HOTSPOT_CELL_M, HOTSPOT_MIN_INCIDENTS, HOTSPOT_NEIGHBOURS,
                          KOPER_INTERVAL_H, KOPER_MAX_VISIT_MIN, KOPER_MIN_VISIT_MIN, MIN_VISIT_MIN, dosage_figures,
                          hotspot_visits, hotspots_by_band, hotspots_by_night, incident_hotspots, placed_hotspots)
from geo.layers import INCIDENTS, LIGHTS, REPORTS
from geo.lighting import (CUTOFF_FACTOR, MAINTENANCE_FACTOR, LuxGrid, dark_spots, empty_grid, illuminance,
                          incidents_after_dark, with_reported_breakdowns, zone_lighting)
from geo.photometry import Photometry
from geo.patrol import (PresenceRules, centre_totals, monthly_hours, presence_cube, presence_parts, zone_figures,
                        zone_targets_h)
from geo.promises import PatrolPresence, PresenceCounting
from geo.status import YearClock
from geo.spatial_coverage import Reach, coverage_by_zone, covered_cells, covered_streets, uncovered_places
from geo.timestamps import LOCAL_TZ, local_day_end, local_year
from geo.trail import positions
from geo.workflow import CONFIRMED_STATUSES
from geo.zones import zone_positions
from service.presence import kept_cube_and_trail, with_logs
from service.store import FeatureQuery, Store


@dataclass
class PatrolCoverage:
    """The patrol coverage report (JSON-ready), the places no presence reached and the incident
    hot spots with their dosage (both WGS84), the visits to the hot spots, and the incidents."""

    report: dict
    uncovered: gpd.GeoDataFrame
    hotspots: gpd.GeoDataFrame
    visits: pd.DataFrame
    incidents: gpd.GeoDataFrame
    """The incidents the hot spots were found in (the year's up to the date, inside the zones)."""


def patrol_coverage(store: Store, zones: gpd.GeoDataFrame, year: int, as_of: date | None, rules: PresenceRules, *,
                    kept: bool = True, streets: gpd.GeoDataFrame | None = None,
                    measure: PatrolPresence | None = None, hotspot_buffer_m: float = GPS_BUFFER_M) -> PatrolCoverage:
    """Patrol presence for ``year`` up to ``as_of`` (local date; default the year's end, or today):
    the whole centre against the promise's hours (``measure``, from the promises file: its target,
    which hours it counts and how it shares them among the zones; None: no promise, no status),
    and per zone the figures of :func:`geo.patrol.zone_figures`, its share of the target, hours per
    month, and the share of area (and of street length, with ``streets``) that presence reached;
    the hot spots with the presence within ``hotspot_buffer_m`` of them (the setting). ``kept``: ``rules`` are the service's (the kept presence is read); else the cube is computed here."""
    clock = YearClock.at(year, as_of, pd.Timestamp.now(tz=LOCAL_TZ).date())
    as_of = clock.as_of
    start, year_end = local_year(year)
    # the kept presence is the service's; other rules (a what-if of the command line) are computed here
    if kept:
        cube, trail = kept_cube_and_trail(store, zones, year, rules)
        pings = store.count_pings(start, year_end)
    else:
        tracks = store.read_tracks(start=start, end=year_end)
        cube = with_logs(store, zones, year, rules, presence_cube(tracks, zones, year, rules))
        trail, pings = presence_parts(tracks, zones, rules).trail, len(tracks)
    trail = trail[trail["local_day"] <= (pd.Timestamp(as_of) - pd.Timestamp("1970-01-01")).days]
    spatial, uncovered = _spatial(trail, zones, streets)
    counting = measure.counts if measure else PresenceCounting()
    figures = zone_figures(cube, as_of, counting).join(spatial)
    incidents = store.read_features(INCIDENTS, query=FeatureQuery(start=start, end=local_day_end(as_of)))
    targets = zone_targets_h(zones, measure.target_h, measure.zone_targets, incidents) if measure else None
    if targets is not None:
        figures = figures.join(targets)
    monthly = monthly_hours(cube, as_of)
    names = zones.set_index("zone_id")["name"]
    per_zone = [{"zone_id": row["zone_id"], "name": names[row["zone_id"]],
                 **{k: _plain(v) for k, v in row.items() if k != "zone_id"},
                 "monthly_h": {f"{year}-{m:02d}": round(float(h), 2) for m, h in monthly.loc[row["zone_id"]].items()}}
                for row in figures.reset_index().to_dict("records")]
    totals = centre_totals(cube, clock, measure.target_h if measure else None, counting)
    centre = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in totals.items()}
    in_centre = incidents[zone_positions(zones, incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()) >= 0]
    hotspots, visits = _hotspots(in_centre, trail, zones, year, as_of, hotspot_buffer_m)
    report = {"year": year, "as_of": as_of.isoformat(), "year_over": clock.over, "rules": rules.summary(), "pings": pings,
              "centre": centre, "zone_targets": targets.attrs["basis"] if targets is not None else None, "zones": per_zone,
              "hotspots": hotspot_records(hotspots),
              "hotspots_by_band": _night_spots(hotspots_by_band(in_centre, zones), zones),
              "hotspots_by_night": _night_spots(hotspots_by_night(in_centre, zones), zones),
              "hotspot_method": {**hotspot_method(hotspots), "buffer_m": hotspot_buffer_m, "min_visit_min": MIN_VISIT_MIN,
                                 "koper_visit_min": [KOPER_MIN_VISIT_MIN, KOPER_MAX_VISIT_MIN],
                                 "koper_interval_h": KOPER_INTERVAL_H,
                                 "busy_windows": [f"{a:02d}-{b % 24:02d}" for a, b in BUSY_WINDOWS]}}
    return PatrolCoverage(report, uncovered, hotspots, visits, in_centre)


def _hotspots(incidents: gpd.GeoDataFrame, trail: pd.DataFrame, zones: gpd.GeoDataFrame, year: int,
              as_of: date, buffer_m: float) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Hot spots of ``incidents`` (the year's up to ``as_of`` inside the zones) with their dosage of patrol presence
    (from the ``trail`` of the year up to ``as_of``), and the visits (starting in the year up to ``as_of``)."""
    spots = incident_hotspots(incidents, zones)
    visits = hotspot_visits(trail, spots, buffer_m=buffer_m)
    dosage = dosage_figures(visits, spots, year, as_of)
    result = placed_hotspots(spots, zones)
    result = result.join(dosage, on="hotspot_id") if len(dosage) else result
    result.attrs.update(spots.attrs)
    local_start = visits["start"].dt.tz_convert(LOCAL_TZ).dt.date
    return result, visits[(local_start >= date(year, 1, 1)) & (local_start <= as_of)].reset_index(drop=True)


def hotspot_method(hotspots: gpd.GeoDataFrame) -> dict:
    """How :func:`geo.hotspots.incident_hotspots` found ``hotspots`` (its defaults, and the attrs of its answer)."""
    threshold = hotspots.attrs["p_threshold"]
    return {"method": "getis-ord-gi*", "cell_m": HOTSPOT_CELL_M, "neighbours": HOTSPOT_NEIGHBOURS,
            "p_values": "normal", "alpha": HOTSPOT_ALPHA, "fdr": "benjamini-hochberg",
            "p_threshold": None if threshold is None else float(f"{threshold:.3g}"),
            "min_incidents": HOTSPOT_MIN_INCIDENTS, "grid_cells": hotspots.attrs["cells"],
            "excluded_town_level_incidents": hotspots.attrs["excluded_town_level"]}


def hotspot_records(hotspots: gpd.GeoDataFrame, columns: list[str] | None = None) -> list[dict]:
    """The placed ``hotspots`` (:func:`geo.hotspots.placed_hotspots`) as JSON-ready rows (``columns``, default all
    but the geometry): lon/lat with 6 decimals, p with 3 significant digits, the rest as :func:`_plain`."""
    frame = pd.DataFrame(hotspots.drop(columns="geometry"))
    rows = frame[columns or list(frame.columns)].to_dict("records")
    return [{k: float(v) if k in ("lon", "lat") else float(f"{v:.3g}") if k == "p" else _plain(v) for k, v in row.items()}
            for row in rows]


def _night_spots(by_night: dict[str, gpd.GeoDataFrame], zones: gpd.GeoDataFrame) -> dict[str, list[dict]]:
    """Hot spots per night band or type as JSON-ready rows."""
    return {night: hotspot_records(placed_hotspots(spots, zones),
                                   ["hotspot_id", "zone_id", "incidents", "z", "p", "lon", "lat", "area_m2"])
            for night, spots in by_night.items()}


def _spatial(trail: pd.DataFrame, zones: gpd.GeoDataFrame,
             streets: gpd.GeoDataFrame | None) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Spatial coverage per zone of the presence of ``trail``, and the places it did not reach."""
    reach = Reach(*positions(trail))
    cells = covered_cells(zones, reach)
    pieces = covered_streets(streets, zones, reach) if streets is not None else None
    return coverage_by_zone(zones, cells, pieces), uncovered_places(cells, pieces)


def _plain(value: object) -> object:
    """JSON-ready: numpy scalars to Python, floats rounded to 2 decimals (4 for shares), NaN to None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return None if value != value else round(value, 4 if abs(value) <= 1 else 2)
    return value


@dataclass
class LightingCoverage:
    """The lighting report (JSON-ready), the dark spots (WGS84) and the grids behind them."""

    report: dict
    dark_spots: gpd.GeoDataFrame
    grid: LuxGrid
    proposed_grid: LuxGrid | None


def lighting_coverage(store: Store, zones: gpd.GeoDataFrame, proposed: gpd.GeoDataFrame | None = None,
                      cell_m: float = 1.0, incidents_year: int | None = None,
                      photometry: dict[str, Photometry] | None = None,
                      buildings: gpd.GeoDataFrame | None = None) -> LightingCoverage:
    """Modelled illuminance per zone from the stored lights (a lamp with a confirmed, open
    broken_light report within 30 m counts as broken) against each zone's EN 13201 class,
    the dark spots, incidents after dark in them and elsewhere (all stored incidents, or those of
    ``incidents_year`` in local time), and with ``proposed`` lamps (a lights layer, all taken as
    working) the figures after adding them and the dark-spot area they remove. ``buildings``
    footprints are left out of the walkable area."""
    lights = with_reported_breakdowns(store.read_features(LIGHTS), confirmed_light_reports(store))
    empty = empty_grid(zones, cell_m, buildings)
    grid = illuminance(lights, empty, photometry=photometry)
    figures = zone_lighting(grid, zones, lights)
    spots = dark_spots(grid, zones)
    year_range = local_year(incidents_year) if incidents_year is not None else (None, None)
    incidents = store.read_features(INCIDENTS, query=FeatureQuery(start=year_range[0], end=year_range[1]))
    report = {"cell_m": cell_m, "maintenance_factor": MAINTENANCE_FACTOR, "cutoff_factor": CUTOFF_FACTOR,
              "photometry": sorted(photometry or {}), "buildings": 0 if buildings is None else len(buildings),
              "lamps": {status: int(n) for status, n in lights["status"].value_counts().items()},
              "zones": _records(figures, zones, spots),
              "incidents_after_dark": {"year": incidents_year, **incidents_after_dark(incidents, spots, zones)}}
    proposed_grid = None
    if proposed is not None:
        proposed_grid = illuminance(pd.concat([lights, proposed.assign(status="working")], ignore_index=True), empty,
                                    photometry=photometry)
        after = zone_lighting(proposed_grid, zones)
        after_spots = dark_spots(proposed_grid, zones)
        report["proposed"] = {"lamps": len(proposed), "zones": _records(after, zones, after_spots)}
        for before_zone, after_zone in zip(report["zones"], report["proposed"]["zones"]):
            after_zone["dark_spot_m2_removed"] = round(before_zone["dark_spot_m2"] - after_zone["dark_spot_m2"], 1)
        spots = gpd.GeoDataFrame(pd.concat([spots.assign(after_proposed=False), after_spots.assign(after_proposed=True)],
                                           ignore_index=True), crs=WGS84)
    return LightingCoverage(report, spots, grid, proposed_grid)


def _records(figures: pd.DataFrame, zones: gpd.GeoDataFrame, spots: gpd.GeoDataFrame) -> list[dict]:
    dark = spots.groupby("zone_id")["area_m2"].sum()
    names = zones.set_index("zone_id")["name"]
    return [{"zone_id": row["zone_id"], "name": names[row["zone_id"]],
             **{k: _plain(v) for k, v in row.items() if k != "zone_id"},
             "dark_spots": int((spots["zone_id"] == row["zone_id"]).sum()),
             "dark_spot_m2": round(float(dark.get(row["zone_id"], 0.0)), 1)}
            for row in figures.reset_index().to_dict("records")]


def confirmed_light_reports(store: Store) -> gpd.GeoDataFrame:
    """The broken-light reports staff confirmed and have not closed: what
    :func:`geo.lighting.with_reported_breakdowns` switches lamps off by."""
    return store.read_features(REPORTS, query=FeatureQuery(categories=("broken_light",), statuses=CONFIRMED_STATUSES))

"""Coverage reports assembled from the store and geo/ figures, for the CLI and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.crs import WGS84, to_metric
from geo.errors import ValidationError
from geo.hotspots import (BUSY_WINDOWS, GPS_BUFFER_M, HOTSPOT_ALPHA, HOTSPOT_CELL_M, HOTSPOT_MIN_INCIDENTS, HOTSPOT_NEIGHBOURS,
                          KOPER_INTERVAL_H, KOPER_MAX_VISIT_MIN, KOPER_MIN_VISIT_MIN, MIN_VISIT_MIN, dosage_figures,
                          hotspot_visits, hotspots_by_band, hotspots_by_night, incident_hotspots, placed_hotspots)
from geo.layers import INCIDENTS, LIGHTS, REPORTS
from geo.energy import (DEFAULT_PROFILE, ESTIMATED_EFFICACY_LM_PER_W, OperatingProfile, energy_indicators,
                        equivalent_full_hours)
from geo.fields import (FIELD_LENGTH_M, OVER_LIGHTING_FACTOR, SEMICYLINDRICAL_KINDS, LitSurface, failing_fields,
                        field_figures, lit_surface, semicylindrical_figures, share_compliant, zone_compliance)
from geo.lighting import (CUTOFF_FACTOR, MAINTENANCE_FACTOR, PEDESTRIAN_CLASSES, SEMICYLINDER_HEIGHT_M,
                          SEMICYLINDRICAL_CLASSES, LampContributions, LuxGrid, dark_spots, empty_grid, facing_streets, illuminance,
                          field_light, illuminance_at, in_place, incidents_after_dark, with_reported_breakdowns,
                          zone_lighting)
from geo.photometry import Photometry, read_photometry_folder
from geo.programme import MEASURE_KINDS, Programme, apply_measure, new_lamps
from geo.shadows import Obstructions
from geo.surfaces import SURFACE_KINDS
from geo.patrol import PresenceRules, centre_totals, monthly_hours, zone_figures, zone_targets_h
from geo.promises import PatrolPresence, PresenceCounting
from geo.status import YearClock
from geo.spatial_coverage import Reach, coverage_by_zone, covered_cells, covered_streets, uncovered_places
from geo.timestamps import LOCAL_TZ, local_day_end, local_year
from geo.trail import positions
from geo.workflow import CONFIRMED_STATUSES
from geo.zones import zone_positions
from service.presence import YearPresence, kept_presence
from service.settings import LightingSettings
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
                    presence: YearPresence | None = None, streets: gpd.GeoDataFrame | None = None,
                    measure: PatrolPresence | None = None, hotspot_buffer_m: float = GPS_BUFFER_M) -> PatrolCoverage:
    """Patrol presence for ``year`` up to ``as_of`` (local date; default the year's end, or today):
    the whole centre against the promise's hours (``measure``, from the promises file: its target,
    which hours it counts and how it shares them among the zones; None: no promise, no status),
    and per zone the figures of :func:`geo.patrol.zone_figures`, its share of the target, hours per
    month, and the share of area (and of street length, with ``streets``) that presence reached;
    the hot spots with the presence within ``hotspot_buffer_m`` of them (the setting). ``presence``:
    the year's presence computed elsewhere (other rules than the service's, or an archive on a
    cluster); default the kept presence (``rules`` are the service's)."""
    clock = YearClock.at(year, as_of, pd.Timestamp.now(tz=LOCAL_TZ).date())
    as_of = clock.as_of
    start = local_year(year)[0]
    presence = presence or kept_presence(store, zones, year, rules)
    cube, pings = presence.cube, presence.pings
    trail = presence.trail[presence.trail["local_day"] <= (pd.Timestamp(as_of) - pd.Timestamp("1970-01-01")).days]
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
    """The lighting report (JSON-ready), the dark spots and the calculation fields with their
    figures (both WGS84), and the grids behind them."""

    report: dict
    dark_spots: gpd.GeoDataFrame
    fields: gpd.GeoDataFrame
    grid: LuxGrid
    proposed_grid: LuxGrid | None
    proposed_lamps: gpd.GeoDataFrame | None
    """The lamps a proposal or the programme's remaining measures put up (WGS84)."""


FAILING_LISTED = 25
"""The failing fields a lighting report lists (the furthest below their class first)."""


@dataclass(frozen=True)
class LightingModel:
    """How lamps are modelled: measured ``photometry`` by luminaire type (other types
    Lambertian) and the operating ``profile`` of the energy figures."""

    photometry: Mapping[str, Photometry] = field(default_factory=dict)
    profile: OperatingProfile = DEFAULT_PROFILE


def lighting_model(settings: LightingSettings) -> LightingModel:
    """The model the settings give, its photometric files read (errors name the file)."""
    photometry = read_photometry_folder(settings.photometry) if settings.photometry is not None else {}
    return LightingModel(photometry, settings.operating_profile())


def lighting_coverage(store: Store, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None,
                      proposed: gpd.GeoDataFrame | None = None, cell_m: float = 1.0, incidents_year: int | None = None,
                      model: LightingModel = LightingModel(), programme: Programme | None = None) -> LightingCoverage:
    """Modelled illuminance from the stored lights (a lamp with a confirmed, open broken_light
    report within 30 m counts as broken) on the lit surface (the ``streets``' corridors less the
    stored buildings and water): per EN 13201-3 field its Ē, Emin and Uo against its class, per
    zone the share of field area meeting its class and the grid figures, the failing fields, the
    dark spots, incidents after dark in them and elsewhere (all stored incidents, or those of
    ``incidents_year`` in local time), and with ``proposed`` lamps (a lights layer, all taken as
    working) — or with a lighting ``programme``'s measures not yet done, one after another — the same
    after them: the fields they fix and the dark-spot area they remove.
    The fields' figures count the stored buildings' shadows; semi-cylindrical illuminance on
    squares and pedestrian streets; EN 13201-5 energy indicators per zone for the ``model``'s
    operating profile; lamps with measured photometry by it."""
    photometry, profile = model.photometry, model.profile
    lights = current_lights(store, streets)
    obstacles = stored_obstacles(store)
    surface, shadows = lit_base(zones, streets, obstacles)
    empty = empty_grid(zones, cell_m, surface.walkable)
    grid = illuminance(lights, empty, photometry=photometry)
    fields = _fields_lit(surface, lights, photometry, shadows)
    energy = energy_indicators(fields, lights, profile, zones["zone_id"].tolist())
    spots = dark_spots(grid, zones)
    year_range = local_year(incidents_year) if incidents_year is not None else (None, None)
    incidents = store.read_features(INCIDENTS, query=FeatureQuery(start=year_range[0], end=year_range[1]))
    report = {"cell_m": cell_m, "maintenance_factor": MAINTENANCE_FACTOR, "cutoff_factor": CUTOFF_FACTOR,
              "photometry": sorted(photometry or {}),
              "surfaces": {"streets": 0 if streets is None else len(streets),
                           **{kind: int((obstacles["kind"] == kind).sum()) for kind in SURFACE_KINDS}},
              "lamps": {status: int(n) for status, n in lights["status"].value_counts().items()},
              "field_method": _field_method(), "shadows": not shadows.empty,
              "share_compliant": _plain(share_compliant(fields)),
              "fields": len(fields), "fields_failing": int((~fields["meets_class"]).sum()),
              "fields_over_lit": int(fields["over_lit"].sum()),
              "zones": _records(zone_lighting(grid, zones, lights).join(energy), zones, spots, fields),
              "failing_fields": _field_records(failing_fields(fields).head(FAILING_LISTED)),
              "semicylindrical": _semicylindrical(fields),
              "energy": _energy(energy, fields, profile),
              "incidents_after_dark": {"year": incidents_year,
                                       **incidents_after_dark(incidents, spots, zones, surface.walkable)}}
    proposed_grid = None
    measures = []
    if programme is not None and proposed is None:
        changed = lights
        for measure in sorted(programme.measures, key=lambda m: (m.planned, m.id)):
            if measure.done is None:
                try:
                    changed = apply_measure(changed, measure)
                    measures.append(measure.id)
                except ValidationError:
                    continue  # its lamps are not in this store (a programme for other lamps): left out, listed
        proposed = changed[~changed["id"].isin(lights["id"])]
        lights_after = facing_streets(changed, streets)
    elif proposed is not None:
        lights_after = pd.concat([lights, facing_streets(proposed.assign(status="working"), streets)], ignore_index=True)
    if proposed is not None:
        proposed_grid = illuminance(lights_after, empty, photometry=photometry)
        after = _fields_lit(surface, lights_after, photometry, shadows)
        after_spots = dark_spots(proposed_grid, zones)
        fixed = fields["field_id"][~fields["meets_class"] & after["meets_class"]]
        report["proposed"] = {"lamps": len(proposed), "share_compliant": _plain(share_compliant(after)),
                              **({"programme": programme.title, "measures": measures,
                                  "measures_left_out": [m.id for m in programme.measures
                                                        if m.done is None and m.id not in measures]}
                                 if programme is not None else {}),
                              "fields_fixed": fixed.tolist(),
                              "fields_broken": fields["field_id"][fields["meets_class"] & ~after["meets_class"]].tolist(),
                              "zones": _records(zone_lighting(proposed_grid, zones), zones, after_spots, after)}
        for before_zone, after_zone in zip(report["zones"], report["proposed"]["zones"]):
            after_zone["dark_spot_m2_removed"] = round(before_zone["dark_spot_m2"] - after_zone["dark_spot_m2"], 1)
        spots = gpd.GeoDataFrame(pd.concat([spots.assign(after_proposed=False), after_spots.assign(after_proposed=True)],
                                           ignore_index=True), crs=WGS84)
        fields = fields.assign(meets_class_after=after["meets_class"], average_lx_after=after["average_lx"],
                               minimum_lx_after=after["minimum_lx"])
    return LightingCoverage(report, spots, fields.to_crs(WGS84), grid, proposed_grid, proposed)


def current_lights(store: Store, streets: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The stored lamps as they stand now: by their dates (:func:`geo.lighting.in_place`), out when a
    confirmed, open broken-light report is about them, facing the nearest street when their
    bearing is not recorded."""
    lights = in_place(store.read_features(LIGHTS), pd.Timestamp.now(tz="UTC"))
    return facing_streets(with_reported_breakdowns(lights, confirmed_light_reports(store)), streets)


def lit_base(zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None,
             obstacles: gpd.GeoDataFrame) -> tuple[LitSurface, Obstructions]:
    """The lit surface and its fields, and the buildings that shade them (from :func:`stored_obstacles`)."""
    return lit_surface(zones, streets, obstacles), Obstructions(obstacles[obstacles["kind"] == "buildings"])


@dataclass
class LightingBaseline:
    """Today's modelled lighting kept for what-ifs: the lit surface and its buildings, the lamps
    (facing their streets), the horizontal illuminance at every calculation point (lux, with the
    shadows), the fields' figures and a KD-tree of the points (EPSG:3006)."""

    surface: LitSurface
    shadows: Obstructions
    streets: gpd.GeoDataFrame | None
    lux: np.ndarray
    fields: gpd.GeoDataFrame
    tree: cKDTree
    photometry: Mapping[str, Photometry]


def lighting_baseline(store: Store, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None,
                      model: LightingModel = LightingModel()) -> LightingBaseline:
    """Today's lighting at the fields' points (lamps by the ``model``'s photometry), for :func:`lamp_what_if`."""
    lights = current_lights(store, streets)
    surface, shadows = lit_base(zones, streets, stored_obstacles(store))
    points = surface.points
    lux = illuminance_at(lights, points["x"].to_numpy(), points["y"].to_numpy(), photometry=model.photometry,
                         obstructions=shadows)
    return LightingBaseline(surface, shadows, streets, lux, field_figures(surface.fields, points, lux, PEDESTRIAN_CLASSES),
                            cKDTree(points[["x", "y"]].to_numpy()), model.photometry)


def lamp_what_if(baseline: LightingBaseline, lamp: gpd.GeoDataFrame) -> dict:
    """What one more ``lamp`` (a lights layer of one working lamp, WGS84; facing the nearest street
    unless it says otherwise) does to the fields: their share meeting the class before and after,
    the fields it lifts to their class, and the fields it lights with Ē and Emin before and after
    (JSON-ready). Only the points within its cut-off are computed again."""
    lamp = facing_streets(lamp.assign(status="working"), baseline.streets)
    at = to_metric(lamp).geometry.iloc[0]
    points = baseline.surface.points
    near = np.asarray(baseline.tree.query_ball_point((at.x, at.y), CUTOFF_FACTOR * float(lamp["height_m"].iloc[0])),
                      dtype=np.int64)
    lux = baseline.lux.copy()
    lux[near] += illuminance_at(lamp, points["x"].to_numpy()[near], points["y"].to_numpy()[near],
                                photometry=baseline.photometry, obstructions=baseline.shadows)
    before = baseline.fields
    after = field_figures(baseline.surface.fields, points, lux, PEDESTRIAN_CLASSES)
    touched = np.unique(points["field"].to_numpy()[near])
    changed = touched[after["average_lx"].to_numpy()[touched] > before["average_lx"].to_numpy()[touched]]
    return {"lamp": {"lon": round(float(lamp.geometry.x.iloc[0]), 7), "lat": round(float(lamp.geometry.y.iloc[0]), 7),
                     "lumen": float(lamp["lumen"].iloc[0]), "height_m": float(lamp["height_m"].iloc[0]),
                     "azimuth_deg": round(float(lamp["azimuth_deg"].iloc[0]), 1)
                     if pd.notna(lamp["azimuth_deg"].iloc[0]) else None,
                     "luminaire": str(lamp["luminaire"].iloc[0]),
                     "measured": str(lamp["luminaire"].iloc[0]) in baseline.photometry},
            "share_compliant_before": _plain(share_compliant(before)), "share_compliant_after": _plain(share_compliant(after)),
            "fields_fixed": before["field_id"][~before["meets_class"] & after["meets_class"]].tolist(),
            "fields_lit": [{"field_id": before["field_id"].iloc[i], "lighting_class": before["lighting_class"].iloc[i],
                            "average_lx_before": _plain(before["average_lx"].iloc[i]),
                            "average_lx_after": _plain(after["average_lx"].iloc[i]),
                            "minimum_lx_before": _plain(before["minimum_lx"].iloc[i]),
                            "minimum_lx_after": _plain(after["minimum_lx"].iloc[i]),
                            "meets_class_before": bool(before["meets_class"].iloc[i]),
                            "meets_class_after": bool(after["meets_class"].iloc[i])} for i in changed.tolist()]}


def programme_effects(store: Store, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None, programme: Programme,
                      as_of: date, model: LightingModel = LightingModel()) -> dict:
    """What each measure of a lighting ``programme`` does to today's modelled lighting on its own
    (fields fixed, those of its ``fixes`` reached, compliance gained, power and energy), what the
    whole programme does (its measures one after another in planned order), and its progress on
    local date ``as_of`` (JSON-ready). Lamps by the ``model``'s photometry; energy for its
    operating profile unless a measure sets its own."""
    profile = model.profile
    lights = current_lights(store, streets)
    surface, shadows = lit_base(zones, streets, stored_obstacles(store))
    zone_ids = zones["zone_id"].tolist()
    points = surface.points
    # every lamp any measure may light, each one's light computed once (with the shadows)
    every = pd.concat([lights, *(new_lamps(m, f"measure {m.id!r}") for m in programme.measures)], ignore_index=True)
    light = LampContributions(facing_streets(every.drop_duplicates("id").assign(status="working"), streets),
                              points["x"], points["y"], photometry=model.photometry, obstructions=shadows)

    def figures(lamps: gpd.GeoDataFrame, hours: OperatingProfile) -> tuple[gpd.GeoDataFrame, dict]:
        lux = light.lux(lamps.loc[lamps["status"] == "working", "id"].to_numpy(dtype=object))
        fields = field_figures(surface.fields, points, lux, PEDESTRIAN_CLASSES)
        return fields, _energy(energy_indicators(fields, lamps, hours, zone_ids), fields, hours)

    before, energy_before = figures(lights, profile)
    rows, together, hours = [], lights, profile
    for measure in sorted(programme.measures, key=lambda m: (m.planned, m.id)):
        own_profile = measure.operating_profile() or profile
        after, energy_after = figures(apply_measure(lights, measure), own_profile)
        fixed = before["field_id"][~before["meets_class"] & after["meets_class"]].tolist()
        meets = set(after["field_id"][after["meets_class"]])
        rows.append({"id": measure.id, "name": measure.name, "kind": measure.kind, "kind_sv": MEASURE_KINDS[measure.kind],
                     "planned": measure.planned.isoformat(), "done": measure.done.isoformat() if measure.done else None,
                     "cost_sek": measure.cost_sek, "fields_fixed": fixed,
                     "fixes": measure.fixes, "fixes_reached": [f for f in measure.fixes if f in meets],
                     "share_gained": _plain(share_compliant(after) - share_compliant(before))
                     if len(before) else None,
                     "power_change_w": round(energy_after["power_w"] - energy_before["power_w"], 1),
                     "energy_change_kwh_year": round((energy_after["power_w"] * energy_after["equivalent_full_hours"]
                                                      - energy_before["power_w"] * energy_before["equivalent_full_hours"])
                                                     / 1000, 1)})
        together = apply_measure(together, measure)
        hours = measure.operating_profile() or hours
    end, energy_end = figures(together, hours)
    unknown = sorted({f for m in programme.measures for f in m.fixes} - set(before["field_id"]))
    return {"title": programme.title, "synthetic": programme.synthetic, "as_of": as_of.isoformat(),
            "adopt_by": programme.adopt_by.isoformat(),
            "adopted": programme.adopted.isoformat() if programme.adopted else None,
            "progress": programme.progress(as_of),
            "today": {"share_compliant": _plain(share_compliant(before)), "fields_failing": int((~before["meets_class"]).sum()),
                      "energy": energy_before},
            "measures": rows,
            "whole_programme": {"share_compliant": _plain(share_compliant(end)),
                                "fields_failing": int((~end["meets_class"]).sum()),
                                "fields_fixed": before["field_id"][~before["meets_class"] & end["meets_class"]].tolist(),
                                "energy": energy_end},
            "unknown_fields": unknown}


def stored_obstacles(store: Store) -> gpd.GeoDataFrame:
    """The stored building footprints and water, with their ``kind`` (WGS84)."""
    frames = [store.read_surfaces(kind).assign(kind=kind) for kind in SURFACE_KINDS]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WGS84)


def _fields_lit(surface: LitSurface, lights: gpd.GeoDataFrame, photometry: Mapping[str, Photometry],
                shadows: Obstructions) -> gpd.GeoDataFrame:
    """The surface's fields with their figures under ``lights`` (EPSG:3006): horizontal
    illuminance, and semi-cylindrical on squares and pedestrian streets, with the buildings' shadows."""
    points = surface.points
    faces = surface.fields["kind"].isin(SEMICYLINDRICAL_KINDS).to_numpy()[points["field"].to_numpy()]
    lux, esc = field_light(lights, points, faces, photometry=photometry, obstructions=shadows)
    figures = field_figures(surface.fields, points, lux, PEDESTRIAN_CLASSES)
    return semicylindrical_figures(figures, points, np.nan_to_num(esc, nan=np.inf), SEMICYLINDRICAL_CLASSES)


def _semicylindrical(fields: gpd.GeoDataFrame) -> dict:
    """The semi-cylindrical figures of the fields where faces matter (JSON-ready)."""
    shown = fields[fields["sc_minimum_lx"].notna()]
    judged = shown[shown["meets_sc_class"].notna()]
    return {"height_m": SEMICYLINDER_HEIGHT_M, "kinds": list(SEMICYLINDRICAL_KINDS), "fields": len(shown),
            "fields_with_class": len(judged), "fields_failing_class": int((~judged["meets_sc_class"].astype(bool)).sum()),
            "lowest": [{"field_id": r.field_id, "sc_class": r.sc_class, "sc_minimum_lx": round(float(r.sc_minimum_lx), 2)}
                       for r in shown.nsmallest(10, "sc_minimum_lx").itertuples()]}


def _energy(per_zone: pd.DataFrame, fields: gpd.GeoDataFrame, profile: OperatingProfile) -> dict:
    """The centre's EN 13201-5 indicators from the zones' (JSON-ready)."""
    power, area = float(per_zone["power_w"].sum()), float(fields["walkable_m2"].sum())
    lux_area = float((fields["walkable_m2"] * fields["average_lx"]).sum())
    return {"standard": "EN 13201-5:2015", "profile": [{"hours": h, "share": s} for h, s in profile],
            "equivalent_full_hours": equivalent_full_hours(profile), "power_w": round(power, 1),
            "lamps_estimated_w": int(per_zone["lamps_estimated_w"].sum()),
            "estimated_efficacy_lm_per_w": ESTIMATED_EFFICACY_LM_PER_W,
            "dp_w_per_lx_m2": round(power / lux_area, 4) if lux_area > 0 else None,
            "de_kwh_per_m2_year": round(power * equivalent_full_hours(profile) / 1000 / area, 3) if area > 0 else None}


def _field_method() -> dict:
    """How the fields are laid out (:mod:`geo.fields`), for the report."""
    return {"standard": "EN 13201-3:2015", "field_length_m": FIELD_LENGTH_M,
            "points_along": "N = 10 for S <= 30 m, else the smallest N with S/N <= 3 m",
            "points_across": "the smallest n >= 3 with W/n <= 1.5 m",
            "over_lighting_factor": OVER_LIGHTING_FACTOR}


FIELD_COLUMNS = ["field_id", "street", "zone_id", "lighting_class", "length_m", "width_m", "walkable_m2",
                 "average_lx", "minimum_lx", "uniformity", "class_average_lx", "class_minimum_lx", "meets_class",
                 "over_lit", "shortfall", "sc_class", "sc_minimum_lx", "meets_sc_class"]
"""The figures of a calculation field in answers and files."""


def _field_records(fields: gpd.GeoDataFrame) -> list[dict]:
    rows = pd.DataFrame(fields[FIELD_COLUMNS]).astype({"meets_sc_class": object}).to_dict("records")
    return [{k: None if v is pd.NA else _plain(v) for k, v in row.items()} for row in rows]


def _records(figures: pd.DataFrame, zones: gpd.GeoDataFrame, spots: gpd.GeoDataFrame,
             fields: gpd.GeoDataFrame) -> list[dict]:
    dark = spots.groupby("zone_id")["area_m2"].sum()
    names = zones.set_index("zone_id")["name"]
    figures = figures.join(zone_compliance(fields, zones["zone_id"].tolist()))
    return [{"zone_id": row["zone_id"], "name": names[row["zone_id"]],
             **{k: _plain(v) for k, v in row.items() if k != "zone_id"},
             "dark_spots": int((spots["zone_id"] == row["zone_id"]).sum()),
             "dark_spot_m2": round(float(dark.get(row["zone_id"], 0.0)), 1)}
            for row in figures.reset_index().to_dict("records")]


def confirmed_light_reports(store: Store) -> gpd.GeoDataFrame:
    """The broken-light reports staff confirmed and have not closed: what
    :func:`geo.lighting.with_reported_breakdowns` switches lamps off by."""
    return store.read_features(REPORTS, query=FeatureQuery(categories=("broken_light",), statuses=CONFIRMED_STATUSES))

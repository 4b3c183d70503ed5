"""``stadskarna coverage``: police presence and lighting per zone against the promises and classes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import pandas as pd
import typer

from geo.errors import Message, ValidationError
from geo.hotspots import HOTSPOT_METHOD_NAME
from geo.io.files import new_file
from geo.layers import validate
from geo.timestamps import YEARS, format_utc
from geo.zones import read_zones
from service.cli.common import (DbOption, StreetsOption, ZonesOption, _fail, _open_store, _progress, _supported_day, build_settings,
                                console, errors, figure, named, say, table, text)

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.patrol import PresenceRules
    from service.presence import YearPresence
    from service.store import Store

coverage_app = typer.Typer(help=text(Message("Coverage figures per zone.")), no_args_is_help=True)


class OutputFormat(str, Enum):
    """How a coverage command prints its figures."""

    table = "table"
    json = "json"
    csv = "csv"


@coverage_app.command("patrol",
                      help=text(Message("Police presence per zone and for the whole centre against the year's promised"
                                        " hours (from the promises file), and the share of each zone (and its streets)"
                                        " that presence reached.")))
def coverage_patrol(
        year: Annotated[int, typer.Option(help=text(Message("Year of the promise.")), min=YEARS[0], max=YEARS[1])],
        as_of: Annotated[Optional[datetime], typer.Option(
            "--as-of", formats=["%Y-%m-%d"], callback=_supported_day, help=text(Message("Count up to this local date (default: year end, or today).")))] = None,
        output: Annotated[OutputFormat, typer.Option("--format", help=text(Message("table, json or csv.")))] = OutputFormat.table,
        max_gap: Annotated[Optional[float], typer.Option(
            help=text(Message("Longest gap between pings that counts for a unit sampling every few seconds (s; default "
                              "STADSKARNA_PRESENCE_MAX_GAP_S or 120); sparser units up to 3 of their sampling intervals.")),
            min=0.001)] = None,
        max_speed: Annotated[Optional[float], typer.Option(
            help=text(Message("Highest speed of a foot patrol that counts as visible presence (km/h; default "
                              "STADSKARNA_PRESENCE_FOOT_KMH or 10).")), min=0.001)] = None,
        uncovered: Annotated[Optional[Path], typer.Option(
            help=text(Message("Write the places no presence reached to this GeoJSON file.")))] = None,
        hotspots: Annotated[Optional[Path], typer.Option(
            help=text(Message("Write the incident hot spots with their dosage to this GeoJSON file.")))] = None,
        visits: Annotated[Optional[Path], typer.Option(
            help=text(Message("Write every visit to a hot spot (unit, start, end, minutes) to this CSV file.")))] = None,
        density: Annotated[Optional[Path], typer.Option(
            help=text(Message("Write the incidents' kernel density (incidents per km², quartic kernel of "
                              "STADSKARNA_HOTSPOT_DENSITY_BANDWIDTH_M, default 150 m) to this GeoTIFF (EPSG:3006).")))] = None,
        archive: Annotated[Optional[Path], typer.Option(
            help=text(Message("Compute presence from the pings of this archive (`stadskarna archive pings`) on a dask "
                              "cluster instead of the database's (the rest comes from the database).")))] = None,
        scheduler: Annotated[str, typer.Option(
            help=text(Message("With --archive: the dask scheduler's address (tcp://host:8786), or local for a "
                              "cluster of this machine's cores.")))] = "local",
        db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Police presence per zone and for the whole centre against the year's promised hours (from
    the promises file), and the share of each zone (and its streets) that presence reached."""
    from geo.io.csvsafe import neutralise
    from geo.io.geojson import to_feature_collection
    from geo.streets import read_streets
    from service.coverage import patrol_coverage
    from service.presence import computed_presence, presence_rules
    from service.promises import promised

    settings = build_settings(db, zones, streets)
    store = _open_store(settings.store.db)
    try:
        for path in (uncovered, hotspots, visits, density):
            if path is not None:
                new_file(path)
        zone_frame = read_zones(settings.geography.zones)
        streets_path = settings.geography.streets_path()
        street_frame = read_streets(streets_path) if streets_path else None
        promise = promised(settings.promises.dir, year, "patrol_presence")
        service_rules = presence_rules(settings.presence)
        given = {"max_gap_s": max_gap, "foot_kmh": max_speed}
        rules = replace(service_rules, **{name: value for name, value in given.items() if value is not None})
        if archive is not None:
            presence = _archive_presence(store, archive, zone_frame, year, rules, scheduler)
        with errors.status(text(Message("computing patrol presence for {year}", year=year))):
            if archive is None:
                presence = None if rules == service_rules else computed_presence(store, zone_frame, year, rules)
            result = patrol_coverage(store, zone_frame, year, as_of.date() if as_of else None, rules,
                                     presence=presence, streets=street_frame,
                                     measure=promise.measure if promise else None,
                                     hotspot_buffer_m=settings.hotspots.buffer_m)
    except ValidationError as exc:
        raise _fail(exc) from None
    report = result.report
    if uncovered is not None:
        uncovered.write_text(json.dumps(to_feature_collection(result.uncovered), ensure_ascii=False), encoding="utf-8")
        say(Message("{count} uncovered places written to {path}", count=len(result.uncovered), path=str(uncovered)),
            err=True)
    if hotspots is not None:
        hotspots.write_text(json.dumps(to_feature_collection(result.hotspots), ensure_ascii=False), encoding="utf-8")
        say(Message("{count} hot spots written to {path}", count=len(result.hotspots), path=str(hotspots)), err=True)
    if visits is not None:
        table = result.visits.assign(**{c: format_utc(result.visits[c]) for c in ("start", "end")})
        neutralise(table.round({"minutes": 2})).to_csv(visits, index=False)
        say(Message("{count} visits written to {path}", count=len(table), path=str(visits)), err=True)
    if density is not None:
        from geo.hotspots import incident_density
        from geo.io.raster import write_density_geotiff

        bandwidth = settings.hotspots.density_bandwidth_m
        grid = incident_density(result.incidents, bandwidth_m=bandwidth)
        if not grid.per_km2.size:
            raise _fail(Message("{path}: no incident of {year} has a usable position in the centre; no density written",
                                path=str(density), year=year))
        write_density_geotiff(grid, density, bandwidth)
        say(Message("the density of {count} incidents ({bandwidth} m kernel) written to {path}",
                    count=len(result.incidents), bandwidth=figure(bandwidth, 1), path=str(density)), err=True)
    if output is OutputFormat.json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
    elif output is OutputFormat.csv:
        rows = [{k: v for k, v in zone.items() if k != "monthly_h"} | zone["monthly_h"] for zone in report["zones"]]
        typer.echo(neutralise(pd.DataFrame(rows)).to_csv(index=False), nl=False)
    else:
        _print_patrol_table(report)


def _archive_presence(store: Store, archive: Path, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules,
                      scheduler: str) -> YearPresence:
    """The year's presence from an archive on a dask cluster, with a progress bar of its partitions."""
    from service.distributed import archive_presence

    with _progress() as bar:
        task = bar.add_task(text(Message("patrol presence on the cluster, by month and units")), total=None)
        return archive_presence(store, archive, zones, year, rules, scheduler,
                                progress=lambda done, total: bar.update(task, completed=done, total=total))


@coverage_app.command("lighting",
                      help=text(Message("Modelled illuminance on the streets' surface (less the imported buildings and"
                                        " water): per EN 13201-3 calculation field against its pedestrian class, per "
                                        "zone, dark spots, and the effect of proposed lamps (--proposed) for the "
                                        "lighting programme.")))
def coverage_lighting(
        output: Annotated[OutputFormat, typer.Option("--format", help=text(Message("table, json or csv.")))] = OutputFormat.table,
        proposed: Annotated[Optional[Path], typer.Option(
            help=text(Message("What-if: proposed lamps (a lights file: CSV, GeoJSON or GeoPackage); all taken as "
                              "working.")))] = None,
        cell: Annotated[float, typer.Option(help=text(Message("Grid cell size in metres.")), min=0.25, max=10)] = 1.0,
        incidents_year: Annotated[Optional[int], typer.Option(
            help=text(Message("Count incidents after dark of this year only (default: all stored incidents).")),
            min=YEARS[0], max=YEARS[1])] = None,
        photometry: Annotated[Optional[Path], typer.Option(
            help=text(Message("Folder of photometric files named after luminaire types (<luminaire>.ldt or .ies); "
                              "default: STADSKARNA_LIGHTING_PHOTOMETRY.")))] = None,
        fields: Annotated[Optional[Path], typer.Option(
            help=text(Message("Write the EN 13201-3 calculation fields with their figures to this GeoJSON file.")))] = None,
        dark_spots: Annotated[Optional[Path], typer.Option(
            "--dark-spots", help=text(Message("Write the dark spots (below the class minimum, >= 10 m²) to this GeoJSON file.")))] = None,
        geotiff: Annotated[Optional[Path], typer.Option(help=text(Message("Write the illuminance grid (lux) as a GeoTIFF.")))] = None,
        png: Annotated[Optional[Path], typer.Option(
            help=text(Message("Write a coloured PNG of the illuminance (WGS84) with a .bounds.json beside it.")))] = None,
        db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Modelled illuminance on the streets' surface (less the imported buildings and water): per
    EN 13201-3 calculation field against its pedestrian class, per zone, dark spots, and the
    effect of proposed lamps (--proposed) for the lighting programme."""
    from geo.io.csvsafe import neutralise
    from geo.io.geojson import to_feature_collection
    from geo.streets import read_streets
    from geo.io.raster import write_geotiff, write_png_overlay
    from geo.layers import LIGHTS
    from service.coverage import FIELD_COLUMNS, lighting_coverage, lighting_model
    from service.imports import read_layer_file

    settings = build_settings(db, zones, streets)
    store = _open_store(settings.store.db)
    try:
        for path in (fields, dark_spots, geotiff, png):
            if path is not None:
                new_file(path)
        zone_frame = read_zones(settings.geography.zones)
        lamps = None
        if proposed is not None:
            lamps = validate(LIGHTS, read_layer_file(LIGHTS, proposed).raw, str(proposed))
        model = lighting_model(settings.lighting if photometry is None
                               else settings.lighting.model_copy(update={"photometry": photometry}))
        streets_path = settings.geography.streets_path()
        street_frame = read_streets(streets_path) if streets_path else None
        with errors.status(text(Message("modelling illuminance"))):
            result = lighting_coverage(store, zone_frame, street_frame, lamps, cell, incidents_year, model)
        grid = result.proposed_grid or result.grid
        if geotiff is not None:
            write_geotiff(grid, geotiff)
        if png is not None:
            bounds = write_png_overlay(grid, png)
            say(Message("PNG written to {path}, bounds (south-west, north-east) {bounds}", path=str(png),
                        bounds=str(bounds)), err=True)
    except ValidationError as exc:
        raise _fail(exc) from None
    if fields is not None:
        fields.write_text(json.dumps(to_feature_collection(result.fields[[*FIELD_COLUMNS, *(
            c for c in result.fields.columns if c.endswith("_after")), "geometry"]]), ensure_ascii=False), encoding="utf-8")
        say(Message("{count} calculation fields written to {path}", count=len(result.fields), path=str(fields)), err=True)
    if dark_spots is not None:
        dark_spots.write_text(json.dumps(to_feature_collection(result.dark_spots), ensure_ascii=False), encoding="utf-8")
        say(Message("{count} dark spots written to {path}", count=len(result.dark_spots), path=str(dark_spots)), err=True)
    report = result.report
    if output is OutputFormat.json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
    elif output is OutputFormat.csv:
        rows = report["proposed"]["zones"] if "proposed" in report else report["zones"]
        typer.echo(neutralise(pd.DataFrame(rows)).to_csv(index=False), nl=False)
    else:
        _print_lighting_tables(report)


def _print_lighting_tables(report: dict) -> None:
    """The lighting report as tables (today, and with the proposed lamps) and a summary."""
    columns = [(Message("zone"), "name"), (Message("class"), "lighting_class"),
               (Message("Ē required lx"), "class_average_lx"), (Message("Emin required lx"), "class_minimum_lx"),
               (Message("average lx"), "average_lx"), (Message("min lx"), "minimum_lx"),
               (Message("uniformity"), "uniformity"), (Message("fields"), "fields"),
               (Message("fields below class"), "fields_failing"), (Message("share meeting class"), "share_compliant"),
               (Message("dark spots m²"), "dark_spot_m2"), (Message("broken"), "broken_lamps")]
    sections = [(Message("Lighting today (modelled)"), report["zones"])]
    if "proposed" in report:
        sections.append((Message("With {count} proposed lamps", count=report["proposed"]["lamps"]),
                         report["proposed"]["zones"]))
    for title, zones in sections:
        lighting = table(title, *(heading for heading, _ in columns), right=tuple(heading for heading, _ in columns[1:]))
        for zone in zones:
            lighting.add_row(*[_cell(key, zone.get(key)) for _, key in columns])
        console.print(lighting)
    share = report["share_compliant"]
    say(Message("{fields} calculation fields per EN 13201-3; {failing} do not reach their class, {over_lit} are over-lit "
                "(Ē above 1.5 × the class's). Share of the fields' area that reaches its class: {share}.",
                fields=report["fields"], failing=report["fields_failing"], over_lit=report["fields_over_lit"],
                share="–" if share is None else f"{figure(100 * share)} %"))
    if report["failing_fields"]:
        below = Message("below class")
        headings = (Message("field"), Message("zone"), Message("class"), Message("Ē lx"), Message("Emin lx"), below)
        worst = table(Message("Fields furthest below their class"), *headings, right=headings[2:])
        for field in report["failing_fields"][:10]:
            worst.add_row(field["field_id"], field["zone_id"], field["lighting_class"], figure(field["average_lx"], 1),
                          figure(field["minimum_lx"], 2), f"{figure(100 * field['shortfall'])} %")
        console.print(worst)
    dark = report["incidents_after_dark"]
    say(Message("Incidents after dark: {in_dark} in dark spots ({dark_ha} ha, {dark_rate} per ha), {elsewhere} on other "
                "walkable surface ({elsewhere_ha} ha, {elsewhere_rate} per ha); {off} off the walkable surface and "
                "{town_level} without an exact position are not counted.", in_dark=dark["in_dark_spots"],
                dark_ha=dark["dark_spot_ha"], dark_rate=dark["rate_in_dark_spots_per_ha"], elsewhere=dark["elsewhere"],
                elsewhere_ha=dark["elsewhere_ha"], elsewhere_rate=dark["rate_elsewhere_per_ha"],
                off=dark["off_walkable_surface"], town_level=dark["excluded_town_level"]))
    if "proposed" in report:
        removed = figure(sum(zone["dark_spot_m2_removed"] for zone in report["proposed"]["zones"]))
        fixed = report["proposed"]["fields_fixed"]
        say(Message("The proposed lamps remove {removed} m² of dark spots and bring {count} fields to their class: "
                    "{fields}.", removed=removed, count=len(fixed), fields=", ".join(fixed)) if fixed
            else Message("The proposed lamps remove {removed} m² of dark spots and bring {count} fields to their class.",
                         removed=removed, count=0))


def _print_patrol_table(report: dict) -> None:
    """The presence report as a table per zone, the centre's total and the hot spots."""
    from geo.status import STATUS_NAMES

    centre = report["centre"]
    columns = [(Message("zone"), "name"), (Message("presence h"), "presence_h"), (Message("officer h"), "officer_h"),
               (Message("drive-through h"), "drive_through_h"), (Message("vehicle h"), "vehicle_h"),
               (Message("days"), "days_with_presence"), (Message("longest gap d"), "longest_gap_days"),
               (Message("17-20"), "night_17-20_h"), (Message("20-23"), "night_20-23_h"),
               (Message("23-02"), "night_23-02_h"), (Message("02-05"), "night_02-05_h"),
               (Message("Fri/Sat night h"), "fri_sat_night_h"), (Message("area reached"), "area_covered_share"),
               (Message("streets reached"), "street_covered_share")]
    zones = table(Message("Police presence in the city centre {year} (up to {as_of})", year=report["year"],
                          as_of=report["as_of"]), *(heading for heading, _ in columns),
                  right=tuple(heading for heading, _ in columns[1:]))
    for zone in report["zones"]:
        zones.add_row(*[_cell(key, zone.get(key)) for _, key in columns])
    console.print(zones)
    whole = dict(presence=figure(centre["presence_h"], 1), projected=figure(centre["projected_year_end_h"], 1))
    if centre["target_h"] is None:
        say(Message("Whole centre: {presence} h presence; projected for the year {projected} h (no promise of presence "
                    "hours for the year in the promises files)", **whole))
    else:
        say(Message("Whole centre: {presence} h presence of the promise's {target} h; expected so far {expected} h; "
                    "projected for the year {projected} h; status: {status}", target=figure(centre["target_h"]),
                    expected=figure(centre["expected_h_pro_rata"], 1), status=named(centre["status"], STATUS_NAMES),
                    **whole))
    if not report["hotspots"]:
        say(Message("No hot spots among the year's incidents with a known position."))
        return
    columns = [(Message("place"), "hotspot_id"), (Message("zone"), "zone_id"), (Message("incidents"), "incidents"),
               (Message("area m²"), "area_m2"), (Message("z"), "z"), (Message("visits"), "visits"),
               (Message("min/day"), "minutes_per_day"), (Message("min/week"), "minutes_per_week"),
               (Message("median visit min"), "median_visit_min"),
               (Message("visits 10-15 min"), "share_visits_10_15_min"),
               (Message("evening 2-h windows with a visit"), "busy_windows_with_visit_share")]
    spots = table(Message("Hot spots (Getis-Ord {method}) and the police's presence; Koper: visits of 10-15 min, at least "
                          "one every other hour in the evening", method=HOTSPOT_METHOD_NAME),
                  *(heading for heading, _ in columns), right=tuple(heading for heading, _ in columns[2:]))
    for spot in report["hotspots"]:
        spots.add_row(*[_cell(key, spot.get(key)) for _, key in columns])
    console.print(spots)


def _cell(key: str, value: object) -> str:
    """A figure as a table cell in the command line's language: shares in per cent, booleans as
    yes/no, none as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return text(Message("yes") if value else Message("no"))
    if "share" in key:
        return f"{figure(100 * value)} %"
    return figure(value, 1) if isinstance(value, float) else str(value)

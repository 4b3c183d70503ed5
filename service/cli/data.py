"""``stadskarna import``, ``export`` and ``demo``: move a layer's records in and out of the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.text import Text

from geo.errors import Message, ValidationError
from geo.io.export import write_layer
from geo.layers import LAYERS, LIGHTS, PINGS, LayerSchema
from geo.surfaces import SURFACE_KINDS, read_surfaces
from geo.timestamps import YEARS
from geo.zones import read_zones
from service.cli.common import (DbOption, StreetsOption, ZonesOption, _fail, _open_store, _progress, _records,
                                build_settings, console, figure, say, text)
from service.cli.presence import keep_presence
from service.gis_export import PACKAGE_ROLES, PUBLIC
from service.imports import import_file, import_presence_log
from service.survey import import_survey

GIS = "gis"
"""``stadskarna export gis``: the styled GeoPackage of every layer a role may see (:mod:`service.gis_export`)."""
PRESENCE_LOG = "presence-log"
"""The police's own logged hours (:func:`service.imports.import_presence_log`), imported beside the layers."""
SURVEY = "survey"
"""The safety survey's results of a year (:func:`service.survey.import_survey`), imported beside the layers."""


def _schema(layer: str) -> LayerSchema:
    """The schema of the layer named on the command line, or a usage error."""
    if layer not in LAYERS:
        raise _fail(Message("unknown layer {layer!r}: choose one of {layers}", layer=layer, layers=", ".join(LAYERS)))
    return LAYERS[layer]


def import_command(
        layer: Annotated[str, typer.Argument(help=text(Message("Layer: incidents, lights, reports, patrols or events; or presence-log "
                                                               "(the police's logged hours, CSV); or buildings or water "
                                                               "(polygons that replace the stored set); or survey (a "
                                                               "year's safety survey results, CSV).")))],
        file: Annotated[Path, typer.Argument(help=text(Message("CSV, GeoJSON, police events JSON, GeoPackage, GeoParquet, GPX or iCalendar (.ics, events) file.")))],
        crs: Annotated[Optional[str], typer.Option(help=text(Message("CRS of a CSV file's x/y columns, e.g. EPSG:3006.")))] = None,
        unit: Annotated[Optional[str], typer.Option(help=text(Message("GPX: the patrol unit's id (default: file name).")))] = None,
        mode: Annotated[Optional[str], typer.Option(help=text(Message("GPX: how the unit moved: foot, bike, horse or car.")))] = None,
        crew: Annotated[Optional[int], typer.Option(help=text(Message("GPX: officers in the unit (default 1).")))] = None,
        places: Annotated[Optional[Path], typer.Option(help=text(Message("survey: the places respondents marked (CSV or "
                                                                         "GeoJSON).")))] = None,
        db: DbOption = None) -> None:
    """Import a file into a layer: all rows valid, or nothing is stored."""
    if layer == SURVEY:
        return _import_survey(file, places, db)
    if places is not None:
        raise _fail(Message("--places is for a survey's import only"))
    if layer == PRESENCE_LOG:
        return _import_presence_log(file, db)
    if layer in SURFACE_KINDS:
        return _import_surfaces(layer, file, db)
    schema = _schema(layer)
    store = _open_store(db)
    with _progress() as bar:
        task = bar.add_task(text(Message("import {layer}", layer=layer)), total=None)
        steps = {"reading": Message("reading {file}", file=file.name),
                 "validating": Message("validating {file}", file=file.name),
                 "writing": Message("writing {file}", file=file.name)}

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=text(steps.get(step, step)), completed=done, total=total)

        try:
            summary = import_file(store, schema, file, progress=progress, crs=crs, unit_id=unit, mode=mode, crew=crew)
        except ValidationError as exc:
            raise _fail(exc, Message("nothing was imported")) from None
    for warning in summary.warnings:
        console.print(Text(text(Message("warning")) + ": ", style="yellow") + Text(text(warning)))
    say(summary.line())
    if schema is PINGS:  # the presence of the unit-days it touched, now rather than on the first page
        keep_presence(store, build_settings(db))


def _import_presence_log(file: Path, db: Path | None) -> None:
    """``stadskarna import presence-log FILE``: counted in every presence figure from now on."""
    from service.store import Conflict

    store = _open_store(db)
    try:
        summary = import_presence_log(store, file, read_zones(build_settings(db).geography.zones)["zone_id"].tolist())
    except (ValidationError, Conflict) as exc:
        raise _fail(exc, Message("nothing was imported")) from None
    say(summary.line())


def _import_survey(file: Path, places: Path | None, db: Path | None) -> None:
    """``stadskarna import survey FILE [--places FILE]``: the file's year replaces that year's survey."""
    store = _open_store(db)
    say(Message("reading the survey {file}", file=file.name), err=True)
    try:
        done = import_survey(store, read_zones(build_settings(db).geography.zones)["zone_id"].tolist(), file, places)
    except ValidationError as exc:
        raise _fail(exc, Message("nothing was imported")) from None
    say(done.line())


def _import_surfaces(kind: str, file: Path, db: Path | None) -> None:
    """``stadskarna import buildings|water FILE``: the file's polygons replace the stored ones of that kind."""
    store = _open_store(db)
    try:
        surfaces = read_surfaces(kind, file)
    except ValidationError as exc:
        raise _fail(exc, Message("nothing was imported")) from None
    result = store.replace_surfaces(kind, surfaces, source=file.name)
    say(Message("{kind}: {inserted} polygons stored from {file}, replacing {deleted}", kind=kind,
                inserted=result.inserted, file=file.name, deleted=result.deleted))


def export_command(
        layer: Annotated[str, typer.Argument(help=text(Message("Layer: incidents, lights, reports, patrols or events; or gis: every "
                                                               "layer a role may see, styled, in one GeoPackage for QGIS.")))],
        file: Annotated[Path, typer.Argument(help=text(Message("Output file: .geojson, .gpkg, .parquet or .csv; gis: .gpkg "
                                                               "(must not exist).")))],
        include_contact: Annotated[bool, typer.Option(
            "--include-contact", help=text(Message("Reports: include reporters' private contact details (never in gis).")))] = False,
        role: Annotated[Optional[str], typer.Option(
            help=text(Message("gis: whom the package is for: {roles} (default {role}).",
                              roles=", ".join(PACKAGE_ROLES), role=PUBLIC)))] = None,
        db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Export a layer to GeoJSON (RFC 7946), GeoPackage, GeoParquet or CSV; or (gis) every layer a role
    may see, as the API gives it to that role, in one GeoPackage with QGIS styles."""
    if layer == GIS:
        return _export_gis(file, role or PUBLIC, include_contact, db, zones, streets)
    if role is not None or zones is not None or streets is not None:
        raise _fail(Message("--role, --zones and --streets apply to `stadskarna export gis` only"))
    schema = _schema(layer)
    store = _open_store(db)
    frame = store.read_pings() if schema is PINGS else store.read_features(schema, include_private=include_contact)
    try:
        written = write_layer(frame, schema, file, include_private=include_contact)
    except ValidationError as exc:
        raise _fail(exc) from None
    say(Message("{layer}: {count} rows written to {file}", layer=layer, count=written, file=str(file)))


def _export_gis(file: Path, role: str, include_contact: bool, db: Path | None, zones: Path | None,
                streets: Path | None) -> None:
    """``stadskarna export gis FILE.gpkg --role ROLE``: the layers the role may see, styled for QGIS."""
    from geo.streets import read_streets
    from service.gis_export import export_gis, synthetic_note

    if include_contact:
        raise _fail(Message("a GIS package never holds reporters' contact details; export the reports layer "
                            "with --include-contact instead (stadskarna export reports FILE --include-contact)"))
    if role not in PACKAGE_ROLES:
        raise _fail(Message("unknown role {role!r}: choose one of {roles}", role=role, roles=", ".join(PACKAGE_ROLES)))
    settings = build_settings(db, zones, streets)
    streets_path = settings.geography.streets_path()
    try:
        zone_frame = read_zones(settings.geography.zones)
        street_frame = read_streets(streets_path) if streets_path else None
    except ValidationError as exc:
        raise _fail(exc) from None
    store = _open_store(settings.store.db)
    try:
        counts = export_gis(store, zone_frame, street_frame, role, file)
    except ValidationError as exc:
        raise _fail(exc) from None
    say(Message("GIS package for {role} written to {file}: {layers}; each layer has its QGIS style (layer_styles)",
                role=role, file=str(file), layers=", ".join(f"{name} {figure(n)}" for name, n in counts.items())))
    note = synthetic_note(store)
    if note:
        console.print(note, highlight=False)


def demo(seed: Annotated[Optional[int], typer.Option(help=text(Message(
             "Random seed: the same seed gives the same data (default: each year's own; without --year the first "
             "year gets it and each later year one more per year).")))] = None,
         year: Annotated[Optional[int], typer.Option(help=text(Message(
             "Load only this year (default: every demo year, 2020 and 2021).")), min=YEARS[0], max=YEARS[1])] = None,
         if_empty: Annotated[bool, typer.Option("--if-empty", help=text(Message("Do nothing when the database holds data.")))] = False,
         force: Annotated[bool, typer.Option(
             "--force", help=text(Message("Load it even into a database that holds real (not synthetic) data.")))] = False,
         db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Load deterministic SYNTHETIC demo data (incidents, lights, reports, patrols) for the demo
    years, or one year. A database holding records that are not demo data is refused unless --force."""
    from geo.demo import SOURCE, demo_data, demo_years
    from geo.streets import read_streets
    from service.demo import DEMO_ACTOR, programme_lamps, store_demo

    settings = build_settings(db, zones, streets)
    store = _open_store(settings.store.db)
    if if_empty and not store.is_empty():
        say(Message("{db} holds data already; no demo data loaded.", db=str(settings.store.db)))
        return
    if not force:
        real = {name: n for name, n in store.records_not_from(SOURCE).items() if n}
        if real:
            raise _fail(Message("{db} holds data that is not synthetic demo data ({records}); demo data would be "
                                "mixed into it. Give another database with --db, or --force to load it anyway",
                                db=str(settings.store.db),
                                records=", ".join(text(_records(name, n)) for name, n in real.items())))
    streets_path = settings.geography.streets_path()
    if streets_path is None:
        raise _fail(Message("demo data needs a streets file (--streets or streets.geojson beside the zones file)"))
    try:
        zone_frame, street_frame = read_zones(settings.geography.zones), read_streets(streets_path)
    except ValidationError as exc:
        raise _fail(exc) from None
    chosen = demo_years(year, seed)
    with _progress() as bar:
        task = bar.add_task(text(Message("synthetic demo data")), total=float(len(chosen)))
        for done, options in enumerate(chosen):
            def step(name: str, fraction: float, start: float = done, share: float = 0.7) -> None:
                bar.update(task, description=f"{options.year}: {name}", completed=start + fraction * share)

            data = demo_data(zone_frame, street_frame, year=options.year, seed=options.seed, progress=step,
                             options=options)
            for line in store_demo(store, data, options.seed, options.year, zone_frame["zone_id"].tolist(),
                                   progress=lambda name, fraction, start=done + 0.7: step(name, fraction, start, 0.3)):
                say(line)
            lamps = programme_lamps(settings.promises.dir, options.year)
            if lamps is not None:
                stored = store.write_features(LIGHTS, lamps, DEMO_ACTOR)
                say(Message("lights: {inserted} synthetic lamps of the lighting programme's measures done in {year} "
                            "stored, {updated} updated", inserted=stored.inserted, updated=stored.updated,
                            year=options.year))
            say(Message("SYNTHETIC demo data for {year} (seed {seed}) loaded into {db}; every record has source "
                        "'synthetic'.", year=options.year, seed=options.seed, db=str(settings.store.db)))
    keep_presence(store, settings)

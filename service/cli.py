"""The ``stadskarna`` command: serve the service and work with the centre's data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from geo.errors import ValidationError
from geo.io.export import write_layer
from geo.layers import LAYERS, PINGS
from geo.zones import read_zones, zone_areas_m2
from service.imports import import_file
from service.settings import GeographySettings, Settings, StoreSettings
from service.store import SQLiteStore, StoreError

app = typer.Typer(help="Trygg stadskärna: Halmstad's city-centre citizen promise, measured and mapped.",
                  no_args_is_help=True)
zones_app = typer.Typer(help="The centre's zones.", no_args_is_help=True)
app.add_typer(zones_app, name="zones")
console = Console()
errors = Console(stderr=True)

DbOption = Annotated[Optional[Path], typer.Option(
    "--db", help="SQLite database file (env STADSKARNA_DB; default ./stadskarna.sqlite)")]
ZonesOption = Annotated[Optional[Path], typer.Option(
    "--zones", help="Zones GeoJSON (env STADSKARNA_ZONES; default data/stadskarna.geojson)")]
StreetsOption = Annotated[Optional[Path], typer.Option(
    "--streets", help="Streets GeoJSON (env STADSKARNA_STREETS; default streets.geojson beside the zones file)")]


def _fail(exc: Exception | str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
    return typer.Exit(code=2)


def build_settings(db: Path | None = None, zones: Path | None = None, streets: Path | None = None) -> Settings:
    """Settings from the environment, overridden by the options that were given."""
    store = StoreSettings(**({"db": db} if db else {}))
    geography = GeographySettings(**{k: v for k, v in {"zones": zones, "streets": streets}.items() if v})
    return Settings(store=store, geography=geography)


@app.command()
def serve(host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
          db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Run the web service (maps and API) until interrupted."""
    import uvicorn

    from service.app import create_app

    settings = build_settings(db, zones, streets)
    try:
        application = create_app(settings)
    except (ValidationError, StoreError) as exc:
        raise _fail(exc) from None
    console.print(f"Serving Trygg stadskärna at http://{host}:{port} (database {settings.store.db}, "
                  f"zones {settings.geography.zones})")
    uvicorn.run(application, host=host, port=port)


@zones_app.command("check")
def zones_check(path: Annotated[Path, typer.Argument(help="Zones GeoJSON file to validate.")]) -> None:
    """Validate a zones file as strictly as the service does, and list its zones."""
    try:
        frame = read_zones(path)
    except ValidationError as exc:
        raise _fail(exc) from None
    areas = zone_areas_m2(frame)
    table = Table(title=f"{path}: {len(frame)} zones, {areas.sum() / 1e6:.3f} km²")
    for column in ("zone_id", "name", "kind", "class", "area m²"):
        table.add_column(column, justify="right" if column == "area m²" else "left")
    for row, area in zip(frame.itertuples(), areas):
        table.add_row(row.zone_id, row.name, row.kind, row.lighting_class, f"{area:,.0f}")
    console.print(table)
    metadata = frame.attrs["metadata"]
    if metadata.get("approximate"):
        console.print("Note: the file says its geometry is approximate.")
    if metadata.get("source"):
        console.print(f"Source: {metadata['source']}", highlight=False)


LayerArgument = Annotated[str, typer.Argument(help="Layer: incidents, lights, reports or patrols.")]


def _open_store(db: Path | None) -> SQLiteStore:
    try:
        return SQLiteStore(build_settings(db).store.db)
    except StoreError as exc:
        raise _fail(exc) from None


def _schema(layer: str):
    if layer not in LAYERS:
        raise _fail(ValueError(f"unknown layer {layer!r}: choose one of {', '.join(LAYERS)}"))
    return LAYERS[layer]


@app.command("import")
def import_command(
        layer: LayerArgument,
        file: Annotated[Path, typer.Argument(help="CSV, GeoJSON, police events JSON, GeoPackage or GPX file.")],
        crs: Annotated[Optional[str], typer.Option(help="CRS of a CSV file's x/y columns, e.g. EPSG:3006.")] = None,
        unit: Annotated[Optional[str], typer.Option(help="GPX: the patrol unit's id (default: file name).")] = None,
        mode: Annotated[Optional[str], typer.Option(help="GPX: how the unit moved: foot, bike or car.")] = None,
        crew: Annotated[Optional[int], typer.Option(help="GPX: officers in the unit (default 1).")] = None,
        db: DbOption = None) -> None:
    """Import a file into a layer: all rows valid, or nothing is stored."""
    schema = _schema(layer)
    store = _open_store(db)
    with _progress() as bar:
        task = bar.add_task(f"import {layer}", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"{step} {file.name}", completed=done, total=total)

        try:
            summary = import_file(store, schema, file, progress=progress, crs=crs, unit_id=unit, mode=mode, crew=crew)
        except ValidationError as exc:
            raise _fail(f"{exc}\nnothing was imported") from None
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    console.print(summary.line(), highlight=False)


@app.command("export")
def export_command(
        layer: LayerArgument,
        file: Annotated[Path, typer.Argument(help="Output file: .geojson, .gpkg or .csv (must not exist).")],
        include_contact: Annotated[bool, typer.Option(
            "--include-contact", help="Reports: include reporters' private contact details.")] = False,
        db: DbOption = None) -> None:
    """Export a layer to GeoJSON (RFC 7946), GeoPackage or CSV."""
    schema = _schema(layer)
    store = _open_store(db)
    frame = store.read_pings() if schema is PINGS else store.read_features(schema, include_private=include_contact)
    try:
        written = write_layer(frame, schema, file, include_private=include_contact)
    except ValidationError as exc:
        raise _fail(exc) from None
    console.print(f"{layer}: {written} rows written to {file}", highlight=False)


@app.command()
def demo(seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 2020,
         year: Annotated[int, typer.Option(help="Year of the demo data.")] = 2020,
         if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when the database holds data.")] = False,
         db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Load deterministic SYNTHETIC demo data (incidents, lights, reports, patrols) for a year."""
    from geo.demo import demo_data
    from geo.streets import read_streets
    from service.demo import store_demo

    settings = build_settings(db, zones, streets)
    store = _open_store(settings.store.db)
    if if_empty and not store.is_empty():
        console.print(f"{settings.store.db} holds data already; no demo data loaded.", highlight=False)
        return
    streets_path = settings.geography.streets_path()
    if streets_path is None:
        raise _fail(ValueError("demo data needs a streets file (--streets or streets.geojson beside the zones file)"))
    try:
        zone_frame, street_frame = read_zones(settings.geography.zones), read_streets(streets_path)
    except ValidationError as exc:
        raise _fail(exc) from None
    with _progress() as bar:
        task = bar.add_task("synthetic demo data", total=1.0)
        data = demo_data(zone_frame, street_frame, year=year, seed=seed,
                         progress=lambda step, fraction: bar.update(task, description=step, completed=fraction * 0.7))
        for line in store_demo(store, data, seed, year,
                               progress=lambda step, fraction: bar.update(task, description=step,
                                                                          completed=0.7 + fraction * 0.3)):
            console.print(line, highlight=False)
    console.print(f"SYNTHETIC demo data for {year} (seed {seed}) loaded into {settings.store.db}; "
                  "every record has source 'synthetic'.", highlight=False)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                    console=errors, transient=True)


def main() -> None:
    """Entry point of the console script."""
    app()

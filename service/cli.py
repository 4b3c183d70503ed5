"""The ``stadskarna`` command: serve the service and work with the centre's data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from geo.errors import ValidationError
from geo.zones import read_zones, zone_areas_m2
from service.settings import GeographySettings, Settings, StoreSettings
from service.store import StoreError

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


def _fail(exc: Exception) -> typer.Exit:
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


def main() -> None:
    """Entry point of the console script."""
    app()

"""The ``stadskarna`` command: serve the service and work with the centre's data.

``app`` gathers the commands of the modules beside this one. ``stadskarna --help`` lists them in
the order they are registered here: the single commands first, then the groups.
"""

from __future__ import annotations

import typer

from geo.errors import Message
from service.cli import (archive, backups, cameras, coverage, data, lagesbild, lighting, outcomes, pages, presence, promises, serve,
                         tokens, users, zones)
from service.cli.common import build_settings, print_error, text
from service.store import StoreError

__all__ = ["app", "build_settings", "main"]

app = typer.Typer(help=text(Message("Trygg stadskärna: Halmstad's city-centre citizen promise, measured and mapped.")),
                  no_args_is_help=True)
app.add_typer(zones.zones_app, name="zones")
app.add_typer(coverage.coverage_app, name="coverage")
app.add_typer(presence.presence_app, name="presence")
app.add_typer(tokens.token_app, name="token")
app.add_typer(users.user_app, name="user")
app.add_typer(promises.promises_app, name="promises")
app.add_typer(lighting.lighting_app, name="lighting")
app.add_typer(outcomes.outcomes_app, name="outcomes")
app.add_typer(cameras.cameras_app, name="cameras")
app.add_typer(archive.archive_app, name="archive")
app.command(help=text(Message(
    "Run the web service (maps and API) until interrupted.")))(serve.serve)
app.command("map", help=text(Message(
    "Write a map as one self-contained HTML file (Leaflet inlined; opens without the service).")))(pages.map_command)
app.command("report", help=text(Message(
    "Write the yearly follow-up of the medborgarlöfte as one self-contained HTML file (charts and public maps "
    "embedded; opens without the service; set STADSKARNA_MAP_TILES=none for no network at all).")))(pages.report_command)
app.command("import", help=text(Message(
    "Import a file into a layer: all rows valid, or nothing is stored.")))(data.import_command)
app.command("export", help=text(Message(
    "Export a layer to GeoJSON (RFC 7946), GeoPackage, GeoParquet or CSV; or (gis) every layer a role may see, as the"
    " API gives it to that role, in one GeoPackage with QGIS styles.")))(data.export_command)
app.command(help=text(Message(
    "Load deterministic SYNTHETIC demo data (incidents, lights, reports, patrols) for the demo years, 2020 and "
    "2021, or one year. A database holding records that are not demo data is refused unless --force.")))(data.demo)
app.command("backup", help=text(Message("Copy the database to FILE while the service runs and writes: a consistent "
                                        "snapshot of the last commit (SQLite's online backup API), checked (integrity"
                                        " check, schema) before it gets its name.")))(backups.backup_command)
app.command("restore", help=text(Message("Replace the database's contents with the backup FILE, in place: a running "
                                         "service keeps working and sees the restored data. FILE is checked first "
                                         "(integrity, a Trygg stadskärna database, schema not newer than this "
                                         "program; an older one is migrated), and a safety copy of the current "
                                         "database is kept beside it. Tokens revoked in the current database stay "
                                         "revoked.")))(backups.restore_command)
app.command("lagesbild", help=text(Message("The week's lägesbild (EST): per zone incidents, new reports, unsafe-place"
                                           " pins and police presence against the four weeks before, and the three "
                                           "zones that most need attention.")))(lagesbild.lagesbild_command)


def main() -> None:
    """Entry point of the console script: file-system and GDAL errors end with a message, not a traceback."""
    from pyogrio.errors import DataSourceError
    from rasterio.errors import RasterioIOError

    try:
        app()
    except (OSError, DataSourceError, RasterioIOError, StoreError) as exc:
        print_error(exc)
        raise SystemExit(2) from None

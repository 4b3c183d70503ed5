"""The ``stadskarna`` command: serve the service and work with the centre's data.

``app`` gathers the commands of the modules beside this one. ``stadskarna --help`` lists them in
the order they are registered here: the single commands first, then the groups.
"""

from __future__ import annotations

import typer

from service.cli import (backups, coverage, data, lagesbild, lighting, pages, presence, promises, serve, tokens, users,
                         zones)
from service.cli.common import build_settings, print_error
from service.store import StoreError

__all__ = ["app", "build_settings", "main"]

app = typer.Typer(help="Trygg stadskärna: Halmstad's city-centre citizen promise, measured and mapped.",
                  no_args_is_help=True)
app.add_typer(zones.zones_app, name="zones")
app.add_typer(coverage.coverage_app, name="coverage")
app.add_typer(presence.presence_app, name="presence")
app.add_typer(tokens.token_app, name="token")
app.add_typer(users.user_app, name="user")
app.add_typer(promises.promises_app, name="promises")
app.add_typer(lighting.lighting_app, name="lighting")
app.command()(serve.serve)
app.command("map")(pages.map_command)
app.command("report")(pages.report_command)
app.command("import")(data.import_command)
app.command("export")(data.export_command)
app.command()(data.demo)
app.command("backup")(backups.backup_command)
app.command("restore")(backups.restore_command)
app.command("lagesbild")(lagesbild.lagesbild_command)


def main() -> None:
    """Entry point of the console script: file-system and GDAL errors end with a message, not a traceback."""
    from pyogrio.errors import DataSourceError
    from rasterio.errors import RasterioIOError

    try:
        app()
    except (OSError, DataSourceError, RasterioIOError, StoreError) as exc:
        print_error(exc)
        raise SystemExit(2) from None

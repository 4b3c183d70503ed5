"""``stadskarna archive``: the stored layers as a GeoParquet archive partitioned by year and month."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geo.errors import Message, ValidationError
from geo.layers import PINGS
from service.cli.common import DbOption, _fail, _open_store, _progress, figure, say, text

archive_app = typer.Typer(help=text(Message("The stored layers as GeoParquet in folders by year and month (Hive layout), "
                                            "for analysts (DuckDB, GeoPandas, QGIS) and the distributed presence.")),
                          no_args_is_help=True)
DirArgument = Annotated[Path, typer.Argument(help=text(Message("The archive's folder (made when missing).")))]


@archive_app.command("pings", help=text(Message("Write the patrol pings into the archive DIR, a UTC month at a time.")))
def archive_pings(directory: DirArgument, db: DbOption = None) -> None:
    """Write the patrol pings into the archive DIR, a UTC month at a time."""
    _write(directory, (PINGS,), db)


@archive_app.command("layers", help=text(Message("Write the other layers (incidents, reports without contacts, events, "
                                                 "lights, cameras) into the archive DIR.")))
def archive_layers(directory: DirArgument, db: DbOption = None) -> None:
    """Write the other layers (incidents, reports without contacts, events, lights, cameras) into the archive DIR."""
    from service.archive import ARCHIVE_LAYERS

    _write(directory, tuple(schema for schema in ARCHIVE_LAYERS if schema is not PINGS), db)


def _write(directory: Path, schemas: tuple, db: Path | None) -> None:
    from service.archive import write_archive

    store = _open_store(db)
    with _progress() as bar:
        task = bar.add_task(text(Message("archive")), total=None)

        def progress(layer: str, done: int, total: int) -> None:
            bar.update(task, description=layer, completed=done, total=total)

        try:
            written = write_archive(store, directory, schemas, progress)
        except ValidationError as exc:
            raise _fail(exc, Message("nothing was written")) from None
    for layer, rows in written.items():
        say(Message("{layer}: {rows} rows written to {path}", layer=layer, rows=figure(rows),
                    path=str(directory / layer)))

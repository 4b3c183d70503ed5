"""``stadskarna zones``: check a zones file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from geo.errors import ValidationError
from geo.zones import read_zones, zone_areas_m2
from service.cli.common import _fail, console

zones_app = typer.Typer(help="The centre's zones.", no_args_is_help=True)


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

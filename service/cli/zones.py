"""``stadskarna zones``: check a zones file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geo.errors import Message, ValidationError
from geo.zones import read_zones, zone_areas_m2
from service.cli.common import _fail, console, figure, say, table, text

zones_app = typer.Typer(help=text(Message("The centre's zones.")), no_args_is_help=True)


@zones_app.command("check",
                   help=text(Message('Validate a zones file as strictly as the service does, and list its zones.')))
def zones_check(path: Annotated[Path, typer.Argument(help=text(Message("Zones GeoJSON file to validate.")))]) -> None:
    """Validate a zones file as strictly as the service does, and list its zones."""
    try:
        frame = read_zones(path)
    except ValidationError as exc:
        raise _fail(exc) from None
    areas = zone_areas_m2(frame)
    area = Message("area m²")
    listed = table(Message("{path}: {count} zones, {km2} km²", path=str(path), count=len(frame),
                           km2=figure(areas.sum() / 1e6, 3)),
                   Message("zone_id"), Message("name"), Message("kind"), Message("class"), area, right=(area,))
    for row, m2 in zip(frame.itertuples(), areas):
        listed.add_row(row.zone_id, row.name, row.kind, row.lighting_class, figure(m2))
    console.print(listed)
    metadata = frame.attrs["metadata"]
    if metadata.get("approximate"):
        say(Message("Note: the file says its geometry is approximate."))
    if metadata.get("source"):
        say(Message("Source: {source}", source=str(metadata["source"])))

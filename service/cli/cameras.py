"""``stadskarna cameras``: camera surveillance — the printable drawing of a camera's recorded area."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from geo.errors import Message, ValidationError
from geo.io.files import new_file
from geo.timestamps import LOCAL_TZ
from service.cli.common import DbOption, StreetsOption, ZonesOption, _fail, build_settings, say, text
from service.cli.pages import _context
from service.errors import NoSuchThing

cameras_app = typer.Typer(help=text(Message("Camera surveillance: what the cameras see.")), no_args_is_help=True)
DRAWING_KINDS = {".png": "png", ".pdf": "pdf"}


@cameras_app.command("drawing", help=text(Message(
    "Write the printable drawing (A4) of a camera's recorded area: streets, buildings, its view polygon, scale bar, "
    "north arrow, the camera's data and today's date.")))
def drawing_command(camera_id: Annotated[str, typer.Argument(help=text(Message("The camera's id.")))],
                    output: Annotated[Path, typer.Option("-o", "--output", help=text(Message(
                        "PNG or PDF file to write (must not exist).")))],
                    db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Write the drawing of the camera ``camera_id`` to ``output`` (.png or .pdf)."""
    from service.cameras import camera_drawing

    kind = DRAWING_KINDS.get(output.suffix.lower())
    if kind is None:
        raise _fail(Message("the drawing is written as .png or .pdf, not {suffix!r}", suffix=output.suffix))
    settings = build_settings(db, zones, streets)
    try:
        new_file(output)
        body = camera_drawing(_context(settings), camera_id, kind, pd.Timestamp.now(tz=LOCAL_TZ).date())
    except (ValidationError, NoSuchThing) as exc:
        raise _fail(exc) from None
    output.write_bytes(body)
    say(Message("drawing of camera {camera_id} written to {path}", camera_id=camera_id, path=str(output)))

"""``stadskarna map`` and ``stadskarna report``: write self-contained HTML pages."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from geo.errors import Message, ValidationError
from geo.io.files import new_file
from geo.layers import validate
from geo.timestamps import YEARS
from service.cli.common import (DbOption, StreetsOption, ZonesOption, _fail, _supported_day, build_settings, errors,
                                figure, say, text)
from service.settings import Settings
from service.store import StoreError

if TYPE_CHECKING:
    from service.context import Context


def map_command(kind: Annotated[str, typer.Argument(help=text(Message("overview, planner, lighting, police or cameras.")))],
                output: Annotated[Path, typer.Option("-o", "--output", help=text(Message("HTML file to write (must not exist).")))],
                year: Annotated[Optional[int], typer.Option(help=text(Message("Year of the data (default: the latest).")),
                                                              min=YEARS[0], max=YEARS[1])] = None,
                proposed: Annotated[Optional[Path], typer.Option(
                    help=text(Message("Lighting map: proposed lamps (a lights file) to show and light.")))] = None,
                day: Annotated[Optional[datetime], typer.Option(
                    formats=["%Y-%m-%d"], callback=_supported_day, help=text(Message("Police map: the day of the track to show.")))] = None,
                unit: Annotated[Optional[str], typer.Option(help=text(Message("Police map: the unit whose track to show.")))] = None,
                db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Write a map as one self-contained HTML file (Leaflet inlined; opens without the service)."""
    from service.maps import MAP_KINDS, MAP_TITLES, build_map, standalone_html
    from service.security import with_meta_policy

    if kind not in MAP_KINDS:
        raise _fail(Message("unknown map {kind!r}: choose one of {kinds}", kind=kind, kinds=", ".join(MAP_KINDS)))
    settings = build_settings(db, zones, streets)
    try:
        new_file(output)
        state = _context(settings)
        lamps = None
        if proposed is not None:
            from geo.layers import LIGHTS
            from service.imports import read_layer_file

            lamps = validate(LIGHTS, read_layer_file(LIGHTS, proposed).raw, str(proposed))
        with errors.status(text(Message("building the {kind} map", kind=kind))):
            fmap = build_map(kind, state, year, lamps, day.date() if day else None, unit)
    except ValidationError as exc:
        raise _fail(exc) from None
    page = standalone_html(fmap, MAP_TITLES[kind])
    output.write_text(with_meta_policy(page.html, settings.maps, page.scripts), encoding="utf-8")
    say(Message("{kind} map written to {path}", kind=kind, path=str(output)))


def _context(settings: Settings) -> Context:
    """The service's context (zones, streets, store) for a command that builds pages."""
    from service.context import Context

    try:
        return Context.open(settings)
    except StoreError as exc:
        raise _fail(exc) from None


def report_command(year: Annotated[int, typer.Argument(help=text(Message("The promises' year, e.g. 2020.")), min=YEARS[0], max=YEARS[1])],
                   output: Annotated[Path, typer.Option("-o", "--output", help=text(Message(
                       "HTML file to write (must not exist); a name ending in .pdf writes a PDF for the archive.")))],
                   as_of: Annotated[Optional[datetime], typer.Option(
                       formats=["%Y-%m-%d"], callback=_supported_day, help=text(Message("Follow up to this date (default: the year's end, or today).")))] = None,
                   db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Write the yearly follow-up of the medborgarlöfte as one self-contained HTML file (charts and
    public maps embedded; opens without the service; set STADSKARNA_MAP_TILES=none for no network at all),
    or as PDF (the maps as static images, with where to find the interactive ones)."""
    from service.promise_page import yearly_report_html, yearly_report_pdf
    from service.promises import NoPromises, load_year

    settings = build_settings(db, zones, streets)
    try:
        new_file(output)
        promises = load_year(settings.promises.dir, year)
        state = _context(settings)
        build = yearly_report_pdf if output.suffix.lower() == ".pdf" else yearly_report_html
        with errors.status(text(Message("building the report"))) as status:
            written = build(state, promises, as_of.date() if as_of else None, lambda message: status.update(message))
    except (ValidationError, NoPromises) as exc:
        raise _fail(exc) from None
    content = written if isinstance(written, bytes) else written.encode()
    output.write_bytes(content)
    say(Message("follow-up of the {year} promises written to {path} ({size} MB)", year=year, path=str(output),
                size=figure(len(content) / 1e6, 1)))

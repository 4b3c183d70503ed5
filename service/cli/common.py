"""What the commands share: the consoles, the common options, settings, the store and error exits."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from geo.errors import Message
from geo.layers import CAMERAS, EVENTS, INCIDENTS, LIGHTS, PINGS, REPORTS
from geo.swedish import sv_number, sv_signed
from geo.timestamps import SUPPORTED_DATES, SUPPORTED_END, SUPPORTED_START
from service.errors import message_of
from service.i18n import cli_language, translate
from service.settings import GeographySettings, Settings, StoreSettings, settings_problem
from service.store import Store, StoreError, open_store

PIPE_WIDTH = 200
"""Columns of the output when it goes to a file or a pipe (no terminal to fit): tables keep whole cells."""
# text from files and users is never read as markup; lines are not wrapped (a terminal wraps them itself)
console = Console(markup=False, highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else PIPE_WIDTH)
errors = Console(stderr=True, markup=False, highlight=False, soft_wrap=True,
                 width=None if sys.stderr.isatty() else PIPE_WIDTH)


def language() -> str:
    """The language of everything the command prints for people: the locale's
    (:func:`service.i18n.cli_language`), Swedish for ``sv_SE.UTF-8``, English otherwise."""
    return cli_language(os.environ)


def text(message: str) -> str:
    """``message`` (a :class:`Message`) in the command line's language."""
    return translate(message, language())


def say(message: str, err: bool = False) -> None:
    """Print ``message`` for people in the command line's language, on stdout (stderr ``err``)."""
    (errors if err else console).print(text(message), highlight=False)


DbOption = Annotated[Optional[Path], typer.Option(
    "--db", help=text(Message("The embedded database file (env STADSKARNA_DB; default ./stadskarna.gpkg); a GeoPackage that "
                              "QGIS and GDAL open as it is when its name ends in .gpkg")))]
ZonesOption = Annotated[Optional[Path], typer.Option(
    "--zones", help=text(Message("Zones GeoJSON (env STADSKARNA_ZONES; default data/stadskarna.geojson)")))]
StreetsOption = Annotated[Optional[Path], typer.Option(
    "--streets", help=text(Message("Streets GeoJSON (env STADSKARNA_STREETS; default streets.geojson beside the zones file)")))]


def figure(value: float | None, decimals: int = 0) -> str:
    """A figure for people in the command line's language: Swedish with a decimal comma
    (:func:`geo.swedish.sv_number`), English with a thousands comma (``2,175``, ``1.5``); ``–`` for None."""
    if value is None:
        return "–"
    if language() == "sv":
        return sv_number(value, decimals)
    return f"{value:,.{decimals}f}"


def signed(value: float, decimals: int = 2) -> str:
    """A change for people in the command line's language, with its sign: ``+3,5``, ``−2``, ``±0``
    (:func:`geo.swedish.sv_signed`), in English ``+3.5``, ``-2``, ``±0``."""
    if language() == "sv":
        return sv_signed(value, decimals)
    text = f"{value:+,.{decimals}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "±0" if text in ("+0", "-0") else text


def named(code: str, names: Mapping[str, str]) -> str:
    """A code (a role, a status) as people read it: its Swedish name from its table in Swedish
    output, the code in English."""
    return names.get(code, code) if language() == "sv" else code


def table(title: str, *columns: str, right: tuple[str, ...] = ()) -> Table:
    """A table titled ``title`` with the headings ``columns`` (Messages), in the command line's
    language; the columns in ``right`` (the same Messages) are right-aligned."""
    grid = Table(title=text(title))
    for column in columns:
        grid.add_column(text(column), justify="right" if column in right else "left")
    return grid


def _supported_day(value: datetime | None) -> datetime | None:
    """A date option inside the supported range of times (1900–2199), or a usage error."""
    if value is not None and not SUPPORTED_START.date() <= value.date() < SUPPORTED_END.date():
        raise typer.BadParameter(f"{value.date()} is outside the supported dates, {SUPPORTED_DATES}")
    return value


def _fail(exc: Exception | str, *then: str) -> typer.Exit:
    """Print the error (and the lines ``then``) and return the exit (status 2) for the command to raise."""
    print_error(exc, *then)
    return typer.Exit(code=2)


def print_error(exc: Exception | str, *then: str) -> None:
    """The error and the lines ``then`` on stderr, in the locale's language
    (:func:`service.i18n.cli_language`)."""
    message = exc if isinstance(exc, str) else message_of(exc)
    errors.print(Text(text(Message("error")) + ": ", style="bold red")
                 + Text("\n".join(text(line) for line in (message, *then))))


def build_settings(db: Path | None = None, zones: Path | None = None, streets: Path | None = None) -> Settings:
    """Settings from the environment, overridden by the options that were given; a variable the
    environment got wrong ends the command with a message naming it (:func:`settings_problem`)."""
    try:
        store = StoreSettings(**({"db": db} if db else {}))
        geography = GeographySettings(**{k: v for k, v in {"zones": zones, "streets": streets}.items() if v})
        return Settings(store=store, geography=geography)
    except ValidationError as exc:
        problem = settings_problem(exc)
        if problem is None:
            raise
        raise _fail(problem) from None


def _open_store(db: Path | None) -> Store:
    """The store of the ``--db`` option (or the environment), or an error exit."""
    try:
        return open_store(build_settings(db).store)
    except StoreError as exc:
        raise _fail(exc) from None


def _progress() -> Progress:
    """A progress bar on stderr that disappears when done."""
    return Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                    console=errors, transient=True)


_RECORDS: dict[str, Callable[[bool, str], Message]] = {
    INCIDENTS.name: lambda one, count: (Message("{count} incident", count=count) if one
                                        else Message("{count} incidents", count=count)),
    LIGHTS.name: lambda one, count: (Message("{count} light", count=count) if one
                                     else Message("{count} lights", count=count)),
    REPORTS.name: lambda one, count: (Message("{count} report", count=count) if one
                                      else Message("{count} reports", count=count)),
    PINGS.name: lambda one, count: (Message("{count} patrol ping", count=count) if one
                                    else Message("{count} patrol pings", count=count)),
    EVENTS.name: lambda one, count: (Message("{count} event", count=count) if one
                                     else Message("{count} events", count=count)),
    CAMERAS.name: lambda one, count: (Message("{count} camera", count=count) if one
                                      else Message("{count} cameras", count=count)),
}
"""A layer's records in words, one or more, by the layer's name."""


def _records(name: str, n: int) -> Message:
    """``1 report``, ``2,175 incidents``, ``3,600 patrol pings`` (Swedish: ``2 175 brott``)."""
    return _RECORDS[name](n == 1, figure(n))

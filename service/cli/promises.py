"""``stadskarna promises``: check a year's promises file, record a promise's status."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer

from geo.errors import Message, ValidationError
from geo.timestamps import LOCAL_TZ, YEARS
from service.cli.common import DbOption, _fail, _open_store, _supported_day, build_settings, named, say, text
from service.store import Actor

promises_app = typer.Typer(help=text(Message("The medborgarlöften: check a year's file, record a status.")), no_args_is_help=True)


@promises_app.command("check",
                      help=text(Message("Check a promises file against the schema and the zones (STADSKARNA_ZONES); "
                                        "names the promise and field of any problem.")))
def promises_check(path: Annotated[Path, typer.Argument(help=text(Message("A year's promises file (YAML or JSON).")))]) -> None:
    """Check a promises file against the schema and the zones (STADSKARNA_ZONES); names the
    promise and field of any problem."""
    from geo.promises import read_promises
    from geo.zones import read_zones
    from service.promises import check_zone_shares

    try:
        promises = read_promises(path)
        check_zone_shares(promises, read_zones(build_settings().geography.zones), str(path))
    except ValidationError as exc:
        raise _fail(exc) from None
    kinds = pd.Series([p.measure.kind for p in promises.promises]).value_counts()
    say(Message("{path}: {count} promises for {year} ({kinds})", path=str(path), count=len(promises.promises),
                year=promises.year, kinds=", ".join(f"{n} {kind}" for kind, n in kinds.items())))


@promises_app.command("status",
                      help=text(Message("Record the status of a promise that staff follow up (the same rules as the "
                                        "API).")))
def promises_status(year: Annotated[int, typer.Argument(help=text(Message("The promises' year.")), min=YEARS[0], max=YEARS[1])],
                    promise_id: Annotated[str, typer.Argument(help=text(Message("The promise's id, e.g. purple-flag.")))],
                    status: Annotated[str, typer.Option(help=text(Message("met, on track, behind or not met.")))],
                    note: Annotated[str, typer.Option(help=text(Message("What the status rests on.")))],
                    role: Annotated[str, typer.Option(help=text(Message("Who records it: municipality or police.")))],
                    day: Annotated[Optional[datetime], typer.Option(
                        "--date", formats=["%Y-%m-%d"], callback=_supported_day, help=text(Message("The date the status holds from (default today).")))] = None,
                    db: DbOption = None) -> None:
    """Record the status of a promise that staff follow up (the same rules as the API)."""
    from geo.promises import UnknownPromise
    from service.errors import Forbidden
    from service.promises import NoPromises, load_year, record_status

    settings = build_settings(db)
    try:
        promises = load_year(settings.promises.dir, year)
        record = record_status(_open_store(db), promises, promise_id,
                               day.date() if day else pd.Timestamp.now(tz=LOCAL_TZ).date(), status, note,
                               Actor(role, "command line"))
    except (ValidationError, NoPromises, UnknownPromise, Forbidden) as exc:
        raise _fail(exc) from None
    from geo.status import STATUS_NAMES
    from service.auth import ROLE_NAMES

    say(Message("{promise_id} ({year}): {status} as of {date}, recorded by {role}", promise_id=record["promise_id"],
                year=year, status=named(record["status"], STATUS_NAMES), date=str(record["date"]),
                role=named(role, ROLE_NAMES)))

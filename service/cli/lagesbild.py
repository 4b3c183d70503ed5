"""``stadskarna lagesbild``: the week's lägesbild per zone."""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Optional

import pandas as pd
import typer

from geo.errors import Message, ValidationError
from geo.zones import read_zones
from service.cli.common import (DbOption, ZonesOption, _fail, _open_store, build_settings, console, errors, figure, say,
                                signed, table, text)


class WeekFormat(str, Enum):
    """How the lägesbild is printed."""

    table = "table"
    json = "json"


def lagesbild_command(
        week: Annotated[Optional[str], typer.Option(help=text(Message("ISO week, YYYY-Www (default: the current week).")))] = None,
        output: Annotated[WeekFormat, typer.Option("--format", help=text(Message("table or json.")))] = WeekFormat.table,
        db: DbOption = None, zones: ZonesOption = None) -> None:
    """The week's lägesbild (EST): per zone incidents, new reports, unsafe-place pins and police
    presence against the four weeks before, and the three zones that most need attention."""
    from service.lagesbild import lagesbild
    from service.presence import presence_rules

    settings = build_settings(db, zones)
    store = _open_store(settings.store.db)
    try:
        zone_frame = read_zones(settings.geography.zones)
        rules = presence_rules(settings.presence)
        with errors.status(text(Message("computing the situation picture"))):
            report = lagesbild(store, zone_frame, rules, week)
    except ValidationError as exc:
        raise _fail(exc) from None
    if output is WeekFormat.json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    period = report["period"]
    last_day = (pd.Timestamp(period["start"][:10]) + pd.Timedelta(days=6)).date()
    title = Message("Situation picture {week} ({start} – {end}, local time; change against the average of {first}–{last})",
                    week=report["week"], start=period["start"][:10], end=str(last_day), first=report["previous_weeks"][0],
                    last=report["previous_weeks"][-1])
    if not period["complete"]:
        title = Message("{title} · the week is not over", title=title)
    if report["synthetic"]:
        title = Message("{title} · SYNTHETIC DEMO DATA", title=title)
    columns = [(Message("incidents"), "incidents"), (Message("new reports"), "new_reports"),
               (Message("unsafe places"), "unsafe_place_pins"), (Message("presence h"), "presence_h")]
    headings = [Message("zone")]
    for heading, _ in columns:
        headings += [heading, Message("±")]
    headings += [Message("score"), Message("priority")]
    week = table(title, *headings, right=tuple(headings[1:]))
    priority = {p["zone_id"]: p["rank"] for p in report["priorities"]}
    for zone in report["zones"]:
        cells = [zone["name"]]
        for _, key in columns:
            decimals = 1 if key == "presence_h" else 2
            cells += [figure(zone[key], decimals), signed(zone[f"{key}_change"], decimals)]
        week.add_row(*cells, figure(zone["attention_score"], 2), str(priority.get(zone["zone_id"], "")))
    console.print(week)
    if not report["priorities"]:
        say(Message("No zones to prioritise: no incidents, reports or unsafe places this week."))
    for p in report["priorities"]:
        say(Message("{rank}. {name} (score {score}): {reasons}", rank=p["rank"], name=p["name"],
                    score=figure(p["attention_score"], 2), reasons="; ".join(p["reasons"])))
    centre = report["centre"]
    say(Message("Incidents without a place in a zone (only the town given), whole centre: {count} ({change} against the "
                "four-week average).", count=figure(centre["town_level_incidents"], 2),
                change=signed(centre["town_level_incidents_change"], 2)))

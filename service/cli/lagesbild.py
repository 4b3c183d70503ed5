"""``stadskarna lagesbild``: the week's lägesbild per zone."""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.table import Table

from geo.errors import ValidationError
from geo.zones import read_zones
from service.cli.common import DbOption, ZonesOption, _fail, _open_store, build_settings, console, errors


class WeekFormat(str, Enum):
    """How the lägesbild is printed."""

    table = "table"
    json = "json"


def lagesbild_command(
        week: Annotated[Optional[str], typer.Option(help="ISO week, YYYY-Www (default: the current week).")] = None,
        output: Annotated[WeekFormat, typer.Option("--format", help="table or json.")] = WeekFormat.table,
        db: DbOption = None, zones: ZonesOption = None) -> None:
    """The week's lägesbild (EST): per zone incidents, new reports, unsafe-place pins and police
    presence against the four weeks before, and the three zones that most need attention."""
    from geo.swedish import sv_number, sv_signed
    from service.lagesbild import lagesbild
    from service.presence import presence_rules

    settings = build_settings(db, zones)
    store = _open_store(settings.store.db)
    try:
        zone_frame = read_zones(settings.geography.zones)
        rules = presence_rules(settings.presence)
        with errors.status("computing the lägesbild"):
            report = lagesbild(store, zone_frame, rules, week)
    except ValidationError as exc:
        raise _fail(exc) from None
    if output is WeekFormat.json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    period = report["period"]
    last_day = (pd.Timestamp(period["start"][:10]) + pd.Timedelta(days=6)).date()
    table = Table(title=f"Lägesbild {report['week']} ({period['start'][:10]} – {last_day}, lokal tid; "
                        f"förändring mot snittet av {report['previous_weeks'][0]}–{report['previous_weeks'][-1]})"
                        + ("" if period["complete"] else " · veckan pågår")
                        + (" · SYNTETISKA DEMODATA" if report["synthetic"] else ""))
    columns = [("zon", None), ("brott", "incidents"), ("nya felanm.", "new_reports"),
               ("otrygga platser", "unsafe_place_pins"), ("närvaro h", "presence_h")]
    for heading, key in columns:
        table.add_column(heading, justify="left" if key is None else "right")
        if key is not None:
            table.add_column("±", justify="right")
    table.add_column("poäng", justify="right")
    table.add_column("prio", justify="right")
    priority = {p["zone_id"]: p["rank"] for p in report["priorities"]}
    for zone in report["zones"]:
        cells = [zone["name"]]
        for _, key in columns[1:]:
            decimals = 1 if key == "presence_h" else 2
            cells += [sv_number(zone[key], decimals), sv_signed(zone[f"{key}_change"], decimals)]
        table.add_row(*cells, sv_number(zone["attention_score"]), str(priority.get(zone["zone_id"], "")))
    console.print(table)
    if not report["priorities"]:
        console.print("Inga zoner att prioritera: inga brott, felanmälningar eller otrygga platser den här veckan.")
    for p in report["priorities"]:
        console.print(f"{p['rank']}. {p['name']} (poäng {sv_number(p['attention_score'])}): {'; '.join(p['reasons'])}",
                      highlight=False)
    centre = report["centre"]
    console.print(f"Brott utan plats i en zon (bara orten angiven), hela stadskärnan: "
                  f"{sv_number(centre['town_level_incidents'])} "
                  f"({sv_signed(centre['town_level_incidents_change'])} mot fyraveckorssnittet).", highlight=False)

"""``stadskarna lighting plan``: a lighting programme's measures and what each does to the lighting."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer

from geo.errors import Message, ValidationError
from geo.timestamps import LOCAL_TZ
from service.cli.common import (DbOption, StreetsOption, ZonesOption, _fail, _open_store, _supported_day,
                                build_settings, console, errors, figure, language, say, signed, table, text)
from service.cli.coverage import OutputFormat

lighting_app = typer.Typer(help=text(Message("The lighting programme (belysningsprogrammet).")), no_args_is_help=True)


@lighting_app.command("plan",
                      help=text(Message("Evaluate a lighting programme against the stored lights: each measure's "
                                        "effect on its own (EN 13201-3 fields it lifts to their class, compliance "
                                        "gained, power and energy), the whole programme's, and its progress (measures "
                                        "done against planned).")))
def lighting_plan(
        path: Annotated[Path, typer.Argument(help=text(Message("The programme file (YAML or JSON): measures with dates, cost, "
                                                               "lamps and the fields they should fix.")))],
        output: Annotated[OutputFormat, typer.Option("--format", help=text(Message("table or json.")))] = OutputFormat.table,
        as_of: Annotated[Optional[datetime], typer.Option(
            "--as-of", formats=["%Y-%m-%d"], callback=_supported_day, help=text(Message("Progress on this date (default today).")))] = None,
        db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Evaluate a lighting programme against the stored lights: each measure's effect on its own
    (EN 13201-3 fields it lifts to their class, compliance gained, power and energy), the whole
    programme's, and its progress (measures done against planned)."""
    from geo.programme import read_programme
    from geo.streets import read_streets
    from geo.zones import read_zones
    from service.coverage import lighting_model, programme_effects

    settings = build_settings(db, zones, streets)
    store = _open_store(settings.store.db)
    day = as_of.date() if as_of else pd.Timestamp.now(tz=LOCAL_TZ).date()
    try:
        programme = read_programme(path)
        streets_path = settings.geography.streets_path()
        with errors.status(text(Message("modelling each measure"))):
            result = programme_effects(store, read_zones(settings.geography.zones),
                                       read_streets(streets_path) if streets_path else None, programme, day,
                                       lighting_model(settings.lighting))
    except ValidationError as exc:
        raise _fail(exc) from None
    if output is OutputFormat.json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    _print_plan(result)


def _print_plan(result: dict) -> None:
    """The programme's measures and figures as a table and a summary, in the command line's language."""
    title = Message("{title} – adopted {date}", title=result["title"], date=str(result["adopted"])) if result["adopted"] \
        else Message("{title} – not adopted (planned by {date})", title=result["title"], date=str(result["adopt_by"]))
    if result["synthetic"]:
        title = Message("{title} · SYNTHETIC EXAMPLE", title=title)
    headings = (Message("measure"), Message("kind"), Message("planned"), Message("done"), Message("cost SEK"),
                Message("fields reaching their class"), Message("intended fields reached"), Message("share +"),
                Message("power W"))
    plan = table(title, *headings, right=headings[2:5] + headings[6:])
    swedish = language() == "sv"
    for m in result["measures"]:
        reached = text(Message("{reached} of {fixes}", reached=len(m["fixes_reached"]), fixes=len(m["fixes"]))) \
            if m["fixes"] else "–"
        gained = "–" if m["share_gained"] is None else text(Message("{change} pp", change=signed(100 * m["share_gained"], 1)))
        plan.add_row(m["name"], m["kind_sv"] if swedish else m["kind"], m["planned"], m["done"] or "–",
                     figure(m["cost_sek"]), ", ".join(m["fields_fixed"]) or text(Message("none")), reached, gained,
                     signed(m["power_change_w"], 0))
    console.print(plan)
    progress, today, whole = result["progress"], result["today"], result["whole_programme"]
    say(Message("Progress {as_of}: {done} of the {due} measures due are done ({on_time} on time); {measures} measures in "
                "the programme, {cost_done} of {cost_planned} SEK carried out.", as_of=result["as_of"],
                done=progress["done"], due=progress["due"], on_time=progress["done_on_time"],
                measures=progress["measures"], cost_done=figure(progress["cost_done_sek"]),
                cost_planned=figure(progress["cost_planned_sek"])))
    if progress["overdue"]:
        say(Message("Overdue: {measures}.", measures=", ".join(progress["overdue"])))
    share = (lambda v: "–" if v is None else f"{figure(100 * v)} %")
    say(Message("Share of the fields' area that reaches its class: today {today}, with the whole programme {whole} "
                "({failing_today} → {failing_whole} fields below their class). Energy: {energy_today} → "
                "{energy_whole} kWh/(m²·year).", today=share(today["share_compliant"]),
                whole=share(whole["share_compliant"]), failing_today=today["fields_failing"],
                failing_whole=whole["fields_failing"], energy_today=today["energy"]["de_kwh_per_m2_year"],
                energy_whole=whole["energy"]["de_kwh_per_m2_year"]))
    if result["unknown_fields"]:
        say(Message("Unknown fields in the programme (not in the streets file): {fields}.",
                    fields=", ".join(result["unknown_fields"])))

"""``stadskarna lighting plan``: a lighting programme's measures and what each does to the lighting."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.table import Table

from geo.errors import ValidationError
from geo.timestamps import LOCAL_TZ
from service.cli.common import (DbOption, StreetsOption, ZonesOption, _fail, _open_store, _supported_day,
                                build_settings, console, errors)
from service.cli.coverage import OutputFormat

lighting_app = typer.Typer(help="The lighting programme (belysningsprogrammet).", no_args_is_help=True)


@lighting_app.command("plan")
def lighting_plan(
        path: Annotated[Path, typer.Argument(help="The programme file (YAML or JSON): measures with dates, cost, "
                                                  "lamps and the fields they should fix.")],
        output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.table,
        as_of: Annotated[Optional[datetime], typer.Option(
            "--as-of", formats=["%Y-%m-%d"], callback=_supported_day, help="Progress on this date (default today).")] = None,
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
        with errors.status("modelling each measure"):
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
    """The programme's measures and figures as a table and a summary, in Swedish."""
    adopted = f"antaget {result['adopted']}" if result["adopted"] else f"ej antaget (planerat senast {result['adopt_by']})"
    synthetic = " · SYNTETISKT EXEMPEL" if result["synthetic"] else ""
    table = Table(title=f"{result['title']} – {adopted}{synthetic}")
    for heading in ("åtgärd", "slag", "planerad", "klar", "kostnad kr", "fält som når klassen", "avsedda fält nådda",
                    "andel +", "effekt W"):
        table.add_column(heading, justify="left" if heading in ("åtgärd", "slag", "fält som når klassen") else "right")
    for m in result["measures"]:
        reached = f"{len(m['fixes_reached'])} av {len(m['fixes'])}" if m["fixes"] else "–"
        gained = "–" if m["share_gained"] is None else f"{100 * m['share_gained']:+.1f} %-enh"
        table.add_row(m["name"], m["kind_sv"], m["planned"], m["done"] or "–", f"{m['cost_sek']:,.0f}",
                      ", ".join(m["fields_fixed"]) or "inga", reached, gained, f"{m['power_change_w']:+,.0f}")
    console.print(table)
    progress, today, whole = result["progress"], result["today"], result["whole_programme"]
    console.print(f"Framsteg {result['as_of']}: {progress['done']} av {progress['due']} åtgärder som skulle vara klara är "
                  f"klara ({progress['done_on_time']} i tid); {progress['measures']} åtgärder i programmet, "
                  f"{progress['cost_done_sek']:,.0f} av {progress['cost_planned_sek']:,.0f} kr genomfört.", highlight=False)
    if progress["overdue"]:
        console.print(f"Försenade: {', '.join(progress['overdue'])}.", highlight=False)
    share = (lambda v: "–" if v is None else f"{100 * v:.0f} %")
    console.print(f"Andel fältyta som når sin klass: idag {share(today['share_compliant'])}, med hela programmet "
                  f"{share(whole['share_compliant'])} ({today['fields_failing']} → {whole['fields_failing']} fält under "
                  f"klassen). Energi: {today['energy']['de_kwh_per_m2_year']} → {whole['energy']['de_kwh_per_m2_year']} "
                  f"kWh/(m²·år).", highlight=False)
    if result["unknown_fields"]:
        console.print(f"Okända fält i programmet (finns inte i gatufilen): {', '.join(result['unknown_fields'])}.",
                      highlight=False)

"""``stadskarna presence``: the police presence kept per unit and day."""

from __future__ import annotations

import typer

from geo.errors import ValidationError
from geo.zones import read_zones
from service.cli.common import DbOption, ZonesOption, _fail, _open_store, _progress, build_settings, console

presence_app = typer.Typer(help="The police presence kept per unit and day.", no_args_is_help=True)


@presence_app.command("rebuild")
def presence_rebuild(db: DbOption = None, zones: ZonesOption = None) -> None:
    """Compute the kept presence again from every patrol ping, with the zones of now. (It is also
    computed again by itself, on first use, when the zones or the presence rules have changed.)"""
    from service.presence import presence_rules, rebuild

    settings = build_settings(db, zones)
    store = _open_store(db)
    try:
        zone_frame = read_zones(settings.geography.zones)
        rules = presence_rules(settings.presence)
    except ValidationError as exc:
        raise _fail(exc) from None
    with _progress() as bar:
        task = bar.add_task("presence per unit and day", total=None)
        kept = rebuild(store, zone_frame, rules, progress=lambda done, total: bar.update(task, completed=done, total=total))
    console.print(f"presence computed again for {kept:,} unit-days with the zones in {settings.geography.zones}")

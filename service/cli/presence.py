"""``stadskarna presence``: the police presence kept per unit and day."""

from __future__ import annotations

import typer

from geo.errors import Message, ValidationError
from geo.zones import read_zones
from service.cli.common import DbOption, ZonesOption, _fail, _open_store, _progress, build_settings, figure, say, text
from service.settings import Settings
from service.store import Store

presence_app = typer.Typer(help=text(Message("The police presence kept per unit and day.")), no_args_is_help=True)


@presence_app.command("rebuild",
                      help=text(Message("Compute the kept presence again from every patrol ping, with the zones of "
                                        "now. (It is also computed again by itself, on first use, when the zones or "
                                        "the presence rules have changed.)")))
def presence_rebuild(db: DbOption = None, zones: ZonesOption = None) -> None:
    """Compute the kept presence again from every patrol ping, with the zones of now. (It is also
    computed again by itself, on first use, when the zones or the presence rules have changed.)"""
    settings = build_settings(db, zones)
    kept = keep_presence(_open_store(db), settings, again=True)
    say(Message("presence computed again for {count} unit-days with the zones in {zones}", count=figure(kept),
                zones=str(settings.geography.zones)))


def keep_presence(store: Store, settings: Settings, again: bool = False) -> int:
    """Compute the kept presence of the unit-days that lack it (all of them ``again``) with the
    zones and rules of ``settings``, with a progress bar; the number of unit-days computed."""
    from service.presence import keep_all, presence_rules, rebuild

    try:
        zone_frame = read_zones(settings.geography.zones)
        rules = presence_rules(settings.presence)
    except ValidationError as exc:
        raise _fail(exc) from None
    with _progress() as bar:
        task = bar.add_task(text(Message("presence per unit and day")), total=None)
        keep = rebuild if again else keep_all
        return keep(store, zone_frame, rules, progress=lambda done, total: bar.update(task, completed=done, total=total))

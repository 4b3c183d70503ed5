"""``stadskarna token``: create, list and revoke access tokens; register Open311 clients."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.text import Text

from geo.errors import Message
from geo.timestamps import LOCAL_TZ
from service.cli.common import DbOption, _fail, _open_store, _supported_day, console, named, say, table, text
from service.store import Conflict, TokenRecord

token_app = typer.Typer(help=text(Message("Access tokens for the API.")), no_args_is_help=True)


@token_app.command("create",
                   help=text(Message("Create an access token; it is printed once (stdout) and only its hash is "
                                     "stored. Without --expires or --days it is valid until revoked.")))
def token_create(role: Annotated[str, typer.Option(help=text(Message("police, municipality or planner.")))],
                 label: Annotated[str, typer.Option(help=text(Message("Who or what the token is for.")))] = "",
                 expires: Annotated[Optional[datetime], typer.Option(
                     formats=["%Y-%m-%d"], callback=_supported_day, help=text(Message("Valid until the start of this day (Europe/Stockholm).")))] = None,
                 days: Annotated[Optional[int], typer.Option(help=text(Message("Valid for this many days from now.")), min=1)] = None,
                 db: DbOption = None) -> None:
    """Create an access token; it is printed once (stdout) and only its hash is stored. Without
    --expires or --days it is valid until revoked."""
    from service.auth import create_token, token_id_of

    if expires is not None and days is not None:
        raise _fail(Message("give --expires or --days, not both"))
    now = pd.Timestamp.now(tz="UTC")
    expires_at = None
    if expires is not None:
        expires_at = pd.Timestamp(expires.date()).tz_localize(LOCAL_TZ).tz_convert("UTC")
        if expires_at <= now:
            raise _fail(Message("--expires {day} is not in the future (a token expires at the start of that day, "
                                "Europe/Stockholm); give a later date", day=str(expires.date())))
    elif days is not None:
        expires_at = now + pd.Timedelta(days=days)
    store = _open_store(db)
    try:
        token = create_token(store, role, label, expires_at)
    except ValueError as exc:
        raise _fail(exc) from None
    from service.auth import ROLE_NAMES

    until = Message("valid until {when} (Europe/Stockholm)", when=_local_time(expires_at)) if expires_at is not None \
        else Message("valid until revoked")
    new = dict(role=named(role, ROLE_NAMES), token_id=token_id_of(token), until=until)
    say(Message("New {role} token {token_id} for {label}, {until}. Store it now, it cannot be shown again:",
                label=label, **new) if label
        else Message("New {role} token {token_id}, {until}. Store it now, it cannot be shown again:", **new), err=True)
    typer.echo(token)


@token_app.command("list",
                   help=text(Message("List the access tokens: id, role, label, times (Europe/Stockholm) and state. "
                                     "Never the token itself (only its hash is stored) nor the hash.")))
def token_list(db: DbOption = None) -> None:
    """List the access tokens: id, role, label, times (Europe/Stockholm) and state. Never the
    token itself (only its hash is stored) nor the hash."""
    from service.auth import ROLE_NAMES

    store = _open_store(db)
    records = store.tokens()
    if not records:
        say(Message("No tokens in {store}; create one with `stadskarna token create`.", store=str(store.path)))
        return
    now = pd.Timestamp.now(tz="UTC")
    tokens = table(Message("Access tokens in {store} (times Europe/Stockholm)", store=str(store.path)),
                   Message("id"), Message("role"), Message("label"), Message("created"), Message("expires"),
                   Message("last used"), Message("state"))
    tokens.columns[0].no_wrap, tokens.columns[0].min_width = True, 14
    never = text(Message("never"))
    for record in records:
        tokens.add_row(record.token_id, named(record.role, ROLE_NAMES), Text(record.label),
                       _local_time(record.created_at), _local_time(record.expires_at, never),
                       _local_time(record.last_used_at, never), text(_token_state(record, now)))
    console.print(tokens)


@token_app.command("revoke",
                   help=text(Message("Revoke an access token by its id: the API refuses it (401) from now on. "
                                     "Revoking it again changes nothing.")))
def token_revoke(token_id: Annotated[str, typer.Argument(help=text(Message("The token's id (tok-…), from `token list`.")))],
                 db: DbOption = None) -> None:
    """Revoke an access token by its id: the API refuses it (401) from now on. Revoking it again changes nothing."""
    from service.auth import ROLE_NAMES
    from service.store import NotFound

    store = _open_store(db)
    at = pd.Timestamp.now(tz="UTC").floor("ms")
    try:
        record = store.revoke_token(token_id.strip(), at)
    except NotFound:
        raise _fail(Message("no token {token_id!r} in {store}; `stadskarna token list` shows the ids",
                            token_id=token_id, store=str(store.path))) from None
    role = named(record.role, ROLE_NAMES)
    who = f"{role}, {record.label}" if record.label else role
    if record.revoked_at == at:
        say(Message("Revoked {token_id} ({who}); the API refuses it from now on.", token_id=record.token_id, who=who))
    else:
        say(Message("{token_id} ({who}) was revoked already on {when}; nothing changed.", token_id=record.token_id,
                    who=who, when=_local_time(record.revoked_at)))


def _local_time(at: pd.Timestamp | None, none: str = "–") -> str:
    """``at`` in Europe/Stockholm to the minute, or ``none`` when there is no time."""
    return none if at is None else at.tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _token_state(record: TokenRecord, now: pd.Timestamp) -> Message:
    """``revoked``, ``active`` or ``expired`` at ``now``."""
    if record.revoked_at is not None:
        return Message("revoked")
    return Message("active") if record.valid_at(now) else Message("expired")


@token_app.command("open311-client",
                   help=text(Message("Register an Open311 client application and print its api_key once (only a "
                                     "hash is stored).")))
def token_open311_client(name: Annotated[str, typer.Argument(help=text(Message("The client application's name.")))],
                         db: DbOption = None) -> None:
    """Register an Open311 client application and print its api_key once (only a hash is stored)."""
    from service.auth import create_open311_key

    store = _open_store(db)
    try:
        key = create_open311_key(store, name)
    except (ValueError, Conflict) as exc:
        raise _fail(exc) from None
    say(Message("api_key for {name}; store it now, it cannot be shown again:", name=name), err=True)
    typer.echo(key)

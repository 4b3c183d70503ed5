"""``stadskarna user``: personal staff accounts for signing in at /login, and the staff audit."""

from __future__ import annotations

import sys
from typing import Annotated

import pandas as pd
import typer
from rich.text import Text

from geo.errors import Message
from geo.timestamps import LOCAL_TZ
from service.cli.common import DbOption, _fail, _open_store, console, named, say, table, text
from service.cli.tokens import _local_time
from service.settings import StaffSettings
from service.staff import COMMAND_LINE, add_user
from service.store import AuditEvent, Conflict, NotFound, UserRecord

user_app = typer.Typer(help=text(Message("Staff accounts for signing in at /login.")), no_args_is_help=True)

RoleOption = Annotated[str, typer.Option(help=text(Message("police, municipality or planner.")))]


def _role(role: str) -> str:
    """``role`` when it is one, or an error exit."""
    from service.auth import ROLES

    if role not in ROLES:
        raise _fail(Message("unknown role {role!r}: choose one of {roles}", role=role, roles=", ".join(ROLES)))
    return role


@user_app.command("add",
                  help=text(Message("Add a staff account. The password is asked for twice without showing it (or "
                                    "read from stdin with --password-stdin), must be at least "
                                    "STADSKARNA_STAFF_MIN_PASSWORD characters (default 12), and is stored only as "
                                    "an Argon2 hash.")))
def user_add(name: Annotated[str, typer.Argument(help=text(Message("The account's name (2–64 of a–z, 0–9, '.', '_', '-').")))],
             role: RoleOption,
             password_stdin: Annotated[bool, typer.Option(
                 "--password-stdin", help=text(Message("Read the password from the first line of stdin (for scripts).")))] = False,
             db: DbOption = None) -> None:
    """Add a staff account. The password is asked for twice without showing it (or read from
    stdin with --password-stdin), must be at least STADSKARNA_STAFF_MIN_PASSWORD characters
    (default 12), and is stored only as an Argon2 hash."""
    role = _role(role)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(text(Message("Password")), hide_input=True, confirmation_prompt=True, err=True)
    store = _open_store(db)
    try:
        record = add_user(store, name, role, password, StaffSettings(), pd.Timestamp.now(tz="UTC"))
    except (ValueError, Conflict) as exc:
        raise _fail(exc) from None
    from service.auth import ROLE_NAMES

    say(Message("Added {name} ({role}); they sign in at /login.", name=record.name,
                role=named(record.role, ROLE_NAMES)))


@user_app.command("list",
                  help=text(Message("List the staff accounts: name, role, how they sign in (password or single "
                                    "sign-on), created (Europe/Stockholm) and state. Never a password or its hash.")))
def user_list(db: DbOption = None) -> None:
    """List the staff accounts: name, role, how they sign in (password or single sign-on), created
    (Europe/Stockholm) and state. Never a password or its hash."""
    from service.auth import ROLE_NAMES

    store = _open_store(db)
    records = store.users()
    if not records:
        say(Message("No staff accounts in {store}; add one with `stadskarna user add`.", store=store.describe()))
        return
    now = pd.Timestamp.now(tz="UTC")
    accounts = table(Message("Staff accounts in {store} (times Europe/Stockholm)", store=store.describe()),
                     Message("name"), Message("role"), Message("sign-in"), Message("created"), Message("state"))
    for record in records:
        accounts.add_row(record.name, named(record.role, ROLE_NAMES),
                         text(Message("password") if record.sso_issuer is None else Message("single sign-on")),
                         _local_time(record.created_at), text(_state(record, now)))
    console.print(accounts)


@user_app.command("disable",
                  help=text(Message("Disable an account: its sessions end at once and it cannot sign in. Again: no"
                                    " change.")))
def user_disable(name: Annotated[str, typer.Argument(help=text(Message("The account's name.")))], db: DbOption = None) -> None:
    """Disable an account: its sessions end at once and it cannot sign in. Again: no change."""
    store = _open_store(db)
    at = pd.Timestamp.now(tz="UTC").floor("ms")
    try:
        record = store.disable_user(name.strip().lower(), AuditEvent(at, COMMAND_LINE, None, "user disable", name))
    except NotFound:
        raise _fail(Message("no account {name!r}; `stadskarna user list` shows them", name=name)) from None
    if record.disabled_at == at:
        say(Message("Disabled {name}; their sessions have ended.", name=record.name))
    else:
        say(Message("{name} was disabled already on {when}; nothing changed.", name=record.name,
                    when=_local_time(record.disabled_at)))


@user_app.command("set-role",
                  help=text(Message("Give an account another role; its open sessions have it from their next "
                                    "request.")))
def user_set_role(name: Annotated[str, typer.Argument(help=text(Message("The account's name.")))],
                  role: Annotated[str, typer.Argument(help=text(Message("police, municipality or planner.")))],
                  db: DbOption = None) -> None:
    """Give an account another role; its open sessions have it from their next request."""
    from service.auth import ROLE_NAMES

    role = _role(role)
    store = _open_store(db)
    event = AuditEvent(pd.Timestamp.now(tz="UTC"), COMMAND_LINE, None, "user set-role", f"{name} to {role}")
    try:
        record = store.set_user_role(name.strip().lower(), role, event)
    except NotFound:
        raise _fail(Message("no account {name!r}; `stadskarna user list` shows them", name=name)) from None
    role_name = named(record.role, ROLE_NAMES)
    say(Message("{name} is {role} now.", name=record.name, role=role_name) if record.sso_issuer is None
        else Message("{name} is {role} now (until their next single sign-on, which sets the role of the claim).",
                     name=record.name, role=role_name))


@user_app.command("audit",
                  help=text(Message("The staff audit's newest rows: when (Europe/Stockholm), who, role, what, "
                                    "detail, client.")))
def user_audit(last: Annotated[int, typer.Option(help=text(Message("How many of the newest rows.")), min=1)] = 50,
               db: DbOption = None) -> None:
    """The staff audit's newest rows: when (Europe/Stockholm), who, role, what, detail, client."""
    from service.auth import ROLE_NAMES

    rows = _open_store(db).audit().tail(last)
    audit = table(Message("Staff audit (times Europe/Stockholm)"), Message("when"), Message("who"), Message("role"),
                  Message("what"), Message("detail"), Message("client"))
    for row in rows.itertuples(index=False):
        audit.add_row(row.at.tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"), Text(row.actor),
                      named(row.role, ROLE_NAMES) if row.role else "", row.action, Text(row.detail), row.client or "")
    console.print(audit)


def _state(record: UserRecord, now: pd.Timestamp) -> Message:
    """``disabled …``, ``locked until …`` or ``active`` at ``now``."""
    if record.disabled_at is not None:
        return Message("disabled {when}", when=_local_time(record.disabled_at))
    if record.locked_until is not None and now < record.locked_until:
        return Message("locked until {when}", when=_local_time(record.locked_until))
    return Message("active")

"""``stadskarna user``: personal staff accounts for signing in at /login, and the staff audit."""

from __future__ import annotations

import sys
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table
from rich.text import Text

from geo.timestamps import LOCAL_TZ
from service.cli.common import DbOption, _fail, _open_store, console
from service.cli.tokens import _local_time
from service.settings import StaffSettings
from service.staff import COMMAND_LINE, add_user
from service.store import AuditEvent, Conflict, NotFound, UserRecord

user_app = typer.Typer(help="Staff accounts for signing in at /login.", no_args_is_help=True)

RoleOption = Annotated[str, typer.Option(help="police, municipality or planner.")]


def _role(role: str) -> str:
    """``role`` when it is one, or an error exit."""
    from service.auth import ROLES

    if role not in ROLES:
        raise _fail(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    return role


@user_app.command("add")
def user_add(name: Annotated[str, typer.Argument(help="The account's name (2–64 of a–z, 0–9, '.', '_', '-').")],
             role: RoleOption,
             password_stdin: Annotated[bool, typer.Option(
                 "--password-stdin", help="Read the password from the first line of stdin (for scripts).")] = False,
             db: DbOption = None) -> None:
    """Add a staff account. The password is asked for twice without showing it (or read from
    stdin with --password-stdin), must be at least STADSKARNA_STAFF_MIN_PASSWORD characters
    (default 12), and is stored only as an Argon2 hash."""
    role = _role(role)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    store = _open_store(db)
    try:
        record = add_user(store, name, role, password, StaffSettings(), pd.Timestamp.now(tz="UTC"))
    except (ValueError, Conflict) as exc:
        raise _fail(exc) from None
    console.print(f"Added {record.name} ({record.role}); they sign in at /login.", highlight=False)


@user_app.command("list")
def user_list(db: DbOption = None) -> None:
    """List the staff accounts: name, role, how they sign in (password or single sign-on), created
    (Europe/Stockholm) and state. Never a password or its hash."""
    store = _open_store(db)
    records = store.users()
    if not records:
        console.print(f"No staff accounts in {store.describe()}; add one with `stadskarna user add`.", highlight=False)
        return
    now = pd.Timestamp.now(tz="UTC")
    table = Table(title=f"Staff accounts in {store.describe()} (times Europe/Stockholm)")
    for column in ("name", "role", "sign-in", "created", "state"):
        table.add_column(column)
    for record in records:
        table.add_row(record.name, record.role, "password" if record.sso_issuer is None else "single sign-on",
                      _local_time(record.created_at), _state(record, now))
    console.print(table)


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="The account's name.")], db: DbOption = None) -> None:
    """Disable an account: its sessions end at once and it cannot sign in. Again: no change."""
    store = _open_store(db)
    at = pd.Timestamp.now(tz="UTC").floor("ms")
    try:
        record = store.disable_user(name.strip().lower(), AuditEvent(at, COMMAND_LINE, None, "user disable", name))
    except NotFound:
        raise _fail(f"no account {name!r}; `stadskarna user list` shows them") from None
    if record.disabled_at == at:
        console.print(f"Disabled {record.name}; their sessions have ended.", highlight=False)
    else:
        console.print(f"{record.name} was disabled already on {_local_time(record.disabled_at)}; nothing changed.",
                      highlight=False)


@user_app.command("set-role")
def user_set_role(name: Annotated[str, typer.Argument(help="The account's name.")],
                  role: Annotated[str, typer.Argument(help="police, municipality or planner.")],
                  db: DbOption = None) -> None:
    """Give an account another role; its open sessions have it from their next request."""
    role = _role(role)
    store = _open_store(db)
    event = AuditEvent(pd.Timestamp.now(tz="UTC"), COMMAND_LINE, None, "user set-role", f"{name} to {role}")
    try:
        record = store.set_user_role(name.strip().lower(), role, event)
    except NotFound:
        raise _fail(f"no account {name!r}; `stadskarna user list` shows them") from None
    follows = "" if record.sso_issuer is None else " (until their next single sign-on, which sets the role of the claim)"
    console.print(f"{record.name} is {record.role} now{follows}.", highlight=False)


@user_app.command("audit")
def user_audit(last: Annotated[int, typer.Option(help="How many of the newest rows.", min=1)] = 50,
               db: DbOption = None) -> None:
    """The staff audit's newest rows: when (Europe/Stockholm), who, role, what, detail, client."""
    rows = _open_store(db).audit().tail(last)
    table = Table(title="Staff audit (times Europe/Stockholm)")
    for column in ("when", "who", "role", "what", "detail", "client"):
        table.add_column(column)
    for row in rows.itertuples(index=False):
        table.add_row(row.at.tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"), Text(row.actor),
                      row.role or "", row.action, Text(row.detail), row.client or "")
    console.print(table)


def _state(record: UserRecord, now: pd.Timestamp) -> str:
    """``disabled``, ``locked until …`` or ``active`` at ``now``."""
    if record.disabled_at is not None:
        return f"disabled {_local_time(record.disabled_at)}"
    if record.locked_until is not None and now < record.locked_until:
        return f"locked until {_local_time(record.locked_until)}"
    return "active"

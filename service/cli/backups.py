"""``stadskarna backup`` and ``restore``: a checked online copy of the database, and putting one back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from geo.errors import Message, ValidationError
from geo.io.files import new_file
from geo.layers import LAYERS
from service.cli.common import (DbOption, _fail, _open_store, _records, build_settings, console, errors, figure, say,
                                table, text)
from service.store import SQLiteStore, Store, StoreError

GPKG_SUFFIX = ".gpkg"
"""The name ending GDAL and QGIS recognise a GeoPackage by (the database is one, whatever its name)."""
RESTORE_WAIT_S = 30.0
"""How long a restore waits for another program's write to finish before giving up."""


def backup_command(file: Annotated[Path, typer.Argument(help=text(Message("The backup file to write (must not exist).")))],
                   db: DbOption = None) -> None:
    """Copy the database to FILE while the service runs and writes: a consistent snapshot of the
    last commit (SQLite's online backup API), checked (integrity check, schema) before it gets its name."""
    live = build_settings(db).store.db
    try:
        new_file(file)
        if not live.is_file():
            raise StoreError(Message("no database at {path} to back up", path=str(live)))
        store = _open_store(live)
        with errors.status(text(Message("backing up {path}", path=str(live)))):
            store.backup_to(file)
        store.close()
        with SQLiteStore(file) as copy:
            counts, version = _layer_counts(copy), copy.schema_version()
    except (ValidationError, StoreError) as exc:
        raise _fail(exc) from None
    say(Message("Backup of {live} written to {file} ({size} MB): integrity check ok, a Trygg stadskärna database, "
                "schema version {version}.", live=str(live), file=str(file), size=figure(file.stat().st_size / 1e6, 1),
                version=version))
    records = table(Message("Records in {file}", file=str(file)), Message("layer"), Message("records"),
                    right=(Message("records"),))
    for name, n in counts.items():
        records.add_row(name, figure(n))
    console.print(records)
    if file.suffix.lower() != GPKG_SUFFIX:
        say(Message("note: {file} is a GeoPackage, but GDAL before 3.7 (and the QGIS built on it) opens it only as "
                    "GPKG:{file}, and later GDAL warns about its name; a copy named {suffix} opens as it is",
                    file=str(file), suffix=GPKG_SUFFIX))


def restore_command(file: Annotated[Path, typer.Argument(help=text(Message("A backup made by `stadskarna backup`.")))],
                    yes: Annotated[bool, typer.Option("--yes", help=text(Message("Do not ask for confirmation.")))] = False,
                    db: DbOption = None) -> None:
    """Replace the database's contents with the backup FILE, in place: a running service keeps
    working and sees the restored data. FILE is checked first (integrity, a Trygg stadskärna
    database, schema not newer than this program; an older one is migrated), and a safety copy of
    the current database is kept beside it. Tokens revoked in the current database stay revoked."""
    import tempfile

    from service.store.embedded import remove_database_files

    live = build_settings(db).store.db
    try:
        store = SQLiteStore(live, busy_timeout_s=RESTORE_WAIT_S)
    except StoreError as exc:
        raise _fail(exc) from None
    handle, name = tempfile.mkstemp(dir=live.parent, prefix=f".{live.name}.restore-", suffix=".sqlite")
    os.close(handle)
    staged = Path(name)
    try:
        with errors.status(text(Message("checking {file}", file=str(file)))):
            version = store.stage_restore(file, staged)
        incoming = SQLiteStore(staged)
        before, after = _layer_counts(store), _layer_counts(incoming)
        missing = sorted({r.token_id for r in store.tokens()} - {r.token_id for r in incoming.tokens()})
        if not yes:
            question = Message("Replace everything in {live} ({before}) with the contents of {file} ({after})? "
                               "A safety copy of {live} is kept.", live=str(live), before=_summary(before),
                               file=str(file), after=_summary(after))
            if not typer.confirm(text(question), err=True):
                say(Message("Nothing was restored."), err=True)
                raise typer.Exit(code=1)
        stamp = pd.Timestamp.now(tz="UTC").strftime("%Y%m%dT%H%M%SZ")
        safety = live.with_name(f"{live.name}.before-restore-{stamp}.sqlite")
        with errors.status(text(Message("restoring {file} into {live}", file=str(file), live=str(live)))):
            revoked = store.restore_from(staged, safety)
    except StoreError as exc:
        raise _fail(exc) from None
    finally:
        remove_database_files(staged)
    restored = dict(file=str(file), live=str(live), schema=store.schema_version())
    say(Message("Restored {file} into {live} (schema version {schema}).", **restored) if version == restored["schema"]
        else Message("Restored {file} into {live} (schema version {schema}, migrated from version {version}).",
                     version=version, **restored))
    counted = (Message("before"), Message("restored"))
    records = table(Message("Records in {file}", file=str(live)), Message("layer"), *counted, right=counted)
    for name in before:
        records.add_row(name, figure(before[name]), figure(after[name]))
    console.print(records)
    say(Message("Safety copy of the replaced database: {path}", path=str(safety)))
    if revoked:
        say(Message("Kept revoked (revoked after the backup was made): {tokens}", tokens=", ".join(revoked)))
    if missing:
        say(Message("Tokens not in the backup (created after it) are gone, refused from now on: {tokens}",
                    tokens=", ".join(missing)))


def _layer_counts(store: Store) -> dict[str, int]:
    """Records per layer."""
    return {name: store.count(schema) for name, schema in LAYERS.items()}


def _summary(counts: dict[str, int]) -> str:
    """The records per layer in the command line's language, e.g. ``incidents: 2,175, lights: 0``."""
    return ", ".join(text(_records(name, n)) for name, n in counts.items())

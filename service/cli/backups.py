"""``stadskarna backup`` and ``restore``: a checked online copy of the database, and putting one back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from geo.errors import ValidationError
from geo.io.files import new_file
from geo.layers import LAYERS
from service.cli.common import DbOption, _fail, _open_store, _records, build_settings, console, errors
from service.store import SQLiteStore, Store, StoreError

GPKG_SUFFIX = ".gpkg"
"""The name ending GDAL and QGIS recognise a GeoPackage by (the database is one, whatever its name)."""
RESTORE_WAIT_S = 30.0
"""How long a restore waits for another program's write to finish before giving up."""


def backup_command(file: Annotated[Path, typer.Argument(help="The backup file to write (must not exist).")],
                   db: DbOption = None) -> None:
    """Copy the database to FILE while the service runs and writes: a consistent snapshot of the
    last commit (SQLite's online backup API), checked (integrity check, schema) before it gets its name."""
    live = build_settings(db).store.db
    try:
        new_file(file)
        if not live.is_file():
            raise StoreError(f"no database at {live} to back up")
        store = _open_store(live)
        with errors.status(f"backing up {live}"):
            store.backup_to(file)
        store.close()
        with SQLiteStore(file) as copy:
            counts, version = _layer_counts(copy), copy.schema_version()
    except (ValidationError, StoreError) as exc:
        raise _fail(exc) from None
    console.print(f"Backup of {live} written to {file} ({file.stat().st_size / 1e6:,.1f} MB): integrity check ok, "
                  f"a Trygg stadskärna database, schema version {version}.", highlight=False)
    table = Table(title=f"Records in {file}")
    table.add_column("layer")
    table.add_column("records", justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    if file.suffix.lower() != GPKG_SUFFIX:
        console.print(f"note: {file} is a GeoPackage, but GDAL before 3.7 (and the QGIS built on it) opens it "
                       f"only as GPKG:{file}, and later GDAL warns about its name; a copy named {GPKG_SUFFIX} "
                       "opens as it is", highlight=False)


def restore_command(file: Annotated[Path, typer.Argument(help="A backup made by `stadskarna backup`.")],
                    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
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
        with errors.status(f"checking {file}"):
            version = store.stage_restore(file, staged)
        incoming = SQLiteStore(staged)
        before, after = _layer_counts(store), _layer_counts(incoming)
        missing = sorted({r.token_id for r in store.tokens()} - {r.token_id for r in incoming.tokens()})
        if not yes:
            question = (f"Replace everything in {live} ({_summary(before)}) with the contents of {file} "
                        f"({_summary(after)})? A safety copy of {live} is kept.")
            if not typer.confirm(question, err=True):
                errors.print("Nothing was restored.")
                raise typer.Exit(code=1)
        stamp = pd.Timestamp.now(tz="UTC").strftime("%Y%m%dT%H%M%SZ")
        safety = live.with_name(f"{live.name}.before-restore-{stamp}.sqlite")
        with errors.status(f"restoring {file} into {live}"):
            revoked = store.restore_from(staged, safety)
    except StoreError as exc:
        raise _fail(exc) from None
    finally:
        remove_database_files(staged)
    migrated = f", migrated from version {version}" if version != store.schema_version() else ""
    console.print(f"Restored {file} into {live} (schema version {store.schema_version()}{migrated}).", highlight=False)
    table = Table(title=f"Records in {live}")
    for column in ("layer", "before", "restored"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    for name in before:
        table.add_row(name, f"{before[name]:,}", f"{after[name]:,}")
    console.print(table)
    console.print(f"Safety copy of the replaced database: {safety}", highlight=False)
    if revoked:
        console.print(f"Kept revoked (revoked after the backup was made): {', '.join(revoked)}", highlight=False)
    if missing:
        console.print("Tokens not in the backup (created after it) are gone, refused from now on: "
                      + ", ".join(missing), highlight=False)


def _layer_counts(store: Store) -> dict[str, int]:
    """Records per layer."""
    return {name: store.count(schema) for name, schema in LAYERS.items()}


def _summary(counts: dict[str, int]) -> str:
    """The records per layer in words, e.g. ``2,175 incidents, 0 lights``."""
    return ", ".join(_records(name, n) for name, n in counts.items())

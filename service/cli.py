"""The ``stadskarna`` command: serve the service and work with the centre's data."""

from __future__ import annotations

import json
import os
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from geo.errors import ValidationError
from geo.io.export import write_layer
from geo.io.files import new_file
from geo.layers import LAYERS, PINGS, validate
from geo.timestamps import LOCAL_TZ, SUPPORTED_DATES, SUPPORTED_END, SUPPORTED_START, YEARS, format_utc
from geo.zones import read_zones, zone_areas_m2
from service.imports import import_file
from service.settings import GeographySettings, Settings, StoreSettings
from service.store import Actor, Conflict, SQLiteStore, Store, StoreError, open_store

app = typer.Typer(help="Trygg stadskärna: Halmstad's city-centre citizen promise, measured and mapped.",
                  no_args_is_help=True)
zones_app = typer.Typer(help="The centre's zones.", no_args_is_help=True)
app.add_typer(zones_app, name="zones")
coverage_app = typer.Typer(help="Coverage figures per zone.", no_args_is_help=True)
app.add_typer(coverage_app, name="coverage")
token_app = typer.Typer(help="Access tokens for the API.", no_args_is_help=True)
app.add_typer(token_app, name="token")
promises_app = typer.Typer(help="The medborgarlöften: check a year's file, record a status.", no_args_is_help=True)
app.add_typer(promises_app, name="promises")
console = Console(markup=False, highlight=False)  # text from files and users is never read as markup
errors = Console(stderr=True, markup=False, highlight=False)

DbOption = Annotated[Optional[Path], typer.Option(
    "--db", help="SQLite database file (env STADSKARNA_DB; default ./stadskarna.sqlite)")]
ZonesOption = Annotated[Optional[Path], typer.Option(
    "--zones", help="Zones GeoJSON (env STADSKARNA_ZONES; default data/stadskarna.geojson)")]
StreetsOption = Annotated[Optional[Path], typer.Option(
    "--streets", help="Streets GeoJSON (env STADSKARNA_STREETS; default streets.geojson beside the zones file)")]


def _supported_day(value: datetime | None) -> datetime | None:
    """A date option inside the supported range of times (1900–2199), or a usage error."""
    if value is not None and not SUPPORTED_START.date() <= value.date() < SUPPORTED_END.date():
        raise typer.BadParameter(f"{value.date()} is outside the supported dates, {SUPPORTED_DATES}")
    return value


def _fail(exc: Exception | str) -> typer.Exit:
    errors.print(Text("error: ", style="bold red") + Text(str(exc)))
    return typer.Exit(code=2)


def build_settings(db: Path | None = None, zones: Path | None = None, streets: Path | None = None) -> Settings:
    """Settings from the environment, overridden by the options that were given."""
    store = StoreSettings(**({"db": db} if db else {}))
    geography = GeographySettings(**{k: v for k, v in {"zones": zones, "streets": streets}.items() if v})
    return Settings(store=store, geography=geography)


@app.command()
def serve(host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
          workers: Annotated[int, typer.Option(help="Service processes (one per core; they share the database).",
                                               min=1, max=64)] = 1,
          db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Run the web service (maps and API) until interrupted."""
    import uvicorn

    from service.app import create_app

    settings = build_settings(db, zones, streets)
    try:
        application = create_app(settings)  # checks the zones and opens (and migrates) the store once, here
    except (ValidationError, StoreError) as exc:
        raise _fail(exc) from None
    console.print(f"Serving Trygg stadskärna at http://{host}:{port} (database {application.state.context.store.describe()}, "
                  f"zones {settings.geography.zones}, {workers} process{'es' if workers > 1 else ''})")
    # forwarded headers are believed only from STADSKARNA_TRUSTED_PROXIES (service.security.client_address)
    if workers == 1:
        uvicorn.run(application, host=host, port=port, proxy_headers=False, server_header=False)
        return
    application.state.context.store.close()
    for name, value in (("STADSKARNA_DB", db), ("STADSKARNA_ZONES", zones), ("STADSKARNA_STREETS", streets)):
        if value is not None:  # the worker processes read their settings from the environment
            os.environ[name] = str(value)
    uvicorn.run("service.app:create_app", factory=True, workers=workers, host=host, port=port,
                proxy_headers=False, server_header=False)


@zones_app.command("check")
def zones_check(path: Annotated[Path, typer.Argument(help="Zones GeoJSON file to validate.")]) -> None:
    """Validate a zones file as strictly as the service does, and list its zones."""
    try:
        frame = read_zones(path)
    except ValidationError as exc:
        raise _fail(exc) from None
    areas = zone_areas_m2(frame)
    table = Table(title=f"{path}: {len(frame)} zones, {areas.sum() / 1e6:.3f} km²")
    for column in ("zone_id", "name", "kind", "class", "area m²"):
        table.add_column(column, justify="right" if column == "area m²" else "left")
    for row, area in zip(frame.itertuples(), areas):
        table.add_row(row.zone_id, row.name, row.kind, row.lighting_class, f"{area:,.0f}")
    console.print(table)
    metadata = frame.attrs["metadata"]
    if metadata.get("approximate"):
        console.print("Note: the file says its geometry is approximate.")
    if metadata.get("source"):
        console.print(f"Source: {metadata['source']}", highlight=False)


@token_app.command("create")
def token_create(role: Annotated[str, typer.Option(help="police, municipality or planner.")],
                 label: Annotated[str, typer.Option(help="Who or what the token is for.")] = "",
                 expires: Annotated[Optional[datetime], typer.Option(
                     formats=["%Y-%m-%d"], callback=_supported_day, help="Valid until the start of this day (Europe/Stockholm).")] = None,
                 days: Annotated[Optional[int], typer.Option(help="Valid for this many days from now.", min=1)] = None,
                 db: DbOption = None) -> None:
    """Create an access token; it is printed once (stdout) and only its hash is stored. Without
    --expires or --days it is valid until revoked."""
    from service.auth import create_token, token_id_of

    if expires is not None and days is not None:
        raise _fail("give --expires or --days, not both")
    now = pd.Timestamp.now(tz="UTC")
    expires_at = None
    if expires is not None:
        expires_at = pd.Timestamp(expires.date()).tz_localize(LOCAL_TZ).tz_convert("UTC")
        if expires_at <= now:
            raise _fail(f"--expires {expires.date()} is not in the future (a token expires at the start of "
                        "that day, Europe/Stockholm); give a later date")
    elif days is not None:
        expires_at = now + pd.Timedelta(days=days)
    store = _open_store(db)
    try:
        token = create_token(store, role, label, expires_at)
    except ValueError as exc:
        raise _fail(exc) from None
    until = f"valid until {_local_time(expires_at)} (Europe/Stockholm)" if expires_at is not None \
        else "valid until revoked"
    errors.print(f"New {role} token {token_id_of(token)}{f' for {label}' if label else ''}, {until}. "
                 "Store it now, it cannot be shown again:", highlight=False)
    typer.echo(token)


@token_app.command("list")
def token_list(db: DbOption = None) -> None:
    """List the access tokens: id, role, label, times (Europe/Stockholm) and state. Never the
    token itself (only its hash is stored) nor the hash."""
    store = _open_store(db)
    records = store.tokens()
    if not records:
        console.print(f"No tokens in {store.path}; create one with `stadskarna token create`.", highlight=False)
        return
    now = pd.Timestamp.now(tz="UTC")
    table = Table(title=f"Access tokens in {store.path} (times Europe/Stockholm)")
    for column in ("id", "role", "label", "created", "expires", "last used", "state"):
        table.add_column(column, no_wrap=column == "id", min_width=14 if column == "id" else None)
    for record in records:
        table.add_row(record.token_id, record.role, Text(record.label), _local_time(record.created_at),
                      _local_time(record.expires_at, "never"), _local_time(record.last_used_at, "never"),
                      _token_state(record, now))
    console.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token's id (tok-…), from `token list`.")],
                 db: DbOption = None) -> None:
    """Revoke an access token by its id: the API refuses it (401) from now on. Revoking it again changes nothing."""
    from service.store import NotFound

    store = _open_store(db)
    at = pd.Timestamp.now(tz="UTC").floor("ms")
    try:
        record = store.revoke_token(token_id.strip(), at)
    except NotFound:
        raise _fail(f"no token {token_id!r} in {store.path}; `stadskarna token list` shows the ids") from None
    who = f"{record.role}{f', {record.label}' if record.label else ''}"
    if record.revoked_at == at:
        console.print(f"Revoked {record.token_id} ({who}); the API refuses it from now on.", highlight=False)
    else:
        console.print(f"{record.token_id} ({who}) was revoked already on {_local_time(record.revoked_at)}; "
                      "nothing changed.", highlight=False)


def _local_time(at: pd.Timestamp | None, none: str = "–") -> str:
    return none if at is None else at.tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _token_state(record, now: pd.Timestamp) -> str:
    if record.revoked_at is not None:
        return "revoked"
    return "active" if record.valid_at(now) else "expired"


@token_app.command("open311-client")
def token_open311_client(name: Annotated[str, typer.Argument(help="The client application's name.")],
                         db: DbOption = None) -> None:
    """Register an Open311 client application and print its api_key once (only a hash is stored)."""
    from service.auth import create_open311_key

    store = _open_store(db)
    try:
        key = create_open311_key(store, name)
    except (ValueError, Conflict) as exc:
        raise _fail(exc) from None
    errors.print(f"api_key for {name}; store it now, it cannot be shown again:", highlight=False)
    typer.echo(key)


@app.command("map")
def map_command(kind: Annotated[str, typer.Argument(help="overview, planner, lighting or police.")],
                output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write (must not exist).")],
                year: Annotated[Optional[int], typer.Option(help="Year of the data (default: the latest).",
                                                              min=YEARS[0], max=YEARS[1])] = None,
                proposed: Annotated[Optional[Path], typer.Option(
                    help="Lighting map: proposed lamps (a lights file) to show and light.")] = None,
                day: Annotated[Optional[datetime], typer.Option(
                    formats=["%Y-%m-%d"], callback=_supported_day, help="Police map: the day of the track to show.")] = None,
                unit: Annotated[Optional[str], typer.Option(help="Police map: the unit whose track to show.")] = None,
                db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Write a map as one self-contained HTML file (Leaflet inlined; opens without the service)."""
    from service.maps import MAP_KINDS, MAP_TITLES, build_map, standalone_html
    from service.security import with_meta_policy

    if kind not in MAP_KINDS:
        raise _fail(ValueError(f"unknown map {kind!r}: choose one of {', '.join(MAP_KINDS)}"))
    settings = build_settings(db, zones, streets)
    try:
        new_file(output)
        state = _context(settings)
        lamps = None
        if proposed is not None:
            from geo.layers import LIGHTS
            from service.imports import read_layer_file

            lamps = validate(LIGHTS, read_layer_file(LIGHTS, proposed).raw, str(proposed))
        with errors.status(f"building the {kind} map"):
            fmap = build_map(kind, state, year, lamps, day.date() if day else None, unit)
    except ValidationError as exc:
        raise _fail(exc) from None
    page = standalone_html(fmap, MAP_TITLES[kind])
    output.write_text(with_meta_policy(page.html, settings.maps, page.scripts), encoding="utf-8")
    console.print(f"{kind} map written to {output}")


def _context(settings: Settings):
    """The service's context (zones, streets, store) for a command that builds pages."""
    from service.context import Context

    try:
        return Context.open(settings)
    except StoreError as exc:
        raise _fail(exc) from None


@app.command("report")
def report_command(year: Annotated[int, typer.Argument(help="The promises' year, e.g. 2020.", min=YEARS[0], max=YEARS[1])],
                   output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write (must not exist).")],
                   as_of: Annotated[Optional[datetime], typer.Option(
                       formats=["%Y-%m-%d"], callback=_supported_day, help="Follow up to this date (default: the year's end, or today).")] = None,
                   db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Write the yearly follow-up of the medborgarlöfte as one self-contained HTML file (charts and
    public maps embedded; opens without the service; set STADSKARNA_MAP_TILES=none for no network at all)."""
    from service.promise_page import yearly_report_html
    from service.promises import NoPromises, load_year

    settings = build_settings(db, zones, streets)
    try:
        new_file(output)
        promises = load_year(settings.promises.dir, year)
        state = _context(settings)
        with errors.status("building the report") as status:
            html = yearly_report_html(state, promises, as_of.date() if as_of else None,
                                      lambda message: status.update(message))
    except (ValidationError, NoPromises) as exc:
        raise _fail(exc) from None
    output.write_text(html, encoding="utf-8")
    console.print(f"follow-up of the {year} promises written to {output} ({len(html.encode()) / 1e6:.1f} MB)")


@promises_app.command("check")
def promises_check(path: Annotated[Path, typer.Argument(help="A year's promises file (YAML or JSON).")]) -> None:
    """Check a promises file against the schema; names the promise and field of any problem."""
    from geo.promises import read_promises

    try:
        promises = read_promises(path)
    except ValidationError as exc:
        raise _fail(exc) from None
    kinds = pd.Series([p.measure.kind for p in promises.promises]).value_counts()
    console.print(f"{path}: {len(promises.promises)} promises for {promises.year} "
                  f"({', '.join(f'{n} {kind}' for kind, n in kinds.items())})")


@promises_app.command("status")
def promises_status(year: Annotated[int, typer.Argument(help="The promises' year.", min=YEARS[0], max=YEARS[1])],
                    promise_id: Annotated[str, typer.Argument(help="The promise's id, e.g. purple-flag.")],
                    status: Annotated[str, typer.Option(help="met, on track, behind or not met.")],
                    note: Annotated[str, typer.Option(help="What the status rests on.")],
                    role: Annotated[str, typer.Option(help="Who records it: municipality or police.")],
                    day: Annotated[Optional[datetime], typer.Option(
                        "--date", formats=["%Y-%m-%d"], callback=_supported_day, help="The date the status holds from (default today).")] = None,
                    db: DbOption = None) -> None:
    """Record the status of a promise that staff follow up (the same rules as the API)."""
    from geo.promises import UnknownPromise
    from service.errors import Forbidden
    from service.promises import NoPromises, load_year, record_status

    settings = build_settings(db)
    try:
        promises = load_year(settings.promises.dir, year)
        record = record_status(_open_store(db), promises, promise_id,
                               day.date() if day else pd.Timestamp.now(tz=LOCAL_TZ).date(), status, note,
                               Actor(role, "command line"))
    except (ValidationError, NoPromises, UnknownPromise, Forbidden) as exc:
        raise _fail(exc) from None
    console.print(f"{record['promise_id']} ({year}): {record['status']} as of {record['date']}, recorded by {role}")


LayerArgument = Annotated[str, typer.Argument(help="Layer: incidents, lights, reports or patrols.")]


def _open_store(db: Path | None) -> Store:
    try:
        return open_store(build_settings(db).store)
    except StoreError as exc:
        raise _fail(exc) from None


def _schema(layer: str):
    if layer not in LAYERS:
        raise _fail(ValueError(f"unknown layer {layer!r}: choose one of {', '.join(LAYERS)}"))
    return LAYERS[layer]


@app.command("import")
def import_command(
        layer: LayerArgument,
        file: Annotated[Path, typer.Argument(help="CSV, GeoJSON, police events JSON, GeoPackage or GPX file.")],
        crs: Annotated[Optional[str], typer.Option(help="CRS of a CSV file's x/y columns, e.g. EPSG:3006.")] = None,
        unit: Annotated[Optional[str], typer.Option(help="GPX: the patrol unit's id (default: file name).")] = None,
        mode: Annotated[Optional[str], typer.Option(help="GPX: how the unit moved: foot, bike or car.")] = None,
        crew: Annotated[Optional[int], typer.Option(help="GPX: officers in the unit (default 1).")] = None,
        db: DbOption = None) -> None:
    """Import a file into a layer: all rows valid, or nothing is stored."""
    schema = _schema(layer)
    store = _open_store(db)
    with _progress() as bar:
        task = bar.add_task(f"import {layer}", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"{step} {file.name}", completed=done, total=total)

        try:
            summary = import_file(store, schema, file, progress=progress, crs=crs, unit_id=unit, mode=mode, crew=crew)
        except ValidationError as exc:
            raise _fail(f"{exc}\nnothing was imported") from None
    for warning in summary.warnings:
        console.print(Text("warning: ", style="yellow") + Text(warning))
    console.print(summary.line(), highlight=False)


@app.command("export")
def export_command(
        layer: LayerArgument,
        file: Annotated[Path, typer.Argument(help="Output file: .geojson, .gpkg or .csv (must not exist).")],
        include_contact: Annotated[bool, typer.Option(
            "--include-contact", help="Reports: include reporters' private contact details.")] = False,
        db: DbOption = None) -> None:
    """Export a layer to GeoJSON (RFC 7946), GeoPackage or CSV."""
    schema = _schema(layer)
    store = _open_store(db)
    frame = store.read_pings() if schema is PINGS else store.read_features(schema, include_private=include_contact)
    try:
        written = write_layer(frame, schema, file, include_private=include_contact)
    except ValidationError as exc:
        raise _fail(exc) from None
    console.print(f"{layer}: {written} rows written to {file}", highlight=False)


@app.command()
def demo(seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 2020,
         year: Annotated[int, typer.Option(help="Year of the demo data.", min=YEARS[0], max=YEARS[1])] = 2020,
         if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when the database holds data.")] = False,
         force: Annotated[bool, typer.Option(
             "--force", help="Load it even into a database that holds real (not synthetic) data.")] = False,
         db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Load deterministic SYNTHETIC demo data (incidents, lights, reports, patrols) for a year.
    A database holding records that are not demo data is refused unless --force."""
    from geo.demo import SOURCE, demo_data
    from geo.streets import read_streets
    from service.demo import store_demo

    settings = build_settings(db, zones, streets)
    store = _open_store(settings.store.db)
    if if_empty and not store.is_empty():
        console.print(f"{settings.store.db} holds data already; no demo data loaded.", highlight=False)
        return
    if not force:
        real = {name: n for name, n in store.records_not_from(SOURCE).items() if n}
        if real:
            raise _fail(f"{settings.store.db} holds data that is not synthetic demo data ("
                        + ", ".join(_records(name, n) for name, n in real.items())
                        + "); demo data would be mixed into it. Give another database with --db, "
                        "or --force to load it anyway")
    streets_path = settings.geography.streets_path()
    if streets_path is None:
        raise _fail(ValueError("demo data needs a streets file (--streets or streets.geojson beside the zones file)"))
    try:
        zone_frame, street_frame = read_zones(settings.geography.zones), read_streets(streets_path)
    except ValidationError as exc:
        raise _fail(exc) from None
    with _progress() as bar:
        task = bar.add_task("synthetic demo data", total=1.0)
        data = demo_data(zone_frame, street_frame, year=year, seed=seed,
                         progress=lambda step, fraction: bar.update(task, description=step, completed=fraction * 0.7))
        for line in store_demo(store, data, seed, year, zone_frame["zone_id"].tolist(),
                               progress=lambda step, fraction: bar.update(task, description=step,
                                                                          completed=0.7 + fraction * 0.3)):
            console.print(line, highlight=False)
    console.print(f"SYNTHETIC demo data for {year} (seed {seed}) loaded into {settings.store.db}; "
                  "every record has source 'synthetic'.", highlight=False)


RESTORE_WAIT_S = 30.0
"""How long a restore waits for another program's write to finish before giving up."""


@app.command("backup")
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


@app.command("restore")
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
    return {name: store.count(schema) for name, schema in LAYERS.items()}


def _records(name: str, n: int) -> str:
    """``1 report``, ``2,175 incidents``, ``3,600 patrol pings``."""
    noun = "patrol pings" if name == PINGS.name else name
    return f"{n:,} {noun[:-1] if n == 1 else noun}"


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(_records(name, n) for name, n in counts.items())



class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


@coverage_app.command("patrol")
def coverage_patrol(
        year: Annotated[int, typer.Option(help="Year of the promise.", min=YEARS[0], max=YEARS[1])],
        as_of: Annotated[Optional[datetime], typer.Option(
            "--as-of", formats=["%Y-%m-%d"], callback=_supported_day, help="Count up to this local date (default: year end, or today).")] = None,
        output: Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")] = OutputFormat.table,
        max_gap: Annotated[float, typer.Option(help="Longest gap between pings that counts (s).")] = 120.0,
        max_speed: Annotated[float, typer.Option(help="Highest speed that counts as visible presence (km/h).")] = 10.0,
        uncovered: Annotated[Optional[Path], typer.Option(
            help="Write the places no presence reached to this GeoJSON file.")] = None,
        hotspots: Annotated[Optional[Path], typer.Option(
            help="Write the incident hot spots with their dosage to this GeoJSON file.")] = None,
        visits: Annotated[Optional[Path], typer.Option(
            help="Write every visit to a hot spot (unit, start, end, minutes) to this CSV file.")] = None,
        db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Police presence per zone and for the whole centre against the year's promised hours (from
    the promises file), and the share of each zone (and its streets) that presence reached."""
    from geo.io.csvsafe import neutralise
    from geo.io.geojson import to_feature_collection
    from geo.patrol import PresenceRules
    from geo.streets import read_streets
    from service.coverage import patrol_coverage
    from service.promises import promised

    settings = build_settings(db, zones, streets)
    store = _open_store(settings.store.db)
    try:
        for path in (uncovered, hotspots, visits):
            if path is not None:
                new_file(path)
        zone_frame = read_zones(settings.geography.zones)
        streets_path = settings.geography.streets_path()
        street_frame = read_streets(streets_path) if streets_path else None
        promise = promised(settings.promises.dir, year, "patrol_presence")
        with errors.status(f"computing patrol presence for {year}"):
            result = patrol_coverage(store, zone_frame, year, as_of.date() if as_of else None,
                                     PresenceRules(max_gap_s=max_gap, max_speed_kmh=max_speed), street_frame,
                                     target_h=promise.measure.target_h if promise else None)
    except ValidationError as exc:
        raise _fail(exc) from None
    report = result.report
    for path, frame, what in ((uncovered, result.uncovered, "uncovered places"), (hotspots, result.hotspots, "hot spots")):
        if path is not None:
            path.write_text(json.dumps(to_feature_collection(frame), ensure_ascii=False), encoding="utf-8")
            errors.print(f"{len(frame)} {what} written to {path}", highlight=False)
    if visits is not None:
        table = result.visits.assign(**{c: format_utc(result.visits[c]) for c in ("start", "end")})
        neutralise(table.round({"minutes": 2})).to_csv(visits, index=False)
        errors.print(f"{len(table)} visits written to {visits}", highlight=False)
    if output is OutputFormat.json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
    elif output is OutputFormat.csv:
        rows = [{k: v for k, v in zone.items() if k != "monthly_h"} | zone["monthly_h"] for zone in report["zones"]]
        typer.echo(neutralise(pd.DataFrame(rows)).to_csv(index=False), nl=False)
    else:
        _print_patrol_table(report)


@coverage_app.command("lighting")
def coverage_lighting(
        output: Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")] = OutputFormat.table,
        proposed: Annotated[Optional[Path], typer.Option(
            help="What-if: proposed lamps (a lights file: CSV, GeoJSON or GeoPackage); all taken as working.")] = None,
        cell: Annotated[float, typer.Option(help="Grid cell size in metres.", min=0.25, max=10)] = 1.0,
        incidents_year: Annotated[Optional[int], typer.Option(
            help="Count incidents after dark of this year only (default: all stored incidents).",
            min=YEARS[0], max=YEARS[1])] = None,
        photometry: Annotated[Optional[Path], typer.Option(
            help="Folder of EULUMDAT files named after luminaire types (<luminaire>.ldt).")] = None,
        buildings: Annotated[Optional[Path], typer.Option(
            help="Building footprints (GeoJSON polygons, WGS84), left out of the walkable area.")] = None,
        dark_spots: Annotated[Optional[Path], typer.Option(
            "--dark-spots", help="Write the dark spots (below the class minimum, >= 10 m²) to this GeoJSON file.")] = None,
        geotiff: Annotated[Optional[Path], typer.Option(help="Write the illuminance grid (lux) as a GeoTIFF.")] = None,
        png: Annotated[Optional[Path], typer.Option(
            help="Write a coloured PNG of the illuminance (WGS84) with a .bounds.json beside it.")] = None,
        db: DbOption = None, zones: ZonesOption = None) -> None:
    """Modelled illuminance per zone against its EN 13201 pedestrian class, dark spots, and the
    effect of proposed lamps (--proposed) for the lighting programme."""
    from geo.io.csvsafe import neutralise
    from geo.io.geojson import to_feature_collection
    from geo.io.raster import write_geotiff, write_png_overlay
    from geo.layers import LIGHTS
    from geo.io.geojson import parse_features, read_geojson
    from geo.photometry import read_eulumdat
    from service.coverage import lighting_coverage
    from service.imports import read_layer_file

    settings = build_settings(db, zones)
    store = _open_store(settings.store.db)
    try:
        for path in (dark_spots, geotiff, png):
            if path is not None:
                new_file(path)
        zone_frame = read_zones(settings.geography.zones)
        lamps = None
        if proposed is not None:
            lamps = validate(LIGHTS, read_layer_file(LIGHTS, proposed).raw, str(proposed))
        tables = None
        if photometry is not None:
            if not photometry.is_dir():
                raise ValidationError("not a folder of .ldt files", file=str(photometry))
            tables = {path.stem: read_eulumdat(path) for path in sorted(photometry.glob("*.ldt"))}
        footprints = None
        if buildings is not None:
            footprints = parse_features(read_geojson(buildings), str(buildings), ("Polygon", "MultiPolygon"), {})
        with errors.status("modelling illuminance"):
            result = lighting_coverage(store, zone_frame, lamps, cell, incidents_year, tables, footprints)
        grid = result.proposed_grid or result.grid
        if geotiff is not None:
            write_geotiff(grid, geotiff)
        if png is not None:
            bounds = write_png_overlay(grid, png)
            errors.print(f"PNG written to {png}, bounds (south-west, north-east) {bounds}", highlight=False)
    except ValidationError as exc:
        raise _fail(exc) from None
    if dark_spots is not None:
        dark_spots.write_text(json.dumps(to_feature_collection(result.dark_spots), ensure_ascii=False), encoding="utf-8")
        errors.print(f"{len(result.dark_spots)} dark spots written to {dark_spots}", highlight=False)
    report = result.report
    if output is OutputFormat.json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
    elif output is OutputFormat.csv:
        rows = report["proposed"]["zones"] if "proposed" in report else report["zones"]
        typer.echo(neutralise(pd.DataFrame(rows)).to_csv(index=False), nl=False)
    else:
        _print_lighting_tables(report)


def _print_lighting_tables(report: dict) -> None:
    columns = [("zon", "name"), ("klass", "lighting_class"), ("Ē krav lx", "class_average_lx"),
               ("Emin krav lx", "class_minimum_lx"), ("medel lx", "average_lx"), ("min lx", "minimum_lx"),
               ("jämnhet", "uniformity"), ("uppfyller", "meets_class"), ("yta ≥ Ē", "share_at_class_average"),
               ("mörka fläckar m²", "dark_spot_m2"), ("trasiga", "broken_lamps")]
    sections = [("Belysning idag (modellerad)", report["zones"])]
    if "proposed" in report:
        sections.append((f"Med {report['proposed']['lamps']} föreslagna armaturer", report["proposed"]["zones"]))
    for title, zones in sections:
        table = Table(title=title)
        for heading, _ in columns:
            table.add_column(heading, justify="left" if heading == "zon" else "right")
        for zone in zones:
            table.add_row(*[_cell(key, zone.get(key)) for _, key in columns])
        console.print(table)
    dark = report["incidents_after_dark"]
    console.print(f"Brott efter mörkrets inbrott: {dark['in_dark_spots']} i mörka fläckar ({dark['dark_spot_ha']} ha, "
                  f"{dark['rate_in_dark_spots_per_ha']} per ha), {dark['elsewhere']} på övriga ytor "
                  f"({dark['elsewhere_ha']} ha, {dark['rate_elsewhere_per_ha']} per ha); "
                  f"{dark['excluded_town_level']} utan exakt plats är inte med.", highlight=False)
    if "proposed" in report:
        removed = sum(zone["dark_spot_m2_removed"] for zone in report["proposed"]["zones"])
        console.print(f"De föreslagna armaturerna tar bort {removed:,.0f} m² mörka fläckar.", highlight=False)


def _print_patrol_table(report: dict) -> None:
    centre = report["centre"]
    table = Table(title=f"Polisnärvaro i stadskärnan {report['year']} (t.o.m. {report['as_of']})")
    columns = [("zone", "name"), ("närvaro h", "presence_h"), ("polis-h", "officer_h"),
               ("genomfart h", "drive_through_h"), ("dagar", "days_with_presence"), ("längsta uppehåll d", "longest_gap_days"),
               ("17-20", "night_17-20_h"), ("20-23", "night_20-23_h"), ("23-02", "night_23-02_h"),
               ("02-05", "night_02-05_h"), ("fre/lör natt h", "fri_sat_night_h"),
               ("yta nådd", "area_covered_share"), ("gator nådda", "street_covered_share")]
    for title, _ in columns:
        table.add_column(title, justify="left" if title == "zone" else "right")
    for zone in report["zones"]:
        table.add_row(*[_cell(key, zone.get(key)) for _, key in columns])
    console.print(table)
    if centre["target_h"] is None:
        console.print(f"Hela stadskärnan: {centre['presence_h']:,.1f} h närvaro; prognos för året "
                      f"{centre['projected_year_end_h']:,.1f} h (inget löfte om närvarotimmar för året i löftesfilerna)",
                      highlight=False)
    else:
        console.print(f"Hela stadskärnan: {centre['presence_h']:,.1f} h närvaro av löftets {centre['target_h']:,.0f} h; "
                      f"förväntat hittills {centre['expected_h_pro_rata']:,.1f} h; prognos för året "
                      f"{centre['projected_year_end_h']:,.1f} h; status: {centre['status']}", highlight=False)
    if not report["hotspots"]:
        console.print("Inga brottsbelastade platser (hot spots) bland årets brott med känd plats.")
        return
    spots = Table(title="Brottsbelastade platser (hot spots, 150 m) och polisens närvaro; "
                        "Koper: besök 10-15 min, minst ett varannan timme kvällstid")
    columns = [("plats", "hotspot_id"), ("zon", "zone_id"), ("brott", "incidents"), ("besök", "visits"),
               ("min/dag", "minutes_per_day"), ("min/vecka", "minutes_per_week"), ("median besök min", "median_visit_min"),
               ("besök 10-15 min", "share_visits_10_15_min"), ("kvällens 2-h-pass med besök", "busy_windows_with_visit_share")]
    for title, _ in columns:
        spots.add_column(title, justify="left" if title in ("plats", "zon") else "right")
    for spot in report["hotspots"]:
        spots.add_row(*[_cell(key, spot.get(key)) for _, key in columns])
    console.print(spots)


class WeekFormat(str, Enum):
    table = "table"
    json = "json"


@app.command("lagesbild")
def lagesbild_command(
        week: Annotated[Optional[str], typer.Option(help="ISO week, YYYY-Www (default: the current week).")] = None,
        output: Annotated[WeekFormat, typer.Option("--format", help="table or json.")] = WeekFormat.table,
        db: DbOption = None, zones: ZonesOption = None) -> None:
    """The week's lägesbild (EST): per zone incidents, new reports, unsafe-place pins and police
    presence against the four weeks before, and the three zones that most need attention."""
    from geo.swedish import sv_number, sv_signed
    from service.lagesbild import lagesbild

    settings = build_settings(db, zones)
    store = _open_store(settings.store.db)
    try:
        zone_frame = read_zones(settings.geography.zones)
        with errors.status("computing the lägesbild"):
            report = lagesbild(store, zone_frame, week)
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


def _cell(key: str, value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if "share" in key:
        return f"{value:.0%}"
    return f"{value:,.1f}" if isinstance(value, float) else str(value)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                    console=errors, transient=True)


def main() -> None:
    """Entry point of the console script: file-system and GDAL errors end with a message, not a traceback."""
    from pyogrio.errors import DataSourceError
    from rasterio.errors import RasterioIOError

    try:
        app()
    except (OSError, DataSourceError, RasterioIOError, StoreError) as exc:
        errors.print(Text("error: ", style="bold red") + Text(str(exc)))
        raise SystemExit(2) from None

"""Importing a file into a layer of the store: read, validate, write — all or nothing.

A CSV file of patrol pings (a fleet-year is tens of millions of rows) is streamed: read in
batches of some 8 MB (:func:`geo.io.csvfile.read_csv_batches`, the next batch read in another
thread meanwhile), each batch validated, gathered per unit and UTC day with each unit and time
once (:class:`service.store.pingchunks.PingBuffer`), and handed to the store's ``write_pings`` as
frames of whole unit-days, all in one transaction. Memory stays bounded whatever the file's size
(the buffer holds at most :data:`service.store.pingchunks.PENDING_BYTES`), and a bad row anywhere
still stores nothing. Every other file is read whole and validated with :func:`geo.layers.validate`.

Validating a batch of pings takes a fast path when the batch is in the forms files usually
have — times written ``YYYY-MM-DDThh:mm:ss[.fff]`` with one kind of zone, plain decimal
coordinates, few distinct units, modes, crews and sources — and gives exactly the frame
:func:`geo.layers.validate` gives (tested against it), only without repeated pings dropped yet
(the buffer drops and counts them across the whole file). Anything else, and every error, goes
through :func:`geo.layers.validate` itself, so the messages are its messages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from geo.crs import HALMSTAD_LONLAT, SWEDEN_LONLAT_BOUNDS, coordinate_problems
from geo.errors import Message, ValidationError
from geo.io.csvfile import CsvBatch, iso_times, read_csv_batches, read_csv_records
from geo.io.gpx import read_gpx_records
from geo.io.ics import read_ics_records
from geo.io.geojson import read_json
from geo.io.points import geojson_records, point_records, read_geopackage_records, read_geoparquet_records
from geo.io.police import PoliceArea, looks_like_police_events, police_records
from geo.io.records import Records
from geo.layers import COORDINATE_DECIMALS, EVENTS, INCIDENTS, LIGHTS, PINGS, LayerSchema, counted_rows, validate
from geo.presence_log import validate_log
from geo.timestamps import LOCAL_TZ, SUPPORTED_END, SUPPORTED_START
from service.settings import GeographySettings
from service.store import Actor, SQLiteStore, Store
from service.store.pingchunks import PingBuffer

Progress = Callable[[str, int, int], None]
"""progress(step, done, total): called while reading, validating and writing large files.

Steps: ``reading`` and ``validating`` count bytes of the file (both on one scale, so the bar moves
on through a file's batches), ``writing`` counts unit-days written (one pings chunk each)."""

REPEATED = Message("repeated in the file for the same unit and time")
ALREADY_STORED = Message("already stored")
"""Why a record stored already with the same content is skipped."""


@dataclass
class ImportSummary:
    """What an import did, for the summary line."""

    layer: str
    file: str
    read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def line(self) -> Message:
        """One line: rows read, imported, updated, skipped and why (a :class:`Message`: English as
        text, rendered in another language by :func:`service.i18n.translate`)."""
        skipped = dict(self.skipped)
        if self.unchanged:
            skipped[ALREADY_STORED] = self.unchanged
        total = sum(skipped.values())
        counts = dict(layer=self.layer, file=self.file, read=self.read, imported=self.imported, updated=self.updated,
                      skipped=total)
        if not total:
            return Message("{layer} from {file}: {read} rows read, {imported} imported, {updated} updated, "
                           "{skipped} skipped", **counts)
        why = [Message("{count} {reason}", count=n, reason=reason) for reason, n in skipped.items()]
        return Message("{layer} from {file}: {read} rows read, {imported} imported, {updated} updated, "
                       "{skipped} skipped ({why})", why=_listed(why), **counts)



def _listed(messages: list[Message]) -> Message:
    """Messages joined by commas, as one :class:`Message`."""
    first, *rest = messages
    return Message("{first}, {rest}", first=first, rest=_listed(rest)) if rest else first


def _check_options(schema: LayerSchema, path: Path, crs: str | None, unit_id: str | None, mode: str | None,
                   crew: int | None) -> None:
    """Refuse options that do not apply to this file and layer."""
    suffix = path.suffix.lower()
    if crs is not None and suffix != ".csv":
        raise ValidationError(Message("--crs applies to CSV files only (GeoJSON is WGS84; GeoPackage says its CRS)"),
                              file=str(path))
    if (unit_id is not None or crew is not None) and schema is not PINGS:
        raise ValidationError(Message("--unit and --crew apply to patrol tracks only"), file=str(path))
    if suffix == ".gpx" and schema is not PINGS:
        raise ValidationError(Message("GPX files hold patrol tracks; import them as 'patrols', not '{name}'",
                                      name=schema.name),
                              file=str(path))
    if suffix != ".gpx" and mode is not None:
        raise ValidationError(Message("--mode applies to GPX tracks only (CSV files carry a mode column)"),
                              file=str(path))


def read_layer_file(schema: LayerSchema, path: str | Path, crs: str | None = None, unit_id: str | None = None,
                    mode: str | None = None, crew: int | None = None, progress: Progress | None = None,
                    police_area: PoliceArea | None = None) -> Records:
    """Read a whole file for ``schema`` by its extension: .csv, .geojson/.json (GeoJSON, or police
    events JSON for incidents: the events of ``police_area``, by default the settings' town),
    .gpkg, .parquet (GeoParquet), and .gpx for patrols."""
    path = Path(path)
    suffix = path.suffix.lower()
    _check_options(schema, path, crs, unit_id, mode, crew)
    if suffix == ".gpx":
        return read_gpx_records(path, unit_id, mode, crew)
    if suffix == ".csv":
        return read_csv_records(path, crs, progress=(lambda d, t: progress("reading", d, t)) if progress else None)
    if suffix == ".gpkg":
        return read_geopackage_records(path, schema.name, areas=schema is EVENTS)
    if suffix == ".parquet":
        return read_geoparquet_records(path)
    if suffix in (".geojson", ".json"):
        doc = read_json(path)
        if schema is INCIDENTS and looks_like_police_events(doc):
            return police_records(doc, str(path), police_area or GeographySettings().police_area())
        return geojson_records(doc, str(path), areas=schema is EVENTS)
    if suffix == ".ics" and schema is EVENTS:
        return read_ics_records(path)
    raise ValidationError(Message("unknown file type {suffix!r}: use .csv, .geojson, .json, .gpkg, .parquet or .gpx "
                                  "(and .ics for events)", suffix=suffix),
                          file=str(path))


def import_file(store: SQLiteStore, schema: LayerSchema, path: str | Path, progress: Progress | None = None,
                **options: str | int | None) -> ImportSummary:
    """Import ``path`` into the layer ``schema``: every record valid or nothing stored.

    Re-importing a file changes nothing (records with known ids/times are counted as already
    stored; changed records are updated). Raises :class:`ValidationError` naming the file, row and field.
    A CSV file of patrol pings is streamed (bounded memory, any size); other files are read whole.
    """
    if Path(path).is_dir():
        return _import_archive(store, schema, Path(path), progress, options)
    if schema is PINGS and Path(path).suffix.lower() == ".csv":
        _check_options(schema, Path(path), **{"crs": None, "unit_id": None, "mode": None, "crew": None, **options})
        return _import_ping_csv(store, Path(path), options.get("crs"), progress)
    records = read_layer_file(schema, path, progress=progress, **options)
    frame = validate(schema, records.raw, str(path))
    summary = ImportSummary(schema.name, str(path), read=len(records.raw) + sum(records.skipped.values()),
                            skipped=records.skipped, warnings=records.warnings)
    if frame.attrs["duplicates"]:
        summary.skipped[REPEATED] = frame.attrs["duplicates"]
    if schema is PINGS:
        result = store.write_pings(frame, (lambda d, t: progress("writing", d, t)) if progress else None)
    else:
        if schema is LIGHTS:
            summary.warnings.extend(_undated_new_lamps(store, frame))
        result = store.write_features(schema, frame, Actor("import", Path(path).name))
    summary.imported, summary.updated, summary.unchanged = result.inserted, result.updated, result.unchanged
    return summary


def _import_archive(store: SQLiteStore, schema: LayerSchema, directory: Path, progress: Progress | None,
                    options: dict) -> ImportSummary:
    """Import a layer from an archive folder (:mod:`service.archive`): pings a month at a time,
    each month validated (rows named by their month's folder), all written in one transaction; the
    other layers read whole. Every record valid or nothing stored."""
    from service.archive import archive_ping_frames, is_archive, ping_months, read_archive_layer

    if any(value is not None for value in options.values()):
        raise ValidationError(Message("an archive carries every field: no options apply"), file=str(directory))
    if not is_archive(directory):
        raise ValidationError(Message("a folder is imported only when it is an archive (`stadskarna archive`)"),
                              file=str(directory))
    summary = ImportSummary(schema.name, str(directory))
    if schema is PINGS:
        months = len(ping_months(directory))

        def frames() -> Iterator[pd.DataFrame]:
            for done, (source, raw) in enumerate(archive_ping_frames(directory), start=1):
                frame = validate(PINGS, raw, source)
                summary.read += len(raw)
                summary.skipped[REPEATED] = summary.skipped.get(REPEATED, 0) + frame.attrs["duplicates"]
                if progress:
                    progress("validating", done, months)
                yield frame

        result = store.write_pings(frames(), (lambda d, t: progress("writing", d, t)) if progress else None)
        if not summary.skipped.get(REPEATED):
            summary.skipped.pop(REPEATED, None)
    else:
        raw = read_archive_layer(directory, schema)
        source = str(directory / schema.name)
        records = point_records(raw.set_axis(pd.RangeIndex(1, len(raw) + 1)), source, areas=schema is EVENTS)
        frame = validate(schema, records.raw, source)
        summary.read = len(raw)
        result = store.write_features(schema, frame, Actor("import", directory.name))
    summary.imported, summary.updated, summary.unchanged = result.inserted, result.updated, result.unchanged
    return summary


def _undated_new_lamps(store: SQLiteStore, lamps: pd.DataFrame) -> list[str]:
    """A warning when lamps new to a store that holds lamps have no ``installed_at``."""
    stored = store.read_features(LIGHTS)["id"]
    if stored.empty:
        return []
    undated = lamps[~lamps["id"].isin(stored) & lamps["installed_at"].isna()]
    if undated.empty:
        return []
    return [f"{len(undated)} new lamps have no installed_at (first: {undated['id'].iloc[0]}); they count as there in "
            "every earlier year too: give the date they were put up, so earlier years' figures stay as they were"]


# -- patrol pings from CSV, streamed ---------------------------------------------------------------


def _import_ping_csv(store: SQLiteStore, path: Path, crs: str | None, progress: Progress | None) -> ImportSummary:
    """Stream a CSV file of pings into the store: batches read and validated one after another,
    gathered per unit-day (:class:`service.store.pingchunks.PingBuffer`), handed to the store's
    ``write_pings`` as frames of whole unit-days in one transaction. The store is called only when
    the buffer fills up or the file ends, so a file that fits in the buffer (any upload) holds the
    write lock only while it is written, and one that does not holds it from then on."""
    summary = ImportSummary(PINGS.name, str(path))
    dropped = 0  # repeated pings dropped by validate within a batch (the buffer counts the rest)
    position = [0, 1]  # bytes of the file validated, of all

    def validated() -> Iterator[pd.DataFrame]:
        nonlocal dropped
        known: dict = {}
        with closing(read_csv_batches(path, crs)) as batches:  # (stops the reading thread at once on an error)
            for batch in batches:
                if progress:
                    progress("reading", batch.bytes_read, batch.bytes_total)
                frame = validate_ping_batch(batch, known)
                summary.read += len(batch)
                dropped += frame.attrs.get("duplicates", 0)
                position[:] = batch.bytes_read, max(batch.bytes_total, 1)
                if progress:
                    progress("validating", batch.bytes_read, batch.bytes_total)
                yield frame

    with PingBuffer() as buffer, closing(validated()) as batches:
        for frame in batches:  # until the buffer is full or the file ends, before taking the write lock
            buffer.add(frame)
            if buffer.over_budget:
                break
        ended = not buffer.over_budget

        def frames() -> Iterator[pd.DataFrame]:
            yield from buffer.frames(final=ended)
            for frame in batches:
                buffer.add(frame)
                if buffer.over_budget:
                    yield from buffer.frames()
            yield from buffer.frames(final=True)

        written = 0

        def wrote(done: int, total: int) -> None:
            # the store calls this once a unit-day, counting within each frame: count on through
            # them all, out of the unit-days met so far (while the file is still being read, as many
            # again in proportion for the rest of it: the bar then shows about the share written)
            nonlocal written
            written += 1
            expected = buffer.handed_on + buffer.unit_days
            if position[0] < position[1]:
                expected = round(expected * position[1] / max(position[0], 1))
            progress("writing", written, max(written, expected))

        if ended and not buffer.held:
            result = None  # nothing to write (a file with no rows but its header)
        else:
            result = store.write_pings(frames(), wrote if progress else None)
        repeated = dropped + buffer.repeated
    if repeated:
        summary.skipped[REPEATED] = repeated
    if result is not None:
        summary.imported, summary.updated, summary.unchanged = result.inserted, result.updated, result.unchanged
    return summary


def validate_ping_batch(batch: CsvBatch, known: dict | None = None) -> pd.DataFrame:
    """The validated pings of a batch of CSV rows, as :func:`geo.layers.validate` gives them for
    those rows (rows named by their place in the file), except that pings repeated for a unit and
    time may still be in it (the store's buffer drops them across the whole file and counts them)
    and that ``unit_id``, ``mode`` and ``source`` may come as categoricals of the same values.

    The fast path (:func:`_fast_pings`) handles batches in the usual forms; the others, and every
    error, go through :func:`geo.layers.validate`. An error in a batch that does not end the file
    counts the rows with the same problem in that batch only, and says so. ``known`` (a dict kept
    from batch to batch) remembers the text values validated already.
    """
    try:
        fast = _fast_pings(batch, {} if known is None else known)
        if fast is not None:
            return fast
        return validate(PINGS, batch.records().raw, batch.source)
    except ValidationError as exc:
        counted = counted_rows(exc.message)
        if counted is None or batch.last:
            raise
        raise replace(exc, message=Message("{problem} ({count} more rows up to row {last} have this problem; the rows "
                                           "after them were not checked)", problem=counted[0], count=counted[1],
                                           last=batch.last_row)) from None


def _fast_pings(batch: CsvBatch, known: dict) -> pd.DataFrame | None:
    """The validated pings of ``batch`` when every value is in a form read fast and valid; None
    when anything needs :func:`geo.layers.validate` (an unusual form, or a problem to report)."""
    if len(batch) == 0 or "timestamp" not in batch.columns:
        return None
    positions = batch.positions()
    if positions is None:
        return None
    lon, lat = positions
    minx, miny, maxx, maxy = SWEDEN_LONLAT_BOUNDS
    outside = ~((lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy))
    if outside.any() and np.not_equal(coordinate_problems(lon[outside], lat[outside]), None).any():
        return None  # (a point inside Sweden's box is never a coordinate problem)
    times = _fast_times(batch)
    if times is None:
        return None
    texts = {}
    for spec in PINGS.fields:
        if spec.name != "timestamp" and spec.name in batch.columns:
            coded = batch.text(spec.name)
            if coded is None:
                return None
            texts[spec.name] = coded
    key = tuple((name, tuple(values)) for name, (_, values) in texts.items())
    if key not in known:
        if len(known) > 100 or sum(len(values) for _, values in key) > 10_000:
            known.clear()
        known[key] = _validated_values(texts, batch.source)
    values = known[key]
    if values is None:
        return None
    out = {}
    for spec in PINGS.fields:
        if spec.name == "timestamp":
            out[spec.name] = pd.Series(pd.DatetimeIndex(times.view("datetime64[ns]")).tz_localize("UTC"))
            continue
        column = values[spec.name]
        codes = texts[spec.name][0] if spec.name in texts else np.zeros(len(batch), dtype=np.int32)
        if pd.api.types.is_string_dtype(column.dtype):
            distinct, categories = pd.factorize(column)  # values that differed may be one now ("Foot", "foot")
            out[spec.name] = pd.Series(pd.Categorical.from_codes(distinct[codes], categories=categories))
        else:
            out[spec.name] = pd.Series(column.to_numpy()[codes])
    frame = pd.DataFrame(out)
    frame["lon"] = np.round(lon, COORDINATE_DECIMALS)
    frame["lat"] = np.round(lat, COORDINATE_DECIMALS)
    frame.attrs["duplicates"] = 0
    return frame


def _fast_times(batch: CsvBatch) -> np.ndarray | None:
    """UTC nanoseconds (floored to the millisecond) of the batch's timestamps in the forms of
    :func:`geo.io.csvfile.iso_times`, when all lie in the supported range (a wall-clock time placed
    in Europe/Stockholm as :func:`geo.timestamps.parse_utc` does: a time that is ambiguous or does
    not exist at a daylight-saving change is left to it); else None."""
    parsed = iso_times(batch.table.column("timestamp"))
    if parsed is None:
        return None
    ns, aware = parsed
    if not aware:
        local = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize(LOCAL_TZ, ambiguous="NaT",
                                                                       nonexistent="NaT")
        if local.hasnans:
            return None
        ns = local.asi8
    if ns.min() < SUPPORTED_START.value or ns.max() >= SUPPORTED_END.value:
        return None
    return ns - ns % 1_000_000


def _validated_values(texts: dict[str, tuple[np.ndarray, list[str]]], source: str) -> dict[str, pd.Series] | None:
    """Each text field's distinct values as :func:`geo.layers.validate` makes them (its own rules,
    run on the distinct values only: every rule for these fields looks at one value at a time),
    with the defaults of absent fields; None when validate refuses any of them."""
    size = max([len(values) for _, values in texts.values()] + [1])
    raw = {name: pd.Series(values + values[:1] * (size - len(values)), dtype="str")
           for name, (_, values) in texts.items()}
    raw["timestamp"] = pd.Series(pd.date_range("2000-01-01", periods=size, freq="s", tz="UTC"))
    raw["lon"], raw["lat"] = np.full(size, HALMSTAD_LONLAT[0]), np.full(size, HALMSTAD_LONLAT[1])
    try:
        checked = validate(PINGS, pd.DataFrame(raw), source)
    except ValidationError:
        return None
    return {spec.name: checked[spec.name] for spec in PINGS.fields if spec.name != "timestamp"}


def import_presence_log(store: Store, path: str | Path, zone_ids: list[str]) -> ImportSummary:
    """Import a presence log CSV (:func:`geo.presence_log.validate_log`: every row valid, or
    nothing is stored; a row that overlaps a stored one of its unit is refused by the store's
    :class:`service.store.Conflict`, and nothing is stored)."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise ValidationError(Message("a presence log is a CSV file (unit_id, start, end, mode, crew, zone_id or "
                                      "lon/lat)"),
                              file=str(path))
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValidationError(Message("cannot read the file as CSV: {exc}", exc=exc), file=str(path)) from None
    log = validate_log(raw, zone_ids, path.name)
    result = store.write_presence_log(log)
    return ImportSummary("presence-log", path.name, read=len(raw), imported=result.inserted, updated=result.updated,
                         unchanged=result.unchanged)


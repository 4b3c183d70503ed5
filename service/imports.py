"""Importing a file into a layer of the store: read, validate, write — all or nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import ValidationError
from geo.io.csvfile import read_csv_records
from geo.io.gpx import read_gpx_records
from geo.io.geojson import read_json
from geo.io.points import geojson_records, read_geopackage_records
from geo.io.police import looks_like_police_events, police_records
from geo.io.records import Records
from geo.layers import INCIDENTS, PINGS, LayerSchema, validate
from service.store import SQLiteStore

Progress = Callable[[str, int, int], None]
"""progress(step, done, total): called while reading and writing large files."""


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

    def line(self) -> str:
        """One line: rows read, imported, updated, skipped and why."""
        skipped = dict(self.skipped)
        if self.unchanged:
            skipped["already stored"] = self.unchanged
        total = sum(skipped.values())
        why = f" ({', '.join(f'{n} {reason}' for reason, n in skipped.items())})" if total else ""
        return (f"{self.layer} from {self.file}: {self.read} rows read, {self.imported} imported, "
                f"{self.updated} updated, {total} skipped{why}")


def read_layer_file(schema: LayerSchema, path: str | Path, crs: str | None = None, unit_id: str | None = None,
                    mode: str | None = None, crew: int | None = None, progress: Progress | None = None) -> Records:
    """Read a file for ``schema`` by its extension: .csv, .geojson/.json (GeoJSON, or police
    events JSON for incidents), .gpkg, and .gpx for patrols."""
    path = Path(path)
    suffix = path.suffix.lower()
    if crs is not None and suffix != ".csv":
        raise ValidationError("--crs applies to CSV files only (GeoJSON is WGS84; GeoPackage says its CRS)",
                              file=str(path))
    if (unit_id is not None or crew is not None) and schema is not PINGS:
        raise ValidationError("--unit and --crew apply to patrol tracks only", file=str(path))
    if suffix == ".gpx":
        if schema is not PINGS:
            raise ValidationError(f"GPX files hold patrol tracks; import them as 'patrols', not '{schema.name}'",
                                  file=str(path))
        return read_gpx_records(path, unit_id, mode, crew)
    if mode is not None:
        raise ValidationError("--mode applies to GPX tracks only (CSV files carry a mode column)", file=str(path))
    if suffix == ".csv":
        return read_csv_records(path, crs, progress=(lambda d, t: progress("reading", d, t)) if progress else None)
    if suffix == ".gpkg":
        return read_geopackage_records(path, schema.name)
    if suffix in (".geojson", ".json"):
        doc = read_json(path)
        if schema is INCIDENTS and looks_like_police_events(doc):
            return police_records(doc, str(path))
        return geojson_records(doc, str(path))
    raise ValidationError(f"unknown file type {suffix!r}: use .csv, .geojson, .json, .gpkg or .gpx", file=str(path))


def import_file(store: SQLiteStore, schema: LayerSchema, path: str | Path, progress: Progress | None = None,
                **options: str | int | None) -> ImportSummary:
    """Import ``path`` into the layer ``schema``: every record valid or nothing stored.

    Re-importing a file changes nothing (records with known ids/times are counted as already
    stored; changed records are updated). Raises :class:`ValidationError` naming the file, row and field.
    """
    records = read_layer_file(schema, path, progress=progress, **options)
    frame = validate(schema, records.raw, str(path))
    summary = ImportSummary(schema.name, str(path), read=len(records.raw) + sum(records.skipped.values()),
                            skipped=records.skipped, warnings=records.warnings)
    if frame.attrs["duplicates"]:
        summary.skipped["repeated in the file for the same unit and time"] = frame.attrs["duplicates"]
    if schema is PINGS:
        result = store.write_pings(frame, (lambda d, t: progress("writing", d, t)) if progress else None)
    else:
        result = store.write_features(schema, frame)
    summary.imported, summary.updated, summary.unchanged = result.inserted, result.updated, result.unchanged
    return summary

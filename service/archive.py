"""The archive: the stored layers as GeoParquet files in folders partitioned by year and month.

The exchange format with analysts (DuckDB, GeoPandas, QGIS, Spark read it) and the input of the
distributed presence (:mod:`service.distributed`). ``DIR/<layer>/year=YYYY/month=M/part-0.parquet``
(Hive layout) for the layers with a time of their own — patrol pings by their timestamp, incidents,
reports and events by theirs, by UTC month (a track is one unit's pings of one UTC day, so a month's
file holds whole tracks) — and ``DIR/<layer>/part-0.parquet`` for lights and cameras. Every file is
GeoParquet 1.1 (WKB points, the ``bbox`` covering column, times as UTC timestamps to the
millisecond), sorted by unit and time (pings) or by id, in row groups of
:data:`ROW_GROUP_ROWS` rows whose statistics let a reader skip what it does not ask for. Reports
never carry their reporters' contacts. ``DIR/archive.json`` says what was written, when and from
which data (the demo's synthetic data is labelled so).
"""

from __future__ import annotations

import fcntl
import json
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pyproj
from numpy.typing import NDArray

from geo.crs import WGS84
from geo.errors import Message, ValidationError
from geo.io.export import GEOPARQUET_VERSION, event_geometry, write_geoparquet
from geo.layers import CAMERAS, EVENTS, INCIDENTS, LIGHTS, PATROL_MODES, PINGS, REPORTS, LayerSchema
from geo.patrol import Tracks
from geo.presence_kernel import sorted_by_unit_and_time
from geo.timestamps import utc_text
from service.gis_export import synthetic_note
from service.store import Store

ARCHIVE_LAYERS = (PINGS, INCIDENTS, REPORTS, EVENTS, LIGHTS, CAMERAS)
"""The layers an archive holds, in the order they are written."""
MONTHLY = (PINGS, INCIDENTS, REPORTS, EVENTS)
"""The layers partitioned by the UTC year and month of their time field."""
ROW_GROUP_ROWS = 65_536
"""Rows per Parquet row group: half a MB a column, read at speed, and about 18 hours of one unit at
1 Hz — small enough that a reader asking for a unit, or for the first minutes of a month (the
overlap a partition needs), skips nearly all of a file by the groups' statistics."""
MANIFEST = "archive.json"
ARCHIVE_VERSION = 1

Progress = Callable[[str, int, int], None]
"""``progress(layer, months done, of months)``."""


def write_archive(store: Store, directory: Path, schemas: tuple[LayerSchema, ...] = ARCHIVE_LAYERS,
                  progress: Progress | None = None) -> dict[str, int]:
    """Write the layers ``schemas`` (of :data:`ARCHIVE_LAYERS`) from ``store`` into the archive
    ``directory`` (made when missing; a layer already in it is never written over); the rows
    written per layer. Pings are read and written a UTC month at a time, so memory holds one
    month's pings. The manifest lists every layer the archive holds.

    Each layer's folder is claimed first (made, and only if it was not there: of two writers
    started at once, one gets it and the other is refused), then filled in a hidden folder beside
    it that takes its place when whole; on any failure what this call made is removed again."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ValidationError(Message("exists and is not a folder"), file=str(directory))
    directory.mkdir(parents=True, exist_ok=True)
    read_manifest(directory)  # an unreadable manifest is refused before anything is written
    with _claimed(directory, [schema.name for schema in schemas]):
        written = {}
        for schema in schemas:
            with _staged(directory / schema.name) as folder:
                if schema is PINGS:
                    written[schema.name] = _write_pings(store, folder, progress)
                else:
                    written[schema.name] = _write_layer(_as_table(store.read_features(schema), schema), schema, folder)
                    if progress:
                        progress(schema.name, 1, 1)
        add_to_manifest(directory, written, synthetic_note(store))
    return written


@contextmanager
def _claimed(directory: Path, layers: list[str]) -> Iterator[None]:
    """The layers' folders made here, each only if it did not exist (refused, naming the layers
    present, when one did); removed again when the block fails."""
    made: list[Path] = []
    try:
        for layer in layers:
            try:
                (directory / layer).mkdir()
            except FileExistsError:
                present = [name for name in layers if (directory / name).exists() and directory / name not in made]
                raise ValidationError(Message("already holds {layers}: an archive is never written over",
                                              layers=", ".join(present)), file=str(directory)) from None
            made.append(directory / layer)
        yield
    except BaseException:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
        raise


@contextmanager
def _staged(folder: Path) -> Iterator[Path]:
    """A hidden folder beside ``folder`` (claimed, empty) to write into; it becomes ``folder`` when
    the block ends well, and is removed when it fails."""
    staging = folder.with_name(f".{folder.name}.writing-{secrets.token_hex(6)}")
    staging.mkdir()  # (as the layer's own folder would be: the umask's mode, not mkdtemp's 0700)
    try:
        yield staging
        staging.replace(folder)  # a folder takes the place of an empty one in one step
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def add_to_manifest(directory: Path, written: dict[str, int], synthetic: str | None) -> None:
    """Record the layers ``written`` (rows per layer, whole in their folders) in the manifest: a
    layer is part of the archive once listed there. Under a lock (another writer may be adding its
    layers), written whole under a temporary name first; an earlier "synthetic" label is kept."""
    with open(directory / ".archive.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        earlier = read_manifest(directory)
        note = synthetic or earlier.get("synthetic")
        manifest = {"archive_version": ARCHIVE_VERSION, "written_at": utc_text(pd.Timestamp.now(tz="UTC")),
                    "layout": "hive: <layer>/year=YYYY/month=M/part-0.parquet (UTC months); lights and cameras "
                              "<layer>/part-0.parquet", "geoparquet": GEOPARQUET_VERSION, "crs": "EPSG:4326",
                    "rows": {**earlier.get("rows", {}), **written}, **({"synthetic": note} if note else {})}
        staged = directory / f".{MANIFEST}.writing"
        staged.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        staged.replace(directory / MANIFEST)


def read_manifest(directory: Path) -> dict:
    """The archive's manifest (empty when there is none yet); :class:`ValidationError` when unreadable."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(Message("not a readable archive: {exc}", exc=exc), file=str(path)) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("rows", {}), dict):
        raise ValidationError(Message("not a readable archive: {exc}", exc="no rows per layer"), file=str(path))
    return manifest


def _write_pings(store: Store, folder: Path, progress: Progress | None) -> int:
    """The stored pings, a UTC month at a time, into ``folder``'s Hive partitions."""
    latest = store.latest_ping()
    if latest is None:
        return 0
    first = store.ping_spans()["t_min"].min()
    months = pd.date_range(pd.Timestamp(int(first), tz="UTC").normalize().replace(day=1), latest, freq="MS")
    rows = 0
    for done, month in enumerate(months, start=1):
        pings = store.read_pings(month, month + pd.offsets.MonthBegin(1))
        if len(pings):
            rows += write_ping_file(pings, folder / f"year={month.year}" / f"month={month.month}")
        if progress:
            progress(PINGS.name, done, len(months))
    return rows


_BOX = ("xmin", "ymin", "xmax", "ymax")
"""The fields of the bbox covering column (GeoParquet 1.1)."""
_WKB_POINT = np.dtype([("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])
"""A 2D Point in WKB (little-endian: byte order 1, geometry type 1, x, y): 21 bytes, packed."""


def write_ping_file(pings: pd.DataFrame, folder: Path) -> int:
    """A month's pings (as the store's ``read_pings`` gives them; text columns may be categoricals)
    as ``folder/part-0.parquet``, sorted by unit and time as given: the
    same GeoParquet 1.1 as :func:`_write_part` writes, made from the arrays directly (a shapely
    Point per ping would cost ten times the rest), row group by row group."""
    folder.mkdir(parents=True, exist_ok=True)
    lon, lat = pings["lon"].to_numpy(dtype=np.float64), pings["lat"].to_numpy(dtype=np.float64)
    column = {"encoding": "WKB", "geometry_types": ["Point"], "crs": pyproj.CRS(WGS84).to_json_dict(),
              "bbox": [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())],
              "covering": {"bbox": {name: ["bbox", name] for name in _BOX}}}
    geo = {"version": GEOPARQUET_VERSION, "primary_column": "geometry", "columns": {"geometry": column}}
    times = pings["timestamp"].dt.tz_convert("UTC").dt.as_unit("ms")
    with pq.ParquetWriter(folder / "part-0.parquet", _PING_SCHEMA.with_metadata({"geo": json.dumps(geo)}),
                          compression="zstd", use_dictionary=["unit_id", "mode", "source", "crew"],
                          column_encoding=_PING_ENCODINGS) as writer:
        for start in range(0, len(pings), ROW_GROUP_ROWS):
            part = slice(start, start + ROW_GROUP_ROWS)
            wkb = np.empty(len(lon[part]), dtype=_WKB_POINT)
            wkb["order"], wkb["kind"], wkb["x"], wkb["y"] = 1, 1, lon[part], lat[part]
            offsets = np.arange(0, _WKB_POINT.itemsize * (len(wkb) + 1), _WKB_POINT.itemsize, dtype=np.int32)
            geometry = pa.Array.from_buffers(pa.binary(), len(wkb), [None, pa.py_buffer(offsets), pa.py_buffer(wkb)])
            box = pa.StructArray.from_arrays([lon[part], lat[part], lon[part], lat[part]],
                                             names=list(_BOX))
            text = {name: pa.Array.from_pandas(pings[name].iloc[part]).cast(pa.string())  # (categoricals too)
                    for name in ("unit_id", "mode", "source")}
            writer.write_table(pa.table([text["unit_id"], pa.array(times.iloc[part], pa.timestamp("ms", tz="UTC")),
                                         text["mode"], pa.array(pings["crew"].to_numpy()[part], pa.int64()),
                                         text["source"], geometry, box], schema=_PING_SCHEMA))
    return len(pings)


_PING_ENCODINGS = {"timestamp": "DELTA_BINARY_PACKED",
                   **{f"bbox.{name}": "BYTE_STREAM_SPLIT" for name in _BOX}}
"""How the pings' numbers are laid out before zstd: times as their differences (a second at
1 Hz: a few bits each), the box's coordinates byte plane by byte plane (the planes that hardly
change pack to almost nothing). Against Parquet's default dictionary-then-plain, a month of 16.7
million pings takes 515 MB instead of 841, is written in half the time and read in half the time;
DuckDB, GDAL and pyarrow read both."""
_PING_SCHEMA = pa.schema([("unit_id", pa.string()), ("timestamp", pa.timestamp("ms", tz="UTC")), ("mode", pa.string()),
                          ("crew", pa.int64()), ("source", pa.string()), ("geometry", pa.binary()),
                          ("bbox", pa.struct([(name, pa.float64()) for name in _BOX]))])


def _as_table(frame: gpd.GeoDataFrame, schema: LayerSchema) -> gpd.GeoDataFrame:
    """A stored layer as the archive keeps it: its public fields (never contacts), sorted by id; an
    event held on an area is that area (as every export has it)."""
    geometry = event_geometry(frame) if schema is EVENTS else frame.geometry
    return gpd.GeoDataFrame(frame[schema.public_fields], geometry=geometry, crs=WGS84).sort_values(
        "id", kind="stable", ignore_index=True)


def _write_layer(table: gpd.GeoDataFrame, schema: LayerSchema, folder: Path) -> int:
    """A layer other than pings: by UTC month of its time field, or in one file."""
    if schema not in MONTHLY:
        return _write_part(table, folder)
    months = table[schema.time_field].dt.tz_convert("UTC")
    for (year, month), part in table.groupby([months.dt.year, months.dt.month], sort=True):
        _write_part(part, folder / f"year={year}" / f"month={month}")
    return len(table)


def _write_part(table: gpd.GeoDataFrame, folder: Path) -> int:
    """``table`` as ``folder/part-0.parquet`` (:func:`geo.io.export.write_geoparquet`), row groups of
    :data:`ROW_GROUP_ROWS`."""
    folder.mkdir(parents=True, exist_ok=True)
    write_geoparquet(table, folder / "part-0.parquet", ROW_GROUP_ROWS)
    return len(table)


# -- reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveMonth:
    """One month's file of pings: its UTC year and month and its number of pings (from the file's footer)."""

    year: int
    month: int
    pings: int

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(year=self.year, month=self.month, day=1, tz="UTC")

    @property
    def end(self) -> pd.Timestamp:
        return self.start + pd.offsets.MonthBegin(1)


@contextmanager
def _readable(directory: Path) -> Iterator[None]:
    """Arrow's and the file system's errors while reading the archive as :class:`ValidationError`."""
    try:
        yield
    except (pa.ArrowException, OSError) as exc:
        raise ValidationError(Message("not a readable archive: {exc}", exc=exc), file=str(directory)) from None


def _dataset(directory: Path, schema: LayerSchema) -> ds.Dataset:
    """The archive's files of ``schema`` as one dataset (:class:`ValidationError` when there are none)."""
    folder = Path(directory) / schema.name
    if not folder.is_dir():
        raise ValidationError(Message("not an archive: no folder {layer}", layer=schema.name), file=str(directory))
    if schema.name not in read_manifest(directory).get("rows", {}):
        raise ValidationError(Message("{layer} is not finished: being written, or left by a run that was stopped "
                                      "(remove the folder and write it again)", layer=schema.name),
                              file=str(directory))
    text = ["unit_id", "mode"] if schema is PINGS else []  # read as Arrow dictionaries: codes, not strings
    with _readable(folder):
        return ds.dataset(folder, format=ds.ParquetFileFormat(read_options={"dictionary_columns": text}),
                          partitioning="hive" if schema in MONTHLY else None)


def ping_months(directory: Path) -> list[ArchiveMonth]:
    """The months of pings an archive holds, in time order."""
    months = []
    with _readable(directory):
        for fragment in _dataset(directory, PINGS).get_fragments():
            keys = ds.get_partition_keys(fragment.partition_expression)
            months.append(ArchiveMonth(int(keys["year"]), int(keys["month"]), fragment.metadata.num_rows))
    return sorted(months, key=lambda m: (m.year, m.month))


def ping_units(directory: Path, month: ArchiveMonth) -> list[str]:
    """The units with pings in ``month``, sorted."""
    with _readable(directory):
        table = _dataset(directory, PINGS).to_table(columns=["unit_id"], filter=_month_filter(month))
    return sorted(pc.unique(table["unit_id"]).to_pylist())


def _month_filter(month: ArchiveMonth) -> ds.Expression:
    return (ds.field("year") == month.year) & (ds.field("month") == month.month)


_PING_COLUMNS = {"unit_id": ds.field("unit_id"), "t": ds.field("timestamp"), "lon": ds.field("bbox", "xmin"),
                 "lat": ds.field("bbox", "ymin"), "crew": ds.field("crew"), "mode": ds.field("mode")}


def read_archive_tracks(directory: Path, start: pd.Timestamp, end: pd.Timestamp,
                        unit_ids: list[str] | None = None) -> Tracks:
    """The archive's pings with ``start <= timestamp < end`` (of ``unit_ids``; default all) as
    :class:`geo.patrol.Tracks`, read from the partitions and row groups that can hold them;
    positions from the bbox covering column (a point's box is the point: no WKB to decode).

    Each month's file is in unit and time order, and the months do not overlap in time, but they
    come in the order of their folders' names (``month=10`` before ``month=9``): the stretches of
    one unit are put in unit and time order (by their first pings), and each is copied once,
    straight from Arrow's batches into the arrays, its times turned into nanoseconds on the way.
    A file in another order (rewritten by hand) is sorted whole."""
    batches = [batch for batch in _ping_table(directory, start, end, unit_ids).to_batches() if batch.num_rows]
    units, unit_names = _dictionary_codes([batch["unit_id"] for batch in batches])
    modes, mode_names = _dictionary_codes([batch["mode"] for batch in batches])
    mode_codes = np.array([PATROL_MODES.index(name) for name in mode_names], dtype=np.uint8)
    times = [batch["t"].to_numpy().view(np.int64) for batch in batches]  # (the table's unit: one for all)
    to_ns = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[batches[0]["t"].type.unit] if batches else 1
    stretches = [(unit[first], t[first], b, first, last) for b, (unit, t) in enumerate(zip(units, times))
                 for first, last in _runs(unit)]
    stretches.sort(key=lambda stretch: stretch[:2])
    total = sum(last - first for *_, first, last in stretches)
    unit, t_ns, lon, lat = (np.empty(total, dtype=dtype) for dtype in (np.int32, np.int64, np.float64, np.float64))
    crew, mode = np.empty(total, dtype=np.uint8), np.empty(total, dtype=np.uint8)
    at = 0
    for code, _, b, first, last in stretches:
        into = slice(at, at + last - first)
        unit[into] = code
        np.multiply(times[b][first:last], to_ns, out=t_ns[into])
        lon[into] = batches[b]["lon"].to_numpy()[first:last]
        lat[into] = batches[b]["lat"].to_numpy()[first:last]
        crew[into] = batches[b]["crew"].to_numpy()[first:last]
        mode[into] = mode_codes[modes[b][first:last]]
        at = into.stop
    if not sorted_by_unit_and_time(unit, t_ns, 0, total):
        order = np.lexsort((t_ns, unit))
        unit, t_ns, lon, lat, crew, mode = (a[order] for a in (unit, t_ns, lon, lat, crew, mode))
    return Tracks(unit, t_ns, lon, lat, crew, np.asarray(unit_names, dtype=object), mode)


def _dictionary_codes(columns: list[pa.DictionaryArray]) -> tuple[list[NDArray[np.int32]], list[str]]:
    """Dictionary columns of several batches as codes (one array per batch) into the values they
    use (in the order of the unified dictionary; no Python string per row)."""
    if not columns:
        return [], []
    unified = pa.chunked_array(columns).unify_dictionaries()
    dictionary = unified.chunk(0).dictionary
    indices = [chunk.indices.to_numpy() for chunk in unified.chunks]
    used = sum(np.bincount(codes, minlength=len(dictionary)) for codes in indices) > 0
    renumber = np.cumsum(used, dtype=np.int32) - 1
    names = dictionary.to_pylist()
    return [renumber[codes] for codes in indices], [names[i] for i in np.flatnonzero(used)]


def _runs(codes: NDArray[np.int32]) -> list[tuple[int, int]]:
    """The stretches ``[first, last)`` of equal codes."""
    cuts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    return list(zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(codes)].tolist()))


def read_archive_pings(directory: Path, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                       unit_ids: list[str] | None = None) -> pd.DataFrame:
    """The archive's pings as the store's ``read_pings`` gives them (unit_id, timestamp, mode, crew,
    source, lon, lat), sorted by unit and time."""
    table = _ping_table(directory, start, end, unit_ids, source=True)
    frame = table.to_pandas().rename(columns={"t": "timestamp"})
    frame = frame.assign(timestamp=frame["timestamp"].dt.as_unit("ns"), unit_id=frame["unit_id"].astype(str),
                         mode=frame["mode"].astype(str))
    return frame.sort_values(["unit_id", "timestamp"], kind="stable", ignore_index=True)


def _ping_table(directory: Path, start: pd.Timestamp | None, end: pd.Timestamp | None,
                unit_ids: list[str] | None, source: bool = False) -> pa.Table:
    condition = ds.scalar(True)
    if start is not None:  # (the partitions first: whole months' files are never opened)
        start = start.tz_convert("UTC")
        condition &= (ds.field("year") > start.year) | ((ds.field("year") == start.year)
                                                        & (ds.field("month") >= start.month))
        condition &= ds.field("timestamp") >= pa.scalar(start, pa.timestamp("ns", tz="UTC"))
    if end is not None:
        last = (end.tz_convert("UTC") - pd.Timedelta(1, "ns"))
        condition &= (ds.field("year") < last.year) | ((ds.field("year") == last.year)
                                                       & (ds.field("month") <= last.month))
        condition &= ds.field("timestamp") < pa.scalar(end.tz_convert("UTC"), pa.timestamp("ns", tz="UTC"))
    if unit_ids is not None:
        condition &= ds.field("unit_id").isin(list(unit_ids))
    columns = {**_PING_COLUMNS, **({"source": ds.field("source")} if source else {})}
    with _readable(directory):
        return _dataset(directory, PINGS).to_table(columns=columns, filter=condition)


def archive_ping_frames(directory: Path) -> Iterator[tuple[str, pd.DataFrame]]:
    """The archive's pings a month at a time, as raw records to validate: (the month's file, frame
    with unit_id, timestamp, mode, crew, source, lon, lat)."""
    for month in ping_months(directory):
        frame = read_archive_pings(directory, month.start, month.end)
        yield str(Path(directory) / PINGS.name / f"year={month.year}" / f"month={month.month}"), frame


def read_archive_layer(directory: Path, schema: LayerSchema) -> gpd.GeoDataFrame:
    """A layer other than pings, whole, as its GeoParquet files have it (partition columns dropped)."""
    if schema is PINGS:
        raise ValueError("pings are read by month")
    with _readable(directory):
        dataset = _dataset(directory, schema)
        if not dataset.files:  # a layer archived without rows (a month's folder is made for a row)
            return gpd.GeoDataFrame({name: [] for name in schema.public_fields}, geometry=[], crs=WGS84)
        table = dataset.to_table()
    table = table.drop_columns([c for c in ("year", "month", "bbox") if c in table.column_names])
    return gpd.GeoDataFrame.from_arrow(table)


def is_archive(path: Path) -> bool:
    """Whether ``path`` is an archive folder (it has the manifest)."""
    return Path(path).is_dir() and (Path(path) / MANIFEST).is_file()


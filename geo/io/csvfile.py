"""CSV files of layer records: ``lat``/``lon`` in WGS84, or ``x``/``y`` in a stated CRS.

Text fields go through :func:`geo.io.csvsafe.restore`: the apostrophe that CSV exports put before
text starting with ``= + - @``, tab or CR (OWASP's rule against CSV injection) is taken away again,
so importing an exported file gives back the exact text. The coordinate columns are numbers and are
read as they are (a Swedish decimal comma included).

Two ways to read: :func:`read_csv_records` reads a whole file into one frame (incidents, lights,
reports, proposed lamps); :func:`read_csv_batches` streams a file of any size as
:class:`CsvBatch` slices of rows with bounded memory (patrol pings, tens of millions of rows).
Both give the same records: a batch's :meth:`CsvBatch.records` is what :func:`read_csv_records`
gives for those rows. Batches also offer fast typed views of their text (:meth:`CsvBatch.positions`,
:func:`iso_times`) that apply only where they give exactly what the general rules give, and say
so by returning None otherwise.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo.crs import WGS84
from geo.errors import Message, ValidationError
from geo.io.csvsafe import restore
from geo.io.records import Records

CHUNK_ROWS = 200_000
BATCH_BYTES = 8 * 1024 * 1024
"""About how much of a file one :class:`CsvBatch` covers (some 130,000 pings as exports write them)."""
_ARROW_BLOCK = 1024 * 1024
"""The blocks Arrow's streaming reader parses (it keeps a few dozen read ahead)."""
_HEADER_PROBE = 1024 * 1024
"""How much of a file is looked at for its header line."""
_READ_ERRORS = (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError)


def read_csv_records(path: str | Path, crs: str | None = None,
                     progress: Callable[[int, int], None] | None = None) -> Records:
    """Read a CSV file (UTF-8, header row) into raw records.

    Positions come from ``lat``/``lon`` columns in WGS84, or, when ``crs`` names another CRS
    (for example ``EPSG:3006``), from ``x``/``y`` columns in that CRS (``lon``/``lat`` columns
    are then read as x/y). Rows are labelled as a spreadsheet shows them (the header is row 1).
    Every other field has the formula-guarding apostrophe of :mod:`geo.io.csvsafe` removed.
    ``progress(bytes_read, bytes_total)`` is called after each chunk of rows.
    """
    path = Path(path)
    source = str(path)
    transformer = _transformer(crs, source)
    total = path.stat().st_size if path.exists() else 0
    try:
        with path.open("rb") as handle:
            chunks = []
            for chunk in pd.read_csv(handle, dtype=str, keep_default_na=False, chunksize=CHUNK_ROWS,
                                     encoding="utf-8-sig"):
                chunks.append(chunk)
                if progress:
                    progress(handle.tell(), total)
    except FileNotFoundError:
        raise ValidationError(Message("file not found"), file=source) from None
    except _READ_ERRORS as exc:
        raise ValidationError(Message("not a readable CSV file: {exc}", exc=exc), file=source) from None
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
    frame.columns = [str(c).strip() for c in frame.columns]
    return _records(frame, 2, source, transformer)


def _records(frame: pd.DataFrame, first_row: int, source: str, transformer: Transformer | None) -> Records:
    """Raw records of ``frame`` (the file's text, columns named as in its header), whose first row
    is spreadsheet row ``first_row``."""
    xname, yname = _position_columns(list(frame.columns), transformer, source)
    rows = pd.Series([f"row {i}" for i in range(first_row, first_row + len(frame))])
    x = _numbers(frame[xname], rows, source, xname)
    y = _numbers(frame[yname], rows, source, yname)
    if transformer is not None:
        x, y = transformer.transform(x, y)
    raw = frame.drop(columns=[c for c in ("lat", "lon", "x", "y") if c in frame.columns])
    for position in range(raw.shape[1]):
        raw.isetitem(position, restore(raw.iloc[:, position]))
    return Records(raw.assign(lon=x, lat=y, _row=rows))


def _position_columns(columns: list[str], transformer: Transformer | None, source: str) -> tuple[str, str]:
    """The names of the x and y columns, or the error for a file without them."""
    xname, yname = ("lon", "lat") if transformer is None else (
        ("x", "y") if {"x", "y"} <= set(columns) else ("lon", "lat"))
    for name in (xname, yname):
        if name not in columns:
            missing = (Message("the file has no '{name}' column (x/y columns need --crs, for example --crs EPSG:3006)",
                               name=name) if {"x", "y"} <= set(columns) else
                       Message("the file has no '{name}' column", name=name))
            raise ValidationError(missing, file=source, field=name)
    return xname, yname


def _transformer(crs: str | None, source: str) -> Transformer | None:
    if crs is None:
        return None
    try:
        parsed = CRS.from_user_input(crs)
    except CRSError:
        raise ValidationError(Message("unknown CRS {crs!r} (give for example EPSG:3006)", crs=crs),
                              file=source) from None
    if parsed == CRS.from_user_input(WGS84):
        return None
    return Transformer.from_crs(parsed, WGS84, always_xy=True)


def _numbers(values: pd.Series, rows: pd.Series, source: str, field: str) -> np.ndarray:
    text = values.str.strip().str.replace(",", ".", regex=False)  # Swedish decimal comma
    numbers = pd.to_numeric(text, errors="coerce")
    bad = np.flatnonzero((numbers.isna() & (text != "")).to_numpy())
    if len(bad):
        raise ValidationError(Message("not a number: {value!r}", value=values.iloc[bad[0]]),
                              file=source, row=rows.iloc[bad[0]],
                              field=field)
    return numbers.to_numpy(dtype=float)


# -- streaming ------------------------------------------------------------------------------------


@dataclass
class CsvBatch:
    """Consecutive rows of a CSV file: every column as text, named as in the file's header (trimmed;
    a repeated name gets ``.1``, ``.2`` as pandas gives it), missing cells null."""

    table: pa.Table
    first_row: int
    """The spreadsheet row of the first record (the header is row 1)."""
    source: str
    bytes_read: int
    """How far into the file the reader has got (it reads ahead a little)."""
    bytes_total: int
    transformer: Transformer | None = None
    last: bool = False
    """Whether this batch ends the file (known only for the file's last batch)."""

    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def columns(self) -> list[str]:
        return self.table.column_names

    @property
    def last_row(self) -> int:
        return self.first_row + len(self) - 1

    def frame(self) -> pd.DataFrame:
        """The rows as text, as ``pandas.read_csv(dtype=str, keep_default_na=False)`` gives them."""
        return pd.DataFrame({name: pd.array(self.table.column(i), dtype="str")
                             for i, name in enumerate(self.columns)})

    def records(self) -> Records:
        """The raw records of these rows, exactly as :func:`read_csv_records` gives them (rows
        labelled by their place in the file); raises :class:`ValidationError` as it does."""
        return _records(self.frame(), self.first_row, self.source, self.transformer)

    def positions(self) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
        """WGS84 lon, lat of every row when every coordinate is a plain finite non-zero number
        (the fast path: what :meth:`records` gives, without building text); None otherwise."""
        xname, yname = _position_columns(self.columns, self.transformer, self.source)
        x, y = _plain_numbers(self.table.column(xname)), _plain_numbers(self.table.column(yname))
        if x is None or y is None:
            return None
        if self.transformer is not None:
            x, y = self.transformer.transform(x, y)
        return x, y

    def text(self, name: str) -> tuple[NDArray[np.int32], list[str]] | None:
        """Column ``name`` as codes into its distinct values (formula apostrophes removed, as
        :meth:`records` does), or None when the column is missing or has empty cells from short rows."""
        if name not in self.columns:
            return None
        column = self.table.column(name)
        if column.null_count:
            return None
        if len(column) and pc.all(pc.equal(column, column[0])).as_py():  # one value (a crew, a source): no hashing
            codes, dictionary = np.zeros(len(column), dtype=np.int32), pa.array([column[0].as_py()], pa.string())
        else:
            encoded = pc.dictionary_encode(column.combine_chunks())
            codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
            dictionary = encoded.dictionary
        return codes, restore(pd.Series(pd.array(dictionary, dtype="str"))).tolist()


def read_csv_batches(path: str | Path, crs: str | None = None,
                     batch_bytes: int | None = None) -> Iterator[CsvBatch]:
    """Stream a CSV file (UTF-8, header row) as batches of about ``batch_bytes`` of the file
    (default :data:`BATCH_BYTES`).

    Rows, text and errors are those of :func:`read_csv_records` (the same parser rules: quoting,
    blank lines skipped, short rows filled with empty cells, strict UTF-8); memory stays bounded
    by the batch size whatever the file's size. Arrow's CSV reader does the work; where it refuses
    something pandas reads (short rows, whitespace-only lines, a header over several lines) or
    must be reported as pandas reports it (invalid UTF-8), the rest of the file is read with
    pandas, in chunks, from the first row not given out yet.
    """
    path = Path(path)
    source = str(path)
    transformer = _transformer(crs, source)
    if not path.is_file():
        raise ValidationError(Message("file not found"), file=source)
    return _ahead(_read_batches(path, source, transformer, batch_bytes or BATCH_BYTES))


def _read_batches(path: Path, source: str, transformer: Transformer | None, batch_bytes: int) -> Iterator[CsvBatch]:
    reading = _Batches(path, source, transformer)
    with pa.OSFile(str(path)) as handle:
        reading.total = handle.size()
        probe = handle.read(min(reading.total, _HEADER_PROBE))
        end = probe.find(b"\n")
        header = probe if end < 0 and len(probe) == reading.total else probe[:end + 1] if end >= 0 else None
        if header is not None and header.strip(b"\xef\xbb\xbf \t\r\n"):  # (after a blank line, pandas finds it)
            reading.names = _header(header, source)
            _position_columns(reading.names, transformer, source)
        if reading.names and header.count(b'"') % 2 == 0:
            handle.seek(0)
            yield from reading.arrow(handle, len(header), batch_bytes)
    if not reading.done:
        yield from reading.pandas(batch_bytes)


def _ahead(batches: Iterator[CsvBatch]) -> Iterator[CsvBatch]:
    """``batches``, the next one read in another thread while the caller works on this one (Arrow
    parses without holding the GIL, so reading and validating use two cores). What the reading
    raises is raised here, in order; closing this generator stops the reading."""
    handoff: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(item: tuple) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False  # the caller has stopped listening

    def read() -> None:
        try:
            for batch in batches:
                if not offer((batch, None)):
                    return
            offer((None, None))
        except BaseException as exc:  # handed to the caller
            offer((None, exc))
        finally:
            batches.close()

    reader = threading.Thread(target=read, name="csv-batches", daemon=True)
    reader.start()
    try:
        while True:
            batch, error = handoff.get()
            if error is not None:
                raise error
            if batch is None:
                return
            yield batch
    finally:
        stop.set()
        reader.join()


def _header(line: bytes, source: str) -> list[str]:
    """The column names of a file whose header is ``line``, as pandas gives them (trimmed)."""
    try:
        columns = pd.read_csv(io.BytesIO(line), dtype=str, keep_default_na=False, nrows=0,
                              encoding="utf-8-sig").columns
    except _READ_ERRORS as exc:
        raise ValidationError(Message("not a readable CSV file: {exc}", exc=exc), file=source) from None
    return [str(c).strip() for c in columns]


class _Batches:
    """One streaming read: the header's names, the rows given out so far, whether the file is done."""

    def __init__(self, path: Path, source: str, transformer: Transformer | None) -> None:
        self.path, self.source, self.transformer = path, source, transformer
        self.names: list[str] = []
        self.total = 0
        self.rows = 0
        self.done = False

    def _batch(self, table: pa.Table, position: int, last: bool) -> CsvBatch:
        batch = CsvBatch(table, self.rows + 2, self.source, position, self.total, self.transformer, last)
        self.rows += table.num_rows
        return batch

    def arrow(self, handle: pa.NativeFile, header_bytes: int, batch_bytes: int) -> Iterator[CsvBatch]:
        """Batches read by Arrow; stops quietly, with ``done`` False, at anything Arrow refuses.

        Arrow reads blocks of :data:`_ARROW_BLOCK` bytes, a few dozen ahead, in the background; a
        batch joins the blocks for about ``batch_bytes`` of the file (its progress counts them)."""
        fields = [f"f{i}" for i in range(len(self.names))]
        per_batch = max(1, batch_bytes // _ARROW_BLOCK)
        blocks: list[pa.RecordBatch] = []
        read = header_bytes
        pending = None
        try:
            reader = pcsv.open_csv(
                handle,
                read_options=pcsv.ReadOptions(column_names=fields, skip_rows=1, block_size=_ARROW_BLOCK),
                convert_options=pcsv.ConvertOptions(column_types={f: pa.string() for f in fields},
                                                    strings_can_be_null=False, quoted_strings_can_be_null=False))
            for block in reader:
                blocks.append(block)
                if len(blocks) == per_batch:
                    if pending is not None:
                        yield self._batch(pending, min(read, self.total), False)
                    read += len(blocks) * _ARROW_BLOCK
                    pending, blocks = pa.Table.from_batches(blocks).rename_columns(self.names), []
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return
        if blocks:
            if pending is not None:
                yield self._batch(pending, min(read, self.total), False)
            pending = pa.Table.from_batches(blocks).rename_columns(self.names)
        if pending is not None:
            yield self._batch(pending, self.total, True)
        self.done = True

    def pandas(self, batch_bytes: int) -> Iterator[CsvBatch]:
        """Batches read by pandas, from the first row not given out yet (the rows before it are
        read again and dropped)."""
        skip = self.rows
        pending = None
        try:
            with self.path.open("rb") as handle:
                for chunk in pd.read_csv(handle, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                         chunksize=max(1_000, batch_bytes // 64)):
                    names = [str(c).strip() for c in chunk.columns]
                    _position_columns(names, self.transformer, self.source)
                    if skip >= len(chunk) and len(chunk):
                        skip -= len(chunk)
                        continue
                    chunk, skip = chunk.iloc[skip:], 0
                    if pending is not None:
                        yield self._batch(pending, min(handle.tell(), self.total), False)
                    pending = pa.table([pa.array(chunk.iloc[:, i], type=pa.string(), from_pandas=True)
                                        for i in range(chunk.shape[1])], names=names)
        except _READ_ERRORS as exc:
            raise ValidationError(Message("not a readable CSV file: {exc}", exc=exc), file=self.source) from None
        if pending is not None:
            yield self._batch(pending, self.total, True)
        self.done = True


def _plain_numbers(column: pa.ChunkedArray) -> NDArray[np.float64] | None:
    """The numbers of a text column when Arrow reads every one (a decimal comma made a point, as
    :func:`_numbers` does) as a finite non-zero number — then exactly what :func:`_numbers` gives
    (no spaces to strip, no sign of zero to lose); None otherwise."""
    if column.null_count:
        return None
    try:
        numbers = pc.cast(column, pa.float64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        try:  # a Swedish decimal comma, replaced as _numbers replaces it
            numbers = pc.cast(pc.replace_substring(column, ",", "."), pa.float64()).to_numpy()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    if not np.isfinite(numbers).all() or (numbers == 0).any():
        return None
    return numbers


# -- ISO 8601 times in their common written forms ---------------------------------------------------

_DATE_TIME_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_DATE_TIME_MARKS = {4: b"-", 7: b"-", 13: b":", 16: b":"}
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def iso_times(column: pa.Array | pa.ChunkedArray) -> tuple[NDArray[np.int64], bool] | None:
    """Nanoseconds since 1970 of text times all written in one form ``YYYY-MM-DD[T ]hh:mm:ss``
    with an optional fraction ``.f`` (1 to 9 digits) and one kind of zone: ``Z``, ``±hh:mm``,
    ``±hhmm``, ``±hh``, or none; with whether they carry a zone (then the values are UTC instants)
    or not (then they are wall-clock times, to be placed in a time zone).

    None when any value is in another form (another length, spaces, a comma, ``24:00``), is not
    a date of the calendar, or has a zone offset beyond ±23:59: those are for the general parser,
    :func:`geo.timestamps.parse_utc`, which gives the same instants for every value read here
    (tested) and the messages for the rest. Vectorised over the bytes of fixed-width text.
    """
    chars = _fixed_width(column)
    if chars is None or chars.shape[1] < 19:
        return None
    width = chars.shape[1]
    first = bytes(chars[0])
    if first[-1:] == b"Z":
        zone = 1
    elif width >= 25 and first[-6:-5] in (b"+", b"-") and first[-3:-2] == b":":
        zone = 6
    elif width >= 24 and first[-5:-4] in (b"+", b"-"):
        zone = 5
    elif width >= 22 and first[-3:-2] in (b"+", b"-"):
        zone = 3
    else:
        zone = 0
    fraction = width - zone - 19
    if fraction == 1 or fraction > 10 or (fraction and first[19:20] != b"."):
        return None
    start = width - zone
    marks = [(position, mark[0]) for position, mark in _DATE_TIME_MARKS.items()]
    digit_positions = _DATE_TIME_DIGITS + list(range(20, 19 + fraction))
    if fraction:
        marks.append((19, ord(".")))
    if zone == 1:
        marks.append((start, ord("Z")))
    elif zone:
        digit_positions += [start + 1, start + 2] + ([start + 4, start + 5] if zone == 6 else
                                                     [start + 3, start + 4] if zone == 5 else [])
        if zone == 6:
            marks.append((start + 3, ord(":")))
    positions, expected = zip(*marks)
    if (chars[:, list(positions)] != np.array(expected, dtype=np.uint8)).any():
        return None
    separator = chars[:, 10]
    if not ((separator == ord("T")) | (separator == ord(" "))).all():
        return None
    if zone > 1:
        sign = chars[:, start]
        if not ((sign == ord("+")) | (sign == ord("-"))).all():
            return None
    digits = chars[:, digit_positions]
    digits -= 48  # (a byte below "0" wraps round to above 9)
    if (digits > 9).any():
        return None

    def number(*columns: int) -> NDArray[np.int32]:
        value = digits[:, columns[0]].astype(np.int32)
        for column_index in columns[1:]:
            value *= 10
            value += digits[:, column_index]
        return value

    date = number(0, 1, 2, 3, 4, 5, 6, 7)  # YYYYMMDD
    starts = np.flatnonzero(np.r_[True, date[1:] != date[:-1]])
    runs = 8 * len(starts) < len(date)  # times in order: a day's dates are worked out once
    distinct = date[starts] if runs else date
    year, month, day = distinct // 10_000, distinct // 100 % 100, distinct % 100
    if year.min() < 1800 or year.max() > 2250:
        return None  # (outside the supported range anyway; and nanoseconds beyond ±2262 overflow)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    if not (month_ok & (day >= 1) & (day <= last_day)).all():
        return None
    days = _days_from_civil(year, month, day).astype(np.int64)
    if runs:
        days = np.repeat(days, np.diff(np.r_[starts, len(date)]))
    hour, minute, second = number(8, 9), number(10, 11), number(12, 13)
    if hour.max() > 23 or minute.max() > 59 or second.max() > 59:
        return None
    seconds = days * 86_400 + (hour * 3600 + minute * 60 + second)
    if zone > 1:
        at = 14 + max(fraction - 1, 0)
        offset_hours = number(at, at + 1)
        offset_minutes = number(at + 2, at + 3) if zone in (5, 6) else np.zeros_like(offset_hours)
        if not ((offset_hours <= 23) & (offset_minutes <= 59)).all():
            return None
        offset = offset_hours * 3600 + offset_minutes * 60
        seconds -= np.where(sign == ord("-"), -offset, offset)
    ns = seconds * 1_000_000_000
    if fraction:
        ns += number(*range(14, 14 + fraction - 1)).astype(np.int64) * 10 ** (10 - fraction)
    return ns, zone > 0


def _fixed_width(column: pa.Array | pa.ChunkedArray) -> NDArray[np.uint8] | None:
    """The bytes of a text column as an (n, width) array when every value has the same length
    (no copy); None for another type, nulls, empty values or values of different lengths."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if len(array) == 0 or array.null_count or array.type not in (pa.string(), pa.large_string()):
        return None
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int32 if array.type == pa.string() else np.int64)
    offsets = offsets[array.offset:array.offset + len(array) + 1]
    width = int(offsets[1] - offsets[0])
    if width == 0 or offsets[-1] - offsets[0] != width * len(array) or (np.diff(offsets) != width).any():
        return None
    return np.frombuffer(data, dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(-1, width)


def _days_from_civil(year: NDArray[np.int32], month: NDArray[np.int32], day: NDArray[np.int32]) -> NDArray[np.int32]:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    year = year - (month <= 2)
    era = np.floor_divide(year, 400)
    year_of_era = year - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468

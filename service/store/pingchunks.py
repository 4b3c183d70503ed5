"""Columnar storage of patrol pings: one compressed chunk per unit and UTC day.

A fleet-year is tens of millions of 1 Hz pings. Storing them one row each costs about 60 bytes
and a Python tuple per ping on every read; a chunk stores each column as one compressed numpy
array (timestamps delta-encoded; see :mod:`service.store.chunkcodec`), so a year reads back as a
few thousand blobs. See ``benchmarks/ping_storage.py`` for the measured difference.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from geo.errors import Message, ValidationError
from geo.layers import PATROL_MODES
from geo.patrol import Tracks
from service.store.chunkcodec import pack, unpack

NS_PER_DAY = 86_400 * 10**9


@dataclass
class Chunk:
    """The pings of one unit on one UTC day, sorted by time; times are int64 ns since 1970 (UTC)."""

    unit_id: str
    day_utc: int
    t: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    mode: NDArray[np.uint8]
    crew: NDArray[np.uint8]
    source: NDArray[np.uint8]
    sources: list[str]

    def row(self) -> tuple:
        """The chunk as a patrol_ping_chunks row."""
        return (self.unit_id, self.day_utc, len(self.t), int(self.t[0]), int(self.t[-1]), json.dumps(self.sources),
                pack(np.diff(self.t, prepend=np.int64(0))), pack(self.lon), pack(self.lat), pack(self.mode),
                pack(self.crew), pack(self.source))

    @staticmethod
    def times(t: bytes, n: int) -> NDArray[np.int64]:
        """The ``n`` ping times (UTC ns) of a chunk's stored ``t`` column."""
        return np.cumsum(unpack(t, np.int64, n))

    @classmethod
    def from_row(cls, unit_id: str, day_utc: int, n: int, sources: str, t: bytes, lon: bytes, lat: bytes,
                 mode: bytes, crew: bytes, source: bytes) -> Chunk:
        return cls(unit_id, day_utc, cls.times(t, n), unpack(lon, np.float64, n), unpack(lat, np.float64, n),
                   unpack(mode, np.uint8, n), unpack(crew, np.uint8, n), unpack(source, np.uint8, n),
                   json.loads(sources))

    def merged(self, other: Chunk) -> tuple[Chunk, int]:
        """This chunk with the pings of ``other`` at times it does not have; and how many were new."""
        sources = sorted(set(self.sources) | set(other.sources))
        _check_sources(sources)

        def recode(chunk: Chunk) -> NDArray[np.uint8]:
            return np.array([sources.index(s) for s in chunk.sources], dtype=np.uint8)[chunk.source]
        new = ~np.isin(other.t, self.t)
        columns = {name: np.concatenate([getattr(self, name), getattr(other, name)[new]])
                   for name in ("t", "lon", "lat", "mode", "crew")}
        columns["source"] = np.concatenate([recode(self), recode(other)[new]])
        order = np.argsort(columns["t"], kind="stable")
        return Chunk(self.unit_id, self.day_utc, sources=sources,
                     **{name: values[order] for name, values in columns.items()}), int(new.sum())


TRACK_COLUMNS = "unit_id, n, t, lon, lat, mode, crew"
"""The columns of the chunks :func:`tracks_from_rows` reads."""


def tracks_from_rows(rows: list, start_ns: int | None, end_ns: int | None) -> Tracks:
    """The pings of chunk rows (:data:`TRACK_COLUMNS`, in unit and day order) with ``start_ns <= t
    < end_ns`` as :class:`geo.patrol.Tracks`: each chunk decoded straight into its place in the
    arrays (no frame, no concatenation); only chunks cut by the range are narrowed, in place.
    One thread: a chunk's columns are a few small calls each, and a second thread spent its time
    handing the interpreter back and forth (measured: no faster)."""
    counts = np.array([row[1] for row in rows], dtype=np.int64)
    offsets = np.r_[0, np.cumsum(counts)]
    total = int(offsets[-1])
    t, lon, lat = np.empty(total, dtype=np.int64), np.empty(total), np.empty(total)
    mode, crew = np.empty(total, dtype=np.uint8), np.empty(total, dtype=np.uint8)
    kept = []
    for (_, n, times, lons, lats, modes, crews), first, end in zip(rows, offsets[:-1], offsets[1:]):
        mine = unpack(times, np.int64, n, t[first:end])
        np.cumsum(mine, out=mine)
        unpack(lons, np.float64, n, lon[first:end])
        unpack(lats, np.float64, n, lat[first:end])
        unpack(modes, np.uint8, n, mode[first:end])
        unpack(crews, np.uint8, n, crew[first:end])
        kept.append((0 if start_ns is None else int(np.searchsorted(mine, start_ns, side="left")),
                     n if end_ns is None else int(np.searchsorted(mine, end_ns, side="left"))))
    chunk_units, names = pd.factorize(np.array([row[0] for row in rows], dtype=object))
    codes = np.repeat(chunk_units.astype(np.int32), counts)
    if any(a > 0 or b < n for (a, b), n in zip(kept, counts)):  # narrowed in place, moving parts left
        at = 0
        for (a, b), first in zip(kept, offsets[:-1]):
            for column in (t, lon, lat, mode, crew, codes):
                column[at:at + b - a] = column[first + a:first + b]
            at += b - a
        t, lon, lat, mode, crew, codes = (column[:at] for column in (t, lon, lat, mode, crew, codes))
    return Tracks(codes, t, lon, lat, crew, np.asarray(names, dtype=object), mode)


def _strings(codes: NDArray, names: list[str]) -> pd.api.extensions.ExtensionArray:
    """pandas ``str`` values ``names[codes]``, built in Arrow (a Python string per ping is slow)."""
    dictionary = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(names, pa.string()))
    return pd.array(dictionary.cast(pa.string()), dtype="str")


def chunks_to_frame(chunks: list[Chunk]) -> pd.DataFrame:
    """Pings of ``chunks`` as one frame shaped like a validated pings layer
    (unit_id, timestamp, mode, crew, source, lon, lat), in chunk order."""
    def cat(name: str, dtype: type) -> NDArray:
        return np.concatenate([getattr(c, name) for c in chunks]) if chunks else np.array([], dtype=dtype)

    sources = sorted({name for c in chunks for name in c.sources})
    recoded = [np.array([sources.index(name) for name in c.sources], dtype=np.int32)[c.source] for c in chunks]
    lengths = [len(c.t) for c in chunks]
    return pd.DataFrame({
        "unit_id": _strings(np.repeat(np.arange(len(chunks)), lengths), [c.unit_id for c in chunks]),
        "timestamp": pd.Series(cat("t", np.int64).view("datetime64[ns]")).dt.tz_localize("UTC"),
        "mode": _strings(cat("mode", np.uint8), list(PATROL_MODES)),
        "crew": cat("crew", np.uint8).astype(np.int64),
        "source": _strings(np.concatenate(recoded) if recoded else np.array([], dtype=np.int32), sources),
        "lon": cat("lon", np.float64), "lat": cat("lat", np.float64),
    })


MAX_SOURCES = 255


def _check_sources(sources: list[str]) -> None:
    """Sources are stored as one byte per ping: refuse more than 255 in one unit-day."""
    if len(sources) > MAX_SOURCES:
        raise ValidationError(Message("{count} different sources for one unit and day; at most {max_sources} can be "
                                      "stored (give the pings of one import one source)", count=len(sources),
                                      max_sources=MAX_SOURCES), field="source")


def split_into_chunks(pings: pd.DataFrame) -> list[Chunk]:
    """Cut a validated pings frame into chunks of one unit and UTC day, each sorted by time
    (units in order of first appearance; a frame already in that order is not sorted again)."""
    units, unit_names = _codes(pings["unit_id"])
    t = pings["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    sorted_already = ((units[1:] > units[:-1]) | ((units[1:] == units[:-1]) & (t[1:] >= t[:-1]))).all()
    order = slice(None) if sorted_already else np.lexsort((t, units))
    units, t = units[order], t[order]
    day = t // NS_PER_DAY
    modes, mode_names = _codes(pings["mode"])
    source_codes, source_names = _codes(pings["source"])
    sources = sorted(source_names)
    _check_sources(sources)
    columns = {
        "lon": pings["lon"].to_numpy(float)[order], "lat": pings["lat"].to_numpy(float)[order],
        "mode": _recode(modes, mode_names, list(PATROL_MODES))[order],
        "crew": pings["crew"].to_numpy(np.uint8)[order],
        "source": _recode(source_codes, source_names, sources)[order],
    }
    cuts = np.flatnonzero((np.diff(units) != 0) | (np.diff(day) != 0)) + 1
    starts, ends = np.r_[0, cuts], np.r_[cuts, len(t)]
    return [Chunk(str(unit_names[units[s]]), int(day[s]), t[s:e], sources=sources,
                  **{name: values[s:e] for name, values in columns.items()})
            for s, e in zip(starts, ends) if e > s]


def _recode(codes: NDArray[np.int32], names: list[str], into: list[str]) -> NDArray[np.uint8]:
    """``codes`` into ``names`` as codes into ``into`` (a name missing there becomes 255)."""
    table = np.array([into.index(name) if name in into else 255 for name in names], dtype=np.uint8)
    return table[codes] if len(table) else codes.astype(np.uint8)


# -- a file's pings gathered per unit-day --------------------------------------------------------

PENDING_BYTES = 128 * 1024 * 1024
"""How many bytes of pings (27 a ping) a :class:`PingBuffer` holds before it hands some on: about
five million pings, so an upload (at most 200 MB, some three million pings) is read whole before
the store is asked to write."""
FRAME_PINGS = 250_000
"""About how many pings each frame :meth:`PingBuffer.frames` hands on holds (whole unit-days)."""
_PING_BYTES = 8 + 8 + 8 + 1 + 1 + 1
_COLUMNS = ("t", "lon", "lat", "mode", "crew", "source")


@dataclass
class _Piece:
    """Pings of one unit-day, in the order given; sources as codes of the buffer."""

    t: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    mode: NDArray[np.uint8]
    crew: NDArray[np.uint8]
    source: NDArray[np.int32]


class PingBuffer:
    """The pings of a file read in batches, gathered per unit and UTC day, each unit and time once.

    :meth:`add` cuts each batch's validated frame into pieces per unit-day. A unit-day that a batch
    does not touch is *closed*: its pieces joined, sorted by time, and of pings repeated for one
    unit and time the first kept (:attr:`repeated` counts the others). :meth:`frames` hands the
    closed unit-days on as validated frames, ready for the store's ``write_pings``, and forgets
    them, but for their times: those go to a temporary file (a few bytes a unit-day for regular
    pings), so that a unit-day met again later in the file — a file in no order — gives on only
    times it did not give before, and the store's "already stored" stays exactly that.

    Memory is bounded: pieces and closed unit-days are held until :attr:`over_budget`. A file
    sorted by unit or by time closes each unit-day once, a batch after its last ping.
    """

    def __init__(self, budget_bytes: int | None = None, frame_pings: int | None = None) -> None:
        self.budget_bytes = PENDING_BYTES if budget_bytes is None else budget_bytes
        self.frame_pings = FRAME_PINGS if frame_pings is None else frame_pings
        self.repeated = 0
        self._sources: dict[str, int] = {}
        self._source_names: list[str] = []
        self._open: dict[tuple[str, int], list[_Piece]] = {}
        self._closed: dict[tuple[str, int], _Piece] = {}
        self._given: dict[tuple[str, int], tuple[int, int, int]] = {}
        self._spill: IO[bytes] | None = None
        self._held = 0
        self.handed_on = 0
        """Unit-days handed on so far (one more each time a unit-day met again is handed on again)."""

    def __enter__(self) -> PingBuffer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the temporary file of given times."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    @property
    def held(self) -> int:
        """Pings held, not handed on yet."""
        return self._held

    @property
    def unit_days(self) -> int:
        """Unit-days held, open or closed."""
        return len(self._open) + len(self._closed)

    @property
    def over_budget(self) -> bool:
        """Whether the pings held take more than the budget (then hand on :meth:`frames`)."""
        return self._held * _PING_BYTES > self.budget_bytes

    def add(self, pings: pd.DataFrame) -> None:
        """Cut a validated pings frame (which may repeat a unit and time) into unit-day pieces, and
        close the unit-days it does not touch."""
        touched = set()
        if len(pings):
            for key, piece in self._pieces(pings):
                if key in self._closed:
                    self._open[key] = [self._closed.pop(key)]
                self._open.setdefault(key, []).append(piece)
                self._held += len(piece.t)
                touched.add(key)
        for key in [key for key in self._open if key not in touched]:
            self._close(key)

    def frames(self, final: bool = False) -> Iterator[pd.DataFrame]:
        """Hand on the closed unit-days as validated frames (sorted by unit and time, about
        :attr:`frame_pings` pings each; ``unit_id``, ``mode`` and ``source`` as categoricals of
        their text) and forget them. With ``final``, or when the unit-days
        still open alone fill half the budget, every unit-day is closed first."""
        if final or sum(len(p.t) for pieces in self._open.values() for p in pieces) * _PING_BYTES \
                > self.budget_bytes // 2:
            for key in list(self._open):
                self._close(key)
        batch: list[tuple[tuple[str, int], _Piece]] = []
        size = 0
        for key in sorted(self._closed):
            piece = self._not_given_before(key, self._closed.pop(key))
            if piece is None:
                continue
            batch.append((key, piece))
            self.handed_on += 1
            size += len(piece.t)
            if size >= self.frame_pings:
                yield self._frame(batch)
                batch, size = [], 0
        if batch:
            yield self._frame(batch)

    # -- cutting, closing, handing on ---------------------------------------------------------

    def _pieces(self, pings: pd.DataFrame) -> Iterator[tuple[tuple[str, int], _Piece]]:
        units, unit_names = _codes(pings["unit_id"])
        t = pings["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        day = t // NS_PER_DAY
        modes, mode_names = _codes(pings["mode"])
        sources, source_names = _codes(pings["source"])
        for name in source_names:
            if name not in self._sources:
                self._sources[name] = len(self._source_names)
                self._source_names.append(name)
        columns = {"t": t, "lon": pings["lon"].to_numpy(np.float64), "lat": pings["lat"].to_numpy(np.float64),
                   "mode": np.array([PATROL_MODES.index(m) for m in mode_names], dtype=np.uint8)[modes],
                   "crew": pings["crew"].to_numpy(np.uint8),
                   "source": np.array([self._sources[s] for s in source_names], dtype=np.int32)[sources]}
        first_day = int(day.min())
        span = int(day.max()) - first_day + 1
        key = units.astype(np.int64) * span + (day - first_day)
        if len(key) > 1 and not (key[1:] >= key[:-1]).all():
            # stable (a unit-day keeps the file's order); a radix sort when the keys are small
            order = np.argsort(key.astype(np.int16) if len(unit_names) * span < 2**15 else key, kind="stable")
            key = key[order]
            columns = {name: values[order] for name, values in columns.items()}
        cuts = np.flatnonzero(key[1:] != key[:-1]) + 1
        for start, end in zip(np.r_[0, cuts], np.r_[cuts, len(key)]):
            unit, day_offset = divmod(int(key[start]), span)
            yield ((str(unit_names[unit]), first_day + day_offset),
                   _Piece(**{name: values[start:end].copy() for name, values in columns.items()}))

    def _close(self, key: tuple[str, int]) -> None:
        pieces = self._open.pop(key)
        piece = pieces[0] if len(pieces) == 1 else _Piece(**{
            name: np.concatenate([getattr(p, name) for p in pieces]) for name in _COLUMNS})
        t = piece.t
        if not (t[1:] > t[:-1]).all():
            order = np.argsort(t, kind="stable")  # stable: of the pings at one time, the first given comes first
            t = t[order]
            first = np.r_[True, t[1:] != t[:-1]]
            self.repeated += len(t) - int(first.sum())
            self._held -= len(t) - int(first.sum())
            piece = _Piece(**{name: getattr(piece, name)[order][first] for name in _COLUMNS})
        self._closed[key] = piece

    def _not_given_before(self, key: tuple[str, int], piece: _Piece) -> _Piece | None:
        """``piece`` without the times of its unit-day handed on before (counted as repeated), or
        None when nothing is left; notes the times handed on now."""
        self._held -= len(piece.t)
        given = self._given.get(key)
        if given is not None:
            before = self._read_times(*given)
            new = ~np.isin(piece.t, before)
            self.repeated += len(piece.t) - int(new.sum())
            if not new.any():
                return None
            piece = _Piece(**{name: getattr(piece, name)[new] for name in _COLUMNS})
            times = np.union1d(before, piece.t)
        else:
            times = piece.t
        self._given[key] = self._write_times(times)
        return piece

    def _write_times(self, t: NDArray[np.int64]) -> tuple[int, int, int]:
        if self._spill is None:
            self._spill = tempfile.TemporaryFile(prefix="stadskarna-import-")
        blob = pack(np.diff(t, prepend=np.int64(0)))
        self._spill.seek(0, 2)
        offset = self._spill.tell()
        self._spill.write(blob)
        return offset, len(blob), len(t)

    def _read_times(self, offset: int, length: int, n: int) -> NDArray[np.int64]:
        self._spill.seek(offset)
        return Chunk.times(self._spill.read(length), n)

    def _frame(self, pieces: list[tuple[tuple[str, int], _Piece]]) -> pd.DataFrame:
        """One validated pings frame of whole unit-days."""
        lengths = [len(piece.t) for _, piece in pieces]

        def cat(name: str) -> NDArray:
            return np.concatenate([getattr(piece, name) for _, piece in pieces])

        units = list(dict.fromkeys(key[0] for key, _ in pieces))
        unit_codes = np.repeat(np.array([units.index(key[0]) for key, _ in pieces], dtype=np.int32), lengths)
        return pd.DataFrame({
            "unit_id": _categorical(unit_codes, units),
            "timestamp": pd.Series(pd.DatetimeIndex(cat("t").view("datetime64[ns]")).tz_localize("UTC")),
            "mode": _categorical(cat("mode"), list(PATROL_MODES)),
            "crew": cat("crew").astype(np.int64),
            "source": _categorical(cat("source"), self._source_names),
            "lon": cat("lon"), "lat": cat("lat"),
        })


def _categorical(codes: NDArray, names: list[str]) -> pd.Series:
    """``names[codes]`` as a categorical of text (no Python string per ping, no hashing again)."""
    return pd.Series(pd.Categorical.from_codes(codes.astype(np.int32), categories=pd.Index(names, dtype="str")))


def _codes(values: pd.Series) -> tuple[NDArray[np.int32], list]:
    """Codes of ``values`` into their distinct values (in order of first appearance, or a
    categorical's categories), via Arrow (a Python object per value is slow)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.int32)
        used = np.flatnonzero(np.bincount(codes, minlength=len(values.cat.categories)))
        if len(used) < len(values.cat.categories):  # categories no value has are left out
            recode = np.zeros(len(values.cat.categories), dtype=np.int32)
            recode[used] = np.arange(len(used), dtype=np.int32)
            return recode[codes], values.cat.categories[used].tolist()
        return codes, values.cat.categories.tolist()
    array = pa.array(values.array if isinstance(values.dtype, pd.StringDtype) else values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = pc.dictionary_encode(array)
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False), encoded.dictionary.to_pylist()

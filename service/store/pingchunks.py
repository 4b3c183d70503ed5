"""Columnar storage of patrol pings: one compressed chunk per unit and UTC day.

A fleet-year is tens of millions of 1 Hz pings. Storing them one row each costs about 60 bytes
and a Python tuple per ping on every read; a chunk stores each column as one zlib-compressed
numpy array (timestamps delta-encoded), so a year reads back as a few thousand blobs. See
``benchmarks/ping_storage.py`` for the measured difference.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

from geo.errors import ValidationError
from geo.layers import PATROL_MODES

NS_PER_DAY = 86_400 * 10**9


def _pack(values: NDArray) -> bytes:
    return zlib.compress(np.ascontiguousarray(values).tobytes(), 1)


def _unpack(blob: bytes, dtype: type) -> NDArray:
    return np.frombuffer(zlib.decompress(blob), dtype=dtype)


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
                _pack(np.diff(self.t, prepend=np.int64(0))), _pack(self.lon), _pack(self.lat),
                _pack(self.mode), _pack(self.crew), _pack(self.source))

    @classmethod
    def from_row(cls, unit_id: str, day_utc: int, sources: str, t: bytes, lon: bytes, lat: bytes,
                 mode: bytes, crew: bytes, source: bytes) -> Chunk:
        return cls(unit_id, day_utc, np.cumsum(_unpack(t, np.int64)), _unpack(lon, np.float64),
                   _unpack(lat, np.float64), _unpack(mode, np.uint8), _unpack(crew, np.uint8),
                   _unpack(source, np.uint8), json.loads(sources))

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
        raise ValidationError(f"{len(sources)} different sources for one unit and day; at most {MAX_SOURCES} "
                              "can be stored (give the pings of one import one source)", field="source")


def split_into_chunks(pings: pd.DataFrame) -> list[Chunk]:
    """Cut a validated pings frame into chunks of one unit and UTC day, each sorted by time."""
    units, unit_names = pd.factorize(pings["unit_id"].to_numpy(dtype=object))
    t = pings["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    order = np.lexsort((t, units))
    units, t = units[order], t[order]
    day = t // NS_PER_DAY
    sources = sorted(pings["source"].unique())
    _check_sources(sources)
    columns = {
        "lon": pings["lon"].to_numpy(float)[order], "lat": pings["lat"].to_numpy(float)[order],
        "mode": pd.Categorical(pings["mode"], categories=PATROL_MODES).codes.astype(np.uint8)[order],
        "crew": pings["crew"].to_numpy(np.uint8)[order],
        "source": pd.Categorical(pings["source"], categories=sources).codes.astype(np.uint8)[order],
    }
    cuts = np.flatnonzero((np.diff(units) != 0) | (np.diff(day) != 0)) + 1
    starts, ends = np.r_[0, cuts], np.r_[cuts, len(t)]
    return [Chunk(str(unit_names[units[s]]), int(day[s]), t[s:e], sources=sources,
                  **{name: values[s:e] for name, values in columns.items()})
            for s, e in zip(starts, ends) if e > s]

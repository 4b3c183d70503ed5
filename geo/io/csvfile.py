"""CSV files of layer records: ``lat``/``lon`` in WGS84, or ``x``/``y`` in a stated CRS.

Text fields go through :func:`geo.io.csvsafe.restore`: the apostrophe that CSV exports put before
text starting with ``= + - @``, tab or CR (OWASP's rule against CSV injection) is taken away again,
so importing an exported file gives back the exact text. The coordinate columns are numbers and are
read as they are (a Swedish decimal comma included).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo.crs import WGS84
from geo.errors import ValidationError
from geo.io.csvsafe import restore
from geo.io.records import Records

CHUNK_ROWS = 200_000


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
        raise ValidationError("file not found", file=source) from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ValidationError(f"not a readable CSV file: {exc}", file=source) from None
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
    frame.columns = [str(c).strip() for c in frame.columns]
    xname, yname = ("lon", "lat") if transformer is None else (
        ("x", "y") if {"x", "y"} <= set(frame.columns) else ("lon", "lat"))
    for name in (xname, yname):
        if name not in frame.columns:
            hint = " (x/y columns need --crs, for example --crs EPSG:3006)" if {"x", "y"} <= set(frame.columns) else ""
            raise ValidationError(f"the file has no '{name}' column{hint}", file=source, field=name)
    rows = pd.Series([f"row {i + 2}" for i in range(len(frame))])
    x = _numbers(frame[xname], rows, source, xname)
    y = _numbers(frame[yname], rows, source, yname)
    if transformer is not None:
        x, y = transformer.transform(x, y)
    raw = frame.drop(columns=[c for c in ("lat", "lon", "x", "y") if c in frame.columns])
    for position in range(raw.shape[1]):
        raw.isetitem(position, restore(raw.iloc[:, position]))
    return Records(raw.assign(lon=x, lat=y, _row=rows))


def _transformer(crs: str | None, source: str) -> Transformer | None:
    if crs is None:
        return None
    try:
        parsed = CRS.from_user_input(crs)
    except CRSError:
        raise ValidationError(f"unknown CRS {crs!r} (give for example EPSG:3006)", file=source) from None
    if parsed == CRS.from_user_input(WGS84):
        return None
    return Transformer.from_crs(parsed, WGS84, always_xy=True)


def _numbers(values: pd.Series, rows: pd.Series, source: str, field: str) -> np.ndarray:
    text = values.str.strip().str.replace(",", ".", regex=False)  # Swedish decimal comma
    numbers = pd.to_numeric(text, errors="coerce")
    bad = np.flatnonzero((numbers.isna() & (text != "")).to_numpy())
    if len(bad):
        raise ValidationError(f"not a number: {values.iloc[bad[0]]!r}", file=source, row=rows.iloc[bad[0]],
                              field=field)
    return numbers.to_numpy(dtype=float)

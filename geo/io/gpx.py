"""GPX 1.0/1.1 track files (gpxpy) as patrol ping records."""

from __future__ import annotations

from pathlib import Path

import gpxpy
import gpxpy.gpx
import pandas as pd

from geo.errors import ValidationError
from geo.io.records import Records

MAX_GPX_BYTES = 200 * 1024 * 1024
"""Largest GPX file read (bytes); gpxpy parses the whole document in memory."""


def read_gpx_records(path: str | Path, unit_id: str | None, mode: str | None, crew: int | None = None,
                     max_bytes: int = MAX_GPX_BYTES) -> Records:
    """Track points of a GPX file as ping records of one unit.

    ``unit_id`` defaults to the file name without extension; ``mode`` (foot, bike, car) must be
    given, as GPX does not say how the unit moved. Documents with a DTD or entities are refused
    (gpxpy's XML parsing has no protection against entity expansion), and so are files larger than
    ``max_bytes``. Every track point needs a time.
    """
    path = Path(path)
    source = str(path)
    if mode is None:
        raise ValidationError("a GPX track does not say how the unit moved: give the patrol mode "
                              "(--mode foot, bike or car)", file=source, field="mode")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ValidationError(f"the file is {size / 1e6:.0f} MB; at most {max_bytes / 1e6:.0f} MB is accepted",
                                  file=source)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError("file not found", file=source) from None
    except UnicodeDecodeError:
        raise ValidationError("not a UTF-8 text file", file=source) from None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValidationError("GPX with a DTD or XML entities is refused", file=source)
    try:
        document = gpxpy.parse(text)
    except gpxpy.gpx.GPXException as exc:
        raise ValidationError(f"not a readable GPX file: {exc}", file=source) from None
    rows, times, lons, lats = [], [], [], []
    for t, track in enumerate(document.tracks):
        for s, segment in enumerate(track.segments):
            for p, point in enumerate(segment.points):
                rows.append(f"track {t} segment {s} point {p}")
                times.append(_utc_text(point.time))
                lons.append(point.longitude)
                lats.append(point.latitude)
    if not rows:
        raise ValidationError("the file has no track points", file=source)
    raw = pd.DataFrame({"unit_id": unit_id or path.stem, "timestamp": times, "mode": mode,
                        "crew": crew if crew is not None else pd.NA, "lon": lons, "lat": lats, "_row": rows})
    return Records(raw.assign(source=f"gpx:{path.name}"))


def _utc_text(time) -> str | None:
    """ISO text of a GPX time; GPX times without a zone are UTC by the GPX schema."""
    if time is None:
        return None
    return time.isoformat() if time.tzinfo is not None else time.isoformat() + "+00:00"

"""GPX 1.0/1.1 track files (gpxpy) as patrol ping records."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import gpxpy
import gpxpy.gpx
import pandas as pd

from geo.errors import Message, ValidationError
from geo.io.records import Records
from geo.text import decode_utf8

MAX_GPX_BYTES = 200 * 1024 * 1024
"""Largest GPX file read (bytes); gpxpy parses the whole document in memory."""


def read_gpx_records(path: str | Path, unit_id: str | None, mode: str | None, crew: int | None = None,
                     max_bytes: int = MAX_GPX_BYTES) -> Records:
    """Track points of a GPX file as ping records of one unit.

    ``unit_id`` defaults to the file name without extension; ``mode`` (foot, bike, horse, car) must be
    given, as GPX does not say how the unit moved. Documents with a DTD or entities are refused
    (gpxpy's XML parsing has no protection against entity expansion), and so are files larger than
    ``max_bytes``. Every track point needs a time; times are handed on as text, so
    :func:`geo.layers.validate` reports a bad one (unreadable, out of range) naming the point.
    """
    path = Path(path)
    source = str(path)
    if mode is None:
        raise ValidationError(Message("a GPX track does not say how the unit moved: give the patrol mode "
                                      "(--mode foot, bike, horse or car)"), file=source, field="mode")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ValidationError(Message("the file is {size} MB; at most {most} MB is accepted",
                                          size=round(size / 1e6), most=round(max_bytes / 1e6)),
                                  file=source)
        text = decode_utf8(path.read_bytes(), file=source)
    except FileNotFoundError:
        raise ValidationError(Message("file not found"), file=source) from None
    except OSError as exc:
        raise ValidationError(Message("cannot read the file: {strerror}", strerror=exc.strerror), file=source) from None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValidationError(Message("GPX with a DTD or XML entities is refused"), file=source)
    try:
        document = gpxpy.parse(text)
    except (gpxpy.gpx.GPXException, ValueError, TypeError, LookupError, AttributeError) as exc:
        # gpxpy wraps what it knows in GPXException; anything else it lets through is still a bad file
        raise ValidationError(Message("not a readable GPX file: {exc}", exc=exc), file=source) from None
    rows, times, lons, lats = [], [], [], []
    for t, track in enumerate(document.tracks):
        for s, segment in enumerate(track.segments):
            for p, point in enumerate(segment.points):
                rows.append(f"track {t} segment {s} point {p}")
                times.append(_utc_text(point.time))
                lons.append(point.longitude)
                lats.append(point.latitude)
    if not rows:
        raise ValidationError(Message("the file has no track points"), file=source)
    if any(time is None for time in times):
        times = _unread_times(text, times, rows, source)
    raw = pd.DataFrame({"unit_id": unit_id or path.stem, "timestamp": times, "mode": mode,
                        "crew": crew if crew is not None else pd.NA, "lon": lons, "lat": lats, "_row": rows})
    return Records(raw.assign(source=f"gpx:{path.name}"))


def _utc_text(time: datetime | None) -> str | None:
    """ISO text of a GPX time as gpxpy read it (any year 1-9999; the range is
    :func:`geo.timestamps.parse_utc`'s to judge); GPX times without a zone are UTC by the GPX schema."""
    if time is None:
        return None
    return time.isoformat() if time.tzinfo is not None else time.isoformat() + "+00:00"


_NAIVE_DATE_TIME = re.compile(r"[+-]?\d{4,}-\d\d-\d\d[T ]\d\d?:\d\d(:\d\d([.,]\d+)?)?")
_DATE_TIME = re.compile(_NAIVE_DATE_TIME.pattern + r"(Z|[+\-−]\d\d(:?\d\d)?)")


def _unread_times(text: str, times: list[str | None], rows: list[str], source: str) -> list[str | None]:
    """``times`` with each time gpxpy could not read (None) replaced by the text of the point's
    ``<time>`` element, when it has one: surrounding blanks, a time without seconds, a year beyond
    9999, an impossible date. A date and time of day is handed on (with ``Z`` when it has no zone:
    GPX times are UTC), for :func:`geo.timestamps.parse_utc` to read or report; anything else is
    not a GPX time (xsd:dateTime) and refused here, naming the point."""
    try:
        raw = _point_time_texts(text)
    except ET.ParseError:
        raw = []
    if len(raw) != len(times):  # a document gpxpy reads differently from its plain structure
        return times
    out = list(times)
    for i, (time, found) in enumerate(zip(times, raw)):
        if time is not None or found is None or not found.strip():
            continue
        found = found.strip()
        if _NAIVE_DATE_TIME.fullmatch(found):
            out[i] = found + "Z"
        elif _DATE_TIME.fullmatch(found):
            out[i] = found.replace("−", "-")
        else:
            raise ValidationError(Message("cannot read {found!r} as a GPX time: give the date and time of day "
                                          "(xsd:dateTime, for example 2020-03-14T20:30:00Z)", found=found),
                                  file=source, row=rows[i],
                                  field="timestamp")
    return out


def _point_time_texts(text: str) -> list[str | None]:
    """The text of each track point's first ``<time>`` (None without one), in gpxpy's order
    (gpx/trk/trkseg/trkpt), read as a stream. Only called for a document gpxpy parsed already
    (so well-formed, and without a DTD or entities)."""
    text = text.removeprefix("\ufeff")
    parser = ET.XMLPullParser(events=("start", "end"))
    path: list[str] = []
    texts: list[str | None] = []
    for start in range(0, len(text), 1 << 20):
        parser.feed(text[start:start + (1 << 20)])
        for event, element in parser.read_events():
            name = element.tag.rpartition("}")[2]
            if event == "start":
                path.append(name)
                if path == ["gpx", "trk", "trkseg", "trkpt"]:
                    texts.append(None)
                continue
            if path == ["gpx", "trk", "trkseg", "trkpt", "time"] and texts[-1] is None:
                texts[-1] = element.text or ""
            path.pop()
            if len(path) <= 3:
                element.clear()
    parser.close()
    return texts

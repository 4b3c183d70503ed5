"""iCalendar files (RFC 5545, ``.ics``) of events, read with the icalendar package.

Each VEVENT is an event: ``id`` from UID, ``name`` from SUMMARY, ``starts_at``/``ends_at`` from
DTSTART and DTEND (or DURATION): a time with a zone (TZID or UTC) as given, a floating time as
Europe/Stockholm, a whole day (an all-day event) from local midnight to the midnight after its last
day (a DURATION with hours counts from that midnight). The position is GEO (``lat;lon``); LOCATION,
a place's name, cannot be placed, so an event without GEO is refused naming it, as is one whose GEO,
DTSTART, DTEND or DURATION is malformed or given twice. ORGANIZER's name (CN, never its address) is
the organiser; a CATEGORIES value that is a kind (code or Swedish name,
:data:`geo.layers.EVENT_KIND_NAMES`) is the kind. Cancelled events (STATUS:CANCELLED) are skipped
and counted. Recurring events (RRULE or RDATE) are refused: a calendar's repetitions have no end of
their own here, so each occurrence is given as its own VEVENT (most calendar programs export them
so)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import icalendar
import pandas as pd

from geo.errors import Message, ValidationError
from geo.io.records import Records
from geo.layers import EVENT_KIND_NAMES
from geo.timestamps import LOCAL_TZ

CANCELLED = Message("cancelled (STATUS:CANCELLED)")
"""Why a cancelled event is skipped."""
SOURCE = "ics"
"""The events' ``source`` unless the file's calendar names itself (X-WR-CALNAME)."""
MAX_BYTES = 20 * 1024 * 1024
"""The largest calendar file read (a year's events are kilobytes)."""


def read_ics_records(path: str | Path) -> Records:
    """The VEVENTs of an iCalendar file as raw event records ("event N", counted from 1)."""
    path = Path(path)
    source = str(path)
    if path.stat().st_size > MAX_BYTES:
        raise ValidationError(Message("the calendar is larger than {mb} MB", mb=MAX_BYTES // 2**20), file=source)
    try:
        calendars = icalendar.Calendar.from_ical(path.read_bytes(), multiple=True)
    except ValueError as exc:
        raise ValidationError(Message("not an iCalendar file: {problem}", problem=str(exc)[:200]), file=source) from None
    rows, skipped = [], Counter()
    for calendar in calendars:
        name = calendar.get("X-WR-CALNAME")
        for event in calendar.walk("VEVENT"):
            label = f"event {len(rows) + sum(skipped.values()) + 1}"
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                skipped[CANCELLED] += 1
                continue
            rows.append(_record(event, source, label) | {"source": str(name) if name else SOURCE, "_row": label})
    if not rows and not skipped:
        raise ValidationError(Message("the calendar holds no events (VEVENT)"), file=source)
    columns = ["id", "name", "starts_at", "ends_at", "kind", "organiser", "source", "lon", "lat", "_row"]
    return Records(pd.DataFrame(rows, columns=columns), skipped=skipped)


def _record(event: icalendar.Event, source: str, label: str) -> dict:
    """One VEVENT's raw record; :class:`ValidationError` for what cannot be an event here."""
    summary = str(event.get("SUMMARY", "")).strip() or None
    uid = str(event.get("UID", "")).strip() or None
    called = summary or uid or label

    def refuse(field: str, message: Message) -> ValidationError:
        return ValidationError(message, file=source, row=label, field=field)

    def parsed(name: str, kind: type, read: Callable[[object], object] = lambda prop: prop.dt) -> object:
        """The value of property ``name`` when it is a ``kind``, else its refusal: icalendar parses a
        value only when it is read, so a malformed one (``BrokenCalendarProperty``) fails here."""
        prop = event[name]
        if isinstance(prop, list):
            raise refuse(name, Message("event {event!r} has more than one {property}", event=called, property=name))
        try:
            found = read(prop)
        except ValueError:
            found = None
        if not isinstance(found, kind):
            raise refuse(name, Message("event {event!r} has a malformed {property}: {value!r}", event=called,
                                       property=name, value=prop.to_ical().decode(errors="replace")[:80]))
        return found

    if uid is None:
        raise refuse("UID", Message("event {event!r} has no UID; each event needs one (its id)", event=called))
    if "RRULE" in event or "RDATE" in event:
        raise refuse("RRULE", Message("event {event!r} repeats (RRULE/RDATE); recurring events are not imported: "
                                      "give each occurrence as its own event", event=called))
    if "GEO" not in event:
        where = str(event.get("LOCATION", "")).strip()
        raise refuse("GEO", Message("event {event!r} has no position (GEO:lat;lon); its LOCATION {location!r} is a "
                                    "name, not a place on the map", event=called, location=where or "-"))
    lat, lon = parsed("GEO", tuple, lambda prop: (float(prop.latitude), float(prop.longitude)))
    if "DTSTART" not in event:
        raise refuse("DTSTART", Message("event {event!r} has no DTSTART", event=called))
    starts = parsed("DTSTART", date)
    if "DTEND" in event:
        ends = parsed("DTEND", date)
    elif "DURATION" in event:
        ends = _after(starts, parsed("DURATION", timedelta))
    else:  # RFC 5545: a day without an end lasts that day; a time without one, no time at all
        ends = starts + timedelta(days=1) if not isinstance(starts, datetime) else starts
    organiser = event.get("ORGANIZER")
    kinds = [kind for value in _categories(event) for kind, sv in EVENT_KIND_NAMES.items()
             if value.lower() in (kind, sv.lower())]
    return {"id": uid, "name": summary, "starts_at": _time(starts), "ends_at": _time(ends),
            "kind": kinds[0] if kinds else None,
            "organiser": str(organiser.params.get("CN")) if organiser is not None and organiser.params.get("CN") else None,
            "lon": lon, "lat": lat}


def _after(starts: date | datetime, duration: timedelta) -> date | datetime:
    """The end of an event that lasts ``duration`` from ``starts``: a whole day plus whole days is a
    day; with hours (or less), a whole day starts at local midnight (Europe/Stockholm), its days
    counted on the calendar and the rest in real time."""
    day = timedelta(days=1)
    if isinstance(starts, datetime) or duration % day == timedelta(0):
        return starts + duration
    days = timedelta(days=duration.days)
    return pd.Timestamp(starts + days).tz_localize(LOCAL_TZ) + (duration - days)


def _categories(event: icalendar.Event) -> list[str]:
    """The event's CATEGORIES values (the property may appear more than once)."""
    found = event.get("CATEGORIES")
    lists = found if isinstance(found, list) else [found] if found is not None else []
    return [str(value).strip() for item in lists for value in item.cats]


def _time(value: date | datetime) -> str:
    """ISO 8601 text of a DTSTART/DTEND value: with its offset when zoned, naive (Stockholm time)
    when floating, and local midnight for a whole day."""
    if not isinstance(value, datetime):
        return pd.Timestamp(value).tz_localize(LOCAL_TZ).isoformat()
    if value.tzinfo is None:
        return value.isoformat()
    return pd.Timestamp(value).tz_convert("UTC").isoformat()

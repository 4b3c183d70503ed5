"""Citizen report submission (validation, the centre check, duplicates, storage) and the staff workflow."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace

import geopandas as gpd
import pandas as pd
from email_validator import EmailNotValidError, validate_email
from pydantic import HttpUrl, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from geo.crs import nearest_within, widened_box
from geo.errors import Message, ValidationError
from geo.layers import REPORTS, UNPUBLISHED_CATEGORIES, Record, validate_record
from geo.moderation import HoldRules
from geo.report_attributes import attributes_text, checked_attributes
from geo.text import clean_value
from geo.timestamps import utc_text
from geo.workflow import (DUPLICATE_REASON, KEPT_NOTE, OPEN_STATUSES, WITHOUT_WORKFLOW, clean_note, merge,
                          move)
from geo.zones import zone_of
from service.photos import clean_photo
from service.settings import ReportSettings
from service.store import Actor, FeatureQuery, Store


@dataclass
class Submitted:
    """The stored report (a validated record), its zone, the open reports it may duplicate and
    whether its text is held for review."""

    report: Record
    zone_id: str
    possible_duplicates: list[str]
    text_held: bool = False


def contact_address(email: str | None) -> str | None:
    """The normalised e-mail address (``email-validator``, no DNS lookup), None when none was given;
    :class:`ValidationError` for anything that is not an address (``a@b``, ``@@``)."""
    if email is None or not email.strip():
        return None
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(Message("not an e-mail address: {exc}", exc=exc), field="email") from None


@dataclass(frozen=True)
class Reporter:
    """Who reports, as an Open311 app tells (all optional, all kept private like the e-mail):
    their name and the id of their device."""

    first_name: str | None = None
    last_name: str | None = None
    device_id: str | None = None


MAX_NAME = 100
"""Characters of a reporter's first or last name, and of a device id, at most."""
MAX_MEDIA_URL = 2000
"""Characters of a media_url at most."""
_URL = TypeAdapter(HttpUrl)


def media_link(media_url: str | None) -> str | None:
    """An Open311 ``media_url`` as the report keeps it (a link, never fetched): an absolute
    http(s) address with a host and no user name or password (it is published), as pydantic's URL
    parser normalises it; None when none was given."""
    if media_url is None or not media_url.strip():
        return None
    try:
        url = _URL.validate_python(media_url.strip())
    except PydanticValidationError:
        url = None
    if url is None or url.username is not None or url.password is not None or len(str(url)) > MAX_MEDIA_URL:
        raise ValidationError(Message("media_url must be an http(s) address with a host (no user name or password), "
                                      "of at most {most} characters", most=MAX_MEDIA_URL), field="media_url")
    return str(url)


def submit_report(store: Store, zones: gpd.GeoDataFrame, settings: ReportSettings, *, category: str,
                  lat: str, lon: str, description: str = "", email: str | None = None, when: str | None = None,
                  why: str | None = None, photo: bytes | None = None, media_url: str | None = None,
                  attributes: Mapping[str, list[str]] | None = None, reporter: Reporter = Reporter(),
                  actor: Actor = Actor("citizen"), hold: HoldRules = HoldRules()) -> Submitted:
    """Validate and store a citizen's report; raises :class:`ValidationError` (nothing stored).
    ``media_url`` (Open311) is kept as the report's photo reference (:func:`media_link`); the
    image is not fetched. ``attributes`` (Open311: code → the values sent) are checked against the
    category's questions (:func:`geo.report_attributes.checked_attributes`, required ones
    included) and kept with the report; None asks nothing (the report page has no questions).
    ``reporter``'s name and device id are kept private. ``actor`` is who submitted it (a citizen,
    or an Open311 client application), kept as its source and in its history. Unsafe-place pins
    get no duplicates: answering them would let anyone probe where others feel unsafe. A reporter
    who gives an address hears back (:mod:`service.mail`: the receipt, then when the report is
    scheduled and closed), except for unsafe places, which have no public page to link to. A
    published report's description that ``hold`` holds (a link, a listed word) is stored held for
    review: the report is public, its text only once staff release it (:mod:`service.moderation`)."""
    contact = contact_address(email)
    link = media_link(media_url)
    if (when or why) and category != "unsafe_place":
        raise ValidationError(Message("when and why describe unsafe places only (category unsafe_place)"), field="when")
    for field in ("first_name", "last_name", "device_id"):
        value = getattr(reporter, field)
        if value is not None and len(value.strip()) > MAX_NAME:
            raise ValidationError(Message("{field} has {count} characters; at most {most} are accepted",
                                          field=field, count=len(value.strip()), most=MAX_NAME),
                                  field=field)
    answers = attributes_text(checked_attributes(category, attributes)) if attributes is not None else None
    source = actor.role if not actor.label else f"{actor.role}:{actor.label}"
    report = validate_record(REPORTS, {
        "id": f"r-{uuid.uuid4().hex[:12]}", "category": category, "description": description,
        "created_at": utc_text(pd.Timestamp.now(tz="UTC")), "status": "open", "when": when or None, "why": why or None,
        "photo": link, "attributes": answers, "contact": contact, "first_name": reporter.first_name,
        "last_name": reporter.last_name, "device_id": reporter.device_id, "source": source, "lat": lat, "lon": lon},
        "", row="")
    stored = report.values["description"] or ""  # as stored: NFC can lengthen a text
    if len(stored) > settings.max_description:
        raise ValidationError(Message("the description has {count} characters; at most {most} are accepted",
                                      count=len(stored), most=settings.max_description), field="description")
    zone_id = zone_of(zones, [report.lon], [report.lat])[0]
    if zone_id is None:
        raise ValidationError(Message("the point lies outside the stadskärna; reports are taken for Halmstad's city "
                                      "centre only"), field="lat/lon")
    cleaned = clean_photo(photo, settings.max_photo_mb * 1024 * 1024) if photo else None
    if cleaned is not None:
        report = replace(report, values=report.values | {"photo": f"/api/reports/{report.values['id']}/photo"})
    duplicates = [] if category in WITHOUT_WORKFLOW else nearest_within(
        *store.positions(REPORTS, FeatureQuery(
            bbox=widened_box((report.lon, report.lat, report.lon, report.lat), settings.duplicate_radius_m),
            categories=(category,), statuses=OPEN_STATUSES)),
        (report.lon, report.lat), settings.duplicate_radius_m)
    hears_back = contact is not None and category not in UNPUBLISHED_CATEGORIES
    held = hold.reason(stored) if category not in UNPUBLISHED_CATEGORIES else None
    store.add_report(report, cleaned, duplicates, actor, secrets.token_urlsafe(24) if hears_back else None, held)
    return Submitted(report, zone_id, duplicates, held is not None)


def change_status(store: Store, report_id: str, status: str, actor: Actor, close_reason: str | None = None,
                  now: pd.Timestamp | None = None, note: str | None = None) -> gpd.GeoDataFrame:
    """Move a report forward in the workflow (:mod:`geo.workflow`), checked and written in one
    transaction, and kept in its history by ``actor`` with ``note`` (a staff note, any move;
    without one, the close reason); returns the stored one-row frame. Raises the store's
    ``NotFound`` for an unknown id, :class:`ValidationError` for a request that is wrong whatever
    the state, and ``StateConflict`` (with the current status) for a move the report's current
    state does not allow — so of concurrent requests only valid moves land."""
    at = now or pd.Timestamp.now(tz="UTC")
    kept = clean_note(note) or (close_reason or "").strip() or None
    return store.change_report(report_id, lambda current: move(current["category"], current["status"], status,
                                                               close_reason, at),
                               actor, at, note=kept)


def merge_report(store: Store, duplicate_id: str, into_id: str, actor: Actor,
                 now: pd.Timestamp | None = None) -> gpd.GeoDataFrame:
    """Merge a duplicate report into the one kept, in one transaction: the duplicate is closed
    as a duplicate of it (:func:`geo.workflow.merge`), both histories get a row by ``actor``, and
    the duplicate's supporters (and its reporter, one more) and the mail subscriptions that heard
    of it go over to the kept report — so its reporter hears when the kept one is scheduled and
    closed. Returns the duplicate's stored one-row frame. ``NotFound`` for an unknown id,
    :class:`ValidationError` (422) for a merge into itself, across categories or of unsafe places,
    ``StateConflict`` (409, with the report and its status) when either is closed already."""
    into_id = clean_value(into_id, "into")  # no control characters reach the database's text
    if duplicate_id == into_id:
        raise ValidationError(Message("a report cannot be merged into itself"), field="into")
    at = now or pd.Timestamp.now(tz="UTC")
    return store.merge_reports(duplicate_id, into_id, lambda duplicate, kept: merge(duplicate, kept, at), actor, at,
                               (DUPLICATE_REASON.format(into=into_id), KEPT_NOTE.format(duplicate=duplicate_id)))

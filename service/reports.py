"""Citizen report submission: validation, the centre check, duplicates, storage."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import to_metric
from geo.errors import ValidationError
from geo.layers import REPORTS, validate
from geo.zones import zone_of
from service.photos import clean_photo
from service.settings import ReportSettings
from service.store import SQLiteStore


@dataclass
class Submitted:
    """The stored report (validated one-row frame), its zone and the open reports it may duplicate."""

    report: gpd.GeoDataFrame
    zone_id: str
    possible_duplicates: list[str]


def submit_report(store: SQLiteStore, zones: gpd.GeoDataFrame, settings: ReportSettings, *, category: str,
                  lat: str, lon: str, description: str = "", email: str | None = None, when: str | None = None,
                  why: str | None = None, photo: bytes | None = None, media_url: str | None = None,
                  source: str = "citizen") -> Submitted:
    """Validate and store a citizen's report; raises :class:`ValidationError` (nothing stored).
    ``media_url`` (Open311) is kept as the report's photo reference; the image is not fetched."""
    if len(description) > settings.max_description:
        raise ValidationError(f"the description has {len(description)} characters; at most "
                              f"{settings.max_description} are accepted", field="description")
    if email is not None and email.strip() and ("@" not in email or len(email) > 254 or " " in email.strip()):
        raise ValidationError("not an e-mail address", field="email")
    if media_url and (not media_url.startswith(("https://", "http://")) or len(media_url) > 2000):
        raise ValidationError("media_url must be an http(s) address of at most 2,000 characters", field="media_url")
    if (when or why) and category != "unsafe_place":
        raise ValidationError("when and why describe unsafe places only (category unsafe_place)", field="when")
    raw = pd.DataFrame({"id": [f"r-{uuid.uuid4().hex[:12]}"], "category": [category], "description": [description],
                        "created_at": [pd.Timestamp.now(tz="UTC").isoformat()], "status": ["open"],
                        "when": [when or None], "why": [why or None], "contact": [(email or "").strip() or None],
                        "source": [source], "lat": [lat], "lon": [lon], "_row": [""]})
    report = validate(REPORTS, raw, "")
    point = report.geometry.iloc[0]
    zone_id = zone_of(zones, [point.x], [point.y])[0]
    if zone_id is None:
        raise ValidationError("the point lies outside the stadskärna; reports are taken for Halmstad's city "
                              "centre only", field="lat/lon")
    cleaned = clean_photo(photo, settings.max_photo_mb * 1024 * 1024) if photo else None
    if cleaned is not None:
        report = report.assign(photo=f"/api/reports/{report['id'].iloc[0]}/photo")
    elif media_url:
        report = report.assign(photo=media_url)
    duplicates = possible_duplicates(store.read_features(REPORTS), report, settings.duplicate_radius_m)
    store.add_report(report, cleaned, duplicates)
    return Submitted(report, zone_id, duplicates)


def possible_duplicates(reports: gpd.GeoDataFrame, new: gpd.GeoDataFrame, radius_m: float) -> list[str]:
    """Ids of open (not closed) reports of the same category within ``radius_m`` of the new one
    (distances in SWEREF 99 TM)."""
    candidates = reports[(reports["category"] == new["category"].iloc[0]) & (reports["status"] != "closed")]
    if candidates.empty:
        return []
    distance = to_metric(candidates).distance(to_metric(new).geometry.iloc[0]).to_numpy()
    return candidates["id"].to_numpy()[np.argsort(distance)][np.sort(distance) <= radius_m].tolist()


WORKFLOW = ("open", "acknowledged", "scheduled", "closed")
"""The staff workflow: a report only moves forward (steps may be skipped); closing needs a reason."""


def change_status(store: SQLiteStore, report_id: str, status: str, close_reason: str | None = None,
                  now: pd.Timestamp | None = None) -> gpd.GeoDataFrame:
    """Move a report forward in :data:`WORKFLOW`; returns the stored one-row frame. Raises
    ``KeyError`` for an unknown id and :class:`ValidationError` for a move that is not allowed."""
    reports = store.read_features(REPORTS)
    row = reports[reports["id"] == report_id]
    if row.empty:
        raise KeyError(report_id)
    current = row["status"].iloc[0]
    if row["category"].iloc[0] == "unsafe_place":
        raise ValidationError("unsafe places are citizens' views for the dialogue, with no staff workflow",
                              field="status")
    if status not in WORKFLOW:
        raise ValidationError(f"{status!r} is not one of {', '.join(WORKFLOW)}", field="status")
    if WORKFLOW.index(status) <= WORKFLOW.index(current):
        raise ValidationError(f"the report is {current}; it can only move on ({' → '.join(WORKFLOW)})", field="status")
    if status == "closed" and not (close_reason or "").strip():
        raise ValidationError("closing a report needs a close_reason (for example 'sanerat')", field="close_reason")
    changes = {"status": status}
    if status == "closed":
        changes.update(close_reason=close_reason.strip(), closed_at=(now or pd.Timestamp.now(tz="UTC")).floor("ms"))
    updated = row.assign(**changes)
    store.write_features(REPORTS, updated)
    return updated

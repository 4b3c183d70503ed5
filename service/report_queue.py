"""The staff's work on citizens' reports: the queue (filtered and paged in the store, oldest
first) and one report as staff see it (its history, who hears of it, possible duplicates nearby).
The changes themselves are :func:`service.reports.change_status` and
:func:`service.reports.merge_report`, shared with the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import geopandas as gpd
import pandas as pd

from geo.crs import nearest_within, widened_box
from geo.errors import Message, ValidationError
from geo.layers import REPORT_CATEGORY_NAMES, REPORT_STATUS_NAMES, REPORT_STATUSES, REPORTS, UNSAFE_WHEN_NAMES, \
    UNSAFE_WHY_NAMES
from geo.report_attributes import attributes_of, stored_answers
from geo.swedish import sv_date
from geo.timestamps import LOCAL_TZ, SUPPORTED_END, SUPPORTED_START, local_day_end
from geo.workflow import OPEN_STATUSES, WITHOUT_WORKFLOW, WORKFLOW, duplicate_of
from geo.zones import zone_positions
from service.auth import ROLE_NAMES
from service.errors import NoSuchThing
from service.settings import ReportSettings
from service.store import FeatureQuery, Store

PAGE_SIZE = 25
"""Reports on one page of the queue."""
MAX_AGE_DAYS = 3650
"""The largest "older than" a filter takes (ten years)."""
ALL_STATUSES = "alla"
"""The status filter's value for every status; empty means the open ones (the default)."""
ACTOR_NAMES = {**ROLE_NAMES, "citizen": "medborgare", "open311": "Open311-app", "import": "import",
               "demo": "demodata"}
"""Who made a change, in Swedish, by the actor's role (staff roles as :data:`service.auth.ROLE_NAMES`)."""
OUTSIDE_ZONES = "utanför zonerna"


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows: a zone (its id; all when empty), a category (all when empty), a
    status (the open ones when empty, every one for :data:`ALL_STATUSES`), reports older than a
    number of days, created from and to local dates (both included), and the page (from 1)."""

    zone: str = ""
    category: str = ""
    status: str = ""
    older_than_days: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    page: int = 1

    def link(self, page: int) -> str:
        """The queue's query string for ``page`` of this filter (the form's fields, empty ones left out)."""
        fields = {"zone": self.zone, "category": self.category, "status": self.status,
                  "older_than": "" if self.older_than_days is None else str(self.older_than_days),
                  "created_from": self.created_from.isoformat() if self.created_from else "",
                  "created_to": self.created_to.isoformat() if self.created_to else "", "page": str(page)}
        return "?" + urlencode({k: v for k, v in fields.items() if v and (k != "page" or page > 1)})


def queue_filter(zones: gpd.GeoDataFrame, zone: str = "", category: str = "", status: str = "",
                 older_than: str = "", created_from: str = "", created_to: str = "", page: str = "") -> QueueFilter:
    """The queue's filter from the form's text fields; :class:`ValidationError` naming the field
    (``zone``, ``category``, ``status``, ``older_than``, ``created_from``, ``created_to``, ``page``)
    for a value it cannot take."""
    if zone and zone not in set(zones["zone_id"]):
        raise ValidationError(Message("unknown zone {zone!r}", zone=zone), field="zone")
    if category and category not in REPORT_CATEGORY_NAMES:
        raise ValidationError(Message("unknown category {category!r}", category=category), field="category")
    if status and status != ALL_STATUSES and status not in REPORT_STATUSES:
        raise ValidationError(Message("unknown status {status!r}", status=status), field="status")
    age = _whole(older_than, "older_than", 0, MAX_AGE_DAYS)
    first, last = _day(created_from, "created_from"), _day(created_to, "created_to")
    if first and last and last < first:
        raise ValidationError(Message("created_to is before created_from"), field="created_to")
    return QueueFilter(zone, category, status, age, first, last, _whole(page, "page", 1, 1_000_000) or 1)


def report_queue(store: Store, zones: gpd.GeoDataFrame, chosen: QueueFilter, now: pd.Timestamp) -> dict:
    """A page of the queue, oldest first: ``rows`` (id, category, status, created, age in days,
    zone, description, supporters), ``matched`` (all that match), ``page``, ``pages`` and the
    query strings of the ``previous`` and ``next`` pages (None at the ends). The filters run in
    the store; unsafe-place pins are in it (staff see them)."""
    query = _query(zones, chosen, now)
    found = store.query_features(REPORTS, query, PAGE_SIZE, (chosen.page - 1) * PAGE_SIZE)
    frame = found.frame
    ids = frame["id"].tolist()
    supporters = store.supporters(ids)
    places = _places(zones, frame)
    rows = [{"id": row["id"], "category": REPORT_CATEGORY_NAMES[row["category"]],
             "status": REPORT_STATUS_NAMES[row["status"]], "created": _when(row["created_at"]),
             "age_days": int((now - row["created_at"]) / pd.Timedelta(days=1)), "zone": place,
             "description": row["description"] if isinstance(row["description"], str) else "",
             "supporters": supporters.get(row["id"], 0)}
            for row, place in zip(frame.to_dict("records"), places)]
    pages = max(1, -(-found.matched // PAGE_SIZE))
    return {"rows": rows, "matched": found.matched, "page": chosen.page, "pages": pages,
            "previous": chosen.link(chosen.page - 1) if chosen.page > 1 else None,
            "next": chosen.link(chosen.page + 1) if chosen.page < pages else None}


def staff_report(store: Store, zones: gpd.GeoDataFrame, settings: ReportSettings, report_id: str) -> dict:
    """A report as staff see it: what, where, when, its status and the moves it may make, its
    description (as stored, also while moderation withholds it), answers, photo (``photo_src``: the staff photo route, shown; ``photo_link``: an
    Open311 app's address, only linked), who hears of it by mail (never their address),
    supporters, the full history (when, who, from → to, note), the report it duplicates when
    merged, and the open reports of its category within the duplicate radius (``nearby``).
    :class:`NoSuchThing` for an unknown id."""
    found = store.read_features(REPORTS, include_private=True, query=FeatureQuery(ids=(report_id,)))
    if found.empty:
        raise NoSuchThing(Message("no report {report_id!r}", report_id=report_id))
    report = found.iloc[0]  # as stored, withheld text and photo too; its contact is never shown
    category, status = report["category"], report["status"]
    photo = report["photo"] if isinstance(report["photo"], str) else None
    local_photo = photo is not None and photo.startswith("/api/reports/")
    listeners = store.listeners([report_id]).get(report_id)
    reason = report["close_reason"] if isinstance(report["close_reason"], str) else None
    return {
        "id": report_id, "category_code": category, "category": REPORT_CATEGORY_NAMES[category],
        "status_code": status, "status": REPORT_STATUS_NAMES[status], "open": status in OPEN_STATUSES,
        "workflow": category not in WITHOUT_WORKFLOW,
        "moves": [(s, REPORT_STATUS_NAMES[s]) for s in WORKFLOW[WORKFLOW.index(status) + 1:]],
        "created": _when(report["created_at"]),
        "closed": _when(report["closed_at"]) if pd.notna(report["closed_at"]) else None,
        "close_reason": reason, "duplicate_of": duplicate_of(reason),
        "zone": _places(zones, found)[0], "lon": report.geometry.x, "lat": report.geometry.y,
        "description": report["description"] if isinstance(report["description"], str) else "",
        "answers": _answers(category, report["attributes"]),
        "when": UNSAFE_WHEN_NAMES.get(report["when"]) if isinstance(report["when"], str) else None,
        "why": UNSAFE_WHY_NAMES.get(report["why"]) if isinstance(report["why"], str) else None,
        "photo_src": photo if local_photo else None, "photo_link": None if local_photo else photo,
        "reporter_hears_back": bool(listeners and listeners.reporter),
        "carried_listeners": listeners.carried if listeners else 0,
        "supporters": store.supporters([report_id]).get(report_id, 0),
        "history": _history(store, report_id),
        "nearby": _nearby(store, settings, report) if category not in WITHOUT_WORKFLOW else [],
    }


def _query(zones: gpd.GeoDataFrame, chosen: QueueFilter, now: pd.Timestamp) -> FeatureQuery:
    """The store's query of a filter: the zone's polygon, category, statuses, the created span."""
    ends = [now - pd.Timedelta(days=chosen.older_than_days)] if chosen.older_than_days is not None else []
    if chosen.created_to is not None:
        ends.append(local_day_end(chosen.created_to))
    statuses = (None if chosen.status == ALL_STATUSES else (chosen.status,) if chosen.status else OPEN_STATUSES)
    zone = zones.loc[zones["zone_id"] == chosen.zone, "geometry"]
    return FeatureQuery(
        within=zone.iloc[0] if chosen.zone else None, categories=(chosen.category,) if chosen.category else None,
        statuses=statuses, end=min(ends) if ends else None, oldest_first=True,
        start=pd.Timestamp(chosen.created_from, tz=LOCAL_TZ) if chosen.created_from else None)


def _whole(text: str, field: str, low: int, high: int) -> int | None:
    """A whole number from ``low`` to ``high`` given as text, None when empty."""
    if not text.strip():
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise ValidationError(Message("{field} must be a whole number", field=field), field=field) from None
    if not low <= value <= high:
        raise ValidationError(Message("{field} must be from {low} to {high}", field=field, low=low, high=high), field=field)
    return value


def _day(text: str, field: str) -> date | None:
    """A local date given as YYYY-MM-DD, None when empty."""
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(Message("{field} must be a date as YYYY-MM-DD", field=field), field=field) from None
    if not SUPPORTED_START.date() <= day < SUPPORTED_END.date():
        raise ValidationError(Message("{field} is outside the supported dates", field=field), field=field)
    return day


def _when(at: pd.Timestamp) -> str:
    """A time as staff read it: the local date in Swedish and the time (``2 december 2026 kl. 10.31``)."""
    local = at.tz_convert(LOCAL_TZ)
    return f"{sv_date(local.date())} kl. {local:%H.%M}"


def _places(zones: gpd.GeoDataFrame, frame: gpd.GeoDataFrame) -> list[str]:
    """The name of each report's zone (:data:`OUTSIDE_ZONES` for none)."""
    positions = zone_positions(zones, frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    return [zones["name"].iloc[p] if p >= 0 else OUTSIDE_ZONES for p in positions]


def _answers(category: str, text: object) -> list[tuple[str, str]]:
    """The report's answers to its category's questions: (question, answer), in Swedish."""
    given = stored_answers(text if isinstance(text, str) else None)
    return [(a.description, a.values.get(given[a.code], given[a.code])) for a in attributes_of(category)
            if a.code in given]


def _history(store: Store, report_id: str) -> list[dict]:
    """The report's history, oldest first: when, who, from and to (Swedish; none for its creation), note."""
    rows = store.report_history([report_id])
    return [{"when": _when(at), "who": " – ".join(part for part in (ACTOR_NAMES.get(role, role), label) if part),
             "from": REPORT_STATUS_NAMES.get(before) if isinstance(before, str) else None,
             "to": REPORT_STATUS_NAMES[after], "note": note if isinstance(note, str) else ""}
            for at, role, label, before, after, note in zip(rows["at"], rows["actor_role"], rows["actor_label"],
                                                           rows["from_status"], rows["to_status"], rows["note"])]


def _nearby(store: Store, settings: ReportSettings, report: pd.Series) -> list[dict]:
    """The other open reports of the report's category within the duplicate radius, nearest first."""
    point = (report.geometry.x, report.geometry.y)
    ids, lon, lat = store.positions(REPORTS, FeatureQuery(
        bbox=widened_box((*point, *point), settings.duplicate_radius_m), categories=(report["category"],),
        statuses=OPEN_STATUSES))
    near = [i for i in nearest_within(ids, lon, lat, point, settings.duplicate_radius_m) if i != report["id"]]
    if not near:
        return []
    found = store.read_features(REPORTS, query=FeatureQuery(ids=tuple(near))).set_index("id")
    return [{"id": i, "status": REPORT_STATUS_NAMES[found.at[i, "status"]], "created": _when(found.at[i, "created_at"]),
             "description": found.at[i, "description"] if isinstance(found.at[i, "description"], str) else ""}
            for i in near]

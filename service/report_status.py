"""A citizen's report as the public follows it: what it is, roughly where, its status and the
dates of its status changes — never who reported it or changed it, never its contact."""

from __future__ import annotations

import geopandas as gpd

from geo.layers import REPORT_CATEGORY_NAMES, REPORT_STATUS_NAMES, REPORTS, UNPUBLISHED_CATEGORIES
from geo.swedish import sv_date
from geo.timestamps import LOCAL_TZ
from geo.workflow import OPEN_STATUSES
from geo.zones import zone_positions
from geo.errors import Message
from service.errors import NoSuchThing
from service.store import FeatureQuery, Store


def report_status(store: Store, zones: gpd.GeoDataFrame, report_id: str) -> dict:
    """The public view of a report: ``id``, ``category`` (its Swedish name), ``place`` (the name
    of its zone), ``status`` (Swedish), ``open``, ``supporters`` (citizens who have seen it too) and ``history`` (local date and Swedish
    status of each change of status, oldest first). :class:`NoSuchThing` for an unknown id and for an
    unsafe place (:data:`geo.layers.UNPUBLISHED_CATEGORIES`): those have no page, and the answer
    does not tell them apart."""
    found = store.read_features(REPORTS, query=FeatureQuery(ids=(report_id,)))
    if found.empty or found.iloc[0]["category"] in UNPUBLISHED_CATEGORIES:
        raise NoSuchThing(Message("no report {report_id!r}", report_id=report_id))
    report = found.iloc[0]
    position = zone_positions(zones, [report.geometry.x], [report.geometry.y])[0]
    history = store.report_history([report_id])
    history = history[history["from_status"] != history["to_status"]]  # a merge into it changes no status
    return {
        "id": report["id"], "category": REPORT_CATEGORY_NAMES[report["category"]],
        "place": zones["name"].iloc[position] if position >= 0 else "Stadskärnan",
        "status": REPORT_STATUS_NAMES[report["status"]], "open": report["status"] in OPEN_STATUSES,
        "supporters": store.supporters([report_id]).get(report_id, 0),
        "history": [{"date": sv_date(at.tz_convert(LOCAL_TZ).date()), "status": REPORT_STATUS_NAMES[to]}
                    for at, to in zip(history["at"], history["to_status"])],
    }

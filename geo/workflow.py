"""The staff workflow of citizen reports: the states in order, and which moves are allowed.

A report only moves forward (open → acknowledged → scheduled → closed; steps may be skipped,
never back); closing needs a reason, and any move may carry a staff note. A duplicate is merged
into another open report of its category: it is closed with the reason that says which.
Unsafe-place pins are citizens' views for the dialogue and
have no workflow. Every move is kept as a row of the report's history (see the store).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from geo.errors import Message, StateConflict, ValidationError
from geo.layers import REPORT_STATUSES
from geo.text import clean_value

WORKFLOW = REPORT_STATUSES
"""The states in the order a report moves through them."""
CONFIRMED_STATUSES = ("acknowledged", "scheduled")
OPEN_STATUSES = ("open", *CONFIRMED_STATUSES)
"""States in which a report is open: not yet closed."""
"""States in which staff have confirmed the problem and not yet fixed it."""
WITHOUT_WORKFLOW = ("unsafe_place",)
TOLD_STATUSES = ("scheduled", "closed")
"""States a citizen who left an address is told of by e-mail (besides the receipt of the report)."""
MAX_NOTE = 1000
"""Characters of a staff note on a move, at most."""
DUPLICATE_REASON = "dubblett av {into}"
"""The close reason of a duplicate merged into the report ``into`` (the id), as staff and Open311 read it."""
KEPT_NOTE = "dubbletten {duplicate} har slagits ihop med denna"
"""The note of the kept report's history row when a duplicate is merged into it."""
ROUND_REASON = "saneringsrunda {round_id}"
"""The close reason (and history note) of a report a removal round closed, as staff and Open311 read it."""
RECORDED_ELSEWHERE = ("import", "demo")
"""History rows not written by staff here: a record's state as another system (or the demo) gave it."""


def move(category: str, current: str, target: str, close_reason: str | None, at: pd.Timestamp) -> dict:
    """The field changes that move a report of ``category`` from ``current`` to ``target`` at
    ``at`` (UTC). Raises :class:`ValidationError` for a request that is wrong whatever the state
    (an unknown status, closing without a reason, a report without workflow) and
    :class:`StateConflict` for a move its current state does not allow."""
    if category in WITHOUT_WORKFLOW:
        raise ValidationError(Message("unsafe places are citizens' views for the dialogue, with no staff workflow"),
                              field="status")
    if target not in WORKFLOW:
        raise ValidationError(Message("{status!r} is not one of {statuses}", status=target,
                                      statuses=", ".join(WORKFLOW)),
                              field="status")
    reason = clean_value(close_reason or "", "close_reason").strip()
    if target == "closed" and not reason:
        raise ValidationError(Message("closing a report needs a close_reason (for example 'sanerat')"),
                              field="close_reason")
    if reason and target != "closed":
        raise ValidationError(Message("a close_reason is given only when closing"), field="close_reason")
    if WORKFLOW.index(target) <= WORKFLOW.index(current):
        raise StateConflict(Message("the report is {status}; it can only move on ({order})", status=current,
                                    order=" → ".join(WORKFLOW)),
                            {"status": current})
    changes: dict = {"status": target}
    if target == "closed":
        changes.update(close_reason=reason, closed_at=at.tz_convert("UTC").floor("ms"))
    return changes


def clean_note(note: str | None) -> str | None:
    """A staff note on a move as kept in the history (the text rule of :mod:`geo.text`, trimmed),
    None when empty; :class:`ValidationError` for one longer than :data:`MAX_NOTE`."""
    text = clean_value(note or "", "note").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(Message("the note has {count} characters; at most {most} are accepted", count=len(text),
                                      most=MAX_NOTE), field="note")
    return text or None


def merge(duplicate: Mapping[str, Any], kept: Mapping[str, Any], at: pd.Timestamp) -> dict:
    """The duplicate's field changes when it is merged into ``kept`` (records with ``id``,
    ``category`` and ``status``) at ``at``: closed with :data:`DUPLICATE_REASON`. Raises
    :class:`ValidationError` for a merge that is wrong whatever the states (into itself, across
    categories, an unsafe place) and :class:`StateConflict` (with the report's id and status)
    when either report is closed already (closed, or merged before)."""
    if duplicate["id"] == kept["id"]:
        raise ValidationError(Message("a report cannot be merged into itself"), field="into")
    if duplicate["category"] in WITHOUT_WORKFLOW or kept["category"] in WITHOUT_WORKFLOW:
        raise ValidationError(Message("unsafe places are citizens' views, never merged"), field="into")
    if duplicate["category"] != kept["category"]:
        raise ValidationError(Message("a {duplicate} report is merged only into another of its category, not into a "
                                      "{kept} report", duplicate=duplicate["category"], kept=kept["category"]),
                              field="into")
    for report in (duplicate, kept):
        if report["status"] not in OPEN_STATUSES:
            raise StateConflict(Message("the report {id} is {status} already; only open reports are merged",
                                        id=report["id"], status=report["status"]),
                                {"id": report["id"], "status": report["status"]})
    return move(duplicate["category"], duplicate["status"], "closed", DUPLICATE_REASON.format(into=kept["id"]), at)


def duplicate_of(close_reason: str | None) -> str | None:
    """The id of the report a duplicate was merged into, read from its close reason
    (:data:`DUPLICATE_REASON`); None for any other reason."""
    head = DUPLICATE_REASON.split("{")[0]
    if close_reason is None or not close_reason.startswith(head):
        return None
    return close_reason[len(head):] or None


def closed_unconfirmed(history: pd.DataFrame) -> pd.Index:
    """Ids of the reports that staff closed straight from open — never confirming the problem (no
    fault found, a duplicate) — from a history of status changes (report_id, from_status,
    to_status, actor_role). A report closed by an import or the demo counts as confirmed: its
    state comes from elsewhere, with no steps to read."""
    staff = ~history["actor_role"].isin(RECORDED_ELSEWHERE)
    straight = staff & (history["from_status"] == "open") & (history["to_status"] == "closed")
    confirmed = history["to_status"].isin(CONFIRMED_STATUSES)
    ids = pd.Index(history.loc[straight, "report_id"].unique())
    return ids.difference(pd.Index(history.loc[confirmed, "report_id"].unique()))

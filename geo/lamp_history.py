"""A lamp's status over time, from the rows of its history (one row per change of status).

A write of the lights layer adds a row for each new lamp (from nothing to its status) and for each
stored lamp whose status changes (:func:`status_changes`); each row is dated by the lamp's
``updated_at`` when the write brings a new one (the register's date of the change), else by the
moment of the write. Reading the rows back (:func:`status_at`), a lamp's status at a moment is the
one its last change at or before it gave; before its first row a lamp was working — unless it was
first recorded as planned. So loading a later year's register never changes an earlier year:
what a lamp became is dated after that year.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

HISTORY_COLUMNS = ["light_id", "from_status", "to_status", "at"]
"""The columns of a lamp history frame (``at`` UTC); stores add who made each change and a note."""


def status_changes(lights: pd.DataFrame, stored: Mapping[str, tuple[str, pd.Timestamp | None]],
                   now: pd.Timestamp) -> pd.DataFrame:
    """The history rows a write of ``lights`` (id, status, updated_at) adds, given the stored
    lamps' (status, updated_at) by id: a lamp not stored goes from nothing (None) to its status, a
    stored lamp whose status differs from the stored one from that to its new status. A row is at
    the lamp's ``updated_at`` when the write gives one that is not the stored one, else at ``now``
    (UTC)."""
    old = [stored.get(i, (None, None)) for i in lights["id"]]
    before = pd.Series([s for s, _ in old], index=lights.index, dtype=object)
    old_updated = pd.to_datetime(pd.Series([u for _, u in old], index=lights.index, dtype=object), utc=True)
    new = ~lights["id"].isin(list(stored)).to_numpy()
    rows = lights[new | (before != lights["status"]).to_numpy()]
    updated = pd.to_datetime(rows["updated_at"], utc=True)
    dated = updated.notna() & (old_updated.loc[rows.index].isna() | (updated != old_updated.loc[rows.index]))
    return pd.DataFrame({"light_id": rows["id"].astype(object).to_numpy(),
                         "from_status": before.loc[rows.index].to_numpy(),  # None for a new lamp, not NaN
                         "to_status": rows["status"].astype(object).to_numpy(),
                         "at": updated.where(dated, pd.Timestamp(now).tz_convert("UTC"))},
                        columns=HISTORY_COLUMNS, index=rows.index, dtype=object).astype(
        {"at": "datetime64[ns, UTC]"}).reset_index(drop=True)


def status_at(lights: pd.DataFrame, history: pd.DataFrame, at: pd.Timestamp) -> pd.Series:
    """Each lamp's status at ``at`` (Series on ``lights``' index) by its history rows (in the
    order they were recorded): the status of its last row at or before ``at``; before its first
    row ``working``, or ``planned`` when that row recorded it as planned. A lamp without rows
    keeps its status."""
    rows = history[history["light_id"].isin(lights["id"])]
    if rows.empty:
        return lights["status"].copy()
    rows = rows.assign(order=range(len(rows))).sort_values(["at", "order"], kind="stable")
    first = rows.drop_duplicates("light_id").set_index("light_id")["to_status"]
    before = first.where(first == "planned", "working")
    last = rows[rows["at"] <= at].drop_duplicates("light_id", keep="last").set_index("light_id")["to_status"]
    ids = lights["id"]
    status = ids.map(last).astype(object).fillna(ids.map(before)).fillna(lights["status"])
    return status.astype(object)

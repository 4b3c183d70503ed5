"""A lamp's status over time from its history rows (geo.lamp_history): the rows a register's load
adds, and the status read back at any moment; loading a later register never changes an earlier
moment."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.lamp_history import HISTORY_COLUMNS, status_at, status_changes

STATUSES = ("working", "broken", "planned", "removed")
T0 = pd.Timestamp("2020-01-01T00:00:00Z")


def register(*lamps: tuple) -> pd.DataFrame:
    """Lamps as a register lists them: (id, status, updated_at or None)."""
    return pd.DataFrame({"id": [i for i, _, _ in lamps], "status": [s for _, s, _ in lamps],
                         "updated_at": pd.to_datetime([u for _, _, u in lamps], utc=True)})


def test_a_first_load_records_every_lamp_from_nothing_dated_by_updated_at_or_the_load():
    rows = status_changes(register(("a", "working", None), ("b", "broken", "2020-06-15T08:00:00+02:00")), {},
                          pd.Timestamp("2020-09-01T12:00:00+02:00"))
    assert list(rows.columns) == HISTORY_COLUMNS and rows["from_status"].isna().all()
    assert rows["at"].tolist() == [pd.Timestamp("2020-09-01T10:00:00Z"), pd.Timestamp("2020-06-15T06:00:00Z")]


def test_a_later_load_records_only_changes_of_status():
    stored = {"a": ("working", None), "b": ("broken", "2020-06-15T06:00:00.000Z"), "c": ("working", None)}
    later = register(("a", "working", "2021-01-01T00:00:00Z"), ("b", "broken", "2020-06-15T08:00:00+02:00"),
                     ("c", "removed", None), ("d", "planned", None))
    rows = status_changes(later, stored, pd.Timestamp("2021-05-01T00:00:00Z"))
    assert list(zip(rows["light_id"], rows["from_status"], rows["to_status"])) == [
        ("c", "working", "removed"), ("d", None, "planned")]


def test_a_change_keeps_the_stored_date_only_when_it_is_the_stored_one():
    stored = {"b": ("broken", "2020-06-15T06:00:00.000Z")}
    again = register(("b", "working", "2020-06-15T08:00:00+02:00"))  # repaired, the register's date not updated
    assert status_changes(again, stored, pd.Timestamp("2021-05-01T00:00:00Z"))["at"].tolist() == [
        pd.Timestamp("2021-05-01T00:00:00Z")], "the old date is the old change's: this one is dated by the load"


def test_before_its_first_row_a_lamp_was_working_unless_it_was_first_planned():
    lamps = register(("a", "broken", None), ("p", "planned", None), ("x", "broken", None))
    history = status_changes(lamps.iloc[:2], {}, pd.Timestamp("2021-01-01T00:00:00Z"))
    before, after = (status_at(lamps, history, pd.Timestamp(t)) for t in ("2020-06-01T00:00Z", "2021-06-01T00:00Z"))
    assert before.tolist() == ["working", "planned", "broken"], "a lamp without rows keeps its status"
    assert after.tolist() == ["broken", "planned", "broken"]


def test_rows_at_one_moment_count_in_the_order_they_were_recorded():
    history = pd.DataFrame({"light_id": ["a", "a", "a"], "from_status": [None, "working", "broken"],
                            "to_status": ["working", "broken", "working"],
                            "at": pd.to_datetime(["2020-01-01T00:00Z", "2020-05-01T00:00Z", "2020-05-01T00:00Z"])})
    status = status_at(register(("a", "working", None)), history, pd.Timestamp("2020-05-01T00:00Z"))
    assert status.tolist() == ["working"]


loads = st.lists(st.lists(st.sampled_from(STATUSES), min_size=3, max_size=3), min_size=1, max_size=5)


@settings(max_examples=60, deadline=None)
@given(loads=loads, dated=st.lists(st.booleans(), min_size=15, max_size=15), probes=st.lists(
    st.floats(min_value=0, max_value=6), min_size=1, max_size=6))
def test_loading_a_later_register_never_changes_an_earlier_moment(loads, dated, probes):
    """Register k is loaded at T0 + k years; a lamp whose status it changes may carry the date of
    the change, some time since the load before. Every moment up to a load reads the same before
    and after it, and each load's statuses read back at the moment it was loaded."""
    stored: dict[str, tuple[str, pd.Timestamp | None]] = {}
    history = pd.DataFrame(columns=HISTORY_COLUMNS).astype({"at": "datetime64[ns, UTC]"})
    ids = ["a", "b", "c"]
    for k, statuses in enumerate(loads, start=1):
        loaded = T0 + pd.DateOffset(years=k)
        updated = [loaded - pd.Timedelta(days=100 + 30 * n) if dated[(3 * k + n) % len(dated)] else None
                   for n in range(3)]
        lamps = register(*zip(ids, statuses, updated))
        added = status_changes(lamps, stored, loaded)
        moments = [T0 + pd.Timedelta(days=365 * p) for p in probes if T0 + pd.Timedelta(days=365 * p) < loaded
                   - pd.Timedelta(days=365)]
        before = [status_at(lamps, history, m).tolist() for m in moments]
        history = pd.concat([history, added], ignore_index=True)
        if k > 1:  # (before the first load there are no rows: a lamp without rows keeps its status)
            assert [status_at(lamps, history, m).tolist() for m in moments] == before
        assert status_at(lamps, history, loaded).tolist() == list(statuses)
        stored = {i: (s, u) for i, s, u in zip(ids, statuses, updated)}

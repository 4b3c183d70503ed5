"""Every state change is atomic: concurrent staff requests against a real database (real
threads, a real server) never land an invalid transition, never lose an update, and never record
a removal round twice; every change is one row of the report's history."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pandas as pd
import pytest

from geo.errors import StateConflict
from geo.layers import REPORTS
from geo.workflow import WORKFLOW
from service.app import create_app
from service.auth import create_token
from geo.zones import read_zones
from service.reports import change_status, submit_report
from service.settings import ReportSettings, ServiceSettings, Settings, StoreSettings
from service.store import Actor, SQLiteStore
from tests.conftest import ZONES_FILE, local_today

TORG = {"lat": "56.6744", "lon": "12.8578"}
MOVES = ["acknowledged"] * 10 + ["scheduled"] * 10 + ["closed"] * 10


def together(jobs: list) -> list:
    """Run the callables at once, each in its own thread; their results (or exceptions) in order."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i: int, job) -> None:
        barrier.wait()
        try:
            results[i] = job()
        except Exception as exc:  # collected, compared below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def check_history(store: SQLiteStore, report_id: str, landed: int) -> pd.DataFrame:
    """The report's history is one creation row and one row per change that landed, each from the
    state the one before left, only forward; and the stored record agrees with its last row."""
    history = store.report_history([report_id])
    assert len(history) == 1 + landed
    assert pd.isna(history["from_status"].iloc[0]) and history["to_status"].iloc[0] == "open"
    assert (history["from_status"].iloc[1:].to_numpy() == history["to_status"].iloc[:-1].to_numpy()).all()
    order = [WORKFLOW.index(s) for s in history["to_status"]]
    assert order == sorted(order) and len(set(order)) == len(order)
    record = store.read_features(REPORTS).set_index("id").loc[report_id]
    assert record["status"] == history["to_status"].iloc[-1]
    assert (record["status"] == "closed") == pd.notna(record["closed_at"])
    return history


@pytest.fixture
def served(tmp_path, serve):
    settings = Settings(store=StoreSettings(db=tmp_path / "t.sqlite"), reports=ReportSettings(rate_limit=1000),
                        service=ServiceSettings(max_in_flight=100))  # atomicity is the point here, not load shedding
    app = create_app(settings)
    base = serve(app)
    token = create_token(app.state.context.store, "municipality", "handläggare")
    return base, {"Authorization": f"Bearer {token}"}, app.state.context.store


def test_thirty_concurrent_moves_of_one_report_in_the_store(tmp_path):
    store = SQLiteStore(tmp_path / "t.sqlite")

    report = submit_report(store, read_zones(ZONES_FILE), ReportSettings(), category="graffiti", **TORG).report
    report_id = report.values["id"]
    results = together([lambda move=move: change_status(store, report_id, move, Actor("municipality", "t"),
                                                       "sanerat" if move == "closed" else None) for move in MOVES])
    landed = [r for r in results if isinstance(r, pd.DataFrame)]
    refused = [r for r in results if not isinstance(r, pd.DataFrame)]
    assert 1 <= len(landed) <= 3 and all(isinstance(r, StateConflict) for r in refused)
    check_history(store, report_id, len(landed))


def test_thirty_concurrent_patches_answer_409_with_the_current_state(served):
    base, staff, store = served
    report_id = httpx.post(base + "/api/reports", data={"category": "graffiti", **TORG}).json()["id"]
    url = f"{base}/api/reports/{report_id}"
    with httpx.Client(timeout=60) as http:
        answers = together([lambda move=move: http.patch(url, headers=staff, json={
            "status": move, **({"close_reason": "sanerat"} if move == "closed" else {})}) for move in MOVES])
    codes = Counter(a.status_code for a in answers)
    assert set(codes) <= {200, 409} and 1 <= codes[200] <= 3, codes
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["code"] == "conflict" and answer.json()["current"]["status"] in WORKFLOW
    history = check_history(store, report_id, codes[200])
    assert set(history["actor_label"].iloc[1:]) == {f"handläggare ({store.tokens()[0].token_id})"}
    assert (history["actor_role"].iloc[1:] == "municipality").all()
    closed = [a for a in answers if a.status_code == 200 and a.json()["status"] == "closed"]
    if closed:
        assert store.read_features(REPORTS).set_index("id").loc[report_id, "status"] == "closed"


def test_eight_identical_removal_rounds_record_one_round(served):
    base, staff, store = served
    ids = [httpx.post(base + "/api/reports", data={"category": "graffiti", **TORG}).json()["id"] for _ in range(3)]
    body = {"date": local_today().isoformat(), "category": "graffiti", "zones": ["stora-torg"]}
    with httpx.Client(timeout=60) as http:
        answers = together([lambda: http.post(base + "/api/removal-rounds", json=body, headers=staff)] * 8)
    codes = Counter(a.status_code for a in answers)
    assert codes == {201: 1, 409: 7}, codes
    created = next(a for a in answers if a.status_code == 201).json()
    assert sorted(created["closed_reports"]) == sorted(ids)
    assert {a.json()["current"]["id"] for a in answers if a.status_code == 409} == {created["id"]}
    history = store.report_history(ids)
    closings = history[history["to_status"] == "closed"]
    assert sorted(closings["report_id"]) == sorted(ids), "each report closed once"
    assert (closings["note"] == f"saneringsrunda {created['id']}").all()
    assert len(store.removal_rounds()) == 1
    figures = httpx.get(f"{base}/api/removal-rounds?year={local_today().year}").json()["categories"]["graffiti"]
    assert figures["rounds"] == 1
    # the same zones in another order are the same round
    again = httpx.post(base + "/api/removal-rounds", headers=staff,
                       json={**body, "zones": ["stora-torg", "stora-torg"]})
    assert again.status_code == 409


def test_a_round_and_a_patch_at_once_never_lose_the_patch(served):
    base, staff, store = served
    for other in ("brogatan-lilla-torg", "nissan", "slottet", "ostra-stranden", "osterskans"):
        report_id = httpx.post(base + "/api/reports", data={"category": "weeds", **TORG}).json()["id"]
        body = {"date": local_today().isoformat(), "category": "weeds", "zones": ["stora-torg", other]}
        with httpx.Client(timeout=60) as http:
            patch, round_ = together([
                lambda: http.patch(f"{base}/api/reports/{report_id}", headers=staff, json={"status": "acknowledged"}),
                lambda: http.post(base + "/api/removal-rounds", headers=staff, json=body)])
        assert round_.status_code == 201 and patch.status_code in (200, 409)
        history = check_history(store, report_id, 1 + (patch.status_code == 200))
        assert history["to_status"].iloc[-1] == "closed"

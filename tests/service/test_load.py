"""Under load: group commit never loses or mixes writes, the service sheds what it cannot take
(503 overloaded with Retry-After, health checks still answered), and several processes serve."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.store.groupcommit import GroupCommit


class FakeTransaction:
    """Counts transactions; fails the commit when asked to."""

    def __init__(self) -> None:
        self.count, self.fail_next, self.nested = 0, False, 0

    def __call__(self):
        outer = self

        class Transaction:
            def __enter__(self):
                outer.count += 1
                return FakeConnection(outer)

            def __exit__(self, kind, exc, tb):
                if exc is None and outer.fail_next:
                    outer.fail_next = False
                    raise OSError("disk full")
                return False

        return Transaction()


class FakeConnection:
    """What a write sees of its connection here: savepoints."""

    def __init__(self, owner: FakeTransaction) -> None:
        self.owner = owner

    def begin_nested(self):
        owner = self.owner

        class Savepoint:
            def __enter__(self):
                owner.nested += 1

            def __exit__(self, *exc):
                return False

        return Savepoint()


def test_group_commit_answers_each_writer_with_its_own_result_or_error():
    transactions = FakeTransaction()
    group = GroupCommit(transactions)
    gate = threading.Event()

    def slow(con):
        gate.wait(2)
        return "first"

    results: dict[int, object] = {}

    def writer(i: int) -> None:
        def write(con):
            if i == 5:
                raise ValueError("bad report")
            return i
        try:
            results[i] = group.run(write)
        except ValueError as exc:
            results[i] = exc

    leader = threading.Thread(target=lambda: results.__setitem__("lead", group.run(slow)))
    leader.start()
    time.sleep(0.1)  # the first commit runs: the others queue behind it
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    gate.set()
    for thread in [leader, *threads]:
        thread.join(5)
        assert not thread.is_alive()
    assert results["lead"] == "first" and isinstance(results[5], ValueError)
    assert [results[i] for i in range(10) if i != 5] == [i for i in range(10) if i != 5]
    assert transactions.count == 2, "the ten that waited share one transaction"
    transactions.fail_next = True
    with pytest.raises(OSError):
        group.run(lambda con: "lost")  # a failed commit is its writers' error, never a silent success
    assert group.run(lambda con: "again") == "again"


def slow_app(make_settings, max_wait_ms: float):
    """The app taking one request at a time, with a /slow route that waits for ``release``."""
    settings = make_settings()
    settings.service.max_in_flight = settings.service.max_reads_in_flight = 1
    settings.service.max_wait_ms = max_wait_ms
    app = create_app(settings)
    entered, release = threading.Event(), threading.Event()

    @app.get("/slow")
    def slow() -> dict:
        entered.set()
        release.wait(5)
        return {}

    return app, entered, release


def occupy(client: TestClient, entered: threading.Event) -> threading.Thread:
    """A request to /slow in a thread of its own, once the app works on it (its one place taken)."""
    first = threading.Thread(target=lambda: client.get("/slow"))
    first.start()
    assert entered.wait(5)
    return first


def test_a_request_waits_briefly_for_a_free_place(make_settings):
    app, entered, release = slow_app(make_settings, max_wait_ms=5000)
    with TestClient(app) as client:
        first = occupy(client, entered)
        threading.Timer(0.3, release.set).start()
        started = time.monotonic()
        assert client.get("/api/zones").status_code == 200, "it got the place the first one left"
        assert time.monotonic() - started >= 0.25
        first.join(5)
        assert client.get("/static/leaflet/leaflet.js").status_code == 200


def test_the_service_sheds_what_it_cannot_take_and_still_answers_health_checks(make_settings):
    app, entered, release = slow_app(make_settings, max_wait_ms=50)
    with TestClient(app) as client:
        first = occupy(client, entered)
        busy = client.get("/api/zones")
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert busy.json()["code"] == "overloaded"
        assert client.get("/health").status_code == 200, "a probe gets through"
        assert client.get("/static/leaflet/leaflet.js").status_code == 200, "and a page's scripts"
        release.set()
        first.join(5)
        assert client.get("/api/zones").status_code == 200


def test_reads_and_writes_have_places_of_their_own(make_settings):
    app, entered, release = slow_app(make_settings, max_wait_ms=50)
    with TestClient(app) as client:
        first = occupy(client, entered)  # the one place for reads
        assert client.get("/api/zones").status_code == 503
        refused = client.post("/api/reports", data={"category": "nope", "lat": "56.674", "lon": "12.857"})
        assert refused.status_code == 422, "a write is let in (and refused on its merits)"
        release.set()
        first.join(5)


def test_several_processes_serve_one_database(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = Path(sys.executable).with_name("stadskarna")
    env = {**os.environ, "STADSKARNA_MAP_TILES": "none", "STADSKARNA_REPORTS_RATE_LIMIT": "6"}
    env.pop("STADSKARNA_DATABASE_URL", None)
    env.pop("STADSKARNA_REPORTS_RATE_LIMIT_FILE", None)
    server = subprocess.Popen([str(command), "serve", "--port", str(port), "--workers", "2", "--db", str(tmp_path / "w.gpkg")],
                              env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, answered = time.monotonic() + 60, None
        while time.monotonic() < deadline and answered is None:
            try:
                answered = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.3)
        if answered is None:
            server.terminate()
            pytest.fail("the service did not answer within 60 s: " + server.communicate(timeout=30)[0].decode(
                errors="replace")[-3000:])
        assert answered.json()["store"] == "geopackage"
        sent = [httpx.post(f"http://127.0.0.1:{port}/api/reports",
                           data={"category": "graffiti", "lat": "56.6744", "lon": str(12.8578 + i * 1e-4)}, timeout=10)
                for i in range(8)]  # each on a new connection, taken by either process
        # one limit of 6 a minute for the service, not 6 per process
        assert [r.status_code for r in sent] == [201] * 6 + [429] * 2
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()["records"]["reports"] == 6
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as keep_alive:
            times = []
            for _ in range(13):
                started = time.perf_counter()
                assert keep_alive.get("/api/zones").status_code == 200
                times.append(time.perf_counter() - started)
        # an answer of several packets waits 40 ms for the client's delayed ACK where Nagle is on
        assert sorted(times[3:])[5] < 0.03, f"median {sorted(times[3:])[5] * 1000:.0f} ms: Nagle's algorithm is on"
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert "2 processes" in output

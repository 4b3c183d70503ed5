"""Benchmark: the HTTP service under a steady open-loop load (reports in, reports and zones out).

Fills a temporary database with ``--reports`` synthetic open reports (source "synthetic", random
points inside the zones, written straight through the store, not over HTTP), starts the real
server (``stadskarna serve`` next to this Python, on a free loopback port, with
``STADSKARNA_DB`` at the temporary file, ``STADSKARNA_REPORTS_RATE_LIMIT`` set very high since
all load comes from one address, ``STADSKARNA_MAP_TILES=none``), waits for ``/health`` and
offers it requests on a fixed schedule, whatever the answers (open loop):

* ``post``: ``POST /api/reports`` (multipart form fields category, lat, lon, description; points
  inside the zones; graffiti, weeds, litter, other) at ``--rate`` (default 200 req/s), while
  ``GET /health`` is sampled at ``--health-rate`` (its own connections and bound). Afterwards,
  once the server is idle (or stopped, see below), the reports in the database are counted and
  every id answered with 201 is looked up.
* ``bbox``: ``GET /api/layers/reports?bbox=…&limit=100``, random boxes of ``--bbox-m`` metres
  inside the centre, at each of ``--read-rates`` (default 500 and 1,000 req/s).
* ``zones``: ``GET /api/zones`` at the same rates.

At most ``--max-in-flight`` requests are outstanding: a request due when the bound is reached is
not sent and counted as dropped (nothing queues in the generator). Each request has a total
``--timeout``. Latency is measured from the moment a request was due on the schedule (so the
generator's own lateness counts against the service, never hides it) to its answer; how late
requests were sent is reported as ``send_lag_ms``. A run is "sustained" when every scheduled
request was answered with 2xx (no drops, timeouts or errors) and the answers kept up with the
schedule (2xx per second at least 95 % of the offered rate). When the server is still busy a
while after a run (a backlog of requests the client gave up on), it is restarted before the next.
Before each scenario, ``--probe`` requests are sent one at a time: the latency without queueing.

    python benchmarks/service.py                                 # all scenarios, 100,000 reports
    python benchmarks/service.py --reports 1000 --scenario post  # compare the POST p50s
    python benchmarks/service.py --reports 200 --rate 20 --seconds 2 --scenario all  # smoke
    python benchmarks/service.py --keep-db /tmp/100k.sqlite      # pre-fill once, reuse on later runs

The pre-fill goes through ``SQLiteStore.write_features`` like an import (a history row per report
included); it took about 2 minutes for 100,000 reports on 2 cores, hence ``--keep-db``.

Goals (issue 13): 200 report submissions a second with 100,000 reports stored; bbox reads and
the zones at 500 and 1,000 req/s; ``/health`` stays quick under the POST load; every 201 is
stored. The generator runs on the same machine as the server and competes with it for the CPU;
its own CPU use is reported (``client_cpu_percent``) next to the server's.

``--workers N`` starts the server with ``stadskarna serve --workers N`` (N processes sharing the
database). ``--database-url`` is for the PostGIS backend: it is passed to the
server as ``STADSKARNA_DATABASE_URL``, and the pre-fill and the integrity check use the same
database (opened like the service opens it); give an empty scratch database. Without it the
embedded file is used.

Printed: a table on stderr, and last on stdout ONE line of JSON with every figure, the load's
parameters and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Callable, NamedTuple
from urllib.parse import urlsplit

import httpx
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.crs import SWEREF99TM, WGS84, to_metric  # noqa: E402
from geo.layers import REPORTS, validate  # noqa: E402
from geo.zones import read_zones  # noqa: E402
from service.store import SQLiteStore  # noqa: E402

ZONES = Path(__file__).resolve().parent.parent / "data" / "stadskarna.geojson"
CATEGORIES = ("graffiti", "weeds", "litter", "other")
DEFAULT_POST_RATE = 200.0
DEFAULT_READ_RATES = (500.0, 1000.0)
EDGE_M = 2.0
"""Sampled points keep this far inside the zones' outer edge (the form's coordinates are rounded)."""


# -- points inside the centre -------------------------------------------------------------------

class CentreSampler:
    """Uniform random points inside the zones (drawn in SWEREF 99 TM, given in WGS84 degrees)."""

    def __init__(self, zones, rng: np.random.Generator) -> None:
        centre = shapely.union_all(to_metric(zones).geometry.to_numpy()).buffer(-EDGE_M)
        shapely.prepare(centre)
        self.centre, self.rng = centre, rng
        self.to_wgs84 = Transformer.from_crs(SWEREF99TM, WGS84, always_xy=True)

    def points(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` points: (lon, lat) arrays in degrees."""
        minx, miny, maxx, maxy = self.centre.bounds
        xs, ys, have = [], [], 0
        while have < n:
            x = self.rng.uniform(minx, maxx, 2 * (n - have) + 16)
            y = self.rng.uniform(miny, maxy, x.size)
            inside = shapely.contains_xy(self.centre, x, y)
            xs.append(x[inside])
            ys.append(y[inside])
            have += int(inside.sum())
        lon, lat = self.to_wgs84.transform(np.concatenate(xs)[:n], np.concatenate(ys)[:n])
        return np.asarray(lon), np.asarray(lat)


def prefill(store: SQLiteStore, sampler: CentreSampler, n: int, rng: np.random.Generator,
            chunk: int = 10_000) -> float:
    """Store ``n`` synthetic open reports through the store (not HTTP), ``chunk`` to a transaction
    with progress on stderr; returns the seconds taken."""
    start = time.perf_counter()
    for first in range(0, n, chunk):
        size = min(chunk, n - first)
        lon, lat = sampler.points(size)
        created = pd.Timestamp.now(tz="UTC") - pd.to_timedelta(rng.uniform(0, 365 * 86400, size), unit="s")
        raw = pd.DataFrame({
            "id": [f"syn-{i:07d}" for i in range(first, first + size)], "category": rng.choice(CATEGORIES, size),
            "description": "Synthetic benchmark report", "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": "open", "source": "synthetic", "lon": lon, "lat": lat})
        store.write_features(REPORTS, validate(REPORTS, raw, "bench"))
        if n > chunk:
            print(f"  pre-fill: {first + size:,} of {n:,} reports, {time.perf_counter() - start:.0f} s",
                  file=sys.stderr)
    return time.perf_counter() - start


# -- requests ------------------------------------------------------------------------------------

class Call(NamedTuple):
    method: str
    path: str
    content: bytes | None = None
    headers: dict[str, str] | None = None


def multipart(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body of plain fields (as a browser's FormData sends them)."""
    boundary = f"bench{uuid.uuid4().hex}"
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                   for name, value in fields.items()) + f"--{boundary}--\r\n"
    return body.encode("utf-8"), {"content-type": f"multipart/form-data; boundary={boundary}"}


def post_calls(sampler: CentreSampler, n: int, rng: np.random.Generator) -> list[Call]:
    lon, lat = sampler.points(n)
    categories = rng.choice(CATEGORIES, n)
    calls = []
    for i in range(n):
        body, headers = multipart({"category": str(categories[i]), "lat": f"{lat[i]:.7f}", "lon": f"{lon[i]:.7f}",
                                   "description": f"Belastningstest {i}: klotter på bänken"})
        calls.append(Call("POST", "/api/reports", body, headers))
    return calls


def bbox_calls(sampler: CentreSampler, n: int, size_m: float) -> list[Call]:
    lon, lat = sampler.points(n)
    half_lat = size_m / 2 / 111_320
    half_lon = half_lat / np.cos(np.radians(lat))
    return [Call("GET", f"/api/layers/reports?bbox={lon[i] - half_lon[i]:.6f},{lat[i] - half_lat:.6f},"
                        f"{lon[i] + half_lon[i]:.6f},{lat[i] + half_lat:.6f}&limit=100") for i in range(n)]


# -- the open-loop generator ---------------------------------------------------------------------

class Run:
    """What happened to one stream of scheduled requests (a plain class: the smoke test loads this
    file without registering it as a module, which dataclasses need)."""

    def __init__(self, name: str, path: str, offered_rps: float, seconds: float) -> None:
        self.name, self.path, self.offered_rps, self.seconds = name, path, offered_rps, seconds
        self.scheduled = self.dropped = 0
        self.latencies: list[float] = []
        self.lags: list[float] = []
        self.statuses: Counter = Counter()
        self.errors: Counter = Counter()
        self.retry_after: dict[int, list[str]] = {}
        self.created_ids: list[str] = []
        self.examples: dict[int, str] = {}
        self.window_s = self.client_cpu_s = 0.0
        self.server_cpu_s: float | None = None

    def figures(self) -> dict:
        answered = sum(self.statuses.values())
        ok = sum(n for status, n in self.statuses.items() if 200 <= status < 300)
        sent = self.scheduled - self.dropped
        window = max(self.window_s, 1e-9)
        return {
            "scenario": self.name, "path": self.path, "offered_rps": self.offered_rps, "seconds": self.seconds,
            "scheduled": self.scheduled, "sent": sent, "dropped": self.dropped, "answered": answered, "ok": ok,
            "timeouts": self.errors.get("timeout", 0), "errors": dict(self.errors),
            "status": {str(k): v for k, v in sorted(self.statuses.items())},
            "5xx": sum(n for status, n in self.statuses.items() if status >= 500),
            "throughput_rps": round(ok / window, 1), "answered_rps": round(answered / window, 1),
            "sent_rps": round(sent / self.seconds, 1) if self.seconds else 0.0, "window_s": round(self.window_s, 2),
            "latency_ms": percentiles(self.latencies), "send_lag_ms": percentiles(self.lags, (50, 99)),
            "retry_after": {str(status): {"count": len(values), "values": sorted(Counter(values).items())}
                            for status, values in sorted(self.retry_after.items())},
            "error_examples": {str(status): text for status, text in sorted(self.examples.items())},
            "sustained": self.scheduled > 0 and ok == self.scheduled and ok / window >= 0.95 * self.offered_rps,
            "client_cpu_percent": round(100 * self.client_cpu_s / window, 1),
            "server_cpu_percent": None if self.server_cpu_s is None else round(100 * self.server_cpu_s / window, 1),
        }


def percentiles(values: list[float], which: tuple[int, ...] = (50, 90, 99)) -> dict[str, float | None]:
    if not values:
        return {**{f"p{p}": None for p in which}, "max": None}
    ms = np.asarray(values) * 1000
    return {**{f"p{p}": round(float(np.percentile(ms, p)), 1) for p in which}, "max": round(float(ms.max()), 1)}


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


class RawClient:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams, for loopback load generation:
    at most one request per connection at a time, connections reused most recently used first.
    (httpx's AsyncClient spends about 4 ms of CPU per request here, so it could not offer more
    than a few hundred requests a second; this needs a fraction of that.) A request cancelled by
    its timeout closes its connection."""

    def __init__(self, base_url: str) -> None:
        address = urlsplit(base_url)
        self.host, self.port = address.hostname, address.port
        self.host_header = f"Host: {address.netloc}\r\n"
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.open: set[asyncio.StreamWriter] = set()

    async def request(self, call: Call) -> Answer:
        head = [f"{call.method} {call.path} HTTP/1.1\r\n", self.host_header, "Accept: */*\r\n"]
        head += [f"{name}: {value}\r\n" for name, value in (call.headers or {}).items()]
        if call.content is not None or call.method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(call.content or b'')}\r\n")
        data = "".join(head).encode("latin-1") + b"\r\n" + (call.content or b"")
        while self.idle:
            reader, writer = self.idle.pop()
            if not reader.at_eof():
                try:
                    return await self._exchange(reader, writer, data)
                except _StaleConnection:
                    continue  # the server closed it while idle, before reading the request: send it again
            self._close(writer)
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.open.add(writer)
        try:
            return await self._exchange(reader, writer, data, fresh=True)
        except _StaleConnection:
            raise ConnectionResetError("the server closed the connection without an answer") from None

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes,
                        fresh: bool = False) -> Answer:
        try:
            writer.write(data)
            status_line = await reader.readline()
            if not status_line:
                raise _StaleConnection
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(status_line.split(None, 2)[1])
            headers = {}
            for line in head.decode("latin-1").split("\r\n"):
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            if status in (204, 304) or 100 <= status < 200:
                body = b""
            elif "content-length" in headers:
                body = await reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                parts = []
                while size := int((await reader.readline()).split(b";")[0], 16):
                    parts.append(await reader.readexactly(size))
                    await reader.readexactly(2)
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass
                body = b"".join(parts)
            else:
                body = await reader.read()
                headers["connection"] = "close"
        except BaseException:
            self._close(writer)
            raise
        if headers.get("connection", "").lower() == "close":
            self._close(writer)
        else:
            self.idle.append((reader, writer))
        return Answer(status, headers, body)

    def _close(self, writer: asyncio.StreamWriter) -> None:
        self.open.discard(writer)
        writer.close()

    async def aclose(self) -> None:
        for writer in list(self.open):
            self._close(writer)
        self.idle.clear()


class _StaleConnection(Exception):
    """A reused connection ended before any answer."""


class HttpxClient:
    """The same interface over httpx.AsyncClient (``--client httpx``), for comparison."""

    def __init__(self, base_url: str, connections: int) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        # the total timeout is asyncio's; httpx's own per-phase timeouts are off so they cannot fire first
        self.client = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=None)

    async def request(self, call: Call) -> Answer:
        response = await self.client.request(call.method, call.path, content=call.content, headers=call.headers)
        return Answer(response.status_code, dict(response.headers), await response.aread())

    async def aclose(self) -> None:
        await self.client.aclose()


CLIENT_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, httpx.HTTPError)


async def open_loop(client: RawClient | HttpxClient, run: Run, calls: Callable[[int], Call], max_in_flight: int,
                    timeout_s: float, start_at: float) -> None:
    """Start request ``i`` at ``start_at + i / rate`` (loop time) unless ``max_in_flight`` are
    outstanding (then it is dropped); wait for every sent request to end (answer, error or timeout)."""
    loop = asyncio.get_running_loop()
    total = int(round(run.offered_rps * run.seconds))
    run.scheduled = total
    in_flight = 0
    tasks: set[asyncio.Task] = set()
    last_end = start_at

    async def one(call: Call, due: float) -> None:
        nonlocal in_flight, last_end
        run.lags.append(loop.time() - due)
        try:
            async with asyncio.timeout(timeout_s):
                answer = await client.request(call)
        except TimeoutError:
            run.errors["timeout"] += 1
        except CLIENT_ERRORS as exc:
            run.errors[type(exc).__name__] += 1
        else:
            run.latencies.append(loop.time() - due)
            run.statuses[answer.status] += 1
            if answer.status in (429, 503):
                run.retry_after.setdefault(answer.status, []).append(answer.headers.get("retry-after", "none"))
            if answer.status >= 400 and answer.status not in run.examples:
                run.examples[answer.status] = answer.body[:300].decode("utf-8", "replace")
            if answer.status == 201:
                try:
                    run.created_ids.append(json.loads(answer.body)["id"])
                except (ValueError, KeyError, TypeError):
                    run.errors["201 without id"] += 1
        finally:
            in_flight -= 1
            last_end = max(last_end, loop.time())

    for i in range(total):
        due = start_at + i / run.offered_rps
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight >= max_in_flight:
            run.dropped += 1
            continue
        in_flight += 1
        task = asyncio.create_task(one(calls(i), due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    run.window_s = max(run.seconds, last_end - start_at)


async def measure(base_url: str, runs: list[tuple[Run, Callable[[int], Call], int]], timeout_s: float,
                  server: Server, client: str = "raw") -> None:
    """Run streams at the same time (each with its own connections and in-flight bound)."""
    clients = [RawClient(base_url) if client == "raw" else HttpxClient(base_url, bound) for _, _, bound in runs]
    try:
        loop = asyncio.get_running_loop()
        start_at = loop.time() + 0.1
        cpu, server_cpu = time.process_time(), server.cpu_seconds()
        await asyncio.gather(*(open_loop(client, run, calls, bound, timeout_s, start_at)
                               for client, (run, calls, bound) in zip(clients, runs)))
        cpu, server_cpu_after = time.process_time() - cpu, server.cpu_seconds()
        for run, _, _ in runs:
            run.client_cpu_s = cpu * run.window_s / max(r.window_s for r, _, _ in runs)
            if server_cpu is not None and server_cpu_after is not None:
                run.server_cpu_s = (server_cpu_after - server_cpu) * run.window_s / max(r.window_s for r, _, _ in runs)
    finally:
        for client in clients:
            await client.aclose()


# -- the server ----------------------------------------------------------------------------------

class Server:
    """``stadskarna serve`` in a subprocess on a free loopback port."""

    def __init__(self, db: Path, folder: Path, database_url: str | None, workers: int = 1) -> None:
        self.db, self.folder, self.database_url, self.workers = db, folder, database_url, workers
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.starts = 0
        self.start_seconds: list[float] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        env = {**os.environ, "STADSKARNA_DB": str(self.db), "STADSKARNA_REPORTS_RATE_LIMIT": "1000000000",
               "STADSKARNA_MAP_TILES": "none"}
        env.pop("STADSKARNA_DATABASE_URL", None)  # the store is the one this benchmark filled
        if self.database_url:
            env["STADSKARNA_DATABASE_URL"] = self.database_url
        command = Path(sys.executable).with_name("stadskarna")
        self.log = self.folder / f"server-{self.starts}.log"
        started = time.perf_counter()
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([str(command), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                             "--workers", str(self.workers)],
                                            env=env, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        self.starts += 1
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    self.start_seconds.append(time.perf_counter() - started)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not answer /health within 120 s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGINT (uvicorn's graceful stop), again (its forced stop), then kill."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        for how in (lambda: process.send_signal(signal.SIGINT), lambda: process.send_signal(signal.SIGINT),
                    process.kill):
            how()
            try:
                process.wait(timeout=5)
                return
            except subprocess.TimeoutExpired:
                continue

    def cpu_seconds(self) -> float | None:
        """The CPU time so far (user + system) of the server process and its worker processes
        (``--workers``), from /proc; None elsewhere."""
        if self.process is None:
            return None
        try:
            pids, total = [self.process.pid], 0
            while pids:
                pid = pids.pop()
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
                children = Path(f"/proc/{pid}/task/{pid}/children")
                pids += [int(child) for child in children.read_text().split()] if children.exists() else []
            return total / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def wait_idle(self, store: SQLiteStore, max_s: float) -> tuple[bool, float]:
        """Wait until the server has stopped working through requests (its CPU below 5 % and the
        report count unchanged over a second); (idle, seconds waited)."""
        start = time.perf_counter()
        count, cpu = store.count(REPORTS), self.cpu_seconds()
        while time.perf_counter() - start < max_s:
            time.sleep(1.0)
            now_count, now_cpu = store.count(REPORTS), self.cpu_seconds()
            quiet = now_cpu is None or cpu is None or now_cpu - cpu < 0.05
            if quiet and now_count == count:
                return True, time.perf_counter() - start
            count, cpu = now_count, now_cpu
        return False, time.perf_counter() - start


# -- the benchmark -------------------------------------------------------------------------------

def unloaded(base_url: str, calls: list[Call], timeout_s: float, created: set[str]) -> dict:
    """One request at a time (the service time without queueing): median and max in ms, statuses.
    The ids of reports it created are added to ``created``."""
    seconds, statuses = [], Counter()
    with httpx.Client(base_url=base_url, timeout=timeout_s) as client:
        for call in calls:
            start = time.perf_counter()
            try:
                response = client.request(call.method, call.path, content=call.content, headers=call.headers)
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1
                continue
            seconds.append(time.perf_counter() - start)
            statuses[response.status_code] += 1
            if response.status_code == 201:
                created.add(response.json()["id"])
    ms = np.asarray(seconds) * 1000
    return {"n": len(calls), "p50": round(float(np.median(ms)), 1) if len(ms) else None,
            "max": round(float(ms.max()), 1) if len(ms) else None, "status": {str(k): v for k, v in statuses.items()}}


def integrity(store: SQLiteStore, before: int, created_ids: list[str], earlier_ids: set[str], idle: bool,
              waited: float) -> dict:
    """The reports stored after the POST run against the ids answered with 201 (counted once the
    server is idle or stopped, so nothing changes any more). ``earlier_ids``: reports sent before
    the run (the one-at-a-time probe; earlier runs' in a reused database), left out."""
    stored = store.read_features(REPORTS)
    new_ids = set(stored.loc[stored["source"] != "synthetic", "id"]) - earlier_ids
    answered = set(created_ids)
    return {"stored_before": before, "stored_after": len(stored), "stored_new": len(new_ids),
            "answered_201": len(created_ids), "answered_201_missing": len(answered - new_ids),
            "stored_without_answer": len(new_ids - answered), "all_201_stored": answered <= new_ids,
            "idle": idle, "idle_wait_s": round(waited, 1)}


def code_version() -> dict:
    """The commit measured, how many files differ from it, and a fingerprint of the service's
    changed and new files (``geo/``, ``service/``): the tree may change between two runs."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> list[str]:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10).stdout.splitlines()

    try:
        commit = next(iter(git("rev-parse", "--short", "HEAD")), None)
        modified = git("status", "--porcelain", "--untracked-files=no")
        changed = sorted(git("ls-files", "--modified", "--others", "--exclude-standard", "--", "geo", "service"))
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "modified_files": None, "changed_code_sha256": None}
    digest = hashlib.sha256()
    for name in changed:
        path = root / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
    return {"commit": commit, "modified_files": len(modified), "changed_code_files": len(changed),
            "changed_code_sha256": digest.hexdigest()[:12] if changed else None}


def open_database(url: str) -> SQLiteStore:
    """The store at a database URL, opened as the service opens it (``service.store.open_store``)."""
    import service.store as stores
    from service.settings import StoreSettings

    if not hasattr(stores, "open_store") or "database_url" not in StoreSettings.model_fields:
        raise SystemExit("--database-url: this version of the service has no database URL setting")
    try:
        return stores.open_store(StoreSettings(database_url=url))
    except stores.StoreError as exc:
        raise SystemExit(f"--database-url: {exc}") from None


def prepare_database(store_path: Path, keep: Path | None, url: str | None, sampler: CentreSampler, n: int,
                     rng: np.random.Generator) -> tuple[SQLiteStore, float, bool, set[str]]:
    """The benchmark's database with ``n`` synthetic reports: the embedded file ``store_path``, a
    copy of ``keep`` when that holds exactly them, else pre-filled (and, with ``keep``, backed up
    there for the next run); or the database at ``url``, pre-filled when it holds no reports,
    reused when it holds ``n`` synthetic ones (and reports earlier runs sent), refused otherwise
    (it is never emptied). Returns (store, pre-fill seconds, reused, ids of reports already
    stored that are not synthetic)."""
    if url is not None:
        store = open_database(url)
        total = store.count(REPORTS)
        others = store.records_not_from("synthetic").get("reports", 0)
        if total == 0:
            return store, prefill(store, sampler, n, rng), False, set()
        if total - others == n:
            stored = store.read_features(REPORTS)
            return store, 0.0, True, set(stored.loc[stored["source"] != "synthetic", "id"])
        raise SystemExit(f"--database-url: the database holds {total:,} reports, {total - others:,} of them "
                         f"synthetic; give an empty scratch database (or one a run with --reports {total - others} "
                         "filled)")
    if keep is not None and keep.exists():
        shutil.copyfile(keep, store_path)
        store = SQLiteStore(store_path)
        if store.count(REPORTS) == n and store.records_not_from("synthetic").get("reports", 0) == 0:
            return store, 0.0, True, set()
        raise SystemExit(f"{keep} does not hold exactly {n:,} synthetic reports; remove it or give another path")
    store = SQLiteStore(store_path)
    seconds = prefill(store, sampler, n, rng)
    if keep is not None:
        store.backup_to(keep)
    return store, seconds, False, set()


def machine() -> dict:
    model = None
    try:
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), None)
    except OSError:
        pass
    return {"platform": platform.platform(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "cpu_model": model, "python": platform.python_version()}


def table(result: dict) -> str:
    rows = [("scenario", "offered/s", "sent", "dropped", "2xx", "2xx/s", "p50 ms", "p90 ms", "p99 ms", "max ms",
             "timeouts", "429", "503", "5xx", "client/server CPU %")]
    for run in result["runs"] + ([result["health"]] if result.get("health") else []):
        lat = run["latency_ms"]
        rows.append((run["scenario"], f"{run['offered_rps']:g}", str(run["sent"]), str(run["dropped"]), str(run["ok"]),
                     f"{run['throughput_rps']:g}",
                     *(("-" if lat[k] is None else f"{lat[k]:g}") for k in ("p50", "p90", "p99", "max")),
                     str(run["timeouts"]), str(run["status"].get("429", 0)), str(run["status"].get("503", 0)),
                     str(run["5xx"]), f"{run['client_cpu_percent']:g} / {run['server_cpu_percent']}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows]
    if result.get("unloaded_ms"):
        lines.append("one at a time (p50 ms): " + ", ".join(f"{name} {probe['p50']}"
                                                             for name, probe in result["unloaded_ms"].items()))
    integrity = result.get("integrity")
    if integrity:
        lines.append(f"integrity: {integrity['stored_before']:,} reports before, {integrity['stored_after']:,} after; "
                     f"{integrity['answered_201']:,} answered 201, "
                     f"{integrity['answered_201_missing']} of them not stored, "
                     f"{integrity['stored_without_answer']} stored without a 201 reaching the client "
                     f"(server idle after {integrity['idle_wait_s']} s: {integrity['idle']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000,
                        help="synthetic reports stored before the load (default 100,000)")
    parser.add_argument("--rate", type=float, default=None,
                        help="offered requests per second for every scenario (default: 200 for post, "
                             "500 and 1,000 for bbox and zones)")
    parser.add_argument("--read-rates", default=None,
                        help="comma-separated offered rates for bbox and zones (default: --rate, else 500,1000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each run's schedule (default 20)")
    parser.add_argument("--scenario", choices=("post", "bbox", "zones", "all"), default="all")
    parser.add_argument("--max-in-flight", type=int, default=200,
                        help="requests outstanding at most; a request due beyond it is dropped (default 200)")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="the load's HTTP client: a minimal keep-alive HTTP/1.1 client on asyncio (default; "
                             "cheap enough to offer 1,000 req/s) or httpx.AsyncClient")
    parser.add_argument("--timeout", type=float, default=10.0, help="total seconds per request (default 10)")
    parser.add_argument("--health-rate", type=float, default=5.0,
                        help="GET /health per second during the post run (default 5)")
    parser.add_argument("--bbox-m", type=float, default=100.0, help="side of the random bbox in metres (default 100)")
    parser.add_argument("--idle-wait", type=float, default=60.0,
                        help="seconds to wait for the server to finish a backlog after a run before it is "
                             "restarted (default 60)")
    parser.add_argument("--probe", type=int, default=3,
                        help="requests sent one at a time before each scenario's load, for its unloaded "
                             "latency (default 3; 0: none)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--workers", type=int, default=1, help="service processes (stadskarna serve --workers)")
    parser.add_argument("--keep-db", type=Path, default=None,
                        help="keep the pre-filled database in this file and reuse it on later runs with the "
                             "same --reports (each run works on a copy)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL/PostGIS database (postgresql://…) for the server "
                             "(STADSKARNA_DATABASE_URL) and the pre-fill: an empty scratch database, left with the "
                             "synthetic reports for later runs; without it the embedded file (a temporary copy) "
                             "is used")
    args = parser.parse_args(argv)
    post_rate = args.rate if args.rate is not None else DEFAULT_POST_RATE
    if args.read_rates:
        read_rates = tuple(float(r) for r in args.read_rates.split(","))
    else:
        read_rates = (args.rate,) if args.rate is not None else DEFAULT_READ_RATES
    scenarios = ("post", "bbox", "zones") if args.scenario == "all" else (args.scenario,)
    load_before = [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None
    rng = np.random.default_rng(args.seed)
    sampler = CentreSampler(read_zones(ZONES), rng)
    if args.database_url and args.keep_db:
        parser.error("--keep-db is for the embedded file; a --database-url database is kept anyway")

    result: dict = {"benchmark": "service", "reports": args.reports, "scenario": args.scenario,
                    "post_rate": post_rate if "post" in scenarios else None,
                    "read_rates": list(read_rates) if {"bbox", "zones"} & set(scenarios) else [],
                    "seconds": args.seconds, "max_in_flight": args.max_in_flight, "timeout_s": args.timeout,
                    "client": args.client,
                    "health_rate": args.health_rate, "bbox_m": args.bbox_m, "seed": args.seed,
                    "store": None,
                    "database_url": f"{urlsplit(args.database_url).scheme}://…" if args.database_url else None,
                    "workers": args.workers, "probe": args.probe, "unloaded_ms": {}, "runs": [], "health": None,
                    "integrity": None}
    with tempfile.TemporaryDirectory(prefix="bench-service-") as folder:
        db = Path(folder) / "service.sqlite"
        store, seconds, reused, probed = prepare_database(db, args.keep_db, args.database_url, sampler,
                                                          args.reports, rng)
        result["prefill_seconds"], result["prefill_reused"] = round(seconds, 2), reused
        result["store"] = getattr(store, "kind", "sqlite")
        print(f"{args.reports:,} reports {'reused' if reused else 'pre-filled'} in {seconds:.1f} s", file=sys.stderr)
        server = Server(db, Path(folder), args.database_url, args.workers)
        try:
            for scenario in scenarios:
                rates = (post_rate,) if scenario == "post" else read_rates
                if server.process is None:
                    server.start()
                if args.probe:
                    probe = {"post": lambda: post_calls(sampler, args.probe, rng),
                             "bbox": lambda: bbox_calls(sampler, args.probe, args.bbox_m),
                             "zones": lambda: [Call("GET", "/api/zones")] * args.probe}[scenario]()
                    result["unloaded_ms"][scenario] = unloaded(server.base_url, probe, args.timeout, probed)
                    if scenario == "post":
                        health_probe = [Call("GET", "/health")] * args.probe
                        result["unloaded_ms"]["health"] = unloaded(server.base_url, health_probe, args.timeout, probed)
                for rate in rates:
                    if server.process is None:
                        server.start()
                    n = int(round(rate * args.seconds))
                    if scenario == "post":
                        calls = post_calls(sampler, n, rng)
                        health = Run("health", "/health", args.health_rate, args.seconds)
                        run = Run("post", "/api/reports", rate, args.seconds)
                        before = store.count(REPORTS)
                        streams = [(run, calls.__getitem__, args.max_in_flight),
                                   (health, lambda i: Call("GET", "/health"), 10)]
                    elif scenario == "bbox":
                        calls = bbox_calls(sampler, n, args.bbox_m)
                        run = Run("bbox", "/api/layers/reports?bbox=…&limit=100", rate, args.seconds)
                        streams = [(run, calls.__getitem__, args.max_in_flight)]
                    else:
                        run = Run("zones", "/api/zones", rate, args.seconds)
                        streams = [(run, lambda i: Call("GET", "/api/zones"), args.max_in_flight)]
                    print(f"{scenario}: {rate:g} req/s for {args.seconds:g} s …", file=sys.stderr)
                    asyncio.run(measure(server.base_url, streams, args.timeout, server, args.client))
                    idle, waited = server.wait_idle(store, args.idle_wait)
                    if not idle:  # a backlog of requests the client gave up on: stop it before counting
                        print(f"the server is still busy {waited:.0f} s after the run; restarting it", file=sys.stderr)
                        server.stop()
                    figures = run.figures()
                    figures["server_idle_after_s"] = round(waited, 1) if idle else None
                    result["runs"].append(figures)
                    if scenario == "post":
                        result["health"] = health.figures()
                        result["integrity"] = integrity(store, before, run.created_ids, probed, idle, waited)
        finally:
            server.stop()
            if hasattr(store, "close"):
                store.close()
        result["server_starts"] = server.starts
        result["server_start_seconds"] = round(min(server.start_seconds), 2) if server.start_seconds else None
    result["code"] = code_version()
    result["load_average_before"] = load_before
    result["machine"] = machine()
    print(table(result), file=sys.stderr)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

"""The report rate limit keys on the real client: the TCP peer, unless that peer is a reverse
proxy named in the settings (forwarded headers from anyone else are ignored); IPv6 clients by
their /64; and the limiter's memory stays bounded however many addresses come. What-ifs (public
lighting, staff cameras) have a limit of their own."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from service.app import create_app
from service.limits import WHAT_IFS
from service.ratelimit import RateLimiter
from service.security import client_address
from service.store import StoreError
from service.settings import ReportSettings, ServiceSettings, Settings, StoreSettings

TORG = {"category": "graffiti", "lat": "56.6744", "lon": "12.8578"}
LAMP = "/api/coverage/lighting/what-if?lon=12.8634&lat=56.66981&lumen=8000&height_m=6"


def request_from(peer: str, forwarded: str | list[str] | None = None) -> Request:
    lines = [forwarded] if isinstance(forwarded, str) else forwarded or []
    headers = [(b"x-forwarded-for", line.encode()) for line in lines]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": (peer, 5000)})


@pytest.mark.parametrize("peer, forwarded, trusted, expected", [
    ("203.0.113.7", "198.51.100.1", [], "203.0.113.7"),  # nobody trusted: the header is ignored
    ("127.0.0.1", "198.51.100.1", [], "127.0.0.1"),  # not even from the loopback
    ("10.0.0.2", "198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
    ("10.0.0.2", "6.6.6.6, 198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),  # the client cannot choose its own
    ("10.0.0.2", "198.51.100.1, 10.0.0.9", ["10.0.0.0/8"], "198.51.100.1"),  # a chain of trusted proxies
    ("203.0.113.7", "198.51.100.1", ["10.0.0.0/8"], "203.0.113.7"),  # a peer that is not a trusted proxy
    ("10.0.0.2", "not-an-address", ["10.0.0.0/8"], "10.0.0.2"),  # no address given: the proxy's own
    ("10.0.0.2", "6.6.6.6, junk, 10.0.0.9", ["10.0.0.0/8"], "10.0.0.9"),  # not past a hop that is no address
    ("10.0.0.2", "198.51.100.1:51234", ["10.0.0.0/8"], "198.51.100.1"),  # ports are left out
    ("10.0.0.2", "[2001:db8::1]:443", ["10.0.0.0/8"], "2001:db8::/64"),
    ("10.0.0.2", ["6.6.6.6", "198.51.100.1"], ["10.0.0.0/8"], "198.51.100.1"),  # every header line, in order
    ("2001:db8:1:2:aaaa::1", None, [], "2001:db8:1:2::/64"),
    ("::ffff:198.51.100.1", None, [], "198.51.100.1"),
    ("::ffff:127.0.0.1", "198.51.100.1", ["127.0.0.1"], "198.51.100.1"),  # a dual-stack listener's proxy
])
def test_the_client_address(peer, forwarded, trusted, expected):
    assert client_address(request_from(peer, forwarded), trusted) == expected


@given(st.ip_addresses(v=6))
def test_every_address_of_a_64_is_one_client(address):
    network = client_address(request_from(str(address)), [])
    neighbour = address.exploded[:19] + ":ffff:ffff:ffff:ffff"
    assert client_address(request_from(neighbour), []) == network or address.ipv4_mapped is not None


def test_memory_stays_bounded_under_a_flood_of_addresses():
    limiter = RateLimiter(limit=3, window_s=60, max_events=1000)
    for i in range(50_000):
        assert limiter.retry_after(f"client-{i}", now=float(i) / 1000) is None
    assert len(limiter) <= 1000
    # a client that is still limited is remembered while the flood passes: the oldest go first
    limiter = RateLimiter(limit=1, window_s=60, max_events=100)
    assert limiter.retry_after("persistent", now=0.0) is None
    for i in range(99):
        limiter.retry_after(f"flood-{i}", now=1.0)
    assert limiter.retry_after("persistent", now=2.0) is not None


def test_the_window_slides():
    limiter = RateLimiter(limit=2, window_s=60)
    assert [limiter.retry_after("a", now=t) for t in (0.0, 10.0, 20.0)] == [None, None, 40]
    assert limiter.retry_after("b", now=20.0) is None, "another client has its own count"
    assert limiter.retry_after("a", now=60.0) is None, "the first event left the window"
    assert limiter.retry_after("a", now=61.0) == 9


def _spend(path: str, attempts: int) -> int:
    limiter = RateLimiter(limit=10, window_s=60, path=Path(path))
    return sum(limiter.retry_after("198.51.100.1") is None for _ in range(attempts))


def test_processes_sharing_the_file_share_one_limit(tmp_path):
    """The worker processes of one service: 2 × 15 attempts of one client, 10 allowed in all."""
    path = str(tmp_path / "limit.sqlite")
    RateLimiter(limit=10, path=Path(path)).close()  # made once, as the first worker does
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        allowed = pool.starmap(_spend, [(path, 15), (path, 15)])
    assert sum(allowed) == 10
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"198.51.100.1" not in stored, "clients are kept as keyed hashes, not as addresses"


def test_the_shared_file_is_private_and_a_bad_one_is_named(tmp_path):
    path = tmp_path / "limit.sqlite"
    RateLimiter(limit=3, path=path).close()
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(StoreError, match="STADSKARNA_REPORTS_RATE_LIMIT_FILE"):
        RateLimiter(limit=3, path=tmp_path / "no such folder" / "limit.sqlite")


def app_with(tmp_path, trusted: list[str]):
    return create_app(Settings(store=StoreSettings(db=tmp_path / "t.sqlite"), reports=ReportSettings(rate_limit=2),
                               service=ServiceSettings(trusted_proxies=trusted)))


def test_a_forwarded_header_does_not_let_a_client_escape_the_limit(tmp_path):
    with TestClient(app_with(tmp_path, []), client=("127.0.0.1", 5000)) as client:
        codes = [client.post("/api/reports", data=TORG, headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                 for i in range(4)]
    assert codes == [201, 201, 429, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(tmp_path):
    with TestClient(app_with(tmp_path, ["127.0.0.1"]), client=("127.0.0.1", 5000)) as client:
        first = [client.post("/api/reports", data=TORG, headers={"X-Forwarded-For": "198.51.100.1"}).status_code
                 for _ in range(3)]
        other = client.post("/api/reports", data=TORG, headers={"X-Forwarded-For": "198.51.100.2"})
    assert first == [201, 201, 429] and other.status_code == 201


def test_what_ifs_have_a_limit_of_their_own_per_client(tmp_path):
    """A lamp's what-if is public and computed anew each time: a client asking in a loop is refused
    (429, Retry-After, in Swedish) without touching its report limit or another client's what-ifs."""
    app = create_app(Settings(store=StoreSettings(db=tmp_path / "t.sqlite"), reports=ReportSettings(rate_limit=1),
                              service=ServiceSettings(what_if_rate_limit=2)))
    with TestClient(app, client=("203.0.113.7", 5000)) as client:
        lamps = [client.get(LAMP) for _ in range(3)]
        reports = [client.post("/api/reports", data=TORG).status_code for _ in range(2)]
    with TestClient(app, client=("198.51.100.1", 5000)) as other:
        elsewhere = other.get(LAMP)
    assert [answer.status_code for answer in lamps] == [200, 200, 429] and reports == [201, 429]
    refused = lamps[2]
    assert refused.json()["code"] == "rate_limited" and "tänk-om" in refused.json()["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert elsewhere.status_code == 200 and elsewhere.json() == lamps[0].json()


def test_every_what_if_is_limited_and_head_or_a_slash_does_not_escape(tmp_path):
    app = create_app(Settings(store=StoreSettings(db=tmp_path / "t.sqlite"),
                              service=ServiceSettings(what_if_rate_limit=2)))
    routes = {(method, path) for path, methods in app.openapi()["paths"].items() if "what-if" in path
              for method in (m.upper() for m in methods) if method != "HEAD"}
    assert routes == WHAT_IFS, "a what-if route outside the limit's list"
    with TestClient(app) as client:
        answers = [client.head(LAMP).status_code, client.get(LAMP).status_code, client.get(LAMP).status_code,
                   client.get(LAMP.replace("what-if?", "what-if/?")).status_code]
    assert answers == [200, 200, 429, 429]

"""The HTTP edge: body caps before reading, form text as strict UTF-8, no blocking of the event
loop, 503 instead of a hang when another program holds the write lock, nothing internal in
answers, no echoed Host header, security headers and a policy the pages satisfy, Swagger UI
from the service, e-mail addresses checked by a real validator, and no duplicate answers that
would locate unsafe-place pins."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from html.parser import HTMLParser
from urllib.parse import urlparse

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_token
from service.security import folium_scripts, inline_scripts, page_policy
from service.settings import ReportSettings, ServiceSettings, Settings, StoreSettings
from service.store import SQLiteStore

TORG = {"lat": "56.6744", "lon": "12.8578"}


def make(tmp_path, **overrides) -> Settings:
    return Settings(store=StoreSettings(db=tmp_path / "t.sqlite", busy_timeout_s=overrides.pop("busy", 5.0)),
                    reports=ReportSettings(rate_limit=overrides.pop("rate_limit", 1000)), **overrides)


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(make(tmp_path))) as test_client:
        yield test_client


def descriptions(client) -> list[str]:
    return client.app.state.store.read_features(__import__("geo.layers").layers.REPORTS)["description"].tolist()


# -- body caps -------------------------------------------------------------------------------

def test_a_declared_body_over_the_cap_is_refused_before_it_is_read(tmp_path, serve):
    base = serve(create_app(make(tmp_path)))
    host, port = urlparse(base).hostname, urlparse(base).port
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"POST /api/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                     b"Content-Length: 300000000\r\n\r\n")  # and not one byte of the 300 MB
        answer = sock.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413") and '"code":"too_large"' in answer.replace(" ", "")


def test_a_chunked_body_is_cut_off_at_the_cap(client):
    def chunks():
        for _ in range(200):
            yield b"description=" + b"x" * 10_000 + b"&"
    response = client.post("/open311/v2/requests.json", content=chunks(),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413 and response.json()[0]["code"] == 413
    response = client.patch("/api/reports/x", content=b"{" + b" " * 100_000 + b"}",
                            headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "too_large"


# -- form text ------------------------------------------------------------------------------

def test_raw_utf8_form_bodies_are_stored_as_sent(client):
    body = "service_code=graffiti&lat=56.6744&long=12.8578&description=Klotter på bänken".encode()
    response = client.post("/open311/v2/requests.json", content=body,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 201, response.text
    assert descriptions(client) == ["Klotter på bänken"]


@pytest.mark.parametrize("body", [b"service_code=graffiti&lat=56.6744&long=12.8578&description=Klotter p\xe5",
                                  b"service_code=graffiti&lat=56.6744&long=12.8578&description=Klotter%20p%E5"])
def test_invalid_utf8_form_bodies_are_refused(client, body):
    response = client.post("/open311/v2/requests.json", content=body,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400 and "UTF-8" in response.json()[0]["description"]
    assert descriptions(client) == []


def test_invalid_utf8_in_a_multipart_field_is_refused(client):
    response = client.post("/api/reports", files={"category": (None, b"graffiti"), "lat": (None, b"56.6744"),
                                                  "lon": (None, b"12.8578"), "description": (None, b"Klotter p\xe5")})
    assert response.status_code == 422 and "description" in response.json()["detail"]
    assert "UTF-8" in response.json()["detail"] and descriptions(client) == []


@pytest.mark.parametrize("address", ["a@b", "@@", "anna@", "anna berg@example.org"])
def test_email_addresses_are_checked_by_a_validator(client, address):
    response = client.post("/api/reports", data={"category": "graffiti", **TORG, "email": address})
    assert response.status_code == 422 and "e-mail" in response.json()["detail"]


def test_a_valid_email_address_is_kept_privately(client):
    response = client.post("/api/reports", data={"category": "graffiti", **TORG, "email": "Anna.Berg@Halmstad.SE"})
    assert response.status_code == 201 and "Halmstad" not in response.text
    stored = client.app.state.store.read_features(__import__("geo.layers").layers.REPORTS, include_private=True)
    assert stored["contact"].tolist() == ["Anna.Berg@halmstad.se"]


# -- the event loop and the write lock --------------------------------------------------------

def test_a_locked_database_answers_503_and_never_blocks_other_requests(tmp_path, serve):
    base = serve(create_app(make(tmp_path, busy=2.0)))
    holder = sqlite3.connect(tmp_path / "t.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    results = {}

    def submit():
        started = time.monotonic()
        results["report"] = httpx.post(base + "/api/reports", data={"category": "graffiti", **TORG}, timeout=30)
        results["report_s"] = time.monotonic() - started

    thread = threading.Thread(target=submit)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    health = httpx.get(base + "/health", timeout=10)
    health_s = time.monotonic() - started
    thread.join()
    holder.execute("ROLLBACK")
    holder.close()
    assert health.status_code == 200 and health_s < 0.5, f"/health waited {health_s:.2f} s behind a blocked write"
    report = results["report"]
    assert report.status_code == 503 and report.json()["code"] == "unavailable"
    assert int(report.headers["retry-after"]) > 0 and 1.5 < results["report_s"] < 10
    assert SQLiteStore(tmp_path / "t.sqlite").read_features(__import__("geo.layers").layers.REPORTS).empty


# -- nothing internal -----------------------------------------------------------------------

def test_health_does_not_say_where_the_database_is(client, tmp_path):
    body = client.get("/health").text
    assert str(tmp_path) not in body and "t.sqlite" not in body


def test_upload_errors_name_the_upload_not_a_temporary_file(client):
    token = create_token(client.app.state.store, "police")
    response = client.post("/api/patrols", files={"file": ("spår.csv", b"unit_id,timestamp,lat,lon,mode\nx,nope,1,2,foot\n")},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422 and "spår.csv" in response.json()["detail"]
    assert "/tmp" not in response.text and "tmp" not in response.json()["detail"].lower()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000"])
def test_links_never_echo_the_host_header(client, host):
    body = client.get("/api/layers/incidents?limit=1", headers={"host": host}).json()
    store = client.app.state.store
    from geo.layers import INCIDENTS, validate
    import pandas as pd
    store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame(
        [{"id": f"i{i}", "occurred_at": "2020-05-01T12:00:00Z", "category": "stöld", "lon": 12.8578, "lat": 56.6744}
         for i in range(3)]), "t"))
    body = client.get("/api/layers/incidents?limit=1", headers={"host": host}).json()
    href = next(link["href"] for link in body["links"] if link["rel"] == "next")
    assert "evil" not in href and href.startswith("/api/layers/incidents?") and "offset=1" in href
    assert client.get("/api/zones/", headers={"host": host}, follow_redirects=False).status_code == 404


def test_links_use_the_configured_public_url(tmp_path):
    settings = make(tmp_path, service=ServiceSettings(public_url="https://trygghet.halmstad.se/"))
    with TestClient(create_app(settings)) as client:
        from geo.layers import INCIDENTS, validate
        import pandas as pd
        client.app.state.store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame(
            [{"id": f"i{i}", "occurred_at": "2020-05-01T12:00:00Z", "category": "stöld", "lon": 12.8578,
              "lat": 56.6744} for i in range(3)]), "t"))
        body = client.get("/api/layers/incidents?limit=2", headers={"host": "evil.example"}).json()
    assert body["links"][0]["href"].startswith("https://trygghet.halmstad.se/api/layers/incidents?")


# -- headers and the page policy --------------------------------------------------------------

class _Handlers(HTMLParser):
    """Inline event handler attributes (onclick=, onload=, …) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.found += [f"{tag} {name}" for name, _ in attrs if name.lower().startswith("on")]


@pytest.mark.parametrize("path", ["/", "/report", "/docs", "/promises/2020", "/lagesbild?week=2020-W12"])
def test_pages_send_security_headers_and_a_policy_without_unsafe_scripts(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = dict(d.split(" ", 1) for d in response.headers["content-security-policy"].split("; "))
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    hashes = page_policy(client.app.state.settings.maps, inline_scripts(response.text)).split("; ")[1]
    assert policy["script-src"] == hashes.split(" ", 1)[1], "the page's own inline scripts are allowed by hash"
    assert policy["frame-ancestors"] == "'self'" and policy["object-src"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"  # tile servers want an origin
    handlers = _Handlers()
    handlers.feed(response.text)
    assert handlers.found == [], "inline event handlers would need 'unsafe-inline'"


def test_a_script_smuggled_into_a_map_page_is_not_allowed(client):
    """The policy allows the scripts the program wrote, not every script of the finished page: one
    that data smuggled into the body (were escaping ever to fail) gets no hash and does not run."""
    response = client.get("/")
    page, maps = response.text, client.app.state.settings.maps
    assert response.headers["content-security-policy"] == page_policy(maps, folium_scripts(page))
    smuggled = page.replace("<body>", "<body><script>window.__x=1</script>", 1)
    assert smuggled != page and page_policy(maps, folium_scripts(smuggled)) == page_policy(maps, folium_scripts(page))
    assert page_policy(maps, ["window.__x=1"]).split("; ")[1].split()[-1] not in page_policy(maps, folium_scripts(smuggled))


def test_api_answers_forbid_everything(client):
    for path in ("/health", "/api/zones", "/nope"):
        response = client.get(path)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_api_documentation_loads_nothing_from_outside(client):
    page = client.get("/docs").text
    assert "cdn." not in page and "https://" not in page
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/redoc").status_code == 404


# -- unsafe places ---------------------------------------------------------------------------

def test_unsafe_place_pins_get_no_duplicate_answer(client):
    first = client.post("/api/reports", data={"category": "unsafe_place", **TORG, "when": "night", "why": "people"})
    again = client.post("/api/reports", data={"category": "unsafe_place", **TORG, "when": "night", "why": "people"})
    assert first.status_code == again.status_code == 201
    assert again.json()["possible_duplicates"] == []
    graffiti = [client.post("/api/reports", data={"category": "graffiti", **TORG}).json() for _ in range(2)]
    assert graffiti[1]["possible_duplicates"] == [graffiti[0]["id"]], "other categories still get duplicates"


def test_a_token_is_not_held_up_by_another_programs_write_lock(tmp_path):
    with TestClient(create_app(make(tmp_path, busy=5.0))) as client:
        token = create_token(client.app.state.store, "municipality")
        holder = sqlite3.connect(tmp_path / "t.sqlite", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # noting the token's first use must not wait for this
        try:
            started = time.monotonic()
            response = client.get("/api/reports/nope/photo", headers={"Authorization": f"Bearer {token}"})
            waited = time.monotonic() - started
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert response.status_code == 404 and waited < 1.0, f"a read with a token waited {waited:.2f} s"


def test_an_anonymous_upload_is_refused_before_its_body_is_read(tmp_path, serve):
    base = serve(create_app(make(tmp_path)))
    host, port = urlparse(base).hostname, urlparse(base).port
    for token, expected in ((None, "401"), ("not-a-token", "401")):
        auth = f"Authorization: Bearer {token}\r\n".encode() if token else b""
        with socket.create_connection((host, port), timeout=5) as sock:
            sock.sendall(b"POST /api/patrols HTTP/1.1\r\nHost: localhost\r\n" + auth +
                         b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 50000000\r\n\r\n")
            answer = sock.recv(65536).decode("latin-1")
        assert answer.startswith(f"HTTP/1.1 {expected}"), answer[:200]
    planner = create_token(SQLiteStore(tmp_path / "t.sqlite"), "planner")
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"POST /api/patrols HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + planner.encode() +
                     b"\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 50000000\r\n\r\n")
        assert sock.recv(65536).decode("latin-1").startswith("HTTP/1.1 403")


def test_the_rate_limit_is_checked_before_the_body_is_read(tmp_path, serve):
    base = serve(create_app(make(tmp_path, rate_limit=1)))
    assert httpx.post(base + "/api/reports", data={"category": "graffiti", **TORG}).status_code == 201
    host, port = urlparse(base).hostname, urlparse(base).port
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"POST /api/reports HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 4000000\r\n\r\n")
        answer = sock.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 429") and "retry-after" in answer.lower()


def test_an_upload_with_a_very_long_or_odd_name_is_not_a_fault(client):
    token = create_token(client.app.state.store, "police")
    for name in ("å" * 300 + ".csv", "../../etc/passwd.csv", "spår ett.gpx"):
        response = client.post("/api/patrols", headers={"Authorization": f"Bearer {token}"}, data={"mode": "foot"},
                               files={"file": (name, b"unit_id,timestamp,lat,lon,mode\nx,nope,1,2,foot\n")})
        assert response.status_code == 422, (name, response.text)
        assert "/tmp" not in response.text


@pytest.mark.parametrize("method, path, allow", [("DELETE", "/health", "GET, HEAD"), ("PUT", "/api/reports", "POST"),
                                                 ("OPTIONS", "/api/removal-rounds", "GET, POST, HEAD"),
                                                 ("GET", "/api/reports/x", "PATCH")])
def test_a_method_not_allowed_lists_every_method_of_the_path(client, method, path, allow):
    response = client.request(method, path)
    assert response.status_code == 405 and response.headers["allow"] == allow
    assert response.json()["code"] == "method_not_allowed"


def test_head_answers_like_get_without_a_body(client):
    get, head = client.get("/health"), client.head("/health")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]

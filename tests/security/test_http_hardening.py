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

from geo.errors import ValidationError
from geo.maps.markup import markup, page_html
from geo.maps.overview import overview_map
from service.app import create_app
from service.auth import create_token
from service.security import inline_scripts, page_policy
from service.settings import ReportSettings, ServiceSettings, Settings, StoreSettings
from service.store import SQLiteStore
from tests.conftest import gdal_like_connection
from tests.languages import ENGLISH

TORG = {"lat": "56.6744", "lon": "12.8578"}


def make(tmp_path, **overrides) -> Settings:
    return Settings(store=StoreSettings(db=tmp_path / "t.sqlite", busy_timeout_s=overrides.pop("busy", 5.0)),
                    reports=ReportSettings(rate_limit=overrides.pop("rate_limit", 1000)), **overrides)


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(make(tmp_path)), headers=ENGLISH) as test_client:
        yield test_client


def descriptions(client) -> list[str]:
    return client.app.state.context.store.read_features(__import__("geo.layers").layers.REPORTS)["description"].tolist()


def raw_answer(base: str, request: bytes) -> str:
    """Send ``request`` (headers only: the body it announces is never sent) and read the whole answer."""
    host, port = urlparse(base).hostname, urlparse(base).port
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += sock.recv(65536)
    return (head + b"\r\n\r\n" + body).decode("latin-1")


# -- body caps -------------------------------------------------------------------------------

def test_a_declared_body_over_the_cap_is_refused_before_it_is_read(tmp_path, serve):
    base = serve(create_app(make(tmp_path)))
    answer = raw_answer(base, b"POST /api/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; "
                              b"boundary=x\r\nContent-Length: 300000000\r\n\r\n")  # and not one byte of the 300 MB
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
    stored = client.app.state.context.store.read_features(__import__("geo.layers").layers.REPORTS, include_private=True)
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
    # blocked, it would wait the 2 s busy timeout; a busy CI machine once took 0.52 s to answer at all
    assert health.status_code == 200 and health_s < 1.0, f"/health waited {health_s:.2f} s behind a blocked write"
    report = results["report"]
    assert report.status_code == 503 and report.json()["code"] == "unavailable"
    assert int(report.headers["retry-after"]) > 0 and 1.5 < results["report_s"] < 10
    assert SQLiteStore(tmp_path / "t.sqlite").read_features(__import__("geo.layers").layers.REPORTS).empty


# -- nothing internal -----------------------------------------------------------------------

def test_health_does_not_say_where_the_database_is(client, tmp_path):
    body = client.get("/health").text
    assert str(tmp_path) not in body and "t.sqlite" not in body


def test_upload_errors_name_the_upload_not_a_temporary_file(client):
    token = create_token(client.app.state.context.store, "police")
    response = client.post("/api/patrols", files={"file": ("spår.csv", b"unit_id,timestamp,lat,lon,mode\nx,nope,1,2,foot\n")},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422 and "spår.csv" in response.json()["detail"]
    assert "/tmp" not in response.text and "tmp" not in response.json()["detail"].lower()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000"])
def test_links_never_echo_the_host_header(client, host):
    body = client.get("/api/layers/incidents?limit=1", headers={"host": host}).json()
    store = client.app.state.context.store
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
    with TestClient(create_app(settings), headers=ENGLISH) as client:
        from geo.layers import INCIDENTS, validate
        import pandas as pd
        client.app.state.context.store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame(
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
    hashes = page_policy(client.app.state.context.settings.maps, inline_scripts(response.text)).split("; ")[1]
    assert policy["script-src"] == hashes.split(" ", 1)[1], "the page's own inline scripts are allowed by hash"
    assert policy["frame-ancestors"] == "'self'" and policy["object-src"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"  # tile servers want an origin
    handlers = _Handlers()
    handlers.feed(response.text)
    assert handlers.found == [], "inline event handlers would need 'unsafe-inline'"


def test_a_script_smuggled_into_a_map_page_is_not_allowed(zones):
    """The policy allows the scripts the program wrote, named by the code that builds the page —
    not the scripts found in the finished page: one that data smuggled into the body (were escaping
    ever to fail), even one that closes the body first, gets no hash and would not run."""
    fmap = overview_map(zones, tiles=None)
    smuggled = ["<script>window.__x=1</script>", "</body><script>window.__x=2</script>",
                "</body></html><script>window.__x=3</script>"]
    for evil in smuggled:
        fmap.get_root().html.add_child(markup(evil))  # as if a text had reached the page unescaped
    page = page_html(fmap, "karta")
    assert all(evil in page.html for evil in smuggled)
    assert len(page.scripts) == 2 and not any("window.__x" in script for script in page.scripts)
    assert page.scripts == inline_scripts(page.html)[:1] + inline_scripts(page.html)[-1:], \
        "folium's settings in the head and the map's script at the end"


def test_the_pages_policy_names_the_programs_scripts(client):
    response = client.get("/")
    scripts = next(d for d in response.headers["content-security-policy"].split("; ") if d.startswith("script-src"))
    assert scripts.count("'sha256-") == 2


def test_api_answers_forbid_everything(client):
    for path in ("/health", "/api/zones", "/nope"):
        response = client.get(path)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_api_documentation_loads_nothing_from_outside(client):
    page = client.get("/docs").text
    assert "cdn." not in page and "https://" not in page
    assert '<html lang="en">' in page, "the API's documentation is in English, and says so to screen readers"
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
    with TestClient(create_app(make(tmp_path, busy=5.0)), headers=ENGLISH) as client:
        token = create_token(client.app.state.context.store, "municipality")
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
    upload = b"POST /api/patrols HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=x\r\n" \
             b"Content-Length: 50000000\r\n"
    planner = create_token(SQLiteStore(tmp_path / "t.sqlite"), "planner")
    for auth, expected in ((b"", "401"), (b"Authorization: Bearer not-a-token\r\n", "401"),
                           (f"Authorization: Bearer {planner}\r\n".encode(), "403")):
        answer = raw_answer(base, upload + auth + b"\r\n")
        assert answer.startswith(f"HTTP/1.1 {expected}"), answer[:200]


def test_the_rate_limit_is_checked_before_the_body_is_read(tmp_path, serve):
    base = serve(create_app(make(tmp_path, rate_limit=1)))
    assert httpx.post(base + "/api/reports", data={"category": "graffiti", **TORG}).status_code == 201
    answer = raw_answer(base, b"POST /api/reports HTTP/1.1\r\nHost: localhost\r\n"
                              b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 4000000\r\n\r\n")
    assert answer.startswith("HTTP/1.1 429") and "retry-after" in answer.lower()


def test_an_upload_with_a_very_long_or_odd_name_is_not_a_fault(client):
    token = create_token(client.app.state.context.store, "police")
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


def test_a_mounted_apps_405_has_no_empty_allow_and_static_files_answer_head(client):
    response = client.post("/static/leaflet/leaflet.js")
    assert response.status_code == 405 and response.headers.get("allow", "GET") != ""
    head = client.head("/static/leaflet/leaflet.js")
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 1000


def test_a_fault_of_the_service_on_open311_stays_a_5xx(client, tmp_path):
    client.post("/api/reports", data={"category": "graffiti", **TORG})
    with gdal_like_connection(tmp_path / "t.sqlite") as con:  # another program stores what no import accepts
        con.execute("UPDATE reports SET description = 'x' || char(7)")
    answer = TestClient(client.app, raise_server_exceptions=False, headers=ENGLISH).get("/open311/v2/requests.json")
    assert answer.status_code == 500 and answer.json()[0]["code"] == 500


def test_an_upload_token_check_on_a_busy_store_answers_503(tmp_path, monkeypatch):
    from service.store import Unavailable

    app = create_app(make(tmp_path))
    police = create_token(app.state.context.store, "police")

    def busy(token_hash):
        raise Unavailable("the database is busy", 2)
    monkeypatch.setattr(app.state.context.store, "token", busy)  # the guard's token lookup meets a busy store
    with TestClient(app, raise_server_exceptions=False, headers=ENGLISH) as client:
        answer = client.post("/api/patrols", headers={"Authorization": f"Bearer {police}"},
                             files={"file": ("a.csv", b"unit_id,timestamp,lat,lon,mode\n")})
    assert answer.status_code == 503 and answer.json()["code"] == "unavailable"
    assert answer.headers["retry-after"] == "2"


def test_a_close_reason_and_a_token_label_are_bounded_and_clean(client):
    staff = {"Authorization": f"Bearer {create_token(client.app.state.context.store, 'municipality', ' Anna ')}"}
    report = client.post("/api/reports", data={"category": "graffiti", **TORG}).json()["id"]
    long = client.patch(f"/api/reports/{report}", headers=staff, json={"status": "closed", "close_reason": "x" * 501})
    assert long.status_code == 422 and "close_reason" in long.json()["detail"]
    assert [t.label for t in client.app.state.context.store.tokens()] == ["Anna"]
    with pytest.raises(ValidationError):
        create_token(client.app.state.context.store, "police", "bil\u202e1")

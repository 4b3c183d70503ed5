"""The public API through the real app: layers with filters and pages, coverage, and the role matrix."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo.layers import INCIDENTS, LIGHTS, PINGS, REPORTS, validate
from service.app import create_app
from service.auth import create_token
from service.cli import app as cli
from service.settings import Settings, StoreSettings
from service.store import SQLiteStore
from tests.rfc7946 import assert_feature_collection
from tests.conftest import local_today
from tests.languages import ENGLISH

TORG = (12.8572, 56.6740)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "api.sqlite"
    store = SQLiteStore(path)
    store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame({
        "id": ["i1", "i2", "i3"], "occurred_at": ["2020-03-01T22:13:00+01:00", "2020-06-01T01:00:00+02:00",
                                                  "2020-09-01T12:00:00+02:00"],
        "category": ["rån", "stöld", "misshandel"], "lon": [12.85731, 12.8590, 12.8640],
        "lat": [56.67412, 56.6745, 56.6700]}), "t"))
    store.write_features(LIGHTS, validate(LIGHTS, pd.DataFrame({
        "id": ["l1"], "lumen": [4000], "height_m": [6], "status": ["working"], "lon": [TORG[0]], "lat": [TORG[1]]}), "t"))
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame({
        "id": ["r1", "r2"], "category": ["graffiti", "unsafe_place"], "created_at": ["2020-05-01T10:00:00+02:00"] * 2,
        "contact": ["anna@example.org", "bo@example.org"], "when": [None, "night"], "why": [None, "lighting"],
        "lon": [TORG[0]] * 2, "lat": [TORG[1]] * 2}), "t"))
    n = 600
    store.write_pings(validate(PINGS, pd.DataFrame({
        "unit_id": "p1", "timestamp": pd.Timestamp("2020-05-01T19:00:00Z") + pd.to_timedelta(range(n), unit="s"),
        "mode": "foot", "crew": 2, "lon": TORG[0], "lat": TORG[1]}), "t"))
    return path


@pytest.fixture
def client(db):
    with TestClient(create_app(Settings(store=StoreSettings(db=db))), headers=ENGLISH) as test_client:
        yield test_client


@pytest.fixture
def tokens(db):
    store = SQLiteStore(db)
    return {role: create_token(store, role) for role in ("police", "municipality", "planner")}


def get(client, url, token=None):
    return client.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})


PATROLS = "/api/layers/patrols?start=2020-05-01&end=2020-05-02"
MATRIX = {  # endpoint -> expected status for anonymous, police, municipality, planner
    "/api/layers/incidents": (200, 200, 200, 200),
    "/api/layers/lights": (200, 200, 200, 200),
    "/api/layers/reports": (200, 200, 200, 200),
    PATROLS: (401, 200, 403, 403),
    "/api/coverage/patrol?year=2020": (200, 200, 200, 200),
    "/api/coverage/lighting": (200, 200, 200, 200),
    "/api/zones": (200, 200, 200, 200),
}


@pytest.mark.parametrize("url", MATRIX)
def test_role_matrix(client, tokens, url):
    got = [get(client, url).status_code] + [get(client, url, tokens[r]).status_code
                                            for r in ("police", "municipality", "planner")]
    assert tuple(got) == MATRIX[url]
    assert get(client, url, "not-a-token").status_code == 401


def test_a_malformed_authorization_header_is_401(client):
    response = client.get("/api/layers/lights", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401 and "Bearer" in response.json()["detail"]


def test_public_incidents_are_generalised_and_exact_needs_a_token(client, tokens):
    public = get(client, "/api/layers/incidents").json()
    assert_feature_collection(public, max_decimals=7)
    first = public["features"][0]
    assert set(first["properties"]) == {"category", "date", "location_precision", "source"}
    assert first["properties"]["date"] == "2020-03-01"
    assert first["geometry"]["coordinates"] != [12.85731, 56.67412]
    for role in ("police", "planner"):
        exact = get(client, "/api/layers/incidents", tokens[role]).json()["features"][0]
        assert exact["geometry"]["coordinates"] == [12.85731, 56.67412] and exact["properties"]["id"] == "i1"
    staff = get(client, "/api/layers/incidents", tokens["municipality"]).json()["features"][0]
    assert "id" not in staff["properties"]


def test_incidents_placed_at_a_towns_centroid_are_no_point_for_the_public(db, tokens):
    """A GIS that ignores location_precision must not see the town's incidents piled on Stora Torg."""
    SQLiteStore(db).write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame({
        "id": ["t1", "t2"], "occurred_at": ["2020-03-02T12:00:00+01:00"] * 2, "category": ["stöld"] * 2,
        "location_precision": ["town", "county"], "lon": [12.85731] * 2, "lat": [56.67412] * 2}), "t"))
    with TestClient(create_app(Settings(store=StoreSettings(db=db))), headers=ENGLISH) as client:
        public = get(client, "/api/layers/incidents").json()
        assert_feature_collection(public, max_decimals=7)
        unlocated = [f for f in public["features"] if f["properties"]["location_precision"] in ("town", "county")]
        assert len(unlocated) == 2 and all(f["geometry"] is None for f in unlocated)
        box = get(client, "/api/layers/incidents?bbox=12.855,56.673,12.860,56.676").json()
        assert {f["properties"]["location_precision"] for f in box["features"]} == {"exact"}
        assert box["numberMatched"] == 2, "a box never matches an incident that has no place"
        police = get(client, "/api/layers/incidents?bbox=12.855,56.673,12.860,56.676", tokens["police"]).json()
        assert {f["properties"]["id"] for f in police["features"]} == {"i1", "i2", "t1", "t2"}, "staff see the centroid"


def test_reports_never_show_contact_and_unsafe_places_only_to_staff(client, tokens):
    public = get(client, "/api/layers/reports").json()
    assert [f["properties"]["id"] for f in public["features"]] == ["r1"]
    for token in tokens.values():
        page = get(client, "/api/layers/reports", token)
        assert "example.org" not in page.text and len(page.json()["features"]) == 2


def test_filters_and_pages(client, tokens):
    assert get(client, "/api/layers/incidents?start=2020-05-01&end=2020-07-01").json()["numberMatched"] == 1
    assert get(client, "/api/layers/incidents?bbox=12.855,56.673,12.860,56.676").json()["numberMatched"] == 2
    first = get(client, "/api/layers/incidents?limit=2").json()
    assert first["numberReturned"] == 2 and first["numberMatched"] == 3
    follow = client.get(first["links"][0]["href"]).json()
    assert follow["numberReturned"] == 1 and follow["links"] == []
    for bad in ("bbox=1,2,3", "bbox=13,56,12,57", "limit=0", "offset=-1", "offset=9223372036854775808",
                "start=yesterday"):
        response = get(client, f"/api/layers/incidents?{bad}")
        assert response.status_code == 422 and isinstance(response.json()["detail"], str)
    assert get(client, "/api/layers/nothing").status_code == 404
    beyond = get(client, "/api/layers/reports?bbox=12.855,56.673,12.860,56.676&offset=10000000").json()
    assert beyond["numberReturned"] == 0 and beyond["numberMatched"] >= 1, "past the last page: none, and the count"
    police = tokens["police"]
    assert get(client, "/api/layers/patrols", police).status_code == 422, "raw tracks need a time window"
    assert get(client, PATROLS, police).json()["numberMatched"] == 600


def test_coverage_endpoints(client):
    patrol = client.get("/api/coverage/patrol?year=2020").json()
    assert patrol["centre"]["presence_h"] == pytest.approx(599 / 3600, abs=0.01) and len(patrol["zones"]) == 10
    assert client.get("/api/coverage/patrol?year=2999").status_code == 422
    lighting = client.get("/api/coverage/lighting").json()
    assert lighting["lamps"] == {"working": 1} and len(lighting["zones"]) == 10


def test_token_command_stores_only_a_hash(db):
    result = CliRunner().invoke(cli, ["token", "create", "--role", "planner", "--label", "kommunen", "--db", str(db)])
    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[-1]
    assert token not in str(sqlite3.connect(db).execute("SELECT * FROM api_tokens").fetchall())
    assert CliRunner().invoke(cli, ["token", "create", "--role", "king", "--db", str(db)]).exit_code == 2


def test_narrow_public_filters_cannot_reveal_exact_incidents(client):
    one_second = get(client, "/api/layers/incidents?start=2020-03-01T22:13:00%2B01:00&end=2020-03-01T22:13:01%2B01:00")
    assert one_second.json()["numberMatched"] == 1 and one_second.json()["features"][0]["properties"]["date"] == "2020-03-01"
    whole_day = get(client, "/api/layers/incidents?start=2020-03-01T10:00:00%2B01:00&end=2020-03-01T11:00:00%2B01:00")
    assert whole_day.json()["numberMatched"] == 1, "public time filters act on whole days"
    tiny = get(client, "/api/layers/incidents?bbox=12.857309,56.674119,12.857311,56.674121")
    assert tiny.json()["numberMatched"] == 0, "a box around the exact position finds nothing: positions are generalised"


def test_a_local_time_that_does_not_exist_is_422(client):
    response = get(client, "/api/layers/lights?start=2020-03-29T02:30:00")
    assert response.status_code == 422 and "daylight-saving" in response.json()["detail"]


GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>
<trkpt lat="56.6740" lon="12.8572"><time>2020-05-02T19:00:00Z</time></trkpt>
<trkpt lat="56.6741" lon="12.8572"><time>2020-05-02T19:00:01Z</time></trkpt>
</trkseg></trk></gpx>"""


def test_police_upload_patrol_tracks(client, tokens, db):
    police = {"Authorization": f"Bearer {tokens['police']}"}
    form = {"unit": "fot-9", "mode": "foot", "crew": "2"}
    upload = {"file": ("pass.gpx", GPX.encode(), "application/gpx+xml")}
    assert client.post("/api/patrols", data=form, files=upload).status_code == 401
    planner = {"Authorization": f"Bearer {tokens['planner']}"}
    assert client.post("/api/patrols", data=form, files=upload, headers=planner).status_code == 403
    first = client.post("/api/patrols", data=form, files=upload, headers=police | {"Accept-Language": "sv"})
    assert first.status_code == 201 and first.json()["imported"] == 2
    assert first.json()["summary"] == "patrols från pass.gpx: 2 rader lästa, 2 importerade, 0 uppdaterade, 0 överhoppade"
    again = client.post("/api/patrols", data=form, files=upload, headers=police).json()
    assert again["imported"] == 0 and again["skipped"] == {"already stored": 2}
    assert again["summary"].endswith("2 rows read, 0 imported, 0 updated, 2 skipped (2 already stored)")
    no_mode = client.post("/api/patrols", data={"unit": "x"}, files=upload, headers=police)
    assert no_mode.status_code == 422 and "--mode" in no_mode.json()["detail"]
    dtd = GPX.replace('<gpx ', '<!DOCTYPE gpx [<!ENTITY x "y">]><gpx ')
    hostile = client.post("/api/patrols", data=form, files={"file": ("x.gpx", dtd.encode())}, headers=police)
    assert hostile.status_code == 422 and "DTD" in hostile.json()["detail"]
    wrong = client.post("/api/patrols", files={"file": ("x.exe", b"MZ")}, headers=police)
    assert wrong.status_code == 422
    assert SQLiteStore(db).count(PINGS) == 602


WRITE_MATRIX = {  # (method, url, form or json) -> expected status for anonymous, police, municipality, planner
    ("post", "/api/reports", "form"): (201, 201, 201, 201),
    ("patch", "/api/reports/r1", "json"): (401, 403, 200, 403),
    ("post", "/api/removal-rounds", "round"): (401, 403, 201, 403),
    ("get", "/api/reports/r1/photo", None): (401, 404, 404, 404),
}


@pytest.mark.parametrize("call", WRITE_MATRIX)
def test_role_matrix_of_writes(client, tokens, call):
    method, url, kind = call
    payload = {"form": {"data": {"category": "litter", "lat": "56.6740", "lon": "12.8572"}},
               "json": {"json": {"status": "acknowledged"}},
               "round": {"json": {"date": local_today().isoformat(), "category": "weeds"}},
               None: {}}[kind]
    got = []
    for role in (None, "police", "municipality", "planner"):
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        response = getattr(client, method)(url, headers=headers, **payload)
        got.append(response.status_code)
        if method == "patch" and response.status_code == 200:
            break
    assert tuple(got) == WRITE_MATRIX[call][:len(got)]


def test_reports_filtered_by_status_in_the_store(client, db):
    SQLiteStore(db).write_features(REPORTS, validate(REPORTS, pd.DataFrame({
        "id": ["r3"], "category": ["litter"], "created_at": ["2020-05-02T10:00:00+02:00"], "status": ["closed"],
        "closed_at": ["2020-05-03T10:00:00+02:00"], "close_reason": ["sanerat"],
        "lon": [TORG[0]], "lat": [TORG[1]]}), "t"))
    open_only = client.get("/api/layers/reports?status=open,acknowledged,scheduled").json()
    assert [f["properties"]["id"] for f in open_only["features"]] == ["r1"] and open_only["numberMatched"] == 1
    assert [f["properties"]["id"] for f in client.get("/api/layers/reports?status=closed").json()["features"]] == ["r3"]
    for url in ("/api/layers/reports?status=gone", "/api/layers/lights?status=open"):
        answer = client.get(url)
        assert answer.status_code == 422 and answer.json()["field"] == "status"

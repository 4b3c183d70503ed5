"""POST /api/reports through the real app: validation, privacy, photos, duplicates, rate limit."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from geo.layers import REPORTS
from service.app import create_app
from service.auth import create_token
from service.settings import ReportSettings, Settings, StoreSettings
from service.store import SQLiteStore

TORG = {"lat": "56.6740", "lon": "12.8572"}
from tests.conftest import local_today
from tests.languages import ENGLISH


@pytest.fixture
def db(tmp_path):
    return tmp_path / "reports.sqlite"


@pytest.fixture
def client(db):
    settings = Settings(store=StoreSettings(db=db), reports=ReportSettings(rate_limit=100, max_photo_mb=0.2))
    with TestClient(create_app(settings), headers=ENGLISH) as test_client:
        yield test_client


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Kameran AB"
    exif[0x8825] = {1: "N", 2: (56.0, 40.0, 26.0), 3: "E", 4: (12.0, 51.0, 26.0)}  # GPS IFD
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def stored(db) -> int:
    return SQLiteStore(db).count(REPORTS)


def test_a_report_is_stored_with_private_email_and_a_clean_photo(client, db):
    response = client.post("/api/reports", data={"category": "graffiti", "description": "Klotter på muren",
                                                 "email": "anna@example.org", **TORG},
                           files={"photo": ("klotter.jpg", jpeg_with_gps(), "image/jpeg")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["zone_id"] == "stora-torg" and body["status"] == "open" and body["possible_duplicates"] == []
    assert "anna@example.org" not in response.text
    store = SQLiteStore(db)
    assert store.read_features(REPORTS, include_private=True)["contact"].tolist() == ["anna@example.org"]
    assert "anna@example.org" not in client.get("/api/layers/reports").text
    media_type, data = store.photo(body["id"])
    image = Image.open(io.BytesIO(data))
    assert media_type == "image/jpeg" and not image.getexif() and b"Kameran" not in data
    token = create_token(store, "municipality")
    photo = client.get(body["photo"], headers={"Authorization": f"Bearer {token}"})
    assert photo.status_code == 200 and photo.content == data
    assert client.get(body["photo"]).status_code == 401


@pytest.mark.parametrize("form, message", [
    ({"category": "graffiti", "lat": "56.60", "lon": "12.8572"}, "outside the stadskärna"),
    ({"category": "graffiti", "lat": "12.8572", "lon": "56.6740"}, "look swapped"),
    ({"category": "graffiti", "lat": "nan", "lon": "12.8572"}, "missing or NaN coordinate"),
    ({"category": "graffiti", "lat": "156.6", "lon": "12.8572"}, "outside WGS84 ranges"),
    ({"category": "graffiti", "lat": "6284000", "lon": "374000"}, "projected metres"),
    ({"category": "ufo", **TORG}, "'ufo' is not one of"),
    ({"category": "graffiti", "description": "x" * 1001, **TORG}, "at most 1000 are accepted"),
    ({"category": "graffiti", "email": "not an address", **TORG}, "not an e-mail address"),
    ({"category": "graffiti", "when": "night", **TORG}, "unsafe places only"),
    ({"category": "unsafe_place", "when": "midnight", **TORG}, "'midnight' is not one of day, evening, night"),
])
def test_bad_reports_are_refused_and_store_nothing(client, db, form, message):
    response = client.post("/api/reports", data=form)
    assert response.status_code == 422 and message in response.json()["detail"]
    assert stored(db) == 0


@pytest.mark.parametrize("name, content, message", [
    ("x.gif", b"GIF89a" + b"0" * 100, "must be a JPEG or PNG"),
    ("x.jpg", b"\xff\xd8\xff" + b"broken" * 10, "could not be read"),
    ("x.jpg", b"\xff\xd8\xff" + b"0" * 210_000, "at most 0.2 MB"),
    ("x.jpg", b"\xff\xd8\xff" + b"0" * 400_000, "larger than"),  # over the body cap: refused before it is read
])
def test_bad_photos_are_refused_and_store_nothing(client, db, name, content, message):
    response = client.post("/api/reports", data={"category": "graffiti", **TORG}, files={"photo": (name, content)})
    assert response.status_code == (413 if message == "larger than" else 422) and message in response.json()["detail"]
    assert stored(db) == 0


def test_open_reports_nearby_are_returned_as_possible_duplicates(client):
    first = client.post("/api/reports", data={"category": "graffiti", **TORG}).json()
    near = client.post("/api/reports", data={"category": "graffiti", "lat": "56.67405", "lon": "12.8572"}).json()
    assert near["possible_duplicates"] == [first["id"]], "5.6 m away, same category"
    other = client.post("/api/reports", data={"category": "litter", **TORG}).json()
    assert other["possible_duplicates"] == []
    far = client.post("/api/reports", data={"category": "graffiti", "lat": "56.6742", "lon": "12.8572"}).json()
    assert far["possible_duplicates"] == [], "22 m away"


def test_unsafe_places_are_only_aggregated_publicly(client):
    for why in ("lighting", "lighting", "people"):
        assert client.post("/api/reports", data={"category": "unsafe_place", "when": "night", "why": why,
                                                 **TORG}).status_code == 201
    staff = {"Authorization": f"Bearer {create_token(client.app.state.context.store, 'planner')}"}
    summary = client.get("/api/unsafe-places", headers=staff).json()
    torg = next(zone for zone in summary["zones"] if zone["zone_id"] == "stora-torg")
    assert summary["total"] == 3 and summary["suppressed_below"] is None
    assert torg["why"] == {"lighting": 2, "people": 1, "hidden_view": 0, "traffic": 0, "other": 0}
    assert torg["when"] == {"day": 0, "evening": 0, "night": 3}
    public = client.get("/api/unsafe-places").json()  # counts below k = 3 are null for the public
    torg = next(zone for zone in public["zones"] if zone["zone_id"] == "stora-torg")
    assert public["total"] == 3 and public["suppressed_below"] == 3 and torg["count"] == 3
    assert torg["why"] == dict.fromkeys(["lighting", "people", "hidden_view", "traffic", "other"])
    assert torg["when"] == {"day": None, "evening": None, "night": 3}
    assert client.get("/api/layers/reports").json()["numberMatched"] == 0


def test_rate_limit_answers_429_with_retry_after(db):
    settings = Settings(store=StoreSettings(db=db), reports=ReportSettings(rate_limit=3))
    with TestClient(create_app(settings), headers=ENGLISH) as client:
        codes = [client.post("/api/reports", data={"category": "litter", **TORG}).status_code for _ in range(4)]
        refused = client.post("/api/reports", data={"category": "litter", **TORG})
    assert codes == [201, 201, 201, 429] and refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 and stored(db) == 3


def test_staff_move_reports_forward_only(client, db):
    report = client.post("/api/reports", data={"category": "graffiti", **TORG}).json()["id"]
    staff = {"Authorization": f"Bearer {create_token(SQLiteStore(db), 'municipality')}"}
    police = {"Authorization": f"Bearer {create_token(SQLiteStore(db), 'police')}"}
    url = f"/api/reports/{report}"
    assert client.patch(url, json={"status": "acknowledged"}).status_code == 401
    assert client.patch(url, json={"status": "acknowledged"}, headers=police).status_code == 403
    assert client.patch(url, json={"status": "acknowledged"}, headers=staff).json()["status"] == "acknowledged"
    backwards = client.patch(url, json={"status": "open"}, headers=staff)
    assert backwards.status_code == 409 and "can only move on" in backwards.json()["detail"]
    assert backwards.json()["code"] == "conflict" and backwards.json()["current"] == {"status": "acknowledged"}
    no_reason = client.patch(url, json={"status": "closed"}, headers=staff)
    assert no_reason.status_code == 422 and "close_reason" in no_reason.json()["detail"]
    closed = client.patch(url, json={"status": "closed", "close_reason": "sanerat"}, headers=staff).json()
    assert closed["status"] == "closed" and closed["close_reason"] == "sanerat" and closed["closed_at"].endswith("Z")
    assert client.patch("/api/reports/nope", json={"status": "closed"}, headers=staff).status_code == 404
    unsafe = client.post("/api/reports", data={"category": "unsafe_place", **TORG}).json()["id"]
    refused = client.patch(f"/api/reports/{unsafe}", json={"status": "acknowledged"}, headers=staff)
    assert refused.status_code == 422 and "no staff workflow" in refused.json()["detail"]


def test_removal_rounds_close_what_they_covered_and_count_against_the_promise(client, db):
    from geo.layers import REPORTS as LAYER

    staff = {"Authorization": f"Bearer {create_token(SQLiteStore(db), 'municipality')}"}
    graffiti_torg = client.post("/api/reports", data={"category": "graffiti", **TORG}).json()["id"]
    weeds_torg = client.post("/api/reports", data={"category": "weeds", **TORG}).json()["id"]
    graffiti_station = client.post("/api/reports", data={"category": "graffiti", "lat": "56.6700",
                                                         "lon": "12.8640"}).json()["id"]
    today = local_today().isoformat()
    body = {"date": today, "category": "graffiti", "zones": ["stora-torg"]}
    assert client.post("/api/removal-rounds", json=body).status_code == 401
    for bad, message in (({**body, "category": "litter"}, "not one of graffiti, weeds"),
                         ({**body, "zones": ["atlantis"]}, "unknown zones atlantis"),
                         ({**body, "date": "2199-01-01"}, "in the future"),
                         ({**body, "date": "0001-01-01"}, "outside the supported dates")):
        response = client.post("/api/removal-rounds", json=bad, headers=staff)
        assert response.status_code == 422 and message in response.json()["detail"]
    done = client.post("/api/removal-rounds", json=body, headers=staff)
    assert done.status_code == 201 and done.json()["closed_reports"] == [graffiti_torg]
    status = SQLiteStore(db).read_features(LAYER).set_index("id")["status"]
    assert status[graffiti_torg] == "closed" and status[weeds_torg] == "open" and status[graffiti_station] == "open"
    year = int(today[:4])
    figures = client.get(f"/api/removal-rounds?year={year}", headers=staff).json()["categories"]["graffiti"]
    assert figures["rounds"] == 1 and not figures["promise_met"] and figures["reports_closed"] == 1
    assert figures["open_backlog"]["resecentrum"] == 1 and figures["open_backlog"]["stora-torg"] == 0
    assert client.post("/api/removal-rounds", json={"date": today, "category": "graffiti"}, headers=staff).json()[
        "closed_reports"] == [graffiti_station]
    # a second part of the day's round, in other zones, is the same round: one a day counts
    assert client.get(f"/api/removal-rounds?year={year}").json()["categories"]["graffiti"]["rounds"] == 1

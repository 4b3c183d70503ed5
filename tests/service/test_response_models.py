"""The documented answers (service/responses.py) are the real ones: every covered endpoint, called
through the real app on the synthetic demo data and on an empty store, anonymously and with staff
tokens, answers JSON that its model validates (strict, no member the model lacks) and that the
schema in /openapi.json validates; and /openapi.json names the model for each of them."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from typing import get_args, get_origin

import pytest
from fastapi.testclient import TestClient
from jsonschema_rs import Draft202012Validator
from PIL import Image
from pydantic import TypeAdapter

from geo.timestamps import LOCAL_TZ
from service.app import create_app
from service.auth import create_token
from service.responses import (OGCCollection, OGCCollections, OGCConformance, OGCFeature, OGCFeatureCollection,
                               OGCLanding, OGCQueryables)
from service.responses import BeforeAfter, Outcomes
from service.responses import (CameraFigures, CameraWhatIf, EventCreated, EventFigures, Health, LampWhatIf, Lagesbild,
                               LayerCollection, LightingCoverageReport, ModerationFlags, ModerationState, Open311Discovery,
                               Open311Request, Open311RequestCreated, Open311Service,
                               Open311ServiceDefinition, PatrolCoverageReport, PatrolImport,
                               PromiseComparison, PromiseStatusRecorded, PromiseTracker, PromiseYears, PurpleFlagPage,
                               RemovalFigures,
                               RemovalRoundRecorded, ReportCreated, ReportMerged, ReportSupported, ReportUpdated,
                               SurveyFigures, SurveyImported, UnsafePlaces, ZoneCollection)
from service.settings import ReportSettings, Settings, StoreSettings
from service.store import SQLiteStore
from tests.conftest import ZONES_FILE
from tests.languages import ENGLISH

COVERED = {
    ("get", "/health"): ("200", Health),
    ("get", "/api/zones"): ("200", ZoneCollection),
    ("get", "/api/layers/{layer}"): ("200", LayerCollection),
    ("post", "/api/reports"): ("201", ReportCreated),
    ("patch", "/api/reports/{report_id}"): ("200", ReportUpdated),
    ("post", "/api/reports/{report_id}/support"): ("200", ReportSupported),
    ("post", "/api/reports/{report_id}/moderation"): ("200", ModerationFlags),
    ("get", "/api/reports/{report_id}/moderation"): ("200", ModerationState),
    ("post", "/api/reports/{report_id}/merge"): ("200", ReportMerged),
    ("get", "/api/unsafe-places"): ("200", UnsafePlaces),
    ("post", "/api/patrols"): ("201", PatrolImport),
    ("post", "/api/removal-rounds"): ("201", RemovalRoundRecorded),
    ("get", "/api/removal-rounds"): ("200", RemovalFigures),
    ("get", "/api/coverage/patrol"): ("200", PatrolCoverageReport),
    ("get", "/api/coverage/lighting"): ("200", LightingCoverageReport),
    ("get", "/api/coverage/lighting/what-if"): ("200", LampWhatIf),
    ("get", "/api/promises"): ("200", PromiseYears),
    ("get", "/api/promises/{year}"): ("200", PromiseTracker),
    ("get", "/api/promises/compare"): ("200", PromiseComparison),
    ("post", "/api/promises/{year}/{promise_id}/status"): ("201", PromiseStatusRecorded),
    ("get", "/api/purple-flag/{year}"): ("200", PurpleFlagPage),
    ("get", "/api/lagesbild"): ("200", Lagesbild),
    ("post", "/api/survey"): ("201", SurveyImported),
    ("get", "/api/survey"): ("200", SurveyFigures),
    ("get", "/api/cameras/figures"): ("200", CameraFigures),
    ("get", "/api/cameras/what-if"): ("200", CameraWhatIf),
    ("post", "/api/cameras/what-if"): ("200", CameraWhatIf),
    ("post", "/api/events"): ("201", EventCreated),
    ("get", "/api/events"): ("200", EventFigures),
    ("get", "/api/outcomes"): ("200", Outcomes),
    ("post", "/api/outcomes/before-after"): ("200", BeforeAfter),
    ("get", "/open311/v2/discovery.json"): ("200", Open311Discovery),
    ("get", "/open311/v2/services.json"): ("200", list[Open311Service]),
    ("get", "/open311/v2/services/{service_code}.json"): ("200", Open311ServiceDefinition),
    ("post", "/open311/v2/requests.json"): ("201", list[Open311RequestCreated]),
    ("get", "/open311/v2/requests.json"): ("200", list[Open311Request]),
    ("get", "/open311/v2/requests/{service_request_id}.json"): ("200", list[Open311Request]),
    ("get", "/ogc"): ("200", OGCLanding),
    ("get", "/ogc/conformance"): ("200", OGCConformance),
    ("get", "/ogc/collections"): ("200", OGCCollections),
    ("get", "/ogc/collections/{collection_id}"): ("200", OGCCollection),
    ("get", "/ogc/collections/{collection_id}/queryables"): ("200", OGCQueryables),
    ("get", "/ogc/collections/{collection_id}/items"): ("200", OGCFeatureCollection),
    ("get", "/ogc/collections/{collection_id}/items/{feature_id}"): ("200", OGCFeature),
}
JSON_TYPES = {"application/json", "application/geo+json", "application/schema+json"}
"""The JSON media types of answers (an answer may also come as a page, text/html)."""
"""Operation -> (success status, documented model) for every JSON answer of the API."""

TORG = {"lat": "56.6745", "lon": "12.8575"}
IN_2020 = "start_date=2020-01-01T00:00:00%2B01:00&end_date=2020-12-31T23:59:59%2B01:00"
"""The demo year's service requests (without dates, Open311 answers the last 90 days)."""


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory, zones, demo_year):
    """The app over the synthetic demo data (patrol pings of 10 February – 22 March only, enough
    for the lägesbild of 2020-W12 and fast to store), with police and municipality tokens."""
    from service.demo import store_demo

    data = demo_year
    local = data.pings["timestamp"].dt.tz_convert(LOCAL_TZ)
    data = replace(data, pings=data.pings[(local >= "2020-02-10") & (local < "2020-03-23")])
    path = tmp_path_factory.mktemp("responses") / "demo.sqlite"
    store_demo(SQLiteStore(path), data, 2020, 2020, zones["zone_id"].tolist())
    settings = Settings(store=StoreSettings(db=path), reports=ReportSettings(rate_limit=1000))
    with TestClient(create_app(settings), headers=ENGLISH) as client:
        store = client.app.state.context.store
        client.tokens = {role: create_token(store, role) for role in ("police", "municipality")}
        yield client


def headers(client: TestClient, role: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens[role]}"} if role else {}


def documented(client: TestClient, method: str, path: str) -> tuple[str, dict]:
    """The success status and its JSON schema in /openapi.json, made self-contained (its
    ``#/components/...`` references resolve in it)."""
    doc = client.get("/openapi.json").json()
    status, _ = COVERED[(method, path)]
    [schema] = [c["schema"] for kind, c in doc["paths"][path][method]["responses"][status]["content"].items()
                if kind in JSON_TYPES]
    return status, {**schema, "components": doc["components"]}


def check(client: TestClient, method: str, path: str, answer) -> dict | list:
    """Assert ``answer`` is the documented success answer of ``method`` ``path``: its model and its
    schema in /openapi.json both validate the JSON; return the JSON."""
    status, schema = documented(client, method, path)
    assert answer.status_code == int(status), answer.text
    body = answer.json()
    TypeAdapter(COVERED[(method, path)][1]).validate_python(body)  # strict, extra="forbid"
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}"
              for e in Draft202012Validator(schema).iter_errors(body)]
    assert not errors, errors[:5]
    return body


def test_openapi_names_the_model_of_every_json_answer(client):
    doc = client.get("/openapi.json").json()
    photo = doc["paths"]["/api/reports/{report_id}/photo"]["get"]["responses"]["200"]
    assert set(photo["content"]) == {"image/jpeg", "image/png"}, "a photo is documented as an image, not JSON"
    seen = set()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                json_answer = JSON_TYPES & set(response.get("content", {}))
                if not status.startswith("2") or not json_answer:
                    continue
                assert (method, path) in COVERED, f"{method.upper()} {path}: no documented model"
                expected_status, model = COVERED[(method, path)]
                assert status == expected_status
                listed = get_origin(model) is list
                name = (get_args(model)[0] if listed else model).__name__
                [schema] = [c["schema"] for kind, c in response["content"].items() if kind in JSON_TYPES]
                ref = {"$ref": f"#/components/schemas/{name}"}
                assert schema == ({"type": "array", "items": ref} if listed else ref), (method, path)
                assert name in doc["components"]["schemas"] and response["description"] != "Successful Response"
                seen.add((method, path))
    assert seen == set(COVERED)


DEMO_READS = [
    ("/health", None, "/health"),
    ("/api/zones", None, "/api/zones"),
    ("/api/layers/{layer}", None, "/api/layers/incidents?limit=50"),
    ("/api/layers/{layer}", "police", "/api/layers/incidents?limit=50"),
    ("/api/layers/{layer}", None, "/api/layers/incidents?bbox=12.85,56.67,12.87,56.68&limit=5"),
    ("/api/layers/{layer}", None, "/api/layers/lights?limit=1000"),
    ("/api/layers/{layer}", None, "/api/layers/reports?limit=1000"),
    ("/api/layers/{layer}", "municipality", "/api/layers/reports?limit=1000"),
    ("/api/layers/{layer}", "police", "/api/layers/patrols?start=2020-03-01&end=2020-03-02&limit=5"),
    ("/api/layers/{layer}", None, "/api/layers/lights?start=1990-01-01&end=1990-01-02"),
    ("/api/unsafe-places", None, "/api/unsafe-places"),
    ("/api/unsafe-places", "municipality", "/api/unsafe-places"),
    ("/api/removal-rounds", None, "/api/removal-rounds?year=2020"),
    ("/api/removal-rounds", "municipality", "/api/removal-rounds?year=2020"),
    ("/api/removal-rounds", None, "/api/removal-rounds?year=2019"),
    ("/api/coverage/patrol", None, "/api/coverage/patrol?year=2020&as_of=2020-03-22"),
    ("/api/coverage/patrol", None, "/api/coverage/patrol?year=2019"),
    ("/api/coverage/lighting", None, "/api/coverage/lighting"),
    ("/api/coverage/lighting", None, "/api/coverage/lighting?incidents_year=2020"),
    ("/api/coverage/lighting/what-if", None, "/api/coverage/lighting/what-if?lon=12.8634&lat=56.66981"),
    ("/api/promises", None, "/api/promises"),
    ("/api/promises/{year}", None, "/api/promises/2020"),
    ("/api/promises/compare", None, "/api/promises/compare"),
    ("/api/promises/{year}", None, "/api/promises/2020?as_of=2020-03-22"),
    ("/api/purple-flag/{year}", None, "/api/purple-flag/2020?as_of=2020-03-22"),
    ("/api/lagesbild", None, "/api/lagesbild?week=2020-W12"),
    ("/api/events", None, "/api/events?year=2020"),
    ("/api/layers/{layer}", None, "/api/layers/events?limit=1000"),
    ("/api/lagesbild", "municipality", "/api/lagesbild?week=2020-W12"),
    ("/api/lagesbild", None, "/api/lagesbild?week=2020-W01"),
    ("/api/survey", None, "/api/survey"),
    ("/api/survey", "municipality", "/api/survey?year=2020"),
    ("/api/outcomes", None, "/api/outcomes?year=2020"),
    ("/api/outcomes", "municipality", "/api/outcomes?year=2020&zone=stora-torg"),
    ("/open311/v2/discovery.json", None, "/open311/v2/discovery.json"),
    ("/open311/v2/services.json", None, "/open311/v2/services.json"),
    ("/open311/v2/services/{service_code}.json", None, "/open311/v2/services/graffiti.json"),
    ("/open311/v2/services/{service_code}.json", None, "/open311/v2/services/weeds.json"),
    ("/open311/v2/requests.json", None, f"/open311/v2/requests.json?{IN_2020}"),
    ("/open311/v2/requests.json", None, f"/open311/v2/requests.json?status=open&{IN_2020}"),
    ("/open311/v2/requests.json", None, f"/open311/v2/requests.json?extensions=true&page=2&page_size=5&{IN_2020}"),
    ("/open311/v2/requests.json", None, f"/open311/v2/requests.json?lat=56.6745&long=12.8575&radius=300&{IN_2020}"),
    ("/ogc", None, "/ogc"),
    ("/ogc/conformance", None, "/ogc/conformance"),
    ("/ogc/collections", None, "/ogc/collections"),
    ("/ogc/collections", "police", "/ogc/collections"),
    ("/ogc/collections/{collection_id}", None, "/ogc/collections/incidents"),
    ("/ogc/collections/{collection_id}/queryables", None, "/ogc/collections/reports/queryables"),
    ("/ogc/collections/{collection_id}/queryables", None, "/ogc/collections/streets/queryables"),
    *(("/ogc/collections/{collection_id}/items", role, f"/ogc/collections/{name}/items?limit=1000")
      for name, role in (("zones", None), ("streets", None), ("incidents", None), ("incidents", "police"),
                         ("lights", None), ("reports", "municipality"))),
    ("/ogc/collections/{collection_id}/items", "police", "/ogc/collections/patrols/items?limit=20"),
    ("/ogc/collections/{collection_id}/items", None,
     "/ogc/collections/zones/items?crs=http://www.opengis.net/def/crs/EPSG/0/3006"),
    ("/ogc/collections/{collection_id}/items/{feature_id}", None, "/ogc/collections/zones/items/slottet"),
]


@pytest.mark.parametrize("path, role, url", DEMO_READS,
                         ids=[f"{url} {role or 'anonymous'}" for _, role, url in DEMO_READS])
def test_demo_answers_are_documented(demo_client, path, role, url):
    body = check(demo_client, "get", path, demo_client.get(url, headers=headers(demo_client, role)))
    assert body, "an answer with something in it"


def test_a_demo_service_request_is_documented(demo_client):
    for status in ("open", "closed"):
        first = demo_client.get(f"/open311/v2/requests.json?status={status}&{IN_2020}").json()[0]["service_request_id"]
        check(demo_client, "get", "/open311/v2/requests/{service_request_id}.json",
              demo_client.get(f"/open311/v2/requests/{first}.json"))


def test_demo_answers_cover_the_variants(demo_client):
    """The demo answers hold what the models' optional and nullable members are for."""
    tracker = demo_client.get("/api/promises/2020?as_of=2020-03-22").json()["promises"]
    pending = {p["details"].get("note") for p in tracker if p["status"] == "not measurable yet"}
    assert pending == {"ingen status registrerad ännu"}
    assert {k for p in tracker for k in p["supporting"]} == {"purple_flag_bands", "unsafe_places", "incident_hotspots",
                                                             "survey", "camera_views"}
    coverage = demo_client.get("/api/coverage/patrol?year=2020&as_of=2020-03-22").json()
    assert coverage["hotspots"] and "street_covered_share" in coverage["zones"][0]
    assert demo_client.get("/api/coverage/patrol?year=2019").json()["centre"]["target_h"] is None
    public = demo_client.get("/api/unsafe-places").json()
    assert public["suppressed_below"] and any(z["count"] is None for z in public["zones"])


def test_a_demo_before_after_is_documented(demo_client):
    for role, question in ((None, {"area": {"zone": "stora-torg"}}),
                           ("police", {"area": {"geometry": {"type": "Point", "coordinates": [12.8575, 56.6745]},
                                                "buffer_m": 100}, "comparison": {"zone": "nissan"},
                                       "layers": ["incidents", "unsafe_places"]})):
        body = check(demo_client, "post", "/api/outcomes/before-after", demo_client.post(
            "/api/outcomes/before-after", json={"at": "2020-06-01", "days": 30, **question},
            headers=headers(demo_client, role)))
        assert body["layers"] and all(layer["caveats"] for layer in body["layers"].values())


def test_demo_writes_are_documented(demo_client):
    municipality, police = headers(demo_client, "municipality"), headers(demo_client, "police")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(buffer, "PNG")
    first = check(demo_client, "post", "/api/reports", demo_client.post(
        "/api/reports", data={"category": "graffiti", "description": "Klotter", **TORG},
        files={"photo": ("klotter.png", buffer.getvalue(), "image/png")}))
    again = check(demo_client, "post", "/api/reports",
                  demo_client.post("/api/reports", data={"category": "graffiti", **TORG}))
    assert first["photo"] and again["photo"] is None and first["id"] in again["possible_duplicates"]
    check(demo_client, "post", "/api/reports", demo_client.post(
        "/api/reports", data={"category": "unsafe_place", "when": "night", "why": "people", **TORG}))

    supported = check(demo_client, "post", "/api/reports/{report_id}/support",
                      demo_client.post(f"/api/reports/{again['id']}/support"))
    assert supported == {"id": again["id"], "supporters": 1}
    third = check(demo_client, "post", "/api/reports",
                  demo_client.post("/api/reports", data={"category": "graffiti", **TORG}))
    merged = check(demo_client, "post", "/api/reports/{report_id}/merge", demo_client.post(
        f"/api/reports/{third['id']}/merge", json={"into": again["id"]}, headers=municipality))
    assert merged["status"] == "closed" and merged["supporters"] == 2

    patch = f"/api/reports/{first['id']}"
    acknowledged = check(demo_client, "patch", "/api/reports/{report_id}",
                         demo_client.patch(patch, json={"status": "acknowledged"}, headers=municipality))
    closed = check(demo_client, "patch", "/api/reports/{report_id}",
                   demo_client.patch(patch, json={"status": "closed", "close_reason": "sanerat"}, headers=municipality))
    assert acknowledged["closed_at"] is None and closed["closed_at"] and closed["close_reason"] == "sanerat"
    moderation = f"/api/reports/{first['id']}/moderation"
    hidden = check(demo_client, "post", "/api/reports/{report_id}/moderation", demo_client.post(
        moderation, json={"action": "hide_text", "reason": "personuppgifter"}, headers=municipality))
    state = check(demo_client, "get", "/api/reports/{report_id}/moderation",
                  demo_client.get(moderation, headers=municipality))
    assert hidden["text_hidden"] and state["history"][0]["reason"] == "personuppgifter"

    recorded = check(demo_client, "post", "/api/removal-rounds", demo_client.post(
        "/api/removal-rounds", json={"date": "2020-10-01", "category": "graffiti", "zones": ["stora-torg"]},
        headers=municipality))
    assert recorded["closed_reports"]
    check(demo_client, "post", "/api/promises/{year}/{promise_id}/status", demo_client.post(
        "/api/promises/2020/evenemang/status", json={"date": "2020-03-01", "status": "on track", "note": "Planerat."},
        headers=municipality))
    event = check(demo_client, "post", "/api/events", demo_client.post("/api/events", json={
        "name": "Konsert", "starts_at": "2020-08-08T20:00", "ends_at": "2020-08-08T23:00", "place": "nissan"},
        headers=municipality))
    assert event["source"] == "staff" and not event["has_area"]

    [created] = check(demo_client, "post", "/open311/v2/requests.json", demo_client.post(
        "/open311/v2/requests.json", data={"service_code": "graffiti", "lat": TORG["lat"], "long": TORG["lon"],
                                           "attribute[surface]": "bro"}))
    [answered] = check(demo_client, "get", "/open311/v2/requests/{service_request_id}.json",
                       demo_client.get(f"/open311/v2/requests/{created['service_request_id']}.json?extensions=true"))
    assert answered["attributes"] == [{"code": "surface", "value": "bro"}]
    check(demo_client, "get", "/open311/v2/requests.json", demo_client.get("/open311/v2/requests.json?status=closed"))

    points = "".join(f'<trkpt lat="56.6745" lon="{12.8575 + i * 1e-5:.5f}"><time>2020-03-01T20:{i:02d}:00Z</time>'
                     "</trkpt>" for i in range(10))
    gpx = ('<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
           f"<trk><trkseg>{points}</trkseg></trk></gpx>").encode()
    upload = {"files": {"file": ("track.gpx", gpx, "application/gpx+xml")}, "data": {"mode": "foot", "unit": "p1"},
              "headers": police}
    imported = check(demo_client, "post", "/api/patrols", demo_client.post("/api/patrols", **upload))
    repeated = check(demo_client, "post", "/api/patrols", demo_client.post("/api/patrols", **upload))
    assert imported["imported"] == 10 and repeated["skipped"] == {"already stored": 10}

    survey = ("year,area,question,question_text,share,answers\n"
              "2019,centrum,otrygg_platser,Finns det platser i centrum där du känner dig otrygg?,74 %,1160\n").encode()
    stored = check(demo_client, "post", "/api/survey", demo_client.post(
        "/api/survey", files={"file": ("enkat-2019.csv", survey, "text/csv")}, headers=municipality))
    assert stored["year"] == 2019 and stored["results"] == 1


EMPTY_READS = [
    ("/health", "/health"),
    ("/api/layers/{layer}", "/api/layers/reports"),
    ("/api/unsafe-places", "/api/unsafe-places"),
    ("/api/removal-rounds", "/api/removal-rounds?year=2020"),
    ("/api/coverage/patrol", "/api/coverage/patrol?year=2020"),
    ("/api/coverage/lighting", "/api/coverage/lighting"),
    ("/api/promises/{year}", "/api/promises/2020"),
    ("/api/events", "/api/events?year=2020"),
    ("/api/lagesbild", "/api/lagesbild?week=2020-W12"),
    ("/open311/v2/requests.json", "/open311/v2/requests.json"),
]


@pytest.mark.parametrize("path, url", EMPTY_READS, ids=[url for _, url in EMPTY_READS])
def test_answers_of_an_empty_store_are_documented(client, path, url):
    check(client, "get", path, client.get(url))


def test_an_empty_store_follows_the_programme_without_a_lighting_trend(client):
    [lighting] = [p for p in client.get("/api/promises/2020").json()["promises"] if p["kind"] == "lighting"]
    assert lighting["details"]["compliance"] is None and "chart" not in lighting
    assert lighting["details"]["programme"]["adopt_by"] == "2020-11-30"


def test_patrol_coverage_without_a_streets_file_is_documented(tmp_path, make_settings):
    zones = shutil.copy(ZONES_FILE, tmp_path / "zones.geojson")  # no streets.geojson beside it
    with TestClient(create_app(make_settings(zones=zones)), headers=ENGLISH) as client:
        body = check(client, "get", "/api/coverage/patrol", client.get("/api/coverage/patrol?year=2020"))
    assert "street_covered_share" not in body["zones"][0]

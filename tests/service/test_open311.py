"""Open311 GeoReport v2 through the real app: services, a round trip, filters and the error list."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo.layers import REPORTS
from service.app import create_app
from service.cli import app as cli
from service.settings import Settings, StoreSettings
from service.store import SQLiteStore

V2 = "/open311/v2"
TORG = {"lat": "56.6740", "long": "12.8572"}


@pytest.fixture
def db(tmp_path):
    return tmp_path / "open311.sqlite"


@pytest.fixture
def client(db):
    with TestClient(create_app(Settings(store=StoreSettings(db=db)))) as test_client:
        yield test_client


def test_services_list_the_report_categories_without_unsafe_places(client):
    services = client.get(f"{V2}/services.json").json()
    codes = [s["service_code"] for s in services]
    assert codes == ["graffiti", "weeds", "litter", "broken_light", "other"]
    assert all({"service_name", "description", "metadata", "type", "keywords", "group"} <= set(s) for s in services)


def test_submit_and_read_back(client):
    posted = client.post(f"{V2}/requests.json", data={"service_code": "graffiti", "description": "Tags på bron",
                                                      "email": "anna@example.org",
                                                      "media_url": "https://example.org/bild.jpg", **TORG})
    assert posted.status_code == 201
    (created,) = posted.json()
    request_id = created["service_request_id"]
    (one,) = client.get(f"{V2}/requests/{request_id}.json").json()
    assert one["service_code"] == "graffiti" and one["status"] == "open" and one["description"] == "Tags på bron"
    assert one["lat"] == 56.674 and one["long"] == 12.8572 and one["agency_responsible"] == "Halmstads kommun"
    assert one["media_url"] == "https://example.org/bild.jpg"
    assert one["requested_datetime"][-6:] in ("+01:00", "+02:00"), "local time with its offset"
    listing = client.get(f"{V2}/requests.json")
    assert [r["service_request_id"] for r in listing.json()] == [request_id]
    assert "anna@example.org" not in listing.text and "anna@example.org" not in posted.text


def test_filters(client):
    for code in ("graffiti", "litter", "litter"):
        assert client.post(f"{V2}/requests.json", data={"service_code": code, **TORG}).status_code == 201
    assert len(client.get(f"{V2}/requests.json?service_code=litter").json()) == 2
    assert len(client.get(f"{V2}/requests.json?service_code=litter,graffiti").json()) == 3
    assert len(client.get(f"{V2}/requests.json?status=closed").json()) == 0
    assert len(client.get(f"{V2}/requests.json?status=open").json()) == 3
    assert len(client.get(f"{V2}/requests.json?start_date=2000-01-01T00:00:00Z&end_date=2001-01-01").json()) == 0
    assert len(client.get(f"{V2}/requests.json?start_date=2000-01-01T00:00:00Z").json()) == 3


@pytest.mark.parametrize("form, status, text", [
    ({"service_code": "ufo", **TORG}, 400, "service_code 'ufo' not found"),
    ({"service_code": "unsafe_place", **TORG}, 400, "not found"),
    ({"service_code": "graffiti", "address_string": "Storgatan 1"}, 400, "address_string alone"),
    ({"service_code": "graffiti", "lat": "56.60", "long": "12.85"}, 400, "outside the stadskärna"),
    ({"service_code": "graffiti", "media_url": "file:///etc/passwd", **TORG}, 400, "media_url"),
    ({"service_code": "graffiti", "api_key": "wrong", **TORG}, 403, "api_key not recognised"),
    ({"lat": "56.674"}, 400, "service_code"),
])
def test_errors_are_the_specs_list_and_store_nothing(client, db, form, status, text):
    response = client.post(f"{V2}/requests.json", data=form)
    assert response.status_code == status
    (error,) = response.json()
    assert error["code"] == status and text in error["description"]
    assert SQLiteStore(db).count(REPORTS) == 0


def test_unknown_request_is_404_in_the_specs_format(client):
    response = client.get(f"{V2}/requests/nope.json")
    assert response.status_code == 404 and response.json() == [
        {"code": 404, "description": "service_request_id 'nope' not found"}]


def test_a_registered_client_is_recorded(client, db):
    result = CliRunner().invoke(cli, ["token", "open311-client", "Halmstad-appen", "--db", str(db)])
    assert result.exit_code == 0
    key = result.stdout.strip().splitlines()[-1]
    assert client.post(f"{V2}/requests.json", data={"service_code": "litter", "api_key": key, **TORG}).status_code == 201
    assert SQLiteStore(db).read_features(REPORTS)["source"].tolist() == ["open311:Halmstad-appen"]
    again = CliRunner().invoke(cli, ["token", "open311-client", "Halmstad-appen", "--db", str(db)])
    assert again.exit_code == 2 and "exists" in again.output


def test_updated_datetime_is_the_latest_change_in_the_reports_history(client, db):
    import pandas as pd

    from service.reports import change_status
    from service.store import Actor

    request_id = client.post(f"{V2}/requests.json", data={"service_code": "weeds", **TORG}).json()[0]["service_request_id"]
    first = client.get(f"{V2}/requests/{request_id}.json").json()[0]
    assert first["updated_datetime"] == first["requested_datetime"]
    change_status(SQLiteStore(db), request_id, "acknowledged", Actor("municipality", "t"),
                  now=pd.Timestamp("2031-05-04T10:00:00Z"))
    updated = client.get(f"{V2}/requests/{request_id}.json").json()[0]
    assert updated["updated_datetime"] == "2031-05-04T12:00:00+02:00" and updated["status"] == "open"

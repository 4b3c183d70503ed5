"""Text that staff write (a close reason, a promise status note) follows the same rule as every
stored text: a control or bidirectional character is refused with 422 naming the field, and a
change can never store a record that would break reading the layer for everyone else."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from geo.layers import REPORTS
from service.app import create_app
from service.auth import create_token
from service.settings import ReportSettings, Settings, StoreSettings
from tests.conftest import gdal_like_connection
from tests.languages import ENGLISH

TORG = {"category": "graffiti", "lat": "56.6744", "lon": "12.8578"}
BAD = ["sanerat \u200e", "sanerat \u202e", "sanerat \x07", "sanerat \u200b"]


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(Settings(store=StoreSettings(db=tmp_path / "t.sqlite"),
                                        reports=ReportSettings(rate_limit=1000))), headers=ENGLISH) as test_client:
        yield test_client


@pytest.mark.parametrize("reason", BAD)
def test_a_bad_close_reason_is_refused_and_the_layer_stays_readable(client, reason):
    staff = {"Authorization": f"Bearer {create_token(client.app.state.context.store, 'municipality')}"}
    report = client.post("/api/reports", data=TORG).json()["id"]
    refused = client.patch(f"/api/reports/{report}", headers=staff, json={"status": "closed", "close_reason": reason})
    assert refused.status_code == 422 and "close_reason" in refused.json()["detail"]
    assert client.post("/api/reports", data=TORG).status_code == 201, "citizens can still report"
    assert client.get("/api/layers/reports").status_code == 200
    assert client.app.state.context.store.read_features(REPORTS).set_index("id").loc[report, "status"] == "open"


def test_a_close_reason_is_stored_in_nfc_with_line_ends_normalised(client):
    staff = {"Authorization": f"Bearer {create_token(client.app.state.context.store, 'municipality')}"}
    report = client.post("/api/reports", data=TORG).json()["id"]
    done = client.patch(f"/api/reports/{report}", headers=staff,
                        json={"status": "closed", "close_reason": "Sane\u0301rat\r\nrad två"})
    assert done.status_code == 200 and done.json()["close_reason"] == "Sanérat\nrad två"


@pytest.mark.parametrize("note", ["Beslut \u202e", "Beslut \x00", "Beslut \ufeff"])
def test_a_bad_promise_status_note_is_refused(client, note):
    staff = {"Authorization": f"Bearer {create_token(client.app.state.context.store, 'municipality')}"}
    answer = client.post("/api/promises/2020/evenemang/status", headers=staff,
                         json={"date": "2020-06-01", "status": "met", "note": note})
    assert answer.status_code == 422 and "note" in answer.json()["detail"]
    assert client.get("/api/promises/2020?as_of=2020-12-31").status_code == 200


def test_a_record_that_cannot_be_read_is_a_fault_of_the_service_not_of_the_request(client, tmp_path):
    client.post("/api/reports", data=TORG)
    with gdal_like_connection(tmp_path / "t.sqlite") as con:  # another program writes what no import accepts
        con.execute("UPDATE reports SET description = 'x' || char(7)")
    answer = TestClient(client.app, raise_server_exceptions=False, headers=ENGLISH).get("/api/layers/reports")
    assert answer.status_code == 500 and answer.json()["code"] == "internal"
    assert "char" not in answer.text and "row" not in answer.json()["detail"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")

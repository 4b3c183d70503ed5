"""Errors in the language asked for, through the real app: Swedish unless ``Accept-Language``
prefers English, on the service's own paths, Open311's and OGC API's; numbers with a decimal comma
in Swedish; ``Content-Language`` and ``Vary: Accept-Language`` on every error answer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from geo.layers import REPORTS
from service.app import create_app
from service.i18n import negotiate
from service.settings import ReportSettings, Settings, StoreSettings
from tests.languages import ENGLISH

TORG = {"lat": "56.6740", "lon": "12.8572"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """A client that sends no Accept-Language: it gets Swedish."""
    settings = Settings(store=StoreSettings(db=tmp_path_factory.mktemp("languages") / "db.sqlite"),
                        reports=ReportSettings(rate_limit=100, max_photo_mb=0.2))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize("header, language", [
    (None, "sv"), ("", "sv"), ("sv", "sv"), ("sv-SE,sv;q=0.9", "sv"), ("en", "en"), ("en-GB", "en"), ("EN-us", "en"),
    ("en;q=0.1, sv;q=0.9", "sv"), ("sv;q=0.5, en;q=0.8", "en"), ("de", "sv"), ("de, en;q=0.5", "en"),
    ("*", "sv"), ("sv;q=0, *", "en"), ("en;q=0", "sv"), ("en;q=oops", "sv"), ("en, sv", "sv")])
def test_swedish_unless_english_is_preferred(header, language):
    assert negotiate(header) == language


def detail(response) -> str:
    assert response.headers["vary"] == "Accept-Language"
    return response.json()["detail"]


def test_an_error_is_swedish_by_default_and_english_when_asked(client):
    swedish = client.get("/api/layers/nope")
    assert swedish.status_code == 404 and swedish.headers["content-language"] == "sv"
    assert detail(swedish).startswith("inget lager 'nope': lagren är ") and swedish.json()["code"] == "not_found"
    english = client.get("/api/layers/nope", headers=ENGLISH)
    assert english.headers["content-language"] == "en"
    assert detail(english).startswith("no layer 'nope': the layers are ")
    assert detail(english).split(" are ")[1] == detail(swedish).split(" är ")[1]  # the layers' names stay codes


@pytest.mark.parametrize("header, start", [
    ("sv-SE,sv;q=0.9", "inget lager"), ("en;q=0.1, sv;q=0.9", "inget lager"), ("de", "inget lager"),
    ("en-GB,en;q=0.9", "no layer"), ("de, en;q=0.5", "no layer")])
def test_the_language_follows_the_accept_language_header(client, header, start):
    assert detail(client.get("/api/layers/nope", headers={"Accept-Language": header})).startswith(start)


def test_the_field_of_invalid_input_is_named_in_swedish_and_its_code_stays(client):
    answer = client.post("/api/reports", data={"category": "ufo", **TORG})
    assert answer.status_code == 422 and answer.json()["field"] == "category"
    choices = next(spec.choices for spec in REPORTS.fields if spec.name == "category")
    assert detail(answer) == f"fält 'category': 'ufo' är inte ett av {', '.join(choices)}"


def test_a_number_in_a_swedish_message_has_a_decimal_comma(client):
    photo = {"photo": ("x.jpg", b"\xff\xd8\xff" + b"0" * 210_000)}
    swedish = client.post("/api/reports", data={"category": "graffiti", **TORG}, files=photo)
    assert swedish.status_code == 422
    assert detail(swedish) == "fält 'photo': fotot är 0,2 MB; högst 0,2 MB tas emot"
    english = client.post("/api/reports", data={"category": "graffiti", **TORG}, files=photo, headers=ENGLISH)
    assert detail(english) == "field 'photo': the photo is 0.2 MB; at most 0.2 MB is accepted"


def test_request_validation_is_translated_by_the_kind_of_problem(client):
    answer = client.get("/api/layers/incidents", params={"limit": "many"})
    assert answer.status_code == 422 and detail(answer) == "query limit: förväntade ett heltal"
    english = client.get("/api/layers/incidents", params={"limit": "0"}, headers=ENGLISH)
    assert detail(english) == "query limit: must be at least 1"
    assert detail(client.get("/api/coverage/patrol")) == "query year: krävs"


def test_the_frameworks_own_errors_and_credentials_in_swedish(client):
    assert detail(client.get("/no/such/path")) == "Finns inte"
    assert detail(client.get("/no/such/path", headers=ENGLISH)) == "Not Found"
    refused = client.get("/api/lagesbild?week=2020-W12", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and detail(refused) == "okänd, utgången eller återkallad token"


def test_open311_errors_are_translated_in_json_and_xml(client):
    form = {"service_code": "ufo", "lat": TORG["lat"], "long": TORG["lon"], "description": "x"}
    swedish = client.post("/open311/v2/requests.json", data=form)
    assert swedish.status_code == 400 and swedish.headers["vary"] == "Accept-Language"
    assert swedish.json() == [{"code": 400, "description": "fält 'service_code': service_code 'ufo' finns inte; "
                                                          "se services"}]
    english = client.post("/open311/v2/requests.xml", data=form, headers=ENGLISH)
    assert english.headers["content-language"] == "en"
    assert "<description>field 'service_code': service_code 'ufo' not found; see services</description>" in english.text


def test_ogc_errors_are_translated(client):
    swedish = client.get("/ogc/collections/nope")
    assert swedish.status_code == 404 and swedish.headers["vary"] == "Accept-Language"
    assert swedish.json() == {"code": "not_found", "description": "ingen samling 'nope'; se /ogc/collections"}
    english = client.get("/ogc/collections/incidents/items", params={"limit": "0"}, headers=ENGLISH)
    assert english.status_code == 400
    assert english.json()["description"] == "query limit: must be at least 1"


def test_an_error_page_is_swedish_whatever_the_client_asks_for(client):
    page = client.get("/reports/r-nope", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "ingen anmälan &#39;r-nope&#39;" in page.text and "no report" not in page.text

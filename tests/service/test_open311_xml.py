"""Open311 GeoReport v2 in XML: every endpoint's XML answer is valid against an XML schema written
from the spec's element lists and order (georeport_v2.xsd), holds what its JSON answer holds,
element for member in the same order, keeps hostile text as text — and every error on an
Open311 path (400, 401, 403, 404, 405, 413, 429, 503), the framework's own included, is the
spec's error list in the path's format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from geo.layers import REPORTS, validate
from service.app import create_app
from service.auth import create_open311_key
from service.settings import ReportSettings, Settings, StoreSettings
from service.store import SQLiteStore, Unavailable
from tests.languages import ENGLISH

V2 = "/open311/v2"
TORG = {"lat": "56.6740", "long": "12.8572"}
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("georeport_v2.xsd"))))
LISTS = {"services", "service_requests", "errors", "attributes", "values", "endpoints", "formats"}
"""The spec's elements whose children are the items of a list (in JSON, an array)."""
HOSTILE = "Klotter <b>&amp;</b> ]]> \"'{{7*7}} <![CDATA[ x ]]> <?php ?> slut"


def app(folder: Path, rate_limit: int = 1000):
    return create_app(Settings(store=StoreSettings(db=folder / "x.gpkg"), reports=ReportSettings(rate_limit=rate_limit)))


@pytest.fixture
def client(tmp_path):
    with TestClient(app(tmp_path), headers=ENGLISH) as test_client:
        yield test_client


def parsed(response) -> etree._Element:
    """The XML answer, checked against the schema; its declaration says UTF-8."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    document = etree.fromstring(response.content, etree.XMLParser(resolve_entities=False, no_network=True))
    SCHEMA.assertValid(document)
    return document


def as_json(element: etree._Element) -> object:
    """An element as the JSON member it stands for: a list for the spec's lists, an object of its
    children (in order, as pairs) otherwise, and its text ('' when empty) for a leaf."""
    if element.tag in LISTS:
        return [as_json(child) for child in element]
    if len(element):
        return [(child.tag, as_json(child)) for child in element]
    return element.text or ""


def textual(value: object) -> object:
    """A JSON answer in the form of :func:`as_json`: leaves as XML text (true/false, '' for null)."""
    if isinstance(value, list):
        return [textual(item) for item in value]
    if isinstance(value, dict):
        return [(key, textual(member)) for key, member in value.items()]
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def both(client: TestClient, path: str, **kwargs) -> tuple:
    """The JSON and the XML answers of ``path`` (without its ending)."""
    json_answer = client.get(f"{V2}/{path}.json", **kwargs)
    xml_answer = client.get(f"{V2}/{path}.xml", **kwargs)
    assert json_answer.status_code == xml_answer.status_code
    return json_answer, xml_answer


def test_every_endpoint_answers_the_same_in_xml_and_json(client):
    created = client.post(f"{V2}/requests.xml", data={"service_code": "graffiti", "description": HOSTILE,
                                                      "attribute[surface]": "bro", **TORG})
    assert created.status_code == 201
    [[(_, request_id), *rest]] = as_json(parsed(created))
    assert rest == [("service_notice", ""), ("account_id", "")]
    roots = {"discovery": "discovery", "services": "services", "services/graffiti": "service_definition",
             "services/broken_light": "service_definition", "services/weeds": "service_definition",
             "requests": "service_requests", "requests?extensions=true": "service_requests",
             f"requests/{request_id}": "service_requests", f"requests/{request_id}?extensions=true": "service_requests"}
    for path, root in roots.items():
        endpoint, _, query = path.partition("?")
        json_answer, xml_answer = both(client, endpoint, params=dict([query.split("=")]) if query else None)
        document = parsed(xml_answer)
        assert document.tag == root
        assert as_json(document) == textual(json_answer.json()), path


def test_citizen_text_stays_text_in_xml(client):
    client.post(f"{V2}/requests.json", data={"service_code": "litter", "description": HOSTILE + "\ufffe", **TORG})
    [request] = parsed(client.get(f"{V2}/requests.xml"))
    assert request.findtext("description") == HOSTILE + "\ufffd", \
        "markup is text; a code point XML cannot hold shows as U+FFFD"
    assert client.get(f"{V2}/requests.json").json()[0]["description"] == HOSTILE + "\ufffe"


def test_an_empty_list_is_an_empty_root(client):
    assert as_json(parsed(client.get(f"{V2}/requests.xml"))) == []


def test_stored_requests_of_every_kind_are_valid(client, tmp_path):
    """Closed with a reason, acknowledged, with a media_url, with attributes: all valid XML."""
    now = pd.Timestamp.now(tz="UTC")
    raw = pd.DataFrame([
        {"id": "a", "category": "graffiti", "status": "closed", "created_at": now - pd.Timedelta(days=3),
         "closed_at": now - pd.Timedelta(days=1), "close_reason": "sanerat", "attributes": '{"surface":"fasad"}'},
        {"id": "b", "category": "weeds", "status": "acknowledged", "created_at": now - pd.Timedelta(days=2),
         "photo": "https://example.org/b.jpg"},
        {"id": "c", "category": "broken_light", "status": "scheduled", "created_at": now - pd.Timedelta(days=1),
         "attributes": '{"fault":"släckt"}'}]).assign(lon=12.8572, lat=56.674)
    raw[["created_at", "closed_at"]] = raw[["created_at", "closed_at"]].astype(str).replace("NaT", None)
    SQLiteStore(tmp_path / "x.gpkg").write_features(REPORTS, validate(REPORTS, raw, "test"))
    json_answer, xml_answer = both(client, "requests", params={"extensions": "true"})
    assert as_json(parsed(xml_answer)) == textual(json_answer.json())
    assert [(r["status"], r["status_notes"], r["media_url"]) for r in json_answer.json()] == [
        ("open", None, None), ("open", None, "https://example.org/b.jpg"), ("closed", "sanerat", None)]


def error_of(response, status: int, fmt: str) -> str:
    """The one error of an answer in the spec's list, in ``fmt``; its description."""
    assert response.status_code == status, response.text
    if fmt == "xml":
        [error] = parsed(response)
        assert error.tag == "error" and error.findtext("code") == str(status)
        return error.findtext("description")
    assert response.headers["content-type"] == "application/json"
    [error] = response.json()
    assert set(error) == {"code", "description"} and error["code"] == status
    return error["description"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_every_error_is_the_specs_list_in_the_paths_format(client, fmt):
    post = {"service_code": "litter", **TORG}
    cases = [
        (client.get(f"{V2}/requests.{fmt}?status=pending"), 400, "status"),
        (client.post(f"{V2}/requests.{fmt}", data={"lat": "56.674"}), 400, "service_code"),
        (client.get(f"{V2}/services.{fmt}", headers={"Authorization": "Bearer nope"}), 401, "token"),
        (client.post(f"{V2}/requests.{fmt}", data=post | {"api_key": "nope"}), 403, "api_key not recognised"),
        (client.get(f"{V2}/requests/nope.{fmt}"), 404, "service_request_id 'nope' not found"),
        (client.get(f"{V2}/services/ufo.{fmt}"), 404, "service_code 'ufo' not found"),
        (client.get(f"{V2}/foo.{fmt}"), 404, "Not Found"),
        (client.get(f"{V2}/requests/a/b.{fmt}"), 404, "Not Found"),
        (client.delete(f"{V2}/requests.{fmt}"), 405, "Method Not Allowed"),
        (client.post(f"{V2}/services.{fmt}"), 405, "Method Not Allowed"),
        (client.post(f"{V2}/requests.{fmt}", content=b"x" * 70_000,
                     headers={"Content-Type": "application/x-www-form-urlencoded"}), 413, "larger than"),
    ]
    for response, status, text in cases:
        assert text in error_of(response, status, fmt), (status, text)
    assert client.delete(f"{V2}/requests.{fmt}").headers["allow"] == "GET, POST, HEAD"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_too_many_submissions_are_the_specs_list_in_the_paths_format(tmp_path, fmt):
    with TestClient(app(tmp_path, rate_limit=2), headers=ENGLISH) as client:
        post = {"service_code": "litter", **TORG}
        assert [client.post(f"{V2}/requests.{fmt}", data=post).status_code for _ in range(2)] == [201, 201]
        limited = client.post(f"{V2}/requests.{fmt}", data=post)
    assert "too many reports" in error_of(limited, 429, fmt) and int(limited.headers["retry-after"]) > 0


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_busy_store_is_a_503_in_the_paths_format(client, monkeypatch, fmt):
    def busy(*args, **kwargs):
        raise Unavailable("the database is busy with other writes; try again shortly", 2)

    monkeypatch.setattr(client.app.state.context.store, "query_features", busy)
    response = client.get(f"{V2}/requests.{fmt}")
    assert "busy" in error_of(response, 503, fmt) and response.headers["retry-after"] == "2"


def test_a_registered_app_submits_in_xml(client, tmp_path):
    key = create_open311_key(SQLiteStore(tmp_path / "x.gpkg"), "Appen")
    created = client.post(f"{V2}/requests.xml", data={"service_code": "weeds", "api_key": key, **TORG})
    assert created.status_code == 201 and parsed(created)[0].findtext("service_request_id").startswith("r-")
    assert SQLiteStore(tmp_path / "x.gpkg").read_features(REPORTS)["source"].tolist() == ["open311:Appen"]


def test_the_xml_endpoints_are_documented_as_xml(client):
    paths = client.get("/openapi.json").json()["paths"]
    xml_paths = [path for path in paths if path.startswith(V2) and path.endswith(".xml")]
    assert sorted(xml_paths) == sorted(path.replace(".json", ".xml") for path in paths
                                       if path.startswith(V2) and path.endswith(".json"))
    assert len(xml_paths) == 5
    for path in xml_paths:
        for method, operation in paths[path].items():
            for status, answer in operation["responses"].items():
                assert set(answer["content"]) == {"text/xml"}, (method, path, status)

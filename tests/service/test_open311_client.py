"""A real Open311 client against the real service: the ``georeport`` package (PyPI), in its XML
and its JSON mode, against uvicorn serving a temporary database — the service list, a service
definition, the requests and one request by id.

georeport 0.3.1 cannot create requests (its README says so), so the test submits the way an
Open311 app does — a form-encoded POST with ``requests``, the HTTP library georeport itself
uses, its XML answer read with ``xmltodict`` as georeport reads XML — and then reads the request
back through georeport."""

from __future__ import annotations

import pytest
import requests
import xmltodict
from georeport import GeoReport

from geo.layers import FAULT_CATEGORIES, REPORT_CATEGORY_NAMES
from geo.report_attributes import REPORT_ATTRIBUTES
from service.app import create_app
from service.settings import Settings, StoreSettings

TORG = {"lat": "56.6740", "long": "12.8572"}


@pytest.fixture
def root(tmp_path, serve) -> str:
    """The Open311 endpoint's base address on a running server."""
    return serve(create_app(Settings(store=StoreSettings(db=tmp_path / "client.gpkg")))) + "/open311/v2"


def listed(value: object) -> list:
    """xmltodict makes one element a dict and several a list: always a list."""
    return value if isinstance(value, list) else [value]


def submit(root: str, fmt: str, form: dict) -> str:
    """Submit a request as an Open311 app does; its service_request_id."""
    response = requests.post(f"{root}/requests.{fmt}", data=form, timeout=30)
    assert response.status_code == 201, response.text
    if fmt == "xml":
        return xmltodict.parse(response.content)["service_requests"]["request"]["service_request_id"]
    return response.json()[0]["service_request_id"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_georeport_lists_defines_submits_and_reads(root, fmt):
    client = GeoReport(root, output_format=fmt)

    services = client.get_service_list()
    assert [(s["service_code"], s["service_name"]) for s in services] == [
        (code, REPORT_CATEGORY_NAMES[code]) for code in FAULT_CATEGORIES]
    metadata = {s["service_code"]: str(s["metadata"]).lower() for s in services}
    assert {code for code, value in metadata.items() if value == "true"} == set(REPORT_ATTRIBUTES)

    definition = client.get_service_definition("graffiti")
    [surface] = definition["attributes"] if fmt == "json" else listed(definition["attributes"]["attribute"])
    values = surface["values"] if fmt == "json" else listed(surface["values"]["value"])
    assert surface["code"] == "surface" and [(v["key"], v["name"]) for v in values] == list(
        REPORT_ATTRIBUTES["graffiti"][0].values.items())

    first = submit(root, fmt, {"service_code": "graffiti", "description": "Klotter på bänken", "attribute[surface]": "bänk",
                               "email": "anna@example.org", "first_name": "Anna", "device_id": "telefon-1", **TORG})
    second = submit(root, fmt, {"service_code": "broken_light", "attribute[fault]": "släckt",
                                "media_url": "https://example.org/lampa.jpg", **TORG})

    one = client.get_service_request(first)
    assert (one["service_request_id"], one["service_code"], one["status"], one["description"]) == (
        first, "graffiti", "open", "Klotter på bänken")
    assert float(one["lat"]) == 56.674 and float(one["long"]) == 12.8572
    assert one["requested_datetime"][-6:] in ("+01:00", "+02:00")

    newest_first = listed(client.get_service_requests())
    assert [r["service_request_id"] for r in newest_first] == [second, first]
    assert listed(client.get_service_requests(service_code="broken_light", status="open"))[0]["media_url"] == \
        "https://example.org/lampa.jpg"
    by_ids = listed(client.get_service_requests(service_request_id=f"{first},{second}"))
    assert {r["service_request_id"] for r in by_ids} == {first, second}
    window = listed(client.get_service_requests(start_date="2020-01-01T00:00:00Z", end_date="2100-01-01T00:00:00Z",
                                                service_code="graffiti"))
    assert [r["service_request_id"] for r in window] == [first]
    for request in newest_first:
        assert not {"anna@example.org", "Anna", "telefon-1"} & {str(v) for v in request.values()}

"""The report page's Swedish texts for the API's errors, and the errors' ``field`` they rest on."""

from __future__ import annotations

import json
import re

from service.report_page import PAGE_ERRORS

OUTSIDE = {"category": "graffiti", "lat": "57.5", "lon": "12.8"}
TORG = {"category": "graffiti", "lat": "56.6740", "lon": "12.8572"}


def page_config(client) -> dict:
    page = client.get("/report").text
    return json.loads(re.search(r'<script type="application/json" id="config">(.*?)</script>', page, re.S).group(1))


def test_an_invalid_report_names_its_field_and_the_page_has_swedish_text_for_it(client):
    errors = page_config(client)["errors"]
    assert errors == PAGE_ERRORS
    for form, field in ((OUTSIDE, "lat/lon"), (TORG | {"email": "a@b"}, "email"),
                        (TORG | {"description": "x" * 1001}, "description"), (TORG | {"category": "x"}, "category")):
        answer = client.post("/api/reports", data=form)
        assert answer.status_code == 422
        body = answer.json()
        assert (body["code"], body["field"]) == ("invalid", field)
        assert f"invalid:{field}" in errors


def test_errors_without_a_field_have_none(client):
    body = client.get("/api/layers/nothing").json()
    assert body["code"] == "not_found" and "field" not in body
    assert {"network", "error", "rate_limited", "too_large", "invalid"} <= set(PAGE_ERRORS)

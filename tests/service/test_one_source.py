"""One source for each fact: the yearly targets come from the year's promises file (not the code),
and the categories' Swedish names from geo.layers wherever people see them."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from geo.layers import FAULT_CATEGORIES, REPORT_CATEGORY_NAMES, UNSAFE_WHEN_NAMES, UNSAFE_WHY_NAMES
from service.app import create_app
from tests.conftest import ROOT

SHIPPED = (ROOT / "data" / "medborgarloften" / "2020.yaml").read_text(encoding="utf-8")


def client_with(make_settings, folder):
    settings = make_settings()
    settings.promises.dir = folder
    return TestClient(create_app(settings))


def test_the_targets_are_the_promises_files(make_settings, tmp_path):
    (tmp_path / "2020.yaml").write_text(SHIPPED.replace("target_h: 900", "target_h: 450")
                                        .replace("target_rounds: 2", "target_rounds: 3"), encoding="utf-8")
    with client_with(make_settings, tmp_path) as client:
        centre = client.get("/api/coverage/patrol?year=2020").json()["centre"]
        assert centre["target_h"] == 450 and centre["status"] == "not met" and centre["expected_h_pro_rata"] == 450
        rounds = client.get("/api/removal-rounds?year=2020").json()
        assert {c["promised_rounds"] for c in rounds["categories"].values()} == {3}
        tracker = {p["kind"]: p for p in client.get("/api/promises/2020").json()["promises"]}
        assert tracker["patrol_presence"]["target"] == 450 and tracker["removal_rounds"]["target"] == 3


def test_a_year_without_a_promise_has_figures_but_no_target_or_status(make_settings, tmp_path):
    with client_with(make_settings, tmp_path) as client:
        centre = client.get("/api/coverage/patrol?year=2020").json()["centre"]
        assert centre["target_h"] is None and centre["status"] is None and centre["presence_h"] == 0
        rounds = client.get("/api/removal-rounds?year=2020").json()
        assert all(c["promised_rounds"] is None and c["promise_met"] is None for c in rounds["categories"].values())


def test_open311_and_the_report_page_name_the_categories_from_one_list(client):
    services = client.get("/open311/v2/services.json").json()
    assert [(s["service_code"], s["service_name"]) for s in services] == [
        (code, REPORT_CATEGORY_NAMES[code]) for code in FAULT_CATEGORIES]
    page = client.get("/report").text
    config = json.loads(re.search(r'<script type="application/json" id="config">(.*?)</script>', page, re.S).group(1))
    assert config["categories"] == [[code, REPORT_CATEGORY_NAMES[code]] for code in FAULT_CATEGORIES]
    assert config["when"] == [list(item) for item in UNSAFE_WHEN_NAMES.items()]
    assert config["why"] == [list(item) for item in UNSAFE_WHY_NAMES.items()]
    assert "Klotter" not in page.split('id="config"')[0], "the page's markup names no category itself"

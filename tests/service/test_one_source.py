"""One source for each fact: the yearly targets come from the year's promises file (not the code),
the categories' Swedish names from geo.layers wherever people see them, and the Open311
attributes (questions) with their values' names from geo.report_attributes."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from geo.layers import FAULT_CATEGORIES, REPORT_CATEGORY_NAMES, UNSAFE_WHEN_NAMES, UNSAFE_WHY_NAMES
from geo.report_attributes import REPORT_ATTRIBUTES
from service.app import create_app
from tests.conftest import ROOT
from tests.languages import ENGLISH

SHIPPED = (ROOT / "data" / "medborgarloften" / "2020.yaml").read_text(encoding="utf-8").replace(
    "      programme: belysningsprogram-2020.yaml\n", "")  # copied alone: the lighting programme's file stays behind


def client_with(make_settings, folder):
    settings = make_settings()
    settings.promises.dir = folder
    return TestClient(create_app(settings), headers=ENGLISH)


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


def test_the_promises_file_chooses_the_hours_it_counts_and_how_the_zones_share_them(make_settings, tmp_path, zones):
    """A foot patrol of two standing an hour on Stora Torg and a marked car parked half an hour:
    1 unit-hour, 2 officer-hours, 1.5 unit-hours with vehicles — as the year's file says."""
    from service.auth import create_token

    torg = zones.set_index("zone_id").geometry["stora-torg"].representative_point()
    start = pd.Timestamp("2020-03-02T19:00:00Z")
    pings = pd.concat([
        pd.DataFrame({"unit_id": "fot-1", "timestamp": start + pd.to_timedelta(range(3601), unit="s"),
                      "mode": "foot", "crew": 2}),
        pd.DataFrame({"unit_id": "bil-1", "timestamp": start + pd.to_timedelta(range(1801), unit="s"),
                      "mode": "car", "crew": 2})]).assign(lon=torg.x, lat=torg.y)
    pings["timestamp"] = pings["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    upload = pings.to_csv(index=False).encode()
    counted = {"unit": ("hours: unit", "vehicles: false", 1.0), "officer": ("hours: officer", "vehicles: false", 2.0),
               "vehicles": ("hours: unit", "vehicles: true", 1.5)}
    for name, (hours, vehicles, expected_h) in counted.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "2020.yaml").write_text(SHIPPED.replace("hours: unit", hours).replace("vehicles: false", vehicles)
                                          .replace("by: area", "by: fixed\n        shares: {stora-torg: 1.0}"),
                                          encoding="utf-8")
        with client_with(make_settings, folder) as client:
            police = {"Authorization": f"Bearer {create_token(client.app.state.context.store, 'police')}"}
            if name == "unit":
                answer = client.post("/api/patrols", files={"file": ("p.csv", upload, "text/csv")}, headers=police)
                assert answer.status_code == 201, answer.text
            report = client.get("/api/coverage/patrol?year=2020").json()
            centre = report["centre"]
            assert centre["promise_h"] == pytest.approx(expected_h, abs=0.01), name
            assert (centre["presence_h"], centre["officer_h"], centre["vehicle_h"]) == pytest.approx((1.0, 2.0, 0.5), abs=0.01)
            assert centre["counts"]["hours"] == hours.split()[-1] and "synlig polisnärvaro" in centre["counts"]["reason"]
            assert report["zone_targets"] == "fixed"
            targets = {z["zone_id"]: z["target_h"] for z in report["zones"]}
            assert targets["stora-torg"] == 900 and sum(targets.values()) == 900
            torg_zone = next(z for z in report["zones"] if z["zone_id"] == "stora-torg")
            assert torg_zone["promise_h"] == pytest.approx(expected_h, abs=0.01)
            tracker = {p["kind"]: p for p in client.get("/api/promises/2020").json()["promises"]}["patrol_presence"]
            assert tracker["value"] == pytest.approx(expected_h, abs=0.1)
            assert tracker["details"]["counts"] == centre["counts"]
            page = client.get("/promises/2020").text
            assert ("polistimmar (en timme för varje polis" in page) == (name == "officer")
            assert ("fordon i gångfart medräknade" in page) == (name == "vehicles")
            police_map = client.get("/maps/police?year=2020", headers=police).text
            assert "fördelat enligt löftets tabell" in police_map


def test_a_promises_table_naming_zones_that_are_not_there_stops_the_service_starting(make_settings, tmp_path):
    from geo.errors import ValidationError

    (tmp_path / "2020.yaml").write_text(SHIPPED.replace("by: area", "by: fixed\n        shares: {torget: 1.0}"),
                                        encoding="utf-8")
    with pytest.raises(ValidationError) as error:
        with client_with(make_settings, tmp_path):
            pass
    assert str(error.value).startswith(f"{tmp_path / '2020.yaml'}, promise 1 (id 'polisnarvaro'), field "
                                       "'measure.zone_targets.shares': names torget, which are not zones")


def test_the_police_map_follows_an_edited_promises_file(make_settings, tmp_path):
    from service.auth import create_token

    promises = tmp_path / "2020.yaml"
    promises.write_text(SHIPPED, encoding="utf-8")
    with client_with(make_settings, tmp_path) as client:
        police = {"Authorization": f"Bearer {create_token(client.app.state.context.store, 'police')}"}
        assert "fördelat efter zonernas yta" in client.get("/maps/police?year=2020", headers=police).text
        assert client.get("/api/coverage/patrol?year=2020").json()["zone_targets"] == "area"
        promises.write_text(SHIPPED.replace("by: area", "by: fixed\n        shares: {stora-torg: 1.0}"), encoding="utf-8")
        assert "fördelat enligt löftets tabell" in client.get("/maps/police?year=2020", headers=police).text
        assert client.get("/api/coverage/patrol?year=2020").json()["zone_targets"] == "fixed"


def test_open311_attributes_and_their_swedish_names_come_from_one_table(client):
    """The service definitions are geo.report_attributes' table, and no other source file repeats
    a question or a value's Swedish name."""
    for code in FAULT_CATEGORIES:
        definition = client.get(f"/open311/v2/services/{code}.json").json()
        assert [(a["code"], a["description"], a["required"], [(v["key"], v["name"]) for v in a["values"]])
                for a in definition["attributes"]] == [
            (q.code, q.description, q.required, list(q.values.items())) for q in REPORT_ATTRIBUTES.get(code, ())]
    words = {q.description for questions in REPORT_ATTRIBUTES.values() for q in questions} | {
        name for questions in REPORT_ATTRIBUTES.values() for q in questions for name in q.values.values()
        if len(name) > 5}  # short names (Bro, Bänk) are ordinary words elsewhere
    table = ROOT / "geo" / "report_attributes.py"
    for path in [*(ROOT / "geo").rglob("*.py"), *(ROOT / "service").rglob("*.py"), *(ROOT / "service").rglob("*.html")]:
        if path != table:
            text = path.read_text(encoding="utf-8")
            assert not [word for word in words if word in text], path

"""The safety survey shown: in the promise tracker (JSON and page) beside the unsafe places, and on
the planner's map — over the demo year (its synthetic survey of 2020) with a survey of 2019 added."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from geo.demo_survey import PLACES_QUESTION, QUESTIONS, demo_survey
from service.app import create_app
from service.settings import Settings, StoreSettings
from service.store import SQLiteStore


@pytest.fixture(scope="module")
def client(tmp_path_factory, demo_year_db, demo_year, zones):
    db = demo_year_db(tmp_path_factory.mktemp("survey-pages"))
    SQLiteStore(db).replace_survey(2019, *demo_survey(zones, demo_year.lights, 2019), "x")
    with TestClient(create_app(Settings(store=StoreSettings(db=db))), headers={"Accept-Language": "en"}) as test_client:
        yield test_client


def supporting(client: TestClient) -> dict:
    tracker = client.get("/api/promises/2020").json()
    [plan] = [p for p in tracker["promises"] if p["id"] == "centrumutvecklingsplan"]
    return plan["supporting"]["survey"]


def test_the_tracker_gives_the_years_shares_with_intervals_and_changes(client):
    survey = supporting(client)
    assert survey["year"] == 2020 and survey["suppressed_below"] == 3 and survey["confidence"] == 0.95
    assert {r["question"] for r in survey["results"]} == set(QUESTIONS)
    centre = next(r for r in survey["results"] if r["area"] == "centrum" and r["question"] == PLACES_QUESTION)
    assert centre["answers"] == 1160 and centre["previous_year"] == 2019 and centre["source"] == "syntetiskt exempel"
    assert centre["low"] < centre["share"] < centre["high"]
    assert centre["change"] == pytest.approx(centre["share"] - centre["previous_share"], abs=1e-4)
    assert centre["change_low"] <= centre["change"] <= centre["change_high"]
    assert centre["within_noise"] == (centre["change_low"] <= 0 <= centre["change_high"])


def test_the_tracker_page_shows_the_survey_in_swedish(client):
    page = client.get("/promises/2020").text
    assert "Underlag: trygghetsmätningen 2020" in page and "Hela stadskärnan" in page
    assert "procentenheter mot 2019" in page and "Felmarginal (95 %)" in page
    assert "1\u202f160" in page, "answers with a Swedish thousands space"
    assert "Källa: syntetiskt exempel" in page and "SYNTETISKA DEMODATA" in page
    survey = supporting(client)
    shown = next(r for r in survey["results"] if r["area"] == "centrum" and r["question"] == PLACES_QUESTION)
    percent = f"{100 * shown['share']:.1f}".replace(".", ",").rstrip("0").rstrip(",")
    assert f"{percent} %" in page, "a decimal comma"
    if any(r["within_noise"] for r in survey["results"]):
        assert "inom felmarginalen" in page


def on_map(text: str, page: str) -> bool:
    """Whether ``text`` is on a folium page (its layers' names and data are JSON with \\u escapes)."""
    return json.dumps(text)[1:-1] in page or text in page


def test_the_planner_map_shows_the_zones_shares_and_the_marked_places(client):
    page = client.get("/maps/planner?year=2020").text
    first = sorted(QUESTIONS)[0]
    assert on_map("Trygghetsmätning 2020", page) and on_map(QUESTIONS[first][0], page)
    assert on_map("Platser markerade i trygghetsmätningen 2020", page) and on_map("syntetiskt exempel", page)
    chosen = client.get(f"/maps/planner?year=2020&question={PLACES_QUESTION}").text
    assert on_map(QUESTIONS[PLACES_QUESTION][0], chosen) and on_map("felmarginal", chosen)
    refused = client.get("/maps/planner?year=2020&question=finns_inte")
    assert refused.status_code == 422 and refused.json()["field"] == "question"
    assert PLACES_QUESTION in refused.json()["detail"]

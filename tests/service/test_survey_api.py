"""The safety survey at the edges: `stadskarna import survey`, POST /api/survey for municipality
staff (errors naming the uploaded file, row and field; nothing stored) and GET /api/survey (shares
with intervals, changes, marked places only as cells of at least k)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.app import create_app
from service.auth import create_token
from service.cli import app
from service.settings import Settings, StoreSettings
from tests.languages import SWEDISH_LOCALE

QUESTION = "Finns det platser i centrum där du känner dig otrygg?"


def results_csv(year: int, centre: str = "71 %", torg: str = "0,5", torg_answers: int = 120) -> bytes:
    return ("year,area,question,question_text,share,answers\n"
            f"{year},centrum,otrygg_platser,{QUESTION},{centre},1200\n"
            f"{year},stora-torg,otrygg_platser,{QUESTION},\"{torg}\",{torg_answers}\n"
            f"{year},nissan,otrygg_platser,{QUESTION},30 %,2\n").encode()


def places_csv(year: int) -> bytes:
    return ("lon,lat,count,year,question,note\n"
            f"12.8578,56.6744,4,{year},otrygg_platser,mörk gränd\n"
            f"12.8578,56.6744,1,{year},,\n"
            f"12.8650,56.6700,2,{year},,\n").encode()


@pytest.fixture
def client(tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "survey.gpkg"))
    with TestClient(create_app(settings), headers={"Accept-Language": "en"}) as test_client:
        store = test_client.app.state.context.store
        test_client.staff = {"Authorization": f"Bearer {create_token(store, 'municipality')}"}
        test_client.police = {"Authorization": f"Bearer {create_token(store, 'police')}"}
        yield test_client


def upload(client: TestClient, results: bytes, places: bytes | None = None, headers: dict | None = None,
           name: str = "enkat-2021.csv"):
    files = {"file": (name, results, "text/csv")}
    if places is not None:
        files["places"] = ("platser.csv", places, "text/csv")
    return client.post("/api/survey", files=files, headers=client.staff if headers is None else headers)


def test_staff_import_a_year_and_everyone_reads_it(client):
    assert client.get("/api/survey").status_code == 404
    done = upload(client, results_csv(2021), places_csv(2021))
    assert done.status_code == 201, done.text
    assert done.json() | {"summary": ""} == {"year": 2021, "file": "enkat-2021.csv", "results": 3, "places": 3,
                                             "replaced": 0, "summary": ""}
    assert "survey 2021 from enkat-2021.csv: 3 results and 3 marked places stored" in done.json()["summary"]
    public = client.get("/api/survey").json()
    assert public["year"] == 2021 and public["years"] == [2021] and public["suppressed_below"] == 3
    assert [r["area"] for r in public["results"]] == ["centrum", "stora-torg", "nissan"], "the centre, then zone order"
    by_area = {r["area"]: r for r in public["results"]}
    centre = by_area["centrum"]
    assert centre["name"] == "Hela stadskärnan" and centre["answers"] == 1200 and centre["share"] == 0.71
    assert centre["low"] == pytest.approx(0.6837, abs=1e-4) and centre["high"] == pytest.approx(0.735, abs=1e-4)
    assert centre["previous_year"] is None and centre["change"] is None and centre["source"] == "enkat-2021.csv"
    assert by_area["nissan"]["answers"] == 2 and by_area["nissan"]["share"] is None, "2 answers: fewer than k"
    counts = sorted(f["properties"]["count"] for f in public["places"]["features"])
    assert counts == [5], "4 + 1 marks share a cell; the lone cell of 2 is left out"
    staff = client.get("/api/survey?year=2021", headers=client.staff).json()
    assert {r["area"]: r["share"] for r in staff["results"]}["nissan"] == 0.3 and staff["suppressed_below"] is None
    assert sorted(f["properties"]["count"] for f in staff["places"]["features"]) == [2, 5]
    assert "mörk gränd" not in client.get("/api/survey", headers=client.staff).text, "notes are never answered"


def test_a_new_year_shows_its_change_and_a_reimport_replaces_only_its_year(client):
    upload(client, results_csv(2020, centre="60 %", torg="0,45"))
    upload(client, results_csv(2021), places_csv(2021))
    again = upload(client, results_csv(2021, centre="72 %"))
    assert again.json()["replaced"] == 6 and again.json()["places"] == 0
    answer = client.get("/api/survey").json()
    assert answer["years"] == [2020, 2021] and answer["places"]["features"] == []
    by_area = {r["area"]: r for r in answer["results"]}
    centre, torg = by_area["centrum"], by_area["stora-torg"]
    assert centre["previous_year"] == 2020 and centre["change"] == pytest.approx(0.12)
    assert centre["change_low"] < 0.12 < centre["change_high"] and centre["within_noise"] is False
    assert torg["change"] == pytest.approx(0.05) and torg["within_noise"] is True
    assert {r["area"]: r["share"] for r in client.get("/api/survey?year=2020").json()["results"]}["centrum"] == 0.6
    missing = client.get("/api/survey?year=2019")
    assert missing.status_code == 404 and "2020, 2021" in missing.json()["detail"]


def test_only_municipality_staff_import(client):
    assert upload(client, results_csv(2021), headers={}).status_code == 401
    assert upload(client, results_csv(2021), headers=client.police).status_code == 403
    assert client.get("/api/survey").status_code == 404, "nothing stored"


@pytest.mark.parametrize("results, places, file, where, field", [
    (results_csv(2021, torg="1,5"), None, "enkat-2021.csv", "row 3", "share"),
    (results_csv(2021, torg_answers=0), None, "enkat-2021.csv", "row 3", "answers"),
    (results_csv(2021), places_csv(2020), "platser.csv", "row 2", "year"),
    (results_csv(2021), b"lon,lat,count,year\n56.6744,12.8578,3,2021\n", "platser.csv", "row 2", "lat/lon"),
])
def test_a_bad_file_is_refused_naming_file_row_and_field_and_nothing_is_stored(client, results, places, file, where,
                                                                                 field):
    upload(client, results_csv(2021, centre="50 %"))
    refused = upload(client, results, places)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "invalid" and body["detail"].startswith(f"{file}, {where}, field '{field}'")
    assert "/tmp" not in body["detail"]
    assert {r["area"]: r["share"] for r in client.get("/api/survey").json()["results"]}["centrum"] == 0.5


def test_a_file_of_another_kind_is_refused(client):
    refused = upload(client, b"{}", name="enkat.json")
    assert refused.status_code == 422 and refused.json()["field"] == "file"


def test_the_command_line_imports_a_year_in_swedish(tmp_path):
    results, places = tmp_path / "enkat.csv", tmp_path / "platser.csv"
    results.write_bytes(results_csv(2021))
    places.write_bytes(places_csv(2021))
    db = tmp_path / "db.gpkg"
    english = CliRunner().invoke(app, ["import", "survey", str(results), "--places", str(places), "--db", str(db)])
    assert english.exit_code == 0, english.output
    assert "survey 2021 from enkat.csv: 3 results and 3 marked places stored, replacing 0 rows of 2021" in \
        " ".join(english.output.split())
    swedish = CliRunner().invoke(app, ["import", "survey", str(results), "--db", str(db)], env=SWEDISH_LOCALE)
    assert swedish.exit_code == 0, swedish.output
    assert "enkät 2021 från enkat.csv: 3 resultat och 0 markerade platser sparade, i stället för 6 rader från 2021" \
        in " ".join(swedish.output.split())
    results.write_bytes(results_csv(2021, torg="mycket"))
    refused = CliRunner().invoke(app, ["import", "survey", str(results), "--db", str(db)])
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "enkat.csv, row 3, field 'share'" in said and "nothing was imported" in said
    wrong = CliRunner().invoke(app, ["import", "incidents", str(results), "--places", str(places), "--db", str(db)])
    assert wrong.exit_code == 2 and "--places" in wrong.output

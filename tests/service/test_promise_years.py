"""The promises year after year on the two synthetic demo years, through the real app and the
command line: the tracker links the years and shows a carried-over promise's result the year
before, the comparison (page and JSON) reads each kind across the years, 2021 has fewer incidents
where 2020's measures acted, and the yearly report is written as PDF."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from typer.testing import CliRunner

from geo.demo import DEMO_YEARS
from geo.layers import INCIDENTS
from geo.status import STATUS_NAMES
from geo.swedish import sv_number, sv_signed
from geo.zones import zone_of
from service.app import create_app
from service.cli import app as cli
from service.promise_page import REPORT_MAPS
from service.settings import Settings, StoreSettings
from service.store import SQLiteStore
from tests.languages import ENGLISH


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, demo_year_db):
    return demo_year_db(tmp_path_factory.mktemp("years"))


@pytest.fixture(scope="module")
def client(demo_db):
    with TestClient(create_app(Settings(store=StoreSettings(db=demo_db))), headers=ENGLISH) as client:
        yield client


@pytest.fixture(scope="module")
def trackers(client) -> dict[int, dict]:
    return {year: client.get(f"/api/promises/{year}").json() for year in (2020, 2021)}


def test_the_tracker_links_the_years_and_a_carried_over_promise_shows_its_result_before(trackers):
    before, after = trackers[2020], trackers[2021]
    assert before["years"] == {"previous": None, "next": 2021}
    assert after["years"] == {"previous": 2020, "next": None}
    assert all("previous" not in p for p in before["promises"])
    earlier = {p["id"]: p for p in before["promises"]}
    carried = {p["id"]: p for p in after["promises"] if p["carried_over_from"]}
    assert set(carried) == {"kamerabevakning-ansokan", "polisnarvaro", "klotter-och-ogras", "stadning",
                            "centrumutvecklingsplan", "purple-flag", "evenemang"}
    for promise in carried.values():
        year, promise_id = promise["carried_over_from"].split("/")
        shown, then = promise["previous"], earlier[promise_id]
        assert shown["year"] == int(year) == 2020
        assert (shown["status"], shown["value"], shown["target"]) == (then["status"], then["value"], then["target"])
    assert carried["polisnarvaro"]["basis"]["kind"] == "carried_over"
    assert {p["id"]: p["basis"]["kind"] for p in after["promises"]}["kulturstraket-belysning"] == "public_source"


def test_2021s_staff_statuses_and_the_cultural_routes_programme_are_followed_up(trackers):
    promises = {p["id"]: p for p in trackers[2021]["promises"]}
    assert trackers[2021]["synthetic"]
    for promise_id in ("kamerabevakning-ansokan", "centrumutvecklingsplan", "purple-flag", "evenemang"):
        assert promises[promise_id]["history"], promise_id
        assert all(r["note"].startswith("SYNTETISKT EXEMPEL") for r in promises[promise_id]["history"])
    lighting = promises["kulturstraket-belysning"]
    assert lighting["details"]["goal"] == "carry_out" and lighting["details"]["programme"]["synthetic"]
    assert (lighting["value"], lighting["target"], lighting["status"]) == (2, 3, "not met")
    assert 800 <= promises["polisnarvaro"]["details"]["presence_h"] <= 1000, "2021's pings every 10 s count as 1 Hz"


def test_2021_has_fewer_incidents_in_the_zones_where_2020s_measures_acted(demo_db, zones):
    incidents = SQLiteStore(demo_db).read_features(INCIDENTS)
    zone = zone_of(zones, incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy())
    year = incidents["occurred_at"].dt.tz_convert("Europe/Stockholm").dt.year
    counts = pd.crosstab(pd.Series(zone, name="zone"), year.rename("year").to_numpy())
    acted = DEMO_YEARS[1].fewer_incidents
    assert acted and all(counts.loc[z, 2021] < counts.loc[z, 2020] for z in acted), counts


def test_the_comparison_reads_each_kind_across_the_years(client, trackers):
    comparison = client.get("/api/promises/compare").json()
    assert comparison["years"] == [2020, 2021] and comparison["synthetic"]
    kinds = {k["kind"]: k for k in comparison["kinds"]}
    assert list(kinds) == ["patrol_presence", "removal_rounds", "cleaning", "lighting", "events", "staff_status"]
    value = {year: {p["id"]: p for p in trackers[year]["promises"]} for year in (2020, 2021)}
    presence = kinds["patrol_presence"]
    [change] = presence["changes"]
    expected = value[2021]["polisnarvaro"]["value"] - value[2020]["polisnarvaro"]["value"]
    assert change["unit"] == "h" and change["difference"] == pytest.approx(expected, abs=1e-3)
    assert [y["year"] for y in presence["years"]] == [2020, 2021]
    assert presence["summary"][0].startswith("2020 lovade Polisen") and "900 h" in presence["summary"][0]
    assert presence["summary"][-1].startswith("Från 2020 till 2021: status "), presence["summary"]
    [lighting] = kinds["lighting"]["changes"]
    assert (lighting["from_id"], lighting["to_id"]) == ("belysningsprogram", "kulturstraket-belysning")
    assert lighting["difference"] is None, "a programme adopted and measures done are not one figure"
    staff = {(c["from_id"], c["to_id"]) for c in kinds["staff_status"]["changes"]}
    assert ("kamerabevakning", "kamerabevakning-ansokan") in staff and len(staff) == 3
    outcomes = comparison["outcomes"]
    assert [y["incidents"] for y in outcomes["years"]] == [trackers[year]["outcomes"]["centre"]["incidents"][0]
                                                           for year in (2020, 2021)]
    incidents = outcomes["years"][1]["incidents"]
    assert incidents["value"] == value[2021]["kamerabevakning-ansokan"]["supporting"]["incident_hotspots"]["incidents"]
    assert incidents["previous"] == outcomes["years"][0]["incidents"]["value"], "the year before, as counted in it"
    sentence = next(line for line in outcomes["summary"] if line.startswith("2021: ") and "brott med känd plats" in line)
    assert f"mot 2020, {sv_signed(100 * incidents['relative_change'], 1)} % per dag" in sentence
    assert outcomes["summary"][-1].startswith("Siffrorna visar vad som hänt, inte varför")
    evening = [next(r for r in y["survey"] if r["category"] == "otrygg_kvall") for y in outcomes["years"]]
    assert evening[1]["previous"] == evening[0]["value"] and evening[1]["answers"] > 0, "the centre's survey, year on year"
    said = next(line for line in outcomes["summary"] if line.startswith("2021: ") and evening[1]["name"] in line)
    assert f"{sv_number(100 * evening[1]['value'], 0)} % av {sv_number(evening[1]['answers'], 0)} svarande" in said
    assert f"{sv_signed(100 * evening[1]['change'], 1)} procentenheter mot 2020" in said


def test_the_comparison_of_chosen_years_and_its_errors(client):
    only = client.get("/api/promises/compare?years=2021").json()
    assert only["years"] == [2021] and all(k["changes"] == [] for k in only["kinds"])
    assert client.get("/api/promises/compare?years=2021,2020,2021").json()["years"] == [2020, 2021]
    missing = client.get("/api/promises/compare?years=2019,2020")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert missing.json()["detail"] == "no promises to follow up for 2019 (years with promises: 2020, 2021)"
    bad = client.get("/api/promises/compare?years=förra")
    assert bad.status_code == 422 and bad.json()["field"] == "years"
    assert client.get("/promises/compare?years=förra").status_code == 422


def test_the_pages_link_the_years_and_read_as_a_follow_up(client, trackers):
    page = client.get("/promises/2021").text
    assert 'href="/promises/2020" rel="prev"' in page and 'href="/promises/compare"' in page
    assert 'id="summary-heading">Sammanfattning</h2>' in page and "Vad som hände med tryggheten" in page
    assert "Löftet förs vidare från 2020" in page and "Resultat 2020: " in page
    assert "Löftet vilar på: förs över från året innan." in page
    compare = client.get("/promises/compare").text
    assert "SYNTETISKA DEMODATA" in compare and compare.count('<section class="kind"') == 6
    for name in ("Polisnärvaro", "Belysning", "Städning"):
        assert f">{name}</h2>" in compare
    presence = trackers[2021]["promises"][2]
    assert presence["id"] == "polisnarvaro" and STATUS_NAMES[presence["status"]] in compare
    assert 'href="/promises/2021#promise-kulturstraket-belysning"' in compare


def test_the_yearly_report_as_pdf_holds_the_summary_and_every_promise(demo_db, tmp_path, trackers):
    out = tmp_path / "uppfoljning-2021.pdf"
    result = CliRunner().invoke(cli, ["report", "2021", "-o", str(out), "--db", str(demo_db)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(out).pages).split())
    for heading in ("Medborgarlöftet 2021: uppföljning", "Sammanfattning", "Vad som lovades", "Vad som gjordes",
                    "Vad som hände med tryggheten", "Löftena ett för ett", "SYNTETISKA DEMODATA"):
        assert heading in text, heading
    for number, promise in enumerate(trackers[2021]["promises"], start=1):
        assert f"{number}. {promise['promised_by_name']}" in text
        assert re.sub(r"\s+", " ", promise["text"]) in text
    assert "Diagram: polisnärvaron ackumulerad" in text, "the charts' text alternatives"
    assert "Kartorna här är stillbilder" in text and "/maps/planner?year=2021" in text
    reader = PdfReader(out)
    images = list({image.data: image for page in reader.pages for image in page.images}.values())  # pages share resources
    assert len(images) == len(REPORT_MAPS), "one static image per map of the HTML report (the charts are vectors)"
    for image in images:  # drawn at A4 width, each a map with its legend
        assert image.image.width > 800 and image.image.height > 800
    for _, title in REPORT_MAPS:
        assert title in text, title
    alts = _alt_texts(reader.trailer["/Root"]["/StructTreeRoot"])
    maps = [alt for alt in alts if alt.startswith("Karta: ")]
    assert len(maps) == len(REPORT_MAPS), alts
    assert "färgade efter polisnärvaro 2021" in maps[0] and "modellerad belysningsstyrka" in maps[1]


def _alt_texts(node) -> list[str]:
    """The text alternatives (/Alt) in a tagged PDF's structure tree, in reading order."""
    node = node.get_object()
    if isinstance(node, list):
        return [alt for child in node for alt in _alt_texts(child)]
    if not isinstance(node, dict):
        return []
    return ([str(node["/Alt"])] if "/Alt" in node else []) + (_alt_texts(node["/K"]) if "/K" in node else [])

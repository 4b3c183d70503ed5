"""The promise tracker through the real app and the command: statuses from a small hand-made
store, recording staff statuses (roles, validation, history), a custom promises folder, the page
(escaped) and the stadskarna promises / report commands."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo.layers import LIGHTS, PINGS, REPORTS, validate
from geo.timestamps import LOCAL_TZ
from geo.zones import read_zones
from service.app import create_app
from service.auth import create_token
from service.cli import app as cli
from service.removal import record_round
from service.settings import Settings, StoreSettings
from service.store import Actor, SQLiteStore
from tests.conftest import ROOT, ZONES_FILE
from tests.languages import ENGLISH

SHIPPED = ROOT / "data" / "medborgarloften" / "2020.yaml"
IDS = ["polisnarvaro", "klotter-och-ogras", "stadning", "belysningsprogram", "centrumutvecklingsplan",
       "purple-flag", "evenemang", "kamerabevakning"]
STAFF = IDS[4:]
TORG = (12.8569, 56.6738)  # in stora-torg (P2)
STORGATAN = (12.8572, 56.67715)  # in storgatan-norre-port (P2), about 380 m north
STORGATAN_LAMP = (12.857991, 56.677141)  # over Storgatan's centre line, in storgatan-norre-port
runner = CliRunner()


def handmade_store(path) -> None:
    """Three hours of foot patrol on 1 January; litter reports closed in 2, 2, 22 and 1 days; a graffiti
    and a weeds report; removal rounds (graffiti 15 May and 1 Sep, weeds 2 Sep and 1 Oct); two strong
    lamps, one broken on 15 June, the other out from 20 July to 10 August by a confirmed report; a
    planned lamp that gives no light."""
    store = SQLiteStore(path)
    start = pd.Timestamp("2020-01-01T10:00:00", tz=LOCAL_TZ)
    store.write_pings(validate(PINGS, pd.DataFrame({
        "unit_id": "fot-1", "timestamp": start + pd.to_timedelta(range(0, 3 * 3600 + 1, 60), unit="s"),
        "mode": "foot", "lon": TORG[0], "lat": TORG[1]}), "test"))
    rows = [("l1", "litter", "2020-03-02T10:00:00+01:00", "2020-03-04T10:00:00+01:00", "closed", TORG),
            ("l2", "litter", "2020-03-10T10:00:00+01:00", "2020-03-12T10:00:00+01:00", "closed", TORG),
            ("l3", "litter", "2020-04-28T10:00:00+02:00", "2020-05-20T10:00:00+02:00", "closed", TORG),
            ("l4", "litter", "2020-11-01T10:00:00+01:00", "2020-11-02T10:00:00+01:00", "closed", TORG),
            ("g1", "graffiti", "2020-02-01T10:00:00+01:00", None, "open", TORG),
            ("w1", "weeds", "2020-04-01T10:00:00+02:00", None, "open", STORGATAN),
            ("lamp-out", "broken_light", "2020-07-20T20:00:00+02:00", "2020-08-10T10:00:00+02:00", "closed", TORG)]
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame(
        [{"id": i, "category": c, "created_at": t0, "closed_at": t1, "status": s, "lon": p[0], "lat": p[1]}
         for i, c, t0, t1, s, p in rows]), "test"))
    store.write_features(LIGHTS, validate(LIGHTS, pd.DataFrame([
        {"id": "torg", "lumen": 200_000, "height_m": 10, "status": "working", "lon": TORG[0], "lat": TORG[1]},
        {"id": "storgatan", "lumen": 200_000, "height_m": 10, "status": "broken",
         "updated_at": "2020-06-15T08:00:00+02:00", "lon": STORGATAN_LAMP[0], "lat": STORGATAN_LAMP[1]},
        {"id": "ny", "lumen": 200_000, "height_m": 10, "status": "planned", "lon": 12.8620, "lat": 56.6747},
    ]), "test"))
    zones = read_zones(ZONES_FILE)
    for day, category in ((date(2020, 5, 15), "graffiti"), (date(2020, 9, 1), "graffiti"),
                          (date(2020, 9, 2), "weeds"), (date(2020, 10, 1), "weeds")):
        record_round(store, zones, day, category, None, Actor("municipality", "test"))


@pytest.fixture(scope="module")
def handmade_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("promises") / "handmade.sqlite"
    handmade_store(path)
    return path


@pytest.fixture(scope="module")
def handmade(handmade_db):
    with TestClient(create_app(Settings(store=StoreSettings(db=handmade_db))), headers=ENGLISH) as test_client:
        yield test_client


def statuses(client, as_of: str) -> dict[str, str]:
    response = client.get(f"/api/promises/2020?as_of={as_of}")
    assert response.status_code == 200, response.text
    return {p["id"]: p["status"] for p in response.json()["promises"]}


EXPECTED = {  # as_of: presence (3 h on 1 Jan), rounds, cleaning, lighting (the programme: adopt by 30 Nov, adopted 24 Nov)
    "2020-01-01": ("on track", "on track", "not measurable yet", "on track"),   # 3 h ≥ 900/366 = 2.46 h
    "2020-04-30": ("behind", "on track", "on track", "on track"),               # l3 undecided: 2 of 2 in time
    "2020-06-30": ("behind", "on track", "behind", "on track"),                 # no round due yet; l3 late: 2/3
    "2020-08-31": ("behind", "behind", "behind", "on track"),                   # one round due, weeds had none
    "2020-09-30": ("behind", "on track", "behind", "on track"),                 # one round each
    "2020-12-31": ("not met", "met", "not met", "met"),                         # two each; 3 of 4 in time; adopted
}


@pytest.mark.parametrize("as_of", EXPECTED)
def test_each_promise_has_the_status_the_handmade_data_give(handmade, as_of):
    got = statuses(handmade, as_of)
    assert list(got) == IDS
    assert tuple(got[i] for i in IDS[:4]) == EXPECTED[as_of]
    assert all(got[i] == "not measurable yet" for i in STAFF), "no staff status recorded"


def alone(lonlat: tuple[float, float]) -> float:
    """The share of field area meeting its class with one lamp of the handmade store alone."""
    from geo.fields import field_figures, lit_surface, share_compliant
    from geo.lighting import PEDESTRIAN_CLASSES, illuminance_at
    from geo.streets import read_streets
    from tests.conftest import STREETS_FILE

    surface = lit_surface(read_zones(ZONES_FILE), read_streets(STREETS_FILE))
    lamp = validate(LIGHTS, pd.DataFrame([{"id": "a", "lumen": 200_000, "height_m": 10, "status": "working",
                                           "lon": lonlat[0], "lat": lonlat[1]}]), "test")
    lux = illuminance_at(lamp, surface.points["x"], surface.points["y"])
    return share_compliant(field_figures(surface.fields, surface.points, lux, PEDESTRIAN_CLASSES))


def test_values_details_and_charts_at_the_years_end(handmade):
    report = handmade.get("/api/promises/2020?as_of=2020-12-31").json()
    assert report["year"] == 2020 and report["as_of"] == "2020-12-31" and report["share_of_year_elapsed"] == 1
    assert report["synthetic"] is False and sum(report["status_counts"].values()) == 8
    assert report["status_counts"] == {"not measurable yet": 4, "not met": 2, "met": 2}
    p = {entry["id"]: entry for entry in report["promises"]}

    presence = p["polisnarvaro"]
    assert (presence["value"], presence["target"], presence["unit"]) == (3.0, 900, "h")
    assert presence["details"]["patrol_h"] == 3.0 and presence["details"]["drive_through_h"] == 0
    assert presence["chart"]["cumulative_h"][0] == 3.0 and presence["chart"]["cumulative_h"][-1] == 3.0
    assert len(presence["chart"]["days"]) == 366 and presence["chart"]["pro_rata_h"][-1] == 900

    rounds = p["klotter-och-ogras"]
    assert (rounds["value"], rounds["target"]) == (2, 2)
    per_category = rounds["details"]["per_category"]
    assert per_category["graffiti"] == {"rounds": 2, "dates": ["2020-05-15", "2020-09-01"], "closed_reports": 1}
    assert per_category["weeds"] == {"rounds": 2, "dates": ["2020-09-02", "2020-10-01"], "closed_reports": 1}
    chart = rounds["chart"]
    day = {d: i for i, d in enumerate(chart["days"])}
    assert chart["open"][day["2020-05-14"]] == 2 and chart["open"][day["2020-05-15"]] == 1, "the round closed g1"
    assert chart["open"][day["2020-12-31"]] == 0 and chart["closed_in_year"][-1] == 2

    cleaning = p["stadning"]
    assert cleaning["value"] == 0.75 and cleaning["target"] == 0.9
    assert {k: cleaning["details"][k] for k in ("reports", "in_time", "late", "undecided")} == {
        "reports": 4, "in_time": 3, "late": 1, "undecided": 0}

    lighting = p["belysningsprogram"]
    share = dict(zip(lighting["chart"]["moments"], lighting["chart"]["share"]))
    assert list(share)[:2] == ["2020-01-31", "2020-02-29"] and len(share) == 12
    both, one = share["2020-01-31"], share["2020-06-30"]
    assert both == share["2020-05-31"] > one > 0, "the Storgatan lamp broke on 15 June"
    torg, storgatan = alone(TORG), alone(STORGATAN_LAMP)
    assert one == pytest.approx(torg, abs=1e-4) and both == pytest.approx(torg + storgatan, abs=1e-4), \
        "two lamps far apart: each lifts its own fields"
    assert share["2020-07-31"] == 0, "the Torg lamp was out from 20 July to 10 August"
    compliance = lighting["details"]["compliance"]
    assert share["2020-08-31"] == one == compliance["share"] and compliance["share_at_start"] == both
    programme = lighting["details"]["programme"]
    assert (lighting["value"], lighting["target"], lighting["unit"]) == (1, 1, "antaget program")
    assert programme["adopted"] == "2020-11-24" and programme["synthetic"] is True
    assert programme["progress"] == {"measures": 4, "due": 1, "done": 1, "done_on_time": 1, "done_share": 1.0,
                                     "overdue": [], "cost_planned_sek": 1038000.0, "cost_done_sek": 18000.0}

    assert {i: list(p[i]["supporting"]) for i in STAFF} == {
        "centrumutvecklingsplan": ["unsafe_places", "survey"], "purple-flag": ["purple_flag_bands"], "evenemang": [],
        "kamerabevakning": ["incident_hotspots", "camera_views"]}
    assert p["centrumutvecklingsplan"]["supporting"]["survey"] == {"year": None, "confidence": 0.95,
                                                                   "suppressed_below": 3, "results": []}
    evidence = p["purple-flag"]["supporting"]["purple_flag_bands"]
    bands = evidence["bands"]
    assert list(bands) == ["17-20", "20-23", "23-02", "02-05"]
    assert all(b["presence_h"] == 0 and b["incidents"]["total"] == 0 for b in bands.values()), "the patrol was 10-13"
    assert all(one * 0.9 < b["lighting_share_after_dark"] < both for b in bands.values()), \
        "both lamps until 15 June, the Torg lamp alone after (and none for three weeks): after dark, by the dark hours"
    assert bands["17-20"]["lighting_share_after_dark"] > bands["23-02"]["lighting_share_after_dark"], \
        "17-20 is dark mostly in winter, when both lamps stood"
    assert bands["23-02"]["dark_share"] == 1.0 and 0 < bands["17-20"]["dark_share"] < 1
    page = handmade.get("/api/purple-flag/2020?as_of=2020-12-31").json()
    assert {k: v for k, v in page.items() if k not in ("as_of", "year_over", "synthetic")} == evidence, \
        "the tracker's figure and the page are one"


def test_a_store_without_data_measures_nothing_yet(client):
    got = statuses(client, "2020-06-30")
    assert got["klotter-och-ogras"] == "on track", "no round is due before 1 July"
    assert got["belysningsprogram"] == "on track", "the programme is to be adopted by 30 November: no data needed"
    assert all(status == "not measurable yet" for i, status in got.items()
               if i not in ("klotter-och-ogras", "belysningsprogram"))
    report = client.get("/api/promises/2020?as_of=2020-12-31").json()
    assert {p["id"]: p["status"] for p in report["promises"]}["klotter-och-ogras"] == "not met"


def test_years_and_errors(client):
    assert client.get("/api/promises").json() == {"years": [2020, 2021]}
    missing = client.get("/api/promises/2019")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no promises file for 2019 (years with promises: 2020, 2021)"
    for as_of in ("2021-01-01", "2019-12-31"):
        outside = client.get(f"/api/promises/2020?as_of={as_of}")
        assert outside.status_code == 422 and f"the date {as_of} is not in 2020" in outside.json()["detail"]
    assert client.get("/api/promises/2020?as_of=yesterday").status_code == 422
    redirect = client.get("/promises", follow_redirects=False)
    assert redirect.status_code in (302, 307) and redirect.headers["location"] == "/promises/2021"


def post_status(client, promise_id: str, token: str | None, year: int = 2020, **body):
    body = {"date": "2020-03-01", "status": "on track", "note": "Planen på remiss.", **body}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(f"/api/promises/{year}/{promise_id}/status", json=body, headers=headers)


def tokens(client) -> dict[str, str]:
    store = client.app.state.context.store
    return {role: create_token(store, role) for role in ("municipality", "police", "planner")}


def test_recording_a_status_needs_the_right_role(client):
    token = tokens(client)
    assert post_status(client, "centrumutvecklingsplan", None).status_code == 401
    assert post_status(client, "centrumutvecklingsplan", "not-a-token").status_code == 401
    assert post_status(client, "centrumutvecklingsplan", token["planner"]).status_code == 403
    refused = post_status(client, "centrumutvecklingsplan", token["police"])
    assert refused.status_code == 403
    assert refused.json()["detail"] == "'centrumutvecklingsplan' was promised by municipality; police may not record its status"
    assert post_status(client, "purple-flag", token["police"]).status_code == 201, "a joint promise: either party"
    assert post_status(client, "purple-flag", token["municipality"], date="2020-04-01").status_code == 201
    assert client.app.state.context.store.promise_statuses(2020)["recorded_by"].tolist() == ["police", "municipality"]


def test_recording_a_status_is_validated(client):
    municipality = tokens(client)["municipality"]
    police = create_token(client.app.state.context.store, "police")
    measured = post_status(client, "polisnarvaro", police)
    assert measured.status_code == 422 and "measured from the data (patrol_presence)" in measured.json()["detail"]
    for status in ("done", "not measurable yet", ""):
        bad = post_status(client, "evenemang", municipality, status=status)
        assert bad.status_code == 422 and "field 'status'" in bad.json()["detail"]
    empty = post_status(client, "evenemang", municipality, note="   ")
    assert empty.status_code == 422 and "field 'note'" in empty.json()["detail"]
    assert post_status(client, "evenemang", municipality, note="x" * 2001).status_code == 422
    tomorrow = (pd.Timestamp.now(tz=LOCAL_TZ).date() + timedelta(days=1)).isoformat()
    future = post_status(client, "evenemang", municipality, date=tomorrow)
    assert future.status_code == 422 and f"{tomorrow} is in the future" in future.json()["detail"]
    before = post_status(client, "evenemang", municipality, date="2019-12-31")
    assert before.status_code == 422 and "before 2020" in before.json()["detail"]
    assert post_status(client, "evenemang", municipality, date="1 mars").status_code == 422
    unknown = post_status(client, "ingen-sadan", municipality)
    assert unknown.status_code == 404 and "the promises are polisnarvaro" in unknown.json()["detail"]
    assert post_status(client, "evenemang", municipality, year=2019).status_code == 404
    assert client.app.state.context.store.promise_statuses(2020).empty, "nothing refused was stored"


def test_a_recorded_status_shows_with_its_history_and_dates_decide(client):
    municipality = tokens(client)["municipality"]
    first = post_status(client, "centrumutvecklingsplan", municipality, date="2020-03-01", status="on track",
                        note="  Trygghetsvandring gjord.  ")
    assert first.status_code == 201
    assert first.json() == {"year": 2020, "promise_id": "centrumutvecklingsplan", "date": "2020-03-01",
                            "status": "on track", "note": "Trygghetsvandring gjord.", "recorded_by": "municipality"}
    entry = promise(client, "2020-06-30", "centrumutvecklingsplan")
    assert entry["status"] == "on track" and entry["details"]["note"] == "Trygghetsvandring gjord."
    assert entry["history"] == [{"date": "2020-03-01", "status": "on track", "note": "Trygghetsvandring gjord.",
                                 "recorded_by": "municipality"}]
    assert post_status(client, "centrumutvecklingsplan", municipality, date="2020-06-01", status="met",
                       note="Planen antagen.").status_code == 201
    assert promise(client, "2020-06-30", "centrumutvecklingsplan")["status"] == "met", "the same as_of, not cached"
    # recorded last but dated earlier: history, not the status
    assert post_status(client, "centrumutvecklingsplan", municipality, date="2020-02-01", status="behind",
                       note="Försenad start.").status_code == 201
    latest = promise(client, "2020-12-31", "centrumutvecklingsplan")
    assert latest["status"] == "met" and latest["details"]["date"] == "2020-06-01"
    assert [h["date"] for h in latest["history"]] == ["2020-02-01", "2020-03-01", "2020-06-01"]
    spring = promise(client, "2020-04-30", "centrumutvecklingsplan")
    assert spring["status"] == "on track" and [h["status"] for h in spring["history"]] == ["behind", "on track"]
    assert promise(client, "2020-01-31", "centrumutvecklingsplan")["status"] == "not measurable yet"
    assert promise(client, "2020-12-31", "evenemang")["status"] == "not measurable yet", "other promises untouched"


def promise(client, as_of: str, promise_id: str) -> dict:
    response = client.get(f"/api/promises/2020?as_of={as_of}")
    assert response.status_code == 200, response.text
    return next(p for p in response.json()["promises"] if p["id"] == promise_id)


def custom_year(folder) -> None:
    doc = {"year": 2019, "title": "Medborgarlöfte 2019 (test)", "parties": {"police": "Polisen", "municipality": "Kommunen"},
           "source": "test", "promises": [
               {"id": "fotpatrull", "text": "Minst 2 timmar.", "promised_by": "police",
                "measure": {"kind": "patrol_presence", "target_h": 2}, "how_measured": "GPS."},
               {"id": "trygghetsrad", "text": "Ett råd bildas.", "promised_by": "police",
                "measure": {"kind": "staff_status"}, "how_measured": "Status."}]}
    folder.mkdir()
    (folder / "2019.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def test_a_custom_promises_folder_from_the_environment(tmp_path, monkeypatch, make_settings):
    custom_year(tmp_path / "loften")
    monkeypatch.setenv("STADSKARNA_PROMISES_DIR", str(tmp_path / "loften"))
    settings = make_settings()
    assert settings.promises.dir == tmp_path / "loften"
    with TestClient(create_app(settings), headers=ENGLISH) as client:
        assert client.get("/api/promises").json() == {"years": [2019]}
        assert client.get("/api/promises/2020").json()["detail"].endswith("(years with promises: 2019)")
        store = client.app.state.context.store
        store.write_pings(validate(PINGS, pd.DataFrame({
            "unit_id": "u", "timestamp": pd.Timestamp("2019-05-01T18:00:00", tz=LOCAL_TZ)
            + pd.to_timedelta(range(0, 2 * 3600 + 1, 60), unit="s"), "mode": "foot",
            "lon": TORG[0], "lat": TORG[1]}), "test"))
        police = create_token(store, "police")
        assert post_status(client, "trygghetsrad", police, year=2019, date="2019-09-01", status="met").status_code == 201
        report = client.get("/api/promises/2019").json()
        assert report["title"] == "Medborgarlöfte 2019 (test)" and report["as_of"] == "2019-12-31"
        assert [(p["id"], p["status"]) for p in report["promises"]] == [("fotpatrull", "met"), ("trygghetsrad", "met")]
        assert report["promises"][0]["value"] == 2.0
        assert client.get("/promises", follow_redirects=False).headers["location"] == "/promises/2019"
        assert 'id="promise-fotpatrull"' in client.get("/promises/2019").text


def test_an_edited_promises_file_is_served_at_once(tmp_path, make_settings):
    custom_year(tmp_path / "loften")
    settings = make_settings()
    settings.promises.dir = tmp_path / "loften"
    with TestClient(create_app(settings), headers=ENGLISH) as client:
        assert client.get("/api/promises/2019").json()["title"] == "Medborgarlöfte 2019 (test)"
        assert "Medborgarlöfte 2019 (test)" in client.get("/promises/2019").text
        path = tmp_path / "loften" / "2019.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["title"] = "Medborgarlöfte 2019 (rättad)"
        doc["promises"][0]["measure"]["target_h"] = 1
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        report = client.get("/api/promises/2019").json()
        assert (report["title"], report["promises"][0]["target"]) == ("Medborgarlöfte 2019 (rättad)", 1)
        assert "Medborgarlöfte 2019 (rättad)" in client.get("/promises/2019").text


XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def test_the_page_shows_every_promise_and_escapes_staff_notes(client):
    municipality = tokens(client)["municipality"]
    assert post_status(client, "evenemang", municipality, date="2020-05-01", status="behind",
                       note=f"Inställt {XSS}").status_code == 201
    response = client.get("/promises/2020?as_of=2020-12-31")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    for promise_id in IDS:
        assert f'id="promise-{promise_id}"' in page
    assert "Medborgarlöftet 2020: uppföljning" in page and "av hela året" in page
    assert "<script>alert(1)" not in page and "<img src=x" not in page and "onerror=alert(1)>" not in page
    assert page.count(html.escape(XSS, quote=False)) >= 2, "in the latest status and in the history, as text"
    assert "SYNTETISKA DEMODATA" not in page, "no demo label on real data"
    assert client.get("/promises/2019").status_code == 404


def test_the_page_labels_statuses_in_swedish(handmade):
    page = handmade.get("/promises/2020?as_of=2020-06-30").text
    assert 'class="promise on-track" id="promise-klotter-och-ogras"' in page
    assert 'class="promise behind" id="promise-stadning"' in page
    assert "3 h av 900 h." in page and "66,7 % (mål 90 %)." in page
    assert page.count("<svg") == 4, "charts: presence, two open/closed, lighting trend"


# --- the command ---------------------------------------------------------------------------------

def test_promises_check_a_good_and_a_bad_file(tmp_path):
    good = runner.invoke(cli, ["promises", "check", str(SHIPPED)], env={"COLUMNS": "250"})
    assert good.exit_code == 0, good.output
    assert "8 promises for 2020" in good.output and "3 staff_status" in good.output and "1 events" in good.output
    doc = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    doc["promises"][2]["measure"]["target_day"] = doc["promises"][2]["measure"].pop("target_days")
    bad = tmp_path / "2020.yaml"
    bad.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(cli, ["promises", "check", str(bad)], env={"COLUMNS": "250"})
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert (f"{bad}, promise 3 (id 'stadning'), field 'measure.target_day': unknown field; "
            "did you mean 'target_days'?") in message


def test_promises_status_records_with_the_api_rules(tmp_path):
    db = tmp_path / "cli.sqlite"
    args = ["promises", "status", "2020", "purple-flag", "--status", "on track", "--note", "Ansökan inlämnad.",
            "--date", "2020-06-10", "--db", str(db)]
    result = runner.invoke(cli, [*args, "--role", "police"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "purple-flag (2020): on track as of 2020-06-10, recorded by police" in result.output
    stored = SQLiteStore(db).promise_statuses(2020)
    assert stored[["promise_id", "day", "status", "note", "recorded_by"]].values.tolist() == [
        ["purple-flag", "2020-06-10", "on track", "Ansökan inlämnad.", "police"]]
    refused = runner.invoke(cli, ["promises", "status", "2020", "evenemang", "--status", "met", "--note", "x",
                                  "--role", "police", "--db", str(db)], env={"COLUMNS": "250"})
    assert refused.exit_code == 2 and "police may not record its status" in " ".join(refused.output.split())
    measured = runner.invoke(cli, ["promises", "status", "2020", "stadning", "--status", "met", "--note", "x",
                                   "--role", "municipality", "--db", str(db)], env={"COLUMNS": "250"})
    assert measured.exit_code == 2 and "measured from the data" in measured.output
    missing = runner.invoke(cli, [*args[:2], "2018", *args[3:], "--role", "police"], env={"COLUMNS": "250"})
    assert missing.exit_code == 2 and "no promises file for 2018" in missing.output
    assert len(SQLiteStore(db).promise_statuses(2020)) == 1


def test_report_command_writes_a_self_contained_file_once(handmade_db, tmp_path):
    out = tmp_path / "uppfoljning-2020.html"
    env = {"STADSKARNA_MAP_TILES": "none", "COLUMNS": "250"}
    args = ["report", "2020", "-o", str(out), "--as-of", "2020-06-30", "--db", str(handmade_db)]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert f"follow-up of the 2020 promises written to {out}" in " ".join(result.output.split())
    page = out.read_text(encoding="utf-8")
    for promise_id in IDS:
        assert f'id="promise-{promise_id}"' in page
    assert page.count('<iframe class="map"') == 2 and "till och med 2020-06-30" in page
    assert "<img" not in page and 'id="maps-note"' not in page, "the static maps are the PDF's only"
    assert 'href="/' not in page and "/static/leaflet" not in page, "no links to the service"
    again = runner.invoke(cli, args, env=env)
    assert again.exit_code == 2 and "exists already" in " ".join(again.output.split())
    assert out.read_text(encoding="utf-8") == page, "the existing file is left as it was"
    no_year = runner.invoke(cli, ["report", "2019", "-o", str(tmp_path / "x.html"), "--db", str(handmade_db)], env=env)
    assert no_year.exit_code == 2 and "no promises file for 2019" in no_year.output
    assert not (tmp_path / "x.html").exists()


def test_the_wrong_party_is_refused_before_its_input_is_checked(client):
    police = create_token(client.app.state.context.store, "police")
    refused = post_status(client, "evenemang", police, status="done", note="")
    assert refused.status_code == 403 and "promised by municipality" in refused.json()["detail"]


def test_a_follow_up_date_after_today_is_refused(tmp_path, make_settings):
    # a future date would count the year as over and publish "not met" before the year has ended
    this_year = pd.Timestamp.now(tz=LOCAL_TZ).year
    folder = tmp_path / "loften"
    custom_year(folder)
    doc = yaml.safe_load((folder / "2019.yaml").read_text(encoding="utf-8"))
    (folder / f"{this_year}.yaml").write_text(yaml.safe_dump({**doc, "year": this_year}, allow_unicode=True),
                                              encoding="utf-8")
    settings = make_settings()
    settings.promises.dir = folder
    with TestClient(create_app(settings), headers=ENGLISH) as client:
        tomorrow = pd.Timestamp.now(tz=LOCAL_TZ).date() + timedelta(days=1)
        if tomorrow.year != this_year:
            pytest.skip("on the last day of the year no later date in it exists")
        refused = client.get(f"/api/promises/{this_year}?as_of={tomorrow}")
        assert refused.status_code == 422 and f"{tomorrow} is in the future" in refused.json()["detail"]
        today = client.get(f"/api/promises/{this_year}").json()
        assert today["year_over"] is False and today["as_of"] == pd.Timestamp.now(tz=LOCAL_TZ).date().isoformat()
        assert {p["status"] for p in today["promises"]} <= {"on track", "behind", "met", "not measurable yet"}


@pytest.mark.parametrize("steps, out_in_march", [(("closed",), False), (("acknowledged", "closed"), True)])
def test_the_lighting_trend_reads_the_report_history(tmp_path, steps, out_in_march):
    """A broken-light report staff closed straight from open (no fault) never put the lamp out; one
    they acknowledged did, from the report until it was closed."""
    from service.reports import change_status

    handmade_store(tmp_path / "db.sqlite")
    store = SQLiteStore(tmp_path / "db.sqlite")
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame([{
        "id": "lampa", "category": "broken_light", "created_at": "2020-03-10T20:00:00+01:00",
        "lon": TORG[0], "lat": TORG[1]}]), "test"), Actor("citizen"))
    for day, step in zip(("2020-03-12", "2020-04-20"), steps):
        change_status(store, "lampa", step, Actor("municipality", "test"), "lagad" if step == "closed" else None,
                      now=pd.Timestamp(day, tz="UTC"))
    with TestClient(create_app(Settings(store=StoreSettings(db=tmp_path / "db.sqlite"))), headers=ENGLISH) as client:
        lighting = {p["id"]: p for p in client.get("/api/promises/2020?as_of=2020-12-31").json()["promises"]}
    share = dict(zip(lighting["belysningsprogram"]["chart"]["moments"], lighting["belysningsprogram"]["chart"]["share"]))
    assert (share["2020-03-31"] < share["2020-02-29"]) is out_in_march
    assert share["2020-04-30"] == share["2020-02-29"], "repaired (or never out) by the end of April"


def test_the_tracker_says_apart_the_incidents_placed_only_at_the_town_or_county(client, zones):
    from geo.layers import INCIDENTS

    torg = zones.set_index("zone_id").geometry["stora-torg"].representative_point()
    rows = [{"id": f"p-{i}", "occurred_at": "2020-05-08T21:00:00Z", "category": "stöld", "source": "polisen",
             "location_precision": precision, "lon": torg.x, "lat": torg.y}
            for i, precision in enumerate(["exact"] * 4 + ["town"] * 3 + ["county"] * 2)]
    client.app.state.context.store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame(rows), "test"))
    tracker = {p["id"]: p for p in client.get("/api/promises/2020?as_of=2020-12-31").json()["promises"]}
    figures = tracker["kamerabevakning"]["supporting"]["incident_hotspots"]
    assert (figures["incidents"], figures["town_level_incidents"], figures["county_level_incidents"]) == (4, 3, 2)
    assert figures["per_zone"]["stora-torg"] == 4, "town- and county-level incidents are in no zone"
    page = " ".join(html.unescape(client.get("/promises/2020?as_of=2020-12-31").text).split())
    assert "Dessutom 3 brott som polisen bara angett till kommunen och 2 bara till länet" in page


def test_loading_a_later_years_lamps_leaves_the_earlier_year_unchanged(tmp_path):
    """The 2021 register: a new lamp on Storgatan installed in March 2021, the Torg lamp taken
    down in May 2021, the broken Storgatan lamp working again (no date given: the change is dated
    when it was loaded). The 2020 figures stay what they were."""
    path = tmp_path / "history.sqlite"
    handmade_store(path)
    settings = Settings(store=StoreSettings(db=path))

    def lighting(year: int, as_of: str) -> dict:
        with TestClient(create_app(settings), headers=ENGLISH) as client:
            answer = client.get(f"/api/promises/{year}?as_of={as_of}")
        assert answer.status_code == 200, answer.text
        return next(p for p in answer.json()["promises"] if p["kind"] == "lighting")

    before = lighting(2020, "2020-12-31")
    SQLiteStore(path).write_features(LIGHTS, validate(LIGHTS, pd.DataFrame([
        {"id": "torg", "lumen": 200_000, "height_m": 10, "status": "removed", "updated_at": "2021-05-03T09:00:00+02:00",
         "removed_at": "2021-05-03T09:00:00+02:00", "lon": TORG[0], "lat": TORG[1]},
        {"id": "storgatan-ny", "lumen": 200_000, "height_m": 10, "status": "working",
         "installed_at": "2021-03-01T12:00:00+01:00", "lon": STORGATAN_LAMP[0], "lat": STORGATAN_LAMP[1]},
        {"id": "storgatan", "lumen": 200_000, "height_m": 10, "status": "working",  # repaired, no date given
         "lon": STORGATAN_LAMP[0], "lat": STORGATAN_LAMP[1]},
    ]), "register 2021"))
    after = lighting(2020, "2020-12-31")
    assert after["value"] == before["value"] and after["chart"] == before["chart"] and after["details"] == before["details"]
    undated = validate(LIGHTS, pd.DataFrame([{"id": "storgatan-odaterad", "lumen": 200_000, "height_m": 10,
                                               "status": "working", "lon": STORGATAN_LAMP[0], "lat": STORGATAN_LAMP[1]}]), "t")
    SQLiteStore(path).write_features(LIGHTS, undated)
    assert lighting(2020, "2020-12-31")["details"]["compliance"]["share"] > before["details"]["compliance"]["share"], \
        "a lamp without installed_at lights every year"


def test_an_edited_programme_file_is_followed_at_once(tmp_path):
    """The tracker is cached per version of the data; the programme's file is not data, so its
    edit must make a new answer by itself."""
    from service.settings import PromiseSettings

    folder = tmp_path / "promises"
    folder.mkdir()
    for name in ("2020.yaml", "belysningsprogram-2020.yaml"):
        (folder / name).write_text((SHIPPED.parent / name).read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings(store=StoreSettings(db=tmp_path / "db.sqlite"), promises=PromiseSettings(dir=folder))
    with TestClient(create_app(settings), headers=ENGLISH) as client:
        def lighting() -> dict:
            answer = client.get("/api/promises/2020?as_of=2020-12-31").json()
            return next(p for p in answer["promises"] if p["kind"] == "lighting")

        assert lighting()["status"] == "met"
        programme = folder / "belysningsprogram-2020.yaml"
        programme.write_text(programme.read_text(encoding="utf-8").replace("adopted: 2020-11-24", "adopted: null"),
                             encoding="utf-8")
        assert lighting()["status"] == "not met", "not adopted after all: the cached answer is not served"
        assert "Inte antaget" in client.get("/promises/2020?as_of=2020-12-31").text


def test_the_tracker_lights_the_lamps_by_their_photometric_files(tmp_path, handmade_db):
    """STADSKARNA_LIGHTING_PHOTOMETRY reaches the tracker: with an up-light's file for the lamps'
    type (they give no light downwards) no field meets its class."""
    import numpy as np

    from service.settings import LightingSettings
    from tests.geo.photometry_files import ies_text

    folder = tmp_path / "fotometri"
    folder.mkdir()
    (folder / "unknown.ies").write_text(ies_text(lambda c, g: 100.0 + 0 * c * g, [0], verticals=np.arange(90, 181, 10.0)),
                                        encoding="latin-1")

    def compliance(settings: Settings) -> float:
        with TestClient(create_app(settings), headers=ENGLISH) as client:
            answer = client.get("/api/promises/2020?as_of=2020-12-31")
        assert answer.status_code == 200, answer.text
        return next(p for p in answer.json()["promises"] if p["kind"] == "lighting")["details"]["compliance"]["share"]

    plain = Settings(store=StoreSettings(db=handmade_db))
    assert compliance(plain) > 0
    assert compliance(plain.model_copy(update={"lighting": LightingSettings(photometry=folder)})) == 0

"""Outcomes through the real app and the command line: GET /api/outcomes, POST
/api/outcomes/before-after, `stadskarna outcomes YEAR` and `outcomes before-after`."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from typer.testing import CliRunner

from geo.crs import SWEREF99TM, WGS84
from geo.layers import CAMERAS, INCIDENTS, REPORTS, validate
from service.app import create_app
from service.auth import create_token
from service.cli import app as cli
from service.responses import BeforeAfter, Outcomes
from service.store import SQLiteStore
from tests.languages import ENGLISH, SWEDISH_LOCALE

CELL_CORNER = (368_650.0, 6_283_100.0)  # a corner of the public 50 m grid, SWEREF 99 TM, on Stora Torg
"""Stora Torg's point 5 m from a cell corner: its published position (the cell's centre) is 28 m away."""


def _stora_torg_point() -> tuple[float, float]:
    point = gpd.GeoSeries([shapely.Point(CELL_CORNER[0] + 5, CELL_CORNER[1] + 5)], crs=SWEREF99TM).to_crs(WGS84)
    return float(point.x.iloc[0]), float(point.y.iloc[0])


def _inside(zones, zone_ids):
    inside = zones.set_index("zone_id").geometry.representative_point()
    return inside[zone_ids].x.to_numpy(), inside[zone_ids].y.to_numpy()


def _days(first: str, last: str, n: int) -> list[str]:
    return [d.isoformat() for d in pd.date_range(first, last, periods=n).round("h")]


def write_layers(store: SQLiteStore, zones) -> None:
    """Stora Torg: 20 thefts in 2020, 5 in 2021 (at one point 5 m from a 50 m cell's corner); one
    assault at Nissan in 2021 and one placed only at the town. Reports: three graffiti a year on
    Stora Torg; at Nissan in 2021 four graffiti, one weeds report and one unsafe-place mark."""
    torg = _stora_torg_point()
    lon, lat = _inside(zones, ["nissan", "nissan"])
    times = _days("2020-01-05", "2020-12-20", 20) + _days("2021-01-05", "2021-12-20", 5) + ["2021-05-05T12:00",
                                                                                         "2021-02-20T12:00"]
    store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame({
        "id": [f"i{k}" for k in range(27)], "occurred_at": times,
        "category": ["stöld"] * 25 + ["misshandel", "rån"], "location_precision": ["exact"] * 26 + ["town"],
        "lon": [torg[0]] * 25 + [lon[0], torg[0]], "lat": [torg[1]] * 25 + [lat[0], torg[1]]}), "t"))
    r_lon, r_lat = _inside(zones, ["stora-torg"] * 6 + ["nissan"] * 6)
    categories = ["graffiti"] * 6 + ["graffiti"] * 4 + ["weeds", "unsafe_place"]
    unsafe = [c == "unsafe_place" for c in categories]
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame({
        "id": [f"r{k}" for k in range(12)], "category": categories,
        "created_at": _days("2020-01-03", "2020-12-28", 3) + _days("2021-01-03", "2021-12-28", 3)
        + _days("2021-02-01", "2021-10-01", 6),
        "when": ["night" if u else None for u in unsafe], "why": ["lighting" if u else None for u in unsafe],
        "contact": "anna@example.org", "description": "Klotter på muren", "lon": r_lon, "lat": r_lat}), "t"))


@pytest.fixture
def client(make_settings, zones):
    settings = make_settings()
    write_layers(SQLiteStore(settings.store.db), zones)
    with TestClient(create_app(settings), headers=ENGLISH) as test_client:
        test_client.staff = {"Authorization": f"Bearer {create_token(test_client.app.state.context.store, 'police')}"}
        yield test_client


def _zone(body, zone_id):
    return next(z for z in body["zones"] if z["zone_id"] == zone_id)


def _row(rows, category):
    return next(r for r in rows if r["category"] == category)


def test_outcomes_per_zone_with_the_change_and_suppression(client):
    response = client.get("/api/outcomes?year=2021")
    assert response.status_code == 200
    body = TypeAdapter(Outcomes).validate_python(response.json()).model_dump(exclude_unset=True)
    assert body["year"] == 2021 and body["previous_year"] == 2020 and body["suppressed_below"] == 3
    assert [z["zone_id"] for z in body["zones"]][:3] == ["slottet", "kopmansgatan-vaster", "stora-torg"]
    torg = _zone(body, "stora-torg")
    assert torg["incidents"][0]["category"] == "all"  # the total first
    stolen = _row(torg["incidents"], "stöld")
    assert (stolen["name"], stolen["value"], stolen["previous"], stolen["change"]) == ("Stöld", 5, 20, -15)
    assert stolen["relative_change"] == pytest.approx(5 / 365 / (20 / 366) - 1, abs=1e-4)
    assert stolen["beyond_noise"] is True and stolen["p_value"] < 0.01 and stolen["ratio_high"] < 1
    assert _row(_zone(body, "nissan")["incidents"], "misshandel")["value"] == 1  # incidents are public
    graffiti = _row(torg["reports"], "graffiti")
    assert graffiti["value"] == 3 and graffiti["previous"] == 3 and graffiti["change"] == 0
    assert graffiti["beyond_noise"] is False
    nissan = _zone(body, "nissan")
    assert _row(nissan["reports"], "all")["value"] == 5
    # weeds (1) is suppressed, and so is graffiti (4): the zone's total − 4 would give it away
    assert _row(nissan["reports"], "weeds")["value"] is None and _row(nissan["reports"], "graffiti")["value"] is None
    assert _row(nissan["reports"], "weeds")["beyond_noise"] is None
    assert nissan["unsafe_places"][0]["value"] is None  # one mark
    assert body["centre"]["unsafe_places"][0]["value"] is None  # one mark in all: fewer than k, the centre's too
    assert _row(body["centre"]["incidents"], "all")["value"] == 6
    assert body["unplaced_incidents"] == {"town": 1, "county": 0, "previous_town": 0, "previous_county": 0}
    assert "example.org" not in response.text and "Klotter på muren" not in response.text


def test_staff_get_exact_counts(client):
    body = client.get("/api/outcomes?year=2021", headers=client.staff).json()
    nissan = _zone(body, "nissan")
    assert body["suppressed_below"] is None
    assert _row(nissan["reports"], "weeds")["value"] == 1 and nissan["unsafe_places"][0]["value"] == 1


def test_one_zone_and_refusals(client):
    body = client.get("/api/outcomes?year=2021&zone=nissan").json()
    assert [z["zone_id"] for z in body["zones"]] == ["nissan"] and body["centre"] is None
    for query, field in (("year=1999", "year"), ("year=2999", "year"), ("year=2021&zone=nowhere", "zone")):
        refused = client.get(f"/api/outcomes?{query}")
        assert refused.status_code == 422 and refused.json()["field"] == field
    assert client.get("/api/outcomes").status_code == 422
    assert client.get("/api/outcomes?year=abc").json()["code"] == "invalid"


def _before_after(client, headers=None, **question):
    return client.post("/api/outcomes/before-after", json={"at": "2021-03-01", "days": 30, **question},
                       headers=headers or {})


def test_before_after_a_zone_against_the_rest_of_the_centre(client):
    response = _before_after(client, area={"zone": "stora-torg"}, days=59)
    assert response.status_code == 200, response.text
    body = TypeAdapter(BeforeAfter).validate_python(response.json()).model_dump(exclude_unset=True)
    assert [p["period"] for p in body["periods"]] == ["before", "after"]
    assert body["periods"][0] == {"period": "before", "start": "2021-01-01", "end": "2021-02-28", "days": 59}
    assert body["areas"]["comparison"]["rest_of_centre"] is True
    incidents = body["layers"]["incidents"]
    counts = {(c["area"], c["period"]): c["count"] for c in incidents["counts"]}
    assert counts == {("affected", "before"): 1, ("affected", "after"): 1, ("comparison", "before"): 0,
                      ("comparison", "after"): 0}  # the town-level incident of 20 February is never placed
    did = {d["estimate"]: d for d in incidents["did"]}
    assert did["rate"]["did"] == 0 and did["log_rate"]["did"] == 0 and did["rate"]["low"] < 0 < did["rate"]["high"]
    assert any("inget bevis" in c for c in incidents["caveats"]) and any("Små tal" in c for c in incidents["caveats"])
    reports = {(c["area"], c["period"]): c["count"] for c in body["layers"]["reports"]["counts"]}
    assert reports[("comparison", "before")] is None, "Nissan's graffiti of 1 February: fewer than k"
    staff = _before_after(client, headers=client.staff, area={"zone": "stora-torg"}, days=59).json()
    reports = {(c["area"], c["period"]): c["count"] for c in staff["layers"]["reports"]["counts"]}
    assert reports[("comparison", "before")] == 1 and staff["suppressed_below"] is None


def test_a_public_before_after_counts_incidents_where_the_public_sees_them(client):
    """An area of 10 m around the incidents' exact point: staff count them, the public (cell
    centres, 28 m away) does not, so no drawn area places an incident finer than the public layer."""
    lon, lat = _stora_torg_point()
    question = {"area": {"geometry": {"type": "Point", "coordinates": [lon, lat]}, "buffer_m": 10},
                "at": "2021-01-01", "days": 366, "layers": ["incidents"]}
    question["at"], question["days"] = "2020-12-31", 200
    staff = client.post("/api/outcomes/before-after", json=question, headers=client.staff).json()
    public = client.post("/api/outcomes/before-after", json=question).json()
    assert sum(c["count"] for c in staff["layers"]["incidents"]["counts"] if c["area"] == "affected") > 0
    assert sum(c["count"] for c in public["layers"]["incidents"]["counts"] if c["area"] == "affected") == 0


def test_unsafe_places_are_compared_for_staff_only(client):
    refused = _before_after(client, area={"zone": "nissan"}, layers=["unsafe_places"])
    assert refused.status_code == 422 and refused.json()["field"] == "layers"
    allowed = _before_after(client, headers=client.staff, area={"zone": "nissan"}, layers=["unsafe_places"],
                            at="2021-06-01", days=120)
    assert allowed.status_code == 200


OUTSIDE = {"type": "Polygon", "coordinates": [[[13.5, 56.0], [13.6, 56.0], [13.6, 56.1], [13.5, 56.0]]]}


@pytest.mark.parametrize("question, field", [
    ({"area": {"geometry": OUTSIDE}}, "area"),
    ({"area": {"geometry": {"type": "Point", "coordinates": [12.8572, 56.674]}}}, "buffer_m"),
    ({"area": {"geometry": {"type": "Point", "coordinates": [12.8572, 56.674]}, "buffer_m": -5}}, "buffer_m"),
    ({"area": {"geometry": {"type": "Polygon", "coordinates": "x"}}}, "area"),
    ({"area": {"geometry": {"type": "Circle", "coordinates": [1, 2]}}}, "area"),
    ({"area": {"geometry": {"type": "Point", "coordinates": [674000, 6283000]}, "buffer_m": 5}}, "area"),
    ({"area": {"zone": "stora-torg", "geometry": OUTSIDE}}, "area"),
    ({"area": {}}, "area"),
    ({"area": {"zone": "nowhere"}}, "area"),
    ({"area": {"zone": "nissan"}, "comparison": {"zone": "nissan"}}, "comparison"),
    ({"area": {"zone": "nissan"}, "comparison": {"geometry": OUTSIDE}}, "comparison"),
    ({"area": {"zone": "nissan"}, "at": "2019-06-01"}, "at"),
    ({"area": {"zone": "nissan"}, "at": "2022-06-01"}, "at"),
    ({"area": {"zone": "nissan"}, "days": 300}, "days"),
    ({"area": {"zone": "nissan"}, "at": "2020-06-01", "seasonal": True}, "days"),  # 2019 has no data
])
def test_bad_questions_are_422_naming_the_field(client, question, field):
    response = _before_after(client, **question)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid" and response.json()["field"] == field


@pytest.mark.parametrize("body", [{"area": {"zone": "nissan"}, "at": "2021-03-01", "days": 0},
                                  {"area": {"zone": "nissan"}, "at": "2021-03-01", "days": 30, "layers": ["lamps"]},
                                  {"area": {"zone": "nissan"}, "at": "2021-13-01", "days": 30},
                                  {"area": {"zone": "nissan"}, "at": "2021-03-01", "days": 30, "extra": 1},
                                  {"area": "nissan", "at": "2021-03-01", "days": 30}, [], "x"])
def test_malformed_bodies_are_refused_not_500(client, body):
    response = client.post("/api/outcomes/before-after", json=body)
    assert response.status_code == 422 and response.json()["code"] == "invalid"


def test_an_empty_store_has_no_data_to_compare(make_settings):
    with TestClient(create_app(make_settings()), headers=ENGLISH) as empty:
        response = _before_after(empty, area={"zone": "nissan"})
        assert response.status_code == 422 and response.json()["field"] == "layers"
        body = empty.get("/api/outcomes?year=2021").json()
        assert _row(_zone(body, "nissan")["incidents"], "all")["value"] is None  # no data is not zero


def test_the_command_line(make_settings, zones, tmp_path):
    settings = make_settings()
    write_layers(SQLiteStore(settings.store.db), zones)
    db = str(settings.store.db)
    result = CliRunner().invoke(cli, ["outcomes", "2021", "--db", db], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Outcomes 2021 against 2020")
    torg = next(line for line in lines if "Stora Torg" in line)
    assert "-15*" in torg  # the change of incidents, beyond noise
    nissan = next(line for line in lines if "Nissan" in line)
    assert [cell.strip() for cell in nissan.split("│")[1:-1]][-2:] == ["1", "+1"]  # exact on the server
    swedish = CliRunner().invoke(cli, ["outcomes", "2021", "--db", db], env={**SWEDISH_LOCALE, "COLUMNS": "200"})
    assert swedish.output.startswith("Utfall 2021 mot 2020") and "hela stadskärnan" in swedish.output
    json_out = CliRunner().invoke(cli, ["outcomes", "year", "2021", "--format", "json", "--db", db])
    assert '"previous_year": 2020' in json_out.output

    polygon = tmp_path / "area.geojson"
    polygon.write_text('{"type": "Feature", "properties": {}, "geometry": ' + str(OUTSIDE).replace("'", '"') + "}")
    refused = CliRunner().invoke(cli, ["outcomes", "before-after", "--area", str(polygon), "--at", "2021-03-01",
                                       "--days", "30", "--db", db])
    assert refused.exit_code == 2 and "the area lies outside the centre" in refused.output
    table = CliRunner().invoke(cli, ["outcomes", "before-after", "--area", "nissan", "--at", "2021-03-01", "--days",
                                     "30", "--layer", "unsafe_places", "--db", db], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "Otrygga platser: before and after 2021-03-01, 30 days each" in table.output
    assert "inget bevis" in table.output and np.any(["affected" in line for line in table.output.splitlines()])


def test_the_before_after_page(client):
    empty = client.get("/outcomes/before-after")
    assert empty.status_code == 200 and empty.headers["content-type"].startswith("text/html")
    assert '<option value="stora-torg">Stora Torg</option>' in empty.text and 'id="result"' not in empty.text
    assert "Resten av stadskärnan" in empty.text and 'lang="sv"' in empty.text
    page = client.get("/outcomes/before-after", params={"area": "stora-torg", "comparison": "nissan",
                                                         "at": "2021-03-01", "days": "59", "layers": "incidents"})
    assert page.status_code == 200
    assert "Stora Torg mot Nissan och kajerna, 59 dagar före och efter 2021-03-01" in page.text
    assert "Att tänka på" in page.text and "inget bevis för att åtgärden orsakade förändringen" in page.text
    assert "Felanmälningar</h2>" not in page.text  # only what was ticked
    assert '<option value="nissan" selected>' in page.text  # the form as sent
    refused = client.get("/outcomes/before-after", params={"area": "nissan", "at": "2019-06-01", "days": "30",
                                                            "layers": "incidents"})
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert "2019-06-01 ligger utanför data" in refused.text
    for params in ({"at": "x", "layers": "incidents"}, {"at": "2021-03-01", "days": "x", "layers": "incidents"},
                   {"at": "2021-03-01", "days": "²", "layers": "incidents"},  # a digit to str.isdigit, not to int()
                   {"at": "2021-03-01"}, {"at": "2021-03-01", "layers": "unsafe_places"}):
        answer = client.get("/outcomes/before-after", params=params)
        assert answer.status_code == 422 and "Jämförelsen kan inte visas" in answer.text


def test_the_page_takes_a_cameras_view_or_a_street_as_the_area(client):
    """A camera on Stora Torg facing the thefts' point, and Storgatan: each chosen on the page
    gives the same counts as the API asked with the view's polygon or the street with 25 m."""
    torg = _stora_torg_point()
    store = client.app.state.context.store
    store.write_features(CAMERAS, validate(CAMERAS, pd.DataFrame([{
        "id": "kam-1", "name": "Torgkameran <b>", "height_m": 6, "direction_deg": 0, "fov_deg": 360, "range_m": 40,
        "status": "proposed", "source": "test", "lon": torg[0], "lat": torg[1] - 0.0002}]), "t"))
    empty = client.get("/outcomes/before-after")
    assert '<optgroup label="Kameror"><option value="camera:kam-1">Kamera: Torgkameran &lt;b&gt;</option>' in empty.text
    assert '<option value="street:Storgatan">Gata: Storgatan (25 m på var sida)</option>' in empty.text
    form = {"at": "2021-03-01", "days": "59", "layers": "incidents"}
    page = client.get("/outcomes/before-after", params={**form, "area": "camera:kam-1"})
    assert page.status_code == 200, page.text
    assert "Kamera: Torgkameran &lt;b&gt; mot resten av stadskärnan, 59 dagar före och efter 2021-03-01" in page.text
    assert '<option value="camera:kam-1" selected>' in page.text
    view = client.get("/ogc/collections/camera-views/items").json()["features"][0]["geometry"]
    api = _before_after(client, area={"geometry": view}, days=59, layers=["incidents"]).json()
    counts = [c["count"] for c in api["layers"]["incidents"]["counts"]]
    assert sum(counts) > 0
    assert "".join(f"<td>{n}</td>" for n in counts[:1]) in page.text
    street = client.get("/outcomes/before-after", params={**form, "area": "street:Storgatan"})
    assert street.status_code == 200 and "Gata: Storgatan (25 m på var sida) mot resten" in street.text
    unknown = client.get("/outcomes/before-after", params={**form, "area": "camera:nope"})
    assert unknown.status_code == 422 and "området finns inte (längre)" in unknown.text and 'id="result"' not in unknown.text
    first = client.get("/outcomes/before-after", params=form)  # no area given: the first zone
    assert first.status_code == 200 and 'id="result"' in first.text


def test_the_tracker_shows_the_outcomes_beside_the_outputs(client):
    tracker = client.get("/api/promises/2020").json()
    assert tracker["outcomes"]["year"] == 2020 and tracker["outcomes"]["suppressed_below"] == 3
    page = client.get("/promises/2020")
    assert page.status_code == 200
    section = page.text[page.text.index('id="utfall"'):]
    assert "Utfall: blev stadskärnan tryggare?" in section
    torg = section[section.index("<th scope=\"row\">Stora Torg</th>"):]
    assert torg.split("</tr>")[0].count("<td>") == 8  # all and the seven categories
    assert "<td>20</td>" in torg.split("</tr>")[0]  # 2020's thefts; 2019 has no data: no change shown
    assert "färre än 3" in section  # a zone's reports below k
    assert "Hela stadskärnan" in section


def test_the_summary_for_the_comparison_across_years(make_settings, zones):
    import json

    from service.outcomes import outcome_summary

    settings = make_settings()
    store = SQLiteStore(settings.store.db)
    write_layers(store, zones)
    summary = json.loads(json.dumps(outcome_summary(store, zones, [2020, 2021])))  # JSON-ready
    assert summary["suppressed_below"] == 3 and list(summary["years"]) == ["2020", "2021"]
    centre = summary["years"]["2021"]["centre"]
    assert _row(centre["incidents"], "all")["value"] == 6 and _row(centre["incidents"], "all")["previous"] == 20
    assert _row(centre["incidents"], "all")["beyond_noise"] is True
    assert centre["unsafe_places"][0]["value"] is None  # one mark: fewer than k, the centre's too
    assert _row(summary["years"]["2020"]["centre"]["incidents"], "all")["previous"] is None  # 2019: no data
    nissan = _zone(summary["years"]["2021"], "nissan")
    assert [r["category"] for r in nissan["incidents"]] == ["all"]  # each zone's totals only
    assert nissan["reports"][0]["value"] == 5 and nissan["unsafe_places"][0]["suppressed"] is True
    assert summary["years"]["2021"]["unplaced_incidents"] == {"town": 1, "county": 0}


def test_a_new_report_is_counted_at_once(client, zones):
    """The answer is cached per version of the incidents and reports: a new report shows."""
    before = _row(_zone(client.get("/api/outcomes?year=2021", headers=client.staff).json(), "stora-torg")["reports"],
                  "graffiti")["value"]
    lon, lat = _inside(zones, ["stora-torg"])
    client.app.state.context.store.write_features(REPORTS, validate(REPORTS, pd.DataFrame({
        "id": ["r-new"], "category": ["graffiti"], "created_at": ["2021-06-01T12:00"], "lon": lon, "lat": lat}), "t"))
    after = _row(_zone(client.get("/api/outcomes?year=2021", headers=client.staff).json(), "stora-torg")["reports"],
                 "graffiti")["value"]
    assert after == before + 1


def test_a_survey_given_is_shown_per_area_and_question(make_settings, zones):
    from service.outcomes import outcome_report

    settings = make_settings()
    store = SQLiteStore(settings.store.db)
    write_layers(store, zones)
    survey = pd.DataFrame({"year": [2020, 2021, 2021], "area": ["nissan", "nissan", "centrum"],
                           "question": ["otrygg-kvall"] * 3, "question_text": ["Känner dig otrygg på kvällen"] * 3,
                           "share": [0.42, 0.30, 0.33], "answers": [400, 380, 1200], "low": [0.37, 0.25, 0.30],
                           "high": [0.47, 0.35, 0.36]})
    report = outcome_report(store, zones, 2021, min_count=3, survey=survey)
    assert report["indicators"]["survey"] == "Trygghetsmätning"
    row = _zone(report, "nissan")["survey"][0]
    assert (row["name"], row["value"], row["previous"], row["answers"]) == ("Känner dig otrygg på kvällen", 0.3, 0.42, 380)
    assert row["change"] == pytest.approx(-0.12) and row["beyond_noise"] is True and row["suppressed"] is False
    assert report["centre"]["survey"][0]["previous"] is None  # the survey's whole centre is the centre's
    assert "centrum" not in [z["zone_id"] for z in report["zones"]]
    assert "survey" not in _zone(report, "slottet")
    TypeAdapter(Outcomes).validate_python(report)
    assert "survey" not in outcome_report(store, zones, 2021, min_count=3)["indicators"]


def test_the_page_sets_what_was_sent_as_text(client):
    hostile = '"><b id=x>a</b>'
    page = client.get("/outcomes/before-after", params={"at": hostile, "days": '"><i>', "area": hostile,
                                                         "layers": "incidents"})
    assert page.status_code == 422 and "<b id=x>" not in page.text and "<i>" not in page.text
    assert 'value="&#34;&gt;&lt;b id=x&gt;a&lt;/b&gt;"' in page.text  # the date field as sent, escaped


def test_the_stored_survey_is_in_the_outcomes_with_its_public_rule(client, zones):
    """Nissan's share rests on two answers: null for the public (the survey's rule), exact for staff."""
    from geo.io.survey import empty_places
    from geo.survey import validate_results

    raw = pd.DataFrame({"year": ["2020", "2021", "2020", "2021"], "area": ["centrum", "centrum", "nissan", "nissan"],
                        "question": ["otrygg_kvall"] * 4, "question_text": ["Känner dig otrygg på kvällen"] * 4,
                        "share": ["0.71", "0.60", "0.5", "1"], "answers": ["1200", "1100", "2", "2"]})
    for year in (2020, 2021):
        rows = raw[raw["year"] == str(year)].reset_index(drop=True)
        client.app.state.context.store.replace_survey(year, validate_results(rows, zones["zone_id"].tolist(), "t"),
                                                      empty_places(), "t")
    public = client.get("/api/outcomes?year=2021").json()
    assert public["indicators"]["survey"] == "Trygghetsmätning"
    centre = public["centre"]["survey"][0]
    assert (centre["value"], centre["previous"], centre["answers"]) == (0.6, 0.71, 1100)
    assert centre["beyond_noise"] is True and centre["name"] == "Känner dig otrygg på kvällen"
    assert _zone(public, "nissan")["survey"][0]["value"] is None
    staff = client.get("/api/outcomes?year=2021", headers=client.staff).json()
    assert _zone(staff, "nissan")["survey"][0]["value"] == 1
    assert 'id="utfall"' in client.get("/promises/2020").text  # a survey area that is no zone breaks no page
    db = str(client.app.state.context.settings.store.db)
    table = CliRunner().invoke(cli, ["outcomes", "2021", "--db", db], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert not any(line.startswith("│ centrum ") for line in table.output.splitlines())

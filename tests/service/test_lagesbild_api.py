"""The weekly lägesbild through the real app (JSON and page) and the command line."""

from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from typer.testing import CliRunner

from geo.layers import INCIDENTS, PINGS, REPORTS, validate
from geo.lagesbild import iso_week, shift_week
from geo.timestamps import LOCAL_TZ
from service.app import create_app
from service.settings import Settings, StoreSettings
from service.store import SQLiteStore
from tests.languages import ENGLISH, SWEDISH_LOCALE

TORG = (12.8572, 56.6740)  # on Stora Torg
HOSTILE = "<img src=x onerror=alert(1)>`${x}`"


def points(zones, zone_ids):
    """A point inside each of the zones named (lon, lat arrays)."""
    inside = zones.set_index("zone_id").geometry.representative_point()
    return inside[zone_ids].x.to_numpy(), inside[zone_ids].y.to_numpy()


def write_layers(store: SQLiteStore, zones) -> None:
    """2020-W12 (16-22 March): 3 incidents on Stora Torg, 1 at Nissan, 1 town-level, 2 Stora Torg
    incidents in W10, a graffiti report and an unsafe-place pin at Nissan, 30 minutes of presence
    on Stora Torg."""
    where = ["stora-torg"] * 3 + ["nissan", "stora-torg", "stora-torg", "stora-torg"]
    lon, lat = points(zones, where)
    store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame({
        "id": [f"i{k}" for k in range(7)],
        "occurred_at": ["2020-03-16T10:00:00+01:00", "2020-03-18T22:00:00+01:00", "2020-03-22T23:30:00+01:00",
                        "2020-03-20T21:00:00+01:00", "2020-03-19T01:00:00+01:00", "2020-03-03T20:00:00+01:00",
                        "2020-03-04T20:00:00+01:00"],
        "category": "misshandel", "location_precision": ["exact"] * 4 + ["town", "exact", "exact"],
        "lon": lon, "lat": lat}), "t"))
    lon, lat = points(zones, ["nissan", "nissan"])
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame({
        "id": ["r1", "r2"], "category": ["graffiti", "unsafe_place"], "created_at": "2020-03-17T10:00:00+01:00",
        "contact": ["anna@example.org", "bo@example.org"], "when": [None, "night"], "why": [None, "lighting"],
        "description": ["Klotter på bron", "Mörkt under bron"], "lon": lon, "lat": lat}), "t"))
    n = 1801
    store.write_pings(validate(PINGS, pd.DataFrame({
        "unit_id": "fot-1", "timestamp": pd.Timestamp("2020-03-17T19:00:00Z") + pd.to_timedelta(np.arange(n), unit="s"),
        "mode": "foot", "crew": 2, "lon": TORG[0], "lat": TORG[1]}), "t"))


@pytest.fixture
def client(make_settings, zones):
    settings = make_settings()
    write_layers(SQLiteStore(settings.store.db), zones)
    with TestClient(create_app(settings), headers=ENGLISH) as test_client:
        yield test_client


def test_json_shape_and_figures(client, zones):
    from service.auth import create_token

    staff = {"Authorization": f"Bearer {create_token(client.app.state.context.store, 'police')}"}
    response = client.get("/api/lagesbild?week=2020-W12", headers=staff)  # exact figures (the public ones: tests/security)
    assert response.status_code == 200
    body = response.json()
    assert body["week"] == "2020-W12" and body["synthetic"] is False and body["suppressed_below"] is None
    assert body["period"] == {"start": "2020-03-16T00:00:00+01:00", "end": "2020-03-23T00:00:00+01:00",
                              "time_zone": LOCAL_TZ, "complete": True}
    assert body["previous_weeks"] == ["2020-W08", "2020-W09", "2020-W10", "2020-W11"] and body["next_week"] == "2020-W13"
    assert "0.5 × new_reports" in body["score"]["definition"]
    assert [z["zone_id"] for z in body["zones"]] == zones["zone_id"].tolist()
    assert [z["name"] for z in body["zones"]] == zones["name"].tolist()
    torg = next(z for z in body["zones"] if z["zone_id"] == "stora-torg")
    assert torg["incidents"] == 3 and torg["incidents_mean_4w"] == 0.5 and torg["incidents_change"] == 2.5
    assert torg["presence_h"] == 0.5 and torg["presence_h_mean_4w"] == 0 and torg["presence_h_change"] == 0.5
    assert torg["attention_score"] == 5.5 and torg["attention_rank"] == 1
    nissan = next(z for z in body["zones"] if z["zone_id"] == "nissan")
    assert (nissan["incidents"], nissan["new_reports"], nissan["unsafe_place_pins"]) == (1, 1, 1)
    assert nissan["attention_score"] == 5.0 and nissan["attention_rank"] == 2
    assert [p["zone_id"] for p in body["priorities"]] == ["stora-torg", "nissan"], "only zones with a score above 0"
    assert body["priorities"][0] == {"rank": 1, "zone_id": "stora-torg", "name": "Stora Torg", "attention_score": 5.5,
                                     "reasons": ["3 brott, +2,5 mot fyraveckorssnittet"]}
    assert body["centre"]["town_level_incidents"] == 1 and body["centre"]["incidents"] == 4
    assert body["centre"]["presence_h"] == 0.5


def test_aggregated_figures_only_and_public(client):
    response = client.get("/api/lagesbild?week=2020-W12")
    text = response.text
    assert "example.org" not in text and "Klotter på bron" not in text and "fot-1" not in text
    assert "example.org" not in client.get("/lagesbild?week=2020-W12").text
    assert client.get("/api/lagesbild?week=2020-W12", headers={"Authorization": "Bearer nope"}).status_code == 401


@pytest.mark.parametrize("week, message", [
    ("2020-W54", "2020 has weeks 1 to 53"), ("2020-12", "not an ISO week; write it as YYYY-Www"),
    ("abc", "not an ISO week"), ("2099-W01", "2099-W01 has not begun yet; the latest week is"),
    ("1500-W01", "the year must be 2000 to 2100"), ("0001-W01", "the year must be 2000 to 2100")])
def test_bad_weeks_are_422_with_a_message(client, week, message):
    response = client.get("/api/lagesbild", params={"week": week})
    assert response.status_code == 422 and message in response.json()["detail"]
    assert response.json()["detail"].startswith("field 'week': ")
    swedish = client.get("/api/lagesbild", params={"week": week}, headers={"Accept-Language": "sv"}).json()["detail"]
    assert swedish.startswith("fält 'week': ") and message not in swedish
    page = client.get("/lagesbild", params={"week": week})  # a page is Swedish, whatever the client asks for
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert str(escape(swedish)) in page.text and 'href="/lagesbild"' in page.text  # escaped as Jinja does


def test_the_default_is_the_current_week_and_the_next_has_not_begun(client):
    now = pd.Timestamp.now(tz=LOCAL_TZ)
    body = client.get("/api/lagesbild").json()
    assert body["week"] in (iso_week(now), iso_week(pd.Timestamp.now(tz=LOCAL_TZ)))
    assert body["period"]["complete"] is False and body["next_week"] is None
    assert client.get("/api/lagesbild", params={"week": shift_week(body["week"], 1)}).status_code == 422
    page = client.get("/lagesbild").text
    assert "Veckan pågår" in page and "nästa vecka har inte börjat" in page


def test_a_week_across_new_year_reads_two_years_of_presence(client):
    store = client.app.state.context.store
    start = pd.Timestamp("2020-12-31T23:30:00", tz=LOCAL_TZ)
    store.write_pings(validate(PINGS, pd.DataFrame({
        "unit_id": "fot-2", "timestamp": start + pd.to_timedelta(np.arange(3601), unit="s"),
        "mode": "foot", "lon": TORG[0], "lat": TORG[1]}), "t"))
    torg = next(z for z in client.get("/api/lagesbild?week=2020-W53").json()["zones"] if z["zone_id"] == "stora-torg")
    assert torg["presence_h"] == 1.0
    torg = next(z for z in client.get("/api/lagesbild?week=2021-W01").json()["zones"] if z["zone_id"] == "stora-torg")
    assert torg["presence_h"] == 0 and torg["presence_h_mean_4w"] == 0.25


def test_page_shows_every_zone_priorities_links_and_a_map(client, zones):
    response = client.get("/lagesbild?week=2020-W12")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Lägesbild vecka 12, 2020" in page and "16–22 mars 2020" in page
    for name in zones["name"]:
        assert html.escape(name) in page
    assert 'href="?week=2020-W11"' in page and 'href="?week=2020-W13"' in page
    assert 'id="priority-1"' in page and 'id="priority-2"' in page and 'id="priority-3"' not in page
    assert "3 brott, +2,5 mot fyraveckorssnittet" in page
    assert '<tr class="priority" data-zone="stora-torg">' in page
    assert 'id="town-level">1<' in page
    assert "<svg" in page and "SYNTETISKA DEMODATA" not in page
    for reference in ('src="http', "src='http", 'href="http', "href='http", "url(http", "@import"):
        assert reference not in page, "no external resources"
    assert "<script" not in page


def test_zone_names_are_escaped(tmp_path, make_settings):
    path = tmp_path / "town.geojson"
    ring = [[12.857, 56.674], [12.858, 56.674], [12.858, 56.675], [12.857, 56.675], [12.857, 56.674]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"zone_id": "torget", "name": HOSTILE, "kind": "square", "lighting_class": "P2"}}]}),
        encoding="utf-8")
    settings = make_settings(zones=path)
    SQLiteStore(settings.store.db).write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame({
        "id": ["i1"], "occurred_at": ["2020-03-17T20:00:00+01:00"], "category": "rån",
        "lon": [12.8575], "lat": [56.6745]}), "t"))
    with TestClient(create_app(settings), headers=ENGLISH) as client:
        assert client.get("/api/lagesbild?week=2020-W12").json()["priorities"][0]["name"] == HOSTILE
        page = client.get("/lagesbild?week=2020-W12").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("&lt;img src=x") == 2, "in the priorities and the table"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, zones, demo_year):
    """The synthetic demo data, with the patrol pings of March only (fast to store)."""
    from dataclasses import replace

    from service.demo import store_demo

    data = demo_year
    local = data.pings["timestamp"].dt.tz_convert(LOCAL_TZ)
    data = replace(data, pings=data.pings[(local >= "2020-02-10") & (local < "2020-03-23")])
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    store_demo(SQLiteStore(path), data, 2020, 2020, zones["zone_id"].tolist())
    return path


def test_demo_data_is_labelled_synthetic(demo_db):
    with TestClient(create_app(Settings(store=StoreSettings(db=demo_db))), headers=ENGLISH) as client:
        body = client.get("/api/lagesbild?week=2020-W12").json()
        page = client.get("/lagesbild?week=2020-W12").text
    assert body["synthetic"] is True and len(body["priorities"]) == 3
    assert all(p["reasons"] for p in body["priorities"])
    assert sum(z["incidents"] for z in body["zones"]) > 10 and sum(z["presence_h"] for z in body["zones"]) > 1
    assert 'id="synthetic-label">SYNTETISKA DEMODATA<' in page
    for p in body["priorities"]:
        assert f'id="priority-{p["rank"]}"' in page and html.escape(p["name"]) in page


# -- the command line --------------------------------------------------------------------------

runner = CliRunner()


def test_command_line(make_settings, zones):
    db = make_settings().store.db
    write_layers(SQLiteStore(db), zones)
    from service.cli import app

    result = runner.invoke(app, ["lagesbild", "--week", "2020-W12", "--format", "json", "--db", str(db)],
                           env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["week"] == "2020-W12" and body["priorities"][0]["zone_id"] == "stora-torg"
    table = runner.invoke(app, ["lagesbild", "--week", "2020-W12", "--db", str(db)], env={"COLUMNS": "250"})
    assert table.exit_code == 0, table.output
    assert "Stora Torg" in table.output and "3 brott, +2,5 mot fyraveckorssnittet" in table.output
    assert "Situation picture 2020-W12" in table.output and "1. Stora Torg (score " in table.output
    swedish = runner.invoke(app, ["lagesbild", "--week", "2020-W12", "--db", str(db)],
                            env={"COLUMNS": "250", **SWEDISH_LOCALE})
    assert "Lägesbild 2020-W12" in swedish.output and "1. Stora Torg (poäng " in swedish.output
    bad = runner.invoke(app, ["lagesbild", "--week", "2020-W54", "--db", str(db)])
    assert bad.exit_code == 2 and "2020 has weeks 1 to 53" in bad.output


def test_presence_from_a_log_is_counted_and_said_apart(client):
    from geo.presence_log import validate_log

    # fot-1 logs 19:00-20:00 UTC on 17 March (GPS covers the first half hour), a horse patrol an hour at Nissan
    log = validate_log(pd.DataFrame({"unit_id": ["fot-1", "häst-1"], "start": ["2020-03-17T19:00:00Z", "2020-03-18T18:00:00Z"],
                                     "end": ["2020-03-17T20:00:00Z", "2020-03-18T19:00:00Z"], "mode": ["foot", "horse"],
                                     "zone_id": ["stora-torg", "nissan"]}, dtype=object),
                       ["stora-torg", "nissan"], "logg.csv")
    client.app.state.context.store.write_presence_log(log)
    body = client.get("/api/lagesbild?week=2020-W12").json()
    zone = {z["zone_id"]: z for z in body["zones"]}
    assert zone["stora-torg"]["presence_h"] == 1.0 and zone["stora-torg"]["presence_log_h"] == 0.5
    assert zone["nissan"]["presence_h"] == 1.0 and zone["nissan"]["presence_log_h"] == 1.0
    assert body["centre"]["presence_log_h"] == 1.5 and body["centre"]["presence_h"] == 2.0
    page = " ".join(client.get("/lagesbild?week=2020-W12").text.split())
    assert "kommer <strong id=\"presence-log\">1,5 h</strong> ur polisens egna närvarologgar" in page

"""No data ever becomes template source: hostile text in zones, streets, layers, promises,
staff notes and query parameters reaches every page and every file the CLI writes as text —
never evaluated (no 49, no 42), never crashing a build ({% if %}), never running Python on the
server. The same world in a real browser: tests/browser/test_hostile_text.py."""

from __future__ import annotations

import html
import os

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.app import create_app
from service.auth import create_token
from service.cli import app as cli
from tests.security.hostile import SSTI, TAGS, evaluated, hostile, hostile_world

PAGES = ("/", "/maps/planner?year=2020", "/maps/lighting", "/promises/2020?as_of=2020-12-31", "/lagesbild?week=2020-W19",
         "/report", "/docs", "/purple-flag/2020?as_of=2020-12-31")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return folder, hostile_world(folder)


@pytest.fixture(scope="module")
def client(world):
    with TestClient(create_app(world[1])) as test_client:
        yield test_client


def _unescaped(text: str) -> str:
    return html.unescape(text)


@pytest.mark.parametrize("url", PAGES)
def test_no_page_evaluates_hostile_text(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    text = _unescaped(response.text)
    for tag in TAGS:
        assert not evaluated(text, tag), f"{tag} was evaluated as a template on {url}"


def test_zone_names_reach_the_maps_as_text(client):
    for url in ("/", "/maps/planner?year=2020", "/maps/lighting"):
        text = _unescaped(client.get(url).text)
        assert "ZON-{{7*7}}-ZON-{{ 6*7 }}-{% if 1 %}IF{% endif %}" in text


def test_the_police_maps_unit_runs_no_code_on_the_server(client, world):
    token = create_token(client.app.state.context.store, "police")
    response = client.get("/maps/police", params={"year": 2020, "day": "2020-05-08", "unit": SSTI},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert os.getcwd() not in response.text
    assert SSTI in _unescaped(response.text), "the unit is shown as the text it is"
    response = client.get("/maps/police", params={"year": 2020, "day": "2020-05-08", "unit": hostile("ENHET")},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and not evaluated(_unescaped(response.text), "ENHET")


def test_the_cli_writes_every_map_and_the_report_with_hostile_text(world, tmp_path):
    folder, settings = world
    env = {"STADSKARNA_MAP_TILES": "none", "STADSKARNA_PROMISES_DIR": str(settings.promises.dir)}
    where = ["--db", str(settings.store.db), "--zones", str(settings.geography.zones),
             "--streets", str(settings.geography.streets)]
    runner = CliRunner()
    check = runner.invoke(cli, ["zones", "check", str(settings.geography.zones)])
    assert check.exit_code == 0, check.output
    for kind in ("overview", "planner", "lighting", "police"):
        out = tmp_path / f"{kind}.html"
        extra = ["--year", "2020", "--day", "2020-05-08", "--unit", SSTI] if kind == "police" else []
        result = runner.invoke(cli, ["map", kind, "-o", str(out), *where, *extra], env=env)
        assert result.exit_code == 0, result.output
        text = _unescaped(out.read_text(encoding="utf-8"))
        assert os.getcwd() not in text
        assert not any(evaluated(text, tag) for tag in TAGS), kind
    out = tmp_path / "report.html"
    result = runner.invoke(cli, ["report", "2020", "-o", str(out), *where], env=env)
    assert result.exit_code == 0, result.output
    text = _unescaped(_unescaped(out.read_text(encoding="utf-8")))  # the maps are escaped twice (srcdoc)
    assert not any(evaluated(text, tag) for tag in TAGS)
    assert "LOFTE-{{7*7}}" in text and "NOTERING-{{7*7}}" in text


def test_template_syntax_in_a_zone_name_cannot_crash_a_build(tmp_path):
    import json

    from tests.conftest import ZONES_FILE

    doc = json.loads(ZONES_FILE.read_text(encoding="utf-8"))
    doc["features"][0]["properties"]["name"] = "{% if %}{% endfor %}{{ }}{#"
    zones = tmp_path / "zones.geojson"
    zones.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "map.html"
    result = CliRunner().invoke(cli, ["map", "overview", "-o", str(out), "--db", str(tmp_path / "db.sqlite"),
                                      "--zones", str(zones)], env={"STADSKARNA_MAP_TILES": "none"})
    assert result.exit_code == 0, result.output
    assert "{% if %}{% endfor %}{{ }}{#" in _unescaped(out.read_text(encoding="utf-8"))


def test_the_staff_report_pages_keep_hostile_text_as_text(client):
    staff = {"Authorization": f"Bearer {create_token(client.app.state.context.store, 'municipality')}"}
    for url in ("/staff/reports?status=alla", "/staff/reports/r-0", "/staff/reports/r-1", "/staff/reports/r-4"):
        response = client.get(url, headers=staff)
        assert response.status_code == 200, response.text[:500]
        text = _unescaped(response.text)
        for tag in ("BESKRIVNING", "ORSAK", "ETIKETT"):
            assert not evaluated(text, tag), f"{tag} was evaluated as a template on {url}"
    closed = _unescaped(client.get("/staff/reports/r-0", headers=staff).text)
    assert "ORSAK-{{7*7}}" in closed and "ETIKETT-{{7*7}}" in closed, "the reason and who closed it, as text"

"""The stadskarna command: help, settings from options and environment, zones check, serve."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from service.cli import app, build_settings
from tests.conftest import ZONES_FILE

runner = CliRunner()


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "serve" in result.output and "zones" in result.output
    serve_help = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "250"}).output
    for option in ("--host", "--port", "--db", "--zones", "STADSKARNA_DB"):
        assert option in serve_help


def test_database_path_from_option_environment_and_default(monkeypatch, tmp_path):
    monkeypatch.delenv("STADSKARNA_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert build_settings().store.db == Path("stadskarna.gpkg"), "a GeoPackage by name, for QGIS and GDAL"
    Path("stadskarna.sqlite").write_bytes(b"")  # the file an earlier version made keeps working
    assert build_settings().store.db == Path("stadskarna.sqlite")
    monkeypatch.setenv("STADSKARNA_DB", str(tmp_path / "env.sqlite"))
    assert build_settings().store.db == tmp_path / "env.sqlite"
    assert build_settings(db=tmp_path / "option.sqlite").store.db == tmp_path / "option.sqlite"


def test_a_setting_the_environment_got_wrong_is_named_without_its_value(tmp_path):
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "db.gpkg")],
                           env={"STADSKARNA_PRIVACY_MIN_COUNT": "tre", "COLUMNS": "250"})
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "setting STADSKARNA_PRIVACY_MIN_COUNT: Input should be a valid integer" in result.output
    assert "'tre'" not in result.output, "never the value: it may be a secret"


def test_zones_path_from_option_and_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("STADSKARNA_ZONES", str(tmp_path / "env.geojson"))
    assert build_settings().geography.zones == tmp_path / "env.geojson"
    assert build_settings(zones=tmp_path / "opt.geojson").geography.zones == tmp_path / "opt.geojson"


def test_zones_check_lists_a_good_file():
    result = runner.invoke(app, ["zones", "check", str(ZONES_FILE)])
    assert result.exit_code == 0, result.output
    assert "10 zones" in result.output and "stora-torg" in result.output and "approximate" in result.output


def test_zones_check_names_the_problem_in_a_bad_file(tmp_path):
    bad = tmp_path / "bad.geojson"
    doc = json.loads(ZONES_FILE.read_text(encoding="utf-8"))
    doc["features"][3]["properties"]["kind"] = "plaza"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["zones", "check", str(bad)])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "bad.geojson, feature 3 (zone_id 'brogatan-lilla-torg'), field 'kind': 'plaza' is not one of" in message


def test_serve_with_a_bad_zones_file_exits_with_the_reason(tmp_path):
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "db.sqlite"),
                                 "--zones", str(tmp_path / "missing.geojson")])
    assert result.exit_code == 2 and "file not found" in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_console_script_serves_the_app(tmp_path):
    port = free_port()
    db = tmp_path / "served.sqlite"
    script = Path(sys.executable).with_name("stadskarna")
    env = {**os.environ, "STADSKARNA_DB": str(db)}
    process = subprocess.Popen([str(script), "serve", "--port", str(port)], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "the service did not start within 30 s"
                time.sleep(0.2)
        assert response.json()["store"] == "geopackage" and db.exists()  # the path is for the operator, not for answers
        assert httpx.get(f"http://127.0.0.1:{port}/api/zones").json()["type"] == "FeatureCollection"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_text_from_files_is_never_read_as_markup(tmp_path):
    doc = json.loads(ZONES_FILE.read_text(encoding="utf-8"))
    doc["features"][0]["properties"]["name"] = "Slottet [/] [bold]x"
    path = tmp_path / "ok[red].geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["zones", "check", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Slottet [/] [bold]x" in result.output and "ok[red].geojson" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("id,occurred_at,category,lat,lon\na,2020-01-01T10:00:00Z,[/],56.674,12.857\n", encoding="utf-8")
    imported = runner.invoke(app, ["import", "incidents", str(bad), "--db", str(tmp_path / "db.sqlite")],
                             env={"COLUMNS": "250"})
    assert imported.exit_code == 2 and "'[/]' is not one of" in imported.output


def test_errors_are_swedish_in_a_swedish_locale(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,occurred_at,category,lat,lon\na,2020-01-01T10:00:00Z,ufo,56.674,12.857\n", encoding="utf-8")
    command = ["import", "incidents", str(bad), "--db", str(tmp_path / "db.sqlite")]
    swedish = runner.invoke(app, command, env={"COLUMNS": "250", "LANGUAGE": "", "LC_ALL": "", "LANG": "sv_SE.UTF-8"})
    assert swedish.exit_code == 2 and "fel: " in swedish.output
    assert "fält 'category': 'ufo' är inte ett av" in swedish.output
    english = runner.invoke(app, command, env={"COLUMNS": "250", "LANGUAGE": "", "LC_ALL": "", "LANG": "C.UTF-8"})
    assert "error: " in english.output and "field 'category': 'ufo' is not one of" in english.output


def test_file_system_errors_end_with_a_message_not_a_traceback(tmp_path):
    script = Path(sys.executable).with_name("stadskarna")
    result = subprocess.run([str(script), "export", "lights", str(tmp_path / "missing" / "x.geojson"),
                             "--db", str(tmp_path / "db.sqlite")], capture_output=True, text=True)
    assert result.returncode == 2 and "error:" in result.stderr and "Traceback" not in result.stderr


def test_map_command_writes_a_self_contained_page(tmp_path):
    out = tmp_path / "karta.html"
    result = runner.invoke(app, ["map", "overview", "-o", str(out), "--db", str(tmp_path / "db.sqlite")])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "/static/leaflet" not in page and "L.map(" in page and "Stora Torg" in page
    again = runner.invoke(app, ["map", "overview", "-o", str(out), "--db", str(tmp_path / "db.sqlite")])
    assert again.exit_code == 2 and "exists already" in " ".join(again.output.split())

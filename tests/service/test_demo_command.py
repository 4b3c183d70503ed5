"""`stadskarna demo` end to end: synthetic data in the store, labelled, loaded once with --if-empty."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo.layers import LAYERS, LIGHTS
from service.app import create_app
from service.cli import app
from service.settings import Settings, StoreSettings
from service.store import SQLiteStore


def test_demo_loads_labelled_synthetic_data_once(tmp_path, demo_loaded, demo_year_db):
    """The command's run into an empty database is the one of tests/conftest.py (made once per
    run: storing the years and keeping their presence is most of the command's time); here its
    output, then what it left, in a copy of its database."""
    assert "SYNTHETIC demo data for 2020 (seed 2020)" in demo_loaded.output
    assert "SYNTHETIC demo data for 2021 (seed 2021)" in demo_loaded.output
    assert "lights: 0 synthetic records stored, 0 updated, 509 already there" in " ".join(demo_loaded.output.split()), \
        "2021 keeps 2020's lamps"
    assert "lights: 16 synthetic lamps of the lighting programme's measures done in 2021 stored, 0 updated" in \
        " ".join(demo_loaded.output.split()), "the kulturstråket's two measures done in 2021, eight lamps each"
    db = demo_year_db(tmp_path)
    runner = CliRunner()
    store = SQLiteStore(db)
    lamps = store.read_features(LIGHTS)
    route = lamps[lamps["id"].str.startswith("kulturstraket-")].set_index("id")
    assert len(route) == 16 and set(route["status"]) == {"working"}, "the measure not done (17, 18) is not up"
    assert str(route.loc["kulturstraket-1", "installed_at"].tz_convert("Europe/Stockholm").date()) == "2021-06-21"
    assert str(route.loc["kulturstraket-9", "installed_at"].tz_convert("Europe/Stockholm").date()) == "2021-11-15"
    counts = {name: store.count(schema) for name, schema in LAYERS.items()}
    assert all(n > 0 for n in counts.values())
    assert 800 <= counts["patrols"] / 3600 / 1.1 <= 1000, \
        "2020's 1 Hz pings and a tenth as many in 2021 (every 10 s), each year 800-1,000 h"
    for name, schema in LAYERS.items():
        frame = store.read_pings() if name == "patrols" else store.read_features(schema)
        assert set(frame["source"]) == {"synthetic"}

    again = runner.invoke(app, ["demo", "--db", str(db), "--if-empty"], env={"COLUMNS": "250"})
    assert again.exit_code == 0 and "holds data already" in again.output
    assert {name: store.count(schema) for name, schema in LAYERS.items()} == counts

    with TestClient(create_app(Settings(store=StoreSettings(db=db)))) as client:
        health = client.get("/health").json()
    assert health["demo_data"] == "synthetic demo data for 2020, seed 2020; 2021, seed 2021"
    assert health["records"] == counts

    with TestClient(create_app(Settings(store=StoreSettings(db=db)))) as client:
        rounds = client.get("/api/removal-rounds?year=2020").json()["categories"]
    assert rounds["graffiti"]["rounds"] == 2 and rounds["weeds"]["promise_met"]
    assert all(r["closed_reports"] > 0 for r in rounds["graffiti"]["rounds_held"])

    for year in (2020, 2021):
        coverage = runner.invoke(app, ["coverage", "patrol", "--year", str(year), "--format", "json", "--db", str(db)])
        assert coverage.exit_code == 0, coverage.output
        report = json.loads(coverage.output)
        assert 800 <= report["centre"]["presence_h"] <= 1000, "each year's visible presence is near the 900 h promise"
        assert sum(zone["presence_h"] for zone in report["zones"]) == pytest.approx(report["centre"]["presence_h"],
                                                                                   abs=0.1)

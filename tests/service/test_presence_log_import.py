"""`stadskarna import presence-log`: the police's logged hours stored once, counted in the patrol
figures where no GPS of the unit covers them (GPS wins, the overlap reported), refused whole with
the file, line and field when a row is wrong or overlaps a stored one."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.layers import PINGS, validate
from service.cli import app
from service.store import SQLiteStore


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})


def test_a_log_counts_where_gps_does_not_and_is_shown_apart(tmp_path, zones):
    db = tmp_path / "db.gpkg"
    torg = zones.set_index("zone_id").geometry["stora-torg"].representative_point()
    # GPS of fot-1 standing on Stora Torg 20:30-21:00 UTC on 8 May 2020
    SQLiteStore(db).write_pings(validate(PINGS, pd.DataFrame({
        "unit_id": "fot-1", "timestamp": pd.date_range("2020-05-08T20:30:00Z", "2020-05-08T21:00:00Z", freq="s"),
        "mode": "foot", "crew": 2, "lon": torg.x, "lat": torg.y}), "gps"))
    log = tmp_path / "narvarologg.csv"
    log.write_text("unit_id,start,end,mode,crew,zone_id\n"
                   "fot-1,2020-05-08 22:00,2020-05-09 00:00,foot,2,stora-torg\n"  # local time: 20:00-22:00 UTC
                   "cykel-9,2020-05-08T18:00:00Z,2020-05-08T19:00:00Z,bike,1,norre-katts-park\n", encoding="utf-8")
    first = invoke("import", "presence-log", log, "--db", db)
    assert first.exit_code == 0, first.output
    assert "presence-log from narvarologg.csv: 2 rows read, 2 imported, 0 updated, 0 skipped" in first.output
    again = invoke("import", "presence-log", log, "--db", db)
    assert "0 imported, 0 updated, 2 skipped (2 already stored)" in again.output
    report = json.loads(invoke("coverage", "patrol", "--year", "2020", "--format", "json", "--db", db).output)
    centre = report["centre"]
    assert centre["presence_log_h"] == pytest.approx(2.5) and centre["presence_log_overlap_h"] == pytest.approx(0.5)
    assert centre["presence_h"] == pytest.approx(3.0), "2 h logged of which 0.5 h GPS, 1 h by bike"
    zone = {z["zone_id"]: z for z in report["zones"]}
    assert zone["stora-torg"]["presence_log_h"] == pytest.approx(1.5) and zone["stora-torg"]["officer_h"] == pytest.approx(4.0)
    assert zone["norre-katts-park"]["presence_h"] == pytest.approx(1.0)


def test_gps_reaching_past_midnight_into_a_logged_day_is_not_counted_twice(tmp_path, zones):
    """The last gap of a day counts into the next (up to the longest gap): a log row from midnight
    adds only what that gap does not cover."""
    db = tmp_path / "db.gpkg"
    torg = zones.set_index("zone_id").geometry["stora-torg"].representative_point()
    # fot-1 standing on Stora Torg, a ping every 2 minutes 22:00-23:58 UTC, the next at 00:03 (counted: ≤ 6 min)
    times = [*pd.date_range("2020-05-08T22:00:00Z", "2020-05-08T23:58:00Z", freq="120s"),
             pd.Timestamp("2020-05-09T00:03:00Z")]
    SQLiteStore(db).write_pings(validate(PINGS, pd.DataFrame({
        "unit_id": "fot-1", "timestamp": times, "mode": "foot", "crew": 2, "lon": torg.x, "lat": torg.y}), "gps"))
    log = tmp_path / "narvarologg.csv"
    log.write_text("unit_id,start,end,mode,crew,zone_id\n"
                   "fot-1,2020-05-09T00:00:00Z,2020-05-09T00:30:00Z,foot,2,stora-torg\n", encoding="utf-8")
    assert invoke("import", "presence-log", log, "--db", db).exit_code == 0
    centre = json.loads(invoke("coverage", "patrol", "--year", "2020", "--format", "json", "--db", db).output)["centre"]
    assert centre["presence_log_h"] == pytest.approx(27 / 60)
    assert centre["presence_log_overlap_h"] == pytest.approx(3 / 60)
    assert centre["presence_h"] == pytest.approx(2.5), "22:00-00:03 by GPS, 00:03-00:30 logged"


def test_a_bad_or_overlapping_log_is_refused_whole(tmp_path):
    db = tmp_path / "db.gpkg"
    good = tmp_path / "logg.csv"
    good.write_text("unit_id,start,end,mode,zone_id\nfot-1,2020-05-08T20:00:00Z,2020-05-08T21:00:00Z,foot,stora-torg\n",
                    encoding="utf-8")
    assert invoke("import", "presence-log", good, "--db", db).exit_code == 0
    bad = tmp_path / "fel.csv"
    bad.write_text("unit_id,start,end,mode,zone_id\nfot-2,2020-05-08T20:00:00Z,2020-05-08T21:00:00Z,foot,stora-torg\n"
                   "fot-3,2020-05-08T20:00:00Z,2020-05-08T21:00:00Z,ubåt,stora-torg\n", encoding="utf-8")
    refused = invoke("import", "presence-log", bad, "--db", db)
    message = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "fel.csv, row 3, field 'mode'" in message and "nothing was imported" in message
    overlapping = tmp_path / "omlott.csv"
    overlapping.write_text("unit_id,start,end,mode,zone_id\n"
                           "fot-1,2020-05-08T20:30:00Z,2020-05-08T21:30:00Z,foot,stora-torg\n", encoding="utf-8")
    clash = invoke("import", "presence-log", overlapping, "--db", db)
    assert clash.exit_code == 2 and "overlaps the stored row from 2020-05-08T20:00:00.000Z" in " ".join(clash.output.split())
    stored = SQLiteStore(db).read_presence_log(pd.Timestamp("2020-01-01", tz="UTC"), pd.Timestamp("2021-01-01", tz="UTC"))
    assert stored["unit_id"].tolist() == ["fot-1"] and stored["end"].iloc[0] == pd.Timestamp("2020-05-08T21:00:00Z")

"""CSV formula injection (OWASP "CSV Injection"): no CSV the project writes starts a cell with
``= + - @``, tab or CR, and export → import still gives back the exact text."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from geo.crs import HALMSTAD_LONLAT
from geo.io.csvsafe import TRIGGERS, neutralise, restore
from geo.layers import INCIDENTS, PINGS, REPORTS, validate
from service.cli import app
from service.store import SQLiteStore

LON, LAT = HALMSTAD_LONLAT
ZONES_FILE = Path(__file__).resolve().parents[2] / "data" / "stadskarna.geojson"
HYPERLINK = '=HYPERLINK("http://evil.example","klick")'
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})


def dangerous_cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell.startswith(TRIGGERS)]


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# -- the rule itself ---------------------------------------------------------------------------

prefixes = st.sampled_from(["", *TRIGGERS, "'", "''", "'=", "''+", "'\t", "' -", "'a"])
texts = st.one_of(st.text(), st.builds(str.__add__, prefixes, st.text()),
                  st.builds(str.__add__, prefixes, st.text(alphabet="'=+-@\t\r x", max_size=4)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(texts, st.none()), min_size=1, max_size=12), st.sampled_from(["str", "object", "string"]))
def test_neutralise_then_restore_gives_back_any_text(cells, dtype):
    frame = pd.DataFrame({"text": pd.Series(cells, dtype=dtype), "number": np.arange(len(cells)) - 3.5})
    safe = neutralise(frame)
    assert not safe["text"].dropna().str.startswith(TRIGGERS).any()
    assert safe["text"].dtype == frame["text"].dtype
    pd.testing.assert_series_equal(restore(safe["text"]), frame["text"])
    pd.testing.assert_series_equal(safe["number"], frame["number"])  # numbers are never text
    pd.testing.assert_frame_equal(frame, pd.DataFrame({"text": pd.Series(cells, dtype=dtype),
                                                       "number": np.arange(len(cells)) - 3.5}))  # input kept


def test_only_text_cells_that_a_spreadsheet_would_run_get_an_apostrophe():
    frame = pd.DataFrame({"text": [HYPERLINK, "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=x", "'x", "x=1", None],
                          "mixed": pd.Series([True, None, 2, "=1", "ok", -1, "'", "''@", "", np.nan], dtype=object),
                          "n": [-1, -2, 3, 4, 5, 6, 7, 8, 9, 10],
                          "t": pd.date_range("2020-01-01", periods=10, tz="UTC")})
    safe = neutralise(frame)
    assert safe["text"].tolist()[:9] == ["'" + HYPERLINK, "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "''=x",
                                         "'x", "x=1"]
    assert safe["mixed"].tolist()[:9] == [True, None, 2, "'=1", "ok", -1, "'", "'''@", ""]
    assert safe["n"].equals(frame["n"]) and safe["t"].equals(frame["t"])
    assert restore(pd.Series(["'=1", "''=1", "'x", "'", "-1", "'-"])).tolist() == ["=1", "'=1", "'x", "'", "-1", "-"]


# -- layer exports through the command line, and back in ----------------------------------------

DESCRIPTIONS = [HYPERLINK, "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=x", "''-x", "vanlig text, med komma"]


@pytest.fixture
def reports_db(tmp_path) -> Path:
    db = tmp_path / "reports.sqlite"
    raw = pd.DataFrame([{"id": f"r{i}", "category": "graffiti", "description": text,
                         "created_at": "2024-03-01T10:00:00Z", "lon": LON + i * 1e-5, "lat": LAT}
                        for i, text in enumerate(DESCRIPTIONS)]
                       + [{"id": "-7", "category": "other", "description": "@x", "created_at": "2024-03-02T10:00:00Z",
                           "status": "closed", "closed_at": "2024-03-03T10:00:00Z", "close_reason": "=1+1",
                           "photo": "+46.jpg", "contact": "=cmd|' /C calc'!A0", "source": "-app",
                           "lon": LON, "lat": LAT + 1e-4}])
    SQLiteStore(db).write_features(REPORTS, validate(REPORTS, raw, "test"))
    return db


@pytest.mark.parametrize("include_contact", [False, True])
def test_exported_reports_csv_has_no_formula_and_imports_back_exactly(tmp_path, reports_db, include_contact):
    out = tmp_path / "out.csv"
    flags = ["--include-contact"] if include_contact else []
    result = invoke("export", "reports", out, *flags, "--db", reports_db)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert dangerous_cells(rows) == []
    cells = {cell for row in rows for cell in row}
    assert "'" + HYPERLINK in cells and "'-7" in cells and "'=1+1" in cells and "''=x" in cells
    assert ("'=cmd|' /C calc'!A0" in cells) is include_contact

    fresh = tmp_path / "fresh.sqlite"
    imported = invoke("import", "reports", out, "--db", fresh)
    assert imported.exit_code == 0, imported.output
    original = SQLiteStore(reports_db).read_features(REPORTS, include_private=include_contact)
    back = SQLiteStore(fresh).read_features(REPORTS, include_private=include_contact)
    descriptions = dict(zip(back["id"], back["description"]))
    assert descriptions == dict(zip(original["id"], original["description"]))
    assert descriptions["r0"] == HYPERLINK and descriptions["r6"] == "'=x" and descriptions["-7"] == "@x"
    assert_geodataframe_equal(back, original)


def test_exported_patrols_csv_has_no_formula_and_imports_back_exactly(tmp_path):
    db, fresh, out = tmp_path / "db.sqlite", tmp_path / "fresh.sqlite", tmp_path / "patrols.csv"
    pings = pd.DataFrame({"unit_id": ["=fot-1", "=fot-1", "-2"], "timestamp": ["2024-01-15T10:00:00Z",
                          "2024-01-15T10:00:01Z", "2024-01-15T10:00:00Z"], "mode": "foot", "crew": 2,
                          "source": "@gps", "lon": LON, "lat": LAT})
    SQLiteStore(db).write_pings(validate(PINGS, pings, "test"))
    assert invoke("export", "patrols", out, "--db", db).exit_code == 0
    assert dangerous_cells(csv_rows(out.read_text(encoding="utf-8"))) == []
    assert invoke("import", "patrols", out, "--db", fresh).exit_code == 0
    pd.testing.assert_frame_equal(SQLiteStore(fresh).read_pings(), SQLiteStore(db).read_pings())


# -- coverage outputs --------------------------------------------------------------------------


@pytest.fixture
def evil_zones(tmp_path) -> Path:
    doc = json.loads(ZONES_FILE.read_text(encoding="utf-8"))
    doc["features"][0]["properties"]["name"] = HYPERLINK
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [["patrol", "--year", "2020"], ["lighting", "--cell", "5"]])
def test_coverage_csv_has_no_formula(tmp_path, evil_zones, command):
    result = invoke("coverage", *command, "--format", "csv", "--zones", evil_zones, "--db", tmp_path / "empty.sqlite")
    assert result.exit_code == 0, result.output
    rows = csv_rows(result.stdout)
    assert len(rows) == 11 and dangerous_cells(rows) == []
    assert "'" + HYPERLINK in {cell for row in rows for cell in row}


def test_hot_spot_visits_csv_has_no_formula(tmp_path):
    db, visits = tmp_path / "db.sqlite", tmp_path / "visits.csv"
    n = 1801
    store = SQLiteStore(db)
    store.write_pings(validate(PINGS, pd.DataFrame({
        "unit_id": "=fot-1", "timestamp": pd.Timestamp("2020-05-01T19:00:00Z") + pd.to_timedelta(np.arange(n), unit="s"),
        "mode": "foot", "crew": 2, "lon": 12.8572, "lat": 56.6740}), "test"))
    store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame(
        [{"id": f"i{i}", "occurred_at": "2020-04-03T23:00:00+02:00", "category": "misshandel",
          "lon": 12.8572 + 0.00001 * i, "lat": 56.6740} for i in range(12)]), "test"))
    result = invoke("coverage", "patrol", "--year", 2020, "--format", "json", "--visits", visits, "--db", db)
    assert result.exit_code == 0, result.output
    rows = csv_rows(visits.read_text(encoding="utf-8"))
    assert rows[1][:2] == ["hs-1", "'=fot-1"] and dangerous_cells(rows) == []

"""The archive (`stadskarna archive pings|layers DIR`): GeoParquet 1.1 in Hive folders by UTC year
and month, read by real clients (DuckDB, GeoPandas, pyarrow), read back by `stadskarna import`
exactly, never written over, never with reporters' contacts."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from typer.testing import CliRunner

from geo.errors import ValidationError
from geo.layers import EVENTS, INCIDENTS, LIGHTS, PINGS, REPORTS, validate
from service import archive as archive_module
from service.archive import ARCHIVE_LAYERS, ping_months, read_archive_pings, read_archive_tracks, write_archive
from service.cli import app
from service.store import SQLiteStore
from service.store.base import Actor

runner = CliRunner()
MONTH_END = "2020-01-31T23:50:00Z"


def pings(unit: str, start: str, n: int, seed: int = 0, step_s: int = 2, mode: str = "foot") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.Timestamp(start).value + np.cumsum(rng.integers(1, step_s + 1, n)) * 10**9
    return validate(PINGS, pd.DataFrame({
        "unit_id": unit, "timestamp": pd.to_datetime(t, utc=True), "mode": mode, "crew": 2,
        "lon": 12.857 + np.cumsum(rng.normal(0, 2e-5, n)), "lat": 56.674 + np.cumsum(rng.normal(0, 1e-5, n))}), "t")


@pytest.fixture
def store(tmp_path):
    """Two units across the end of January (UTC) and a third in March; a report with a contact; an
    event held on an area."""
    store = SQLiteStore(tmp_path / "source.sqlite")
    store.write_pings(pd.concat([pings("fot-1", MONTH_END, 2_000), pings("cykel-2", MONTH_END, 1_500, seed=1, mode="bike"),
                                 pings("fot-3", "2020-03-05T10:00:00Z", 500, seed=2)]))
    actor = Actor("test", "test")
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame({
        "id": ["r1"], "category": ["graffiti"], "description": ["klotter"], "created_at": ["2020-02-03T10:00:00Z"],
        "contact": ["someone@example.org"], "lon": [12.858], "lat": [56.674]}), "t"), actor)
    store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame({
        "id": ["i1", "i2"], "occurred_at": ["2020-01-10T22:00:00Z", "2020-02-11T01:00:00Z"],
        "category": ["misshandel", "stöld"], "lon": [12.857, 12.859], "lat": [56.673, 56.675]}), "t"), actor)
    square = "POLYGON ((12.8565 56.6735, 12.8575 56.6735, 12.8575 56.6745, 12.8565 56.6745, 12.8565 56.6735))"
    store.write_features(EVENTS, validate(EVENTS, pd.DataFrame({
        "id": ["e1"], "name": ["Marknad"], "starts_at": ["2020-06-06T08:00:00Z"], "ends_at": ["2020-06-06T15:00:00Z"],
        "kind": ["market"], "lon": [12.857], "lat": [56.674], "area": [square]}), "t"), actor)
    store.write_features(LIGHTS, validate(LIGHTS, pd.DataFrame({
        "id": ["l1"], "lumen": [3000], "height_m": [5.0], "status": ["working"], "lon": [12.857], "lat": [56.674]}), "t"),
        actor)
    return store


def archive(store, folder, *commands: str) -> None:
    for command in commands or ("pings", "layers"):
        result = runner.invoke(app, ["archive", command, str(folder), "--db", str(store.path)])
        assert result.exit_code == 0, result.output


def test_pings_are_hive_partitioned_by_utc_month_and_read_back_exactly(store, tmp_path):
    folder = tmp_path / "archive"
    archive(store, folder)
    assert sorted(p.relative_to(folder / "patrols").as_posix() for p in (folder / "patrols").rglob("*.parquet")) == [
        "year=2020/month=1/part-0.parquet", "year=2020/month=2/part-0.parquet", "year=2020/month=3/part-0.parquet"]
    assert [(m.year, m.month) for m in ping_months(folder)] == [(2020, 1), (2020, 2), (2020, 3)]
    assert sum(m.pings for m in ping_months(folder)) == 4_000
    pd.testing.assert_frame_equal(read_archive_pings(folder)[PINGS.field_names + ["lon", "lat"]],
                                  store.read_pings()[PINGS.field_names + ["lon", "lat"]])
    # a window across the month's end, one unit: the same pings as the store gives
    start, end = pd.Timestamp("2020-01-31T23:55:00Z"), pd.Timestamp("2020-02-01T00:20:00Z")
    tracks, reference = read_archive_tracks(folder, start, end, ["cykel-2"]), store.read_tracks(start, end, ["cykel-2"])
    for name in ("t_ns", "lon", "lat", "crew", "mode"):
        np.testing.assert_array_equal(getattr(tracks, name), getattr(reference, name))
    assert list(tracks.unit_names) == ["cykel-2"] and (tracks.mode == 1).all()  # bike
    manifest = json.loads((folder / "archive.json").read_text())
    assert manifest["rows"] == {"patrols": 4_000, "incidents": 2, "reports": 1, "events": 1, "lights": 1, "cameras": 0}


def test_files_are_geoparquet_with_the_bbox_covering_in_sorted_row_groups(store, tmp_path):
    folder = tmp_path / "archive"
    archive(store, folder, "pings")
    file = pq.ParquetFile(folder / "patrols" / "year=2020" / "month=1" / "part-0.parquet")
    geo = json.loads(file.schema_arrow.metadata[b"geo"])
    assert geo["version"] == "1.1.0" and geo["columns"]["geometry"]["encoding"] == "WKB"
    assert geo["columns"]["geometry"]["covering"]["bbox"]["xmin"] == ["bbox", "xmin"]
    table = file.read()
    frame = table.to_pandas()
    assert frame[["unit_id", "timestamp"]].equals(frame[["unit_id", "timestamp"]].sort_values(["unit_id", "timestamp"]))
    points = shapely.from_wkb(frame["geometry"])
    np.testing.assert_array_equal(shapely.get_x(points), [box["xmin"] for box in frame["bbox"]])
    assert str(table.schema.field("timestamp").type) == "timestamp[ms, tz=UTC]"


def test_duckdb_and_geopandas_read_the_archive_as_it_is(store, tmp_path):
    folder = tmp_path / "archive"
    archive(store, folder)
    per_month = duckdb.sql(f"SELECT year, month, count(*) AS n, count(DISTINCT unit_id) AS units FROM read_parquet("
                           f"'{folder}/patrols/*/*/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY ALL").fetchall()
    stored = store.read_pings()
    month = stored["timestamp"].dt.month
    expected = [(2020, m, int((month == m).sum()), stored.loc[month == m, "unit_id"].nunique()) for m in (1, 2, 3)]
    assert per_month == expected and expected[0][3] == 2
    frame = gpd.read_parquet(folder / "incidents", bbox=(12.8585, 56.674, 12.86, 56.676))  # the covering skips i1
    assert frame["id"].tolist() == ["i2"] and frame.crs.to_epsg() == 4326


def test_reports_never_carry_contacts_and_an_event_keeps_its_area(store, tmp_path):
    folder = tmp_path / "archive"
    archive(store, folder, "layers")
    reports = gpd.read_parquet(folder / "reports")
    assert not {"contact", "first_name", "last_name", "device_id"} & set(reports.columns)
    assert "someone@example.org" not in (folder / "reports").joinpath("year=2020", "month=2", "part-0.parquet").read_bytes().decode("latin-1")
    events = gpd.read_parquet(folder / "events")
    assert events.geometry.iloc[0].geom_type == "Polygon"


def test_an_archive_is_never_written_over(store, tmp_path):
    folder = tmp_path / "archive"
    archive(store, folder, "pings")
    before = sorted((p, p.stat().st_mtime_ns) for p in folder.rglob("*"))
    result = runner.invoke(app, ["archive", "pings", str(folder), "--db", str(store.path)])
    assert result.exit_code != 0 and "already holds patrols" in result.output and "nothing was written" in result.output
    assert sorted((p, p.stat().st_mtime_ns) for p in folder.rglob("*")) == before
    archive(store, folder, "layers")  # the other layers beside the pings: fine


def test_import_reads_an_archive_back_into_an_empty_store(store, tmp_path):
    folder = tmp_path / "archive"
    archive(store, folder)
    target = tmp_path / "target.sqlite"
    SQLiteStore(target)
    for layer in ("patrols", "incidents", "reports", "events", "lights"):
        result = runner.invoke(app, ["import", layer, str(folder), "--db", str(target)])
        assert result.exit_code == 0, result.output
    copy = SQLiteStore(target)
    pd.testing.assert_frame_equal(copy.read_pings(), store.read_pings())
    for schema in (INCIDENTS, EVENTS, LIGHTS):
        mine, theirs = copy.read_features(schema), store.read_features(schema)
        assert mine[schema.public_fields].equals(theirs[schema.public_fields])
    assert copy.read_features(EVENTS)["area"].iloc[0].equals(store.read_features(EVENTS)["area"].iloc[0])
    assert copy.read_features(REPORTS, include_private=True)["contact"].isna().all()
    again = runner.invoke(app, ["import", "patrols", str(folder), "--db", str(target)])
    assert again.exit_code == 0 and "0 imported" in again.output and "4000 already stored" in again.output
    assert len(SQLiteStore(target).read_pings()) == 4_000


def test_a_bad_month_stores_nothing_and_is_named(store, tmp_path):
    folder = tmp_path / "archive"
    archive(store, folder, "pings")
    file = folder / "patrols" / "year=2020" / "month=3" / "part-0.parquet"
    table = pq.read_table(file)
    crews = table["crew"].to_numpy().copy()
    crews[7] = 99
    pq.write_table(table.set_column(table.schema.get_field_index("crew"), "crew", [crews]), file)
    target = tmp_path / "target.sqlite"
    SQLiteStore(target)
    result = runner.invoke(app, ["import", "patrols", str(folder), "--db", str(target)], env={"COLUMNS": "250"})
    assert result.exit_code != 0
    assert "month=3" in result.output and "crew" in result.output and "nothing was imported" in result.output
    assert SQLiteStore(target).read_pings().empty  # January and February were valid: not stored either


def test_a_folder_that_is_not_an_archive_is_refused(tmp_path):
    target = tmp_path / "target.sqlite"
    SQLiteStore(target)
    (tmp_path / "folder").mkdir()
    result = runner.invoke(app, ["import", "patrols", str(tmp_path / "folder"), "--db", str(target)], env={"COLUMNS": "250"})
    assert result.exit_code != 0 and "is imported only when it is an archive" in result.output
    assert "Traceback" not in result.output


def test_a_broken_file_in_an_archive_is_a_clear_error(store, tmp_path):
    folder = tmp_path / "archive"
    archive(store, folder, "pings")
    (folder / "patrols" / "year=2020" / "month=3" / "part-0.parquet").write_bytes(b"not parquet at all")
    target = tmp_path / "target.sqlite"
    SQLiteStore(target)
    result = runner.invoke(app, ["import", "patrols", str(folder), "--db", str(target)], env={"COLUMNS": "250"})
    assert result.exit_code != 0 and "not a readable archive" in result.output and "Traceback" not in result.output
    assert SQLiteStore(target).read_pings().empty


def test_of_two_writers_started_at_once_one_writes_and_the_other_is_refused(store, tmp_path):
    folder = tmp_path / "archive"
    start = threading.Barrier(2)

    def write() -> str:
        start.wait()
        try:
            write_archive(store, folder, (PINGS,))
        except ValidationError as exc:
            return str(exc)
        return "written"
    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda _: write(), range(2)))
    assert outcomes[1] == "written" and "already holds patrols" in outcomes[0]
    pd.testing.assert_frame_equal(read_archive_pings(folder), store.read_pings(), check_like=True)
    assert json.loads((folder / "archive.json").read_text())["rows"] == {"patrols": 4_000}
    assert [p.name for p in folder.iterdir() if p.name.startswith(".") and p.is_dir()] == []


def test_a_write_that_fails_midway_leaves_nothing_and_can_be_run_again(store, tmp_path, monkeypatch):
    folder = tmp_path / "archive"
    archive(store, folder, "pings")
    written = sorted(folder.rglob("*"))
    months = iter(range(10))

    def failing(pings, month_folder):
        if next(months) == 1:
            raise OSError(28, "No space left on device")
        return real(pings, month_folder)
    real = archive_module.write_ping_file
    monkeypatch.setattr(archive_module, "write_ping_file", failing)
    other = tmp_path / "other"
    with pytest.raises(OSError):
        write_archive(store, other, ARCHIVE_LAYERS)
    assert list(other.iterdir()) == []  # no layer, no half-written month, no manifest
    monkeypatch.undo()
    archive(store, other)
    assert sorted(folder.rglob("*")) == written  # the first archive untouched
    result = runner.invoke(app, ["archive", "pings", str(folder), "--db", str(store.path)])
    assert result.exit_code != 0 and "already holds patrols" in result.output


def test_a_layer_without_rows_is_archived_and_imports_as_nothing(tmp_path):
    empty = SQLiteStore(tmp_path / "empty.sqlite")
    folder = tmp_path / "archive"
    archive(empty, folder)
    assert json.loads((folder / "archive.json").read_text())["rows"] == {
        "patrols": 0, "incidents": 0, "reports": 0, "events": 0, "lights": 0, "cameras": 0}
    for layer in ("patrols", "incidents", "events", "lights"):
        result = runner.invoke(app, ["import", layer, str(folder), "--db", str(empty.path)], env={"COLUMNS": "250"})
        assert result.exit_code == 0 and "Traceback" not in result.output, (layer, result.output)


def test_tracks_across_the_end_of_september_come_in_time_order(tmp_path):
    """A partition of September with its overlap into October: the folder month=10 comes before
    month=9 by name, and a unit's pings must still come in time order."""
    source = SQLiteStore(tmp_path / "source.sqlite")
    source.write_pings(pd.concat([pings("fot-1", "2020-09-30T23:50:00Z", 1_000),
                                  pings("bil-2", "2020-09-30T23:40:00Z", 1_000, seed=1, mode="car")]))
    write_archive(source, tmp_path / "archive", (PINGS,))
    start, end = pd.Timestamp("2020-09-01", tz="UTC"), pd.Timestamp("2020-10-01T00:15:00Z")
    tracks = read_archive_tracks(tmp_path / "archive", start, end)
    expected = source.read_tracks(start, end)
    assert list(tracks.unit_names) == ["bil-2", "fot-1"] and tracks.t_ns.tolist() == expected.t_ns.tolist()
    assert tracks.lon.tolist() == expected.lon.tolist() and tracks.mode.tolist() == expected.mode.tolist()
    assert (pd.to_datetime(tracks.t_ns[-5:], utc=True) >= pd.Timestamp("2020-10-01", tz="UTC")).all()


def test_a_layer_is_part_of_the_archive_once_the_manifest_lists_it(store, tmp_path):
    """A layer's folder without its line in the manifest is being written or was left by a run that
    was killed: read, it is an error, not an empty layer. The folders are made with the umask's
    mode (others may read them), and an earlier "synthetic" label is kept."""
    folder = tmp_path / "archive"
    archive(store, folder, "pings")
    assert (folder / "patrols").stat().st_mode & 0o777 == 0o777 & ~_umask()
    (folder / "events").mkdir()  # as a killed `archive layers` leaves it
    target = tmp_path / "target.sqlite"
    SQLiteStore(target)
    result = runner.invoke(app, ["import", "events", str(folder), "--db", str(target)], env={"COLUMNS": "250"})
    assert result.exit_code != 0 and "events is not finished" in result.output
    manifest = json.loads((folder / "archive.json").read_text())
    (folder / "archive.json").write_text(json.dumps({**manifest, "synthetic": "SYNTHETIC demo"}))
    (folder / "events").rmdir()
    archive(store, folder, "layers")
    assert json.loads((folder / "archive.json").read_text())["synthetic"] == "SYNTHETIC demo"


def test_an_unreadable_manifest_is_refused_before_anything_is_written(store, tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "archive.json").write_text("{not json")
    result = runner.invoke(app, ["archive", "pings", str(folder), "--db", str(store.path)], env={"COLUMNS": "250"})
    assert result.exit_code != 0 and "not a readable archive" in result.output and "nothing was written" in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["archive.json"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

"""The embedded database as GDAL (and so QGIS) opens it: a GeoPackage by its ``.gpkg`` name, every
table with geometry registered; what a ``.sqlite`` name needs; ``stadskarna backup`` says so."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.layers import INCIDENTS, LIGHTS, REPORTS, validate
from service.cli import app as cli
from service.store import SQLiteStore
from service.store.dialect import FEATURE_TABLES

runner = CliRunner()
GEOMETRY_TYPES = ("GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON",
                  "GEOMETRYCOLLECTION")
"""The column types of GeoPackage geometry columns."""


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "stadskarna.gpkg"
    store = SQLiteStore(path)
    place = {"lon": [12.8578], "lat": [56.6744]}
    store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame({
        "id": ["i1"], "occurred_at": ["2020-05-01T22:00:00Z"], "category": ["stöld"], **place}), "t"))
    store.write_features(LIGHTS, validate(LIGHTS, pd.DataFrame({
        "id": ["l1"], "lumen": [3000], "height_m": [5], "status": ["working"], **place}), "t"))
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame({
        "id": ["r1"], "category": ["graffiti"], "created_at": ["2020-05-01T10:00:00Z"], "contact": ["a@example.org"],
        **place}), "t"))
    store.close()
    return path


def listed(output: str) -> dict[str, str]:
    """ogrinfo's layer list (``1: incidents (Point)``) as name → geometry type."""
    return dict(re.findall(r"^\d+: (\S+) \((.+)\)$", output, flags=re.MULTILINE))


def registered(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as con:
        return dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))


def gdal_version(ogrinfo) -> tuple[int, int]:
    major, minor = re.search(r"GDAL (\d+)\.(\d+)", ogrinfo("--version").stdout).groups()
    return int(major), int(minor)


def test_every_table_with_geometry_is_a_registered_feature_table(db):
    with sqlite3.connect(db) as con:
        tables = [name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        spatial = {table for table in tables
                   for _, _, declared, *_ in con.execute(f'PRAGMA table_info("{table}")')
                   if declared.upper() in GEOMETRY_TYPES}
        columns = dict(con.execute("SELECT table_name, geometry_type_name FROM gpkg_geometry_columns"))
    assert spatial == set(FEATURE_TABLES) == set(columns)
    assert {table: registered(db)[table] for table in spatial} == dict.fromkeys(spatial, "features")


def test_ogrinfo_opens_the_gpkg_by_its_name_and_lists_the_point_layers(db, ogrinfo):
    plain = ogrinfo("-ro", "-q", db)
    assert plain.returncode == 0, plain.stderr
    layers = listed(plain.stdout)
    assert {layers[name] for name in FEATURE_TABLES} == {"Point"}
    # GDAL also lists every table gpkg_contents does not name, as a table without geometry
    internal = set(layers) - set(registered(db))
    assert internal and {layers[name] for name in internal} == {"None"} and "reports_private" in internal
    only_registered = ogrinfo("-ro", "-q", "-oo", "LIST_ALL_TABLES=NO", db)
    assert listed(only_registered.stdout) == dict.fromkeys(FEATURE_TABLES, "Point")
    reports = ogrinfo("-ro", "-q", "-al", "-oo", "LIST_ALL_TABLES=NO", db, "reports")
    assert "a@example.org" not in reports.stdout and "contact (" not in reports.stdout, "no contact field"


def test_a_sqlite_name_opens_as_gpkg_and_gdal_before_3_7_needs_the_prefix(db, tmp_path, ogrinfo):
    older = SQLiteStore(db).backup_to(tmp_path / "stadskarna.sqlite")
    prefixed = ogrinfo("-ro", "-q", f"GPKG:{older}")
    assert prefixed.returncode == 0 and "incidents" in listed(prefixed.stdout)
    plain = ogrinfo("-ro", "-q", older)
    if gdal_version(ogrinfo) < (3, 7):  # GeoPackage 1.4 by another name is not recognised
        assert plain.returncode != 0 and "Unable to open datasource" in plain.stdout + plain.stderr
    else:
        assert plain.returncode == 0 and "non conformant file extension" in plain.stderr


def test_backup_to_a_gpkg_name_makes_a_copy_gdal_opens_and_other_names_get_a_note(db, tmp_path, ogrinfo):
    copy = tmp_path / "copy.gpkg"
    result = runner.invoke(cli, ["backup", str(copy), "--db", str(db)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "GPKG:" not in result.output
    assert "incidents" in listed(ogrinfo("-ro", "-q", copy).stdout)
    other = tmp_path / "copy.sqlite"
    result = runner.invoke(cli, ["backup", str(other), "--db", str(db)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert f"opens it only as GPKG:{other}" in " ".join(result.output.split())

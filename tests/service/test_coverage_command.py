"""`stadskarna coverage patrol`: figures from stored pings in every output format, clear errors."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.crs import WGS84, to_metric
from geo.layers import PINGS, validate
from geo.patrol import PresenceRules
from service.cli import app
from service.store import SQLiteStore
from tests.languages import SWEDISH_LOCALE

runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    """One foot patrol: 30 minutes standing on Stora Torg, Friday 2020-05-01 from 21:00 local time."""
    path = tmp_path / "patrol.sqlite"
    n = 1801
    pings = pd.DataFrame({"unit_id": "fot-1", "timestamp": pd.Timestamp("2020-05-01T19:00:00Z")
                          + pd.to_timedelta(np.arange(n), unit="s"), "mode": "foot", "crew": 2,
                          "lon": 12.8572, "lat": 56.6740})
    SQLiteStore(path).write_pings(validate(PINGS, pings, "test"))
    return path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})


def test_json_report(db):
    result = invoke("coverage", "patrol", "--year", 2020, "--format", "json", "--db", db)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    torg = next(zone for zone in report["zones"] if zone["zone_id"] == "stora-torg")
    assert torg["presence_h"] == 0.5 and torg["officer_h"] == 1.0 and torg["days_with_presence"] == 1
    assert torg["night_20-23_h"] == 0.5 and torg["fri_sat_night_h"] == 0.5 and torg["monthly_h"]["2020-05"] == 0.5
    assert report["centre"]["presence_h"] == 0.5 and report["centre"]["target_h"] == 900
    assert report["centre"]["status"] == "not met" and report["as_of"] == "2020-12-31"
    assert report["rules"] == PresenceRules().summary()


def test_csv_and_table(db):
    csv = invoke("coverage", "patrol", "--year", 2020, "--format", "csv", "--db", db)
    assert csv.exit_code == 0
    header, *rows = csv.output.strip().splitlines()
    assert header.startswith("zone_id,name,presence_h") and "2020-12" in header and len(rows) == 10
    table = invoke("coverage", "patrol", "--year", 2020, "--as-of", "2020-06-30", "--db", db)
    assert table.exit_code == 0 and "Stora Torg" in table.output and "status: behind" in table.output


def test_thresholds_are_options(db):
    result = invoke("coverage", "patrol", "--year", 2020, "--format", "json", "--max-gap", 60, "--max-speed", 6,
                    "--db", db)
    report = json.loads(result.output)
    assert report["rules"] == PresenceRules(max_gap_s=60, foot_kmh=6).summary()
    assert report["centre"]["presence_h"] == 0.5, "standing still at 1 Hz counts under any of them"


@pytest.mark.parametrize("args, message", [
    (["--year", 2099], "2099 has not begun"),
    (["--year", 2999], "less than or equal to 2100"),
    (["--year", 2020, "--as-of", "2021-01-05"], "the date 2021-01-05 is not in 2020"),
])
def test_bad_years_are_explained(db, args, message):
    result = invoke("coverage", "patrol", *args, "--db", db)
    assert result.exit_code == 2 and message in " ".join(result.output.split())


def test_spatial_coverage_and_uncovered_places(db, tmp_path):
    out = tmp_path / "uncovered.geojson"
    result = invoke("coverage", "patrol", "--year", 2020, "--format", "json", "--uncovered", out, "--db", db)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    torg = next(zone for zone in report["zones"] if zone["zone_id"] == "stora-torg")
    assert 0 < torg["area_covered_share"] < 0.1, "one standing patrol reaches a circle of 25 m"
    assert torg["street_covered_share"] is not None
    others = [zone for zone in report["zones"] if zone["zone_id"] not in ("stora-torg",)]
    assert all(zone["area_covered_share"] == 0 for zone in others if zone["zone_id"] != "brogatan-lilla-torg")
    places = json.loads(out.read_text(encoding="utf-8"))
    assert {f["properties"]["zone_id"] for f in places["features"]} >= {"stora-torg", "resecentrum"}
    again = invoke("coverage", "patrol", "--year", 2020, "--uncovered", out, "--db", db)
    assert again.exit_code == 2 and "exists already" in " ".join(again.output.split())


def test_hot_spots_and_their_dosage(db, tmp_path):
    from geo.layers import INCIDENTS

    rows = [{"id": f"i{i}", "occurred_at": "2020-04-03T23:00:00+02:00", "category": "misshandel",
             "lon": 12.8572 + 0.00001 * i, "lat": 56.6740} for i in range(12)]
    rows += [{"id": f"far{i}", "occurred_at": "2020-04-03T23:00:00+02:00", "category": "rån",
              "lon": 12.90 + 0.00001 * i, "lat": 56.6740} for i in range(20)]  # 2.5 km east: not the centre
    SQLiteStore(db).write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame(rows), "test"))
    out, visits = tmp_path / "hotspots.geojson", tmp_path / "visits.csv"
    result = invoke("coverage", "patrol", "--year", 2020, "--format", "json", "--hotspots", out,
                    "--visits", visits, "--db", db)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (spot,) = report["hotspots"]
    assert spot["hotspot_id"] == "hs-1" and spot["zone_id"] == "stora-torg" and spot["incidents"] == 12
    assert spot["visits"] == 1 and spot["presence_min"] == 30.0 and spot["share_visits_over_15_min"] == 1.0
    method = report["hotspot_method"]
    assert method["method"] == "getis-ord-gi*" and method["cell_m"] == 50 and method["neighbours"] == "queen"
    assert method["alpha"] == 0.05 and spot["p"] <= method["p_threshold"] and method["koper_visit_min"] == [10, 15]
    assert spot["area_m2"] % 2500 == 0 and spot["z"] > 0
    assert report["hotspots_by_band"]["23-02"][0]["incidents"] == 12 and report["hotspots_by_band"]["17-20"] == []
    assert report["hotspots_by_band"]["23-02"][0]["zone_id"] == "stora-torg"
    assert report["hotspots_by_night"]["weekend"][0]["incidents"] == 12 and report["hotspots_by_night"]["weekday"] == []
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert len(features) == 1 and features[0]["geometry"]["type"] == "Polygon"
    centre = to_metric(gpd.GeoDataFrame.from_features(features, crs=WGS84)).centroid.to_crs(WGS84).iloc[0]
    assert abs(spot["lon"] - centre.x) < 2e-6 and abs(spot["lat"] - centre.y) < 2e-6, "the centre to 6 decimals, not rounded to km"
    assert visits.read_text().splitlines() == ["hotspot_id,unit_id,start,end,minutes",
                                               "hs-1,fot-1,2020-05-01T19:00:00.000Z,2020-05-01T19:30:00.000Z,30.0"]
    table = invoke("coverage", "patrol", "--year", 2020, "--db", db)
    assert "hs-1" in table.output and "Koper" in table.output


def test_lighting_report_with_proposed_lamps(db, tmp_path):
    from geo.layers import LIGHTS

    SQLiteStore(db).write_features(LIGHTS, validate(LIGHTS, pd.DataFrame(
        {"id": ["a", "b"], "lumen": 6000, "height_m": 6, "status": ["working", "broken"],
         "lon": [12.8572, 12.8580], "lat": [56.6740, 56.6742]}), "test"))
    proposed = tmp_path / "proposed.csv"  # every 12 m along the dark path from Slottsbron to the station
    proposed.write_text("id,lumen,height_m,status,lat,lon\n" + "".join(
        f"new-{i},4000,6,planned,{56.6698 - 0.05 * (lon - 12.863):.6f},{lon:.4f}\n"
        for i, lon in enumerate((12.8632, 12.8634, 12.8636, 12.8638, 12.8640))), encoding="utf-8")
    spots, tif, fields = tmp_path / "dark.geojson", tmp_path / "lux.tif", tmp_path / "fields.geojson"
    result = invoke("coverage", "lighting", "--format", "json", "--proposed", proposed, "--dark-spots", spots,
                    "--geotiff", tif, "--fields", fields, "--db", db)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    torg = next(zone for zone in report["zones"] if zone["zone_id"] == "stora-torg")
    assert torg["average_lx"] > 0 and torg["broken_lamps"] == 1 and torg["lighting_class"] == "P2"
    assert torg["fields"] > 0 and 0 <= torg["share_compliant"] < 1
    station = next(zone for zone in report["proposed"]["zones"] if zone["zone_id"] == "resecentrum")
    assert station["dark_spot_m2_removed"] > 0 and report["proposed"]["lamps"] == 5
    assert report["proposed"]["fields_fixed"], "five lamps over 48 m of a dark path lift a field to P2"
    assert all(f.startswith("gang-och-cykelvag-slottsbron-halmstad-c-") for f in report["proposed"]["fields_fixed"])
    assert report["lamps"] == {"working": 1, "broken": 1} and report["surfaces"]["streets"] == 15
    assert report["fields"] == sum(zone["fields"] for zone in report["zones"])
    assert report["failing_fields"][0]["shortfall"] >= report["failing_fields"][-1]["shortfall"]
    assert report["field_method"]["standard"] == "EN 13201-3:2015"
    assert report["incidents_after_dark"]["after_dark_incidents"] == 0 and report["incidents_after_dark"]["dark_spot_ha"] > 0
    assert json.loads(spots.read_text())["features"] and tif.exists()
    written = json.loads(fields.read_text())["features"]
    assert len(written) == report["fields"] and {"field_id", "meets_class", "meets_class_after"} <= set(written[0]["properties"])
    table = invoke("coverage", "lighting", "--proposed", proposed, "--db", db)
    assert "With 5 proposed lamps" in table.output and "Stora Torg" in table.output
    assert "calculation fields per EN 13201-3" in table.output
    swedish = runner.invoke(app, ["coverage", "lighting", "--proposed", str(proposed), "--db", str(db)],
                            env={"COLUMNS": "250", **SWEDISH_LOCALE})
    assert "Med 5 föreslagna armaturer" in swedish.output and "beräkningsfält enligt EN 13201-3" in swedish.output


def test_lighting_refuses_a_bad_proposal_and_existing_outputs(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lumen,height_m,status,lat,lon\nnew-1,8000,6,planned,12.8640,56.6700\n", encoding="utf-8")
    result = invoke("coverage", "lighting", "--proposed", bad, "--db", db)
    assert result.exit_code == 2 and "look swapped" in " ".join(result.output.split())
    existing = tmp_path / "x.tif"
    existing.write_text("keep me")
    again = invoke("coverage", "lighting", "--geotiff", existing, "--db", db)
    assert again.exit_code == 2 and existing.read_text() == "keep me"


def test_lighting_with_a_photometry_folder(db, tmp_path):
    from geo.layers import LIGHTS
    from tests.geo.test_lighting import eulumdat_text

    SQLiteStore(db).write_features(LIGHTS, validate(LIGHTS, pd.DataFrame(
        {"id": ["a"], "lumen": 6000, "height_m": 6, "status": "working", "luminaire": "LED park",
         "lon": [12.8572], "lat": [56.6740]}), "test"))
    folder = tmp_path / "ldt"
    folder.mkdir()
    (folder / "LED park.ldt").write_text(eulumdat_text([0, 45, 90, 180], [300, 200, 0, 0]), encoding="latin-1")
    result = invoke("coverage", "lighting", "--format", "json", "--photometry", folder, "--db", db)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["photometry"] == ["LED park"]
    missing = invoke("coverage", "lighting", "--photometry", tmp_path / "nope", "--db", db)
    assert missing.exit_code == 2 and "not a folder" in missing.output


def test_imported_buildings_and_water_leave_the_walkable_surface(db, tmp_path):
    import geopandas as gpd
    import shapely

    # a block over the east half of Stora Torg, in SWEREF 99 TM in a GeoPackage; water as GeoJSON
    torg = to_metric(gpd.GeoDataFrame(geometry=gpd.points_from_xy([12.8572], [56.6740]), crs=WGS84)).geometry.iloc[0]
    block = gpd.GeoDataFrame({"height_m": [12.0]}, geometry=[shapely.box(torg.x, torg.y - 60, torg.x + 60, torg.y + 60)],
                             crs="EPSG:3006")
    block.to_file(tmp_path / "kvarter.gpkg", driver="GPKG")
    square = [[12.8565, 56.6735], [12.8575, 56.6735], [12.8575, 56.6745], [12.8565, 56.6745], [12.8565, 56.6735]]
    water = tmp_path / "vatten.geojson"
    water.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [square]}}]}))
    plain = json.loads(invoke("coverage", "lighting", "--format", "json", "--db", db).stdout)
    assert invoke("import", "buildings", tmp_path / "kvarter.gpkg", "--db", db).exit_code == 0
    stored = invoke("import", "water", water, "--db", db)
    assert stored.exit_code == 0 and "water: 1 polygons stored" in stored.output
    report = json.loads(invoke("coverage", "lighting", "--format", "json", "--db", db).stdout)
    walkable = {zone["zone_id"]: zone["walkable_m2"] for zone in report["zones"]}
    before = {zone["zone_id"]: zone["walkable_m2"] for zone in plain["zones"]}
    assert report["surfaces"] == {"streets": 15, "buildings": 1, "water": 1}
    assert walkable["stora-torg"] < before["stora-torg"] - 1000
    again = invoke("import", "buildings", tmp_path / "kvarter.gpkg", "--db", db)
    assert "1 polygons stored" in again.output and "replacing 1" in again.output, "a new file replaces the set"
    points = tmp_path / "points.geojson"
    points.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [12.857, 56.674]}}]}))
    bad = invoke("import", "buildings", points, "--db", db)
    assert bad.exit_code == 2 and "feature 1" in bad.output and "expected a Polygon or MultiPolygon" in " ".join(bad.output.split())
    assert SQLiteStore(db).read_surfaces("buildings")["height_m"].tolist() == [12.0], "a refused file changes nothing"
    block.assign(height_m=[500.0]).to_parquet(tmp_path / "hoga.parquet")
    tall = invoke("import", "buildings", tmp_path / "hoga.parquet", "--db", db)
    assert tall.exit_code == 2 and "feature 1" in tall.output and "height_m" in tall.output


def test_presence_rebuild_computes_every_unit_day_again(db, tmp_path):
    from geo.patrol import PresenceRules
    from geo.zones import read_zones
    from service.presence import presence_inputs
    from tests.conftest import ZONES_FILE

    first = invoke("presence", "rebuild", "--db", db)
    assert first.exit_code == 0, first.output
    assert "computed again for 1 unit-days" in " ".join(first.output.split())
    store = SQLiteStore(db)
    assert store.presence_inputs() == presence_inputs(read_zones(ZONES_FILE), PresenceRules())
    assert len(store.presence_cells(0, 30_000)) > 0
    again = invoke("presence", "rebuild", "--db", db)
    assert "1 unit-days" in " ".join(again.output.split()), "it drops what is kept and computes it again"
    report = json.loads(invoke("coverage", "patrol", "--year", 2020, "--format", "json", "--db", db).output)
    assert report["centre"]["presence_h"] == 0.5
    bad = tmp_path / "zones.geojson"
    bad.write_text("{}", encoding="utf-8")
    refused = invoke("presence", "rebuild", "--db", db, "--zones", bad)
    assert refused.exit_code == 2 and "zones.geojson" in refused.output


def test_the_incidents_density_as_a_geotiff_with_the_bandwidth_setting(db, tmp_path, monkeypatch):
    import rasterio

    from geo.layers import INCIDENTS

    # 12 incidents on Stora Torg, 3 placed only at the town (left out), 5 far outside the zones (left out)
    rows = [{"id": f"i{i}", "occurred_at": "2020-04-03T23:00:00+02:00", "category": "misshandel",
             "lon": 12.8572 + 0.00001 * i, "lat": 56.6740} for i in range(12)]
    rows += [{"id": f"t{i}", "occurred_at": "2020-04-03T23:00:00+02:00", "category": "stöld",
              "location_precision": "town", "lon": 12.8572, "lat": 56.6740} for i in range(3)]
    rows += [{"id": f"far{i}", "occurred_at": "2020-04-03T23:00:00+02:00", "category": "rån",
              "lon": 12.90, "lat": 56.6740} for i in range(5)]
    SQLiteStore(db).write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame(rows), "test"))
    peaks = {}
    for bandwidth in (100, 200):
        monkeypatch.setenv("STADSKARNA_HOTSPOT_DENSITY_BANDWIDTH_M", str(bandwidth))
        out = tmp_path / f"density-{bandwidth}.tif"
        result = invoke("coverage", "patrol", "--year", 2020, "--format", "json", "--density", out, "--db", db)
        assert result.exit_code == 0, result.output
        with rasterio.open(out) as raster:
            values = raster.read(1).astype(float)
            cell_km2 = abs(raster.transform.a * raster.transform.e) / 1e6
            assert raster.crs.to_epsg() == 3006 and raster.tags()["bandwidth_m"] == str(bandwidth)
            assert raster.tags()["units"] == "incidents per km2"
        assert values.sum() * cell_km2 == pytest.approx(12, rel=0.02), "each usable incident in the centre adds 1"
        peaks[bandwidth] = values.max()
    assert peaks[100] == pytest.approx(4 * peaks[200], rel=0.15), "the peak falls with the bandwidth squared"
    refused = invoke("coverage", "patrol", "--year", 2020, "--density", out, "--db", db)
    assert refused.exit_code == 2 and "exists already" in refused.output


def test_no_density_without_incidents(db, tmp_path):
    out = tmp_path / "density.tif"
    result = invoke("coverage", "patrol", "--year", 2020, "--density", out, "--db", db)
    assert result.exit_code == 2 and "no incident of 2020 has a usable position" in " ".join(result.output.split())
    assert not out.exists()

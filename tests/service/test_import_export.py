"""Importing files into the store (all or nothing, idempotent), exporting layers, and the CLI."""

from __future__ import annotations

import json
import tempfile
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from typer.testing import CliRunner

from geo.crs import HALMSTAD_LONLAT, SWEDEN_LONLAT_BOUNDS
from geo.errors import ValidationError
from geo.io.export import write_layer
from geo.layers import CAMERAS, INCIDENT_CATEGORIES, INCIDENTS, LIGHTS, PATROL_MODES, PINGS, REPORTS, validate
from geo.text import FORBIDDEN
from service.cli import app
from service.imports import import_file
from service.store import SQLiteStore
from tests.rfc7946 import assert_feature_collection

LON, LAT = HALMSTAD_LONLAT
runner = CliRunner()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def fold(text: str) -> str:
    return " ".join(text.split())


def incidents_csv(n: int, start: int = 1, category: str = "stöld") -> str:
    rows = [f"i{k},2024-01-{1 + k % 28:02d}T{k % 24:02d}:10:00Z,{category},{LAT + k * 1e-5:.7f},{LON + k * 1e-5:.7f}"
            for k in range(start, start + n)]
    return "id,occurred_at,category,lat,lon\n" + "\n".join(rows) + "\n"


LIGHTS_CSV = ("id,lumen,height_m,status,luminaire,updated_at,lat,lon,asset_tag\n"
              f"L1,1500,6,working,LED,2024-02-01T10:00:00Z,{LAT},{LON},x1\n"
              f"L2,2000.5,8.25,broken,,,56.6751,12.8601,x2\n"
              f"L3,800,4.5,planned,Stolplykta 1902,2023-12-31 23:30,56.6752,12.8602,\n")

REPORTS_CSV = ("id,category,description,created_at,status,closed_at,close_reason,when,why,photo,contact,lat,lon\n"
               f"R1,graffiti,\"Tags, på muren\",2024-03-01 10:00,closed,2024-03-05T10:00:00Z,removed,,,,anna@example.se,{LAT},{LON}\n"
               f"R2,unsafe_place,,2024-07-02 23:30,open,,,night,lighting,r2.jpg,,56.6751,12.8601\n"
               f"R3,litter,Skräp,2024-08-02T08:00:00+02:00,acknowledged,,,,,,070-123 45 67,56.6752,12.8602\n")

PINGS_CSV = ("unit_id,timestamp,lat,lon,mode,crew\n"
             f"P1,2024-01-15T23:59:58+01:00,{LAT},{LON},foot,2\n"
             f"P1,2024-01-15T23:59:59+01:00,56.6745,12.8579,foot,2\n"
             f"P1,2024-01-16T00:00:00+01:00,56.6746,12.8580,foot,2\n"
             f"P2,2024-01-15T23:00:00Z,56.6700,12.8600,car,\n"
             f"P2,2024-01-16T00:00:01Z,56.6701,12.8601,car,1\n")

CAMERAS_CSV = ("id,name,height_m,direction_deg,fov_deg,range_m,status,decided_at,lat,lon\n"
               f"K1,Stora Torg,6,200,90,60,proposed,2024-09-15,{LAT},{LON}\n"
               "K2,\"Österbro, bron\",5.5,95.5,70,70,installed,2024-03-01T10:00:00Z,56.6737,12.8590\n"
               "K3,,4,0,360,40,removed,,56.6700,12.8640\n")

SAMPLES = {"incidents": incidents_csv(3), "lights": LIGHTS_CSV, "reports": REPORTS_CSV, "patrols": PINGS_CSV,
           "cameras": CAMERAS_CSV}
SCHEMAS = {"incidents": INCIDENTS, "lights": LIGHTS, "reports": REPORTS, "patrols": PINGS, "cameras": CAMERAS}


def read_layer(store: SQLiteStore, schema, include_private: bool = True) -> pd.DataFrame:
    return store.read_pings() if schema is PINGS else store.read_features(schema, include_private=include_private)


def assert_same_layer(schema, left: pd.DataFrame, right: pd.DataFrame) -> None:
    if schema is PINGS:
        pd.testing.assert_frame_equal(left, right)
    else:
        assert_geodataframe_equal(left, right)


@pytest.fixture
def store(tmp_path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "store.sqlite")


def loaded_store(tmp_path: Path, layer: str) -> SQLiteStore:
    store = SQLiteStore(tmp_path / f"{layer}.sqlite")
    import_file(store, SCHEMAS[layer], write(tmp_path / f"{layer}-sample.csv", SAMPLES[layer]))
    return store


# -- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet", ".csv"])
@pytest.mark.parametrize("layer", ["incidents", "lights", "reports", "patrols", "cameras"])
def test_export_then_import_into_a_fresh_store_gives_the_same_layer(tmp_path, layer, suffix):
    schema = SCHEMAS[layer]
    original = read_layer(loaded_store(tmp_path, layer), schema)
    assert len(original) >= 3
    exported = tmp_path / f"export{suffix}"
    assert write_layer(original, schema, exported, include_private=True) == len(original)
    fresh = SQLiteStore(tmp_path / "fresh.sqlite")
    summary = import_file(fresh, schema, exported)
    assert summary.imported == len(original)
    assert_same_layer(schema, read_layer(fresh, schema), original)


@pytest.mark.parametrize("layer", ["incidents", "lights", "reports", "patrols", "cameras"])
def test_geojson_exports_are_rfc7946(tmp_path, layer):
    schema = SCHEMAS[layer]
    path = tmp_path / "export.geojson"
    write_layer(read_layer(loaded_store(tmp_path, layer), schema, include_private=False), schema, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert_feature_collection(doc, max_decimals=7)
    assert all(set(f["properties"]) == set(schema.public_fields) for f in doc["features"])


@pytest.mark.parametrize("layer", ["incidents", "lights", "reports", "patrols", "cameras"])
def test_geoparquet_exports_are_geoparquet_1_1_with_a_bbox_covering_and_utc_timestamps(tmp_path, layer):
    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = SCHEMAS[layer]
    stored = read_layer(loaded_store(tmp_path, layer), schema, include_private=False)
    path = tmp_path / "export.parquet"
    assert write_layer(stored, schema, path) == len(stored)
    arrow = pq.read_schema(path)
    geo = json.loads(arrow.metadata[b"geo"])
    column = geo["columns"][geo["primary_column"]]
    assert geo["version"] == "1.1.0" and column["encoding"] == "WKB" and column["geometry_types"] == ["Point"]
    assert column["crs"]["id"] == {"authority": "EPSG", "code": 4326}
    assert column["covering"] == {"bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}}
    assert arrow.field("bbox").type == pa.struct([(k, pa.float64()) for k in ("xmin", "ymin", "xmax", "ymax")])
    times = [f.name for f in schema.fields if f.kind == "time"]
    assert {name: arrow.field(name).type for name in times} == {name: pa.timestamp("ms", tz="UTC") for name in times}
    back = gpd.read_parquet(path)
    assert back.crs == "EPSG:4326" and list(back.columns) == [*schema.public_fields, "geometry"]
    lon, lat = (stored.geometry.x, stored.geometry.y) if schema.points_as_geometry else (stored["lon"], stored["lat"])
    assert back.geometry.x.tolist() == lon.tolist() and back.geometry.y.tolist() == lat.tolist()
    for name in times:
        pd.testing.assert_series_equal(back[name], stored[name].dt.as_unit("ms"), check_names=False)
    bbox = pq.read_table(path, columns=["bbox"]).column("bbox").to_pylist()
    assert [(b["xmin"], b["ymin"]) for b in bbox] == list(zip(lon, lat))


def test_an_unreadable_geoparquet_file_is_refused_naming_it(tmp_path, store):
    path = write(tmp_path / "lights.parquet", "not parquet")
    with pytest.raises(ValidationError, match="not a readable GeoParquet file") as info:
        import_file(store, LIGHTS, path)
    assert info.value.file == str(path) and store.is_empty()


# text the layers accept (no controls, no bidi formatting: geo.text.FORBIDDEN), compared as stored (NFC)
allowed = st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")).filter(lambda c: not FORBIDDEN.search(c))
ids = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zs", "Zl", "Zp")), min_size=1, max_size=12)
lons = st.floats(SWEDEN_LONLAT_BOUNDS[0], SWEDEN_LONLAT_BOUNDS[2])
lats = st.floats(SWEDEN_LONLAT_BOUNDS[1], SWEDEN_LONLAT_BOUNDS[3])
times = st.datetimes(min_value=pd.Timestamp("2000-01-01").to_pydatetime(),
                     max_value=pd.Timestamp("2040-01-01").to_pydatetime())


def iso(moment) -> str:
    return pd.Timestamp(moment).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(ids, times, st.sampled_from(INCIDENT_CATEGORIES), lons, lats,
                          st.text(allowed, max_size=10)),
                min_size=1, max_size=8, unique_by=lambda r: unicodedata.normalize("NFC", r[0])))
def test_any_valid_incidents_round_trip_through_csv(records):
    raw = pd.DataFrame([{"id": i, "occurred_at": iso(t), "category": c, "lon": x, "lat": y, "source": s}
                        for i, t, c, x, y, s in records])
    original = validate(INCIDENTS, raw, "generated")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incidents.csv"
        write_layer(original, INCIDENTS, path)
        store = SQLiteStore(Path(folder) / "db.sqlite")
        assert import_file(store, INCIDENTS, path).imported == len(original)
        assert_geodataframe_equal(store.read_features(INCIDENTS), original)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["P1", "P2", "bil 7"]), times, st.sampled_from(PATROL_MODES),
                          st.integers(1, 20), lons, lats), min_size=1, max_size=10))
def test_any_valid_pings_round_trip_through_csv(records):
    raw = pd.DataFrame([{"unit_id": u, "timestamp": iso(t), "mode": m, "crew": c, "lon": x, "lat": y}
                        for u, t, m, c, x, y in records])
    original = validate(PINGS, raw, "generated")
    with tempfile.TemporaryDirectory() as folder:
        first = SQLiteStore(Path(folder) / "first.sqlite")
        first.write_pings(original)
        stored = first.read_pings()
        path = Path(folder) / "pings.csv"
        write_layer(stored, PINGS, path)
        fresh = SQLiteStore(Path(folder) / "fresh.sqlite")
        import_file(fresh, PINGS, path)
        pd.testing.assert_frame_equal(fresh.read_pings(), stored)
    assert len(stored) == len(original)
    expected = original.sort_values(["unit_id", "timestamp"], kind="stable").reset_index(drop=True)
    assert stored["timestamp"].tolist() == expected["timestamp"].tolist()
    assert stored["lon"].tolist() == expected["lon"].tolist()


# -- idempotence and updates -----------------------------------------------------------------


@pytest.mark.parametrize("layer", ["incidents", "lights", "reports", "patrols", "cameras"])
def test_importing_the_same_file_again_stores_nothing_new(tmp_path, layer):
    schema = SCHEMAS[layer]
    store = SQLiteStore(tmp_path / "db.sqlite")
    path = write(tmp_path / f"{layer}.csv", SAMPLES[layer])
    first = import_file(store, schema, path)
    before = read_layer(store, schema)
    second = import_file(store, schema, path)
    assert first.imported == len(before) and first.updated == 0
    assert (second.imported, second.updated, second.unchanged) == (0, 0, len(before))
    assert f"0 imported, 0 updated, {len(before)} skipped ({len(before)} already stored)" in second.line()
    assert store.count(schema) == len(before)
    assert_same_layer(schema, read_layer(store, schema), before)


def test_changed_records_are_updated_and_new_ones_added(tmp_path, store):
    import_file(store, INCIDENTS, write(tmp_path / "a.csv", incidents_csv(5)))
    changed = incidents_csv(6).replace("i3,2024-01-04T03:10:00Z,stöld", "i3,2024-01-04T03:10:00Z,rån")
    summary = import_file(store, INCIDENTS, write(tmp_path / "b.csv", changed))
    assert (summary.imported, summary.updated, summary.unchanged) == (1, 1, 4)
    assert "1 imported, 1 updated, 4 skipped (4 already stored)" in summary.line()
    frame = store.read_features(INCIDENTS)
    assert frame["id"].tolist() == ["i1", "i2", "i3", "i4", "i5", "i6"]
    assert frame.set_index("id").loc["i3", "category"] == "rån"
    assert store.count(INCIDENTS) == 6


def test_a_moved_light_is_updated(tmp_path, store):
    import_file(store, LIGHTS, write(tmp_path / "a.csv", LIGHTS_CSV))
    moved = LIGHTS_CSV.replace("56.6751,12.8601", "56.6761,12.8611")
    assert import_file(store, LIGHTS, write(tmp_path / "b.csv", moved)).updated == 1
    assert store.read_features(LIGHTS).geometry.y.tolist() == [LAT, 56.6761, 56.6752]


def test_new_lamps_without_installed_at_are_warned_about_and_orientation_is_kept(tmp_path, store):
    first = import_file(store, LIGHTS, write(tmp_path / "a.csv", LIGHTS_CSV))
    assert not first.warnings, "the first register is the baseline"
    later = ("id,lumen,height_m,status,azimuth_deg,tilt_deg,overhang_m,watts,installed_at,lat,lon\n"
             "L4,3000,6,working,135,5,1.5,24,2025-03-01,56.6753,12.8603\n"
             "L5,3000,6,working,,,,,,56.6754,12.8604\n")
    summary = import_file(store, LIGHTS, write(tmp_path / "b.csv", later))
    assert summary.imported == 2 and len(summary.warnings) == 1
    assert "1 new lamps have no installed_at (first: L5)" in summary.warnings[0]
    stored = store.read_features(LIGHTS).set_index("id")
    assert stored.loc["L4", ["azimuth_deg", "tilt_deg", "overhang_m", "watts"]].tolist() == [135.0, 5.0, 1.5, 24.0]
    assert stored.loc["L4", "installed_at"] == pd.Timestamp("2025-03-01", tz="Europe/Stockholm")
    assert stored.loc["L5", ["tilt_deg", "overhang_m"]].tolist() == [0.0, 0.0] and pd.isna(stored.loc["L5", "azimuth_deg"])


def test_a_changed_contact_counts_as_an_update(tmp_path, store):
    import_file(store, REPORTS, write(tmp_path / "a.csv", REPORTS_CSV))
    summary = import_file(store, REPORTS, write(tmp_path / "b.csv", REPORTS_CSV.replace("anna@example.se", "a@b.se")))
    assert store.read_features(REPORTS, include_private=True).set_index("id").loc["R1", "contact"] == "a@b.se"
    assert (summary.updated, summary.unchanged) == (1, 2)


# -- all or nothing ----------------------------------------------------------------------------


def test_one_bad_row_in_a_thousand_changes_nothing(tmp_path, store):
    import_file(store, INCIDENTS, write(tmp_path / "first.csv", incidents_csv(3, category="misshandel")))
    before = store.read_features(INCIDENTS)
    text = incidents_csv(999, category="narkotika")  # would update i1..i3 and add 996 more
    text += f"i1000,2024-01-01T10:00:00Z,stöld,{LON},{LAT}\n"  # the last row has lat/lon swapped
    path = write(tmp_path / "big.csv", text)
    with pytest.raises(ValidationError) as info:
        import_file(store, INCIDENTS, path)
    assert (info.value.file, info.value.row, info.value.field) == (str(path), "row 1001", "lat/lon")
    assert store.count(INCIDENTS) == 3
    assert_geodataframe_equal(store.read_features(INCIDENTS), before)


def test_one_bad_ping_changes_nothing(tmp_path, store):
    import_file(store, PINGS, write(tmp_path / "first.csv", PINGS_CSV))
    before = store.read_pings()
    rows = [f"P3,2024-02-01T10:{k // 60:02d}:{k % 60:02d}Z,{LAT},{LON},bike,1" for k in range(999)]
    path = write(tmp_path / "big.csv", "unit_id,timestamp,lat,lon,mode,crew\n" + "\n".join(rows)
                 + f"\nP3,2024-02-01 25:00,{LAT},{LON},bike,1\n")
    with pytest.raises(ValidationError) as info:
        import_file(store, PINGS, path)
    assert (info.value.row, info.value.field) == ("row 1001", "timestamp")
    assert store.count(PINGS) == len(before) == 5
    pd.testing.assert_frame_equal(store.read_pings(), before)


def test_a_write_interrupted_halfway_is_rolled_back(tmp_path, store):
    before = store.count(PINGS)
    rows = [f"P{u},2024-02-0{d}T10:00:00Z,{LAT},{LON},bike,1" for u in (1, 2) for d in (1, 2, 3)]
    path = write(tmp_path / "p.csv", "unit_id,timestamp,lat,lon,mode,crew\n" + "\n".join(rows) + "\n")

    def progress(step, done, total):
        if step == "writing" and done == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(store, PINGS, path, progress=progress)
    assert store.count(PINGS) == before == 0 and store.is_empty()


# -- contact details ------------------------------------------------------------------------


def test_contact_is_stored_apart_and_only_read_when_asked_for(tmp_path, store):
    import_file(store, REPORTS, write(tmp_path / "r.csv", REPORTS_CSV))
    assert store.read_features(REPORTS)["contact"].isna().all()
    assert store.read_features(REPORTS, include_private=True)["contact"].tolist()[::2] == [
        "anna@example.se", "070-123 45 67"]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet", ".csv"])
def test_contact_never_leaves_in_an_export_without_include_private(tmp_path, suffix):
    store = loaded_store(tmp_path, "reports")
    path = tmp_path / f"reports{suffix}"
    write_layer(store.read_features(REPORTS, include_private=True), REPORTS, path)
    data = path.read_bytes()
    assert b"anna@example.se" not in data and b"070-123 45 67" not in data and b"contact" not in data


# -- patrol pings ------------------------------------------------------------------------------


def test_repeated_pings_in_a_file_are_dropped_and_counted(tmp_path, store):
    text = PINGS_CSV + f"P1,2024-01-15T22:59:59Z,{LAT},{LON},foot,2\n"  # same unit and time as row 3
    summary = import_file(store, PINGS, write(tmp_path / "p.csv", text))
    assert summary.read == 6 and summary.imported == 5
    assert "1 repeated in the file for the same unit and time" in summary.line()
    assert store.count(PINGS) == 5


def test_read_pings_by_time_and_unit(tmp_path, store):
    import_file(store, PINGS, write(tmp_path / "p.csv", PINGS_CSV))
    everything = store.read_pings()
    assert everything["unit_id"].tolist() == ["P1", "P1", "P1", "P2", "P2"]
    assert everything.groupby("unit_id")["timestamp"].apply(lambda t: t.is_monotonic_increasing).all()
    start, end = pd.Timestamp("2024-01-15T22:59:59Z"), pd.Timestamp("2024-01-16T00:00:01Z")
    window = store.read_pings(start, end)
    assert window["timestamp"].tolist() == [start, pd.Timestamp("2024-01-15T23:00:00Z"),
                                            pd.Timestamp("2024-01-15T23:00:00Z")]
    assert window["unit_id"].tolist() == ["P1", "P1", "P2"]
    assert (window["timestamp"] >= start).all() and (window["timestamp"] < end).all()
    assert store.read_pings(unit_ids=["P2"])["unit_id"].tolist() == ["P2", "P2"]
    assert store.read_pings(start=pd.Timestamp("2024-01-16T00:00:00+01:00"), unit_ids=["P1"])["timestamp"].tolist() \
        == [pd.Timestamp("2024-01-15T23:00:00Z")]


def test_pings_of_two_units_at_the_same_time_stay_separate(tmp_path, store):
    text = ("unit_id,timestamp,lat,lon,mode,crew\n"
            f"A,2024-05-01T20:00:00Z,{LAT},{LON},foot,2\nB,2024-05-01T20:00:00Z,56.68,12.87,bike,1\n")
    summary = import_file(store, PINGS, write(tmp_path / "p.csv", text))
    assert summary.imported == 2
    pings = store.read_pings()
    assert pings[["unit_id", "mode", "crew", "lat"]].values.tolist() == [["A", "foot", 2, LAT], ["B", "bike", 1, 56.68]]


def test_gpx_import_and_reimport(tmp_path, store):
    gpx = ('<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
           f'<trk><trkseg><trkpt lat="{LAT}" lon="{LON}"><time>2024-06-01T21:00:00Z</time></trkpt>'
           f'<trkpt lat="56.6745" lon="12.8579"><time>2024-06-01T21:00:05Z</time></trkpt></trkseg></trk></gpx>')
    path = write(tmp_path / "cykel-3.gpx", gpx)
    with pytest.raises(ValidationError, match="--mode"):
        import_file(store, PINGS, path)
    with pytest.raises(ValidationError, match="import them as 'patrols'"):
        import_file(store, INCIDENTS, path, mode="bike")
    assert import_file(store, PINGS, path, mode="bike", crew=2).imported == 2
    assert "2 already stored" in import_file(store, PINGS, path, mode="bike", crew=2).line()
    pings = store.read_pings()
    assert set(pings["unit_id"]) == {"cykel-3"} and set(pings["mode"]) == {"bike"} and set(pings["crew"]) == {2}


def test_options_that_do_not_apply_are_refused(tmp_path, store):
    path = write(tmp_path / "inc.csv", incidents_csv(1))
    with pytest.raises(ValidationError, match="--mode applies to GPX"):
        import_file(store, INCIDENTS, path, mode="foot")
    with pytest.raises(ValidationError, match="--unit and --crew apply to patrol"):
        import_file(store, INCIDENTS, path, unit_id="P1")
    with pytest.raises(ValidationError, match="--crs applies to CSV"):
        import_file(store, INCIDENTS, tmp_path / "inc.geojson", crs="EPSG:3006")
    assert store.is_empty()


# -- the team's sample files ------------------------------------------------------------------


def test_police_sample_keeps_only_the_towns_events(shared_data, store):
    path = shared_data / "polisen_events_sample.json"
    summary = import_file(store, INCIDENTS, path)
    frame = store.read_features(INCIDENTS)
    assert summary.read == 500 and summary.imported == len(frame) < 50
    assert summary.skipped["not in Halmstad (another municipality or county)"] > 300, summary.line()
    assert set(frame["location_precision"]) <= {"town", "county"}
    again = import_file(store, INCIDENTS, path)
    assert again.imported == 0 and f"{len(frame)} already stored" in again.line()


def test_gpx_car_drive_sample_is_accepted(shared_data, store):
    summary = import_file(store, PINGS, shared_data / "gpx_car_drive.gpx", mode="car")
    assert summary.imported == 104
    pings = store.read_pings()
    assert len(pings) == 104 and set(pings["mode"]) == {"car"} and set(pings["unit_id"]) == {"gpx_car_drive"}


@pytest.mark.parametrize(("name", "points"), [("gpx_empty_segment.gpx", 9), ("gpx_all_fields.gpx", 1)])
def test_gpx_samples_import(shared_data, store, name, points):
    assert import_file(store, PINGS, shared_data / name, mode="foot", unit_id="P1").imported == points


# -- the command line -------------------------------------------------------------------------


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})


def test_cli_import_prints_the_summary(tmp_path):
    db = tmp_path / "db.sqlite"
    path = write(tmp_path / "inc.csv", incidents_csv(3))
    result = invoke("import", "incidents", path, "--db", db)
    assert result.exit_code == 0, result.output
    assert f"incidents from {path}: 3 rows read, 3 imported, 0 updated, 0 skipped" in fold(result.output)
    again = invoke("import", "incidents", path, "--db", db)
    assert "0 imported, 0 updated, 3 skipped (3 already stored)" in fold(again.output)


def test_cli_bad_input_exits_2_and_imports_nothing(tmp_path):
    db = tmp_path / "db.sqlite"
    invoke("import", "incidents", write(tmp_path / "ok.csv", incidents_csv(2)), "--db", db)
    path = write(tmp_path / "bad.csv", incidents_csv(3).replace("i2,2024-01-03T02:10:00Z,stöld",
                                                                 "i2,2024-01-03T02:10:00Z,bilbrand"))
    result = invoke("import", "incidents", path, "--db", db)
    assert result.exit_code == 2
    output = fold(result.output)
    assert f"{path}, row 3, field 'category': 'bilbrand' is not one of" in output
    assert "nothing was imported" in output
    assert SQLiteStore(db).count(INCIDENTS) == 2


def test_cli_gpx_without_mode(tmp_path):
    path = write(tmp_path / "t.gpx", '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
                 f'<trk><trkseg><trkpt lat="{LAT}" lon="{LON}"><time>2024-06-01T21:00:00Z</time></trkpt>'
                 "</trkseg></trk></gpx>")
    result = invoke("import", "patrols", path, "--db", tmp_path / "db.sqlite")
    assert result.exit_code == 2
    assert "field 'mode'" in fold(result.output) and "nothing was imported" in fold(result.output)
    ok = invoke("import", "patrols", path, "--mode", "foot", "--unit", "P7", "--crew", "3", "--db", tmp_path / "db.sqlite")
    assert ok.exit_code == 0 and "1 imported" in fold(ok.output)


def test_cli_csv_in_sweref99(tmp_path):
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True).transform(LON, LAT)
    path = write(tmp_path / "l.csv", f"id,lumen,height_m,status,x,y\nL1,1500,6,working,{x:.3f},{y:.3f}\n")
    db = tmp_path / "db.sqlite"
    assert invoke("import", "lights", path, "--db", db).exit_code == 2
    result = invoke("import", "lights", path, "--crs", "EPSG:3006", "--db", db)
    assert result.exit_code == 0, result.output
    light = SQLiteStore(db).read_features(LIGHTS).geometry.iloc[0]
    assert light.x == pytest.approx(LON, abs=1e-6) and light.y == pytest.approx(LAT, abs=1e-6)
    bad = invoke("import", "lights", path, "--crs", "EPSG:999999", "--db", db)
    assert bad.exit_code == 2 and "unknown CRS" in fold(bad.output)


def test_cli_export_leaves_out_contact_unless_asked(tmp_path):
    db = tmp_path / "db.sqlite"
    invoke("import", "reports", write(tmp_path / "r.csv", REPORTS_CSV), "--db", db)
    plain, private = tmp_path / "plain.geojson", tmp_path / "private.geojson"
    result = invoke("export", "reports", plain, "--db", db)
    assert result.exit_code == 0 and f"reports: 3 rows written to {plain}" in fold(result.output)
    assert "anna@example.se" not in plain.read_text(encoding="utf-8")
    assert_feature_collection(json.loads(plain.read_text(encoding="utf-8")), max_decimals=7)
    assert invoke("export", "reports", private, "--include-contact", "--db", db).exit_code == 0
    assert "anna@example.se" in private.read_text(encoding="utf-8")
    again = invoke("export", "reports", plain, "--db", db)
    assert again.exit_code == 2 and "exists already" in fold(again.output)


def test_cli_export_and_reimport_of_patrols(tmp_path):
    db, copy = tmp_path / "db.sqlite", tmp_path / "copy.sqlite"
    invoke("import", "patrols", write(tmp_path / "p.csv", PINGS_CSV), "--db", db)
    out = tmp_path / "patrols.gpkg"
    assert invoke("export", "patrols", out, "--db", db).exit_code == 0
    assert invoke("import", "patrols", out, "--db", copy).exit_code == 0
    pd.testing.assert_frame_equal(SQLiteStore(copy).read_pings(), SQLiteStore(db).read_pings())


def test_cli_accepts_an_hour_only_offset(tmp_path):
    path = write(tmp_path / "inc.csv", "id,occurred_at,category,lat,lon\n"
                 f"a,2024-01-15T12:00:00+01,stöld,{LAT},{LON}\n")
    result = invoke("import", "incidents", path, "--db", tmp_path / "db.sqlite")
    assert result.exit_code == 0, result.output
    assert SQLiteStore(tmp_path / "db.sqlite").read_features(INCIDENTS)["occurred_at"].iloc[0] == \
        pd.Timestamp("2024-01-15T11:00:00Z")

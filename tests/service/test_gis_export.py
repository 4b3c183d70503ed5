"""``stadskarna export gis``: per role, the layers the API gives that role, in one styled GeoPackage —
read back with pyogrio, compared with the API's answers, and opened by GDAL's ogrinfo (and by QGIS
where it is installed)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient
from geopandas.testing import assert_geodataframe_equal
from typer.testing import CliRunner

from geo.crs import HALMSTAD_LONLAT
from geo.layers import CAMERAS, EVENTS, INCIDENTS, LIGHTS, PINGS, REPORTS, validate
from geo.maps.gis_styles import LAYER_STYLES
from geo.surfaces import validate_surfaces
from geo.timestamps import LOCAL_TZ, format_utc
from geo.tracks import UNIT_DAY_COLUMNS, unit_day_lines
from service.app import create_app
from service.auth import create_token
from service.cli import app as cli
from service.demo import DEMO_META_KEY
from service.gis_export import PACKAGE_ROLES, PUBLIC, SYNTHETIC_LABEL, patrol_lines
from service.settings import Settings, StoreSettings
from service.store import SQLiteStore

runner = CliRunner()
CONTACTS = ("anna@example.org", "bo@example.org")
TORG = (12.8572, 56.6740)
EVERYONES = {"zones", "streets", "lights", "reports", "incidents", "events", "event_areas", "cameras", "camera_views"}
LAYERS_OF = {role: EVERYONES | ({"patrols"} if role == "police" else set()) for role in PACKAGE_ROLES}
"""What each role's package holds: patrols for the police only (the API's rule)."""
EVENT_NAMES = ("Vårmarknad", "Konsert <b>på</b> torget ${x}")
SQUARE = shapely.box(12.8568, 56.6737, 12.8576, 56.6743)
"""Stora Torg, roughly: the area of the second event."""
BUILDING = shapely.box(12.8571, 56.67415, 12.8573, 56.67425)
"""A house 16–28 m north of the first camera, in its view."""
DEMO_MARK = "synthetic demo data for 2020, seed 7"


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """A store with a bit of every layer: an incident placed only at the town's centroid, a report of
    an unsafe place, contacts, a unit whose pings run over local midnight; marked as demo data."""
    path = tmp_path_factory.mktemp("gis") / "db.gpkg"
    store = SQLiteStore(path)
    store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame({
        "id": ["i1", "i2", "i3"], "occurred_at": ["2020-03-01T22:13:00+01:00", "2020-06-01T01:00:00+02:00",
                                                  "2020-09-01T12:00:00+02:00"],
        "category": ["rån", "stöld", "misshandel"], "location_precision": ["exact", "street", "town"],
        "lon": [12.85731, 12.8590, HALMSTAD_LONLAT[0]], "lat": [56.67412, 56.6745, HALMSTAD_LONLAT[1]]}), "t"))
    store.write_features(LIGHTS, validate(LIGHTS, pd.DataFrame({
        "id": ["l1", "l2"], "lumen": [4000, 3000], "height_m": [6, 5], "status": ["working", "broken"],
        "updated_at": ["2020-02-01T10:00:00Z", None], "lon": [TORG[0], 12.8580], "lat": [TORG[1], 56.6750]}), "t"))
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame({
        "id": ["r1", "r2", "r3"], "category": ["graffiti", "unsafe_place", "litter"],
        "description": ["Tags <b>på</b> muren", "Mörkt", "${x} {{7*7}}"],
        "created_at": ["2020-05-01T10:00:00+02:00"] * 3, "contact": [*CONTACTS, None],
        "when": [None, "night", None], "why": [None, "lighting", None],
        "lon": [TORG[0], 12.8575, 12.8581], "lat": [TORG[1], 56.6742, 56.6748]}), "t"))
    night = pd.Timestamp("2020-05-01T21:50:00Z") + pd.to_timedelta(range(0, 1200, 10), unit="s")  # 23:50–00:10 local
    noon = pd.Timestamp("2020-05-02T10:00:00Z") + pd.to_timedelta(range(0, 300, 30), unit="s")
    store.write_pings(validate(PINGS, pd.DataFrame({
        "unit_id": ["fot-1"] * len(night) + ["cykel-2"] * len(noon), "timestamp": night.append(noon),
        "mode": ["foot"] * len(night) + ["bike"] * len(noon), "crew": 2,
        "lon": TORG[0], "lat": TORG[1]}), "t"))
    store.write_features(EVENTS, validate(EVENTS, pd.DataFrame({
        "id": ["e1", "e2"], "name": list(EVENT_NAMES), "starts_at": ["2020-05-09T10:00", "2020-07-04T20:00"],
        "ends_at": ["2020-05-09T16:00", "2020-07-04T23:30"], "kind": ["market", "concert"],
        "expected_visitors": [2000, None], "organiser": ["Citysamverkan", None],
        "lon": [12.8580, TORG[0]], "lat": [56.6750, TORG[1]], "area": [None, SQUARE.wkt]}), "t"))
    store.write_features(CAMERAS, validate(CAMERAS, pd.DataFrame({
        "id": ["c1", "c2"], "name": ["Torget norr", None], "height_m": [6, 5], "direction_deg": [0, 180],
        "fov_deg": [90, 60], "range_m": [40, 30], "status": ["installed", "proposed"],
        "lon": [TORG[0], 12.8585], "lat": [TORG[1], 56.6752]}), "t"))
    buildings = gpd.GeoDataFrame({"height_m": [10.0]}, geometry=[BUILDING], crs="EPSG:4326")
    store.replace_surfaces("buildings", validate_surfaces("buildings", buildings, "hus.gpkg"), "hus.gpkg")
    store.set_meta(DEMO_META_KEY, DEMO_MARK)
    return path


@pytest.fixture(scope="module")
def api(db):
    """get(path, role) -> the API's JSON answer to ``role`` (``public``: no token)."""
    tokens = {role: create_token(SQLiteStore(db), role) for role in PACKAGE_ROLES if role != PUBLIC}
    with TestClient(create_app(Settings(store=StoreSettings(db=db)))) as client:
        def get(path: str, role: str):
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
            return client.get(path, headers=headers)
        yield get


@pytest.fixture(scope="module")
def packages(db, tmp_path_factory) -> dict[str, Path]:
    """The package of every role, written by the command line."""
    folder = tmp_path_factory.mktemp("packages")
    written = {}
    for role in PACKAGE_ROLES:
        path = folder / f"{role}.gpkg"
        result = runner.invoke(cli, ["export", "gis", str(path), "--role", role, "--db", str(db)],
                               env={"COLUMNS": "250"})
        assert result.exit_code == 0, result.output
        assert f"GIS package for {role} written to {path}" in result.output
        assert SYNTHETIC_LABEL in result.output
        written[role] = path
    return written


def layers_of(path: Path) -> dict[str, str | None]:
    return {name: kind for name, kind in pyogrio.list_layers(path)}


def contents(path: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(path) as con:
        return {name: (kind, description) for name, kind, description in
                con.execute("SELECT table_name, data_type, description FROM gpkg_contents")}


def features(answer) -> list[dict]:
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["numberMatched"] == doc["numberReturned"], "one page holds them all"
    return doc["features"]


def as_served(frame):
    """Times as the API writes them (ISO 8601 UTC text)."""
    times = [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    return frame.assign(**{c: format_utc(frame[c]) for c in times})


def position(geometry) -> tuple[float, float] | None:
    return None if geometry is None or geometry.is_empty else (round(geometry.x, 7), round(geometry.y, 7))


@pytest.mark.parametrize("role", PACKAGE_ROLES)
def test_each_role_gets_the_layers_the_api_gives_it(packages, api, role):
    path = packages[role]
    found = layers_of(path)
    assert set(found) == LAYERS_OF[role] | {"layer_styles", "about"}
    assert {found[n] for n in ("lights", "reports", "incidents", "events", "cameras")} == {"Point"}
    assert {found[n] for n in ("zones", "event_areas", "camera_views")} == {"MultiPolygon"}
    zones = pyogrio.read_dataframe(path, layer="zones")
    answer = api("/api/zones", role).json()["features"]
    assert dict(zip(zones["zone_id"], zones["area_m2"])) == {f["properties"]["zone_id"]: f["properties"]["area_m2"]
                                                             for f in answer}
    for layer in ("lights", "reports", "events", "cameras"):
        frame = pyogrio.read_dataframe(path, layer=layer)
        served = features(api(f"/api/layers/{layer}?limit=1000", role))
        assert sorted(frame["id"]) == sorted(f["properties"]["id"] for f in served), layer
        assert list(frame.columns[:-1]) == list(served[0]["properties"]), layer
    incidents = as_served(pyogrio.read_dataframe(path, layer="incidents"))
    served = features(api("/api/layers/incidents?limit=1000", role))
    keys = [c for c in incidents.columns if c != "geometry"]
    assert keys == list(served[0]["properties"])
    package = Counter((*(str(incidents.at[i, k]) for k in keys), position(incidents.geometry.iloc[i]))
                      for i in range(len(incidents)))
    assert package == Counter((*(str(f["properties"][k]) for k in keys),
                               tuple(f["geometry"]["coordinates"]) if f["geometry"] else None) for f in served)


def test_the_public_and_the_municipality_get_incidents_generalised_planners_and_police_exactly(packages, db):
    exact = SQLiteStore(db).read_features(INCIDENTS)
    exact_positions = {position(g) for g in exact.geometry}
    for role, path in packages.items():
        incidents = pyogrio.read_dataframe(path, layer="incidents")
        shown = {position(g) for g in incidents.geometry} - {None}
        if role in ("police", "planner"):
            assert list(incidents["id"]) == list(exact["id"]) and shown == exact_positions
        else:
            assert "id" not in incidents.columns and "occurred_at" not in incidents.columns
            assert not shown & exact_positions, "no exact place leaves"
            assert incidents.geometry.isna().sum() == 1, "the town-centroid incident has no place"
            assert list(incidents["date"]) == list(exact["occurred_at"].dt.tz_convert(LOCAL_TZ).dt.strftime("%Y-%m-%d"))


def test_unsafe_places_only_for_staff_and_contacts_never(packages, db):
    store = SQLiteStore(db)
    reports = store.read_features(REPORTS)
    for role, path in packages.items():
        shown = pyogrio.read_dataframe(path, layer="reports")
        expected = reports if role != PUBLIC else reports[reports["category"] != "unsafe_place"]
        assert list(shown["id"]) == list(expected["id"])
        assert shown["created_at"].tolist() == expected["created_at"].tolist(), "times as timestamps"
        data = path.read_bytes()
        assert not any(contact.encode() in data for contact in CONTACTS)
        for name in layers_of(path):
            assert "contact" not in pyogrio.read_info(path, layer=name)["fields"], name


@pytest.mark.parametrize("role", PACKAGE_ROLES)
def test_events_are_points_and_their_areas_polygons_as_the_ogc_collection_gives_them(packages, api, db, role):
    path = packages[role]
    events = pyogrio.read_dataframe(path, layer="events")
    stored = SQLiteStore(db).read_features(EVENTS)
    assert list(events["name"]) == list(EVENT_NAMES), "names as text, markup and all"
    assert [position(g) for g in events.geometry] == [position(g) for g in stored.geometry]
    assert as_served(events)["starts_at"].tolist() == format_utc(stored["starts_at"]).tolist()
    areas = pyogrio.read_dataframe(path, layer="event_areas")
    served = features(api("/ogc/collections/events/items", role))
    held = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in served if f["geometry"]["type"] != "Point"}
    assert list(areas["id"]) == list(held) == ["e2"]
    assert list(areas.columns[:-1]) == list(events.columns[:-1]) == EVENTS.public_fields
    assert areas.geometry.iloc[0].equals_exact(shapely.multipolygons([held["e2"]]), tolerance=1e-9)
    assert areas.geometry.iloc[0].contains(events.geometry.iloc[1]), "an area's event sits inside it"


@pytest.mark.parametrize("role", PACKAGE_ROLES)
def test_cameras_and_their_view_polygons_as_the_ogc_collections_give_them(packages, api, role):
    path = packages[role]
    cameras = pyogrio.read_dataframe(path, layer="cameras")
    served = features(api("/ogc/collections/cameras/items", role))
    assert list(cameras["id"]) == [f["id"] for f in served] and list(cameras.columns[:-1]) == CAMERAS.public_fields
    views = pyogrio.read_dataframe(path, layer="camera_views")
    served = {f["id"]: f for f in features(api("/ogc/collections/camera-views/items", role))}
    assert list(views["id"]) == list(served) == ["c1", "c2"]
    for view in views.itertuples():
        ogc = served[view.id]
        assert (view.status, view.area_m2) == (ogc["properties"]["status"], ogc["properties"]["area_m2"])
        assert view.geometry.normalize().equals_exact(
            shapely.multipolygons([shapely.geometry.shape(ogc["geometry"])]).normalize(), tolerance=1e-7)
    seen = views.set_index("id").geometry
    behind = shapely.Point(TORG[0], 56.6743)  # 33 m north of the camera, within its 40 m
    assert seen["c1"].intersects(BUILDING.exterior) and not seen["c1"].intersects(behind), \
        "the house hides what lies behind it"
    assert not seen["c2"].intersects(BUILDING)


def test_the_police_get_patrols_as_one_line_per_unit_and_local_day(packages, api):
    patrols = pyogrio.read_dataframe(packages["police"], layer="patrols")
    assert sorted(zip(patrols["unit_id"], patrols["day"])) == [("cykel-2", "2020-05-02"), ("fot-1", "2020-05-01"),
                                                               ("fot-1", "2020-05-02")], "fot-1 ran over local midnight"
    assert set(patrols.geom_type) == {"LineString"}
    served = api("/api/layers/patrols?start=2020-05-01&end=2020-05-03&limit=1", "police").json()
    assert patrols["pings"].sum() == served["numberMatched"]
    assert (patrols["start"] <= patrols["end"]).all() and str(patrols["start"].dt.tz) == "UTC"
    for role in PACKAGE_ROLES:
        if role != "police":
            assert api("/api/layers/patrols?start=2020-05-01&end=2020-05-03", role).status_code in (401, 403)


@pytest.mark.parametrize(("days", "windows"), [(1, 2), (2, 1), (7, 1)])
def test_patrol_lines_made_a_few_days_at_a_time_are_the_lines_of_all_pings_at_once(db, days, windows):
    """The pings lie on 1 and 2 May (local time): a day at a time splits them at local midnight."""
    store = SQLiteStore(db)
    at_once = unit_day_lines(store.read_tracks())
    parts = list(patrol_lines(store, days))
    assert len(parts) == windows
    windowed = pd.concat(parts, ignore_index=True)
    assert_geodataframe_equal(windowed.sort_values("id", ignore_index=True),
                              at_once.sort_values("id", ignore_index=True))


def test_without_pings_the_patrol_layer_is_there_and_empty(tmp_path):
    store = SQLiteStore(tmp_path / "empty.gpkg")
    (part,) = patrol_lines(store)
    assert len(part) == 0 and list(part.columns[:-1]) == UNIT_DAY_COLUMNS


def test_synthetic_data_is_labelled_in_every_layer_and_the_about_table(packages):
    for role, path in packages.items():
        described = contents(path)
        assert set(described) == set(layers_of(path))
        for name, (kind, description) in described.items():
            assert kind == ("attributes" if name in ("layer_styles", "about") else "features"), name
            if name != "layer_styles":
                assert SYNTHETIC_LABEL in description and DEMO_MARK in description, name
        about = dict(pyogrio.read_dataframe(path, layer="about")[["key", "value"]].to_numpy().tolist())
        assert about["role"] == role and DEMO_MARK in about["synthetic"]
        assert "contact" in about["left_out"] and ("patrol" in about["left_out"]) == (role != "police")


def test_every_layer_has_a_default_style_that_parses_and_names_it(packages):
    for role, path in packages.items():
        styles = pyogrio.read_dataframe(path, layer="layer_styles")
        assert sorted(styles["f_table_name"]) == sorted(LAYERS_OF[role])
        for row in styles.itertuples():
            info = pyogrio.read_info(path, layer=row.f_table_name)
            assert (row.f_table_catalog, row.f_table_schema, row.useAsDefault) == ("", "", True)
            assert row.f_geometry_column == info["geometry_name"]
            renderer = ET.fromstring(row.styleQML).find("renderer-v2")
            assert renderer.get("attr") in (None, *info["fields"])
            assert ET.fromstring(row.styleSLD).get("version") == "1.1.0"
            assert row.styleName == LAYER_STYLES[row.f_table_name].title


def test_ogrinfo_lists_the_package_layers_without_a_warning(packages, ogrinfo):
    for role, path in packages.items():
        listed = ogrinfo("-ro", "-q", path)
        assert listed.returncode == 0 and "Warning" not in listed.stderr, listed.stderr
        names = [line.split(": ", 1)[1].split(" (")[0] for line in listed.stdout.splitlines() if ": " in line]
        assert set(names) == LAYERS_OF[role] | {"layer_styles", "about"}
        summary = ogrinfo("-ro", "-so", path, "lights")
        assert SYNTHETIC_LABEL in summary.stdout and "Feature Count: 2" in summary.stdout
        for layer, count in (("event_areas", 1), ("camera_views", 2)):
            summary = ogrinfo("-ro", "-so", path, layer)
            assert "Geometry: Multi Polygon" in summary.stdout and f"Feature Count: {count}" in summary.stdout, layer


QGIS_CHECK = """
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
out = {}
for name in sys.argv[2:]:
    layer = QgsVectorLayer(f"{sys.argv[1]}|layername={name}", name, "ogr")
    renderer = layer.renderer()
    if renderer.type() == "categorizedSymbol":
        colours = [category.symbol().color().name() for category in renderer.categories()]
    else:
        colours = [renderer.symbol().color().name()]
    out[name] = [layer.isValid(), layer.featureCount(), renderer.type(), colours, layer.metadata().abstract()]
print(json.dumps(out), flush=True)
os._exit(0)  # QGIS 3.22's Python bindings may crash tearing down the interpreter after the answer

"""


def test_qgis_opens_every_layer_with_its_style_and_label(packages):
    """QGIS itself, where it is installed (Debian: python3-qgis; never required)."""
    if subprocess.run(["/usr/bin/python3", "-c", "import qgis.core"], capture_output=True).returncode:
        pytest.skip("QGIS's Python bindings are not installed (Debian: python3-qgis)")
    path = packages["police"]
    names = sorted(LAYERS_OF["police"])
    run = subprocess.run(["/usr/bin/python3", "-c", QGIS_CHECK, str(path), *names], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    opened = json.loads(run.stdout.strip().splitlines()[-1])
    for name in names:
        style = LAYER_STYLES[name]
        colours = [style.symbol.colour] if style.field is None else [c.symbol.colour for c in style.categories]
        valid, count, renderer, shown, abstract = opened[name]
        assert valid and count == len(pyogrio.read_dataframe(path, layer=name)) and SYNTHETIC_LABEL in abstract
        assert renderer == ("singleSymbol" if style.field is None else "categorizedSymbol") and shown == colours


# -- refused ------------------------------------------------------------------------------------


def invoke(*args: object):
    return runner.invoke(cli, [str(a) for a in args], env={"COLUMNS": "250"})


def test_an_existing_file_is_never_overwritten_and_bad_requests_are_refused(db, tmp_path):
    existing = tmp_path / "mine.gpkg"
    existing.write_bytes(b"my own data")
    cases = [
        (("export", "gis", existing, "--db", db), "exists already"),
        (("export", "gis", tmp_path / "p.gpkg", "--role", "chief", "--db", db), "unknown role 'chief'"),
        (("export", "gis", tmp_path / "p.gpkg", "--include-contact", "--db", db), "never holds reporters' contact"),
        (("export", "gis", tmp_path / "p.sqlite", "--db", db), "name it .gpkg"),
        (("export", "lights", tmp_path / "l.gpkg", "--role", "police", "--db", db), "apply to `stadskarna export gis`"),
    ]
    for args, message in cases:
        result = invoke(*args)
        assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert existing.read_bytes() == b"my own data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.gpkg"], "nothing else was written"


def test_a_database_without_demo_data_is_not_labelled_synthetic(tmp_path):
    db = tmp_path / "real.gpkg"
    SQLiteStore(db).write_features(LIGHTS, validate(LIGHTS, pd.DataFrame({
        "id": ["l1"], "lumen": [4000], "height_m": [6], "status": ["working"], "lon": [TORG[0]], "lat": [TORG[1]]}),
        "t"))
    path = tmp_path / "public.gpkg"
    result = invoke("export", "gis", path, "--db", db)
    assert result.exit_code == 0 and SYNTHETIC_LABEL not in result.output
    assert not any(SYNTHETIC_LABEL in description for _, description in contents(path).values())
    about = dict(pyogrio.read_dataframe(path, layer="about")[["key", "value"]].to_numpy().tolist())
    assert about["role"] == PUBLIC and about["synthetic"].startswith("no")
    assert len(pyogrio.read_dataframe(path, layer="incidents")) == 0 and layers_of(path)["incidents"] == "Point"
    for layer, kind in (("events", "Point"), ("event_areas", "MultiPolygon"), ("cameras", "Point"),
                        ("camera_views", "MultiPolygon")):
        assert len(pyogrio.read_dataframe(path, layer=layer)) == 0 and layers_of(path)[layer] == kind, layer

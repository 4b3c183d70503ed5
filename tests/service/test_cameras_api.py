"""Camera surveillance through the real app on the demo year (two proposed cameras and one
installed, at the hot spots): the layer, the OGC collections (GDAL reads both), the figures with
their privacy rule, the staff what-if, the drawing and its command."""

from __future__ import annotations

import html
import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo.cameras import covered_hotspots, seen, union_view
from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.layers import CAMERAS, REPORTS, validate
from service.app import create_app
from service.auth import create_token
from service.cameras import camera_views, year_ground
from service.cli import app as cli
from service.settings import ReportSettings, ServiceSettings, Settings, StoreSettings
from service.store import SQLiteStore
from tests.conftest import start_server
from tests.languages import ENGLISH
from tests.service.test_ogc import gdal
from tests.service.test_response_models import check


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, demo_year_db):
    return demo_year_db(tmp_path_factory.mktemp("cameras"))


@pytest.fixture(scope="module")
def client(demo_db):
    settings = Settings(store=StoreSettings(db=demo_db), reports=ReportSettings(rate_limit=1000))
    with TestClient(create_app(settings), headers=ENGLISH) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def staff(demo_db):
    return {"Authorization": f"Bearer {create_token(SQLiteStore(demo_db), 'planner')}"}


def test_the_cameras_layer_is_public_and_filtered_by_status(client):
    page = client.get("/api/layers/cameras").json()
    assert page["numberMatched"] == 3
    assert {f["properties"]["source"] for f in page["features"]} == {"synthetic"}
    assert all("syntetiskt exempel" in f["properties"]["name"] for f in page["features"])
    proposed = client.get("/api/layers/cameras?status=proposed").json()
    assert [f["properties"]["status"] for f in proposed["features"]] == ["proposed", "proposed"]
    wrong = client.get("/api/layers/cameras?status=open")
    assert wrong.status_code == 422 and wrong.json()["field"] == "status"


def test_the_ogc_collections_hold_the_cameras_and_their_view_polygons(client):
    cameras = client.get("/ogc/collections/cameras/items").json()
    views = client.get("/ogc/collections/camera-views/items").json()
    assert cameras["numberMatched"] == views["numberMatched"] == 3
    ids = {f["id"] for f in cameras["features"]}
    assert {f["id"] for f in views["features"]} == ids
    assert {f["geometry"]["type"] for f in views["features"]} <= {"Polygon", "MultiPolygon"}
    assert all(f["properties"]["area_m2"] > 500 for f in views["features"])
    one = client.get("/ogc/collections/camera-views/items?status=installed&crs="
                     "http://www.opengis.net/def/crs/EPSG/0/3006").json()
    assert [f["properties"]["status"] for f in one["features"]] == ["installed"]
    assert one["features"][0]["geometry"]["coordinates"][0][0][0] > 300_000, "metres of SWEREF 99 TM"
    assert client.get(f"/ogc/collections/camera-views/items/{sorted(ids)[0]}").status_code == 200


def test_gdal_reads_the_cameras_and_their_views(demo_db, tmp_path):
    url, stop = start_server(create_app(Settings(store=StoreSettings(db=demo_db))))
    try:
        listing = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{url}/ogc")
        assert ": cameras (title: Kameror) (Point)" in listing and ": camera-views (title: Kamerornas synfält) (Polygon)" in listing
        for name in ("cameras", "camera-views"):
            out = tmp_path / f"{name}.geojson"
            gdal("ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{url}/ogc", name)
            copied = json.loads(out.read_text(encoding="utf-8"))["features"]
            assert len(copied) == 3 and {f["properties"]["status"] for f in copied} == {"proposed", "installed"}
    finally:
        stop()


def test_figures_per_camera_and_status_keep_citizens_marks_to_counts_of_k(client, staff):
    public = check(client, "get", "/api/cameras/figures", client.get("/api/cameras/figures?year=2020"))
    assert public["year"] == 2020 and public["suppressed_below"] == 3 and public["hotspots"]
    assert public["entrances_note"].startswith("no entrance data")
    assert [c["id"] for c in public["cameras"]] == ["demo-kamera-1", "demo-kamera-2", "demo-kamera-3"]
    for camera in public["cameras"]:
        assert camera["area_m2"] > 500 and camera["entrances"] is None
        assert camera["unsafe_places"] is None or camera["unsafe_places"] >= 3
        assert all(m >= 0.5 for m in camera["streets_m"].values())
    assert any(camera["streets_m"] for camera in public["cameras"])
    proposed = public["by_status"]["proposed"]
    removed = public["by_status"]["removed"]
    assert proposed["cameras"] == 2 and removed["cameras"] == 0 and removed["area_m2"] == 0
    assert removed["covered_hotspots"] == [] and removed["streets_m"] == {}
    assert sum(h["seen"] for h in proposed["hotspots"]) > 0, "the proposals point at the hot spots"
    exact = check(client, "get", "/api/cameras/figures", client.get("/api/cameras/figures?year=2020", headers=staff))
    assert exact["suppressed_below"] is None
    assert all(isinstance(c["unsafe_places"], int) for c in exact["cameras"])


def test_a_status_hides_its_count_of_marks_when_one_of_its_cameras_does(tmp_path):
    """Two installed cameras 300 m apart: A sees 7 unsafe-place marks, B 2 (fewer than k = 3). The
    public gets A's 7 and B's null, and null for the installed cameras together too, since 9 − 7
    would give B's 2; staff get all three counts."""
    settings = Settings(store=StoreSettings(db=tmp_path / "db.sqlite"))
    store = SQLiteStore(settings.store.db)
    a, b = (12.8578, 56.6744), (12.8578, 56.6717)
    store.write_features(CAMERAS, validate(CAMERAS, pd.DataFrame([
        {"id": name, "height_m": 6, "direction_deg": 0, "fov_deg": 360, "range_m": 40, "status": "installed",
         "source": "test", "lon": lon, "lat": lat} for name, (lon, lat) in (("a", a), ("b", b))]), "test"))
    marks = [a] * 7 + [b] * 2
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame([
        {"id": f"u{i}", "category": "unsafe_place", "when": "night", "created_at": "2020-05-01T22:00:00+02:00",
         "source": "test", "lon": lon + 0.0001 * (i % 3), "lat": lat} for i, (lon, lat) in enumerate(marks)]), "test"))
    with TestClient(create_app(settings), headers=ENGLISH) as fresh:
        token = {"Authorization": f"Bearer {create_token(fresh.app.state.context.store, 'planner')}"}
        public = fresh.get("/api/cameras/figures?year=2020").json()
        exact = fresh.get("/api/cameras/figures?year=2020", headers=token).json()
    assert [c["unsafe_places"] for c in exact["cameras"]] == [7, 2] and exact["by_status"]["installed"]["unsafe_places"] == 9
    assert [c["unsafe_places"] for c in public["cameras"]] == [7, None]
    assert public["by_status"]["installed"]["unsafe_places"] is None


def test_a_status_hides_its_count_of_marks_when_two_of_its_cameras_show_theirs(tmp_path):
    """Two installed cameras 30 m apart whose views overlap: A sees 7 marks, B 8, 3 of them where
    both look. Showing 12 for the two together would give the 3 they share (7 + 8 − 12): the
    public gets 7 and 8 and null for the status; staff get 12."""
    settings = Settings(store=StoreSettings(db=tmp_path / "db.sqlite"))
    store = SQLiteStore(settings.store.db)
    a, b, both = (12.8578, 56.6744), (12.8578, 56.67467), (12.8578, 56.67453)
    store.write_features(CAMERAS, validate(CAMERAS, pd.DataFrame([
        {"id": name, "height_m": 6, "direction_deg": 0, "fov_deg": 360, "range_m": 25, "status": "installed",
         "source": "test", "lon": lon, "lat": lat} for name, (lon, lat) in (("a", a), ("b", b))]), "test"))
    marks = [a] * 4 + [b] * 5 + [both] * 3
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame([
        {"id": f"u{i}", "category": "unsafe_place", "when": "night", "created_at": "2020-05-01T22:00:00+02:00",
         "source": "test", "lon": lon, "lat": lat} for i, (lon, lat) in enumerate(marks)]), "test"))
    with TestClient(create_app(settings), headers=ENGLISH) as fresh:
        token = {"Authorization": f"Bearer {create_token(fresh.app.state.context.store, 'planner')}"}
        public = fresh.get("/api/cameras/figures?year=2020").json()
        exact = fresh.get("/api/cameras/figures?year=2020", headers=token).json()
    assert [c["unsafe_places"] for c in exact["cameras"]] == [7, 8] and exact["by_status"]["installed"]["unsafe_places"] == 12
    assert [c["unsafe_places"] for c in public["cameras"]] == [7, 8]
    assert public["by_status"]["installed"]["unsafe_places"] is None


def test_the_ground_is_kept_in_metres_and_measures_views_as_the_layers_do(client):
    """The year's ground is reprojected to SWEREF 99 TM once, not for every camera measured, and a
    view covers the same of it as of the WGS84 layers."""
    state = client.app.state.context
    ground = year_ground(state, 2020)
    kept = (ground.metric_hotspots, ground.incidents, ground.unsafe, ground.streets)
    assert all(frame.crs == SWEREF99TM for frame in kept) and len(ground.unsafe) and len(ground.incidents)
    views = camera_views(state)
    layers = seen(union_view(to_metric(views).geometry), ground.hotspots, ground.incidents.to_crs(WGS84),
                  ground.unsafe.to_crs(WGS84), state.streets, None)
    assert ground.seen(views, None) == layers.as_dict() | {"covered_hotspots": covered_hotspots(layers)}


def test_the_what_if_is_for_staff_and_says_which_hot_spots_a_proposal_covers(client, staff):
    assert client.get("/api/cameras/what-if").status_code == 401
    stored = check(client, "get", "/api/cameras/what-if",
                   client.get("/api/cameras/what-if?status=proposed&year=2020", headers=staff))
    figures = client.get("/api/cameras/figures?year=2020", headers=staff).json()["by_status"]["proposed"]
    assert stored["covered_hotspots"] == figures["covered_hotspots"] != []
    assert stored["area_m2"] == figures["area_m2"] and len(stored["cameras"]) == 2
    camera = {"lon": 12.8572, "lat": 56.6740, "direction_deg": 0, "fov_deg": 360, "range_m": 80}
    given = check(client, "post", "/api/cameras/what-if",
                  client.post("/api/cameras/what-if", json={"cameras": [camera], "year": 2020}, headers=staff))
    assert given["cameras"][0]["id"] == "what-if-1" and given["covered_hotspots"]
    assert client.get("/api/cameras/what-if?status=maybe", headers=staff).json()["field"] == "status"
    too_wide = client.post("/api/cameras/what-if", json={"cameras": [camera | {"fov_deg": 400}]}, headers=staff)
    assert too_wide.status_code == 422 and "fov_deg" in too_wide.json()["detail"]
    far = client.post("/api/cameras/what-if", json={"cameras": [camera | {"lon": 13.5}]}, headers=staff)
    assert far.status_code == 422 and "outside the centre" in far.json()["detail"]
    assert client.post("/api/cameras/what-if", json={"cameras": []}, headers=staff).status_code == 422


def test_the_drawing_is_a_png_or_pdf_for_staff(client, staff, demo_db, tmp_path):
    assert client.get("/api/cameras/demo-kamera-1/drawing.png").status_code == 401
    png = client.get("/api/cameras/demo-kamera-1/drawing.png", headers=staff)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    pdf = client.get("/api/cameras/demo-kamera-3/drawing.pdf", headers=staff)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    assert client.get("/api/cameras/nej/drawing.pdf", headers=staff).status_code == 404
    assert client.get("/api/cameras/demo-kamera-1/drawing.svg", headers=staff).status_code == 422
    out = tmp_path / "kamera.pdf"
    result = CliRunner().invoke(cli, ["cameras", "drawing", "demo-kamera-2", "-o", str(out), "--db", str(demo_db)],
                                env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:5] == b"%PDF-"
    wrong = CliRunner().invoke(cli, ["cameras", "drawing", "demo-kamera-2", "-o", str(tmp_path / "k.svg"),
                                     "--db", str(demo_db)], env={"COLUMNS": "250", "LANG": "en_GB.UTF-8"})
    assert wrong.exit_code == 2


def test_the_cameras_map_is_for_staff_and_shows_cameras_views_and_hot_spots(client, staff):
    assert client.get("/maps/cameras").status_code == 401
    page = client.get("/maps/cameras?year=2020", headers=staff)
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    html = page.text
    for shown in ("demo-kamera-1", "demo-kamera-3", "Hot spots (brott)", 'href="/maps/cameras"',
                  "Kamerabevakning · hot spots 2020 · SYNTETISKA DEMODATA"):
        assert shown in html, shown
    for layer in ("Föreslagen (2)", "Installerad (1)"):  # layer names, in the map's script as JSON
        assert json.dumps(layer) in html, layer


def test_the_camera_promise_shows_the_cameras_by_status_in_the_tracker(client):
    tracker = {p["id"]: p for p in client.get("/api/promises/2020?as_of=2020-12-31").json()["promises"]}
    figures = tracker["kamerabevakning"]["supporting"]["camera_views"]
    assert list(figures["by_status"]) == ["proposed", "permitted", "installed", "removed"]
    proposed, installed = figures["by_status"]["proposed"], figures["by_status"]["installed"]
    assert (proposed["cameras"], installed["cameras"]) == (2, 1)
    assert 0 < proposed["hotspot_incidents_seen"] <= figures["hotspot_incidents"] and proposed["covered_hotspots"]
    assert proposed["area_m2"] > installed["area_m2"] > 0
    page = " ".join(html.unescape(client.get("/promises/2020?as_of=2020-12-31").text).split())
    assert "Underlag: kamerornas synfält och årets hot spots" in page and "<td>Föreslagen</td><td>2</td>" in page


def test_what_ifs_are_rate_limited_per_client(tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "empty.gpkg"), service=ServiceSettings(what_if_rate_limit=2))
    with TestClient(create_app(settings), headers=ENGLISH) as small:
        token = {"Authorization": f"Bearer {create_token(small.app.state.context.store, 'police')}"}
        answers = [small.get("/api/cameras/what-if", headers=token).status_code for _ in range(3)]
    assert answers == [200, 200, 429]

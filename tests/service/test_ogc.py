"""OGC API – Features at /ogc through the real app, requirement by requirement (Part 1 Core,
GeoJSON and HTML; Part 2 CRS; Part 3 queryables), and with real clients: GDAL's OAPIF driver
(ogrinfo, ogr2ogr) and OWSLib against a running server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Transformer

from geo.layers import AREA, EVENTS, INCIDENTS, LIGHTS, PINGS, REPORTS, validate
from geo.publish import PUBLIC_INCIDENT_GRID_M
from service.app import create_app
from service.auth import create_token
from service.ogc import CONFORMANCE
from service.settings import Settings, StoreSettings
from service.store import SQLiteStore
from tests.conftest import start_server
from tests.languages import ENGLISH

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG3006 = "http://www.opengis.net/def/crs/EPSG/0/3006"
EPSG3008 = "http://www.opengis.net/def/crs/EPSG/0/3008"
N_LIGHTS, N_REPORTS, N_INCIDENTS = 237, 64, 45
EVENT_AREA = "POLYGON ((12.856 56.6735, 12.86 56.6735, 12.86 56.6742, 12.856 56.6742, 12.856 56.6735))"
HOSTILE = '<script>alert("x")</script> & <b>fet</b>'


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A store of lamps on a grid over the centre, reports (one an unsafe place, one hostile
    text), incidents over 2020 and two units' pings around local midnight."""
    path = tmp_path_factory.mktemp("ogc") / "ogc.gpkg"
    store = SQLiteStore(path)
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(12.852, 12.866, N_LIGHTS), rng.uniform(56.669, 56.679, N_LIGHTS)
    store.write_features(LIGHTS, validate(LIGHTS, pd.DataFrame({
        "id": [f"lamp-{i:03d}" for i in range(N_LIGHTS)], "lumen": 4000, "height_m": 6,
        "status": np.where(np.arange(N_LIGHTS) % 5 == 0, "broken", "working"), "lon": lon, "lat": lat}), "t"))
    categories = np.array(["graffiti", "litter", "broken_light", "unsafe_place"], dtype=object)[np.arange(N_REPORTS) % 4]
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame({
        "id": [f"r{i:02d}" for i in range(N_REPORTS)], "category": categories,
        "description": [HOSTILE if i == 1 else f"rapport {i}" for i in range(N_REPORTS)],
        "created_at": pd.Timestamp("2020-03-01T10:00:00Z") + pd.to_timedelta(np.arange(N_REPORTS) * 3, unit="D"),
        "contact": "hemlig@example.org", "when": np.where(categories == "unsafe_place", "night", None),
        "why": np.where(categories == "unsafe_place", "lighting", None),
        "lon": rng.uniform(12.853, 12.865, N_REPORTS), "lat": rng.uniform(56.670, 56.678, N_REPORTS)}), "t"))
    store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame({
        "id": [f"inc-{i}" for i in range(N_INCIDENTS)],
        "occurred_at": pd.Timestamp("2020-01-05T21:17:00Z") + pd.to_timedelta(np.arange(N_INCIDENTS) * 7, unit="D"),
        "category": np.array(["stöld", "misshandel", "skadegörelse"], dtype=object)[np.arange(N_INCIDENTS) % 3],
        "lon": rng.uniform(12.853, 12.865, N_INCIDENTS), "lat": rng.uniform(56.670, 56.678, N_INCIDENTS)}), "t"))
    store.write_features(EVENTS, validate(EVENTS, pd.DataFrame({
        "id": ["fest", "natt"], "name": ["Sommarfest", "Lördagsnatt"], "kind": ["festival", "nightlife"],
        "starts_at": ["2020-07-17T12:00", "2020-07-18T22:00"], "ends_at": ["2020-07-18T00:00", "2020-07-19T02:00"],
        "lon": [12.857, 12.858], "lat": [56.674, 56.675], AREA: [EVENT_AREA, None]}), "t"))
    times = pd.Timestamp("2020-06-01T21:30:00Z") + pd.to_timedelta(np.arange(0, 3600, 10), unit="s")  # over local midnight
    store.write_pings(validate(PINGS, pd.concat([pd.DataFrame({
        "unit_id": unit, "timestamp": times, "mode": "foot", "crew": 2,
        "lon": 12.857 + np.arange(len(times)) * 1e-5, "lat": 56.674 + k * 1e-3}) for k, unit in enumerate(("fot-1", "fot-2"))]),
        "t"))
    return path


@pytest.fixture(scope="module")
def client(db):
    with TestClient(create_app(Settings(store=StoreSettings(db=db))), headers=ENGLISH) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def tokens(db):
    store = SQLiteStore(db)
    return {role: create_token(store, role) for role in ("police", "municipality", "planner")}


def get(client, url, token=None, **params):
    return client.get(url, params=params or None, headers={"Authorization": f"Bearer {token}"} if token else {})


def rels(doc: dict) -> dict[str, str]:
    return {link["rel"]: link["type"] for link in doc["links"]}


def every_page(client, url, token=None) -> tuple[list[dict], list[dict]]:
    """All features by following ``next`` links from ``url``, and every page's document."""
    features, docs = [], []
    while url:
        answer = get(client, url, token)
        assert answer.status_code == 200, answer.text
        doc = answer.json()
        docs.append(doc)
        features += doc["features"]
        url = next((urlsplit(l["href"])._replace(scheme="", netloc="").geturl() for l in doc["links"]
                    if l["rel"] == "next"), None)
    return features, docs


# -- Part 1: Core ---------------------------------------------------------------------------------


def test_the_landing_page_links_the_definition_the_conformance_and_the_data(client):  # /req/core/root-success
    doc = get(client, "/ogc").json()
    assert doc["title"] and {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels(doc))
    assert rels(doc)["service-desc"].startswith("application/vnd.oai.openapi+json")
    assert get(client, "/openapi.json").json()["paths"]["/ogc/collections/{collection_id}/items"]


def test_conformance_lists_exactly_the_classes_implemented(client):  # /req/core/conformance-success
    assert get(client, "/ogc/conformance").json()["conformsTo"] == list(CONFORMANCE)
    assert not any("oas30" in c for c in CONFORMANCE), "the definition is OpenAPI 3.1"


def test_collections_have_extents_crs_and_links_and_patrols_only_for_the_police(client, tokens):
    public = get(client, "/ogc/collections").json()
    ids = [c["id"] for c in public["collections"]]
    assert ids == ["zones", "streets", "incidents", "lights", "reports", "events", "cameras", "camera-views"], \
        "no patrols for the public"
    police = [c["id"] for c in get(client, "/ogc/collections", tokens["police"]).json()["collections"]]
    assert police == [*ids, "patrols"]
    lights = get(client, "/ogc/collections/lights").json()
    assert lights["itemType"] == "feature" and lights["storageCrs"] == CRS84
    assert lights["crs"] == [CRS84, EPSG3006, EPSG3008]
    (box,) = lights["extent"]["spatial"]["bbox"]
    assert 12.852 <= box[0] < box[2] <= 12.866 and 56.669 <= box[1] < box[3] <= 56.679
    assert lights["extent"]["spatial"]["crs"] == CRS84
    assert {"items", "self", "http://www.opengis.net/def/rel/ogc/1.0/queryables"} <= set(rels(lights))
    incidents = get(client, "/ogc/collections/incidents").json()["extent"]["temporal"]["interval"][0]
    last = pd.Timestamp("2020-01-05T21:17:00Z") + pd.Timedelta(days=7 * (N_INCIDENTS - 1))  # 22:17 local time
    day_after = (last.tz_convert("Europe/Stockholm").normalize() + pd.Timedelta(days=1)).tz_convert("UTC")
    assert incidents == ["2020-01-04T23:00:00Z", day_after.strftime("%Y-%m-%dT%H:%M:%SZ")], \
        "the public's times are whole local days"
    exact = get(client, "/ogc/collections/incidents", tokens["police"]).json()["extent"]["temporal"]["interval"][0]
    assert exact[0] == "2020-01-05T21:17:00Z"
    patrols = get(client, "/ogc/collections/patrols", tokens["police"]).json()
    assert patrols["extent"]["temporal"]["interval"][0] == ["2020-06-01T21:30:00Z", "2020-06-01T22:29:50Z"]
    assert get(client, "/ogc/collections/patrols").status_code == 401
    assert get(client, "/ogc/collections/patrols", tokens["planner"]).status_code == 403
    missing = get(client, "/ogc/collections/nothing")
    assert missing.status_code == 404 and set(missing.json()) == {"code", "description"}


def test_items_page_through_the_whole_layer_exactly_once(client):  # /req/core/fc-links, fc-response
    features, docs = every_page(client, "/ogc/collections/lights/items?limit=50")
    ids = [f["id"] for f in features]
    assert len(ids) == len(set(ids)) == N_LIGHTS == docs[0]["numberMatched"]
    assert [d["numberReturned"] for d in docs] == [50, 50, 50, 50, 37]
    assert all(d["numberMatched"] == N_LIGHTS and d["timeStamp"].endswith("Z") for d in docs)
    second = get(client, "/ogc/collections/lights/items", limit=50, offset=50).json()
    prev = next(l["href"] for l in second["links"] if l["rel"] == "prev")
    assert "offset=0" in prev and "limit=50" in prev
    default = get(client, "/ogc/collections/lights/items")
    assert default.headers["content-type"] == "application/geo+json" and default.json()["numberReturned"] == 100
    assert default.headers["content-crs"] == f"<{CRS84}>"


def test_a_limit_above_the_maximum_an_unknown_parameter_or_a_bad_value_is_a_400_exception(client):
    for params in ({"limit": 10_001}, {"limit": 0}, {"colour": "red"}, {"bbox": "1,2,3"}, {"status": "lit"},
                   {"crs": "EPSG:3006"}, {"datetime": "igår"}, {"datetime": "2020-05-01/2020-04-01"},
                   {"bbox-crs": EPSG3006}):
        answer = get(client, "/ogc/collections/lights/items", **params)
        assert answer.status_code == 400, (params, answer.text)
        assert set(answer.json()) == {"code", "description"} and "Traceback" not in answer.text
    assert get(client, "/ogc/collections/lights/items", limit=10_000).json()["numberReturned"] == N_LIGHTS
    assert get(client, "/ogc/collections/zones/items", datetime="2020-05-01").status_code == 400, "zones have no time"


def test_bbox_keeps_the_features_inside_it(client, db):  # /req/core/fc-bbox-response
    box = (12.855, 56.671, 12.861, 56.676)
    answer = get(client, "/ogc/collections/lights/items", bbox=",".join(map(str, box)), limit=1000).json()
    lamps = SQLiteStore(db).read_features(LIGHTS)
    inside = lamps[lamps.geometry.x.between(box[0], box[2]) & lamps.geometry.y.between(box[1], box[3])]
    assert sorted(f["id"] for f in answer["features"]) == sorted(inside["id"]) and answer["numberMatched"] == len(inside)


def test_datetime_takes_instants_intervals_open_ends_and_local_dates(client, db):  # /req/core/fc-time-response
    reports = SQLiteStore(db).read_features(REPORTS)
    public = reports[reports["category"] != "unsafe_place"]

    def matched(value: str) -> int:
        return get(client, "/ogc/collections/reports/items", datetime=value).json()["numberMatched"]

    created = public["created_at"]
    assert matched("2020-03-04T10:00:00Z") == 1 == matched("2020-03-04T11:00:00+01:00"), "an instant, in any offset"
    assert matched("2020-03-04T10:00:01Z") == 0
    assert matched("2020-03-01T10:00:00Z/2020-03-10T10:00:00Z") == int(
        created.between("2020-03-01T10:00:00Z", "2020-03-10T10:00:00Z").sum()) == 3, "both ends included"
    assert matched("../2020-04-01T00:00:00Z") == int((created <= "2020-04-01T00:00:00Z").sum())
    assert matched("2020-06-01T00:00:00Z/..") == int((created >= "2020-06-01T00:00:00Z").sum())
    assert matched("2020-03-04") == 1 and matched("2020-03-01/2020-03-04") == 2, "dates are whole local days"


def test_queryables_describe_the_filters_that_items_take(client, db):  # Part 3
    answer = get(client, "/ogc/collections/reports/queryables")
    schema = answer.json()
    assert answer.headers["content-type"] == "application/schema+json"
    assert schema["type"] == "object" and set(schema["properties"]) == {"category", "status"}
    assert "graffiti" in schema["properties"]["category"]["enum"]
    both = get(client, "/ogc/collections/reports/items", category="graffiti,litter", limit=1000).json()
    assert {f["properties"]["category"] for f in both["features"]} == {"graffiti", "litter"}
    assert both["numberMatched"] == N_REPORTS // 2
    broken = get(client, "/ogc/collections/lights/items", status="broken", limit=1000).json()
    assert broken["numberMatched"] == len(range(0, N_LIGHTS, 5))


def test_one_feature_by_its_id_and_404_for_what_the_caller_may_not_see(client, tokens):  # /req/core/f-success
    lamp = get(client, "/ogc/collections/lights/items/lamp-007")
    assert lamp.status_code == 200 and lamp.json()["id"] == "lamp-007" and lamp.json()["geometry"]["type"] == "Point"
    assert {"self", "collection"} <= set(rels(lamp.json()))
    assert get(client, "/ogc/collections/lights/items/lamp-999").status_code == 404
    assert get(client, "/ogc/collections/reports/items/r03").status_code == 404, "an unsafe place, for staff only"
    assert get(client, "/ogc/collections/reports/items/r03", tokens["municipality"]).status_code == 200
    assert get(client, "/ogc/collections/lights/items/lamp-007", limit=3).status_code == 400


def test_reports_never_carry_contacts_and_unsafe_places_are_for_staff(client, tokens):
    public, _ = every_page(client, "/ogc/collections/reports/items?limit=1000")
    assert len(public) == N_REPORTS - N_REPORTS // 4 and all(f["properties"]["category"] != "unsafe_place" for f in public)
    staff, _ = every_page(client, "/ogc/collections/reports/items?limit=1000", tokens["municipality"])
    assert len(staff) == N_REPORTS
    text = json.dumps(staff)
    assert "hemlig@example.org" not in text and "contact" not in text


def test_the_public_gets_incidents_generalised_without_ids_and_the_police_exact(client, tokens, db):
    to_metric = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
    public, _ = every_page(client, "/ogc/collections/incidents/items?limit=20")
    assert len(public) == N_INCIDENTS and all("id" not in f and set(f["properties"]) >= {"category", "date"}
                                              for f in public)
    east, north = to_metric.transform(*zip(*(f["geometry"]["coordinates"] for f in public)))
    cell = PUBLIC_INCIDENT_GRID_M
    assert np.allclose((np.asarray(east) / cell) % 1, 0.5, atol=1e-3) and np.allclose((np.asarray(north) / cell) % 1,
                                                                                      0.5, atol=1e-3)
    assert "occurred_at" not in json.dumps(public)
    assert get(client, "/ogc/collections/incidents/items/inc-1").status_code == 404
    exact = get(client, "/ogc/collections/incidents/items", tokens["police"], limit=100).json()["features"]
    stored = SQLiteStore(db).read_features(INCIDENTS).set_index("id")
    assert {f["id"]: tuple(f["geometry"]["coordinates"]) for f in exact} == {
        i: (round(p.x, 7), round(p.y, 7)) for i, p in stored.geometry.items()}


# -- Part 2: CRS ----------------------------------------------------------------------------------


@pytest.mark.parametrize("crs, epsg", [(EPSG3006, "EPSG:3006"), (EPSG3008, "EPSG:3008")])
def test_features_in_the_swedish_grids_come_northing_first_and_match_pyproj(client, db, crs, epsg):
    answer = get(client, "/ogc/collections/lights/items", crs=crs, limit=1000)
    assert answer.headers["content-crs"] == f"<{crs}>"
    lamps = SQLiteStore(db).read_features(LIGHTS).set_index("id")
    north, east = Transformer.from_crs("EPSG:4326", epsg).transform(lamps.geometry.y.to_numpy(), lamps.geometry.x.to_numpy())
    expected = dict(zip(lamps.index, zip(north, east)))
    for feature in answer.json()["features"]:
        n, e = feature["geometry"]["coordinates"]
        assert n > 6_000_000 and abs(n - expected[feature["id"]][0]) < 0.01 and abs(e - expected[feature["id"]][1]) < 0.01
    zone = get(client, "/ogc/collections/zones/items", crs=crs, limit=1).json()["features"][0]
    assert zone["geometry"]["type"] == "Polygon" and zone["geometry"]["coordinates"][0][0][0] > 6_000_000


def test_a_box_in_sweref_99_tm_selects_what_it_holds_exactly(client, db):  # bbox-crs
    lamps = SQLiteStore(db).read_features(LIGHTS)
    north, east = Transformer.from_crs("EPSG:4326", "EPSG:3006").transform(lamps.geometry.y.to_numpy(),
                                                                            lamps.geometry.x.to_numpy())
    box = (float(np.percentile(north, 20)), float(np.percentile(east, 30)), float(np.percentile(north, 70)),
           float(np.percentile(east, 90)))
    inside = (north >= box[0]) & (north <= box[2]) & (east >= box[1]) & (east <= box[3])
    features, docs = every_page(client, "/ogc/collections/lights/items?limit=25&bbox-crs=" + EPSG3006 + "&bbox="
                                + ",".join(f"{v:.3f}" for v in box))
    assert sorted(f["id"] for f in features) == sorted(lamps["id"][inside]) and docs[0]["numberMatched"] == inside.sum()


# -- patrols ---------------------------------------------------------------------------------------


def test_events_come_with_their_areas_and_filter_by_kind(client):
    doc = get(client, "/ogc/collections/events/items").json()
    geometries = {f["id"]: f["geometry"] for f in doc["features"]}
    assert geometries["fest"]["type"] == "Polygon" and geometries["natt"] == {"type": "Point",
                                                                              "coordinates": [12.858, 56.675]}
    assert shapely.equals(shapely.geometry.shape(geometries["fest"]), shapely.from_wkt(EVENT_AREA))
    night = get(client, "/ogc/collections/events/items", kind="nightlife").json()
    assert [f["id"] for f in night["features"]] == ["natt"] and night["numberMatched"] == 1
    assert get(client, "/ogc/collections/events/items", kind="rave").status_code == 400
    one = get(client, "/ogc/collections/events/items/fest", crs=EPSG3006).json()
    assert one["geometry"]["type"] == "Polygon" and one["geometry"]["coordinates"][0][0][0] > 6_000_000  # northing
    july = get(client, "/ogc/collections/events/items", datetime="2020-07-18").json()
    assert [f["id"] for f in july["features"]] == ["natt"]


def test_patrols_are_one_line_per_unit_and_local_day_for_the_police(client, tokens):
    doc = get(client, "/ogc/collections/patrols/items", tokens["police"]).json()
    assert [f["id"] for f in doc["features"]] == ["fot-1/2020-06-01", "fot-1/2020-06-02", "fot-2/2020-06-01",
                                                 "fot-2/2020-06-02"]
    assert doc["numberMatched"] == 4 and sum(f["properties"]["pings"] for f in doc["features"]) == 2 * 360
    assert all(f["geometry"]["type"] == "LineString" for f in doc["features"])
    one = get(client, "/ogc/collections/patrols/items/fot-2/2020-06-02", tokens["police"])
    assert one.status_code == 200 and one.json()["properties"]["pings"] == 180
    paged = get(client, "/ogc/collections/patrols/items", tokens["police"], limit=1, offset=1, unit_id="fot-1").json()
    assert [f["id"] for f in paged["features"]] == ["fot-1/2020-06-02"] and paged["numberMatched"] == 2
    across = get(client, "/ogc/collections/patrols/items", tokens["police"], limit=2, offset=1).json()["features"]
    assert across == doc["features"][1:3], "a page across two units, each read over its own days: the whole listing's lines"
    first = get(client, "/ogc/collections/patrols/items", tokens["police"], limit=1, unit_id="fot-1").json()
    following, _ = every_page(client, next(urlsplit(l["href"])._replace(scheme="", netloc="").geturl()
                                           for l in first["links"] if l["rel"] == "next"), tokens["police"])
    assert [f["id"] for f in following] == ["fot-1/2020-06-02"], "the next link keeps the filter as it was given"
    assert get(client, "/ogc/collections/patrols/items", tokens["planner"]).status_code == 403
    boxed = get(client, "/ogc/collections/patrols/items", tokens["police"], bbox="12.85,56.673,12.87,56.6745",
                datetime="2020-06-01/2020-06-02").json()
    assert {f["properties"]["unit_id"] for f in boxed["features"]} == {"fot-1"}
    assert get(client, "/ogc/collections/patrols/items", tokens["police"], bbox="12.85,56.67,12.87,56.68").status_code == 400


# -- HTML -----------------------------------------------------------------------------------------


def test_html_pages_show_the_data_as_text(client, tokens):
    page = get(client, "/ogc/collections/reports/items", tokens["municipality"], f="html", limit=5)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "5 av " in page.text and "<h2>Objekt</h2>" in page.text
    for url, heading in (("/ogc", "<h1>Trygg stadskärna – OGC API Features</h1>"),
                         ("/ogc/conformance", "<h2>Konformitetsklasser</h2>"), ("/ogc/collections", "<h2>Samlingar</h2>"),
                         ("/ogc/collections/lights", "<h1>Belysningspunkter</h1>"),
                         ("/ogc/collections/lights/queryables", "<h2>Filtrerbara egenskaper</h2>"),
                         ("/ogc/collections/lights/items/lamp-001", "<h1>Belysningspunkter: lamp-001</h1>")):
        answer = get(client, url, f="html")
        assert answer.status_code == 200 and '<html lang="sv">' in answer.text and heading in answer.text
        assert '<header class="site-header">' in answer.text and "<h2>Länkar</h2>" in answer.text
        for english in ("Links", "Collections", "Conformance classes", "Queryables", " features", "this document"):
            assert english not in answer.text, (url, english)
    collections = get(client, "/ogc/collections", f="html").text
    assert "Stadskärnans zoner med sin belysningsklass enligt EN 13201-2." in collections
    json_doc = get(client, "/ogc/collections").json()
    assert json_doc["collections"][0]["description"] == "Stadskärnans zoner med sin belysningsklass enligt EN 13201-2.", \
        "the document and its page say the same: one text, in Swedish"
    assert get(client, "/ogc", f="xml").status_code == 400


# -- real clients ---------------------------------------------------------------------------------


def gdal(*args: str) -> str:
    """Run a GDAL command line tool; skip where GDAL is absent (CI installs it and requires it)."""
    if shutil.which(args[0]) is None:
        if os.environ.get("STADSKARNA_REQUIRE_GDAL"):
            pytest.fail(f"{args[0]} is missing but STADSKARNA_REQUIRE_GDAL is set")
        pytest.skip(f"{args[0]} (Debian gdal-bin) is not installed")
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def server(db):
    url, stop = start_server(create_app(Settings(store=StoreSettings(db=db))))
    yield url
    stop()


def test_gdal_lists_every_collection_and_copies_every_public_layer_completely(server, tmp_path, client):
    listing = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{server}/ogc")
    for name in ("zones", "streets", "incidents", "lights", "reports", "events"):
        assert f": {name} " in listing
    assert "patrols" not in listing
    for name in ("zones", "streets", "incidents", "lights", "reports", "events"):
        out = tmp_path / f"{name}.geojson"
        gdal("ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{server}/ogc", name)  # GDAL 3.6 asks 10 a page
        copied = json.loads(out.read_text(encoding="utf-8"))["features"]
        assert len(copied) == get(client, f"/ogc/collections/{name}/items").json()["numberMatched"] > 0, name
    out = tmp_path / "lights-3006.gpkg"
    gdal("ogr2ogr", "-oo", "PAGE_SIZE=1000", "-t_srs", "EPSG:3006", "-f", "GPKG", str(out), f"OAPIF:{server}/ogc",
         "lights")
    info = gdal("ogrinfo", "-ro", "-so", str(out), "lights")
    assert f"Feature Count: {N_LIGHTS}" in info and "SWEREF99 TM" in info


def test_owslib_reads_collections_items_and_queryables(server):
    from owslib.ogcapi.features import Features

    api = Features(f"{server}/ogc")
    assert api.feature_collections() == ["zones", "streets", "incidents", "lights", "reports", "events", "cameras",
                                         "camera-views"]
    assert api.collection("lights")["itemType"] == "feature"
    page = api.collection_items("lights", limit=7, status="broken")
    assert page["numberReturned"] == 7 and page["numberMatched"] == len(range(0, N_LIGHTS, 5))
    assert {f["properties"]["status"] for f in page["features"]} == {"broken"}
    assert api.collection_item("lights", "lamp-010")["id"] == "lamp-010"
    assert set(api.collection_queryables("reports")["properties"]) == {"category", "status"}

"""Open311 GeoReport v2 through the real app: discovery, services and their definitions, a round
trip, attributes, the reporter kept private, filters (the default window, place, pages) and the
error list. The XML answers are checked in test_open311_xml.py, a real client in
test_open311_client.py."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from typer.testing import CliRunner

from geo.layers import REPORTS, validate
from geo.report_attributes import REPORT_ATTRIBUTES
from service.app import create_app
from service.cli import app as cli
from service.settings import Open311Settings, ServiceSettings, Settings, StoreSettings
from service.store import SQLiteStore
from tests.languages import ENGLISH

V2 = "/open311/v2"
TORG = {"lat": "56.6740", "long": "12.8572"}


@pytest.fixture
def db(tmp_path):
    return tmp_path / "open311.sqlite"


@pytest.fixture
def client(db):
    with TestClient(create_app(Settings(store=StoreSettings(db=db))), headers=ENGLISH) as test_client:
        yield test_client


def test_services_list_the_report_categories_without_unsafe_places(client):
    services = client.get(f"{V2}/services.json").json()
    codes = [s["service_code"] for s in services]
    assert codes == ["graffiti", "weeds", "litter", "broken_light", "other"]
    assert all({"service_name", "description", "metadata", "type", "keywords", "group"} <= set(s) for s in services)


def test_submit_and_read_back(client):
    posted = client.post(f"{V2}/requests.json", data={"service_code": "graffiti", "description": "Tags på bron",
                                                      "email": "anna@example.org",
                                                      "media_url": "https://example.org/bild.jpg", **TORG})
    assert posted.status_code == 201
    (created,) = posted.json()
    request_id = created["service_request_id"]
    (one,) = client.get(f"{V2}/requests/{request_id}.json").json()
    assert one["service_code"] == "graffiti" and one["status"] == "open" and one["description"] == "Tags på bron"
    assert one["lat"] == 56.674 and one["long"] == 12.8572 and one["agency_responsible"] == "Halmstads kommun"
    assert one["media_url"] == "https://example.org/bild.jpg"
    assert one["requested_datetime"][-6:] in ("+01:00", "+02:00"), "local time with its offset"
    listing = client.get(f"{V2}/requests.json")
    assert [r["service_request_id"] for r in listing.json()] == [request_id]
    assert "anna@example.org" not in listing.text and "anna@example.org" not in posted.text


def test_filters(client):
    for code in ("graffiti", "litter", "litter"):
        assert client.post(f"{V2}/requests.json", data={"service_code": code, **TORG}).status_code == 201
    assert len(client.get(f"{V2}/requests.json?service_code=litter").json()) == 2
    assert len(client.get(f"{V2}/requests.json?service_code=litter,graffiti").json()) == 3
    assert len(client.get(f"{V2}/requests.json?status=closed").json()) == 0
    assert len(client.get(f"{V2}/requests.json?status=open").json()) == 3
    assert len(client.get(f"{V2}/requests.json?start_date=2000-01-01T00:00:00Z&end_date=2001-01-01").json()) == 0
    assert len(client.get(f"{V2}/requests.json?start_date=2000-01-01T00:00:00Z").json()) == 3


@pytest.mark.parametrize("form, status, text", [
    ({"service_code": "ufo", **TORG}, 400, "service_code 'ufo' not found"),
    ({"service_code": "unsafe_place", **TORG}, 400, "not found"),
    ({"service_code": "graffiti", "address_string": "Storgatan 1"}, 400, "address_string alone"),
    ({"service_code": "graffiti", "lat": "56.60", "long": "12.85"}, 400, "outside the stadskärna"),
    ({"service_code": "graffiti", "media_url": "file:///etc/passwd", **TORG}, 400, "media_url"),
    ({"service_code": "graffiti", "api_key": "wrong", **TORG}, 403, "api_key not recognised"),
    ({"lat": "56.674"}, 400, "service_code"),
])
def test_errors_are_the_specs_list_and_store_nothing(client, db, form, status, text):
    response = client.post(f"{V2}/requests.json", data=form)
    assert response.status_code == status
    (error,) = response.json()
    assert error["code"] == status and text in error["description"]
    assert SQLiteStore(db).count(REPORTS) == 0


def test_unknown_request_is_404_in_the_specs_format(client):
    response = client.get(f"{V2}/requests/nope.json")
    assert response.status_code == 404 and response.json() == [
        {"code": 404, "description": "service_request_id 'nope' not found"}]


def test_a_registered_client_is_recorded(client, db):
    result = CliRunner().invoke(cli, ["token", "open311-client", "Halmstad-appen", "--db", str(db)])
    assert result.exit_code == 0
    key = result.stdout.strip().splitlines()[-1]
    assert client.post(f"{V2}/requests.json", data={"service_code": "litter", "api_key": key, **TORG}).status_code == 201
    assert SQLiteStore(db).read_features(REPORTS)["source"].tolist() == ["open311:Halmstad-appen"]
    again = CliRunner().invoke(cli, ["token", "open311-client", "Halmstad-appen", "--db", str(db)])
    assert again.exit_code == 2 and "exists" in again.output


def test_updated_datetime_is_the_latest_change_in_the_reports_history(client, db):
    import pandas as pd

    from service.reports import change_status
    from service.store import Actor

    request_id = client.post(f"{V2}/requests.json", data={"service_code": "weeds", **TORG}).json()[0]["service_request_id"]
    first = client.get(f"{V2}/requests/{request_id}.json").json()[0]
    assert first["updated_datetime"] == first["requested_datetime"]
    change_status(SQLiteStore(db), request_id, "acknowledged", Actor("municipality", "t"),
                  now=pd.Timestamp("2031-05-04T10:00:00Z"))
    updated = client.get(f"{V2}/requests/{request_id}.json").json()[0]
    assert updated["updated_datetime"] == "2031-05-04T12:00:00+02:00" and updated["status"] == "open"


# -- discovery and service definitions ------------------------------------------------------------

def test_discovery_names_this_endpoint_its_formats_and_whom_to_ask(tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "d.gpkg"),
                        service=ServiceSettings(public_url="https://trygghet.halmstad.se/"),
                        open311=Open311Settings(contact="Kontaktcenter, 035-00 00 00"))
    with TestClient(create_app(settings), headers=ENGLISH) as client:
        found = client.get(f"{V2}/discovery.json").json()
    assert found["contact"] == "Kontaktcenter, 035-00 00 00" and "open311-client" in found["key_service"]
    assert found["endpoints"] == [{"specification": "http://wiki.open311.org/GeoReport_v2",
                                   "url": "https://trygghet.halmstad.se/open311/v2", "changeset": found["changeset"],
                                   "type": "production", "formats": ["text/xml", "application/json"]}]


def test_services_with_questions_have_metadata_and_a_definition_from_the_one_table(client):
    services = {s["service_code"]: s for s in client.get(f"{V2}/services.json").json()}
    assert {code for code, s in services.items() if s["metadata"]} == set(REPORT_ATTRIBUTES) == {"graffiti",
                                                                                                  "broken_light"}
    graffiti = client.get(f"{V2}/services/graffiti.json").json()
    [surface] = graffiti["attributes"]
    assert graffiti["service_code"] == "graffiti" and surface["code"] == "surface"
    assert [v["key"] for v in surface["values"]] == ["fasad", "bänk", "skylt", "bro", "annat"]
    assert (surface["datatype"], surface["required"], surface["variable"], surface["order"]) == (
        "singlevaluelist", False, True, 1)
    [fault] = client.get(f"{V2}/services/broken_light.json").json()["attributes"]
    assert fault["required"] is True
    assert client.get(f"{V2}/services/weeds.json").json() == {"service_code": "weeds", "attributes": []}
    missing = client.get(f"{V2}/services/unsafe_place.json")
    assert missing.status_code == 404 and missing.json()[0]["description"].startswith("service_code 'unsafe_place'")


# -- submitting: attributes, the reporter, media_url ------------------------------------------------

def test_attribute_answers_are_kept_and_shown_with_extensions_only(client, db):
    posted = client.post(f"{V2}/requests.json", data={"service_code": "graffiti", "attribute[surface]": "bänk", **TORG})
    assert posted.status_code == 201
    request_id = posted.json()[0]["service_request_id"]
    assert SQLiteStore(db).read_features(REPORTS)["attributes"].tolist() == ['{"surface":"bänk"}']
    plain = client.get(f"{V2}/requests/{request_id}.json").json()[0]
    assert "attributes" not in plain, "the spec's request has no attributes"
    extended = client.get(f"{V2}/requests/{request_id}.json?extensions=true").json()[0]
    assert extended["attributes"] == [{"code": "surface", "value": "bänk"}]
    assert client.get(f"{V2}/requests.json?extensions=true").json()[0]["attributes"] == extended["attributes"]
    decomposed = client.post(f"{V2}/requests.json", data={"service_code": "graffiti",
                                                          "attribute[surface]": "ba\u0308nk", **TORG})
    assert decomposed.status_code == 201, "a key in decomposed Unicode (NFD) is the same key"
    lamp = client.post(f"{V2}/requests.json", data={"service_code": "broken_light", "attribute[fault]": "blinkar",
                                                    **TORG})
    assert lamp.status_code == 201


@pytest.mark.parametrize("form, text", [
    ({"service_code": "graffiti", "attribute[colour]": "röd"}, "field 'attribute[colour]': service 'graffiti' has no "
                                                               "attribute 'colour' (its attributes: surface)"),
    ({"service_code": "graffiti", "attribute[surface]": "tak"}, "field 'attribute[surface]': 'tak' is not a value of "
                                                                "attribute 'surface' (one of fasad, bänk, skylt, bro, annat)"),
    ({"service_code": "weeds", "attribute[surface]": "bro"}, "service 'weeds' has no attribute 'surface' (its "
                                                             "attributes: none)"),
    ({"service_code": "broken_light"}, "field 'attribute[fault]': attribute 'fault' is required for service "
                                       "'broken_light' (one of släckt, blinkar, skadad, lyser_dagtid)"),
    ({"service_code": "broken_light", "attribute[fault]": " "}, "attribute 'fault' is required"),
    ({"service_code": "graffiti", "attribute[]": "bro"}, "'attribute[]' is not an attribute field"),
    ({"service_code": "graffiti", "attribute[surface][]": "bro"}, "'attribute[surface][]' is not an attribute field"),
    ({"service_code": "graffiti", "first_name": "A" * 101}, "first_name has 101 characters; at most 100"),
    ({"service_code": "graffiti", "device_id": "x" * 101}, "device_id has 101 characters"),
    ({"service_code": "graffiti", "media_url": "https://anna:hemligt@example.org/bild.jpg"}, "media_url must be"),
    ({"service_code": "graffiti", "media_url": "javascript:alert(1)"}, "media_url must be"),
    ({"service_code": "graffiti", "media_url": "https://"}, "media_url must be"),
    ({"service_code": "graffiti", "media_url": "https://exa mple.org/x.jpg"}, "media_url must be"),
])
def test_submissions_the_definition_refuses_name_what_and_store_nothing(client, db, form, text):
    response = client.post(f"{V2}/requests.json", data={**form, **TORG})
    assert response.status_code == 400, response.text
    [error] = response.json()
    assert text in error["description"]
    assert SQLiteStore(db).count(REPORTS) == 0


def test_an_attribute_sent_twice_is_refused(client, db):
    body = "service_code=graffiti&attribute%5Bsurface%5D=bro&attribute%5Bsurface%5D=fasad&lat=56.6740&long=12.8572"
    response = client.post(f"{V2}/requests.json", content=body.encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400 and "takes one value, got 2" in response.json()[0]["description"]
    assert SQLiteStore(db).count(REPORTS) == 0


def test_the_reporters_name_and_device_are_private_like_the_email(client, db):
    reporter = {"email": "anna@example.org", "first_name": "Anna", "last_name": "Ångström", "device_id": "iphone-77f3"}
    posted = client.post(f"{V2}/requests.xml", data={"service_code": "litter", **reporter, **TORG})
    request_id = posted.text.split("<service_request_id>")[1].split("<")[0]
    store = SQLiteStore(db)
    [stored] = store.read_features(REPORTS, include_private=True).to_dict("records")
    assert (stored["contact"], stored["first_name"], stored["last_name"], stored["device_id"]) == (
        "anna@example.org", "Anna", "Ångström", "iphone-77f3")
    assert stored["source"] == "open311", "the device is not the source: a source is public"
    with store.transaction(write=False) as con:
        public_columns = [row[1] for row in con.exec_driver_sql("PRAGMA table_info(reports)")]
    assert not {"contact", "first_name", "last_name", "device_id"} & set(public_columns)
    answers = [posted.text] + [client.get(url).text for url in (
        f"{V2}/requests.json?extensions=true", f"{V2}/requests.xml?extensions=true", f"{V2}/requests/{request_id}.xml",
        "/api/layers/reports")]
    for answer in answers:
        assert not any(value in answer for value in reporter.values())


def test_media_url_is_kept_as_the_normalised_link_and_never_fetched(client, db):
    posted = client.post(f"{V2}/requests.json", data={"service_code": "litter", **TORG,
                                                      "media_url": "HTTPS://Bilder.Example.ORG/skräp 1.jpg"})
    [one] = client.get(f"{V2}/requests/{posted.json()[0]['service_request_id']}.json").json()
    assert one["media_url"] == "https://bilder.example.org/skr%C3%A4p%201.jpg"
    assert SQLiteStore(db).read_features(REPORTS)["photo"].tolist() == [one["media_url"]]


def test_a_raw_utf8_form_to_the_xml_endpoint_is_stored_as_sent(client, db):
    body = "service_code=graffiti&description=Klotter på bänken vid Nissan&lat=56.6740&long=12.8572".encode()
    response = client.post(f"{V2}/requests.xml", content=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 201 and response.headers["content-type"].startswith("text/xml")
    assert SQLiteStore(db).read_features(REPORTS)["description"].tolist() == ["Klotter på bänken vid Nissan"]
    latin1 = client.post(f"{V2}/requests.xml", content="service_code=graffiti&description=bänk".encode("latin-1"),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert latin1.status_code == 400 and "<code>400</code>" in latin1.text and "UTF-8" in latin1.text


# -- reading: the default window, ids, place and pages ----------------------------------------------

def store_reports(db, rows: list[dict]) -> None:
    """Reports written straight to the store: id, created_at (UTC), lon/lat, and any other field."""
    raw = pd.DataFrame([{"category": "litter", "status": "open", **row} for row in rows])
    raw["created_at"] = [t.isoformat() for t in raw["created_at"]]
    SQLiteStore(db).write_features(REPORTS, validate(REPORTS, raw, "test"))


def ids_of(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["service_request_id"] for r in response.json()]


def test_without_dates_the_last_90_days_are_listed(client, db):
    now = pd.Timestamp.now(tz="UTC")
    store_reports(db, [{"id": "old", "created_at": now - pd.Timedelta(days=91), "lon": 12.8572, "lat": 56.674},
                       {"id": "new", "created_at": now - pd.Timedelta(days=89), "lon": 12.8572, "lat": 56.674}])
    assert ids_of(client.get(f"{V2}/requests.json")) == ["new"]
    start = (now - pd.Timedelta(days=100)).isoformat()
    assert ids_of(client.get(f"{V2}/requests.json", params={"start_date": start})) == ["new", "old"]
    end = (now - pd.Timedelta(days=90)).isoformat()
    assert ids_of(client.get(f"{V2}/requests.json", params={"end_date": end})) == ["old"]
    assert ids_of(client.get(f"{V2}/requests.json?service_request_id=old,new&status=closed")) == ["new", "old"], \
        "service_request_id overrides every other filter"
    assert ids_of(client.get(f"{V2}/requests.json", params={"start_date": start, "status": "open,closed"})) == [
        "new", "old"]


def test_pages_are_newest_first_and_sized(client, db):
    now = pd.Timestamp.now(tz="UTC")
    store_reports(db, [{"id": f"r{i:03d}", "created_at": now - pd.Timedelta(minutes=i), "lon": 12.8572, "lat": 56.674}
                       for i in range(105)])
    assert ids_of(client.get(f"{V2}/requests.json")) == [f"r{i:03d}" for i in range(100)], "100 a page by default"
    pages = [ids_of(client.get(f"{V2}/requests.json?page_size=40&page={page}")) for page in (1, 2, 3, 4)]
    assert pages[0] + pages[1] + pages[2] == [f"r{i:03d}" for i in range(105)] and pages[3] == []
    too_large = client.get(f"{V2}/requests.json?page_size=1001")
    assert too_large.status_code == 400 and "page_size" in too_large.json()[0]["description"]
    assert client.get(f"{V2}/requests.json?page=0").status_code == 400


def offset(east_m: float, north_m: float) -> tuple[float, float]:
    """The WGS84 point ``east_m`` east and ``north_m`` north of TORG, in SWEREF 99 TM."""
    to_metric = Transformer.from_crs(4326, 3006, always_xy=True)
    to_wgs84 = Transformer.from_crs(3006, 4326, always_xy=True)
    x, y = to_metric.transform(float(TORG["long"]), float(TORG["lat"]))
    return to_wgs84.transform(x + east_m, y + north_m)


def test_a_radius_keeps_the_requests_within_its_metres_not_its_box(client, db):
    now = pd.Timestamp.now(tz="UTC")
    places = {"north-90": (0, 90), "east-99": (99, 0), "west-30": (-30, 0),
              "corner-113": (80, 80), "south-105": (0, -105), "far": (600, 0)}
    store_reports(db, [{"id": name, "created_at": now - pd.Timedelta(hours=i), "lon": offset(*d)[0],
                        "lat": offset(*d)[1]} for i, (name, d) in enumerate(places.items())])
    near = {"lat": TORG["lat"], "long": TORG["long"], "radius": 100}
    assert ids_of(client.get(f"{V2}/requests.json", params=near)) == ["north-90", "east-99", "west-30"]
    assert [ids_of(client.get(f"{V2}/requests.json", params=near | {"page_size": 1, "page": p})) for p in (1, 2, 3, 4)] \
        == [["north-90"], ["east-99"], ["west-30"], []]
    default = ids_of(client.get(f"{V2}/requests.json", params={"lat": TORG["lat"], "long": TORG["long"]}))
    assert default == [name for name in places if name != "far"], "500 m by default"
    assert ids_of(client.get(f"{V2}/requests.json", params=near | {"radius": 5000})) == list(places)


@pytest.mark.parametrize("query, text", [
    ("lat=56.674", "lat and long go together"),
    ("radius=100", "radius needs them"),
    ("lat=56.674&long=12.857&radius=5001", "radius"),
    ("lat=91&long=12.857", "lat"),
    ("status=pending", "status"),
])
def test_a_bad_place_or_status_is_a_400_naming_it(client, query, text):
    response = client.get(f"{V2}/requests.json?{query}")
    assert response.status_code == 400 and text in response.json()[0]["description"]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".csv"])
def test_answers_and_the_reporter_survive_an_export_and_an_import(client, db, tmp_path, suffix):
    from geo.io.export import write_layer
    from service.imports import import_file

    client.post(f"{V2}/requests.json", data={"service_code": "graffiti", "attribute[surface]": "bänk",
                                             "first_name": "Anna", "device_id": "telefon-1", **TORG})
    client.post(f"{V2}/requests.json", data={"service_code": "litter", **TORG})
    original = SQLiteStore(db).read_features(REPORTS, include_private=True)
    exported = tmp_path / f"reports{suffix}"
    write_layer(original, REPORTS, exported, include_private=True)
    fresh = SQLiteStore(tmp_path / "fresh.gpkg")
    assert import_file(fresh, REPORTS, exported).imported == 2

    def kept(frame: pd.DataFrame) -> list[list]:
        columns = frame[["id", "attributes", "first_name", "device_id"]].astype(object)
        return columns.where(columns.notna(), None).sort_values("id").values.tolist()

    assert kept(fresh.read_features(REPORTS, include_private=True)) == kept(original)
    assert sorted(v for v in original["attributes"] if isinstance(v, str)) == ['{"surface":"bänk"}']

"""The Purple Flag evidence through the real app on the synthetic demo year: the JSON (its
documented model, the tracker's figure being the same), the page (Swedish, every theme with what
the data cannot show, tables with captions, the synthetic label, citizens' small counts hidden),
links to it, the cache by the data it reads, and errors."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

import service.routes.purple_flag as route
from geo.purple_flag import BANDS, CANNOT_SHOW, THEME_NAMES
from service.app import create_app
from service.html import SITE_LINKS
from service.responses import PurpleFlagPage
from service.settings import Settings, StoreSettings
from service.store import Actor
from tests.languages import ENGLISH


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_year_db):
    db = demo_year_db(tmp_path_factory.mktemp("purple-flag"))
    with TestClient(create_app(Settings(store=StoreSettings(db=db))), headers=ENGLISH) as client:
        yield client


def test_the_json_is_documented_and_is_the_trackers_figure(demo):
    evidence = demo.get("/api/purple-flag/2020").json()
    TypeAdapter(PurpleFlagPage).validate_python(evidence)
    assert evidence["year"] == 2020 and evidence["as_of"] == "2020-12-31" and evidence["year_over"] is True
    assert evidence["synthetic"] is True and evidence["unsafe_places"]["suppressed_below"] == 3
    assert list(evidence["bands"]) == list(BANDS)
    assert evidence["whole_night"]["presence_h"] == pytest.approx(
        sum(b["presence_h"] for b in evidence["bands"].values()), abs=0.3)
    assert all(0 < b["lighting_share_after_dark"] < 1 for b in evidence["bands"].values())
    stored = demo.get("/api/layers/events", params={"start": "2020-01-01T00:00", "end": "2021-01-01T00:00",
                                                    "limit": 1000}).json()["features"]
    assert sorted(e["id"] for e in evidence["events"]) == sorted(f["properties"]["id"] for f in stored) != []
    assert evidence["bands"]["20-23"]["events"]["count"] > 0 and evidence["bands"]["02-05"]["events"]["count"] == 0, \
        "the demo's events end by 02:00"
    survey = evidence["survey"]
    assert {s["question"] for s in survey} == {"otrygg_kvall"}, "the demo survey's question about the evening only"
    assert survey[0]["area"] == "centrum" and len(survey) == 1 + len(demo.app.state.context.zones)
    assert all(s["year"] == 2020 and s["low"] <= s["share"] <= s["high"] for s in survey)
    tracker = demo.get("/api/promises/2020").json()
    [figure] = [p["supporting"]["purple_flag_bands"] for p in tracker["promises"] if p["id"] == "purple-flag"]
    assert figure == {k: v for k, v in evidence.items() if k not in ("as_of", "year_over", "synthetic")}


def test_the_page_shows_each_theme_and_what_the_data_cannot_show(demo):
    page = demo.get("/purple-flag/2020")
    assert page.status_code == 200 and "script-src 'self';" in page.headers["content-security-policy"], \
        "no inline script allowed"
    html = page.text
    assert '<html lang="sv">' in html and 'id="synthetic-label"' in html
    assert re.findall(r"<h2 id=\"pf-(\w+)\">([^<]+)</h2>", html) == list(THEME_NAMES.items())
    assert html.count("Det här kan data inte visa:") == 5
    assert all(text.split(".")[0] in html for text in CANNOT_SHOW.values())
    assert html.count("<table>") == html.count("<caption>") > 0, "every table has a caption"
    assert "färre än 3" in html, "unsafe-place marks below k are hidden"
    assert "<caption>Årets evenemang och de tidsband de pågick under</caption>" in html
    assert "Sommarfest på Stora Torg, dag 1 (syntetisk)" in html
    assert "<caption>Trygghetsmätningen 2020: ”Känner du dig otrygg i centrum på kvällar och nätter?”</caption>" in html
    assert "Undviker du vissa platser" not in html, "a question not about the evening"
    assert 'href="/api/purple-flag/2020?as_of=2020-12-31"' in html
    assert "<script" not in html, "nothing to run"


def test_the_tracker_and_the_site_header_link_the_page(demo):
    assert ("/purple-flag", "Purple Flag") in SITE_LINKS
    assert demo.get("/purple-flag", follow_redirects=False).headers["location"] == "/purple-flag/2021", "the newest year"
    tracker = demo.get("/promises/2020").text
    promise = tracker.split('id="promise-purple-flag"')[1].split("</article>")[0]
    assert 'href="/purple-flag/2020?as_of=2020-12-31"' in promise
    assert '<h5 id="pf-safety">Säkerhet</h5>' in promise, "the section under the promise's h4"


def test_the_evidence_is_built_once_until_the_data_it_reads_changes(demo, monkeypatch):
    built = []
    real = route.purple_flag_report
    monkeypatch.setattr(route, "purple_flag_report", lambda *a, **k: built.append(1) or real(*a, **k))
    first = demo.get("/api/purple-flag/2020?as_of=2020-06-30").json()
    assert demo.get("/purple-flag/2020?as_of=2020-06-30").status_code == 200
    assert len(built) == 1, "the page and the JSON share the cached evidence"
    store = demo.app.state.context.store
    store.add_promise_status(2020, "purple-flag", "2020-06-01", "on track", "ansökan inlämnad", Actor("police", "t"))
    assert demo.get("/api/purple-flag/2020?as_of=2020-06-30").json() == first and len(built) == 1, \
        "a promise's status is not data the evidence reads"
    store.set_meta("purple-flag-test", "a note about the data")  # a topic the evidence reads
    again = demo.get("/api/purple-flag/2020?as_of=2020-06-30").json()
    assert len(built) == 2 and again == first


@pytest.mark.parametrize("url, status, code", [
    ("/api/purple-flag/2019", 404, "not_found"),
    ("/purple-flag/2019", 404, "not_found"),
    ("/api/purple-flag/2020?as_of=2021-01-01", 422, "invalid"),
    ("/api/purple-flag/2020?as_of=31-12-2020", 422, "invalid"),
    ("/api/purple-flag/twenty", 422, "invalid"),
])
def test_errors_have_stable_codes(demo, url, status, code):
    answer = demo.get(url)
    assert answer.status_code == status and answer.json()["code"] == code
    assert "Traceback" not in answer.text and "/work" not in answer.text

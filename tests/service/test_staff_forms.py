"""The staff forms through the real app, signed in as people are: /staff/removal records removal
rounds and /staff/promises promise statuses (roles, an anonymous browser sent to sign in, CSRF,
refusals shown in Swedish with the form kept), and what they record shows on the public tracker
(a cached page) and in its API."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from geo.layers import REPORTS, validate
from geo.swedish import sv_number
from geo.timestamps import LOCAL_TZ
from service.app import create_app
from service.settings import MapSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from tests.staff import PASSWORD, form_token

TORG = (12.8569, 56.6738)  # in stora-torg
STORGATAN = (12.8572, 56.67715)  # in storgatan-norre-port
PAGE = {"accept": "text/html,application/xhtml+xml"}
"""What a browser sends: pages and form posts are answered as pages."""
TODAY = pd.Timestamp.now(tz=LOCAL_TZ).normalize()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app for the module: two staff accounts and graffiti and weeds reports made ten days ago."""
    settings = Settings(store=StoreSettings(db=tmp_path_factory.mktemp("forms") / "db.gpkg"),
                        maps=MapSettings(tiles="none"), staff=StaffSettings(secure_cookies=False, login_rate_limit=1000))
    app = create_app(settings)
    store = app.state.context.store
    for name, role in (("maria", "municipality"), ("per", "police"), ("pia", "planner")):
        add_user(store, name, role, PASSWORD, settings.staff, pd.Timestamp.now(tz="UTC"))
    made = (TODAY - pd.Timedelta(days=10)).isoformat()
    rows = [("g-torg-1", "graffiti", TORG), ("g-torg-2", "graffiti", TORG), ("g-storgatan", "graffiti", STORGATAN),
            ("w-torg", "weeds", TORG)]
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame(
        [{"id": i, "category": c, "created_at": made, "status": "open", "lon": p[0], "lat": p[1]} for i, c, p in rows]),
        "test"))
    return app


def browser(app, name: str | None = None) -> TestClient:
    """A client with its own cookies, signed in as ``name`` through /login (None: anonymous)."""
    client = TestClient(app, follow_redirects=False, headers=PAGE)
    if name is not None:
        form = client.get("/login")
        signed_in = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": form_token(form.text)})
        assert signed_in.status_code == 303
    return client


def text_of(page: str) -> str:
    """The page's text without tags, unescaped and with spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_an_anonymous_browser_is_sent_to_sign_in_and_other_roles_are_refused(app):
    anonymous = browser(app)
    for path in ("/staff/removal", "/staff/promises"):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == f"/login?next=%2Fstaff%2F{path[7:]}"
    posted = anonymous.post("/staff/removal", data={"date": TODAY.date().isoformat(), "category": "graffiti",
                                                    "zones": ["stora-torg"]})
    assert posted.status_code == 303 and posted.headers["location"].startswith("/login?next=")
    police, planner = browser(app, "per"), browser(app, "pia")
    refused = police.get("/staff/removal")
    assert refused.status_code == 403 and '<html lang="sv">' in refused.text and "Sidan är inte för dig" in refused.text
    assert planner.get("/staff/promises").status_code == 403
    assert 'href="/staff/removal"' not in police.get("/login").text
    assert 'href="/staff/promises"' in police.get("/login").text


def test_a_round_recorded_in_the_form_closes_reports_and_says_how_many(app):
    client = browser(app, "maria")
    page = client.get("/staff/removal")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    for zone in ("stora-torg", "storgatan-norre-port", "slottet"):
        assert re.search(rf'<input type="checkbox" id="zone-{zone}" name="zones" value="{zone}" checked>', page.text)
    assert '<label for="category-graffiti">Klotter</label>' in page.text
    assert '<label for="category-weeds">Ogräs</label>' in page.text
    day = (TODAY - pd.Timedelta(days=1)).date().isoformat()
    posted = client.post("/staff/removal", data={"date": day, "category": "graffiti",
                                                 "zones": ["stora-torg", "storgatan-norre-port"],
                                                 "csrf_token": form_token(page.text)})
    assert posted.status_code == 303
    shown = client.get(posted.headers["location"])
    notice = re.search(r'<p class="notice" role="status" id="notice">([^<]+)</p>', shown.text).group(1)
    assert notice == f"Rundan den {day} är registrerad. Den stängde 3 öppna anmälningar."
    reports = app.state.context.store.read_features(REPORTS).set_index("id")["status"]
    assert reports.to_dict() == {"g-torg-1": "closed", "g-torg-2": "closed", "g-storgatan": "closed", "w-torg": "open"}
    rounds = text_of(shown.text.split('id="rounds"')[1].split("</table>")[0])
    assert f"{day} Klotter Stora Torg, Storgatan–Norre Port 3" in rounds
    figures = app.state.context.store.removal_rounds()
    assert figures[["day", "category", "zones", "closed"]].values.tolist() == [
        [day, "graffiti", ["stora-torg", "storgatan-norre-port"], 3]]
    backlog = text_of(shown.text.split('id="backlog"')[1].split("</table>")[0])
    assert "Stora Torg 0 1" in backlog, "staff see the exact backlog, one open weeds report on the square"

    again = client.post("/staff/removal", data={"date": day, "category": "graffiti",
                                                "zones": ["storgatan-norre-port", "stora-torg"],
                                                "csrf_token": form_token(shown.text)})
    assert again.status_code == 409
    error = re.search(r'<p class="error" role="alert" id="error">([^<]+)</p>', again.text).group(1)
    assert html.unescape(error).startswith(f"Den rundan är redan registrerad (runda {figures['id'].iloc[0]})")
    assert f'value="{day}"' in again.text and 'id="category-graffiti" name="category" value="graffiti" checked' in again.text
    assert 'value="slottet">' in again.text and 'value="stora-torg" checked>' in again.text, "the form as it was sent"
    assert len(app.state.context.store.removal_rounds()) == 1


@pytest.mark.parametrize("form, status, message", [
    ({"date": "15/5", "category": "weeds", "zones": ["stora-torg"]}, 422, "Ange datumet som ÅÅÅÅ-MM-DD"),
    ({"date": "2020-02-30", "category": "weeds", "zones": ["stora-torg"]}, 422, "Ange datumet som ÅÅÅÅ-MM-DD"),
    ({"date": "2999-01-01", "category": "weeds", "zones": ["stora-torg"]}, 422, "Ange datumet som ÅÅÅÅ-MM-DD"),
    ({"date": (TODAY + pd.Timedelta(days=2)).date().isoformat(), "category": "weeds", "zones": ["stora-torg"]}, 422,
     "Datumet ligger i framtiden"),
    ({"date": TODAY.date().isoformat(), "category": "litter", "zones": ["stora-torg"]}, 422, "Välj vad rundan tog bort"),
    ({"date": TODAY.date().isoformat(), "category": "weeds", "zones": ["atlantis"]}, 422, "En av zonerna finns inte"),
    ({"date": TODAY.date().isoformat(), "category": "weeds"}, 422, "Välj minst en zon"),
])
def test_a_refused_round_is_explained_in_swedish_and_changes_nothing(app, form, status, message):
    client = browser(app, "maria")
    before = app.state.context.store.removal_rounds()
    answer = client.post("/staff/removal", data={**form, "csrf_token": form_token(client.get("/staff/removal").text)})
    assert answer.status_code == status and message in html.unescape(answer.text)
    assert 'role="alert"' in answer.text and f'name="date" value="{html.escape(form["date"])}"' in answer.text
    assert app.state.context.store.removal_rounds().equals(before)


def test_a_form_posted_without_the_sessions_csrf_token_is_refused(app):
    client = browser(app, "maria")
    store = app.state.context.store
    rounds, statuses = store.removal_rounds(), store.promise_statuses(2020)
    forged = client.post("/staff/removal", data={"date": TODAY.date().isoformat(), "category": "weeds",
                                                 "zones": ["stora-torg"], "csrf_token": "forged"})
    assert forged.status_code == 403 and "Formuläret har gått ut" in forged.text and "CSRF" not in forged.text
    status = client.post("/staff/promises", data={"year": 2020, "promise": "evenemang", "date": "2020-06-01",
                                                  "status": "met", "note": "Sommarfest"})
    assert status.status_code == 403
    assert store.removal_rounds().equals(rounds) and store.promise_statuses(2020).equals(statuses)


def forms_of(page: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="promise" value="([^"]+)">', page)


def test_each_role_sees_the_forms_of_the_promises_it_may_record(app):
    municipality, police = browser(app, "maria"), browser(app, "per")
    newest = municipality.get("/staff/promises")
    assert newest.status_code == 200 and '<option value="2021" selected>2021</option>' in newest.text, \
        "the newest year with promises first"
    page = municipality.get("/staff/promises?year=2020")
    assert page.status_code == 200 and '<option value="2020" selected>2020</option>' in page.text
    assert forms_of(page.text) == ["centrumutvecklingsplan", "purple-flag", "evenemang", "kamerabevakning"]
    for measured in ("polisnarvaro", "klotter-och-ogras", "belysningsprogram"):
        assert f'id="promise-{measured}"' not in page.text, "promises measured from data take no status"
    for code, name in (("on track", "i fas"), ("not met", "ej uppfyllt")):
        assert f'<option value="{code}">{name}</option>' in page.text
    police_page = police.get("/staff/promises?year=2020")
    assert forms_of(police_page.text) == ["purple-flag", "kamerabevakning"], "the joint ones; none is the police's alone"
    assert 'id="promise-evenemang"' in police_page.text and "Statusen registreras av Halmstads kommun." in police_page.text
    refused = police.post("/staff/promises", data={"year": 2020, "promise": "evenemang", "date": "2020-06-01",
                                                   "status": "met", "note": "Sommarfest",
                                                   "csrf_token": form_token(police_page.text)})
    assert refused.status_code == 403 and "Du kan inte registrera status för det löftet" in refused.text
    assert (app.state.context.store.promise_statuses(2020)["promise_id"] != "evenemang").all()
    assert municipality.get("/staff/promises?year=2001").status_code == 404


def test_a_recorded_status_shows_on_the_page_the_tracker_and_its_api(app):
    police = browser(app, "per")
    public = TestClient(app, headers=PAGE)
    before = public.get("/promises/2020")
    assert before.status_code == 200 and "Certifieringen lämnades in" not in before.text
    page = police.get("/staff/promises?year=2020")
    posted = police.post("/staff/promises", data={"year": 2020, "promise": "purple-flag", "date": "2020-10-01",
                                                  "status": "on track", "note": "Certifieringen lämnades in <i>i tid</i>",
                                                  "csrf_token": form_token(page.text)})
    assert posted.status_code == 303 and posted.headers["location"] == "/staff/promises?year=2020&recorded=purple-flag"
    shown = police.get(posted.headers["location"])
    assert "Statusen är registrerad: Kommunen och Polisen ska bidra till att stadskärnan certifieras enligt Purple " \
           "Flag. – i fas den 2020-10-01." in html.unescape(shown.text)
    section = shown.text.split('id="promise-purple-flag"')[1].split("</section>")[0]
    assert "Certifieringen lämnades in &lt;i&gt;i tid&lt;/i&gt;" in section and "<i>" not in section
    assert "Senaste status: i fas den 2020-10-01 (polisen): Certifieringen lämnades in <i>i tid</i>" in text_of(section)
    after = public.get("/promises/2020")
    assert "Certifieringen lämnades in &lt;i&gt;i tid&lt;/i&gt;" in after.text, "the cached tracker page is built again"
    api = public.get("/api/promises/2020").json()
    purple = next(p for p in api["promises"] if p["id"] == "purple-flag")
    assert purple["status"] == "on track" and purple["details"]["note"] == "Certifieringen lämnades in <i>i tid</i>"
    assert purple["history"] == [{"date": "2020-10-01", "status": "on track",
                                  "note": "Certifieringen lämnades in <i>i tid</i>", "recorded_by": "police"}]


def test_a_round_recorded_in_the_form_shows_on_the_tracker(app):
    client, public = browser(app, "maria"), TestClient(app, headers=PAGE)

    def removal() -> dict:
        return next(p for p in public.get("/api/promises/2020").json()["promises"] if p["id"] == "klotter-och-ogras")

    assert removal()["value"] == 0 and "0 av 2 rundor" in public.get("/promises/2020").text  # now cached
    for category in ("graffiti", "weeds"):
        form = client.get("/staff/removal?year=2020")
        posted = client.post("/staff/removal", data={"date": "2020-05-15", "category": category,
                                                     "zones": ["stora-torg"], "csrf_token": form_token(form.text)})
        assert posted.status_code == 303 and "year=2020" in posted.headers["location"]
    assert removal()["value"] == 1 and removal()["details"]["per_category"]["weeds"]["dates"] == ["2020-05-15"]
    assert "1 av 2 rundor" in public.get("/promises/2020").text
    page = client.get("/staff/removal?year=2020")
    figures = text_of(page.text.split('id="figures"')[1].split("</table>")[0])
    assert "Klotter 1 av 2 Inte än" in figures and "Ogräs 1 av 2 Inte än" in figures


@pytest.mark.parametrize("form, message", [
    ({"date": "2019-12-31", "status": "met", "note": "Klart"}, "Ange ett datum från 2020-01-01 till i dag."),
    ({"date": "1 okt", "status": "met", "note": "Klart"}, "Ange datumet som ÅÅÅÅ-MM-DD"),
    ({"date": "2020-10-01", "status": "done", "note": "Klart"}, "Välj en status."),
    ({"date": "2020-10-01", "status": "met", "note": "  "}, "Skriv vad statusen grundar sig på"),
    ({"date": "2020-10-01", "status": "met", "note": "Klart\u202e"}, "ett styrtecken"),
    ({"date": "2020-10-01", "status": "met", "note": "x" * 2001}, f"högst {sv_number(2000)} tecken"),
])
def test_a_refused_status_is_explained_in_swedish_with_the_form_kept(app, form, message):
    client = browser(app, "maria")
    before = app.state.context.store.promise_statuses(2020)
    answer = client.post("/staff/promises", data={"year": 2020, "promise": "evenemang", **form,
                                                  "csrf_token": form_token(client.get("/staff/promises?year=2020").text)})
    assert answer.status_code == 422 and message in html.unescape(answer.text) and 'role="alert"' in answer.text
    section = answer.text.split('id="promise-evenemang"')[1].split("</section>")[0]
    assert f'value="{html.escape(form["date"])}"' in section
    assert app.state.context.store.promise_statuses(2020).equals(before)


def test_a_promise_measured_from_data_or_unknown_takes_no_status(app):
    client = browser(app, "maria")
    csrf = form_token(client.get("/staff/promises").text)
    for promise, status, message in (("stadning", 422, "Löftet mäts ur data"), ("okänt", 404, "Löftet finns inte")):
        answer = client.post("/staff/promises", data={"year": 2020, "promise": promise, "date": "2020-10-01",
                                                      "status": "met", "note": "Klart", "csrf_token": csrf})
        assert answer.status_code == status and message in html.unescape(answer.text)

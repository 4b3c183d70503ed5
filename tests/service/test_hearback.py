"""Citizens hear back, through the real app and a real SMTP server (aiosmtpd) started here: the
report's public page, the mails (receipt, scheduled, closed) with working links, a mail server
outage that loses nothing, unsubscribing, and "Jag har också sett det" (support, rate limited)."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import time

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from geo.swedish import sv_date
from geo.timestamps import LOCAL_TZ
from service.app import create_app
from service.auth import create_token
from service.mail import MAIL_WORDING, compose, send_due
from service.settings import MailSettings, ReportSettings, ServiceSettings, Settings, StoreSettings
from service.store import QueuedMail

TORG = {"lat": "56.6740", "lon": "12.8572"}
PUBLIC_URL = "http://testserver"
LINK = re.compile(r"http://testserver/\S+")


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def smtp(port):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox
    controller.stop()


def settings_for(tmp_path, port: int, poll_s: float = 3600.0) -> Settings:
    return Settings(store=StoreSettings(db=tmp_path / "hearback.gpkg"), reports=ReportSettings(rate_limit=100),
                    service=ServiceSettings(public_url=PUBLIC_URL),
                    mail=MailSettings(host="127.0.0.1", port=port, starttls=False, poll_s=poll_s, retry_s=60))


@pytest.fixture
def client(tmp_path, port):
    with TestClient(create_app(settings_for(tmp_path, port))) as test_client:
        yield test_client


def submit(client, category: str = "graffiti", email_address: str | None = "anna@example.org") -> dict:
    form = {"category": category, **TORG, "description": "Tagg på muren"}
    if category == "unsafe_place":
        form |= {"when": "night", "why": "lighting"}
    if email_address:
        form["email"] = email_address
    answer = client.post("/api/reports", data=form)
    assert answer.status_code == 201, answer.text
    return answer.json()


def move(client, report_id: str, status: str, reason: str | None = None) -> None:
    staff = {"Authorization": f"Bearer {create_token(client.app.state.context.store, 'municipality')}"}
    answer = client.patch(f"/api/reports/{report_id}", json={"status": status, "close_reason": reason}, headers=staff)
    assert answer.status_code == 200, answer.text


def deliver(client, later_s: float = 0) -> int:
    state = client.app.state.context
    return send_due(state.store, state.settings.mail, PUBLIC_URL, pd.Timestamp.now(tz="UTC") + pd.Timedelta(seconds=later_s))


# -- the page -----------------------------------------------------------------------------------

def test_the_answer_links_to_a_swedish_page_with_status_and_history_and_no_contact(client):
    report = submit(client)
    assert report["page"] == f"{PUBLIC_URL}/reports/{report['id']}"
    move(client, report["id"], "acknowledged")
    move(client, report["id"], "scheduled")
    page = client.get(report["page"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src" in page.headers["content-security-policy"]
    html = page.text
    assert '<html lang="sv">' in html
    assert '<dd id="category">Klotter</dd>' in html and '<dd id="status">Planerad</dd>' in html
    assert '<dd id="place">Stora Torg</dd>' in html
    history = re.findall(r"<li><time>([^<]+)</time>: ([^<]+)</li>", html)
    assert [status for _, status in history] == ["Öppen", "Mottagen", "Planerad"]
    assert {day for day, _ in history} == {sv_date(pd.Timestamp.now(tz=LOCAL_TZ).date())}
    assert "anna@example.org" not in html and "municipality" not in html and "Tagg på muren" not in html


def test_unsafe_places_and_unknown_ids_have_no_page(client):
    unsafe = submit(client, "unsafe_place")
    assert unsafe["page"] is None
    for report_id in (unsafe["id"], "r-000000000000"):
        answer = client.get(f"/reports/{report_id}")
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
        assert "unsafe" not in answer.text
    assert client.get("/reports/" + "x" * 101).status_code == 422


def test_without_a_public_url_the_link_is_relative(tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "plain.gpkg"), reports=ReportSettings(rate_limit=100))
    with TestClient(create_app(settings)) as plain:
        report = submit(plain, email_address=None)
        assert report["page"] == f"/reports/{report['id']}"
        assert plain.get(report["page"]).status_code == 200


# -- support ------------------------------------------------------------------------------------

def test_support_is_counted_on_the_page_and_in_the_layer(client):
    report = submit(client, email_address=None)
    assert client.post(f"/api/reports/{report['id']}/support").json() == {"id": report["id"], "supporters": 1}
    from_page = client.post(f"/reports/{report['id']}/support", follow_redirects=False)
    assert from_page.status_code == 303 and from_page.headers["location"] == f"/reports/{report['id']}"
    page = client.get(report["page"]).text
    assert '<p id="supporters">2 personer har också sett det.</p>' in page and "Jag har också sett det</button>" in page
    [feature] = client.get("/api/layers/reports").json()["features"]
    assert feature["properties"]["supporters"] == 2
    move(client, report["id"], "closed", "sanerat")
    closed = client.post(f"/api/reports/{report['id']}/support")
    assert closed.status_code == 409 and closed.json()["current"] == {"status": "closed"}
    assert "Jag har också sett det</button>" not in client.get(report["page"]).text
    unsafe = submit(client, "unsafe_place")
    assert client.post(f"/api/reports/{unsafe['id']}/support").status_code == 404


def test_support_is_rate_limited_with_submissions(tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "limited.gpkg"), reports=ReportSettings(rate_limit=3))
    with TestClient(create_app(settings)) as limited:
        report = submit(limited, email_address=None)
        assert [limited.post(f"/api/reports/{report['id']}/support").status_code for _ in range(2)] == [200, 200]
        refused = limited.post(f"/reports/{report['id']}/support", follow_redirects=False)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert limited.post(f"/api/reports/{report['id']}/support").status_code == 429
        assert limited.get("/api/layers/reports").json()["features"][0]["properties"]["supporters"] == 2


# -- mail ---------------------------------------------------------------------------------------

def test_the_receipt_and_the_closed_mail_arrive_with_working_links(client, smtp):
    report = submit(client)
    assert deliver(client) == 1
    [receipt] = smtp.messages
    assert receipt["To"] == "anna@example.org" and receipt["Subject"].startswith("Tack! Vi har tagit emot")
    assert receipt["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page, unsubscribe = LINK.findall(receipt.get_content())
    assert page == report["page"] and receipt["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
    assert client.get(page).status_code == 200
    assert 'method="post"' in client.get(unsubscribe).text, "opening the link only asks"
    move(client, report["id"], "closed", "sanerat")
    assert deliver(client) == 1
    closed = smtp.messages[1]
    assert closed["Subject"] == MAIL_WORDING["graffiti"]["closed"] == "Klottret är borttaget."
    assert closed.get_content().splitlines()[0] == "Klottret är borttaget."
    assert '<dd id="status">Åtgärdad</dd>' in client.get(LINK.findall(closed.get_content())[0]).text
    assert deliver(client, later_s=3600) == 0, "each mail once"


def test_unsafe_places_and_reports_without_an_address_get_no_mail(client, smtp):
    submit(client, "unsafe_place")
    report = submit(client, email_address=None)
    move(client, report["id"], "scheduled")
    assert deliver(client) == 0 and smtp.messages == []


def test_a_mail_server_outage_keeps_the_mail_queued_and_a_later_run_sends_it_once(client, port):
    report = submit(client)
    move(client, report["id"], "scheduled")
    assert deliver(client) == 0, "nothing listens on the port: the server is down"
    assert deliver(client, later_s=30) == 0, "not yet due again (backoff)"
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert deliver(client, later_s=61) == 2
        assert deliver(client, later_s=7200) == 0
    finally:
        controller.stop()
    assert sorted(m["Subject"] for m in inbox.messages) == [
        MAIL_WORDING["graffiti"]["scheduled"], "Tack! Vi har tagit emot din anmälan (klotter)."]


def test_unsubscribing_stops_further_mail(client, smtp):
    first, second = submit(client), submit(client, "litter", "bo@example.org")
    deliver(client)
    tokens = [LINK.findall(m.get_content())[1] for m in sorted(smtp.messages, key=lambda m: m["To"])]
    done = client.post(tokens[0])  # the page's button
    assert done.status_code == 200 and "Du får inga fler mejl" in done.text
    one_click = client.post(tokens[1], data={"List-Unsubscribe": "One-Click"})  # RFC 8058, from a mail program
    assert one_click.status_code == 200
    move(client, first["id"], "closed", "sanerat")
    move(client, second["id"], "scheduled")
    assert deliver(client) == 0 and len(smtp.messages) == 2
    assert client.post("/unsubscribe/" + "A" * 32).status_code == 404


def test_the_background_worker_sends_without_the_request_waiting(tmp_path, port, smtp):
    with TestClient(create_app(settings_for(tmp_path, port, poll_s=0.1))) as worked:
        submit(worked)
        deadline = time.monotonic() + 10
        while not smtp.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(smtp.messages) == 1


def test_mail_needs_the_public_url_for_its_links(tmp_path, port):
    settings = settings_for(tmp_path, port).model_copy(update={"service": ServiceSettings()})
    with pytest.raises(Exception, match="STADSKARNA_PUBLIC_URL"):
        with TestClient(create_app(settings)):
            pass


def test_no_header_is_built_from_unchecked_text():
    forged = QueuedMail(1, "r-1", "received", "graffiti", "anna@example.org\r\nBcc: all@example.org", "t" * 32, 0)
    with pytest.raises(ValueError):
        compose(forged, MailSettings(), PUBLIC_URL)


def test_every_fault_category_has_its_wording():
    from geo.layers import FAULT_CATEGORIES
    from geo.workflow import TOLD_STATUSES

    assert set(MAIL_WORDING) == set(FAULT_CATEGORIES)
    assert all(set(words) == set(TOLD_STATUSES) for words in MAIL_WORDING.values())

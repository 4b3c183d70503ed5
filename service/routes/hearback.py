"""Citizens hear back: each report's public page, "Jag har också sett det" (support of an open
report instead of a new one), and unsubscribing from the mails about one."""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from service.context import context
from service.html import pages
from service.responses import ReportSupported
from service.report_status import report_status
from service.security import html_page

router = APIRouter(tags=["reports"])

REPORT_ID = Path(max_length=100)
TOKEN = Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(request: Request, report_id: str = REPORT_ID) -> HTMLResponse:
    """A report's public page (Swedish): what it is, its zone, its status and the dates of its
    status changes; never who reported it. Unsafe places have none (404, as an unknown id)."""
    state = context(request)
    view = report_status(state.store, state.zones, report_id)
    return html_page(request, pages.get_template("report_status.html").render(report=view))


@router.post("/api/reports/{report_id}/support",
             responses={200: {"model": ReportSupported, "description": "The support is counted."}})
def support(request: Request, report_id: str = REPORT_ID) -> dict:
    """"Jag har också sett det": count one more citizen who has seen an open report too, instead
    of a new report; rate limited with submissions. 404 for an unknown id or an unsafe place,
    409 (with the status) for a closed report."""
    return {"id": report_id, "supporters": context(request).store.support_report(report_id)}


@router.post("/reports/{report_id}/support", response_class=RedirectResponse, status_code=303)
def support_from_page(request: Request, report_id: str = REPORT_ID) -> RedirectResponse:
    """The report page's button: the support counted (as the API's), then back to the page."""
    context(request).store.support_report(report_id)
    return RedirectResponse(f"/reports/{quote(report_id, safe='')}", status_code=303)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str = TOKEN) -> HTMLResponse:
    """The link in every mail: a page that asks to confirm (opening a link changes nothing, so a
    mail scanner that follows it unsubscribes no one)."""
    return html_page(request, pages.get_template("unsubscribe.html").render(report_id=None))


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str = TOKEN) -> HTMLResponse:
    """Send no more mail about the report (the page's button, or a mail program's one-click
    unsubscribe, RFC 8058); mails queued and not yet sent are dropped. 404 for an unknown token."""
    report_id = context(request).store.unsubscribe(token, pd.Timestamp.now(tz="UTC"))
    return html_page(request, pages.get_template("unsubscribe.html").render(report_id=report_id))

"""The staff's report pages in Swedish: the queue (/staff/reports) and a report's page
(/staff/reports/{id}) with its forms; what they say after a change and for each refusal. The
data comes from :mod:`service.report_queue`; the changes are :mod:`service.reports`' use cases."""

from __future__ import annotations

import geopandas as gpd
from fastapi import Request
from fastapi.responses import HTMLResponse

from geo.errors import StateConflict, ValidationError
from geo.layers import REPORT_CATEGORY_NAMES, REPORT_STATUS_NAMES
from geo.workflow import MAX_NOTE
from service.auth import Caller
from service.report_queue import ALL_STATUSES, MAX_AGE_DAYS, QueueFilter
from service.staff_pages import staff_page

CHANGE_ROLES = ("municipality",)
"""The roles that change reports (the others look)."""
NOTICES = {"status": "Statusen är ändrad.", "merge": "Ärendet är sammanslaget och stängt som dubblett."}
"""What the report page says after a change (the ``klart`` parameter of the 303 back to it)."""
FIELD_ERRORS = {
    "zone": "Välj ett område i listan.",
    "category": "Välj en kategori i listan.",
    "status": "Välj en status i listan. Ett ärende kan bara flyttas framåt, och otrygga platser har ingen status "
              "att ändra.",
    "older_than": f"Ange antal dagar som ett heltal från 0 till {MAX_AGE_DAYS}.",
    "created_from": "Ange datumet som ÅÅÅÅ-MM-DD.",
    "created_to": "Ange datumet som ÅÅÅÅ-MM-DD, samma dag som eller efter från-datumet.",
    "page": "Sidan finns inte.",
    "close_reason": "Ange en orsak när ärendet sätts till Åtgärdad (till exempel ”sanerat”), och bara då.",
    "note": f"Anteckningen får vara högst {MAX_NOTE} tecken, utan styrtecken.",
    "into": "Ange numret på ett annat öppet ärende i samma kategori. Otrygga platser slås inte ihop.",
}
"""What a page says for a refused value, by the field the refusal names."""
UNKNOWN_REPORT = "Det finns inget ärende med det numret."
"""What the page says when the report to merge into does not exist."""


def field_error(exc: ValidationError) -> str:
    """The Swedish message for a refused value (by its field)."""
    return FIELD_ERRORS.get(exc.field or "", "Kontrollera uppgifterna och försök igen.")


def conflict_error(exc: StateConflict, report_id: str) -> str:
    """The Swedish message for a change someone else got ahead of: the status now."""
    current = exc.current or {}
    status = REPORT_STATUS_NAMES.get(current.get("status", ""), current.get("status", ""))
    if current.get("id", report_id) != report_id:
        return f"Ärendet {current['id']} är redan {status.lower()}; bara öppna ärenden slås ihop."
    return f"Någon annan hann före: ärendet är nu {status.lower()}. Ladda om sidan och välj igen."


def queue_page(request: Request, caller: Caller, zones: gpd.GeoDataFrame, chosen: QueueFilter, form: dict,
               queue: dict | None, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    """The queue page: the filter form (with ``form``'s values) and the page of the queue (none
    when the filter was refused: ``error``)."""
    return staff_page(request, caller, "staff_reports.html", "/staff/reports", status_code=status_code, error=error,
                      form=form, queue=queue, chosen=chosen, zones=list(zip(zones["zone_id"], zones["name"])),
                      categories=list(REPORT_CATEGORY_NAMES.items()), statuses=list(REPORT_STATUS_NAMES.items()),
                      all_statuses=ALL_STATUSES, max_age=MAX_AGE_DAYS)


def report_page(request: Request, caller: Caller, report: dict, form: dict | None = None, notice: str | None = None,
                error: str | None = None, status_code: int = 200, moderation: dict | None = None) -> HTMLResponse:
    """A report's staff page; its forms for those who may change it (``form``: the values sent,
    kept when refused), and the moderation forms (service/templates/staff_moderation_form.html)
    with its ``moderation`` state (:func:`service.moderation.moderation_state`) for moderators."""
    values = dict.fromkeys(("status", "close_reason", "note", "into"), "") | (form or {})
    return staff_page(request, caller, "staff_report.html", "/staff/reports", status_code=status_code, notice=notice,
                      error=error, report=report, form=values, may_change=caller.role in CHANGE_ROLES,
                      moderation=moderation)

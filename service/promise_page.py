"""The promise tracker as a page (/promises/{year}) and as the yearly follow-up report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd

from geo.hotspots import HOTSPOT_METHOD_NAME
from geo.layers import CAMERA_STATUS_NAMES, REPORT_CATEGORY_NAMES
from geo.promises import COUNTED_HOURS_NAMES, PromiseYear
from geo.status import STATUS_NAMES
from geo.timestamps import LOCAL_TZ
from service.auth import ROLE_NAMES
from service.charts import chart_svg
from service.demo import DEMO_ACTOR
from geo.swedish import sv_number
from service.html import pages
from service.maps import build_map, standalone_html
from service.promises import promise_tracker
from service.purple_flag_page import purple_flag_section
from service.security import with_meta_policy
from service.context import Context

RECORDER_NAMES = {**ROLE_NAMES, DEMO_ACTOR.role: "demodata"}
"""Who recorded a status, in Swedish."""


def value_text(promise: dict) -> str:
    """The promise's value against its target, as one Swedish sentence."""
    value, target, unit = promise["value"], promise["target"], promise["unit"]
    if promise["kind"] == "events":
        held = f"{value} evenemang hölls" + (f" av {target}." if target is not None else ".")
        details = promise["details"]
        return held + (f" Senaste status {details['date']}: {details['note']}" if "date" in details else "")
    if promise["kind"] == "staff_status":
        details = promise["details"]
        return f"Senaste status {details['date']}: {details['note']}" if "date" in details else "Ingen status registrerad ännu."
    if value is None:
        return "Inga data att mäta med ännu."
    if unit == "h":
        return f"{sv_number(value)} h av {sv_number(target)} h."
    if unit == "rundor":
        return f"{value} av {target} rundor (den kategori som haft minst)."
    if unit == "antaget program":
        return _programme_text(promise["details"])
    return f"{sv_number(100 * value, 1)} % (mål {sv_number(100 * target)} %)."


def _programme_text(details: dict) -> str:
    """The lighting programme's state, its measures' progress and the modelled compliance, in Swedish."""
    programme, compliance = details["programme"], details.get("compliance")
    if programme is None:
        return "Inget belysningsprogram finns ännu."
    progress = programme["progress"]
    text = (f"Antaget {programme['adopted']}." if programme["adopted"] else
            f"Inte antaget ännu (ska antas senast {programme['adopt_by']}).")
    text += (f" Åtgärder: {progress['done']} av {progress['due']} som skulle vara klara är klara,"
             f" {progress['measures']} i programmet.")
    if compliance:
        text += f" Beräkningsfältens yta som når sin klass: {sv_number(100 * compliance['share'], 1)} %."
    if programme["synthetic"]:
        text += " (Programmet är ett syntetiskt exempel.)"
    return text


def tracker_html(report: dict, maps: dict[str, str] | None = None, standalone: bool = False,
                 generated: str | None = None) -> str:
    """The tracker page for a :func:`service.promises.promise_tracker` report; ``maps`` (title →
    self-contained map HTML) are embedded, and ``standalone`` leaves out links to the service."""
    charts = {p["id"]: chart_svg(p["chart"], bool(report["synthetic"])) for p in report["promises"] if "chart" in p}
    heading = f"Medborgarlöftet {report['year']}: uppföljning"
    return pages.get_template("promises.html").render(
        heading=heading, report=report, labels=STATUS_NAMES, category_names=REPORT_CATEGORY_NAMES, hours_names=COUNTED_HOURS_NAMES, hotspot_method=HOTSPOT_METHOD_NAME, role_names=RECORDER_NAMES,
        camera_statuses=CAMERA_STATUS_NAMES,
        value_text=value_text, purple_flag_section=purple_flag_section, charts=charts, maps=maps or {}, standalone=standalone, generated=generated,
        year_over=report["year_over"])


REPORT_MAPS = (("planner", "Planeringskarta: årets brott; belysning, anmälningar och otrygga platser som när rapporten skapades"),
               ("lighting", "Belysningskarta: modellerad belysningsstyrka och mörka fläckar när rapporten skapades"))
"""The maps embedded in the yearly report: public ones only (no patrol tracks, no exact incidents)."""


def yearly_report_html(state: Context, promises: PromiseYear, as_of: date | None = None,
                       progress: Callable[[str], None] | None = None) -> str:
    """The yearly follow-up as one self-contained HTML file for publication: the tracker with its
    charts and the public maps embedded (Leaflet inlined; basemap tiles as configured, "none" for
    a file that needs no network at all). ``state`` has store, zones, streets and settings."""
    step = progress or (lambda message: None)
    step("computing the promises' figures")
    report = promise_tracker(state.store, state.zones, promises, as_of, min_count=state.settings.privacy.min_count,
                             rules=state.rules, streets=state.streets, photometry=state.lighting.photometry)
    pages = {}
    for kind, title in REPORT_MAPS:
        step(f"building the {kind} map")
        pages[title] = standalone_html(build_map(kind, state, promises.year), title)
    step("writing the report")
    now = pd.Timestamp.now(tz=LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    html = tracker_html(report, {title: page.html for title, page in pages.items()}, standalone=True, generated=now)
    return with_meta_policy(html, state.settings.maps, [script for page in pages.values() for script in page.scripts])

"""The promise tracker as a page (/promises/{year}) and as the yearly follow-up report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd

from geo.hotspots import HOTSPOT_METHOD_NAME
from geo.layers import CAMERA_STATUS_NAMES, REPORT_CATEGORY_NAMES
from geo.promises import BASIS_KINDS, COUNTED_HOURS_NAMES, PromiseYear
from geo.status import STATUS_NAMES
from geo.timestamps import LOCAL_TZ
from service.auth import ROLE_NAMES
from service.charts import chart_svg
from service.demo import DEMO_ACTOR
from geo.swedish import sv_number
from service.html import pages
from service.maps import build_map, standalone_html
from service.promise_outcomes import outcomes_by_year
from service.promises import followable_years, link_years, load_year, promise_tracker
from service.purple_flag_page import purple_flag_section
from service.report_maps import MapImage, static_map
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
    if unit == "åtgärder klara":
        return f"{value} av {target} åtgärder klara. " + _programme_text(promise["details"])
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


def chart_alt(chart: dict) -> str:
    """A chart's text alternative in Swedish: what it shows and where it ends."""
    if chart["kind"] == "cumulative_presence":
        return (f"Diagram: polisnärvaron ackumulerad dag för dag mot löftets pro rata-linje; den {chart['days'][-1]} "
                f"{sv_number(chart['cumulative_h'][-1], 1)} h mot {sv_number(chart['pro_rata_h'][-1], 1)} h.")
    if chart["kind"] == "open_closed":
        names = ", ".join(REPORT_CATEGORY_NAMES.get(c, c).lower() for c in chart["categories"])
        return (f"Diagram: öppna anmälningar ({names}) och anmälningar stängda under året, dag för dag, med "
                f"{len(chart['rounds'])} saneringsrundor markerade; den {chart['days'][-1]} {chart['open'][-1]} öppna "
                f"och {chart['closed_in_year'][-1]} stängda.")
    return (f"Diagram: andelen av beräkningsfältens yta som når sin belysningsklass, månad för månad, från "
            f"{sv_number(100 * chart['share'][0], 1)} % till {sv_number(100 * chart['share'][-1], 1)} %.")


def year_summary(report: dict) -> dict:
    """The year's summary in Swedish: what was promised, what was done (each promise's status and
    result) and what changed in safety (:func:`service.promise_outcomes.outcomes_by_year`: the
    year's outcomes against the year before)."""
    counts = ", ".join(f"{report['status_counts'][status]} {name}" for status, name in STATUS_NAMES.items()
                       if report["status_counts"].get(status))
    return {"promised": [p["text"] for p in report["promises"]],
            "done": [{"id": p["id"], "status": p["status"], "text": value_text(p)} for p in report["promises"]],
            "counts": counts, "safety": outcomes_by_year({report["year"]: report})["summary"]}


def tracker_html(report: dict, maps: dict[str, str] | None = None, standalone: bool = False,
                 generated: str | None = None, summary: dict | None = None, maps_note: str | None = None,
                 map_images: list[MapImage] | None = None) -> str:
    """The tracker page for a :func:`service.promises.promise_tracker` report (linked by
    :func:`service.promises.link_years` for links to the other years); ``summary``
    (:func:`year_summary`) opens it; ``maps`` (title → self-contained map HTML) are embedded, or
    ``map_images`` (static, :mod:`service.report_maps`) with ``maps_note`` saying where the interactive
    ones are; ``standalone`` leaves out links to the service."""
    charts = {p["id"]: chart_svg(p["chart"], bool(report["synthetic"])) for p in report["promises"] if "chart" in p}
    heading = f"Medborgarlöftet {report['year']}: uppföljning"
    alts = {p["id"]: chart_alt(p["chart"]) for p in report["promises"] if "chart" in p}
    return pages.get_template("promises.html").render(
        heading=heading, alts=alts, report=report, labels=STATUS_NAMES, category_names=REPORT_CATEGORY_NAMES, hours_names=COUNTED_HOURS_NAMES, hotspot_method=HOTSPOT_METHOD_NAME, role_names=RECORDER_NAMES, basis_names=BASIS_KINDS,
        camera_statuses=CAMERA_STATUS_NAMES,
        value_text=value_text, purple_flag_section=purple_flag_section, charts=charts, maps=maps or {}, standalone=standalone, generated=generated,
        year_over=report["year_over"], summary=summary, maps_note=maps_note, map_images=map_images or [])


REPORT_MAPS = (("planner", "Planeringskarta: årets brott; belysning, anmälningar och otrygga platser som när rapporten skapades"),
               ("lighting", "Belysningskarta: modellerad belysningsstyrka och mörka fläckar när rapporten skapades"))
"""The maps embedded in the yearly report: public ones only (no patrol tracks, no exact incidents)."""


def _yearly(state: Context, promises: PromiseYear, as_of: date | None, step: Callable[[str], None]) -> tuple[dict, dict]:
    """The year's tracker report, linked to the other years, and its summary (:func:`year_summary`)."""
    folder, today = state.settings.promises.dir, pd.Timestamp.now(tz=LOCAL_TZ).date()
    tracked: dict[int, dict] = {}

    def tracker(year: int, promise_year: PromiseYear, day: date | None) -> dict:
        step(f"computing the {year} promises' figures")
        return promise_tracker(state.store, state.zones, promise_year, day, min_count=state.settings.privacy.min_count,
                               rules=state.rules, streets=state.streets, photometry=state.lighting.photometry)

    def earlier(year: int) -> dict:
        if year not in tracked:
            tracked[year] = tracker(year, load_year(folder, year), None)
        return tracked[year]

    report = link_years(tracker(promises.year, promises, as_of), followable_years(folder, today), earlier)
    return report, year_summary(report)


def yearly_report_html(state: Context, promises: PromiseYear, as_of: date | None = None,
                       progress: Callable[[str], None] | None = None) -> str:
    """The yearly follow-up as one self-contained HTML file for publication: a summary, the tracker
    with its charts and the public maps embedded (Leaflet inlined; basemap tiles as configured,
    "none" for a file that needs no network at all). ``state`` has store, zones, streets and settings."""
    step = progress or (lambda message: None)
    report, summary = _yearly(state, promises, as_of, step)
    pages = {}
    for kind, title in REPORT_MAPS:
        step(f"building the {kind} map")
        pages[title] = standalone_html(build_map(kind, state, promises.year), title)
    step("writing the report")
    now = pd.Timestamp.now(tz=LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    html = tracker_html(report, {title: page.html for title, page in pages.items()}, standalone=True, generated=now,
                        summary=summary)
    return with_meta_policy(html, state.settings.maps, [script for page in pages.values() for script in page.scripts])


def maps_note(year: int) -> str:
    """Where the report's interactive maps are, for a file that holds them as still images (the PDF)."""
    return (f"Kartorna här är stillbilder. De interaktiva kartorna, med fler lager, finns i tjänsten "
            f"(planeringskartan /maps/planner?year={year} och belysningskartan /maps/lighting) och i "
            f"rapportens HTML-version (stadskarna report {year} -o rapport.html).")


def yearly_report_pdf(state: Context, promises: PromiseYear, as_of: date | None = None,
                      progress: Callable[[str], None] | None = None) -> bytes:
    """The yearly follow-up as PDF for the archive (WeasyPrint): the summary, every promise with
    its charts and the report's maps as static images (:mod:`service.report_maps`; WeasyPrint runs
    no JavaScript), with a sentence saying where the interactive ones are."""
    from weasyprint import HTML

    step = progress or (lambda message: None)
    report, summary = _yearly(state, promises, as_of, step)
    images = []
    for kind, title in REPORT_MAPS:
        step(f"drawing the {kind} map")
        images.append(static_map(kind, state, promises.year, title))
    now = pd.Timestamp.now(tz=LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    html = tracker_html(report, standalone=True, generated=now, summary=summary, maps_note=maps_note(promises.year),
                        map_images=images)
    step("writing the PDF")
    return HTML(string=html).write_pdf(pdf_tags=True)  # tagged: the maps' text alternatives are kept


def compare_html(comparison: dict) -> str:
    """The comparison page for a :func:`service.promise_compare.compare_years` answer."""
    return pages.get_template("promises_compare.html").render(
        comparison=comparison, labels=STATUS_NAMES, heading="Medborgarlöftena år för år")

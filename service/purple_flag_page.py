"""The Purple Flag evidence as a page (/purple-flag/{year}) and as a section of other pages (the
tracker's Purple Flag promise, the yearly report): templates/purple_flag_section.html."""

from __future__ import annotations

from geo.layers import EVENT_KIND_NAMES, FAULT_CATEGORIES, INCIDENT_CATEGORIES, REPORT_CATEGORY_NAMES
from geo.purple_flag import WHOLE_NIGHT
from service.html import pages


def band_name(band: str) -> str:
    """A band as people read it: ``17–20``; the whole evening and night spelled out."""
    name = band.replace("-", "–")
    return f"Hela kvällen och natten, {name}" if band == WHOLE_NIGHT else name


def purple_flag_section(evidence: dict, heading_level: int = 2, standalone: bool = False) -> dict:
    """What templates/purple_flag_section.html renders for ``evidence``
    (:func:`service.promises.purple_flag_report` or the tracker's ``purple_flag_bands``): one part
    per theme headed at ``heading_level`` (2 under a page's h1, deeper inside a promise), every
    table with a caption; ``standalone`` (a file) leaves out links to the service. A template
    shows it with ``{% with section = purple_flag_section(...) %}{% include
    "purple_flag_section.html" %}{% endwith %}``."""
    rows = [(band_name(band), figures) for band, figures in evidence["bands"].items()]
    return {"evidence": evidence, "level": heading_level, "standalone": standalone,
            "rows": rows + [(band_name(WHOLE_NIGHT), evidence["whole_night"])],
            "incident_names": {c: c.capitalize() for c in INCIDENT_CATEGORIES},
            "report_names": {c: REPORT_CATEGORY_NAMES[c] for c in FAULT_CATEGORIES},
            "kind_names": EVENT_KIND_NAMES}


def purple_flag_html(evidence: dict) -> str:
    """The page /purple-flag/{year} for :func:`service.promises.purple_flag_report`'s ``evidence``."""
    return pages.get_template("purple_flag.html").render(
        heading=f"Purple Flag {evidence['year']}: kvällen och natten i stadskärnan", report=evidence,
        section=purple_flag_section(evidence))

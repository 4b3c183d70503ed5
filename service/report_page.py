"""The citizens' report page (/report): its fixed markup and script, the site header, and its
settings and Swedish texts passed as a JSON data block (never as markup or script)."""

from __future__ import annotations

import json
from pathlib import Path

from geo.layers import FAULT_CATEGORIES, REPORT_CATEGORY_NAMES, UNSAFE_WHEN_NAMES, UNSAFE_WHY_NAMES
from geo.workflow import OPEN_STATUSES
from service.html import site_header
from service.security import inline_scripts
from service.settings import MapSettings

REPORT_PAGE = Path(__file__).resolve().parent / "pages" / "report.html"
REPORT_SCRIPTS = inline_scripts(REPORT_PAGE.read_text(encoding="utf-8"))
"""The report page's own script (its settings go into a JSON data block, which is not run)."""

PAGE_ERRORS = {
    "invalid:lat/lon": "Platsen kan inte tas emot. Anmälningar tas bara emot för platser i Halmstads stadskärna: "
                       "välj en plats inom de markerade zonerna.",
    "invalid:category": "Välj vad anmälan gäller.",
    "invalid:description": "Beskrivningen kan inte tas emot: den får vara högst 1 000 tecken och inte innehålla "
                           "kontrolltecken.",
    "invalid:email": "E-postadressen ser inte ut att vara en giltig adress. Rätta den eller lämna fältet tomt.",
    "invalid:photo": "Fotot kan inte tas emot: det måste vara en oskadad JPEG- eller PNG-bild på högst 5 MB.",
    "invalid:when": "Välj när du känner dig otrygg, eller lämna fältet tomt.",
    "invalid:why": "Välj varför du känner dig otrygg, eller lämna fältet tomt.",
    "invalid": "Anmälan kan inte tas emot. Kontrollera fälten och försök igen.",
    "too_large": "Fotot är för stort. Välj en bild på högst 5 MB.",
    "rate_limited": "Du har skickat många anmälningar på kort tid. Vänta en minut och försök igen.",
    "unavailable": "Tjänsten är upptagen just nu. Försök igen om en liten stund.",
    "overloaded": "Tjänsten är upptagen just nu. Försök igen om en liten stund.",
    "network": "Anmälan kunde inte skickas. Kontrollera din internetanslutning och försök igen.",
    "error": "Något gick fel, och anmälan sparades inte. Försök igen senare.",
}
"""What the page says for an error answer of POST /api/reports, by its ``code`` and, for invalid
input, ``code:field`` (the error body's ``field``); ``network`` when no answer came, ``error``
for anything else. The API's own ``detail`` (technical, for programs and their logs) is never shown."""


def report_page_html(maps: MapSettings) -> str:
    """The page with its settings: basemap, the categories and when/why with their Swedish names
    (from :mod:`geo.layers`), the open statuses (:mod:`geo.workflow`) and :data:`PAGE_ERRORS`."""
    url, attribution = maps.tile_url()
    names = REPORT_CATEGORY_NAMES
    config = json.dumps({"tiles": url, "attribution": attribution, "names": list(names.items()),
                         "categories": [(code, names[code]) for code in FAULT_CATEGORIES],
                         "when": list(UNSAFE_WHEN_NAMES.items()), "why": list(UNSAFE_WHY_NAMES.items()),
                         "errors": PAGE_ERRORS,
                         "open_statuses": list(OPEN_STATUSES)}).replace("</", "<\\/")
    page = REPORT_PAGE.read_text(encoding="utf-8")
    return page.replace("__HEADER__", site_header("/report"), 1).replace("__CONFIG__", config, 1)

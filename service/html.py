"""Server-rendered pages: one Jinja environment over service/templates, escaping every value, and
the site header every page of the service starts with."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from geo.swedish import sv_number, sv_signed

TEMPLATES = Path(__file__).resolve().parent / "templates"

pages = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                    trim_blocks=True, lstrip_blocks=True)
"""Templates are autoescaped: citizen and staff text is safe to put in them as it is."""


pages.filters["sv"] = sv_number
pages.filters["signed"] = sv_signed

SITE_LINKS = (("/", "Trygg stadskärna"), ("/maps/planner", "Planerarkarta"), ("/maps/lighting", "Belysningskarta"),
              ("/report", "Felanmälan"), ("/promises", "Medborgarlöftet"), ("/purple-flag", "Purple Flag"),
              ("/lagesbild", "Lägesbild"),
              ("/events", "Evenemang"), ("/login", "Personal"))
"""The pages the site header links, in order: the public ones and, last, the staff sign-in (which
lists a signed-in member's pages). Public pages are the same for everyone, so they are cached and
do not change with who is signed in."""
pages.globals["site_links"] = SITE_LINKS

STAFF_LINKS = (("/staff/reports", "Ärenden", ("municipality", "police", "planner")),
               ("/staff/moderation", "Moderering", ("municipality",)),
               ("/staff/removal", "Saneringsrundor", ("municipality",)),
               ("/staff/events", "Evenemang", ("municipality",)),
               ("/staff/promises", "Löftenas status", ("municipality", "police")),
               ("/staff/patrols", "Patrullspår", ("police",)),
               ("/maps/police", "Polisens karta", ("police",)),
               ("/maps/cameras", "Kamerakarta", ("municipality", "police", "planner")))
"""The staff pages, their Swedish names and the roles that may open them, in the order the header
and the sign-in page list them."""


def staff_links(role: str) -> list[tuple[str, str]]:
    """(path, name) of the staff pages ``role`` may open (:data:`STAFF_LINKS`)."""
    return [(href, name) for href, name, roles in STAFF_LINKS if role in roles]


def site_header(current: str | None = None, role: str | None = None) -> str:
    """The site header (links to :data:`SITE_LINKS`, and to the staff pages of a signed-in
    member's ``role``; ``current`` marked as the page shown) as finished HTML without scripts;
    templates include ``site_header.html`` instead (with ``staff`` set to :func:`staff_links`)."""
    return pages.get_template("site_header.html").render(current=current, staff=staff_links(role) if role else [])

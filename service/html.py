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
              ("/report", "Felanmälan"), ("/promises", "Medborgarlöftet"), ("/lagesbild", "Lägesbild"))
"""The public pages the site header links, in order (the police map needs a token and is not listed)."""
pages.globals["site_links"] = SITE_LINKS


def site_header(current: str | None = None) -> str:
    """The site header (links to :data:`SITE_LINKS`, ``current`` marked as the page shown) as
    finished HTML without scripts; templates include ``site_header.html`` instead."""
    return pages.get_template("site_header.html").render(current=current)

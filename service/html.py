"""Server-rendered pages: one Jinja environment over service/templates, escaping every value."""

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

"""The public page /outcomes/before-after: a form (a zone, a camera's view or a street to pick, a
comparison zone, a date, a number of days) and the difference-in-differences table with its
caveats, in Swedish."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import shapely

from geo.before_after import AREA_NAMES, ESTIMATE_NAMES, MAX_DAYS, PERIOD_NAMES
from geo.errors import Message, ValidationError
from geo.outcomes import INDICATOR_NAMES
from geo.swedish import sv_number
from service.cameras import CAMERA_TOPICS, camera_views
from service.context import Context
from service.html import pages
from service.i18n import translate
from service.outcomes import BEFORE_AFTER_LAYERS, STAFF_ONLY_LAYERS, before_after

PUBLIC_LAYERS = tuple(layer for layer in BEFORE_AFTER_LAYERS if layer not in STAFF_ONLY_LAYERS)
"""What the public page counts (unsafe-place marks are compared for staff only, through the API)."""
DEFAULT_DAYS = 90


@dataclass
class BeforeAfterForm:
    """The page's form as sent (text, as the browser sends it)."""

    area: str | None = None
    comparison: str | None = None
    at: str = ""
    days: str = str(DEFAULT_DAYS)
    layers: list[str] = field(default_factory=lambda: list(PUBLIC_LAYERS))
    seasonal: bool = False


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(Message("{value!r} is not a date (YYYY-MM-DD)", value=text), field="at") from None


def _days(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,6}", text.strip()):  # ASCII digits: str.isdigit() takes "²", int() does not
        raise ValidationError(Message("{value!r} is not a whole number of days", value=text), field="days")
    return int(text)


CAMERA, STREET = "camera:", "street:"
"""Prefixes of the page's area choices beside the zones: a stored camera's view, a street."""
STREET_BUFFER_M = 25.0
"""The area of a street chosen on the page: its centre line with this buffer, metres (SWEREF 99 TM)."""


@dataclass(frozen=True)
class AreaChoice:
    """An area the page offers: its form value, its Swedish name and how the API takes it."""

    value: str
    name: str
    zone: str | None = None
    geometry: dict | None = None
    buffer_m: float | None = None


def area_choices(state: Context) -> dict[str, list[AreaChoice]]:
    """What the page offers as the affected area, by group (Swedish): the zones, the stored
    cameras' views (public, as the OGC collection camera-views) and the streets (their centre
    lines with :data:`STREET_BUFFER_M`); made once per version of the cameras and buildings."""
    def build() -> dict[str, list[AreaChoice]]:
        zones = [AreaChoice(z, n, zone=z) for z, n in zip(state.zones["zone_id"], state.zones["name"])]
        views = camera_views(state)
        cameras = [AreaChoice(CAMERA + row.id, f"Kamera: {row.id if pd.isna(row.name) else row.name}",
                              geometry=shapely.geometry.mapping(row.geometry))
                   for row in views.itertuples() if not shapely.is_empty(row.geometry)]
        streets = state.streets
        named = (streets[streets["name"].notna()].dissolve("name", sort=True) if streets is not None and len(streets)
                 else None)
        lines = [] if named is None else [
            AreaChoice(STREET + str(name), f"Gata: {name} ({sv_number(STREET_BUFFER_M, 0)} m på var sida)",
                       geometry=shapely.geometry.mapping(geometry), buffer_m=STREET_BUFFER_M)
            for name, geometry in zip(named.index, named.geometry)]
        return {"Zoner": zones, "Kameror": cameras, "Gator": lines}

    return state.pages.get(("before-after areas",), build, topics=CAMERA_TOPICS)


def before_after_page(state: Context, form: BeforeAfterForm, asked: bool) -> tuple[str, int]:
    """The page (HTML) and its status: the form filled as sent and, when ``asked`` (a date was
    sent), the comparison (public: incidents at their published positions, fault reports below k
    hidden) for the chosen zone, camera view or street against a zone or the rest of the centre, or
    the refusal in Swedish (422)."""
    zones = list(zip(state.zones["zone_id"], state.zones["name"]))
    names = dict(zones)
    groups = area_choices(state)
    choices = {choice.value: choice for group in groups.values() for choice in group}
    known = not form.area or form.area in choices  # none given: the first zone
    form.area = form.area if form.area in choices else zones[0][0]
    chosen = choices[form.area]
    result, error = None, None
    if asked and not known:
        error = "Jämförelsen kan inte visas: området finns inte (längre); välj ett i listan."
    elif asked and not form.layers:
        error = "Jämförelsen kan inte visas: välj vad som ska räknas, brott, felanmälningar eller båda."
    elif asked:
        try:
            result = before_after(state.store, state.zones, at=_date(form.at), days=_days(form.days),
                                  area_zone=chosen.zone, area_geometry=chosen.geometry, buffer_m=chosen.buffer_m,
                                  comparison_zone=form.comparison or None, seasonal=form.seasonal,
                                  layers=form.layers, min_count=state.settings.privacy.min_count)
        except ValidationError as exc:
            error = "Jämförelsen kan inte visas: " + translate(exc, "sv")
    html = pages.get_template("before_after.html").render(
        zones=zones, area_groups=groups, form=form, max_days=MAX_DAYS, result=result, error=error,
        synthetic=bool(result and result["synthetic"]), area_name=chosen.name,
        comparison_name=names.get(form.comparison or "", "resten av stadskärnan"),
        layer_names=[(code, INDICATOR_NAMES[code]) for code in PUBLIC_LAYERS], area_names=AREA_NAMES,
        period_names=PERIOD_NAMES, estimate_names=ESTIMATE_NAMES, street_buffer=sv_number(STREET_BUFFER_M, 0))
    return html, 422 if error else 200

"""The public page /outcomes/before-after: a form (zones to pick, a date, a number of days) and
the difference-in-differences table with its caveats, in Swedish."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from geo.before_after import AREA_NAMES, ESTIMATE_NAMES, MAX_DAYS, PERIOD_NAMES
from geo.errors import Message, ValidationError
from geo.outcomes import INDICATOR_NAMES
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


def before_after_page(state: Context, form: BeforeAfterForm, asked: bool) -> tuple[str, int]:
    """The page (HTML) and its status: the form filled as sent and, when ``asked`` (a date was
    sent), the comparison (public: incidents at their published positions, fault reports below k
    hidden) or the refusal in Swedish (422)."""
    zones = list(zip(state.zones["zone_id"], state.zones["name"]))
    names = dict(zones)
    form.area = form.area if form.area in names else zones[0][0]
    result, error = None, None
    if asked and not form.layers:
        error = "Jämförelsen kan inte visas: välj vad som ska räknas, brott, felanmälningar eller båda."
    elif asked:
        try:
            result = before_after(state.store, state.zones, at=_date(form.at), days=_days(form.days),
                                  area_zone=form.area, comparison_zone=form.comparison or None,
                                  seasonal=form.seasonal, layers=form.layers, public=True,
                                  min_count=state.settings.privacy.min_count)
        except ValidationError as exc:
            error = "Jämförelsen kan inte visas: " + translate(exc, "sv")
    html = pages.get_template("before_after.html").render(
        zones=zones, form=form, max_days=MAX_DAYS, result=result, error=error,
        synthetic=bool(result and result["synthetic"]), area_name=names.get(form.area),
        comparison_name=names.get(form.comparison or "", "resten av stadskärnan"),
        layer_names=[(code, INDICATOR_NAMES[code]) for code in PUBLIC_LAYERS], area_names=AREA_NAMES,
        period_names=PERIOD_NAMES, estimate_names=ESTIMATE_NAMES)
    return html, 422 if error else 200

"""The promises year after year (/promises/compare, /api/promises/compare): each kind of promise
across the years, with a short Swedish follow-up text per kind (what was promised each year, what
was done, the change), and the outcomes beside the outputs."""

from __future__ import annotations

from collections.abc import Callable

from geo.errors import Message, ValidationError
from geo.promises import MEASURE_KIND_NAMES
from geo.status import STATUS_NAMES
from geo.swedish import sv_number, sv_signed
from service.promise_page import value_text
from service.promises import NoPromises

ROW_FIELDS = ("id", "text", "status", "value", "target", "unit", "carried_over_from")
"""What the comparison shows of each promise in a year."""


def compare_years(reports: dict[int, dict], outcomes: dict) -> dict:
    """The comparison of the years' tracker reports (``reports``: year → whole-year report of
    :func:`service.promises.promise_tracker`, linked by :func:`service.promises.link_years`) per
    kind of promise, with ``outcomes`` (:func:`service.promise_outcomes.outcomes_by_year`) beside them. JSON-ready."""
    years = sorted(reports)
    kinds = []
    for kind, name in MEASURE_KIND_NAMES.items():
        per_year = [{"year": year, "promises": [_row(p) for p in reports[year]["promises"] if p["kind"] == kind]}
                    for year in years]
        if any(entry["promises"] for entry in per_year):
            pairs = _pairs(reports, kind)
            kinds.append({"kind": kind, "name": name, "years": per_year,
                          "changes": [_change(before, after) for before, after in pairs],
                          "summary": _summary(name, reports, kind, pairs)})
    return {"years": years, "synthetic": any(r["synthetic"] for r in reports.values()), "kinds": kinds,
            "outcomes": outcomes}


def _row(entry: dict) -> dict:
    return {**{name: entry[name] for name in ROW_FIELDS}, "summary": value_text(entry)}


def _pairs(reports: dict[int, dict], kind: str) -> list[tuple[dict, dict]]:
    """Pairs (earlier, later) of the same promise in two years: a promise and the one it carries
    on; or, where neither is linked, the one promise of the kind in each of two neighbouring years."""
    years = sorted(reports)
    pairs = []
    for before_year, year in zip(years, years[1:]):
        later = [p for p in reports[year]["promises"] if p["kind"] == kind]
        earlier = [p for p in reports[before_year]["promises"] if p["kind"] == kind]
        linked = [p for p in later if p.get("previous") and p["previous"]["year"] == before_year]
        for entry in linked:
            before = next((p for p in earlier if p["id"] == entry["previous"]["id"]), None)
            if before is not None:
                pairs.append(({**before, "year": before_year}, {**entry, "year": year}))
        if not linked and len(later) == 1 and len(earlier) == 1:
            pairs.append(({**earlier[0], "year": before_year}, {**later[0], "year": year}))
    return pairs


def _change(before: dict, after: dict) -> dict:
    """The change from one year's promise to the next: the value's difference where both are
    figures of the same unit, and the statuses."""
    measured = all(p["status"] != "not measurable yet" and p["value"] is not None for p in (before, after))
    same = measured and before["unit"] == after["unit"]
    return {"from_year": before["year"], "from_id": before["id"], "to_year": after["year"], "to_id": after["id"],
            "from_status": before["status"], "to_status": after["status"], "unit": after["unit"] if same else None,
            "difference": round(after["value"] - before["value"], 4) if same else None}


_CHANGE_TEXT: dict[str | None, Callable[[float], str]] = {
    "h": lambda d: f"{sv_signed(d, 1)} h",
    "rundor": lambda d: f"{sv_signed(d, 0)} rundor",
    "andel": lambda d: f"{sv_signed(100 * d, 1)} procentenheter",
    "åtgärder klara": lambda d: f"{sv_signed(d, 0)} åtgärder klara",
    "evenemang": lambda d: f"{sv_signed(d, 0)} evenemang",
}


def _summary(name: str, reports: dict[int, dict], kind: str, pairs: list[tuple[dict, dict]]) -> list[str]:
    """The follow-up in Swedish, a sentence or two per year and one per change."""
    lines = []
    for year in sorted(reports):
        for entry in (p for p in reports[year]["promises"] if p["kind"] == kind):
            lines.append(f"{year} lovade {entry['promised_by_name']}: ”{entry['text']}” "
                         f"Resultat: {value_text(entry)} Status: {STATUS_NAMES[entry['status']]}.")
    for before, after in pairs:
        change = _change(before, after)
        named = f" (”{after['text']}”)" if len(pairs) > 1 else ""
        text = f"Från {before['year']} till {after['year']}{named}: status {STATUS_NAMES[before['status']]} → " \
               f"{STATUS_NAMES[after['status']]}"
        if change["difference"] is not None and change["unit"] in _CHANGE_TEXT:
            text += f", {_CHANGE_TEXT[change['unit']](change['difference'])}"
        lighting = [p["details"].get("compliance") for p in (before, after)] if kind == "lighting" else []
        if lighting and all(lighting):
            text += (f"; modellerad belysning: {sv_number(100 * lighting[0]['share'], 1)} % → "
                     f"{sv_number(100 * lighting[1]['share'], 1)} % av beräkningsfältens yta når sin klass")
        lines.append(text + ".")
    if not lines:
        lines.append(f"Inget löfte om {name.lower()} de här åren.")
    return lines


def chosen_years(text: str | None, available: list[int]) -> list[int]:
    """The years to compare, from a comma-separated ``text`` (default: all ``available``, the years
    with a promises file that have begun), ascending and once each; :class:`ValidationError` for
    text that is not years, :class:`service.promises.NoPromises` for a year without promises."""
    if text is None or not text.strip():
        years = available
    else:
        try:
            years = sorted({int(part) for part in text.split(",")})
        except ValueError:
            raise ValidationError(Message("give the years as comma-separated years, like 2020,2021"),
                                  field="years") from None
    missing = [year for year in years if year not in available]
    if missing or not years:
        known = ", ".join(str(y) for y in available) or "none"
        raise NoPromises(Message("no promises to follow up for {years} (years with promises: {known})",
                                 years=", ".join(str(y) for y in missing) or "any year", known=known))
    return years

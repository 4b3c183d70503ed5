"""``stadskarna outcomes YEAR`` (the outcome indicators per zone) and ``stadskarna outcomes
before-after`` (a difference-in-differences around a measure). On the server: exact figures."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from geo.errors import Message, ValidationError
from geo.timestamps import YEARS
from geo.before_after import AREA_NAMES, ESTIMATE_NAMES, PERIOD_NAMES
from service.cli.common import (DbOption, ZonesOption, _fail, _open_store, _supported_day, build_settings, console,
                                errors, figure, named, say, signed, table, text)


class _YearOrCommand(TyperGroup):
    """``outcomes 2021`` is ``outcomes year 2021``: a first argument that is a number is the year."""

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple:
        if args and args[0].isdigit():
            args = ["year", *args]
        return super().resolve_command(ctx, args)


outcomes_app = typer.Typer(cls=_YearOrCommand, no_args_is_help=True, help=text(Message(
    "Outcomes: incidents, reports and unsafe-place marks per zone and year against the year before (outcomes YEAR), "
    "and before/after a measure (outcomes before-after).")))


class OutcomeFormat(str, Enum):
    """How the outcomes are printed."""

    table = "table"
    json = "json"


INDICATOR_COLUMNS = (("incidents", Message("incidents")), ("reports", Message("reports")),
                     ("unsafe_places", Message("unsafe places")))
"""The indicators of the year's table and their headings."""


def _total(zone: dict, indicator: str) -> tuple[str, str]:
    """A zone's total of an indicator and its change (``*`` beyond noise), for the table."""
    row = zone[indicator][0]
    change = "–" if row["change"] is None else signed(row["change"], 0) + ("*" if row["beyond_noise"] else "")
    return figure(row["value"]), change


@outcomes_app.command("year", help=text(Message("The year's outcome indicators per zone against the year before.")))
def outcomes_year(
        year: Annotated[int, typer.Argument(help=text(Message("The local year.")), min=YEARS[0], max=YEARS[1])],
        output: Annotated[OutcomeFormat, typer.Option("--format", help=text(Message("table or json.")))] = OutcomeFormat.table,
        db: DbOption = None, zones: ZonesOption = None) -> None:
    """The year's outcome indicators per zone against the year before (exact figures)."""
    from geo.zones import read_zones
    from service.outcomes import outcome_report

    settings = build_settings(db, zones)
    store = _open_store(settings.store.db)
    try:
        with errors.status(text(Message("counting the outcomes"))):
            report = outcome_report(store, read_zones(settings.geography.zones), year, min_count=None)
    except ValidationError as exc:
        raise _fail(exc) from None
    if output is OutcomeFormat.json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    title = Message("Outcomes {year} against {previous} (* a change larger than chance would give, p < 0.05)",
                    year=year, previous=report["previous_year"])
    if report["synthetic"]:
        title = Message("{title} · SYNTHETIC DEMO DATA", title=title)
    headings = [Message("zone")]
    for _, heading in INDICATOR_COLUMNS:
        headings += [heading, Message("±")]
    grid = table(title, *headings, right=tuple(headings[1:]))
    counted = [zone for zone in report["zones"] if "incidents" in zone]  # survey areas that are no zone: not counted
    for zone in [*counted, {"name": text(Message("whole centre")), **report["centre"]}]:
        cells = [zone["name"]]
        for indicator, _ in INDICATOR_COLUMNS:
            cells += list(_total(zone, indicator))
        grid.add_row(*cells)
    console.print(grid)
    unplaced = report["unplaced_incidents"]
    say(Message("Incidents placed only at the town ({town}) or the county ({county}) are counted apart, in no zone.",
                town=figure(unplaced["town"]), county=figure(unplaced["county"])))


def _place(value: str | None) -> tuple[str | None, dict | None]:
    """An ``--area``/``--comparison``: a zone id, or a GeoJSON file (a geometry, a Feature or a
    FeatureCollection of one feature) read as (None, geometry)."""
    if value is None:
        return None, None
    path = Path(value)
    if path.suffix.lower() not in (".geojson", ".json"):
        return value, None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _fail(Message("{path} cannot be read as GeoJSON: {problem}", path=value, problem=str(exc))) from None
    if document.get("type") == "FeatureCollection":
        features = document.get("features") or [{}]
        document = features[0] if len(features) == 1 else {}
    if document.get("type") == "Feature":
        document = document.get("geometry") or {}
    return None, document


@outcomes_app.command("before-after", help=text(Message(
    "Incidents and reports in an area against a comparison area, the same number of days before and after a measure: "
    "a difference-in-differences table with its caveats (not a causal claim).")))
def outcomes_before_after(
        area: Annotated[str, typer.Option(help=text(Message(
            "The affected area: a zone id, or a GeoJSON file of a polygon (or of points or lines, with --buffer-m).")))],
        at: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], callback=_supported_day,
                                             help=text(Message("The measure's date (the after period starts with it).")))],
        days: Annotated[int, typer.Option(help=text(Message("The length of each period, days.")))],
        buffer_m: Annotated[Optional[float], typer.Option(help=text(Message(
            "A buffer around points or lines, metres.")))] = None,
        comparison: Annotated[Optional[str], typer.Option(help=text(Message(
            "The comparison area: a zone id or a GeoJSON polygon file (default: the rest of the centre).")))] = None,
        seasonal: Annotated[bool, typer.Option(help=text(Message(
            "Also the same periods a year earlier, to take out the season.")))] = False,
        layer: Annotated[Optional[list[str]], typer.Option(help=text(Message(
            "What to count: incidents, reports, unsafe_places (repeat; default incidents and reports).")))] = None,
        output: Annotated[OutcomeFormat, typer.Option("--format", help=text(Message("table or json.")))] = OutcomeFormat.table,
        db: DbOption = None, zones: ZonesOption = None) -> None:
    """A difference-in-differences around a measure (exact positions: for staff, on the server)."""
    from geo.zones import read_zones
    from service.outcomes import before_after

    settings = build_settings(db, zones)
    store = _open_store(settings.store.db)
    area_zone, area_geometry = _place(area)
    comparison_zone, comparison_geometry = _place(comparison)
    try:
        result = before_after(store, read_zones(settings.geography.zones), at=at.date(), days=days,
                              area_zone=area_zone, area_geometry=area_geometry, buffer_m=buffer_m,
                              comparison_zone=comparison_zone, comparison_geometry=comparison_geometry,
                              seasonal=seasonal, layers=layer or ("incidents", "reports"), min_count=None)
    except ValidationError as exc:
        raise _fail(exc) from None
    if output is OutcomeFormat.json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    for figures in result["layers"].values():
        title = Message("{layer}: before and after {at}, {days} days each", layer=figures["name"], at=result["at"],
                        days=result["days"])
        if result["synthetic"]:
            title = Message("{title} · SYNTHETIC DEMO DATA", title=title)
        counts = table(title, Message("area"), Message("period"), Message("count"), Message("per day"),
                       right=(Message("count"), Message("per day")))
        for row in figures["counts"]:
            counts.add_row(named(row["area"], AREA_NAMES), named(row["period"], PERIOD_NAMES), figure(row["count"]),
                           figure(row["rate_per_day"], 3))
        console.print(counts)
        did = table(Message("Difference in differences (affected − comparison), 95 % interval"), Message("estimate"),
                    Message("affected"), Message("comparison"), Message("difference"), Message("interval"),
                    right=(Message("affected"), Message("comparison"), Message("difference")))
        for row in figures["did"]:
            did.add_row(named(row["estimate"], ESTIMATE_NAMES), signed(row["affected_change"], 3), signed(row["comparison_change"], 3),
                        signed(row["did"], 3), f"{figure(row['low'], 3)} … {figure(row['high'], 3)}")
        console.print(did)
        for caveat in figures["caveats"]:
            console.print("– " + caveat)

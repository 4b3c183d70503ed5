"""The promise tracker: every promise of a year with its status, value, target and chart data,
assembled from the store and geo/ figures, for the API, the page and the yearly report."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import date
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import Message, ValidationError
from geo.hotspots import incident_hotspots, placed_hotspots
from geo.events import FIGURES, event_figures, events_per_band
from geo.layers import CAMERAS, EVENTS, INCIDENTS, LIGHTS, REPORTS, USABLE_PRECISION
from geo.fields import LitSurface, field_figures, lit_surface, share_compliant
from geo.programme import Programme, read_programme
from geo.shadows import Obstructions
from geo.lighting import (PEDESTRIAN_CLASSES, LampContributions, LuxGrid, dark_spots, empty_grid, facing_streets,
                          illuminance, lights_at, zone_lighting)
from geo.patrol import PresenceCube, PresenceRules, centre_totals, counted_seconds, zone_targets_h
from geo.photometry import Photometry
from geo.promises import (Promise, PromiseYear, takes_staff_status, closed_in_time, open_and_closed_daily, promise_files, read_promises,
                          recorded_status)
from geo.status import (RECORDABLE_STATUSES, YearClock, elapsed_share, measures_status, programme_status, projected_level,
                        rounds_held, rounds_status, share_status)
from geo.publish import unsafe_places_per_zone
from geo.purple_flag import Lamps, purple_flag_evidence
from geo.survey import year_figures
from geo.text import clean_value
from geo.timestamps import LOCAL_TZ, YEARS, local_day_end, local_year, utc_text
from geo.workflow import closed_unconfirmed
from geo.zones import zone_of
from service.cameras import Ground, views_of
from service.coverage import hotspot_records, stored_obstacles
from service.demo import DEMO_META_KEY
from service.errors import Forbidden, NoSuchThing
from service.outcomes import outcome_report
from service.presence import kept_cube
from service.store import Actor, FeatureQuery, Store
from service.survey import area_names, tracker_survey

RECORDERS = {"municipality": ("municipality", "both"), "police": ("police", "both")}
"""Which role may record a status for promises made by whom."""


class NoPromises(NoSuchThing):
    """No promises file for the year asked for."""


def promised(folder: Path, year: int, kind: str) -> Promise | None:
    """The year's promise measured by ``kind`` (its measure holds the targets), or None when the
    year has no promises file or no such promise; :class:`ValidationError` when the file is bad."""
    files = promise_files(folder)
    if year not in files:
        return None
    return next((p for p in read_promises(files[year]).promises if p.measure.kind == kind), None)


def check_zone_shares(promises: PromiseYear, zones: gpd.GeoDataFrame, source: str) -> None:
    """:class:`ValidationError` naming ``source``, the promise and the field when a presence
    promise shares its hours by a fixed table that names a zone ``zones`` do not have."""
    for number, promise in enumerate(promises.promises, start=1):
        if promise.measure.kind == "patrol_presence" and promise.measure.zone_targets.by == "fixed":
            try:
                zone_targets_h(zones, promise.measure.target_h, promise.measure.zone_targets)
            except ValidationError as exc:
                raise ValidationError(exc.message, file=source, row=f"promise {number} (id {promise.id!r})",
                                      field=exc.field) from None


def check_promise_folder(folder: Path, zones: gpd.GeoDataFrame) -> None:
    """:func:`check_zone_shares` for every readable promises file in ``folder`` (when the service
    starts: a table naming zones that are not there is a setup error, not a client's); files that
    cannot be read are refused when a request reads them."""
    try:
        files = promise_files(folder)
    except ValidationError:
        return
    for path in files.values():
        try:
            promises = read_promises(path)
        except ValidationError:
            continue
        check_zone_shares(promises, zones, str(path))


def promises_fingerprint(folder: Path) -> str:
    """A digest of every file in the promises ``folder`` (names and contents: the promises files and
    the programmes beside them): what a page built from them is keyed by, so an edited file is read
    again."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).glob("*") if p.is_file()):
        digest.update(f"{path.name}:".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def current_programme(folder: Path, today: date) -> Programme | None:
    """The lighting programme of the newest year up to ``today`` whose lighting promise is to
    produce one (``goal: adopt``; a programme a promise is to carry out, such as lighting one route,
    is a part of it), None when there is none."""
    for year in sorted((y for y in promise_files(folder) if y <= today.year), reverse=True):
        promise = promised(folder, year, "lighting")
        if promise is not None and promise.measure.programme and promise.measure.goal == "adopt":
            return read_programme(promise.measure.programme)
    return None


def current_year(folder: Path, today: date) -> int:
    """The newest year up to ``today``'s that has a promises file; :class:`NoPromises` when none has."""
    past = followable_years(folder, today)
    if not past:
        raise NoPromises(Message("no promises file yet"))
    return max(past)


def load_year(folder: Path, year: int) -> PromiseYear:
    """The promises of ``year`` from ``folder``; :class:`NoPromises` naming the years there are
    when it has none, :class:`ValidationError` when its file is bad."""
    files = promise_files(folder)
    if year not in files:
        known = ", ".join(str(y) for y in sorted(files)) or "none"
        raise NoPromises(Message("no promises file for {year} (years with promises: {known})", year=str(year),
                                 known=known))
    return read_promises(files[year])


def may_record(role: str, promise: Promise) -> bool:
    """Whether ``role`` may record a status for ``promise`` (:data:`RECORDERS`)."""
    return promise.promised_by in RECORDERS.get(role, ())


def record_status(store: Store, promises: PromiseYear, promise_id: str, day: date, status: str, note: str,
                  actor: Actor) -> dict:
    """Record a staff status for a ``staff_status`` promise as of local date ``day`` by ``actor``
    (:class:`Forbidden` when its role may not); returns the record."""
    promise = promises.promise(promise_id)
    role = actor.role
    if not may_record(role, promise):
        raise Forbidden(Message("{promise_id!r} was promised by {promised_by}; {role} may not record its status",
                                promise_id=promise_id, promised_by=promise.promised_by, role=role))
    if not takes_staff_status(promise):
        raise ValidationError(Message("{promise_id!r} is measured from the data ({kind}); only promises measured by "
                                      "staff take a recorded status", promise_id=promise_id, kind=promise.measure.kind),
                              field="promise")
    if status not in RECORDABLE_STATUSES:
        raise ValidationError(Message("{status!r} is not one of {recordable_statuses}", status=status,
                                      recordable_statuses=', '.join(RECORDABLE_STATUSES)), field="status")
    note = clean_value(note, "note")
    if not note.strip():
        raise ValidationError(Message("say what the status rests on (a decision, a meeting, a document)"), field="note")
    if day < date(promises.year, 1, 1):
        raise ValidationError(Message("{day} is before {year}", day=day, year=str(promises.year)), field="date")
    if day > pd.Timestamp.now(tz=LOCAL_TZ).date():
        raise ValidationError(Message("{day} is in the future", day=day), field="date")
    store.add_promise_status(promises.year, promise_id, day.isoformat(), status, note.strip(), actor)
    return {"year": promises.year, "promise_id": promise_id, "date": day.isoformat(), "status": status,
            "note": note.strip(), "recorded_by": role}


class _Inputs:
    """The layers and figures the promises need, each read or computed once, on first use."""

    def __init__(self, store: Store, zones: gpd.GeoDataFrame, clock: YearClock, min_count: int,
                 rules: PresenceRules, streets: gpd.GeoDataFrame | None, photometry: Mapping[str, Photometry]) -> None:
        self.store, self.zones, self.clock, self.min_count, self.rules = store, zones, clock, min_count, rules
        self.streets, self.photometry = streets, photometry
        self.year, self.as_of = clock.year, clock.as_of
        self.end = local_day_end(clock.as_of)

    @cached_property
    def events(self) -> gpd.GeoDataFrame:
        """The events held in the year up to ``as_of`` (started in the year, ended by then)."""
        start, _ = local_year(self.year)
        events = self.store.read_features(EVENTS, query=FeatureQuery(start=start, end=self.end))
        return events[events["ends_at"] <= self.end]

    @cached_property
    def cube(self) -> PresenceCube:
        return kept_cube(self.store, self.zones, self.year, self.rules)

    @cached_property
    def reports(self) -> gpd.GeoDataFrame:
        """The reports made up to ``as_of`` (the year's and any still open from before)."""
        return self.store.read_features(REPORTS, query=FeatureQuery(end=self.end))

    @cached_property
    def all_incidents(self) -> gpd.GeoDataFrame:
        """The year's incidents up to ``as_of``, whatever their position's precision."""
        return self.store.read_features(INCIDENTS, query=FeatureQuery(start=local_year(self.year)[0], end=self.end))

    @cached_property
    def incidents(self) -> gpd.GeoDataFrame:
        """The year's incidents up to ``as_of`` placed in a zone (town- and county-level positions left out)."""
        incidents = self.all_incidents[self.all_incidents["location_precision"].isin(USABLE_PRECISION)]
        zone = zone_of(self.zones, incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy())
        return incidents.assign(zone_id=zone)[pd.notna(zone)]

    @cached_property
    def lights(self) -> gpd.GeoDataFrame:
        """The stored lamps, facing the nearest street when their bearing is not recorded."""
        return facing_streets(self.store.read_features(LIGHTS), self.streets)

    @cached_property
    def light_history(self) -> pd.DataFrame:
        """Every change of a lamp's status, with when it happened (:mod:`geo.lamp_history`)."""
        return self.store.light_history()

    @cached_property
    def surface(self) -> LitSurface:
        """The lit surface: the streets' corridors less the stored buildings and water, and its fields."""
        return lit_surface(self.zones, self.streets, stored_obstacles(self.store))

    @cached_property
    def contributions(self) -> LampContributions:
        """Every stored lamp (any may have stood in the year), each one's light at the fields' points
        (with the buildings' shadows): the months' lighting is summed from it, not computed twelve
        times."""
        points = self.surface.points
        return LampContributions(self.lights.assign(status="working"), points["x"], points["y"],
                                 photometry=self.photometry,
                                 obstructions=Obstructions(self.store.read_surfaces("buildings")))

    @cached_property
    def lamps(self) -> Lamps | None:
        """The lamps and fields the lighting at any moment is computed from; None without lamps
        (all planned) or fields (no streets): nothing to model."""
        if not (self.lights["status"] != "planned").any() or self.surface.fields.empty:
            return None
        return Lamps(self.lights, self.light_history, self.outage_reports, self.contributions, self.surface.fields,
                     self.surface.points)

    @cached_property
    def survey(self) -> pd.DataFrame | None:
        """The year's safety survey results as the public sees them (:func:`geo.survey.year_figures`:
        shares from fewer than k answers hidden); None when the year has no survey."""
        results = self.store.survey_results(years=range(YEARS[0], self.year + 1))
        if not (results["year"] == self.year).any():
            return None
        return year_figures(results, self.year, self.min_count)

    @cached_property
    def walkable(self) -> LuxGrid:
        return empty_grid(self.zones, walkable=self.surface.walkable)

    @cached_property
    def outage_reports(self) -> gpd.GeoDataFrame:
        """The broken-light reports that put a lamp out (see :func:`geo.lighting.lights_at`), less
        those staff closed without confirming them, as their history shows."""
        lamps = self.reports[self.reports["category"] == "broken_light"]
        unconfirmed = closed_unconfirmed(self.store.report_history(lamps["id"].tolist()))
        return lamps[~lamps["id"].isin(unconfirmed)]

    @cached_property
    def lighting_series(self) -> pd.DataFrame:
        """The share of field area meeting its class (:mod:`geo.fields`) and the area below its class
        minimum at each month's end up to ``as_of``, and at ``as_of``."""
        moments = [m for m in pd.date_range(f"{self.year}-01-01", periods=12, freq="MS", tz=LOCAL_TZ)[1:]
                   if m < self.end] + [self.end]
        rows = []
        for moment in moments:
            lamps = lights_at(self.lights, self.light_history, self.outage_reports, moment)
            lux = illuminance(lamps, self.walkable, photometry=self.photometry)
            figures = zone_lighting(lux, self.zones)
            points = self.surface.points
            lux_points = self.contributions.lux(lamps.loc[lamps["status"] == "working", "id"].to_numpy(dtype=object))
            fields = field_figures(self.surface.fields, points, lux_points, PEDESTRIAN_CLASSES)
            rows.append({"at": moment, "share": share_compliant(fields),
                         "below_minimum_m2": float((figures["share_below_class_minimum"] * figures["walkable_m2"]).sum())})
        self.lux_now = lux
        return pd.DataFrame(rows).set_index("at")


def promise_tracker(store: Store, zones: gpd.GeoDataFrame, promises: PromiseYear,
                    as_of: date | None = None, *, min_count: int, rules: PresenceRules,
                    streets: gpd.GeoDataFrame | None = None, photometry: Mapping[str, Photometry] | None = None) -> dict:
    """Every promise of ``promises`` with its status, value and target up to local date ``as_of``
    (default: the year's end for a past year, today for the current one; never after today),
    chart data where one helps and the supporting figures it asks for, and the year's outcomes
    beside them (:func:`service.outcomes.outcome_report`, up to ``as_of``). JSON-ready. The year is
    over, and a promise short of its target not met, only once its last day has passed. The
    tracker is public: citizens' counts per zone below ``min_count`` (k) are suppressed."""
    year = promises.year
    clock = YearClock.at(year, as_of, pd.Timestamp.now(tz=LOCAL_TZ).date())
    as_of, year_end = clock.as_of, clock.over
    inputs = _Inputs(store, zones, clock, min_count, rules, streets, photometry or {})
    statuses = store.promise_statuses(year)
    entries = []
    for promise in promises.promises:
        entry = {"id": promise.id, "text": promise.text, "promised_by": promise.promised_by,
                 "promised_by_name": promised_by_name(promises, promise), "how_measured": promise.how_measured,
                 "kind": promise.measure.kind, "basis": promise.basis.model_dump() if promise.basis else None,
                 "carried_over_from": promise.carried_over_from}
        entry.update(_MEASURES[promise.measure.kind](promise, inputs))
        if takes_staff_status(promise):  # (an events promise without a number keeps its figures as details)
            staff = _staff(statuses[statuses["promise_id"] == promise.id], None if year_end else as_of)
            kept = {"value": entry["value"], "unit": entry["unit"], "details": entry["details"] | staff["details"]} \
                if promise.measure.kind == "events" else {}
            entry.update(staff | kept)
        entry["supporting"] = {name: _SUPPORTING[name](inputs) for name in promise.supporting}
        entries.append(entry)
    counts = pd.Series([e["status"] for e in entries]).value_counts()
    return {"year": year, "as_of": as_of.isoformat(), "year_over": year_end,
            "share_of_year_elapsed": round(elapsed_share(year, as_of), 4),
            "title": promises.title, "parties": promises.parties, "source": promises.source,
            "synthetic": store.get_meta(DEMO_META_KEY) is not None, "status_counts": {k: int(v) for k, v in counts.items()},
            "promises": entries, "outcomes": outcome_report(store, zones, year, min_count=min_count, as_of=as_of)}


PREVIOUS_FIELDS = ("id", "kind", "status", "value", "target", "unit", "details")
"""What the tracker shows of a carried-over promise's result in the year before."""


def followable_years(folder: Path, today: date) -> list[int]:
    """The years with a promises file that have begun by ``today``, ascending."""
    return sorted(year for year in promise_files(folder) if year <= today.year)


def link_years(report: dict, years: list[int], tracked: Callable[[int], dict]) -> dict:
    """``report`` (of :func:`promise_tracker`) with the neighbouring ``years`` that have promises
    (``years``: previous and next, null at either end) and, for each promise carried over from an
    earlier year, that promise's result there (``previous``; ``tracked(year)`` gives that year's
    whole-year report)."""
    year = report["year"]
    earlier, later = [y for y in years if y < year], [y for y in years if y > year]
    promises = []
    for entry in report["promises"]:
        entry = dict(entry)
        if entry["carried_over_from"]:
            from_year, from_id = entry["carried_over_from"].split("/")
            before = next(p for p in tracked(int(from_year))["promises"] if p["id"] == from_id)
            entry["previous"] = {"year": int(from_year), **{name: before[name] for name in PREVIOUS_FIELDS}}
        promises.append(entry)
    return {**report, "years": {"previous": earlier[-1] if earlier else None, "next": later[0] if later else None},
            "promises": promises}


def promised_by_name(promises: PromiseYear, promise: Promise) -> str:
    """Who made ``promise``, named as the year's parties are (both of them for a joint promise)."""
    names = [promises.parties.get("police", "Polisen"), promises.parties.get("municipality", "Kommunen")]
    return {"police": names[0], "municipality": names[1], "both": " och ".join(names)}[promise.promised_by]


def _presence(promise: Promise, inputs: _Inputs) -> dict:
    target, counting = promise.measure.target_h, promise.measure.counts
    cube = inputs.cube
    totals = centre_totals(cube, inputs.clock, target, counting)
    days = pd.date_range(f"{inputs.year}-01-01", inputs.as_of, freq="D")
    daily_h = counted_seconds(cube, counting)[:-1, :len(days)].sum(axis=(0, 2)) / 3600
    patrol_h = float((cube.presence_s + cube.drive_s + cube.vehicle_s)[:, :len(days)].sum()) / 3600  # in the zones or not
    status = "not measurable yet" if patrol_h == 0 else totals["status"]
    return {"status": status, "value": round(totals["promise_h"], 1), "target": target, "unit": "h",
            "details": {"expected_h_pro_rata": round(totals["expected_h_pro_rata"], 1),
                        "projected_year_end_h": round(totals["projected_year_end_h"], 1),
                        "counts": counting.model_dump(), "presence_h": round(totals["presence_h"], 1),
                        "officer_h": round(totals["officer_h"], 1), "vehicle_h": round(totals["vehicle_h"], 1),
                        "presence_log_h": round(totals["presence_log_h"], 1),
                        "drive_through_h": round(totals["drive_through_h"], 1), "patrol_h": round(patrol_h, 2)},
            "chart": {"kind": "cumulative_presence", "days": [d.date().isoformat() for d in days],
                      "cumulative_h": np.round(np.cumsum(daily_h), 2).tolist(),
                      "pro_rata_h": np.round(target * np.arange(1, len(days) + 1) / cube.days, 2).tolist()}}


def _rounds(promise: Promise, inputs: _Inputs) -> dict:
    measure = promise.measure
    rounds = inputs.store.removal_rounds()
    rounds = rounds[rounds["day"].between(f"{inputs.year}-01-01", inputs.as_of.isoformat())]
    held = {c: rounds[rounds["category"] == c] for c in measure.categories}
    value = min(rounds_held(r["day"]) for r in held.values())
    status = rounds_status(value, measure.target_rounds, inputs.clock)
    return {"status": status, "value": value, "target": measure.target_rounds, "unit": "rundor",
            "details": {"per_category": {c: {"rounds": rounds_held(r["day"]), "dates": r["day"].tolist(),
                                             "closed_reports": int(r["closed"].sum())} for c, r in held.items()}},
            "chart": _open_closed_chart(inputs, measure.categories,
                                        [{"date": d, "category": c} for c, r in held.items() for d in r["day"]])}


def _open_closed_chart(inputs: _Inputs, categories: list[str], rounds: list[dict]) -> dict:
    daily = open_and_closed_daily(inputs.reports, categories, inputs.year, inputs.as_of)
    return {"kind": "open_closed", "categories": categories, "days": [d.isoformat() for d in daily.index],
            "open": daily["open"].tolist(), "closed_in_year": daily["closed_in_year"].tolist(), "rounds": rounds}


def _cleaning(promise: Promise, inputs: _Inputs) -> dict:
    measure = promise.measure
    figures = closed_in_time(inputs.reports, measure.categories, inputs.year, inputs.as_of, measure.target_days)
    status = share_status(figures["share"], measure.target_share, inputs.clock)
    share = figures.pop("share")
    return {"status": status, "value": None if share is None else round(share, 4), "target": measure.target_share,
            "unit": "andel", "details": {"target_days": measure.target_days, **figures},
            "chart": _open_closed_chart(inputs, measure.categories, [])}


def _lighting(promise: Promise, inputs: _Inputs) -> dict:
    """The lighting promise: to produce the lighting programme (met once adopted; see
    :func:`geo.status.programme_status`), with the programme's progress and the modelled
    compliance of the calculation fields as its supporting trend."""
    programme = read_programme(promise.measure.programme) if promise.measure.programme else None
    as_of = inputs.as_of
    adopted = programme.adopted if programme and programme.adopted_by(as_of) else None
    entry = {"status": programme_status(programme.adopt_by if programme else None, adopted, inputs.clock),
             "value": 1 if adopted else 0, "target": 1, "unit": "antaget program",
             "details": {"goal": promise.measure.goal, "programme": None if programme is None else {
                 "title": programme.title, "synthetic": programme.synthetic, "adopt_by": programme.adopt_by.isoformat(),
                 "adopted": adopted.isoformat() if adopted else None, "progress": programme.progress(as_of)}}}
    if promise.measure.goal == "carry_out":
        done = programme.done_by(as_of) if programme else 0
        measures = len(programme.measures) if programme else 0
        overdue = len(programme.progress(as_of)["overdue"]) if programme else 0
        entry.update(status=measures_status(measures, done, overdue, inputs.clock), value=done, target=measures,
                     unit="åtgärder klara")
    if not (inputs.lights["status"] != "planned").any() or inputs.surface.fields.empty:
        entry["details"]["compliance"] = None  # no lamps or no streets: nothing to model
        return entry
    series = inputs.lighting_series
    spots = dark_spots(inputs.lux_now, inputs.zones)
    entry["details"]["compliance"] = {
        "share": round(float(series["share"].iloc[-1]), 4), "share_at_start": round(float(series["share"].iloc[0]), 4),
        "projected_year_end_share": round(projected_level(series["share"], inputs.clock.year_end), 4),
        "dark_spots": len(spots), "dark_spot_m2": round(float(spots["area_m2"].sum()), 1),
        "below_class_minimum_m2": round(float(series["below_minimum_m2"].iloc[-1]), 1)}
    entry["chart"] = {"kind": "lighting_trend",  # each value holds at the end of its day
                      "moments": [(m - pd.Timedelta(1, "ns")).date().isoformat() for m in series.index],
                      "share": series["share"].round(4).tolist()}
    return entry


def _staff_measure(promise: Promise, inputs: _Inputs) -> dict:
    return {}


def _events(promise: Promise, inputs: _Inputs) -> dict:
    """The events held in the year up to ``as_of`` (ended by then), against ``target_events`` when
    the promise has one; details: the events per Purple Flag band and each event's figures against
    its ordinary evenings (:mod:`geo.events`)."""
    held = inputs.events
    figures = event_figures(held, inputs.zones, inputs.cube, inputs.all_incidents, inputs.reports, until=inputs.end,
                            min_count=inputs.min_count)
    bands = events_per_band(held, inputs.year)
    target = promise.measure.target_events
    status = "not measurable yet" if target is None else rounds_status(len(held), target, inputs.clock)
    return {"status": status, "value": len(held), "target": target, "unit": "evenemang",
            "details": {"per_band": {band: {"events": int(row["events"]), "event_hours": round(float(row["event_hours"]), 1)}
                                     for band, row in bands.iterrows()},
                        "events": [{"id": row["id"], "name": row["name"], "kind": row["kind"],
                                    "starts_at": utc_text(row["starts_at"]), "zones": list(row["zones"]),
                                    "comparison_windows": int(row["comparison_windows"]),
                                    **{f"{figure}{stat}": None if pd.isna(row[f"{figure}{stat}"])
                                       else round(float(row[f"{figure}{stat}"]), 2)
                                       for figure in FIGURES for stat in ("", "_mean")}}
                                   for row in figures.to_dict("records")]}}


def _staff(records: pd.DataFrame, until: date | None) -> dict:
    """Status from the latest staff record (on or before ``until``; any, for the year's follow-up)."""
    latest = recorded_status(records, until or date.max)
    history = [{"date": r.day, "status": r.status, "note": r.note, "recorded_by": r.recorded_by}
               for r in records.itertuples() if until is None or r.day <= until.isoformat()]
    if latest is None:
        return {"status": "not measurable yet", "value": None, "target": None, "unit": None,
                "details": {"note": "ingen status registrerad ännu"}, "history": history}
    return {"status": latest["status"], "value": None, "target": None, "unit": None,
            "details": {"date": latest["day"], "note": latest["note"], "recorded_by": latest["recorded_by"]},
            "history": history}


def _purple_flag(inputs: _Inputs) -> dict:
    """The Purple Flag evidence of the year up to ``as_of`` (:func:`geo.purple_flag.purple_flag_evidence`):
    the tracker's supporting figure and the page /purple-flag/{year} are this one figure."""
    precision = inputs.all_incidents["location_precision"]
    return purple_flag_evidence(inputs.year, inputs.end, cube=inputs.cube, incidents=inputs.incidents,
                                town_level=inputs.all_incidents[~precision.isin(USABLE_PRECISION)],
                                reports=inputs.reports, min_count=inputs.min_count, lamps=inputs.lamps,
                                events=inputs.events, survey=inputs.survey, area_names=area_names(inputs.zones))


def purple_flag_report(store: Store, zones: gpd.GeoDataFrame, year: int, as_of: date | None = None, *,
                       min_count: int, rules: PresenceRules, streets: gpd.GeoDataFrame | None = None,
                       photometry: Mapping[str, Photometry] | None = None) -> dict:
    """The Purple Flag evidence of ``year`` up to local date ``as_of`` (as :func:`promise_tracker`
    counts it), with the stored safety survey's questions about the evening, the follow-up's date
    and whether the data is synthetic. Public: citizens' counts below ``min_count`` (k) are
    suppressed."""
    clock = YearClock.at(year, as_of, pd.Timestamp.now(tz=LOCAL_TZ).date())
    inputs = _Inputs(store, zones, clock, min_count, rules, streets, photometry or {})
    return {**_purple_flag(inputs), "as_of": clock.as_of.isoformat(), "year_over": clock.over,
            "synthetic": store.get_meta(DEMO_META_KEY) is not None}


def _unsafe_places(inputs: _Inputs) -> dict:
    """The year's unsafe-place pins per zone. The tracker (JSON, page, yearly report) is public,
    so counts below k (``STADSKARNA_PRIVACY_MIN_COUNT``) are always suppressed."""
    reports = inputs.reports
    local = reports["created_at"].dt.tz_convert(LOCAL_TZ)
    pins = reports[(reports["category"] == "unsafe_place") & (local.dt.year == inputs.year)
                   & (reports["created_at"] < inputs.end)]
    return unsafe_places_per_zone(pins, inputs.zones, inputs.min_count)


def _hotspots(inputs: _Inputs) -> dict:
    spots = placed_hotspots(incident_hotspots(inputs.incidents, inputs.zones), inputs.zones)
    per_zone = inputs.incidents["zone_id"].value_counts()
    names = inputs.zones.set_index("zone_id")["name"]
    precision = inputs.all_incidents["location_precision"]
    return {"incidents": len(inputs.incidents), "town_level_incidents": int((precision == "town").sum()),
            "county_level_incidents": int((precision == "county").sum()),
            "hotspots": [{**row, "name": names.get(row["zone_id"])} for row in hotspot_records(
                spots, ["hotspot_id", "zone_id", "incidents", "area_m2", "z", "p", "lon", "lat"])],
            "per_zone": {z: int(per_zone.get(z, 0)) for z in inputs.zones["zone_id"]}}


def _camera_views(inputs: _Inputs) -> dict:
    """The cameras by status (as stored now): how many, the ground they see together (m²) and how
    many of the year's located incidents in its hot spots (up to ``as_of``) lie inside their views."""
    views = views_of(inputs.store.read_features(CAMERAS), inputs.store.read_surfaces("buildings"))
    reports = inputs.reports
    unsafe = reports[(reports["category"] == "unsafe_place")
                     & (reports["created_at"].dt.tz_convert(LOCAL_TZ).dt.year == inputs.year)]
    ground = Ground.of(inputs.all_incidents, unsafe, inputs.zones, inputs.streets)
    return {"hotspot_incidents": int(ground.hotspots["incidents"].sum()), "by_status": {
        status: {"cameras": f["cameras"], "area_m2": f["area_m2"],
                 "hotspot_incidents_seen": sum(h["seen"] for h in f["hotspots"]),
                 "covered_hotspots": [h["hotspot_id"] for h in f["covered_hotspots"]]}
        for status, f in ground.by_status(views, inputs.min_count).items()}}


_MEASURES = {"patrol_presence": _presence, "removal_rounds": _rounds, "cleaning": _cleaning, "lighting": _lighting,
             "events": _events, "staff_status": _staff_measure}


def _survey(inputs: _Inputs) -> dict:
    """The year's safety survey per question and area (:func:`service.survey.tracker_survey`; public: k)."""
    return tracker_survey(inputs.store, inputs.zones, inputs.year, inputs.min_count)


_SUPPORTING = {"purple_flag_bands": _purple_flag, "unsafe_places": _unsafe_places, "incident_hotspots": _hotspots,
               "survey": _survey, "camera_views": _camera_views}

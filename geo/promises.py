"""The promises of a year's medborgarlöfte as data, and the rules that give each one a status.

A year's promises live in ``data/medborgarloften/<year>.yaml`` (see :func:`read_promises`). Each
promise has a ``measure`` whose ``kind`` says how it is followed up:

- ``patrol_presence``: visible police presence hours in the centre against ``target_h`` a year,
  counted as ``counts`` says (unit- or officer-hours, vehicles or not, and why) and shared out
  among the zones as ``zone_targets`` says (by area, by incidents, or a fixed table);
- ``removal_rounds``: removal rounds per report category against ``target_rounds`` a year;
- ``cleaning``: share of the year's reports of some categories closed within ``target_days``;
- ``lighting``: the lighting programme the promise is to produce (``programme``, a file beside the
  promises file, :mod:`geo.programme`): met once adopted, on track until the day it is to be
  adopted by; the modelled compliance of the calculation fields is its supporting trend;
- ``events``: the events held in the centre in the year (:mod:`geo.events`), with their figures
  and the events per Purple Flag band; against ``target_events`` a year when the promise has a
  number, else staff record its status as for ``staff_status`` (:func:`takes_staff_status`);
- ``staff_status``: no figure measures it; staff record a status with a date and a note.

Each promise may say what it rests on (``basis``: a public source, carried over from an earlier
year, or a synthetic example) and which earlier promise it carries on (``carried_over_from:
"2020/polisnarvaro"``, checked against that year's file when the file is read).

Statuses and the rule that gives them are in :mod:`geo.status`.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, Union

import numpy as np
import pandas as pd
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from geo.errors import Message, ValidationError
from geo.io.documents import first_problem, located_entry, read_yaml
from geo.layers import REMOVAL_CATEGORIES, REPORT_CATEGORIES
from geo.programme import read_programme
from geo.timestamps import LOCAL_TZ, YEARS, local_day_end

SUPPORTING_FIGURES = ("purple_flag_bands", "unsafe_places", "incident_hotspots", "survey", "camera_views")
"""Supporting figures a promise may ask for, shown beside its status."""

class UnknownPromise(LookupError):
    """No promise with that id in the year."""


_Strict = ConfigDict(extra="forbid")
_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


COUNTED_HOURS_NAMES = {"unit": "patrulltimmar (en patrull på plats en timme är en timme)",
                       "officer": "polistimmar (en timme för varje polis i patrullen)"}
"""The hours a presence promise may count, in Swedish."""


class PresenceCounting(BaseModel):
    """Which presence the promise's hours are: hours of a unit (a patrol) on the spot, or of each
    officer in it (× crew); with or without vehicles standing or at walking pace. Foot, bike and
    horse patrols at their pace always count (:class:`geo.patrol.PresenceRules`)."""

    model_config = _Strict
    hours: Literal["unit", "officer"] = "unit"
    vehicles: bool = False
    reason: str = Field("not stated in the promises file", min_length=1, description="why the promise counts these")

    @pydantic.model_validator(mode="after")
    def _kept(self) -> PresenceCounting:
        if self.hours == "officer" and self.vehicles:
            raise ValueError("officer-hours are kept for foot, bike and horse patrols only; count vehicles "
                             "in unit-hours (hours: unit) or leave them out (vehicles: false)")
        return self


class ZoneTargets(BaseModel):
    """How the year's hours are shared out among the zones: in proportion to each zone's area, to
    its incidents of the year (risk), or by a fixed table of shares (zone id: share, summing to 1)."""

    model_config = _Strict
    by: Literal["area", "incidents", "fixed"] = "area"
    shares: dict[str, float] | None = None

    @pydantic.model_validator(mode="after")
    def _table(self) -> ZoneTargets:
        if (self.by == "fixed") != (self.shares is not None):
            raise ValueError("give shares (zone id: share) with by: fixed, and only then")
        if self.shares is not None:
            if not self.shares or any(not (share >= 0) for share in self.shares.values()):
                raise ValueError("shares are zone ids with shares of 0 or more")
            if abs(sum(self.shares.values()) - 1) > 0.001:
                raise ValueError(f"the shares add up to {sum(self.shares.values()):g}, not 1")
        return self


class PatrolPresence(BaseModel):
    model_config = _Strict
    kind: Literal["patrol_presence"]
    target_h: float = Field(gt=0, description="presence hours a year")
    counts: PresenceCounting = PresenceCounting()
    zone_targets: ZoneTargets = ZoneTargets()


class RemovalRounds(BaseModel):
    model_config = _Strict
    kind: Literal["removal_rounds"]
    categories: list[Literal[REMOVAL_CATEGORIES]] = Field(min_length=1)  # type: ignore[valid-type]
    target_rounds: int = Field(ge=1, description="rounds a year in each category")


class Cleaning(BaseModel):
    model_config = _Strict
    kind: Literal["cleaning"]
    categories: list[Literal[REPORT_CATEGORIES]] = Field(min_length=1)  # type: ignore[valid-type]
    target_days: float = Field(gt=0, description="days from report to closing")
    target_share: float = Field(gt=0, le=1, description="share of reports closed in time")


class Lighting(BaseModel):
    model_config = _Strict
    kind: Literal["lighting"]
    programme: str | None = Field(None, min_length=1, description="the lighting programme's file (geo.programme), "
                                                                  "beside the promises file; null: none written yet")
    goal: Literal["adopt", "carry_out"] = Field("adopt", description="adopt: to produce the programme (met once "
                                                "adopted); carry_out: to do its measures (met once all are done)")


class Events(BaseModel):
    model_config = _Strict
    kind: Literal["events"]
    target_events: int | None = Field(None, ge=1, description="events a year; null: no number promised (staff "
                                                                "record the status)")


class StaffStatus(BaseModel):
    model_config = _Strict
    kind: Literal["staff_status"]


MEASURE_KIND_NAMES = {"patrol_presence": "Polisnärvaro", "removal_rounds": "Klotter- och ogräsrundor",
                      "cleaning": "Städning", "lighting": "Belysning", "events": "Evenemang",
                      "staff_status": "Löften som personalen följer upp"}
"""The kinds of measure, in the order the comparison shows them, with their Swedish names."""

Measure = Annotated[Union[PatrolPresence, RemovalRounds, Cleaning, Lighting, Events, StaffStatus],
                    Field(discriminator="kind")]


BASIS_KINDS = {"public_source": "offentlig källa", "carried_over": "förs över från året innan",
               "synthetic_example": "syntetiskt exempel"}
"""What a promise may rest on, in Swedish."""


class Basis(BaseModel):
    """What a promise rests on: a public source, an earlier year's promise carried over (nothing
    says it ended), or a synthetic example; ``note`` says which source or why."""

    model_config = _Strict
    kind: Literal[tuple(BASIS_KINDS)]  # type: ignore[valid-type]
    note: str = Field(min_length=1)


class Promise(BaseModel):
    """One promise: its text as given (Swedish), who promised it, how it is measured, what it
    rests on and the earlier promise it carries on, if any."""

    model_config = _Strict
    id: str = Field(pattern=_SLUG, description="lower-case words joined by hyphens")
    text: str = Field(min_length=1)
    promised_by: Literal["police", "municipality", "both"]
    measure: Measure
    how_measured: str = Field(min_length=1)
    supporting: list[Literal[SUPPORTING_FIGURES]] = []  # type: ignore[valid-type]
    basis: Basis | None = None
    carried_over_from: str | None = Field(None, pattern=r"^\d{4}/[a-z0-9]+(?:-[a-z0-9]+)*$",
                                          description="the earlier promise it carries on: year/id")

    @pydantic.model_validator(mode="after")
    def _carried(self) -> Promise:
        if self.basis is not None and self.basis.kind == "carried_over" and self.carried_over_from is None:
            raise ValueError("a promise carried over says from where: carried_over_from: <year>/<id>")
        return self

    @property
    def previous(self) -> tuple[int, str] | None:
        """The year and id of the promise it carries on, or None."""
        if self.carried_over_from is None:
            return None
        year, promise_id = self.carried_over_from.split("/")
        return int(year), promise_id


def takes_staff_status(promise: Promise) -> bool:
    """Whether staff record the promise's status: no figure measures it (``staff_status``), or its
    figures have no target (``events`` without ``target_events``)."""
    measure = promise.measure
    return measure.kind == "staff_status" or (measure.kind == "events" and measure.target_events is None)


class PromiseYear(BaseModel):
    """A year's medborgarlöfte: title, parties, source and its promises (ids unique)."""

    model_config = _Strict
    year: int = Field(ge=YEARS[0], le=YEARS[1])
    title: str = Field(min_length=1)
    parties: dict[Literal["police", "municipality"], str]
    source: str = Field(min_length=1)
    promises: list[Promise] = Field(min_length=1)

    def promise(self, promise_id: str) -> Promise:
        """The promise with ``promise_id``, or :class:`UnknownPromise` naming the ones there are."""
        for promise in self.promises:
            if promise.id == promise_id:
                return promise
        raise UnknownPromise(Message("no promise {promise_id!r} in {year}; the promises are {ids}",
                                     promise_id=promise_id, year=str(self.year),
                                     ids=", ".join(p.id for p in self.promises)))


def read_promises(path: str | Path) -> PromiseYear:
    """Read and check a year's promises file (YAML or JSON). Any problem raises
    :class:`ValidationError` naming the file, the promise and the field."""
    path = Path(path)
    year = parse_promises(read_yaml(path), str(path), expected_year=_year_of(path))
    for number, promise in enumerate(year.promises, start=1):
        if promise.measure.kind == "lighting" and promise.measure.programme is not None:
            programme = path.parent / promise.measure.programme
            if not programme.is_file():
                raise ValidationError(Message("no programme file {programme!r} beside the promises file",
                                              programme=promise.measure.programme),
                                      file=str(path), row=f"promise {number} (id {promise.id!r})",
                                      field="measure.programme")
            read_programme(programme)
            promise.measure.programme = str(programme)
        if promise.previous is not None:
            _check_carried(path, year.year, number, promise)
    return year


def _check_carried(path: Path, year: int, number: int, promise: Promise) -> None:
    """:class:`ValidationError` naming the file, the promise and ``carried_over_from`` when the
    promise it carries on is not in an earlier year's file beside ``path``."""
    earlier, promise_id = promise.previous
    where = {"file": str(path), "row": f"promise {number} (id {promise.id!r})", "field": "carried_over_from"}
    if earlier >= year:
        raise ValidationError(Message("{earlier} is not before {year}; a promise is carried over from an earlier year",
                                      earlier=str(earlier), year=str(year)), **where)
    files = promise_files(path.parent)
    if earlier not in files:
        raise ValidationError(Message("no promises file for {earlier} beside this one", earlier=str(earlier)), **where)
    try:
        read_promises(files[earlier]).promise(promise_id)
    except UnknownPromise as exc:
        raise ValidationError(exc.args[0], **where) from None


def parse_promises(doc: object, source: str = "promises", expected_year: int | None = None) -> PromiseYear:
    """Check a parsed promises document; ``expected_year`` (from the file name) must match its year."""
    if not isinstance(doc, dict):
        raise ValidationError(Message("expected a mapping with year, title, parties, source and promises"), file=source)
    try:
        year = PromiseYear.model_validate(doc)
    except pydantic.ValidationError as exc:
        raise _located(first_problem(exc.errors()), doc, source) from None
    if expected_year is not None and year.year != expected_year:
        raise ValidationError(Message("the file is named for {expected_year} but says year {year}",
                                      expected_year=str(expected_year), year=str(year.year)), file=source,
                              field="year")
    seen: dict[str, int] = {}
    for number, promise in enumerate(year.promises, start=1):
        if promise.id in seen:
            raise ValidationError(Message("id {id!r} is also used by promise {seen}; ids must be unique",
                                          id=promise.id, seen=seen[promise.id]),
                                  file=source, row=f"promise {number} (id {promise.id!r})", field="id")
        seen[promise.id] = number
    return year


def _located(error: dict, doc: dict, source: str) -> ValidationError:
    """A pydantic error as a ValidationError naming the promise (number and id) and the field."""
    row, loc = located_entry(list(error["loc"]), doc, "promises", "promise")
    if len(loc) >= 2 and loc[0] == "measure" and isinstance(loc[1], str) and not loc[1].startswith(("kind", "__")):
        loc = [loc[0], *loc[2:]]  # drop the discriminator's tag ("measure.patrol_presence.target_h")
    field = ".".join(str(part) for part in loc) or None
    message = error["msg"]
    if error["type"] == "extra_forbidden" and not message.startswith("unknown field"):
        message = "unknown field (check the spelling)"
    elif error["type"] == "string_pattern_mismatch" and loc == ["id"]:
        message = "an id is lower-case words of a-z and 0-9 joined by hyphens, like 'purple-flag'"
    elif error["type"] == "union_tag_invalid":
        message = "unknown kind; choose one of patrol_presence, removal_rounds, cleaning, lighting, events, staff_status"
    elif error["type"] == "union_tag_not_found":
        message = "a measure needs a kind"
    return ValidationError(message, file=source, row=row, field=field)


def _year_of(path: Path) -> int | None:
    return int(path.stem) if re.fullmatch(r"\d{4}", path.stem) else None


def promise_files(folder: str | Path) -> dict[int, Path]:
    """The promises files in ``folder`` by year (``2020.yaml``, ``2021.yml``, ``2022.json`` …)."""
    files: dict[int, Path] = {}
    for path in sorted(Path(folder).glob("*")):
        if path.suffix in (".yaml", ".yml", ".json") and (year := _year_of(path)) is not None:
            if year in files:
                raise ValidationError(Message("two promises files for {year}: {name} and {other}; keep one",
                                              year=str(year), name=files[year].name, other=path.name),
                                      file=str(folder))
            files[year] = path
    return files


# --- staff records ---------------------------------------------------------------------------------

def recorded_status(records: pd.DataFrame, as_of: date) -> pd.Series | None:
    """The latest staff record (columns ``day`` as ISO dates, ``status``, ``note``) on or before
    ``as_of``, or None when there is none."""
    if records.empty:
        return None
    valid = records[records["day"] <= as_of.isoformat()]
    return None if valid.empty else valid.sort_values(["day", "recorded_at"]).iloc[-1]


# --- measures from layers ---------------------------------------------------------------------------

def closed_in_time(reports: pd.DataFrame, categories: list[str], year: int, as_of: date,
                   target_days: float) -> dict:
    """Of the reports in ``categories`` made in ``year`` up to ``as_of`` (local dates): how many
    were closed within ``target_days`` (as known at the end of ``as_of``), how many were not
    (closed later, or still open and older than that), and how many are still undecided (open and
    younger). ``share`` is in time / decided, None when nothing is decided yet."""
    end = local_day_end(as_of)
    created_local = reports["created_at"].dt.tz_convert(LOCAL_TZ)
    mine = reports[reports["category"].isin(categories) & (created_local.dt.year == year)
                   & (reports["created_at"] < end)]
    closed = mine["closed_at"].notna() & (mine["closed_at"] < end)
    waited = (mine["closed_at"].where(closed, end) - mine["created_at"]).dt.total_seconds() / 86400
    in_time = closed & (waited <= target_days)
    late = waited > target_days
    decided = int(in_time.sum() + late.sum())
    return {"reports": len(mine), "in_time": int(in_time.sum()), "late": int(late.sum()),
            "undecided": int(len(mine) - decided), "share": float(in_time.sum() / decided) if decided else None}


def open_and_closed_daily(reports: pd.DataFrame, categories: list[str], year: int, as_of: date) -> pd.DataFrame:
    """For every local day of ``year`` up to ``as_of``: reports in ``categories`` open at the
    day's end (made any time before, not yet closed) and closed during the year so far."""
    days = pd.date_range(f"{year}-01-01", as_of, freq="D", tz=LOCAL_TZ)
    ends = np.array([local_day_end(day).value for day in days.date], dtype=np.int64)
    mine = reports[reports["category"].isin(categories)]
    created = np.sort(mine["created_at"].dt.as_unit("ns").astype("int64").to_numpy())
    closed_at = mine["closed_at"].dropna().dt.as_unit("ns").astype("int64").to_numpy()
    closed_sorted = np.sort(closed_at)
    made = np.searchsorted(created, ends, side="left")
    closed = np.searchsorted(closed_sorted, ends, side="left")
    before_year = np.searchsorted(closed_sorted, days[0].value, side="left")
    return pd.DataFrame({"open": made - closed, "closed_in_year": closed - before_year},
                        index=pd.Index(days.date, name="day"))

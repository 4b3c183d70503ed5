"""The lighting programme (belysningsprogram) as data: named measures with dates, cost and the
fields they should fix, and what each does to the modelled lighting.

A programme file (YAML or JSON, UTF-8)::

    title: Belysningsprogram för Halmstads stadskärna
    adopt_by: 2020-11-30        # when the municipality means to adopt it
    adopted: 2020-11-24         # when it was adopted (null: not yet)
    source: "…"
    measures:
      - id: storgatan-norra     # lower-case words joined by hyphens, unique
        name: Fler armaturer på Storgatan norr om Stora Torg
        kind: new_lamps         # new_lamps, replace_lamps, repair or dimming
        planned: 2021-05-31     # to be done by
        done: null              # the day it was done (null: not yet)
        cost_sek: 420000
        fixes: [storgatan-16]   # calculation fields (geo.fields) it should bring to their class
        lamps:                  # new_lamps, replace_lamps: the lamps put up (a lights layer's fields)
          - {id: p-1, lon: 12.8581, lat: 56.6760, lumen: 4000, height_m: 6}
        takes_down: [light-0101]  # replace_lamps: the lamps it replaces; repair: the lamps it mends
        profile: "1800:1,2300:0.5"  # dimming: the operating profile from then on (hours:share)

A measure acts on the lamps as they are: :func:`apply_measure` gives the lights layer with it
done. Figures (fields fixed, compliance gained, energy) are computed by the caller with
:mod:`geo.fields` and :mod:`geo.energy`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from geo.energy import OperatingProfile
from geo.errors import Message, ValidationError
from geo.layers import LIGHTS, validate
from geo.io.documents import first_problem, located_entry, read_yaml

_Strict = ConfigDict(extra="forbid")
MEASURE_KINDS = {"new_lamps": "Nya armaturer", "replace_lamps": "Byte av armaturer", "repair": "Lagning",
                 "dimming": "Ändrad dimring"}
"""The kinds of measure and their Swedish names."""
_PROFILE = r"^\s*\d+(\.\d+)?:\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?:\d+(\.\d+)?)*\s*$"


class Measure(BaseModel):
    """One measure of the programme."""

    model_config = _Strict
    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    name: str = Field(min_length=1)
    kind: Literal["new_lamps", "replace_lamps", "repair", "dimming"]
    planned: date
    done: date | None = None
    cost_sek: float = Field(0, ge=0)
    fixes: list[str] = []
    lamps: list[dict] = []
    takes_down: list[str] = []
    profile: str | None = Field(None, pattern=_PROFILE)

    @pydantic.model_validator(mode="after")
    def _what_it_needs(self) -> Measure:
        needs = {"new_lamps": ("lamps",), "replace_lamps": ("lamps", "takes_down"), "repair": ("takes_down",),
                 "dimming": ("profile",)}[self.kind]
        for name in needs:
            if not getattr(self, name):
                raise ValueError(f"a {self.kind} measure needs {name}")
        return self

    def operating_profile(self) -> OperatingProfile | None:
        """The dimming measure's profile as (hours, share) pairs."""
        if self.profile is None:
            return None
        return tuple((float(h), float(s)) for h, s in (part.split(":") for part in self.profile.split(",")))


class Programme(BaseModel):
    """A lighting programme: title, adoption, source and its measures (ids unique)."""

    model_config = _Strict
    title: str = Field(min_length=1)
    adopt_by: date
    adopted: date | None = None
    source: str = Field(min_length=1)
    synthetic: bool = False
    measures: list[Measure] = []

    def adopted_by(self, day: date) -> bool:
        """Whether it was adopted on or before ``day``."""
        return self.adopted is not None and self.adopted <= day

    def done_by(self, day: date) -> int:
        """How many of its measures were done on or before ``day``, whenever they were planned."""
        return sum(m.done is not None and m.done <= day for m in self.measures)

    def progress(self, day: date) -> dict:
        """Measures planned by ``day`` and how many of them were done by it, and on time."""
        due = [m for m in self.measures if m.planned <= day]
        done = [m for m in due if m.done is not None and m.done <= day]
        return {"measures": len(self.measures), "due": len(due), "done": len(done),
                "done_on_time": sum(m.done <= m.planned for m in done),
                "done_share": round(len(done) / len(due), 4) if due else None,
                "overdue": [m.id for m in due if m.done is None or m.done > day],
                "cost_planned_sek": sum(m.cost_sek for m in self.measures),
                "cost_done_sek": sum(m.cost_sek for m in self.measures if m.done is not None and m.done <= day)}


def read_programme(path: str | Path) -> Programme:
    """Read and check a programme file; errors name the file, the measure and the field. The
    measures' lamps are checked as a lights layer is (:func:`new_lamps`)."""
    source = str(path)
    doc = read_yaml(path)
    if not isinstance(doc, dict):
        raise ValidationError(Message("expected a mapping with title, adopt_by, source and measures"), file=source)
    try:
        programme = Programme.model_validate(doc)
    except pydantic.ValidationError as exc:
        error = first_problem(exc.errors())
        row, loc = located_entry(list(error["loc"]), doc, "measures", "measure")
        raise ValidationError(error["msg"], file=source, row=row, field=".".join(map(str, loc)) or None) from None
    seen: set[str] = set()
    for number, measure in enumerate(programme.measures, start=1):
        row = f"measure {number} (id {measure.id!r})"
        if measure.id in seen:
            raise ValidationError(Message("the id is used twice; ids must be unique"), file=source, row=row, field="id")
        seen.add(measure.id)
        new_lamps(measure, f"{source}, {row}")
    return programme


def new_lamps(measure: Measure, source: str) -> gpd.GeoDataFrame:
    """The lamps a measure puts up, as a validated lights layer (working, installed when done)."""
    if not measure.lamps:
        return validate(LIGHTS, pd.DataFrame(columns=["id", "lumen", "height_m", "status", "lon", "lat"]), source)
    raw = pd.DataFrame([{"status": "working", **lamp} for lamp in measure.lamps])
    if measure.done is not None and "installed_at" not in raw:
        raw["installed_at"] = pd.Timestamp(measure.done).isoformat()
    return validate(LIGHTS, raw, source)


def apply_measure(lights: gpd.GeoDataFrame, measure: Measure) -> gpd.GeoDataFrame:
    """``lights`` (a lights layer, WGS84) with ``measure`` done: its lamps put up and working, the
    lamps it takes down removed, the lamps it repairs working again (a dimming measure leaves the
    lamps as they are: it changes the operating profile). Unknown lamp ids raise
    :class:`ValidationError`."""
    unknown = sorted(set(measure.takes_down) - set(lights["id"]))
    if unknown:
        raise ValidationError(Message("no lamp with id {unknown!r} in the lights layer", unknown=unknown[0]),
                              row=f"measure {measure.id!r}",
                              field="takes_down")
    out = lights.copy()
    hit = out["id"].isin(measure.takes_down)
    out.loc[hit, "status"] = "working" if measure.kind == "repair" else "removed"
    added = new_lamps(measure, f"measure {measure.id!r}")
    if len(added):
        clash = sorted(set(added["id"]) & set(out["id"]))
        if clash:
            raise ValidationError(Message("lamp id {clash!r} is already in the lights layer", clash=clash[0]),
                                  row=f"measure {measure.id!r}",
                                  field="lamps")
        out = gpd.GeoDataFrame(pd.concat([out, added], ignore_index=True), crs=lights.crs)
    return out

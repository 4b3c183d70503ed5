"""What a presence promise counts (its file chooses unit- or officer-hours and whether vehicles
count, with a reason) and how it shares its hours among the zones (by area, by incidents, by a
fixed table): known answers on hand-made cubes, zones and incidents."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.errors import ValidationError
from geo.layers import INCIDENTS, validate
from geo.patrol import PresenceCube, centre_totals, counted_seconds, zone_figures, zone_targets_h
from geo.promises import PresenceCounting, ZoneTargets, parse_promises
from geo.status import YearClock
from geo.zones import zone_areas_m2

UNIT = PresenceCounting(hours="unit", vehicles=False, reason="test")
OFFICER = PresenceCounting(hours="officer", vehicles=False, reason="test")
WITH_VEHICLES = PresenceCounting(hours="unit", vehicles=True, reason="test")


def cube_with(presence_h: float, crew: int, vehicle_h: float, drive_h: float) -> PresenceCube:
    """Zone "a": ``presence_h`` of a foot patrol of ``crew`` officers on 1 March 20-21, and
    ``vehicle_h`` of a car standing there; ``drive_h`` driving through; 1 h of foot presence outside."""
    shape = (2, 366, 24)
    presence, officer, drive, vehicle = (np.zeros(shape) for _ in range(4))
    presence[0, 60, 20] = presence_h * 3600
    officer[0, 60, 20] = presence_h * crew * 3600
    vehicle[0, 60, 21] = vehicle_h * 3600
    drive[0, 60, 22] = drive_h * 3600
    presence[1, 60, 20] = officer[1, 60, 20] = 3600.0  # outside the zones: never counted
    return PresenceCube(2020, ["a"], presence, officer, drive, vehicle)


def test_the_promise_counts_what_its_file_says():
    cube = cube_with(presence_h=10, crew=2, vehicle_h=4, drive_h=3)
    assert centre_totals(cube, counting=UNIT)["promise_h"] == pytest.approx(10)
    assert centre_totals(cube, counting=OFFICER)["promise_h"] == pytest.approx(20)
    assert centre_totals(cube, counting=WITH_VEHICLES)["promise_h"] == pytest.approx(14)
    for counting in (UNIT, OFFICER, WITH_VEHICLES):
        totals = centre_totals(cube, counting=counting)
        assert totals["presence_h"] == pytest.approx(10), "visible presence stays the visible unit-hours"
        assert (totals["officer_h"], totals["vehicle_h"], totals["drive_through_h"]) == pytest.approx((20, 4, 3))
        assert totals["counts"] == counting.model_dump()
        assert zone_figures(cube, counting=counting).loc["a", "promise_h"] == pytest.approx(totals["promise_h"])
    assert counted_seconds(cube, WITH_VEHICLES)[0, 60].sum() == pytest.approx(14 * 3600)


def test_the_status_is_taken_on_the_hours_the_promise_counts():
    cube = cube_with(presence_h=10, crew=2, vehicle_h=0, drive_h=0)
    over = YearClock.whole(2020)
    assert centre_totals(cube, over, target_h=15, counting=UNIT)["status"] == "not met"
    assert centre_totals(cube, over, target_h=15, counting=OFFICER)["status"] == "met"


def test_the_promises_file_records_the_choice_and_refuses_what_is_not_kept():
    doc = {"year": 2020, "title": "t", "parties": {"police": "P"}, "source": "s", "promises": [
        {"id": "narvaro", "text": "900 h", "promised_by": "police", "how_measured": "GPS",
         "measure": {"kind": "patrol_presence", "target_h": 900,
                     "counts": {"hours": "officer", "vehicles": False, "reason": "polistimmar enligt avtalet"},
                     "zone_targets": {"by": "fixed", "shares": {"a": 0.25, "b": 0.75}}}}]}
    measure = parse_promises(doc).promises[0].measure
    assert (measure.counts.hours, measure.counts.reason, measure.zone_targets.shares) == (
        "officer", "polistimmar enligt avtalet", {"a": 0.25, "b": 0.75})
    bad = [({"hours": "officer", "vehicles": True}, None, "officer-hours are kept for foot, bike and horse"),
           ({"hours": "crew"}, None, "counts.hours"),
           (None, {"by": "fixed"}, "give shares"),
           (None, {"by": "area", "shares": {"a": 1.0}}, "give shares"),
           (None, {"by": "fixed", "shares": {"a": 0.5, "b": 0.4}}, "add up to 0.9, not 1"),
           (None, {"by": "risk"}, "zone_targets.by")]
    for counts, targets, expected in bad:
        measure = {"kind": "patrol_presence", "target_h": 900, **({"counts": counts} if counts else {}),
                   **({"zone_targets": targets} if targets else {})}
        with pytest.raises(ValidationError) as error:
            parse_promises({**doc, "promises": [{**doc["promises"][0], "measure": measure}]}, "2020.yaml")
        assert expected in str(error.value) and "promise 1 (id 'narvaro')" in str(error.value)
    default = parse_promises({**doc, "promises": [{**doc["promises"][0], "measure": {
        "kind": "patrol_presence", "target_h": 900}}]}).promises[0].measure
    assert (default.counts.hours, default.counts.vehicles, default.zone_targets.by) == ("unit", False, "area")


def incidents_at(zones: gpd.GeoDataFrame, per_zone: dict[str, int], town_level: int = 0) -> gpd.GeoDataFrame:
    rows = []
    for zone_id, n in per_zone.items():
        centre = zones.set_index("zone_id").geometry[zone_id].centroid
        rows += [{"id": f"{zone_id}-{i}", "occurred_at": "2020-03-01T20:00:00Z", "category": "stöld",
                  "location_precision": "exact", "source": "test", "lon": centre.x, "lat": centre.y} for i in range(n)]
    centre = zones.geometry.iloc[0].centroid
    rows += [{"id": f"town-{i}", "occurred_at": "2020-03-01T20:00:00Z", "category": "stöld",
              "location_precision": "town", "source": "test", "lon": centre.x, "lat": centre.y} for i in range(town_level)]
    return validate(INCIDENTS, pd.DataFrame(rows), "test")


def test_zone_targets_by_area_by_incidents_and_by_a_fixed_table(block_zones):
    by_area = zone_targets_h(block_zones, 800.0)
    assert by_area.to_dict() == pytest.approx({"a": 200.0, "b": 600.0}, rel=1e-6) and by_area.attrs["basis"] == "area"
    assert by_area.to_numpy() / 800 == pytest.approx((zone_areas_m2(block_zones) / zone_areas_m2(block_zones).sum()).to_numpy())
    incidents = incidents_at(block_zones, {"a": 3, "b": 1}, town_level=10)
    by_risk = zone_targets_h(block_zones, 800.0, ZoneTargets(by="incidents"), incidents)
    assert by_risk.to_dict() == pytest.approx({"a": 600.0, "b": 200.0}), "town-level incidents are not placed in a zone"
    assert by_risk.attrs["basis"] == "incidents"
    none = zone_targets_h(block_zones, 800.0, ZoneTargets(by="incidents"), incidents_at(block_zones, {}, town_level=5))
    assert none.to_dict() == pytest.approx(by_area.to_dict()) and none.attrs["basis"] == "area (no incidents to share by)"
    fixed = zone_targets_h(block_zones, 800.0, ZoneTargets(by="fixed", shares={"b": 1.0}))
    assert fixed.to_dict() == {"a": 0.0, "b": 800.0} and fixed.attrs["basis"] == "fixed"
    with pytest.raises(ValidationError, match="names c, which are not zones"):
        zone_targets_h(block_zones, 800.0, ZoneTargets(by="fixed", shares={"b": 0.5, "c": 0.5}))

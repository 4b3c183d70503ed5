"""Presence logs (the police's own hour logs): validation naming file, line and field, and what a
log adds to presence where GPS of the same unit does not cover it — known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.errors import ValidationError
from geo.patrol import cube_from_contributions, zone_figures
from geo.presence_log import gps_covered, log_contributions, validate_log

ZONES = ["a", "b"]


def log_of(*rows: dict) -> pd.DataFrame:
    return validate_log(pd.DataFrame(rows, dtype=object), ZONES, "logg.csv")


def row(start: str, end: str, unit: str = "fot-1", mode: str = "foot", crew="2", zone="a", **more) -> dict:
    return {"unit_id": unit, "start": start, "end": end, "mode": mode, "crew": crew, "zone_id": zone, **more}


def pings(unit: str, start: str, seconds: int, every_s: int = 1) -> tuple[np.ndarray, np.ndarray]:
    t = pd.Timestamp(start).value + np.arange(0, seconds + 1, every_s, dtype=np.int64) * 10**9
    return np.full(len(t), unit, dtype=object), t


def figures(log, covered, zones):
    cells, split = log_contributions(log, covered, zones, 2020)
    return zone_figures(cube_from_contributions(cells, zones["zone_id"].tolist(), 2020)), split


def test_logged_hours_count_where_gps_of_the_unit_does_not(block_zones):
    # fot-1 logs 20:00-22:00 UTC in zone a; its GPS covers 20:30-21:00; fot-2's GPS changes nothing
    log = log_of(row("2020-05-08T20:00:00Z", "2020-05-08T22:00:00Z"))
    units, times = (np.concatenate(parts) for parts in zip(pings("fot-1", "2020-05-08T20:30:00Z", 1800),
                                                            pings("fot-2", "2020-05-08T19:00:00Z", 4 * 3600)))
    covered = gps_covered(units, times, cap_s=120)
    assert covered.to_dict("list") == {"unit_id": ["fot-1", "fot-2"],
                                       "start_ns": [pd.Timestamp("2020-05-08T20:30Z").value, pd.Timestamp("2020-05-08T19:00Z").value],
                                       "end_ns": [pd.Timestamp("2020-05-08T21:00Z").value, pd.Timestamp("2020-05-08T23:00Z").value]}
    zone, split = figures(log, covered, block_zones)
    assert zone.loc["a", "presence_h"] == pytest.approx(1.5) and zone.loc["a", "officer_h"] == pytest.approx(3.0)
    assert split["counted_s"].sum() == pytest.approx(1.5 * 3600) and split["overlap_s"].sum() == pytest.approx(1800)
    assert zone.loc["b", "presence_h"] == 0
    # local time 22:00-00:00 CEST: 22:00-22:30 and 23:00-00:00 counted, in their local hours
    assert dict(zip(split["hour"], split["counted_s"])) == {22: 1800.0, 23: 3600.0}


def test_a_gap_over_the_cap_is_not_covered_and_sparse_loggers_cover_their_time(block_zones):
    log = log_of(row("2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z"))
    sparse = gps_covered(*pings("fot-1", "2020-05-08T20:00:00Z", 3600, every_s=60), cap_s=120)
    assert figures(log, sparse, block_zones)[1]["overlap_s"].sum() == pytest.approx(3600)
    too_sparse = gps_covered(*pings("fot-1", "2020-05-08T20:00:00Z", 3600, every_s=180), cap_s=120)
    assert too_sparse.empty and figures(log, too_sparse, block_zones)[1]["counted_s"].sum() == pytest.approx(3600)


def test_cars_are_vehicle_presence_points_find_their_zone_and_outside_is_outside(block_zones):
    b = block_zones.set_index("zone_id").geometry["b"].representative_point()
    log = log_of(row("2020-05-08T20:00:00Z", "2020-05-08T20:30:00Z", unit="bil-1", mode="car"),
                 row("2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z", unit="cykel-1", mode="bike", zone="",
                     lon=str(b.x), lat=str(b.y)),
                 row("2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z", unit="häst-1", mode="horse", zone="",
                     lon="13.5", lat="57.0"))
    zone, split = figures(log, gps_covered(np.array([], object), np.array([], np.int64), 120), block_zones)
    assert zone.loc["a", "vehicle_h"] == pytest.approx(0.5) and zone.loc["a", "presence_h"] == 0
    assert zone.loc["b", "presence_h"] == pytest.approx(1.0) and zone.loc["b", "officer_h"] == pytest.approx(2.0)
    assert split[split["zone"] == 2]["counted_s"].sum() == pytest.approx(3600), "the horse was outside every zone"


def test_the_spring_forward_night(block_zones):
    # 00:30-01:30 UTC on 29 March is 01:30-03:30 local: half an hour at 01 and half an hour at 03
    log = log_of(row("2020-03-29T00:30:00Z", "2020-03-29T01:30:00Z"))
    _, split = figures(log, gps_covered(np.array([], object), np.array([], np.int64), 120), block_zones)
    assert dict(zip(split["hour"], split["counted_s"])) == {1: 1800.0, 3: 1800.0}


@pytest.mark.parametrize("bad, field, message", [
    (row("2020-05-08T20:00:00Z", "2020-05-08T19:00:00Z"), "end", "the end is not after the start"),
    (row("2020-05-08T20:00:00Z", "2020-05-10T20:00:00Z"), "end", "more than 24 hours"),
    (row("2020-05-08T20:00:00Z", "i går"), "end", "not a usable time"),
    (row("2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z", mode="ubåt"), "mode", "foot, bike, car, horse"),
    (row("2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z", crew="2,5"), "crew", "whole number of officers"),
    (row("2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z", zone="torget"), "zone_id", "not a zone; the zones are a, b"),
    (row("2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z", zone=""), "zone_id", "give the zone_id or the point"),
])
def test_a_bad_row_is_refused_naming_the_file_line_and_field(bad, field, message):
    good = row("2020-05-09T20:00:00Z", "2020-05-09T21:00:00Z")
    with pytest.raises(ValidationError) as error:
        log_of(good, bad)
    assert (error.value.file, error.value.row, error.value.field) == ("logg.csv", "row 3", field)
    assert message in error.value.message


def test_overlapping_rows_of_one_unit_are_refused_and_crew_defaults_to_one():
    with pytest.raises(ValidationError, match="overlaps row 2 of the same unit") as error:
        log_of(row("2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z"), row("2020-05-08T20:30:00Z", "2020-05-08T22:00:00Z"))
    assert error.value.row == "row 3"
    log = log_of(row("2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z", crew=""),
                 row("2020-05-08T20:30:00Z", "2020-05-08T22:00:00Z", unit="fot-2"))
    assert log["crew"].tolist() == [1, 2] and log["source"].tolist() == ["logg.csv", "logg.csv"]

"""Presence logs (the police's own hour logs): validation naming file, line and field, and what a
log adds to presence where GPS of the same unit does not cover it — known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.errors import ValidationError
from geo.patrol import PresenceRules, Tracks, cube_from_contributions, gps_covered, zone_figures
from geo.presence_log import log_contributions, validate_log

ZONES = ["a", "b"]


def log_of(*rows: dict) -> pd.DataFrame:
    return validate_log(pd.DataFrame(rows, dtype=object), ZONES, "logg.csv")


def row(start: str, end: str, unit: str = "fot-1", mode: str = "foot", crew="2", zone="a", **more) -> dict:
    return {"unit_id": unit, "start": start, "end": end, "mode": mode, "crew": crew, "zone_id": zone, **more}


def pings(unit: str, start: str, seconds: int, every_s: int = 1) -> tuple[np.ndarray, np.ndarray]:
    t = pd.Timestamp(start).value + np.arange(0, seconds + 1, every_s, dtype=np.int64) * 10**9
    return np.full(len(t), unit, dtype=object), t


def covered_by(units: np.ndarray, times: np.ndarray) -> pd.DataFrame:
    """The GPS time of standing units' pings, by the presence rules' gaps."""
    return gps_covered(Tracks.of(units, times, np.full(len(times), 12.86), np.full(len(times), 56.67),
                                 np.ones(len(times))), PresenceRules())


NO_GPS = pd.DataFrame({"unit_id": pd.Series(dtype=object), "start_ns": pd.Series(dtype=np.int64),
                       "end_ns": pd.Series(dtype=np.int64)})


def figures(log, covered, zones):
    cells, split = log_contributions(log, covered, zones, 2020)
    return zone_figures(cube_from_contributions(cells, zones["zone_id"].tolist(), 2020)), split


def test_logged_hours_count_where_gps_of_the_unit_does_not(block_zones):
    # fot-1 logs 20:00-22:00 UTC in zone a; its GPS covers 20:30-21:00; fot-2's GPS changes nothing
    log = log_of(row("2020-05-08T20:00:00Z", "2020-05-08T22:00:00Z"))
    units, times = (np.concatenate(parts) for parts in zip(pings("fot-1", "2020-05-08T20:30:00Z", 1800),
                                                            pings("fot-2", "2020-05-08T19:00:00Z", 4 * 3600)))
    covered = covered_by(units, times)
    assert covered.to_dict("list") == {"unit_id": ["fot-1", "fot-2"],
                                       "start_ns": [pd.Timestamp("2020-05-08T20:30Z").value, pd.Timestamp("2020-05-08T19:00Z").value],
                                       "end_ns": [pd.Timestamp("2020-05-08T21:00Z").value, pd.Timestamp("2020-05-08T23:00Z").value]}
    zone, split = figures(log, covered, block_zones)
    assert zone.loc["a", "presence_h"] == pytest.approx(1.5) and zone.loc["a", "officer_h"] == pytest.approx(3.0)
    assert split["counted_s"].sum() == pytest.approx(1.5 * 3600) and split["overlap_s"].sum() == pytest.approx(1800)
    assert zone.loc["b", "presence_h"] == 0
    # local time 22:00-00:00 CEST: 22:00-22:30 and 23:00-00:00 counted, in their local hours
    assert dict(zip(split["hour"], split["counted_s"])) == {22: 1800.0, 23: 3600.0}


def test_gps_covers_the_gaps_presence_counts_and_the_log_fills_the_others(block_zones):
    log = log_of(row("2020-05-08T18:00:00Z", "2020-05-08T19:00:00Z"))
    for every_s in (1, 60, 180):  # a logger every 3 minutes counts as presence, so it covers its time
        sparse = covered_by(*pings("fot-1", "2020-05-08T18:00:00Z", 3600, every_s=every_s))
        assert figures(log, sparse, block_zones)[1]["overlap_s"].sum() == pytest.approx(3600), every_s
    # pings every 10 s with a 5-minute dropout (longer than the 120 s that 10 s sampling allows)
    units, times = pings("fot-1", "2020-05-08T18:00:00Z", 3600, every_s=10)
    dropout = (times > pd.Timestamp("2020-05-08T18:20:00Z").value) & (times < pd.Timestamp("2020-05-08T18:25:00Z").value)
    zone, split = figures(log, covered_by(units[~dropout], times[~dropout]), block_zones)
    assert split["counted_s"].sum() == pytest.approx(300) and split["overlap_s"].sum() == pytest.approx(3300)
    assert zone.loc["a", "presence_h"] == pytest.approx(300 / 3600), "the dropout is filled from the log, no more"


def test_cars_are_vehicle_presence_points_find_their_zone_and_outside_is_outside(block_zones):
    b = block_zones.set_index("zone_id").geometry["b"].representative_point()
    log = log_of(row("2020-05-08T20:00:00Z", "2020-05-08T20:30:00Z", unit="bil-1", mode="car"),
                 row("2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z", unit="cykel-1", mode="bike", zone="",
                     lon=str(b.x), lat=str(b.y)),
                 row("2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z", unit="häst-1", mode="horse", zone="",
                     lon="13.5", lat="57.0"))
    zone, split = figures(log, NO_GPS, block_zones)
    assert zone.loc["a", "vehicle_h"] == pytest.approx(0.5) and zone.loc["a", "presence_h"] == 0
    assert zone.loc["b", "presence_h"] == pytest.approx(1.0) and zone.loc["b", "officer_h"] == pytest.approx(2.0)
    assert split[split["zone"] == 2]["counted_s"].sum() == pytest.approx(3600), "the horse was outside every zone"


def test_the_spring_forward_night(block_zones):
    # 00:30-01:30 UTC on 29 March is 01:30-03:30 local: half an hour at 01 and half an hour at 03
    log = log_of(row("2020-03-29T00:30:00Z", "2020-03-29T01:30:00Z"))
    _, split = figures(log, NO_GPS, block_zones)
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


def test_the_logged_part_of_each_figure_is_kept_apart(block_zones):
    from geo.patrol import PresenceCube, centre_totals
    from geo.presence_log import cube_with_log
    from geo.promises import PresenceCounting

    log = log_of(row("2020-05-08T20:00:00Z", "2020-05-08T21:00:00Z"),
                 row("2020-05-08T20:00:00Z", "2020-05-08T22:00:00Z", unit="bil-1", mode="car"))
    shape = (3, 366, 24)
    gps = PresenceCube(2020, ["a", "b"], *(np.zeros(shape) for _ in range(4)))
    gps.presence_s[0, 129, 20] = 1800.0  # half an hour of GPS presence elsewhere that evening
    units, times = pings("fot-1", "2020-05-08T20:30:00Z", 1800)
    cube = cube_with_log(gps, *log_contributions(log, covered_by(units, times), block_zones, 2020))
    visible = centre_totals(cube)
    assert (visible["presence_h"], visible["presence_log_h"], visible["vehicle_h"]) == pytest.approx((1.0, 0.5, 2.0))
    assert visible["promise_log_h"] == pytest.approx(0.5) and visible["presence_log_overlap_h"] == pytest.approx(0.5)
    officers = centre_totals(cube, counting=PresenceCounting(hours="officer"))
    assert officers["promise_log_h"] == pytest.approx(1.0), "half an hour logged by a crew of two"
    with_cars = centre_totals(cube, counting=PresenceCounting(vehicles=True))
    assert with_cars["promise_log_h"] == pytest.approx(2.5) and with_cars["presence_log_h"] == pytest.approx(0.5)

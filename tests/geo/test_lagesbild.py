"""The weekly lägesbild: ISO weeks in local time, counts per zone against the four weeks before,
town-level incidents, the attention score and its reasons, with hand-made data of known answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84
from geo.errors import ValidationError
from geo.lagesbild import (MEASURES, daily_presence_h, iso_week, parse_iso_week, reasons, shift_week, week_picture,
                           weeks_in_year)
from geo.swedish import sv_number, sv_signed
from geo.layers import INCIDENTS, REPORTS, validate
from geo.patrol import Tracks, presence_cube
from geo.timestamps import LOCAL_TZ

E0, N0 = 374_000.0, 6_284_000.0  # near Halmstad, SWEREF 99 TM metres
TO_WGS84 = Transformer.from_crs(SWEREF99TM, WGS84, always_xy=True)
IDS = ["a", "b", "c"]


@pytest.fixture(scope="module")
def zones() -> gpd.GeoDataFrame:
    """Three 1 km squares side by side, west to east: a, b, c."""
    boxes = [shapely.box(E0 + 1000 * i, N0, E0 + 1000 * (i + 1), N0 + 1000) for i in range(3)]
    return gpd.GeoDataFrame({"zone_id": IDS, "name": ["Zon A", "Zon B", "Zon C"]}, geometry=boxes,
                            crs=SWEREF99TM).to_crs(WGS84)


def point_in(zone: str | None) -> tuple[float, float]:
    """The centre of a zone (lon, lat), or a point 5 km north of them all for None."""
    if zone is None:
        return TO_WGS84.transform(E0 + 1500, N0 + 5000)
    return TO_WGS84.transform(E0 + 500 + 1000 * IDS.index(zone), N0 + 500)


def incidents(*rows: tuple) -> gpd.GeoDataFrame:
    """rows: (occurred_at text, zone or None, precision)."""
    lon, lat = zip(*[point_in(zone) for _, zone, _ in rows]) if rows else ((), ())
    return validate(INCIDENTS, pd.DataFrame({
        "id": [f"i{k}" for k in range(len(rows))], "occurred_at": [r[0] for r in rows], "category": "stöld",
        "location_precision": [r[2] for r in rows], "lon": list(lon), "lat": list(lat)}), "test")


def reports(*rows: tuple) -> gpd.GeoDataFrame:
    """rows: (created_at text, zone or None, category, status)."""
    lon, lat = zip(*[point_in(zone) for _, zone, _, _ in rows]) if rows else ((), ())
    return validate(REPORTS, pd.DataFrame({
        "id": [f"r{k}" for k in range(len(rows))], "created_at": [r[0] for r in rows],
        "category": [r[2] for r in rows], "status": [r[3] for r in rows],
        "closed_at": [("2020-03-20T12:00:00+01:00" if r[3] == "closed" else None) for r in rows],
        "close_reason": [("sanerat" if r[3] == "closed" else None) for r in rows],
        "lon": list(lon), "lat": list(lat)}), "test")


def no_presence() -> pd.DataFrame:
    return pd.DataFrame(index=pd.Index(IDS, name="zone_id"))


def presence(hours: dict[tuple[str, str], float]) -> pd.DataFrame:
    """A daily presence table (zones x local dates) from {(zone, "YYYY-MM-DD"): hours}."""
    days = pd.date_range("2020-01-01", "2021-01-31", freq="D")
    table = pd.DataFrame(0.0, index=pd.Index(IDS, name="zone_id"), columns=days)
    for (zone, day), h in hours.items():
        table.loc[zone, pd.Timestamp(day)] = h
    return table


# -- ISO weeks ---------------------------------------------------------------------------------


def test_a_week_runs_from_local_monday_to_local_monday():
    start, end = parse_iso_week("2020-W12")
    assert start == pd.Timestamp("2020-03-16 00:00", tz=LOCAL_TZ) and end == pd.Timestamp("2020-03-23", tz=LOCAL_TZ)
    assert str(start.tz) == LOCAL_TZ and start.isoformat() == "2020-03-16T00:00:00+01:00"
    assert parse_iso_week("2020-W01")[0] == pd.Timestamp("2019-12-30", tz=LOCAL_TZ), "week 1 may start in December"
    assert parse_iso_week("2020w12") == parse_iso_week("2020-W12")
    start, end = parse_iso_week("2020-W13")  # summer time begins Sunday 29 March
    assert end - start == pd.Timedelta(hours=167) and end.isoformat() == "2020-03-30T00:00:00+02:00"
    start, end = parse_iso_week("2020-W43")  # and ends Sunday 25 October
    assert end - start == pd.Timedelta(hours=169)


@pytest.mark.parametrize("year, weeks", [(2015, 53), (2019, 52), (2020, 53), (2021, 52), (2026, 53), (2027, 52)])
def test_years_with_53_weeks(year, weeks):
    assert weeks_in_year(year) == weeks
    start, end = parse_iso_week(f"{year}-W{weeks}")
    assert end == parse_iso_week(f"{year + 1}-W01")[0]
    if weeks == 52:
        with pytest.raises(ValidationError, match="has weeks 1 to 52"):
            parse_iso_week(f"{year}-W53")


def test_the_53rd_week_spans_the_new_year():
    start, end = parse_iso_week("2020-W53")
    assert start == pd.Timestamp("2020-12-28", tz=LOCAL_TZ) and end == pd.Timestamp("2021-01-04", tz=LOCAL_TZ)
    assert shift_week("2020-W53", 1) == "2021-W01" and shift_week("2021-W01", -1) == "2020-W53"
    assert shift_week("2020-W02", -4) == "2019-W50"
    assert iso_week(pd.Timestamp("2021-01-03T22:59:00Z")) == "2020-W53", "Sunday 23:59 local time"
    assert iso_week(pd.Timestamp("2021-01-03T23:00:00Z")) == "2021-W01", "Monday 00:00 local time"


@pytest.mark.parametrize("text, message", [
    ("2020-W54", "2020 has weeks 1 to 53"), ("2021-W53", "2021 has weeks 1 to 52"), ("2020-W00", "has weeks 1"),
    ("2020-12", "not an ISO week; write it as YYYY-Www"), ("abc", "not an ISO week"), ("", "not an ISO week"),
    ("2020-W12-3", "not an ISO week"), ("20-W12", "not an ISO week"), (None, "not an ISO week")])
def test_bad_weeks_are_refused_with_a_message(text, message):
    with pytest.raises(ValidationError, match=message) as error:
        parse_iso_week(text)
    assert error.value.field == "week" and str(error.value).startswith("field 'week': ")


# -- counts per zone ---------------------------------------------------------------------------


def test_counts_per_zone_in_the_week(zones):
    week = "2020-03-18T12:00:00+01:00"
    picture = week_picture(
        zones,
        incidents((week, "a", "exact"), (week, "a", "street"), (week, "a", "exact"), (week, "b", "exact"),
                  (week, None, "exact"), (week, "a", "town"), (week, "c", "town")),
        reports((week, "a", "graffiti", "open"), (week, "a", "litter", "closed"), (week, "b", "unsafe_place", "open"),
                (week, "b", "broken_light", "acknowledged"), (week, None, "weeds", "open"),
                ("2020-03-23T00:30:00+01:00", "c", "graffiti", "open")),
        no_presence(), "2020-W12")
    z = picture.zones
    assert z.index.tolist() == IDS
    assert z["incidents"].tolist() == [3, 1, 0], "town-level and outside incidents are not in a zone"
    assert z["new_reports"].tolist() == [2, 1, 0], "every category but unsafe_place, whatever its status"
    assert z["unsafe_place_pins"].tolist() == [0, 1, 0]
    assert z["presence_h"].tolist() == [0, 0, 0]
    assert picture.town_level == {"incidents": 2.0, "incidents_mean_4w": 0.0, "incidents_change": 2.0}
    assert picture.outside_zones == {"incidents": 1, "reports": 1}
    assert picture.week == "2020-W12" and picture.start == parse_iso_week("2020-W12")[0]
    for measure in MEASURES:
        assert {f"{measure}_mean_4w", f"{measure}_change"} <= set(z.columns)


def test_mean_and_change_against_the_four_weeks_before(zones):
    rows = [(f"{day}T12:00:00+01:00", "a", "exact") for day, n in (
        ("2020-02-10", 5),  # week 7: before the four weeks, not counted
        ("2020-02-17", 2), ("2020-03-02", 4), ("2020-03-09", 2),  # weeks 8, 10, 11 (week 9 has none)
        ("2020-03-17", 5),  # week 12
        ("2020-03-24", 9))  # week 13: after, not counted
        for _ in range(n)]
    rows += [("2020-03-04T12:00:00+01:00", None, "town")]
    pings = presence({("b", "2020-03-16"): 1.0, ("b", "2020-03-22"): 0.5, ("b", "2020-02-20"): 4.0,
                      ("b", "2020-03-23"): 7.0, ("b", "2020-02-16"): 9.0})  # the last two: weeks 13 and 7
    picture = week_picture(zones, incidents(*rows), reports(), pings, "2020-W12")
    a, b = picture.zones.loc["a"], picture.zones.loc["b"]
    assert a["incidents"] == 5 and a["incidents_mean_4w"] == 2.0 and a["incidents_change"] == 3.0
    assert b["presence_h"] == 1.5 and b["presence_h_mean_4w"] == 1.0 and b["presence_h_change"] == 0.5
    assert picture.town_level == {"incidents": 0.0, "incidents_mean_4w": 0.25, "incidents_change": -0.25}


def test_weeks_are_counted_in_local_time(zones):
    """Sunday 23:30 local time is 22:30 UTC in winter (21:30 in summer): still that week;
    Monday 00:30 local time belongs to the next one."""
    rows = [("2020-03-22T22:30:00Z", "a", "exact"),  # Sunday 23:30 CET: week 12
            ("2020-03-22T23:30:00Z", "b", "exact"),  # Monday 00:30 CET: week 13
            ("2020-03-15T23:30:00Z", "c", "exact"),  # Monday 16 March 00:30 CET: week 12
            ("2020-03-15T22:30:00Z", "c", "exact")]  # Sunday 15 March 23:30 CET: week 11
    w12 = week_picture(zones, incidents(*rows), reports(), no_presence(), "2020-W12").zones
    assert w12["incidents"].tolist() == [1, 0, 1] and w12.loc["c", "incidents_mean_4w"] == 0.25
    w13 = week_picture(zones, incidents(*rows), reports(), no_presence(), "2020-W13").zones
    assert w13["incidents"].tolist() == [0, 1, 0]
    summer = [("2020-06-21T21:30:00Z", "a", "exact"), ("2020-06-21T22:30:00Z", "a", "exact")]  # 23:30 and 00:30 CEST
    assert week_picture(zones, incidents(*summer), reports(), no_presence(), "2020-W25").zones.loc["a", "incidents"] == 1
    naive_local = reports(("2020-03-22T23:30:00", "a", "graffiti", "open"))  # naive text is Stockholm time
    assert week_picture(zones, incidents(), naive_local, no_presence(), "2020-W12").zones.loc["a", "new_reports"] == 1


def test_presence_from_cubes_of_two_years_for_the_week_across_new_year(zones):
    """One hour standing in zone a from 23:30 local time on New Year's Eve 2020: half in each
    year's cube, all of it in 2020-W53."""
    lon, lat = point_in("a")
    t0 = pd.Timestamp("2020-12-31T23:30:00", tz=LOCAL_TZ).value
    tracks = Tracks.of(np.zeros(3601), t0 + np.arange(3601, dtype=np.int64) * 10**9, np.full(3601, lon),
                       np.full(3601, lat), np.ones(3601))
    daily = daily_presence_h([presence_cube(tracks, zones, 2020), presence_cube(tracks, zones, 2021)])
    assert daily.shape == (3, 366 + 365) and daily.index.tolist() == IDS
    assert daily.loc["a", pd.Timestamp("2020-12-31")] == pytest.approx(0.5)
    assert daily.loc["a", pd.Timestamp("2021-01-01")] == pytest.approx(0.5)
    z = week_picture(zones, incidents(), reports(), daily, "2020-W53").zones
    assert z.loc["a", "presence_h"] == pytest.approx(1.0) and z.loc["b", "presence_h"] == 0
    assert week_picture(zones, incidents(), reports(), daily, "2021-W01").zones.loc["a", "presence_h_mean_4w"] == \
        pytest.approx(0.25)
    assert daily_presence_h([]).empty


def test_empty_layers_give_zeros_and_no_priorities(zones):
    picture = week_picture(zones, incidents(), reports(), no_presence(), "2020-W12")
    assert (picture.zones[list(MEASURES)] == 0).all().all() and picture.priorities == []
    assert picture.zones["attention_rank"].tolist() == [1, 2, 3]


# -- attention ---------------------------------------------------------------------------------


def test_the_attention_score_ranking_and_reasons(zones):
    def at(day: str) -> str:
        return f"{day}T20:00:00+01:00"

    rows = [(at(day), "a", "exact") for day, n in (("2020-02-18", 2), ("2020-02-25", 4), ("2020-03-03", 4),
                                                   ("2020-03-10", 4), ("2020-03-17", 7)) for _ in range(n)]
    rows += [(at("2020-03-17"), "c", "exact")] * 2
    pins = [(at("2020-03-18"), "b", "unsafe_place", "open")] + [(at("2020-03-18"), "b", "graffiti", "open")] * 2
    pins += [(at("2020-03-10"), "c", "graffiti", "open")] * 4
    daily = presence({("a", "2020-03-17"): 1.2, ("a", "2020-02-18"): 6.0, ("a", "2020-02-26"): 6.0,
                      ("b", "2020-03-18"): 2.0, ("c", "2020-03-18"): 0.5})
    picture = week_picture(zones, incidents(*rows), reports(*pins), daily, "2020-W12")
    z = picture.zones
    # a: load 7 (mean 14/4 = 3.5) -> 7 + 3.5; b: 1 pin + ½ × 2 reports = 2 (mean 0) -> 2 + 2;
    # c: 2 incidents (mean ½ × 4 reports / 4 = 0.5) -> 2 + 1.5
    assert z["load"].tolist() == [7, 2, 2] and z["load_mean_4w"].tolist() == [3.5, 0, 0.5]
    assert z["attention_score"].tolist() == [10.5, 4.0, 3.5]
    assert z["attention_rank"].tolist() == [1, 2, 3]
    assert [p["zone_id"] for p in picture.priorities] == ["a", "b", "c"]
    assert picture.priorities[0] == {"zone_id": "a", "rank": 1, "score": 10.5, "reasons": [
        "7 brott, +3,5 mot fyraveckorssnittet", "polisnärvaro 1,2 h, ned från 3 h"]}
    assert picture.priorities[1]["reasons"] == ["1 markering av otrygg plats, +1 mot fyraveckorssnittet",
                                                "2 nya felanmälningar, +2 mot fyraveckorssnittet"]
    assert picture.priorities[2]["reasons"] == ["2 brott, +2 mot fyraveckorssnittet"], \
        "no reports this week (a fall from the mean) and more presence than usual are no reasons"


def test_ties_go_to_the_zone_with_less_presence_and_zero_scores_are_not_priorities(zones):
    same = [("2020-03-17T20:00:00+01:00", zone, "exact") for zone in ("a", "b", "c")]
    daily = presence({("a", "2020-03-17"): 3.0, ("b", "2020-03-17"): 0.5, ("c", "2020-03-17"): 3.0})
    picture = week_picture(zones, incidents(*same), reports(), daily, "2020-W12")
    assert [p["zone_id"] for p in picture.priorities] == ["b", "a", "c"], "then file order"
    assert picture.priorities[0]["reasons"] == ["1 brott, +1 mot fyraveckorssnittet"]
    only_a = week_picture(zones, incidents(same[0]), reports(), no_presence(), "2020-W12")
    assert [p["zone_id"] for p in only_a.priorities] == ["a"]
    assert only_a.priorities[0]["reasons"] == ["1 brott, +1 mot fyraveckorssnittet", "ingen polisnärvaro under veckan"]


def test_a_fall_still_counts_this_weeks_load_but_no_rise():
    row = pd.Series({"incidents": 2.0, "incidents_change": -7.0, "unsafe_place_pins": 0.0, "unsafe_place_pins_change": 0.0,
                     "new_reports": 0.0, "new_reports_change": -1.0, "presence_h": 0.0, "presence_h_mean_4w": 0.74,
                     "load": 2.0})
    assert reasons(row) == ["2 brott, −7 mot fyraveckorssnittet", "polisnärvaro 0 h, ned från 0,7 h"]


def test_swedish_numbers():
    assert [sv_number(v) for v in (7, 3.5, 0.25, 1.234, -2, -0.001, 10.0)] == ["7", "3,5", "0,25", "1,23", "−2", "0", "10"]
    assert [sv_signed(v) for v in (3.5, -0.25, 0, 0.001)] == ["+3,5", "−0,25", "±0", "±0"]
    assert sv_number(2.96, 1) == "3"

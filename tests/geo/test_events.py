"""Events: the layer's rules (an event ends after it starts; its area), its place (zones), the
comparison windows' arithmetic in local time (hypothesis: weekdays, wall-clock hours, daylight
saving time, nights across midnight), presence per span from the cube, the figures per event and
the events per Purple Flag band."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geo.crs import SWEREF99TM, WGS84
from geo.errors import ValidationError
from geo.events import (FIGURE_COLUMNS, HourlyPresence, comparison_windows, event_figures, event_zones,
                        events_per_band)
from geo.layers import AREA, EVENTS, INCIDENTS, REPORTS, empty_layer, validate
from geo.patrol import PresenceCube
from geo.timestamps import LOCAL_TZ
from tests.geo.conftest import E0, N0

TORG = (12.8569, 56.6738)  # in the zone stora-torg
NISSAN = (12.8614, 56.67465)  # in the zone nissan
SQUARE = "POLYGON ((12.8560 56.6735, 12.8600 56.6735, 12.8600 56.6742, 12.8560 56.6742, 12.8560 56.6735))"


def raw_events(**columns) -> pd.DataFrame:
    base = {"id": ["e1"], "name": ["Konsert"], "starts_at": ["2020-05-08T20:00"], "ends_at": ["2020-05-09T01:00"],
            "lon": [TORG[0]], "lat": [TORG[1]]}
    return pd.DataFrame(base | columns)


def local(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=LOCAL_TZ)


# -- the layer's rules ----------------------------------------------------------------------------

def test_an_event_that_ends_before_it_starts_is_refused_naming_file_row_and_field():
    for rows in (1, 20):  # one form's record and a whole file take different paths
        raw = pd.concat([raw_events()] * rows, ignore_index=True).assign(id=[f"e{i}" for i in range(rows)])
        raw.loc[rows - 1, "ends_at"] = "2020-05-08T19:00"
        with pytest.raises(ValidationError) as refused:
            validate(EVENTS, raw, "evenemang.csv")
        assert (refused.value.file, refused.value.row, refused.value.field) == ("evenemang.csv", f"row {rows}", "ends_at")
        assert "ends before it starts" in str(refused.value)


def test_an_events_area_is_a_valid_wgs84_polygon_or_nothing():
    frame = validate(EVENTS, raw_events(area=[SQUARE]), "e.csv")
    assert shapely.equals(frame[AREA].iloc[0], shapely.from_wkt(SQUARE)) and frame["kind"].iloc[0] == "other"
    assert validate(EVENTS, raw_events(), "e.csv")[AREA].tolist() == [None]
    for bad, why in (("POINT (12.85 56.67)", "Polygon or MultiPolygon"), ("POLYGON ((1 2, 3", "not a WKT polygon"),
                     ("POLYGON ((56.67 12.85, 56.68 12.85, 56.68 12.86, 56.67 12.85))", "swapped"),
                     ("POLYGON ((12.85 56.67, 12.86 56.68, 12.86 56.67, 12.85 56.68, 12.85 56.67))", "crosses itself")):
        with pytest.raises(ValidationError, match=why) as refused:
            validate(EVENTS, raw_events(area=[bad]), "e.csv")
        assert refused.value.field == AREA and refused.value.row == "row 1"


def test_an_events_place_is_the_zones_its_area_overlaps_or_its_points_zone(zones):
    frame = validate(EVENTS, pd.concat([raw_events(), raw_events(id=["e2"], area=[SQUARE]),
                                        raw_events(id=["e3"], lon=[12.80])], ignore_index=True), "e.csv")
    place = event_zones(frame, zones)
    assert place[0] == ("stora-torg",) and place[2] == ()
    assert "stora-torg" in place[1] and len(place[1]) > 1


def test_an_area_that_is_a_zone_is_placed_in_that_zone_not_in_those_it_shares_an_edge_with(zones):
    raw = pd.concat([raw_events(id=[zone_id], area=[shapely.to_wkt(polygon)])
                     for zone_id, polygon in zip(zones["zone_id"], zones.geometry)], ignore_index=True)
    assert event_zones(validate(EVENTS, raw, "e.csv"), zones) == [(zone_id,) for zone_id in zones["zone_id"]]


@settings(max_examples=60, deadline=None)
@example(width=500, reach=0, south=1000, height=200)  # an edge shared, no more
@example(width=500, reach=1, south=0, height=3000)  # a metre across the whole edge
@given(width=st.integers(10, 2900), reach=st.integers(-5, 300), south=st.integers(0, 2990), height=st.integers(1, 3000))
def test_an_area_is_placed_in_the_zones_it_overlaps_not_those_it_only_touches(two_zones, width, reach, south, height):
    # zone a west of E0 + 3000 m, zone b east of it; the area, built in metres, reaches `reach` metres into b
    north = min(N0 + south + height, N0 + 3000)
    box = gpd.GeoSeries([shapely.box(E0 + 3000 - width, N0 + south, E0 + 3000 + reach, north)], crs=SWEREF99TM)
    area = shapely.to_wkt(box.to_crs(WGS84).iloc[0])
    [place] = event_zones(validate(EVENTS, raw_events(area=[area]), "e.csv"), two_zones)
    assert place == (("a", "b") if reach > 0 else ("a",))


# -- comparison windows in local time ----------------------------------------------------------------

SPRING_GAP = (pd.Timestamp("2020-03-29 02:00"), pd.Timestamp("2020-03-29 03:00"))
"""The local hour that did not exist in 2020 (summer time began)."""


@settings(max_examples=150, deadline=None)
@example(start=pd.Timestamp("2020-10-24 23:00").to_pydatetime(), minutes=240)  # crosses autumn; a window spring
@example(start=pd.Timestamp("2020-01-19 02:00").to_pydatetime(), minutes=15)  # a Sunday's window in the missing hour
@given(start=st.datetimes(min_value=pd.Timestamp("2020-01-01").to_pydatetime(),
                          max_value=pd.Timestamp("2020-12-31 23:00").to_pydatetime()),
       minutes=st.integers(15, 60 * 40))
def test_comparison_windows_are_the_same_weekday_and_wall_clock_hours_in_the_other_weeks(start, minutes):
    wall_start = pd.Timestamp(start).floor("min")
    event_start, event_end = (wall.tz_localize(LOCAL_TZ, ambiguous=True, nonexistent="shift_forward")
                              for wall in (wall_start, wall_start + pd.Timedelta(minutes=minutes)))
    if event_end <= event_start:
        return
    windows = comparison_windows(event_start, event_end, 2020)
    day = event_start.tz_convert(LOCAL_TZ).tz_localize(None).normalize()
    year = pd.date_range("2020-01-01", "2020-12-31", freq="D")
    others = year[(year.day_of_week == day.day_of_week) & (year != day)]

    def wall(moment: pd.Timestamp) -> pd.DatetimeIndex:  # on the other days, a time in the missing hour at its end
        wanted = others + (moment.tz_convert(LOCAL_TZ).tz_localize(None) - day)
        return wanted.where((wanted < SPRING_GAP[0]) | (wanted >= SPRING_GAP[1]), SPRING_GAP[1])

    # every other such day, but for one whose hours of the event do not exist (the spring change)
    assert len(windows) == int((wall(event_start) < wall(event_end)).sum())
    days = windows["start"].dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).dt.normalize()
    assert (days.dt.day_of_week == day.day_of_week).all() and (days.dt.year == 2020).all() and not (days == day).any()
    for column, moment in (("start", event_start), ("end", event_end)):
        wanted = days + (moment.tz_convert(LOCAL_TZ).tz_localize(None) - day)  # the same wall-clock time
        got = windows[column].dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
        missing = (wanted >= SPRING_GAP[0]) & (wanted < SPRING_GAP[1])
        assert (got[~missing] == wanted[~missing]).all() and (got[missing] == SPRING_GAP[1]).all()
    real = windows["end"] - windows["start"]  # the same wall-clock hours: an hour longer or shorter across a
    # change of clocks, two hours apart when the event crosses one change and a window the other
    assert ((real - (event_end - event_start)).abs() <= pd.Timedelta(hours=2)).all() and (real > pd.Timedelta(0)).all()


@settings(max_examples=60, deadline=None)
@given(week=st.integers(1, 50), others=st.lists(st.integers(0, 364), max_size=8),
       until_day=st.integers(30, 366))
def test_windows_never_overlap_another_event_in_the_place_nor_end_after_the_data(week, others, until_day):
    start = local("2020-01-03 22:00") + pd.Timedelta(weeks=week)  # Fridays 22:00 to Saturday 02:00
    busy = [(start, start + pd.Timedelta(hours=4))] + [
        (local("2020-01-01 20:00") + pd.Timedelta(days=d), local("2020-01-01 23:30") + pd.Timedelta(days=d))
        for d in others]
    until = local("2020-01-01") + pd.Timedelta(days=until_day)
    windows = comparison_windows(start, start + pd.Timedelta(hours=4), 2020, busy, until)
    for s, e in busy:
        assert not ((windows["start"] < e) & (windows["end"] > s)).any()
    assert (windows["end"] <= until).all()
    free = comparison_windows(start, start + pd.Timedelta(hours=4), 2020)
    assert len(windows) <= len(free) and set(windows["start"]) <= set(free["start"])


def test_a_saturday_night_across_the_change_of_daylight_saving_time():
    # 2020: summer time began on Sunday 29 March (02:00 became 03:00) and ended on Sunday 25 October
    # (03:00 became 02:00 again)
    start, end = local("2020-05-09 22:00"), local("2020-05-10 02:00")
    windows = comparison_windows(start, end, 2020)
    windows.index = windows["start"].dt.tz_convert(LOCAL_TZ).dt.strftime("%m-%d")
    spring, autumn = windows.loc["03-28"], windows.loc["10-24"]
    assert spring["end"].tz_convert(LOCAL_TZ) == local("2020-03-29 03:00")  # 02:00 did not exist that night
    assert spring["end"] - spring["start"] == pd.Timedelta(hours=4)
    assert autumn["end"] - autumn["start"] == pd.Timedelta(hours=4)  # the first 02:00 (summer time)
    others = windows.drop(["03-28", "10-24"])
    assert (others["end"] - others["start"] == pd.Timedelta(hours=4)).all()
    crossing = (windows["end"].dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).dt.normalize()
                - windows["start"].dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).dt.normalize())
    assert (crossing == pd.Timedelta(days=1)).all() and len(windows) == 51


# -- presence per span, and the figures --------------------------------------------------------------

def cube_with(year: int, zone_ids: list[str], cells: dict[tuple[str, str, int], float]) -> PresenceCube:
    """A cube of ``year`` with presence seconds in the given (zone, local date, hour) cells."""
    days = 366 if year % 4 == 0 else 365
    presence = np.zeros((len(zone_ids) + 1, days, 24))
    for (zone, day, hour), seconds in cells.items():
        presence[zone_ids.index(zone), (pd.Timestamp(day) - pd.Timestamp(f"{year}-01-01")).days, hour] = seconds
    zeros = np.zeros_like(presence)
    return PresenceCube(year, zone_ids, presence, presence.copy(), zeros, zeros.copy())


def test_presence_in_a_span_is_the_cubes_hours_spread_evenly_over_each_hour():
    cube = cube_with(2020, ["a", "b"], {("a", "2020-05-08", 21): 3600, ("b", "2020-05-08", 21): 1800,
                                        ("a", "2020-10-25", 2): 3600, ("a", "2020-12-31", 23): 900})
    presence = HourlyPresence(cube)
    ns = lambda text: np.array([local(text).value])  # noqa: E731
    assert presence.hours(["a"], ns("2020-05-08 21:00"), ns("2020-05-08 22:00")) == pytest.approx([1.0])
    assert presence.hours(["a", "b"], ns("2020-05-08 21:30"), ns("2020-05-09 03:00")) == pytest.approx([0.75])
    assert presence.hours(["b"], ns("2020-05-08 00:00"), ns("2020-05-08 21:15")) == pytest.approx([0.125])
    everything = presence.hours(["a", "b"], ns("2019-12-31 00:00"), ns("2021-01-02 00:00"))
    assert everything == pytest.approx([cube.presence_s.sum() / 3600])  # the autumn's double hour counted once


def test_figures_of_an_event_against_the_same_evening_of_other_weeks(zones):
    events = validate(EVENTS, pd.concat([
        raw_events(id=["fest"], name=["Fest"], starts_at=["2020-05-08T20:00"], ends_at=["2020-05-09T01:00"],
                   kind=["concert"], area=[SQUARE]),
        raw_events(id=["other"], name=["Annat"], starts_at=["2020-05-15T21:00"], ends_at=["2020-05-15T22:00"],
                   lon=[NISSAN[0]], lat=[NISSAN[1]]),
        raw_events(id=["far"], name=["Borta"], starts_at=["2020-05-22T21:00"], ends_at=["2020-05-22T22:00"],
                   lon=[12.70], lat=[56.60])], ignore_index=True), "e")
    place = event_zones(events.iloc[[0]], zones)[0]
    cube = cube_with(2020, zones["zone_id"].tolist(), {(place[0], "2020-05-08", 22): 7200,
                                                      (place[0], "2020-05-01", 22): 3600,
                                                      ("slottet", "2020-05-08", 22): 3600})
    incidents = validate(INCIDENTS, pd.DataFrame({
        "id": ["i1", "i2", "i3", "i4"], "category": "rån", "location_precision": ["exact", "exact", "town", "street"],
        "occurred_at": ["2020-05-08T23:00", "2020-05-08T23:10", "2020-05-08T23:20", "2020-05-29T21:00"],
        "lon": TORG[0], "lat": TORG[1]}), "i")
    reports = validate(REPORTS, pd.DataFrame({
        "id": ["r1", "r2"], "category": ["graffiti", "unsafe_place"], "created_at": "2020-05-08T21:00",
        "lon": TORG[0], "lat": TORG[1]}), "r")
    figures = event_figures(events, zones, cube, incidents, reports, until=local("2020-06-01"), min_count=None)
    assert list(figures.columns) == list(FIGURE_COLUMNS) and figures["id"].tolist() == ["fest", "other", "far"]
    fest = figures.set_index("id").loc["fest"]
    fridays_before = len(pd.date_range("2020-01-03", "2020-05-29", freq="7D")) - 1  # not the event's own
    assert fest["comparison_windows"] == fridays_before
    assert (fest["presence_h"], fest["incidents"], fest["reports"]) == (2.0, 2.0, 1.0)
    assert fest["presence_h_mean"] == pytest.approx(1 / fridays_before) and fest["presence_h_max"] == 1.0
    assert fest["incidents_max"] == 1.0 and fest["incidents_min"] == 0.0 and fest["reports_max"] == 0.0
    far = figures.set_index("id").loc["far"]
    assert far["zones"] == () and np.isnan(far["presence_h"]) and np.isnan(far["incidents_mean"])
    other = figures.set_index("id").loc["other"]  # the festival's Friday is busy in its zone only if it touches it
    assert other["comparison_windows"] == fridays_before - ("nissan" in place)


@settings(max_examples=40, deadline=None)
@example(minutes=0)  # over just as the data ends
@example(minutes=-1)  # still on a minute before
@given(minutes=st.integers(-60 * 30, 60 * 30))
def test_an_event_not_over_when_the_data_ends_has_no_figures_of_its_own_yet(zones, minutes):
    events = validate(EVENTS, raw_events(starts_at=["2020-05-08T20:00"], ends_at=["2020-05-09T01:00"]), "e")
    end = events["ends_at"].iloc[0]
    cube = cube_with(2020, zones["zone_id"].tolist(), {("stora-torg", "2020-05-08", 21): 3600,
                                                      ("stora-torg", "2020-05-01", 21): 3600})
    incidents = validate(INCIDENTS, pd.DataFrame({"id": ["i1"], "category": "rån", "location_precision": "exact",
                                                  "occurred_at": ["2020-05-08T21:00"], "lon": TORG[0],
                                                  "lat": TORG[1]}), "i")
    [event] = event_figures(events, zones, cube, incidents, empty_layer(REPORTS),
                            until=end + pd.Timedelta(minutes=minutes), min_count=None).to_dict("records")
    over = minutes >= 0
    assert event["zones"] == ("stora-torg",) and event["comparison_windows"] > 0
    assert [not np.isnan(event[figure]) for figure in ("presence_h", "incidents", "reports")] == [over] * 3
    if over:
        assert (event["presence_h"], event["incidents"], event["reports"]) == (1.0, 1.0, 0.0)
    assert event["presence_h_max"] == 1.0 and event["incidents_max"] == 0.0  # the weeks before are known


def test_no_events_no_figures(zones):
    cube = cube_with(2020, zones["zone_id"].tolist(), {})
    figures = event_figures(empty_layer(EVENTS), zones, cube, empty_layer(INCIDENTS), empty_layer(REPORTS), min_count=3)
    assert figures.empty and list(figures.columns) == list(FIGURE_COLUMNS)


def test_events_per_purple_flag_band():
    events = validate(EVENTS, pd.concat([
        raw_events(id=["night"], starts_at=["2020-05-09T22:00"], ends_at=["2020-05-10T02:00"]),
        raw_events(id=["day"], starts_at=["2020-05-09T10:00"], ends_at=["2020-05-09T17:30"]),
        raw_events(id=["before"], starts_at=["2019-12-31T22:00"], ends_at=["2020-01-01T01:00"])],
        ignore_index=True), "e")
    bands = events_per_band(events, 2020)
    assert bands.index.tolist() == ["17-20", "20-23", "23-02", "02-05"]
    assert bands["events"].tolist() == [1, 1, 2, 0]
    assert bands["event_hours"].tolist() == pytest.approx([0.5, 1.0, 4.0, 0.0])
    assert events_per_band(empty_layer(EVENTS), 2020)["events"].sum() == 0

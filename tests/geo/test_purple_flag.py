"""Purple Flag evidence (geo/purple_flag.py) on hand-made frames with known answers: the bands'
real hours on both daylight-saving nights and across New Year, the dark part of each hour against
minute-by-minute sunset checks, presence, incidents, reports and events in a band crossing
midnight, the lighting after dark weighted by the bands' dark hours, k-suppressed unsafe-place
marks, the evening survey questions, and every figure under one theme."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84
from geo.lamp_history import HISTORY_COLUMNS
from geo.layers import FAULT_CATEGORIES, INCIDENT_CATEGORIES, LIGHTS, validate
from geo.lighting import LampContributions
from geo.patrol import NIGHT_BANDS
from geo.purple_flag import (BANDS, CANNOT_SHOW, FIGURE_THEMES, THEME_NAMES, WHOLE_NIGHT, Lamps, band_hours,
                             band_of, counts_per_band, event_bands, evening_survey, lighting_after_dark,
                             presence_per_band, purple_flag_evidence)
from geo.sun import after_dark
from geo.timestamps import LOCAL_TZ, local_year
from tests.geo.conftest import E0, N0
from tests.geo.test_patrol import cube_of, walk

YEAR_END = local_year(2020)[1]
TORG = (12.8569, 56.6738)


def local(text: str) -> pd.Timestamp:
    """A local wall-clock time that exists and is unambiguous."""
    return pd.Timestamp(text, tz=LOCAL_TZ)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def times(*stamps: pd.Timestamp) -> pd.Series:
    return pd.Series(list(stamps), dtype="datetime64[ns, UTC]")


def test_each_clock_hour_has_its_band():
    table = {hour: band for band, hours in NIGHT_BANDS.items() for hour in hours}
    assert list(band_of(np.arange(24))) == [table.get(hour) for hour in range(24)]


def test_the_bands_real_hours_on_daylight_saving_nights_and_at_new_year():
    hours = band_hours(2020, YEAR_END)
    assert hours.groupby("band").size().to_dict() == {band: 3 * 366 for band in BANDS}, \
        "a leap year: the spring night's lost hour is the autumn night's extra one"
    day = hours["start"].dt.tz_convert(LOCAL_TZ).dt.date.astype(str)
    late = hours[hours["band"] == "02-05"]
    assert (day[late.index] == "2020-03-29").sum() == 2, "clocks go forward at 02:00: 03 and 04 are left"
    assert (day[late.index] == "2020-10-25").sum() == 4, "clocks go back at 03:00: 02 twice, 03 and 04"
    first = hours.iloc[0]
    assert first["start"] == local("2020-01-01 00:00") and first["band"] == "23-02", \
        "the hours after midnight on New Year's Eve belong to the new year"
    assert hours["start"].iloc[-1] == local("2020-12-31 23:00")
    assert band_hours(2020, local("2020-01-01 02:00"))["band"].tolist() == ["23-02", "23-02"]
    assert band_hours(2020, local("2019-06-01 00:00")).empty


def test_the_dark_part_of_each_hour_agrees_with_sunset_minute_by_minute():
    hours = band_hours(2020, YEAR_END)
    sample = hours.iloc[::97]  # every season and band
    minutes = (sample["start"].repeat(60).reset_index(drop=True)
               + pd.to_timedelta(np.tile(np.arange(60) + 0.5, len(sample)), unit="min"))
    by_minute = after_dark(minutes)
    assert sample["dark"].to_numpy() == pytest.approx(by_minute.reshape(-1, 60).mean(axis=1), abs=1 / 60)
    midsummer = hours[hours["start"].dt.tz_convert(LOCAL_TZ).dt.date.astype(str) == "2020-06-21"]
    assert midsummer.set_index("band")["dark"].groupby(level=0).sum()["17-20"] == 0, "the sun sets after 22"


def test_presence_in_a_band_crossing_midnight_and_on_the_autumn_night(two_zones):
    def stand(unit: str, start_utc: str, seconds: int):
        east, north = walk(E0 + 500, N0 + 500, 0.0, seconds)
        return (unit, start_utc, east, north, 1)

    cube = cube_of(two_zones, [stand("u", local("2020-05-08 22:30").tz_convert("UTC").isoformat(), 3 * 3600),
                               stand("v", "2020-10-25T00:00:00Z", 3 * 3600)])
    assert dict(zip(BANDS, presence_per_band(cube, YEAR_END).round(6))) == {
        "17-20": 0, "20-23": 0.5, "23-02": 2.5, "02-05": 3.0}, "02:00-05:00 UTC+2, then UTC+1, is 02-04 local"
    assert presence_per_band(cube, local("2020-05-09 00:00")).round(6).tolist() == [0, 0.5, 1.0, 0], \
        "up to the end of 8 May: its 23-24 counts, the hours of 9 May do not"


def test_records_fall_in_the_band_of_their_local_hour():
    stamps = times(local("2020-05-08 16:59:59"), local("2020-05-08 17:00"), local("2020-05-08 23:59"),
                   local("2020-05-09 00:30"), utc("2020-03-29 00:30"), utc("2020-10-25 00:30"),
                   utc("2020-10-25 01:30"), local("2020-05-09 05:00"))
    groups = pd.Series(["a", "a", "b", "b", "a", "a", "b", "a"])
    table = counts_per_band(stamps, groups, ("a", "b"))
    assert table.tolist() == [[1, 0], [0, 0], [1, 2], [1, 1]], \
        "01:30 CET on the spring night is 23-02; 02:30 on the autumn night, twice, is 02-05; 05:00 is in none"
    assert counts_per_band(stamps, groups, ("b",)).sum() == 3, "groups not asked for are not counted"


def test_an_event_counts_in_each_band_it_overlaps():
    events = pd.DataFrame({"starts_at": times(local("2020-05-08 22:00"), local("2020-05-08 10:00"),
                                              local("2020-05-09 05:00"), local("2020-12-31 23:30"),
                                              utc("2020-03-29 00:30"), local("2020-06-01 19:59")),
                           "ends_at": times(local("2020-05-09 00:30"), local("2020-05-08 16:00"),
                                            local("2020-05-09 17:00"), local("2021-01-01 01:00"),
                                            utc("2020-03-29 01:30"), local("2020-06-01 20:01"))})
    overlaps = event_bands(events, band_hours(2020, YEAR_END))
    assert [[band for band, on in zip(BANDS, row) if on] for row in overlaps] == [
        ["20-23", "23-02"], [], [], ["23-02"], ["23-02", "02-05"], ["17-20", "20-23"]], \
        "touching a band's edge is no overlap; New Year's Eve's 23:30 is in the year; the spring night's 01:30-03:30"
    next_year = event_bands(events.iloc[[3]], band_hours(2021, local_year(2021)[1]))
    assert next_year.tolist() == [[False, False, True, False]], "its 00:00-01:00 is in the next year's 23-02"


def lamps_breaking_at(broken_at: pd.Timestamp) -> Lamps:
    """One strong lamp over two points of one P2 field: lit to class until ``broken_at``, dark after."""
    to_metric = Transformer.from_crs(WGS84, SWEREF99TM, always_xy=True)
    east, north = to_metric.transform(*TORG)
    lights = validate(LIGHTS, pd.DataFrame([{"id": "torg", "lumen": 200_000, "height_m": 10, "status": "working",
                                             "lon": TORG[0], "lat": TORG[1]}]), "test")
    points = pd.DataFrame({"field": [0, 0], "x": [east, east + 1], "y": [north, north]})
    history = pd.DataFrame([("torg", None, "working", utc("2019-01-01")), ("torg", "working", "broken", broken_at)],
                           columns=HISTORY_COLUMNS).astype({"at": "datetime64[ns, UTC]"})
    fields = pd.DataFrame({"lighting_class": ["P2"], "walkable_m2": [10.0]})
    no_reports = gpd.GeoDataFrame({"category": [], "created_at": pd.Series([], dtype="datetime64[ns, UTC]"),
                                   "status": [], "closed_at": pd.Series([], dtype="datetime64[ns, UTC]")},
                                  geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    return Lamps(lights, history, no_reports, LampContributions(lights, points["x"], points["y"]), fields, points)


def test_the_lighting_after_dark_weighs_each_band_by_its_dark_hours():
    broken_at = utc("2020-06-30 23:00")  # 182 days (13 sampling periods of 14) after 1 January 00:00 CET
    hours = band_hours(2020, YEAR_END)
    shares, states = lighting_after_dark(hours, lamps_breaking_at(broken_at))
    dark = hours[hours["dark"] > 0]
    lit = dark["start"] < broken_at
    expected = {band: (dark["dark"] * lit)[dark["band"] == band].sum() / dark["dark"][dark["band"] == band].sum()
                for band in BANDS}
    assert shares == {**{b: round(v, 4) for b, v in expected.items()},
                      WHOLE_NIGHT: round((dark["dark"] * lit).sum() / dark["dark"].sum(), 4)}
    assert states == 27, "one lamp state per 14 days"
    assert shares["23-02"] == round((182 * 3 + 1) / 1098, 4), "always dark: lit up to 1 July 01:00 (summer time)"
    assert shares["17-20"] != shares["23-02"], "each band weighs by its own dark hours"
    summer = band_hours(2020, local("2020-06-22 00:00"))
    june = summer[summer["start"] >= local("2020-06-21 00:00")]
    assert lighting_after_dark(june, lamps_breaking_at(broken_at))[0]["17-20"] is None, "no dark hour at midsummer"


def test_only_the_years_questions_about_the_evening_or_night():
    survey = pd.DataFrame({
        "year": [2020, 2020, 2020, 2019, 2020],
        "area": ["centrum", "centrum", "Stora Torg", "centrum", "centrum"],
        "question": ["otrygg_kvall", "undviker_platser", "q7", "otrygg_kvall", "otrygg_dag"],
        "question_text": ["Känner du dig otrygg i centrum på kvällen?", "Finns det platser du undviker?",
                          "Undviker du centrum NATTETID?", "Känner du dig otrygg i centrum på kvällen?",
                          "Känner du dig otrygg i centrum på dagen?"],
        "share": [0.41, 0.71, np.nan, 0.45, 0.12], "answers": [1200, 1180, 40, 1100, 1200],
        "low": [0.382, 0.684, np.nan, 0.42, 0.10], "high": [0.438, 0.736, np.nan, 0.48, 0.14]})
    got = evening_survey(survey, 2020)
    assert [(s["question"], s["area"]) for s in got] == [("otrygg_kvall", "centrum"), ("q7", "Stora Torg")]
    assert got[0] == {"year": 2020, "area": "centrum", "name": "centrum", "question": "otrygg_kvall",
                      "question_text": "Känner du dig otrygg i centrum på kvällen?", "share": 0.41, "answers": 1200,
                      "low": 0.382, "high": 0.438}
    assert got[1]["share"] is None and got[1]["low"] is None
    twice = pd.concat([survey.iloc[[0]].assign(area="stora-torg"), survey.iloc[[0]]])
    named = evening_survey(twice, 2020, {"centrum": "Hela stadskärnan", "stora-torg": "Stora Torg"})
    assert [(s["area"], s["name"]) for s in named] == [("centrum", "Hela stadskärnan"), ("stora-torg", "Stora Torg")], \
        "by question, then in the areas' order: the whole centre first"


def incidents_at(*rows: tuple[pd.Timestamp, str]) -> pd.DataFrame:
    return pd.DataFrame({"occurred_at": times(*(t for t, _ in rows)), "category": [c for _, c in rows]})


def reports_at(*rows: tuple[pd.Timestamp, str]) -> pd.DataFrame:
    return pd.DataFrame({"created_at": times(*(t for t, _ in rows)), "category": [c for _, c in rows]})


def marks(at_21: int) -> list[tuple[pd.Timestamp, str]]:
    """Unsafe-place marks of 2020: four made at 18:00, ``at_21`` at 21:00, three at 10:00; one of
    2019; and two fault reports."""
    return ([(local(f"2020-02-0{d} 18:00"), "unsafe_place") for d in range(1, 5)]
            + [(local(f"2020-03-0{d} 21:00"), "unsafe_place") for d in range(1, at_21 + 1)]
            + [(local(f"2020-04-0{d} 10:00"), "unsafe_place") for d in range(1, 4)]
            + [(local("2019-12-31 18:00"), "unsafe_place"),
               (local("2020-02-01 18:00"), "graffiti"), (local("2020-02-02 03:00"), "litter")])


def test_the_evidence_of_a_year(two_zones):
    cube = cube_of(two_zones, [])
    incidents = incidents_at((local("2020-05-08 23:30"), "misshandel"), (local("2020-05-09 01:00"), "misshandel"),
                             (local("2020-05-09 01:00"), "rån"), (local("2020-05-09 12:00"), "stöld"))
    town = incidents_at((local("2020-05-08 18:00"), "stöld"))
    events = pd.DataFrame({"id": ["e1", "e2", "e3"], "name": ["Stadsfest", "Julmarknad", "Förra året"],
                           "starts_at": times(local("2020-07-03 18:00"), local("2020-12-12 10:00"),
                                              local("2019-07-03 18:00")),
                           "ends_at": times(local("2020-07-04 01:00"), local("2020-12-12 18:00"),
                                            local("2019-07-04 01:00")),
                           "kind": ["festival", "market", "festival"]})
    evidence = purple_flag_evidence(2020, YEAR_END, cube=cube, incidents=incidents, town_level=town,
                                    reports=reports_at(*marks(3)), min_count=3, events=events)
    bands, night = evidence["bands"], evidence["whole_night"]
    assert list(bands) == list(BANDS)
    assert bands["23-02"]["incidents"]["by_category"] == {**dict.fromkeys(INCIDENT_CATEGORIES, 0),
                                                          "misshandel": 2, "rån": 1}
    assert night["incidents"]["total"] == 3 and bands["17-20"]["incidents"]["town_level"] == 1
    assert all(set(f["reports"]["by_category"].values()) == {None} and f["reports"]["total"] is None
               for f in [*bands.values(), night]), "one graffiti and one litter report: fewer than k"
    assert {b: f["reports"]["unsafe_place"] for b, f in bands.items()} == {
        "17-20": 4, "20-23": 3, "23-02": None, "02-05": None}, "none made after 23: fewer than k"
    assert night["reports"]["unsafe_place"] == 7
    assert evidence["unsafe_places"] == {"total": 10, "suppressed_below": 3}, "the mark of 2019 is not the year's"
    assert {b: f["events"]["count"] for b, f in bands.items()} == {"17-20": 2, "20-23": 1, "23-02": 1, "02-05": 0}
    assert night["events"] == {"count": 2, "by_kind": {"festival": 1, "market": 1}}, "each event once, not per band"
    assert [e["id"] for e in evidence["events"]] == ["e1", "e2"]
    assert evidence["events"][0]["starts_at"] == "2020-07-03T18:00:00+02:00"
    assert evidence["events"][0]["bands"] == ["17-20", "20-23", "23-02"]
    assert night["hours"] == sum(f["hours"] for f in bands.values()) == 4 * 3 * 366
    assert night["dark_share"] == pytest.approx(night["dark_h"] / night["hours"], abs=1e-4)
    assert evidence["events"] is not None and evidence["survey"] is None and evidence["lighting_method"] is None


def test_no_small_count_of_marks_follows_from_a_difference(two_zones):
    cube = cube_of(two_zones, [])
    public = purple_flag_evidence(2020, YEAR_END, cube=cube, incidents=incidents_at(), town_level=incidents_at(),
                                  reports=reports_at(*marks(2)), min_count=3)
    assert public["whole_night"]["reports"]["unsafe_place"] == 6, "the 3 made in the day are not fewer than k"
    assert [f["reports"]["unsafe_place"] for f in public["bands"].values()] == [None] * 4, \
        "showing the 4 made in 17-20 would show that 2 were made later"
    exact = purple_flag_evidence(2020, YEAR_END, cube=cube, incidents=incidents_at(), town_level=incidents_at(),
                                 reports=reports_at(*marks(2)), min_count=None)
    assert [f["reports"]["unsafe_place"] for f in exact["bands"].values()] == [4, 2, 0, 0]
    assert exact["bands"]["17-20"]["reports"]["by_category"] == {**dict.fromkeys(FAULT_CATEGORIES, 0), "graffiti": 1}
    assert exact["bands"]["02-05"]["reports"]["by_category"]["litter"] == 1
    assert exact["whole_night"]["reports"]["by_category"]["litter"] == 1 and exact["whole_night"]["reports"]["total"] == 2
    assert exact["unsafe_places"] == {"total": 9, "suppressed_below": None}
    assert exact["events"] is None, "no events layer: none, not zero"
    few = purple_flag_evidence(2020, YEAR_END, cube=cube, incidents=incidents_at(), town_level=incidents_at(),
                               reports=reports_at(*marks(0)[4:6]), min_count=3)
    assert few["unsafe_places"] == {"total": None, "suppressed_below": 3}, "a year's two marks: fewer than k"


def test_every_figure_has_a_theme_and_every_theme_says_what_the_data_cannot_show(two_zones):
    evidence = purple_flag_evidence(2020, YEAR_END, cube=cube_of(two_zones, []), incidents=incidents_at(),
                                    town_level=incidents_at(), reports=reports_at(), min_count=3)
    themes = evidence["themes"]
    assert [t["theme"] for t in themes] == list(THEME_NAMES) and [t["name"] for t in themes] == [
        "Säkerhet", "Tillgänglighet", "Utbud", "Plats", "Policy"]
    assert sorted(f for t in themes for f in t["figures"]) == sorted(FIGURE_THEMES)
    assert all(t["cannot_show"] == CANNOT_SHOW[t["theme"]] and t["cannot_show"].strip() for t in themes)

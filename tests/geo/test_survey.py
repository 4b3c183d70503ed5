"""The safety survey's schema, its validation (naming file, row and field), its intervals and the
public aggregation of the places respondents mark."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.crs import WGS84
from geo.errors import ValidationError
from geo.io.survey import read_survey
from geo.survey import (CENTRE, public_places, validate_places, validate_results, wilson_interval, year_changes,
                        year_figures, zone_shares)

ZONE_IDS = ["stora-torg", "nissan"]
QUESTION = "Finns det platser i centrum där du känner dig otrygg?"


def raw_results() -> pd.DataFrame:
    return pd.DataFrame({"year": ["2021", "2021"], "area": ["centrum", "stora-torg"],
                         "question": ["otrygg_platser", "otrygg_platser"], "question_text": [QUESTION, QUESTION],
                         "share": ["71 %", "0,5"], "answers": ["1200", "80"]})


def refused(raw: pd.DataFrame) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_results(raw, ZONE_IDS, "enkat.csv")
    return caught.value


# -- results ---------------------------------------------------------------------------------------

def test_shares_as_fractions_or_percentages_with_a_decimal_comma():
    raw = raw_results()
    raw.loc[:, "share"] = ["70,5 %", "0.25"]
    frame = validate_results(raw, ZONE_IDS, "enkat.csv")
    assert frame["share"].tolist() == pytest.approx([0.705, 0.25])
    assert frame["answers"].tolist() == [1200, 80] and frame["year"].tolist() == [2021, 2021]
    assert frame["source"].tolist() == ["enkat.csv"] * 2
    assert (frame["low"] < frame["share"]).all() and (frame["share"] < frame["high"]).all()


@pytest.mark.parametrize("column, value, field, words", [
    ("share", "71", "share", "percentage with %"),
    ("share", "120 %", "share", "fraction from 0 to 1"),
    ("share", "mycket", "share", "not 'mycket'"),
    ("answers", "0", "answers", "at least 1"),
    ("answers", "12.5", "answers", "whole number"),
    ("area", "hela-stan", "area", "'hela-stan' is not an area"),
    ("question", "Otrygg kväll", "question", "lowercase"),
    ("question_text", "", "question_text", "as it was asked"),
    ("year", "1850", "year", "from 2000 to 2100"),
])
def test_a_bad_value_is_refused_naming_file_row_and_field(column, value, field, words):
    raw = raw_results()
    raw.loc[1, column] = value
    error = refused(raw)
    assert (error.file, error.row, error.field) == ("enkat.csv", "row 3", field)
    assert words in str(error)


def test_one_year_one_text_per_question_and_one_row_per_area_and_question():
    raw = raw_results()
    raw.loc[1, "year"] = "2020"
    assert "one year's survey" in str(refused(raw))
    raw = raw_results()
    raw.loc[1, "question_text"] = "Något annat?"
    assert refused(raw).field == "question_text"
    raw = raw_results()
    raw.loc[1, "area"] = CENTRE
    error = refused(raw)
    assert error.row == "row 3" and "row 2" in str(error)


def test_a_missing_column_and_a_control_character_are_named():
    error = refused(raw_results().drop(columns="answers"))
    assert error.field == "answers" and error.row is None
    raw = raw_results()
    raw.loc[0, "question_text"] = "Otrygg\x00?"
    error = refused(raw)
    assert (error.row, error.field) == ("row 2", "question_text") and "U+0000" in str(error)


# -- intervals ---------------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.integers(1, 100_000), st.floats(0, 1))
def test_the_wilson_interval_holds_the_share(answers, share):
    low, high = wilson_interval(share, answers)
    assert 0 <= low[0] <= share + 1e-12 and share - 1e-12 <= high[0] <= 1


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 10_000), st.floats(0.05, 0.95), st.integers(2, 50))
def test_more_answers_narrow_the_interval(answers, share, times):
    low, high = wilson_interval(np.array([share, share]), np.array([answers, answers * times]))
    width = high - low
    assert width[1] < width[0]


@pytest.mark.parametrize("answers", [1, 10, 1200])
def test_shares_of_0_and_1_have_one_sided_intervals(answers):
    low, high = wilson_interval(np.array([0.0, 1.0]), np.array([answers, answers]))
    assert low[0] == 0 and 0 < high[0] < 1
    assert high[1] == 1 and 0 < low[1] < 1


def test_the_halmstad_2021_figure_has_an_interval_of_about_two_and_a_half_points():
    low, high = wilson_interval(0.71, 1200)
    assert low[0] == pytest.approx(0.6837, abs=1e-4) and high[0] == pytest.approx(0.7350, abs=1e-4)


def test_a_change_says_when_it_is_within_the_noise():
    now = validate_results(raw_results(), ZONE_IDS, "2021.csv")
    before = now.assign(year=2020, share=[0.60, 0.45])
    changes = year_changes(pd.concat([before, now], ignore_index=True))
    latest = changes[changes["year"] == 2021].set_index("area")
    assert latest.loc["centrum", "change"] == pytest.approx(0.11)
    assert not latest.loc["centrum", "within_noise"], "1,200 answers: 11 points is more than chance"
    assert latest.loc["stora-torg", "within_noise"], "80 answers: 5 points may be chance"
    assert latest.loc["centrum", "change_low"] < 0.11 < latest.loc["centrum", "change_high"]
    assert changes[changes["year"] == 2020]["previous_year"].isna().all()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5000), st.integers(1, 5000), st.floats(0, 1), st.floats(0, 1))
def test_the_interval_of_a_change_holds_the_change(n1, n2, p1, p2):
    frame = pd.DataFrame({"year": [2020, 2021], "area": CENTRE, "question": "q", "share": [p1, p2], "answers": [n1, n2]})
    row = year_changes(frame).iloc[1]
    assert row["change_low"] - 1e-9 <= p2 - p1 <= row["change_high"] + 1e-9
    assert -1 <= row["change_low"] and row["change_high"] <= 1


def test_the_public_sees_no_share_or_change_from_fewer_than_k_answers():
    now = validate_results(raw_results(), ZONE_IDS, "x")
    now.loc[1, "answers"] = 2
    before = now.assign(year=2020, answers=[2, 500])
    results = pd.concat([before, now], ignore_index=True)
    public = year_figures(results, 2021, 3).set_index("area")
    assert public.loc["centrum", "share"] == pytest.approx(0.71) and pd.isna(public.loc["centrum", "change"]), \
        "2020's 2 answers: no change shown"
    assert public.loc["stora-torg", ["share", "low", "high", "change"]].isna().all()
    assert pd.isna(public.loc["centrum", "within_noise"])
    staff = year_figures(results, 2021, None).set_index("area")
    assert staff.loc["stora-torg", "share"] == pytest.approx(0.5) and staff.loc["centrum", "change"] == pytest.approx(0)
    assert (year_figures(results, 2021, None)["year"] == 2021).all()


# -- places --------------------------------------------------------------------------------------------

def raw_places(counts=("4", "2"), years=("2021", "2021")) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"count": list(counts), "year": list(years), "question": ["otrygg_platser", None],
                             "note": ["mörkt", None]},
                            geometry=[shapely.Point(12.8578, 56.6744), shapely.box(12.8590, 56.6730, 12.8600, 56.6736)],
                            crs=WGS84)


@pytest.mark.parametrize("change, field, words", [
    ({"counts": ("4", "0")}, "count", "at least 1"),
    ({"years": ("2021", "2020")}, "year", "results' year 2021"),
])
def test_a_bad_place_is_named(change, field, words):
    with pytest.raises(ValidationError) as caught:
        validate_places(raw_places(**change), ["row 2", "row 3"], 2021, ["otrygg_platser"], "platser.csv")
    assert (caught.value.row, caught.value.field) == ("row 3", field) and words in str(caught.value)


def test_a_swapped_point_and_an_unknown_question_are_named():
    raw = raw_places()
    raw.loc[0, "geometry"] = shapely.Point(56.6744, 12.8578)
    with pytest.raises(ValidationError, match="swapped") as caught:
        validate_places(raw, ["row 2", "row 3"], 2021, ["otrygg_platser"], "platser.csv")
    assert caught.value.field == "lat/lon"
    with pytest.raises(ValidationError, match="not a question of the results"):
        validate_places(raw_places(), ["row 2", "row 3"], 2021, ["otrygg_kvall"], "platser.csv")


def test_places_are_public_only_as_cells_of_at_least_k_marks():
    places = validate_places(raw_places(), ["row 2", "row 3"], 2021, ["otrygg_platser"], "p.csv")
    assert public_places(places, 3)["count"].tolist() == [4], "the polygon's 2 marks are fewer than 3"
    assert sorted(public_places(places, None)["count"].tolist()) == [2, 4]
    assert public_places(places, 5).empty
    cells = public_places(places, 3)
    assert cells.geometry.iloc[0].contains(places.geometry.iloc[0])


def test_files_are_read_and_their_rows_numbered_as_a_spreadsheet(tmp_path, zones):
    results = tmp_path / "enkat.csv"
    results.write_text("year,area,question,question_text,share,answers\n"
                       f"2021,centrum,otrygg_platser,{QUESTION},71 %,1200\n"
                       f"2021,stora-torg,otrygg_platser,{QUESTION},40 %,1 200\n", encoding="utf-8")
    points = tmp_path / "platser.csv"
    points.write_text("lon,lat,count,year,question,note\n12.8578,56.6744,3,2021,otrygg_platser,mörkt\n"
                      "12.8579,56.6745,,2021,,\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_survey(results, zones["zone_id"].tolist(), points)
    assert (caught.value.row, caught.value.field) == ("row 3", "count")
    polygons = tmp_path / "platser.geojson"
    polygons.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                        '{"count": 5, "year": 2021}, "geometry": {"type": "Polygon", "coordinates": '
                        '[[[12.857, 56.674], [12.858, 56.674], [12.858, 56.675], [12.857, 56.674]]]}}]}', encoding="utf-8")
    survey = read_survey(results, zones["zone_id"].tolist(), polygons, source="enkät")
    assert survey.year == 2021 and survey.results["answers"].tolist() == [1200, 1200]
    assert survey.results["source"].tolist() == ["enkät"] * 2 and survey.places["count"].tolist() == [5]
    shares = zone_shares(survey.results, zones, 2021, "otrygg_platser").set_index("zone_id")
    assert shares.loc["stora-torg", "share"] == pytest.approx(0.4) and shares["share"].isna().sum() == len(zones) - 1

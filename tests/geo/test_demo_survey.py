"""The synthetic safety survey of the demo: a function of the year and the zones, near Halmstad's
public 2021 figures, its marked places around the hot spots and dark places, labelled synthetic."""

from __future__ import annotations

import numpy as np
import pytest
from geopandas.testing import assert_geodataframe_equal

from geo.crs import metric_xy
from geo.demo import HOT_SPOTS
from geo.demo_survey import ANSWERS_2021, PLACES_QUESTION, QUESTIONS, SOURCE, demo_survey
from geo.survey import CENTRE, RESULT_COLUMNS
from geo.zones import zone_positions


@pytest.fixture(scope="module")
def survey_2021(zones, demo_year):
    return demo_survey(zones, demo_year.lights, 2021)


def test_2021_is_near_the_public_description_of_halmstads_survey(survey_2021):
    results, _ = survey_2021
    centre = results[(results["area"] == CENTRE) & (results["question"] == PLACES_QUESTION)].iloc[0]
    assert centre["answers"] == ANSWERS_2021 == 1200 and centre["share"] == pytest.approx(0.71)
    assert centre["low"] < 0.71 < centre["high"]


def test_every_zone_and_the_centre_answer_every_question_as_synthetic(survey_2021, zones):
    results, places = survey_2021
    assert list(results.columns) == list(RESULT_COLUMNS)
    assert len(results) == len(QUESTIONS) * (len(zones) + 1)
    assert set(results["area"]) == {*zones["zone_id"], CENTRE} and set(results["question"]) == set(QUESTIONS)
    assert (results["source"] == SOURCE).all() and (places["source"] == SOURCE).all() and SOURCE == "syntetiskt exempel"
    zones_only = results[results["area"] != CENTRE]
    assert (zones_only["answers"] < ANSWERS_2021).all() and zones_only["share"].between(0, 1).all()
    assert zones_only.groupby("question")["share"].std().gt(0.03).all(), "zones differ"


def test_the_marked_places_cluster_at_hot_spots_inside_the_zones(survey_2021, zones):
    _, places = survey_2021
    assert (places["year"] == 2021).all() and (places["question"] == PLACES_QUESTION).all()
    assert 0.5 * 0.71 * 1200 < places["count"].sum() < 1.2 * 0.71 * 1200, "about one mark per respondent who says yes"
    x, y = metric_xy(places.geometry.x.to_numpy(), places.geometry.y.to_numpy())
    assert (zone_positions(zones, places.geometry.x.to_numpy(), places.geometry.y.to_numpy()) >= 0).all()
    hx, hy = metric_xy([h[1] for h in HOT_SPOTS], [h[2] for h in HOT_SPOTS])
    nearest = np.min(np.hypot(x[:, None] - hx, y[:, None] - hy), axis=1)
    assert np.mean(nearest < 100) > 0.5, "most marks within 100 m of a hot spot"


def test_the_survey_is_a_function_of_the_year(zones, demo_year, survey_2021):
    again = demo_survey(zones, demo_year.lights, 2021)
    assert again[0].equals(survey_2021[0])
    assert_geodataframe_equal(again[1], survey_2021[1])
    earlier, places_2020 = demo_survey(zones, demo_year.lights, 2020)
    assert (earlier["year"] == 2020).all() and (places_2020["year"] == 2020).all()
    centre = earlier[(earlier["area"] == CENTRE) & (earlier["question"] == PLACES_QUESTION)].iloc[0]
    assert centre["share"] == pytest.approx(0.74, abs=0.005) and centre["answers"] == 1160


def test_the_demo_year_carries_its_survey(demo_year):
    results, places = demo_year.survey
    assert set(results["year"]) == {2020} and len(places) > 100

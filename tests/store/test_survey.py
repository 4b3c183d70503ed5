"""The store contract for the safety survey, on every backend: a year's results and marked places
replaced as a whole in one transaction, other years kept, and the ``survey`` data topic."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.crs import WGS84
from geo.survey import PLACE_COLUMNS, RESULT_COLUMNS, validate_places, validate_results
from service.store import WriteResult

ZONE_IDS = ["stora-torg", "nissan"]


def results(year: int, shares: tuple[str, ...] = ("71 %", "0.5"), source: str = "") -> pd.DataFrame:
    raw = pd.DataFrame({"year": str(year), "area": ["centrum", "stora-torg"][:len(shares)], "question": "otrygg_platser",
                        "question_text": "Finns det platser i centrum där du känner dig otrygg?",
                        "share": list(shares), "answers": ["1200", "80"][:len(shares)], "source": source})
    return validate_results(raw, ZONE_IDS, "enkat.csv")


def places(year: int, n: int = 2) -> gpd.GeoDataFrame:
    geometry = [shapely.Point(12.8578, 56.6744), shapely.box(12.8590, 56.6730, 12.8600, 56.6736)][:n]
    raw = gpd.GeoDataFrame({"count": ["4", "2"][:n], "year": [str(year)] * n, "question": ["otrygg_platser", None][:n],
                            "note": ["mörkt", None][:n]}, geometry=geometry, crs=WGS84)
    return validate_places(raw, [f"row {i + 2}" for i in range(n)], year, ["otrygg_platser"], "platser.csv")


def test_a_year_round_trips_with_its_intervals(store):
    assert store.survey_results().empty and store.survey_places(2021).empty
    given = results(2021)
    given.loc[1, "source"] = None
    assert store.replace_survey(2021, given, places(2021), "enkät 2021") == WriteResult(inserted=4)
    stored = store.survey_results()
    assert list(stored.columns) == list(RESULT_COLUMNS)
    pd.testing.assert_frame_equal(stored.drop(columns="source"), given.sort_values(["question", "area"])
                                  .drop(columns="source").reset_index(drop=True), check_exact=False)
    assert stored["source"].tolist() == ["enkat.csv", "enkät 2021"], "a row without a source gets the import's"
    marked = store.survey_places(2021)
    assert list(marked.columns) == [*PLACE_COLUMNS, "geometry"]
    assert marked["count"].tolist() == [4, 2] and marked["source"].tolist() == ["platser.csv"] * 2
    assert marked["note"].iloc[0] == "mörkt" and marked["question"].iloc[0] == "otrygg_platser"
    assert marked[["note", "question"]].iloc[1].isna().all()
    assert marked.geometry.geom_equals_exact(places(2021).geometry, 1e-9).all()


def test_an_import_replaces_its_year_and_keeps_the_others(store):
    store.replace_survey(2020, results(2020, ("60 %", "0.4"), source="enkät 2020"), places(2020), "x")
    store.replace_survey(2021, results(2021), places(2021), "x")
    again = store.replace_survey(2021, results(2021, ("65 %",)), places(2021, n=1), "ny")
    assert again == WriteResult(inserted=2, deleted=4)
    stored = store.survey_results()
    assert stored[["year", "area"]].values.tolist() == [[2020, "centrum"], [2020, "stora-torg"], [2021, "centrum"]]
    assert stored["share"].tolist() == pytest.approx([0.6, 0.4, 0.65])
    assert stored["source"].tolist() == ["enkät 2020", "enkät 2020", "enkat.csv"]
    assert len(store.survey_places(2020)) == 2 and len(store.survey_places(2021)) == 1
    assert store.survey_results(years=[2020])["year"].unique().tolist() == [2020]
    assert store.survey_results(years=[1999]).empty


def test_a_failed_replacement_keeps_the_year_as_it_was(store):
    store.replace_survey(2021, results(2021), places(2021), "x")
    broken = places(2021).assign(count=np.array([3, 0], dtype=object))  # None-free but not a valid count for SQL
    broken.loc[1, "count"] = None
    with pytest.raises(Exception):
        store.replace_survey(2021, results(2021, ("1 %",)), broken, "x")
    assert store.survey_results()["share"].tolist() == pytest.approx([0.71, 0.5])
    assert len(store.survey_places(2021)) == 2


def test_imports_of_a_year_at_once_leave_one_whole_year(store):
    sets = [results(2021, (f"{p} %", f"{p} %")) for p in (10, 20, 30, 40)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda frame: store.replace_survey(2021, frame, places(2021), "x"), sets))
    stored = store.survey_results()
    assert len(stored) == 2 and stored["share"].nunique() == 1
    assert len(store.survey_places(2021)) == 2


def test_the_survey_is_a_data_topic_of_its_own(store):
    topics = ("survey", "reports", "meta")
    first = store.topic_versions(topics)
    store.replace_survey(2021, results(2021), places(2021), "x")
    second = store.topic_versions(topics)
    assert second[0] != first[0] and second[1:] == first[1:]
    store.set_meta("note", "ett")
    assert store.topic_versions(topics)[0] == second[0]


def test_a_year_must_be_the_years_own(store):
    with pytest.raises(ValueError, match="of 2020"):
        store.replace_survey(2020, results(2021), places(2021), "x")

"""The safety survey's use cases: import a year's results and marked places (the command line and
POST /api/survey), and the year's figures as the public or staff see them (GET /api/survey, the
promise tracker, the planner's map)."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import geopandas as gpd
import pandas as pd

from geo.errors import Message, ValidationError
from geo.io.geojson import to_feature_collection
from geo.io.survey import PLACE_SUFFIXES, read_survey
from geo.survey import CENTRE, CONFIDENCE, public_places, year_figures
from geo.timestamps import YEARS
from service.patrol_upload import naming_upload, upload_file_name
from service.store import NotFound, Store

CENTRE_NAME = "Hela stadskärnan"
"""The Swedish name of the area :data:`geo.survey.CENTRE` (the zones have their own)."""


@dataclass(frozen=True)
class SurveyImport:
    """What an import stored: the year, the results file's name, the results and places stored and
    the rows of the year they replaced."""

    year: int
    file: str
    results: int
    places: int
    replaced: int

    def line(self) -> Message:
        """One summary line."""
        return Message("survey {year} from {file}: {results} results and {places} marked places stored, "
                       "replacing {replaced} rows of {year}", year=str(self.year), file=self.file,
                       results=self.results, places=self.places, replaced=self.replaced)


def import_survey(store: Store, zone_ids: list[str], results_path: str | Path, places_path: str | Path | None = None,
                  source: str | None = None) -> SurveyImport:
    """Validate a results file (and a file of marked places) and replace their year's survey with
    them in one transaction; a file with any problem stores nothing (:class:`ValidationError`)."""
    survey = read_survey(results_path, zone_ids, places_path, source)
    result = store.replace_survey(survey.year, survey.results, survey.places, source or Path(results_path).name)
    return SurveyImport(survey.year, Path(results_path).name, len(survey.results), len(survey.places), result.deleted)


def upload_survey(store: Store, zone_ids: list[str], results: tuple[str | None, BinaryIO],
                  places: tuple[str | None, BinaryIO] | None = None) -> SurveyImport:
    """:func:`import_survey` of uploaded files (name as sent, data): a results CSV and optionally a
    CSV or GeoJSON of marked places; errors name the uploaded files, never the temporary ones."""
    with tempfile.TemporaryDirectory() as folder:
        names, paths = {}, []
        for field, (filename, data), suffixes in (("file", results, (".csv",)),
                                                  *((("places", places, PLACE_SUFFIXES),) if places else ())):
            name = Path(filename or "upload").name
            if Path(name).suffix.lower() not in suffixes:
                raise ValidationError(Message("upload a {suffixes} file", suffixes=" or ".join(suffixes)),
                                      file=name, field=field)
            path = Path(folder) / field / upload_file_name(name)
            path.parent.mkdir()
            with path.open("wb") as out:
                shutil.copyfileobj(data, out, 1024 * 1024)
            names[str(path)] = name
            paths.append(path)
        try:
            done = import_survey(store, zone_ids, *paths, source=names[str(paths[0])])
        except ValidationError as exc:
            for path, name in names.items():
                exc = naming_upload(exc, Path(path), name) if exc.file in (path, Path(path).name) else exc
            raise exc from None
    return dataclasses.replace(done, file=names[str(paths[0])])


def area_names(zones: gpd.GeoDataFrame) -> dict[str, str]:
    """Every area a result may have, to its Swedish name, in the order they are listed: the whole
    centre, then the zones in the zones file's order."""
    return {CENTRE: CENTRE_NAME} | dict(zip(zones["zone_id"], zones["name"]))


def survey_year(store: Store, year: int | None) -> tuple[int, list[int]]:
    """The year asked for (default: the newest stored) and every stored year, or :class:`NotFound`."""
    years = sorted(store.survey_results()["year"].unique().tolist())
    if not years:
        raise NotFound(Message("no survey is stored; import one with `stadskarna import survey`"))
    if year is None:
        return years[-1], years
    if year not in years:
        raise NotFound(Message("no survey of {year}; the years with a survey are {years}", year=str(year),
                               years=", ".join(str(y) for y in years)))
    return year, years


def survey_figures(store: Store, zones: gpd.GeoDataFrame, year: int | None, min_count: int | None) -> dict:
    """The answer of GET /api/survey: a year's shares with their interval, answers and change
    against the previous year (:func:`geo.survey.year_figures`), and its marked places counted per
    cell (:func:`geo.survey.public_places`); ``min_count`` k (None for staff: exact)."""
    year, years = survey_year(store, year)
    figures = year_figures(store.survey_results(years=[y for y in years if y <= year]), year, min_count)
    names = area_names(zones)
    cells = public_places(store.survey_places(year), min_count)
    return {"year": year, "years": years, "confidence": CONFIDENCE, "suppressed_below": min_count,
            "results": _results(figures, names), "places": to_feature_collection(cells)}


def tracker_survey(store: Store, zones: gpd.GeoDataFrame, year: int, min_count: int | None) -> dict:
    """The promise tracker's supporting figure ``survey``: ``year``'s results as GET /api/survey
    gives them (without the places), or ``year`` None and no results when the year has no survey."""
    results = store.survey_results(years=range(YEARS[0], year + 1))
    if not (results["year"] == year).any():
        return {"year": None, "confidence": CONFIDENCE, "suppressed_below": min_count, "results": []}
    names = area_names(zones)
    return {"year": year, "confidence": CONFIDENCE, "suppressed_below": min_count,
            "results": _results(year_figures(results, year, min_count), names)}


def _results(figures: pd.DataFrame, names: dict[str, str]) -> list[dict]:
    """The figures as answered: by question, then area as :func:`area_names` lists them."""
    order = {area: i for i, area in enumerate(names)}
    ranked = figures.assign(_order=figures["area"].map(order)).sort_values(["question", "_order"], kind="stable")
    return [_result(row, names) for row in ranked.to_dict("records")]


def _result(row: dict, names: dict[str, str]) -> dict:
    def number(name: str) -> float | None:
        return None if pd.isna(row[name]) else round(float(row[name]), 4)

    return {"question": row["question"], "question_text": row["question_text"], "area": row["area"],
            "name": names.get(row["area"], row["area"]), "answers": int(row["answers"]),
            **{name: number(name) for name in ("share", "low", "high")},
            "previous_year": None if pd.isna(row["previous_year"]) else int(row["previous_year"]),
            **{name: number(name) for name in ("previous_share", "change", "change_low", "change_high")},
            "within_noise": None if pd.isna(row["within_noise"]) else bool(row["within_noise"]),
            "source": row["source"]}

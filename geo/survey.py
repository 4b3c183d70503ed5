"""The safety survey (trygghetsmätning, medborgardialog): its results per year, area and question,
the places respondents mark, and the statistics shown with them (pure functions).

**Results** (:func:`validate_results`), one row per year, area and question:

- ``year``: the year of the survey (one year per file);
- ``area``: a zone id of the zones file, or :data:`CENTRE` (``centrum``) for the whole centre;
- ``question``: a code (lowercase letters, digits and ``_``: ``otrygg_kvall``);
- ``question_text``: the question in Swedish as it was asked (the same for a code throughout a file);
- ``share``: the share of those who answered who said yes, either as a fraction from 0 to 1
  (``0.71``) or as a percentage with a ``%`` sign (``71 %``); a decimal comma is accepted
  (``0,71``, ``70,5 %``); a number above 1 without ``%`` is refused (a percentage missing its sign);
- ``answers``: the number of respondents who answered the question in the area (a whole number ≥ 1);
- ``source`` (optional): where the figures come from; empty → the import's source.

Validated results are a frame of :data:`RESULT_COLUMNS` (``share`` a fraction); ``low``/``high``
are the Wilson score 95 % interval of the share (:func:`wilson_interval`, statsmodels).

**Marked places** (:func:`validate_places`): where respondents marked a place (where they feel
unsafe, or the place a question asks about) — points or polygons with ``count`` (respondents who
marked it, ≥ 1) and ``year`` (the results' year), optional ``question`` (one of the results'
codes) and ``note``. The public sees them only counted per 50 m cell, cells below k left out
(:func:`public_places`).
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from geo.crs import WGS84, coordinate_problems
from geo.errors import Message, ValidationError
from geo.publish import grid_counts
from geo.text import clean_one
from geo.timestamps import YEARS

CENTRE = "centrum"
"""The area of a result for the whole centre (beside the zones' ids)."""
RESULT_COLUMNS = ("year", "area", "question", "question_text", "share", "answers", "low", "high", "source")
"""The results frame: the columns the rest of the code reads (``source`` last, beside them)."""
PLACE_COLUMNS = ("year", "count", "question", "note", "source")
"""The marked places' columns (a WGS84 GeoDataFrame of Points and Polygons)."""
CONFIDENCE = 0.95
"""The confidence level of every interval shown with a share."""
PLACE_CELL_M = 50.0
"""Marked places are published counted per square of this side (SWEREF 99 TM metres)."""
MAX_NOTE = 500
"""The longest note of a marked place, in characters."""
_QUESTION = re.compile(r"[a-z][a-z0-9_]{0,63}")
_RESULT_REQUIRED = ("year", "area", "question", "question_text", "share", "answers")


def wilson_interval(share: np.ndarray | pd.Series | float, answers: np.ndarray | pd.Series | int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval (:data:`CONFIDENCE`) of each ``share`` (0–1) of ``answers``
    respondents (≥ 1): arrays ``low`` and ``high``, within 0–1 (a share of 0 has ``low`` 0, one of 1
    ``high`` 1). Pass arrays, not one value at a time."""
    n = np.atleast_1d(np.asarray(answers, dtype=float))
    p = np.atleast_1d(np.asarray(share, dtype=float))
    low, high = proportion_confint(p * n, n, alpha=1 - CONFIDENCE, method="wilson")
    # exactly 0 below a share of 0 and 1 above a share of 1 (the formula's rounding leaves 1e-19)
    return np.where(p == 0, 0.0, np.clip(low, 0.0, 1.0)), np.where(p == 1, 1.0, np.clip(high, 0.0, 1.0))


def with_intervals(results: pd.DataFrame) -> pd.DataFrame:
    """``results`` with ``low`` and ``high`` (:func:`wilson_interval`) from their shares and answers."""
    low, high = wilson_interval(results["share"].to_numpy(float), results["answers"].to_numpy(float))
    return results.assign(low=low, high=high)


def year_changes(results: pd.DataFrame) -> pd.DataFrame:
    """Each result of ``results`` (the frame of :data:`RESULT_COLUMNS`, any years) with its change
    against the previous survey of the same area and question (the latest earlier year there is):
    ``previous_year`` (NA when none), ``previous_share``, ``previous_answers``, ``change`` (share − previous share),
    ``change_low``/``change_high`` (Newcombe's hybrid score interval of the difference of two
    independent shares, :data:`CONFIDENCE`, from the Wilson intervals; statsmodels) and
    ``within_noise`` (the interval holds 0: the change may be chance; NA without a previous year)."""
    ordered = results.reset_index(drop=True).sort_values(["area", "question", "year"], kind="stable")
    earlier = ordered.groupby(["area", "question"], sort=False)[["year", "share", "answers"]].shift()
    out = ordered.assign(previous_year=earlier["year"].astype("Int64"), previous_share=earlier["share"],
                         previous_answers=earlier["answers"].astype("Int64"),
                         change=ordered["share"] - earlier["share"], change_low=np.nan, change_high=np.nan,
                         within_noise=pd.Series(pd.NA, index=ordered.index, dtype="boolean"))
    has = earlier["year"].notna().to_numpy()
    if has.any():
        now, before = ordered[has], earlier[has]
        low, high = confint_proportions_2indep(
            now["share"].to_numpy(float) * now["answers"].to_numpy(float), now["answers"].to_numpy(float),
            before["share"].to_numpy(float) * before["answers"].to_numpy(float), before["answers"].to_numpy(float),
            method="newcomb", compare="diff", alpha=1 - CONFIDENCE)
        out.loc[has, "change_low"], out.loc[has, "change_high"] = np.atleast_1d(low), np.atleast_1d(high)
        out.loc[has, "within_noise"] = (np.atleast_1d(low) <= 0) & (np.atleast_1d(high) >= 0)
    return out.sort_index().set_axis(results.index)


def parse_share(text: str) -> float | None:
    """A share as a file gives it (``0.71``, ``0,71``, ``71 %``, ``70,5%``) as a fraction 0–1;
    None when it is not one."""
    value = text.strip().replace("\u00a0", " ").replace(",", ".")
    percent = value.endswith("%")
    number = pd.to_numeric(value.rstrip("%").strip() if percent else value, errors="coerce")
    if pd.isna(number) or not np.isfinite(number):
        return None
    share = float(number) / 100 if percent else float(number)
    return share if 0.0 <= share <= 1.0 else None


def validate_results(raw: pd.DataFrame, zone_ids: list[str], source: str,
                     default_source: str | None = None) -> pd.DataFrame:
    """The rows of a survey results file (text columns as the module says; row ``i`` of ``raw`` is
    row ``i + 2`` of the file: the header is row 1) checked and typed as :data:`RESULT_COLUMNS`,
    with the Wilson interval. ``zone_ids``: the areas besides :data:`CENTRE`; ``default_source``:
    the source of a row that gives none (default ``source``). The first problem raises
    :class:`ValidationError` naming ``source`` (the file), the row and the field."""
    raw = raw.rename(columns=lambda name: str(name).strip())
    for name in _RESULT_REQUIRED:
        if name not in raw:
            raise ValidationError(Message("the file has no '{name}' column (survey results need year, area, question, "
                                          "question_text, share and answers)", name=name), file=source, field=name)
    if raw.empty:
        raise ValidationError(Message("the file has no results"), file=source)
    areas = (*zone_ids, CENTRE)
    rows, seen, texts = [], {}, {}
    for i, record in enumerate(raw.to_dict("records")):
        row = f"row {i + 2}"

        def fail(field: str, message: Message) -> ValidationError:
            return ValidationError(message, file=source, row=row, field=field)

        values = {}
        for name in raw.columns:
            cleaned, problem = clean_one(record[name])
            if problem is not None:
                raise fail(name, problem)
            values[name] = (cleaned or "").strip()
        year = pd.to_numeric(values["year"], errors="coerce")
        if pd.isna(year) or year % 1 or not YEARS[0] <= year <= YEARS[1]:
            raise fail("year", Message("the year is a whole number from {first} to {last}, not {value!r}",
                                       first=str(YEARS[0]), last=str(YEARS[1]), value=values["year"]))
        if rows and int(year) != rows[0]["year"]:
            raise fail("year", Message("a file holds one year's survey; this row is of {year}, the first of {first}",
                                       year=str(int(year)), first=str(rows[0]["year"])))
        if values["area"] not in areas:
            raise fail("area", Message("{value!r} is not an area; the areas are {areas}", value=values["area"],
                                       areas=", ".join(areas)))
        if not _QUESTION.fullmatch(values["question"]):
            raise fail("question", Message("a question's code is lowercase letters, digits and _ (otrygg_kvall), "
                                           "not {value!r}", value=values["question"]))
        if not values["question_text"]:
            raise fail("question_text", Message("the question as it was asked is needed"))
        if texts.setdefault(values["question"], values["question_text"]) != values["question_text"]:
            raise fail("question_text", Message("question {question!r} was asked as {text!r} in an earlier row",
                                                question=values["question"], text=texts[values["question"]]))
        share = parse_share(values["share"])
        if share is None:
            raise fail("share", Message("a share is a fraction from 0 to 1 (0.71) or a percentage with % (71 %), "
                                        "not {value!r}", value=values["share"]))
        answers = pd.to_numeric(re.sub(r"[\s\u00a0\u202f]", "", values["answers"]), errors="coerce")
        if pd.isna(answers) or answers % 1 or answers < 1:
            raise fail("answers", Message("the number of answers is a whole number of at least 1, not {value!r}",
                                          value=values["answers"]))
        key = (values["area"], values["question"])
        if key in seen:
            raise fail("question", Message("area {area!r} has question {question!r} already in {row}",
                                           area=key[0], question=key[1], row=seen[key]))
        seen[key] = row
        rows.append({"year": int(year), "area": values["area"], "question": values["question"],
                     "question_text": values["question_text"], "share": share, "answers": int(answers),
                     "source": values.get("source") or default_source or source})
    frame = pd.DataFrame(rows).astype({"year": "int64", "answers": "int64", "share": float})
    return with_intervals(frame)[list(RESULT_COLUMNS)]


def validate_places(raw: gpd.GeoDataFrame, labels: list[str], year: int, questions: list[str],
                    source: str) -> gpd.GeoDataFrame:
    """Marked places (``raw``: a WGS84 GeoDataFrame of Points, Polygons or MultiPolygons with the
    file's ``count``, ``year``, optional ``question`` and ``note`` as given; ``labels`` names each
    row's place in the file, ``row 7`` or ``feature 3``) checked and typed as :data:`PLACE_COLUMNS`.
    Each place's year must be ``year`` (the results'), its question one of ``questions``. The first
    problem raises :class:`ValidationError` naming ``source``, the row or feature and the field."""
    for name in ("count", "year"):
        if name not in raw:
            raise ValidationError(Message("the file has no '{name}' column (marked places need count and year)",
                                          name=name), file=source, field=name)
    problems = coordinate_problems(*_points_of(raw.geometry))
    out = {"year": [], "count": [], "question": [], "note": []}
    for i, record in enumerate(raw.drop(columns="geometry").to_dict("records")):
        def fail(field: str, message: Message) -> ValidationError:
            return ValidationError(message, file=source, row=labels[i], field=field)

        if problems[i] is not None:
            raise fail("lat/lon", problems[i])
        count = _whole(record["count"])
        if count is None or count < 1:
            raise fail("count", Message("the count of respondents who marked the place is a whole number of at least 1, "
                                        "not {value!r}", value=record["count"]))
        place_year = _whole(record["year"])
        if place_year != year:
            raise fail("year", Message("the places are of the results' year {year}, not {value!r}", year=str(year),
                                       value=record["year"]))
        question, problem = clean_one(record.get("question"))
        question = (question or "").strip() or None
        if problem is not None or (question is not None and question not in questions):
            raise fail("question", problem or Message("{value!r} is not a question of the results; they are {questions}",
                                                      value=question, questions=", ".join(questions)))
        note, problem = clean_one(record.get("note"))
        if problem is not None or (note is not None and len(note) > MAX_NOTE):
            raise fail("note", problem or Message("a note is at most {limit} characters", limit=MAX_NOTE))
        for name, value in (("year", year), ("count", count), ("question", question), ("note", (note or "").strip() or None)):
            out[name].append(value)
    frame = gpd.GeoDataFrame({**out, "source": source}, geometry=raw.geometry.to_numpy(), crs=WGS84)
    return frame.astype({"year": "int64", "count": "int64"})[[*PLACE_COLUMNS, "geometry"]]


def _whole(value: object) -> int | None:
    """A whole number as a file gives it (a JSON number, or text), else None."""
    if isinstance(value, bool):
        return None
    number = pd.to_numeric(str(value).strip() if isinstance(value, str) else value, errors="coerce")
    return None if pd.isna(number) or not np.isfinite(number) or number % 1 else int(number)


def _points_of(geometry: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat of each Point (NaN when missing) or of a polygon's representative point."""
    shapes = geometry.to_numpy()
    point = shapely.get_type_id(shapes) == 0
    with np.errstate(invalid="ignore"):
        inside = shapely.point_on_surface(np.where(point, None, shapes))
    return (np.where(point, shapely.get_x(shapes), shapely.get_x(inside)),
            np.where(point, shapely.get_y(shapes), shapely.get_y(inside)))


def public_places(places: gpd.GeoDataFrame, min_count: int | None) -> gpd.GeoDataFrame:
    """Marked ``places`` as the public may see them: the respondents' marks (``count``) summed per
    :data:`PLACE_CELL_M` square of each place's representative point, squares with fewer than
    ``min_count`` marks left out (None: staff, every square). WGS84 squares with ``count``."""
    lon, lat = _points_of(places.geometry)
    points = gpd.GeoDataFrame({"count": places["count"].to_numpy()}, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)
    return grid_counts(points, PLACE_CELL_M, weight="count", min_count=min_count)


def year_figures(results: pd.DataFrame, year: int, min_count: int | None) -> pd.DataFrame:
    """The results of ``year`` with their change against the previous year
    (:func:`year_changes`, from the ``results`` of every year) as the public sees them: a share,
    its interval and a change computed from fewer than ``min_count`` answers (this year's or the
    previous one's) are None (NaN, NA); None: staff, exact. By question, then area."""
    figures = year_changes(results[results["year"] <= year])
    figures = figures[figures["year"] == year].sort_values(["question", "area"]).reset_index(drop=True)
    if min_count is None:
        return figures
    few = (figures["answers"] < min_count).to_numpy()
    unsure = few | (figures["previous_answers"] < min_count).fillna(False).to_numpy(dtype=bool)
    changes = ("previous_share", "change", "change_low", "change_high")
    return figures.assign(**{name: figures[name].mask(few) for name in ("share", "low", "high")},
                          **{name: figures[name].mask(unsure) for name in changes},
                          within_noise=figures["within_noise"].mask(unsure))


def zone_shares(results: pd.DataFrame, zones: gpd.GeoDataFrame, year: int, question: str) -> gpd.GeoDataFrame:
    """The ``zones`` (in their order) with the share, interval and answers of ``question`` in
    ``year`` (NaN where the zone has no result), for a map."""
    chosen = results[(results["year"] == year) & (results["question"] == question)].set_index("area")
    shares = chosen.reindex(zones["zone_id"])
    return zones.assign(**{name: shares[name].to_numpy(dtype=float) for name in ("share", "low", "high", "answers")})


def questions_of(results: pd.DataFrame, year: int) -> dict[str, str]:
    """The questions of ``year``'s results: code → question as asked, in code order."""
    chosen = results[results["year"] == year].sort_values("question")
    return dict(zip(chosen["question"], chosen["question_text"]))

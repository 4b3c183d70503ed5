"""Survey files: the results CSV and the marked places (CSV or GeoJSON), read and validated as
:mod:`geo.survey` says."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import pandas as pd

from geo.crs import WGS84
from geo.errors import Message, ValidationError
from geo.io.csvfile import read_csv_records
from geo.io.csvsafe import restore
from geo.io.geojson import parse_features, read_geojson
from geo.survey import validate_places, validate_results

PLACE_SUFFIXES = (".csv", ".geojson", ".json")


class Survey(NamedTuple):
    """A survey's year, its results (:data:`geo.survey.RESULT_COLUMNS`) and marked places."""

    year: int
    results: pd.DataFrame
    places: gpd.GeoDataFrame


def read_survey(results_path: str | Path, zone_ids: list[str], places_path: str | Path | None = None,
                source: str | None = None) -> Survey:
    """The results file (CSV) and, when given, the marked places (``.csv`` with lon, lat, count,
    year, optional question and note; ``.geojson``/``.json`` of Point or Polygon features with the
    same properties), validated. ``source``: the results' source where a row gives none (default:
    the results file's name); the places' source is their file's name."""
    results_path = Path(results_path)
    results = validate_results(_read_text_csv(results_path), zone_ids, results_path.name, source)
    year = int(results["year"].iloc[0])
    places = (read_places(places_path, year, sorted(set(results["question"]))) if places_path is not None
              else empty_places())
    return Survey(year, results, places)


def read_places(path: str | Path, year: int, questions: list[str]) -> gpd.GeoDataFrame:
    """A file of marked places (see :func:`read_survey`) validated for the results of ``year``
    asking ``questions``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PLACE_SUFFIXES:
        raise ValidationError(Message("marked places are a .csv, .geojson or .json file"), file=str(path))
    if suffix == ".csv":
        raw = read_csv_records(path).raw
        frame = gpd.GeoDataFrame(raw.drop(columns=["lon", "lat", "_row"]),
                                 geometry=gpd.points_from_xy(raw["lon"], raw["lat"]), crs=WGS84)
        labels = raw["_row"].tolist()
    else:
        optional = {"question": _anything, "note": _anything}
        frame = parse_features(read_geojson(path), str(path), ("Point", "Polygon", "MultiPolygon"),
                               {"count": _anything, "year": _anything}, optional=optional)
        labels = [f"feature {i}" for i in range(len(frame))]
    return validate_places(frame, labels, year, questions, path.name)


def empty_places() -> gpd.GeoDataFrame:
    """No marked places, with their columns."""
    return gpd.GeoDataFrame({"year": pd.Series(dtype="int64"), "count": pd.Series(dtype="int64"),
                             "question": pd.Series(dtype=object), "note": pd.Series(dtype=object),
                             "source": pd.Series(dtype=object)}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)


def _anything(value: object) -> None:
    """Any value: :func:`geo.survey.validate_places` checks it, naming the feature."""
    return None


def _read_text_csv(path: Path) -> pd.DataFrame:
    """Every cell of a UTF-8 CSV file with a header as text (empty cells as ""), the spreadsheet
    apostrophe of :mod:`geo.io.csvsafe` taken away."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationError(Message("file not found"), file=str(path)) from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ValidationError(Message("not a readable CSV file: {exc}", exc=exc), file=str(path)) from None
    return frame.apply(restore)

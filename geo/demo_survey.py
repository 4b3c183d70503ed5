"""A synthetic safety survey for the demo (pure, deterministic): a function of the year, the zones
and the demo's lamps.

Its figures follow the public description of Halmstad's 2021 survey — about 1,200 answers and 71 %
who say there are places in the centre where they feel unsafe — so the centre-wide share of
:data:`PLACES_QUESTION` is 71 % of 1,200 answers in 2021, three points more a year before and less
after. Each zone's answers and shares are drawn around it (binomially), higher where the demo's
incident hot spots (:data:`geo.demo.HOT_SPOTS`) and dark places (broken lamps, parks) are. The
places respondents mark cluster around the same hot spots and dark places. Every row's source is
:data:`SOURCE`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import SWEREF99TM, WGS84, metric_xy, to_metric
from geo.demo import HOT_SPOTS
from geo.survey import CENTRE, validate_places, validate_results
from geo.zones import zone_positions

SOURCE = "syntetiskt exempel"
"""The source of every synthetic survey figure and place: said wherever they are shown."""
PLACES_QUESTION = "otrygg_platser"
QUESTIONS = {
    PLACES_QUESTION: ("Finns det platser i centrum där du känner dig otrygg?", 0.71, -0.03),
    "otrygg_kvall": ("Känner du dig otrygg i centrum på kvällar och nätter?", 0.44, -0.02),
    "undviker_platser": ("Undviker du vissa platser i centrum för att du känner dig otrygg?", 0.36, -0.01),
}
"""Code -> (the question as asked, the centre's share in 2021, its change a year)."""
ANSWERS_2021 = 1200
"""Respondents in 2021; 40 more a year after, 40 fewer a year before."""
_DARK_SIGMA_M = 20.0


def demo_survey(zones: gpd.GeoDataFrame, lights: gpd.GeoDataFrame, year: int, seed: int = 2020
                ) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """The synthetic survey of ``year`` in ``zones``: results (:data:`geo.survey.RESULT_COLUMNS`,
    per question for the centre and every zone) and marked places (:data:`geo.survey.PLACE_COLUMNS`,
    points where respondents feel unsafe, about one mark for each respondent who says there are
    such places). ``lights``: the demo's lamps (the broken ones are dark places). Deterministic in
    ``year`` and ``seed``."""
    rng = np.random.default_rng([seed, year, 18])
    metric = to_metric(zones).reset_index(drop=True)
    hot_x, hot_y, hot_w, hot_sigma = _hot_spots(metric)
    dark_x, dark_y = _dark_places(metric, lights)
    unsafe = _zone_unsafety(metric, np.r_[hot_x, dark_x], np.r_[hot_y, dark_y],
                            np.r_[hot_w, np.full(len(dark_x), 0.3 / max(len(dark_x), 1))])
    answers = max(ANSWERS_2021 + 40 * (year - 2021), 100)
    rows = []
    for code, (text, share_2021, per_year) in QUESTIONS.items():
        centre = float(np.clip(share_2021 + per_year * (year - 2021), 0.02, 0.98))
        rows.append((CENTRE, code, text, f"{round(centre * answers) / answers:.4f}", answers))
        knows = rng.uniform(0.25, 0.6, len(metric))  # the respondents who know the zone answer for it
        zone_answers = np.maximum((answers * knows).round().astype(int), 5)
        likely = np.clip(centre * (0.75 + 0.45 * unsafe), 0.02, 0.98)
        yes = rng.binomial(zone_answers, likely)
        rows += [(zone_id, code, text, f"{y / n:.4f}", n)
                 for zone_id, y, n in zip(metric["zone_id"], yes, zone_answers)]
    raw = pd.DataFrame(rows, columns=["area", "question", "question_text", "share", "answers"]).astype(str)
    results = validate_results(raw.assign(year=str(year), source=SOURCE), metric["zone_id"].tolist(), SOURCE)
    return results, _places(metric, rng, year, round(answers * QUESTIONS[PLACES_QUESTION][1]),
                            (hot_x, hot_y, hot_w, hot_sigma), (dark_x, dark_y))


def _hot_spots(metric: gpd.GeoDataFrame) -> tuple[np.ndarray, ...]:
    """The demo's hot spots inside the zones: x, y (SWEREF 99 TM), weights summing to 0.7, spreads."""
    x, y = metric_xy([h[1] for h in HOT_SPOTS], [h[2] for h in HOT_SPOTS])
    inside = zone_positions(metric, x, y) >= 0
    weight = np.array([h[3] for h in HOT_SPOTS])[inside]
    return x[inside], y[inside], 0.7 * weight / weight.sum(), np.array([h[4] for h in HOT_SPOTS])[inside]


def _dark_places(metric: gpd.GeoDataFrame, lights: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Broken lamps inside the zones, else the parks' middles: x, y (SWEREF 99 TM)."""
    broken = lights[lights["status"] == "broken"]
    x, y = metric_xy(broken.geometry.x.to_numpy(), broken.geometry.y.to_numpy())
    inside = zone_positions(metric, x, y) >= 0
    if inside.any():
        return x[inside], y[inside]
    parks = metric[metric["kind"] == "park"].geometry.representative_point() if "kind" in metric else metric.geometry[:0]
    return parks.x.to_numpy(), parks.y.to_numpy()


def _zone_unsafety(metric: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Each zone's weight of hot spots and dark places within 150 m of it, scaled to 0–1."""
    points = shapely.points(x, y)
    near = np.array([(weight * (shapely.distance(zone, points) <= 150.0)).sum() for zone in metric.geometry])
    return near / near.max() if near.max() > 0 else near


def _places(metric: gpd.GeoDataFrame, rng: np.random.Generator, year: int, marks: int,
            hot: tuple[np.ndarray, ...], dark: tuple[np.ndarray, np.ndarray]) -> gpd.GeoDataFrame:
    """About ``marks`` marks as points of one to three marks each, around the hot spots (70 %) and
    the dark places (30 %), inside the zones."""
    hot_x, hot_y, hot_w, hot_sigma = hot
    centres_x, centres_y = np.r_[hot_x, dark[0]], np.r_[hot_y, dark[1]]
    sigma = np.r_[hot_sigma, np.full(len(dark[0]), _DARK_SIGMA_M)]
    weight = np.r_[hot_w, np.full(len(dark[0]), 0.3 / max(len(dark[0]), 1))]
    n = marks // 2
    which = rng.choice(len(centres_x), 3 * n, p=weight / weight.sum())
    x = centres_x[which] + rng.normal(0, 1, 3 * n) * sigma[which]
    y = centres_y[which] + rng.normal(0, 1, 3 * n) * sigma[which]
    keep = np.flatnonzero(zone_positions(metric, x, y) >= 0)[:n]
    points = gpd.GeoSeries(shapely.points(x[keep], y[keep]), crs=SWEREF99TM).to_crs(WGS84)
    raw = gpd.GeoDataFrame({"count": rng.integers(1, 4, len(keep)).astype(str), "year": str(year),
                            "question": PLACES_QUESTION, "note": None}, geometry=points.to_numpy(), crs=WGS84)
    return validate_places(raw, [f"place {i}" for i in range(len(keep))], year, [PLACES_QUESTION], SOURCE)

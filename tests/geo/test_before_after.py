"""Before and after a measure: the periods, the areas, the counts and the difference-in-differences."""

from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.before_after import (AREAS, MAX_DAYS, PERIODS, affected_area, area_counts, caveats, comparison_area,
                              difference_in_differences, periods)
from geo.crs import SWEREF99TM, WGS84
from geo.errors import ValidationError
from geo.layers import INCIDENTS, validate
from geo.timestamps import LOCAL_TZ


def _table(counts: dict[tuple[str, str], int], days: int = 30, sizes=(1.0, 1.0)) -> pd.DataFrame:
    """A counts table as :func:`area_counts` gives it, from (area, period) → count."""
    rows = [{"area": a, "period": p, "count": n, "days": days, "area_m2": sizes[AREAS.index(a)]}
            for (a, p), n in counts.items()]
    table = pd.DataFrame(rows)
    return table.assign(rate_per_day=table["count"] / table["days"])


@settings(max_examples=80, deadline=None)
@given(at=st.dates(date(1950, 1, 1), date(2150, 12, 31)), days=st.integers(1, MAX_DAYS), seasonal=st.booleans())
def test_periods_are_equally_long_and_meet_at_the_date(at, days, seasonal):
    spans = periods(at, days, seasonal)
    assert tuple(spans["period"]) == PERIODS[:4 if seasonal else 2]
    lengths = {(row.end.date() - row.start.date()).days for row in spans.itertuples()}
    assert lengths == {days} and set(spans["days"]) == {days}
    before, after = spans.iloc[0], spans.iloc[1]
    assert before.end == after.start == pd.Timestamp(at, tz=LOCAL_TZ)
    if seasonal:
        assert spans.iloc[2].end == spans.iloc[3].start
        assert spans.iloc[3].start.year == at.year - 1


@pytest.mark.parametrize("days", [0, MAX_DAYS + 1])
def test_periods_out_of_range_are_refused(days):
    with pytest.raises(ValidationError) as error:
        periods(date(2021, 3, 1), days)
    assert error.value.field == "days"


COUNT = st.integers(0, 400)


@settings(max_examples=100, deadline=None)
@given(a=COUNT, b=COUNT, c=st.integers(-200, 200), days=st.integers(1, 200))
def test_the_same_change_in_both_areas_gives_no_difference(a, b, c, days):
    """Both areas' counts move by the same number: the DiD of rates is 0."""
    if min(a, b) + c < 0:
        c = -min(a, b)
    did = difference_in_differences(_table({("affected", "before"): a, ("affected", "after"): a + c,
                                            ("comparison", "before"): b, ("comparison", "after"): b + c}, days))
    rate = did.set_index("estimate").loc["rate"]
    assert rate["did"] == pytest.approx(0, abs=1e-12)
    assert rate["low"] <= 0 <= rate["high"]


@settings(max_examples=100, deadline=None)
@given(a=st.integers(1, 300), b=st.integers(1, 300), factor=st.integers(1, 5))
def test_the_same_factor_in_both_areas_gives_no_difference_of_log_rates(a, b, factor):
    did = difference_in_differences(_table({("affected", "before"): a, ("affected", "after"): a * factor,
                                            ("comparison", "before"): b, ("comparison", "after"): b * factor}))
    assert did.set_index("estimate").loc["log_rate", "did"] == pytest.approx(0, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(counts=st.lists(COUNT, min_size=8, max_size=8), seasonal=st.booleans())
def test_swapping_the_areas_flips_the_sign(counts, seasonal):
    names = PERIODS[:4 if seasonal else 2]
    table = {(area, period): counts[i * 4 + j] for i, area in enumerate(AREAS) for j, period in enumerate(names)}
    swapped = {("comparison" if area == "affected" else "affected", period): n for (area, period), n in table.items()}
    did = difference_in_differences(_table(table)).set_index("estimate")
    flipped = difference_in_differences(_table(swapped)).set_index("estimate")
    assert np.allclose(did["did"], -flipped["did"])
    assert np.allclose(did["high"] - did["did"], flipped["high"] - flipped["did"])  # the same spread


def test_the_season_is_taken_out():
    """The affected area rose by 10 a month, as it did in the same months a year earlier; the
    comparison did not move: seasonal DiD 0, plain DiD 10 a month."""
    table = {("affected", "before"): 20, ("affected", "after"): 30, ("affected", "before_year_earlier"): 15,
             ("affected", "after_year_earlier"): 25, ("comparison", "before"): 40, ("comparison", "after"): 40,
             ("comparison", "before_year_earlier"): 40, ("comparison", "after_year_earlier"): 40}
    seasonal = difference_in_differences(_table(table)).set_index("estimate")
    assert seasonal.loc["rate", "did"] == pytest.approx(0)
    plain = difference_in_differences(_table({k: v for k, v in table.items() if "earlier" not in k[1]}))
    assert plain.set_index("estimate").loc["rate", "did"] == pytest.approx(10 / 30)


def test_a_known_difference_and_its_interval():
    table = _table({("affected", "before"): 100, ("affected", "after"): 50, ("comparison", "before"): 100,
                    ("comparison", "after"): 100}, days=100)
    log = difference_in_differences(table).set_index("estimate").loc["log_rate"]
    assert log["did"] == pytest.approx(np.log(0.5))
    spread = 1.959964 * np.sqrt(1 / 100 + 1 / 50 + 1 / 100 + 1 / 100)
    assert (log["low"], log["high"]) == pytest.approx((np.log(0.5) - spread, np.log(0.5) + spread), rel=1e-5)


def _square(e, n, size):
    return gpd.GeoSeries([shapely.box(e, n, e + size, n + size)], crs=SWEREF99TM).to_crs(WGS84).iloc[0]


def test_areas_buffers_and_counts(block_zones):
    centre = shapely.union_all(block_zones.geometry.to_numpy())
    zone_a = block_zones.geometry.iloc[0]
    point = gpd.GeoSeries([shapely.Point(674050, 6283050)], crs=SWEREF99TM).to_crs(WGS84).iloc[0]
    around = affected_area(centre, point, buffer_m=20)
    assert gpd.GeoSeries([around], crs=WGS84).to_crs(SWEREF99TM).area.iloc[0] == pytest.approx(np.pi * 400, rel=0.01)
    rest = comparison_area(centre, around)
    assert not shapely.intersects(shapely.buffer(around, -1e-7), rest)
    halfway = affected_area(centre, _square(674350, 6283000, 100))  # half in zone b, half outside the centre
    assert gpd.GeoSeries([halfway], crs=WGS84).to_crs(SWEREF99TM).area.iloc[0] == pytest.approx(5000, rel=0.01)
    with pytest.raises(ValidationError) as error:
        affected_area(centre, _square(690000, 6283000, 100))
    assert error.value.field == "area"
    with pytest.raises(ValidationError) as error:
        affected_area(centre, point)
    assert error.value.field == "buffer_m"
    with pytest.raises(ValidationError) as error:
        comparison_area(centre, zone_a, zone_a)
    assert error.value.field == "comparison"

    at = date(2021, 3, 1)
    inside = gpd.GeoSeries([shapely.Point(674050, 6283050), shapely.Point(674300, 6283050)],
                           crs=SWEREF99TM).to_crs(WGS84)
    times = [at - timedelta(days=1), at, at + timedelta(days=29), at + timedelta(days=30), at - timedelta(days=31)]
    lon = [inside.x[0]] * 5 + [inside.x[1]] * 5
    lat = [inside.y[0]] * 5 + [inside.y[1]] * 5
    records = validate(INCIDENTS, pd.DataFrame({"id": [f"i{k}" for k in range(10)], "category": "stöld",
                                                "occurred_at": [f"{t}T12:00" for t in times] * 2,
                                                "lon": lon, "lat": lat}), "t")
    table = area_counts(records, "occurred_at", {"affected": zone_a, "comparison": rest}, periods(at, 30))
    assert table[["area", "period", "count"]].values.tolist() == [
        ["affected", "before", 1], ["affected", "after", 2], ["comparison", "before", 1], ["comparison", "after", 2]]
    assert table["rate_per_day"].tolist() == pytest.approx([1 / 30, 2 / 30, 1 / 30, 2 / 30])


def test_caveats_are_stated_as_sentences():
    small = _table({("affected", "before"): 9, ("affected", "after"): 3, ("affected", "before_year_earlier"): 4,
                    ("affected", "after_year_earlier"): 4, ("comparison", "before"): 40, ("comparison", "after"): 38,
                    ("comparison", "before_year_earlier"): 40, ("comparison", "after_year_earlier"): 40})
    notes = caveats(small, difference_in_differences(small))
    text = " ".join(notes)
    for words in ("inget bevis", "Små tal: den minsta räkningen i tabellen är 3", "rymmer noll", "Förflyttning",
                  "samma tid", "Återgång mot medelvärdet: före åtgärden var takten i området hög (0,3 per dag"):
        assert words in text
    assert all(note.endswith(".") for note in notes)
    large = _table({("affected", "before"): 400, ("affected", "after"): 100, ("comparison", "before"): 4000,
                    ("comparison", "after"): 4000})
    text = " ".join(caveats(large, difference_in_differences(large)))
    assert "Små tal" not in text and "rymmer noll" not in text and "hög" not in text
    assert "valdes platsen" in text and "inget bevis" in text and "Förflyttning" in text

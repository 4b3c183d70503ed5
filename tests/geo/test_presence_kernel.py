"""The compiled presence method (geo/presence_kernel.py) against the NumPy version it replaced
(benchmarks/presence_reference.py, the reference): within one second per zone — in practice
exactly — on the demo year and on random fleets (irregular sampling, every mode, pings far outside
the fast projection, exclusion areas, gaps and day boundaries); the same cube on one thread and
on two, and the same as the kept parts give."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.layers import PATROL_MODES
from geo.presence_kernel import DAY_NS, covered_steps
from geo.patrol import (CUBE_FIGURES, PresenceParts, PresenceRules, Tracks, cube_from_contributions, gps_covered,
                        presence_cube, presence_parts)
from geo.zones import read_zones
from tests.conftest import ZONES_FILE

ZONES = read_zones(ZONES_FILE)
SPEC = importlib.util.spec_from_file_location(
    "presence_reference", Path(__file__).resolve().parents[2] / "benchmarks" / "presence_reference.py")
reference = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(reference)
YARD = "POLYGON ((12.8565 56.6735, 12.8580 56.6735, 12.8580 56.6745, 12.8565 56.6745, 12.8565 56.6735))"


def zone_seconds(cube) -> np.ndarray:
    return np.stack([getattr(cube, name).sum(axis=(1, 2)) for name in CUBE_FIGURES])


def assert_agree(unit, t_ns, lon, lat, crew, mode, rules: PresenceRules) -> None:
    tracks = Tracks.of(unit, t_ns, lon, lat, crew, mode)
    mine = presence_cube(tracks, ZONES, 2020, rules)
    theirs = reference.reference_cube(reference.reference_tracks(unit, t_ns, lon, lat, crew, mode), ZONES, 2020, rules)
    assert np.abs(zone_seconds(mine) - zone_seconds(theirs)).max() <= 1.0
    one_thread = presence_cube(tracks, ZONES, 2020, rules, threads=1, chunk=1_000)
    parts = presence_parts(tracks, ZONES, rules)
    kept = cube_from_contributions(parts.cells, ZONES["zone_id"].tolist(), 2020)
    for name in CUBE_FIGURES:
        np.testing.assert_array_equal(getattr(one_thread, name), getattr(mine, name))
        np.testing.assert_array_equal(getattr(kept, name), getattr(mine, name))


@st.composite
def fleets(draw):
    """Units wandering in, around and (sometimes) far outside the centre: steady and irregular
    sampling, standing, walking and driving, with gaps, across UTC midnight and the spring change."""
    columns = {name: [] for name in ("unit", "t_ns", "lon", "lat", "crew", "mode")}
    for unit in range(draw(st.integers(1, 4))):
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        n = draw(st.integers(2, 1_500))
        start = pd.Timestamp(draw(st.sampled_from(["2020-03-28T22:00:00Z", "2020-06-05T23:30:00Z",
                                                   "2019-12-31T22:30:00Z"]))).value
        steps = rng.choice(draw(st.sampled_from([[1], [1, 2, 5], [10, 60, 200, 700], [1, 1, 1, 900]])), size=n)
        speed = draw(st.sampled_from([2e-6, 1.5e-5, 1e-4]))  # degrees a step: standing, walking, driving
        far = draw(st.booleans())  # a stretch 10 km away (outside the fast projection's area)
        lon = 12.857 + np.cumsum(rng.normal(0, speed, n)) + (0.15 if far else 0.0) * (np.arange(n) > n // 2)
        columns["unit"].append(np.full(n, unit))
        columns["t_ns"].append(start + np.cumsum(steps) * 10**9 + rng.integers(0, 999, n) * 10**6)
        columns["lon"].append(lon)
        columns["lat"].append(56.674 + np.cumsum(rng.normal(0, speed / 2, n)))
        columns["crew"].append(np.full(n, draw(st.integers(1, 3))))
        columns["mode"].append(np.full(n, draw(st.sampled_from(PATROL_MODES)), dtype=object))
    return {name: np.concatenate(values) for name, values in columns.items()}


@settings(max_examples=25, deadline=None)
@given(fleet=fleets(), excluded=st.booleans())
def test_the_compiled_method_agrees_with_the_numpy_version(fleet, excluded):
    rules = PresenceRules(exclusions=(YARD,) if excluded else ())
    assert_agree(fleet["unit"], fleet["t_ns"], fleet["lon"], fleet["lat"], fleet["crew"], fleet["mode"], rules)


@settings(max_examples=25, deadline=None)
@given(fleet=fleets())
def test_the_pings_cover_exactly_the_time_presence_counts(fleet):
    """The presence logs' check of GPS coverage and presence count the same gaps (one rule, one
    kernel): without exclusion areas, whatever the speed, mode or zone, each unit's covered time is
    its counted time."""
    tracks = Tracks.of(fleet["unit"], fleet["t_ns"], fleet["lon"], fleet["lat"], fleet["crew"], fleet["mode"])
    covered = gps_covered(tracks, PresenceRules())
    covered_s = (covered["end_ns"] - covered["start_ns"]).groupby(covered["unit_id"]).sum() / 1e9
    cells = presence_parts(tracks, ZONES).cells
    counted_s = cells[["presence_s", "drive_s", "vehicle_s"]].sum(axis=1).groupby(cells["unit_id"]).sum()
    assert covered_s.index.tolist() == counted_s.index.tolist()
    np.testing.assert_allclose(covered_s.to_numpy(), counted_s.to_numpy(), rtol=1e-12, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), units=st.integers(1, 3), n=st.integers(0, 1_500),
       gap_factor=st.sampled_from([1.5, 3.0]), max_gap_s=st.sampled_from([60.0, 120.0]))
def test_each_covered_step_is_the_numpy_versions(seed, units, n, gap_factor, max_gap_s):
    """Step by step against the NumPy version's pandas rule: equal times (never covered), days of
    one ping, gaps around the longest and across UTC midnight, text ids."""
    rng = np.random.default_rng(seed)
    unit = rng.choice(np.array([f"fot-{i}" for i in range(units)], dtype=object), n)
    steps = rng.choice([0, 1, 2, 5, 10, 60, 200, 300, 700, 5000], size=n,
                       p=[.05, .4, .2, .1, .1, .05, .04, .03, .02, .01])
    t_ns = pd.Timestamp("2020-03-28T22:00:00Z").value + np.cumsum(steps) * 10**9 + rng.integers(0, 1000, n) * 10**6
    rules = PresenceRules(gap_factor=gap_factor, max_gap_s=max_gap_s)
    tracks = Tracks.of(unit, t_ns, np.full(n, 12.857), np.full(n, 56.674), np.full(n, 2))
    u, t = tracks.unit, tracks.t_ns
    new_track = np.r_[True, (u[1:] != u[:-1]) | (t[1:] // DAY_NS != t[:-1] // DAY_NS)]
    dt = np.diff(t)
    longest = reference._longest_gaps_ns(dt, (np.cumsum(new_track) - 1)[:-1], ~new_track[1:] & (dt > 0), rules)
    expected = (u[1:] == u[:-1]) & (dt > 0) & (dt <= longest)
    covered = np.zeros(max(n - 1, 0), dtype=np.bool_)
    if n > 1:
        covered_steps(u, t, *rules.gap_rule_ns(), np.empty(n, dtype=np.int64), covered)
    np.testing.assert_array_equal(covered, expected)
    merged = gps_covered(tracks, rules)
    assert (merged["end_ns"] - merged["start_ns"]).sum() == dt[expected].sum()


def test_the_demo_year_agrees_with_the_numpy_version(demo_year):
    pings = demo_year.pings
    assert_agree(pings["unit_id"].to_numpy(dtype=object), pings["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64),
                 pings["lon"].to_numpy(), pings["lat"].to_numpy(), pings["crew"].to_numpy(),
                 pings["mode"].to_numpy(dtype=object), PresenceRules())


def test_unsorted_pings_and_any_unit_ids_give_the_same_cube():
    rng = np.random.default_rng(3)
    n = 20_000
    unit = rng.choice(np.array(["fot-2", "fot-1", "bil-9"], dtype=object), n)
    t_ns = pd.Timestamp("2020-05-01T18:00:00Z").value + rng.permutation(n).astype(np.int64) * 10**9
    lon, lat = 12.857 + rng.normal(0, 1e-3, n), 56.674 + rng.normal(0, 5e-4, n)
    order = np.lexsort((t_ns, unit))
    shuffled = presence_cube(Tracks.of(unit, t_ns, lon, lat, np.full(n, 2)), ZONES, 2020)
    codes = pd.factorize(unit[order], sort=True)[0].astype(np.int64) + 7  # integer ids, not from 0
    ordered = presence_cube(Tracks.of(codes, t_ns[order], lon[order], lat[order], np.full(n, 2.0)), ZONES, 2020)
    for name in CUBE_FIGURES:
        np.testing.assert_array_equal(getattr(shuffled, name), getattr(ordered, name))
    assert shuffled.presence_s.sum() > 0


def test_parts_without_counted_time_have_the_columns_types_of_parts_with_it():
    """A dask partition whose pings count nothing (or only a car's time, which leaves no trail) is
    concatenated with ones that count: its empty frames must not turn the unit ids into objects or
    the days into floats."""
    n = 100
    t_ns = pd.Timestamp("2020-05-01T18:00:00Z").value + np.arange(n, dtype=np.int64) * 10**9

    def parts(unit: object, size: int, step_s: int = 1, mode: str = "foot") -> PresenceParts:
        times = t_ns[0] + np.arange(size, dtype=np.int64) * step_s * 10**9
        return presence_parts(Tracks.of(np.array([unit] * size, dtype=object), times, 12.857 + np.arange(size) * 1e-6,
                                        np.full(size, 56.674), np.full(size, 2), [mode] * size), ZONES)

    for unit in ("fot-1", 7):  # text ids (the store's), and any others
        walk, car, one_ping, hours_apart = parts(unit, n), parts(unit, n, mode="car"), parts(unit, 1), \
            parts(unit, 2, step_s=3600)
        assert len(walk.cells) and len(walk.trail) and len(car.cells) and not len(car.trail)
        assert not len(one_ping.cells) and not len(hours_apart.cells)
        for empty in (one_ping, hours_apart, car):
            pd.testing.assert_series_equal(empty.cells.dtypes, walk.cells.dtypes)
            pd.testing.assert_series_equal(empty.trail.dtypes, walk.trail.dtypes)
    covered = gps_covered(Tracks.of(np.array(["fot-1"] * n, dtype=object), t_ns, [12.857] * n, [56.674] * n,
                                    [2] * n), PresenceRules())
    nothing = gps_covered(Tracks.of(np.array(["fot-1"] * 2, dtype=object), t_ns[0] + np.array([0, 3600 * 10**9]),
                                    [12.857] * 2, [56.674] * 2, [2] * 2), PresenceRules())  # an hour apart
    assert len(covered) and not len(nothing)
    pd.testing.assert_series_equal(nothing.dtypes, covered.dtypes)

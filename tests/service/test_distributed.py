"""Presence over an archive on dask.distributed equals the single machine's exactly: partitions of
a month and a group of units, with the overlap past the month's end that the boundary's last
intervals need, give the same parts, cube and trail to the last bit (hypothesis, random tracks
across month and year boundaries), and `stadskarna coverage patrol --archive DIR --scheduler
local` gives the demo's report byte for byte."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from geo.layers import PATROL_MODES, PINGS, validate
from geo.patrol import CUBE_FIGURES, PresenceRules, cube_from_contributions, presence_cube, presence_parts
from geo.timestamps import local_year, utc_days_of_year
from geo.trail import trail_of_year
from geo.zones import read_zones
from service.archive import write_archive
import service.distributed
from service.cli import app
from service.distributed import combined, partition_parts, partitions
from service.store import SQLiteStore
from tests.conftest import ZONES_FILE

ZONES = read_zones(ZONES_FILE)
DAY_NS = 86_400 * 10**9
BOUNDARIES = ("2019-12-31T23:00:00Z", "2020-02-01T00:00:00Z", "2020-03-29T01:00:00Z", "2020-10-01T00:00:00Z",
              "2020-12-31T23:00:00Z")
"""The local year's start, a month's end (UTC), the spring daylight-saving change, September's end
(the folder month=10 comes before month=9 by name), the local year's end."""


@st.composite
def fleets(draw) -> pd.DataFrame:
    """1-3 units, each a few stretches of pings near a boundary: steps of 1 s to 5 minutes (some
    over the longest gap), wandering in and around the centre, any mode and crew."""
    frames = []
    for unit in range(draw(st.integers(1, 3))):
        for stretch in range(draw(st.integers(1, 3))):
            n = draw(st.integers(2, 400))
            seed = draw(st.integers(0, 2**32 - 1))
            rng = np.random.default_rng(seed)
            start = pd.Timestamp(draw(st.sampled_from(BOUNDARIES))).value \
                - draw(st.integers(0, 4 * 3600)) * 10**9
            steps = rng.choice([1, 2, 5, 10, 60, 200, 300], size=n, p=[.5, .2, .1, .1, .05, .03, .02])
            t = start + np.cumsum(steps) * 10**9 + rng.integers(0, 1000, n) * 10**6
            frames.append(pd.DataFrame({
                "unit_id": f"unit-{unit}", "timestamp": pd.to_datetime(t, utc=True),
                "mode": draw(st.sampled_from(PATROL_MODES)), "crew": draw(st.integers(1, 4)),
                "lon": 12.857 + np.cumsum(rng.normal(0, 4e-5, n)), "lat": 56.674 + np.cumsum(rng.normal(0, 2e-5, n))}))
    return validate(PINGS, pd.concat(frames, ignore_index=True), "hypothesis")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pings=fleets(), task_pings=st.sampled_from([1, 300, 10**9]))
def test_partitions_give_the_single_machine_presence_exactly(tmp_path_factory, pings, task_pings):
    folder = tmp_path_factory.mktemp("fleet")
    store = SQLiteStore(folder / "store.sqlite")
    store.write_pings(pings)
    write_archive(store, folder / "archive", (PINGS,))
    rules = PresenceRules()
    plan = partitions(folder / "archive", 2020, task_pings)
    parts, counted = combined([partition_parts(folder / "archive", part, ZONES, rules, 2020) for part in plan])

    first, last = utc_days_of_year(2020)
    tracks = store.read_tracks(pd.Timestamp(first * DAY_NS, tz="UTC"),
                               pd.Timestamp((last + 1) * DAY_NS, tz="UTC") + pd.Timedelta(seconds=rules.max_gap_cap_s))
    reference = presence_parts(tracks, ZONES, rules)
    cube, expected = cube_from_contributions(parts.cells, ZONES["zone_id"].tolist(), 2020), presence_cube(tracks, ZONES, 2020)
    for name in CUBE_FIGURES:
        np.testing.assert_array_equal(getattr(cube, name), getattr(expected, name))
    mine = reference.cells[(reference.cells["day_utc"] >= first) & (reference.cells["day_utc"] <= last)]
    pd.testing.assert_frame_equal(parts.cells, mine.sort_values(["unit_id", "day_utc"], kind="stable", ignore_index=True))
    order = ["unit_id", "start_ns"]
    pd.testing.assert_frame_equal(trail_of_year(parts.trail, 2020).sort_values(order, ignore_index=True),
                                  trail_of_year(reference.trail, 2020).sort_values(order, ignore_index=True))
    assert counted == store.count_pings(*local_year(2020))
    if task_pings == 1:  # a partition per unit and month: the boundaries are crossed by units apart
        assert all(len(part.units) == 1 for part in plan)


@pytest.fixture(scope="module")
def demo_archive(demo_loaded, tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo-archive") / "archive"
    result = CliRunner().invoke(app, ["archive", "pings", str(folder), "--db", str(demo_loaded.db)])
    assert result.exit_code == 0, result.output
    return folder


def test_the_demo_on_a_local_cluster_gives_the_single_machine_report(demo_loaded, demo_archive):
    """The demo's 2020 (3.3 million pings and a presence log) on a LocalCluster of this machine's
    cores, against the kept presence of the single machine: the same report, byte for byte."""
    common = ["coverage", "patrol", "--year", "2020", "--format", "json", "--db", str(demo_loaded.db)]
    single = CliRunner().invoke(app, common)
    cluster = CliRunner().invoke(app, [*common, "--archive", str(demo_archive), "--scheduler", "local"])
    assert single.exit_code == 0 and cluster.exit_code == 0, cluster.output
    assert cluster.stdout == single.stdout
    assert json.loads(single.stdout)["centre"]["presence_log_h"] > 30  # the horse patrol's log counted in both


def test_an_unreachable_scheduler_is_a_clear_error(demo_loaded, demo_archive, monkeypatch):
    monkeypatch.setattr(service.distributed, "CONNECT_TIMEOUT_S", 1)
    result = CliRunner().invoke(app, ["coverage", "patrol", "--year", "2020", "--db", str(demo_loaded.db), "--archive",
                                      str(demo_archive), "--scheduler", "tcp://127.0.0.1:9"], env={"COLUMNS": "250"})
    assert result.exit_code != 0 and "cannot reach the dask scheduler at tcp://127.0.0.1:9" in result.output
    assert "Traceback" not in result.output


def test_a_year_the_archive_does_not_hold_is_a_clear_error(demo_loaded, demo_archive):
    result = CliRunner().invoke(app, ["coverage", "patrol", "--year", "2015", "--db", str(demo_loaded.db), "--archive",
                                      str(demo_archive)], env={"COLUMNS": "250"})
    assert result.exit_code != 0 and "the archive has no pings for 2015" in result.output


def test_local_workers_keep_mid_sized_arrays_in_the_heap():
    """dask's workers run with MALLOC_TRIM_THRESHOLD_, which stops glibc from raising its mmap
    threshold; the local cluster's workers get WORKER_ENVIRONMENT so a task's chunks are not mapped
    fresh each time."""
    from distributed import Client

    with service.distributed.local_cluster(1) as cluster, Client(cluster) as client:
        environment = client.run(lambda: os.environ.get("MALLOC_MMAP_THRESHOLD_"))
    assert list(environment.values()) == [service.distributed.WORKER_ENVIRONMENT["MALLOC_MMAP_THRESHOLD_"]]

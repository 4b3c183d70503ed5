"""Patrol presence over an archive (:mod:`service.archive`) on a dask.distributed cluster: for a
region's fleet over many years, when one machine is not enough.

The year's UTC months are cut into **partitions** of a month and a group of units (at most
:data:`TASK_PINGS` pings each), each computed by a worker from the archive's files with the same
function as the single machine (:func:`geo.patrol.presence_parts`). A partition reads its month's
pings and, past the month's end, the **overlap** an interval crossing the boundary needs: the
next pings up to the longest gap that counts (``max_gap_cap_s``), which close the month's last
intervals; it keeps only the parts of the UTC days it owns. Tracks are UTC days of one unit, so
no track is split and a partition's parts are exactly the single machine's for its days. The
parts (seconds per unit, day, zone and hour, and the trail) are gathered and summed into the same
cube — time is summed as whole nanoseconds, so the result is the single machine's to the last bit.

Workers read the archive themselves: it must be at the same path for them (a shared or network
file system, or object storage mounted alike), and they need this package installed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import Message, ValidationError
from geo.patrol import NS, PresenceParts, PresenceRules, presence_parts
from geo.timestamps import local_year, utc_days_of_year
from service.archive import ArchiveMonth, ping_months, ping_units, read_archive_pings, read_archive_tracks
from service.presence import YearPresence, presence_of_parts, utc_day
from service.store import Store

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

TASK_PINGS = 20_000_000
"""The most pings one partition reads (a month's units are split into groups below it): about
0.7 GB of arrays in a worker's memory while it computes."""
CONNECT_TIMEOUT_S = 10
"""How long to try reaching a scheduler before saying it cannot be reached."""
LOCAL = "local"
"""The scheduler address that starts a LocalCluster of this machine's cores."""
WORKER_ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": "33554432"}
"""What a worker process needs in its environment. dask starts workers with
``MALLOC_TRIM_THRESHOLD_`` set (to give freed memory back), and glibc then stops raising its mmap
threshold: every array over 128 KiB — each chunk of a task — is mapped fresh from the system and
faulted in again. Keeping arrays up to 32 MiB (glibc's own ceiling) in the heap halves a task's time
here (16.7 million pings: 14-16 s → 7 s). :func:`local_cluster` sets it; set it for ``dask worker``
on a real cluster too (README)."""
DAY_NS = 86_400 * NS

Progress = Callable[[int, int], None]
"""``progress(partitions done, of all)``."""


@dataclass(frozen=True)
class Partition:
    """The work of one task: ``units`` of the archive in ``month``, counting the intervals that start
    on the UTC days ``first_day``..``last_day`` (days since 1970)."""

    month: ArchiveMonth
    units: tuple[str, ...]
    first_day: int
    last_day: int


def partitions(directory: Path, year: int, task_pings: int = TASK_PINGS) -> list[Partition]:
    """The partitions of local ``year``: each UTC month of the archive with days counting in it
    (:func:`geo.timestamps.utc_days_of_year`), its units split into groups of about
    ``task_pings`` pings (by the month's count, units taken in order)."""
    first_day, last_day = utc_days_of_year(year)
    result = []
    for month in ping_months(directory):
        days = (max(first_day, month.start.value // DAY_NS), min(last_day, month.end.value // DAY_NS - 1))
        if days[0] > days[1]:
            continue
        units = ping_units(directory, month)
        groups = min(len(units), max(1, math.ceil(month.pings / task_pings)))
        result.extend(Partition(month, tuple(group), *days) for group in np.array_split(np.array(units, dtype=object),
                                                                                        groups))
    return result


def partition_parts(directory: Path, partition: Partition, zones: gpd.GeoDataFrame, rules: PresenceRules,
                    year: int) -> tuple[PresenceParts, int]:
    """The presence parts of a partition's UTC days (what :func:`geo.patrol.presence_parts` gives
    for them from all pings), and its pings in local ``year``. Runs on a worker."""
    start, end = utc_day(partition.first_day), utc_day(partition.last_day + 1)
    tracks = read_archive_tracks(directory, start, end + pd.Timedelta(seconds=rules.max_gap_cap_s),
                                 list(partition.units))
    parts = presence_parts(tracks, zones, rules)
    owned = (parts.cells["day_utc"] >= partition.first_day) & (parts.cells["day_utc"] <= partition.last_day)
    in_trail = (parts.trail["day_utc"] >= partition.first_day) & (parts.trail["day_utc"] <= partition.last_day)
    year_start, year_end = (day.tz_convert("UTC").value for day in local_year(year))
    pings = int(((tracks.t_ns >= max(year_start, start.value)) & (tracks.t_ns < min(year_end, end.value))).sum())
    return PresenceParts(parts.cells[owned], parts.trail[in_trail]), pings


def combined(results: list[tuple[PresenceParts, int]]) -> tuple[PresenceParts, int]:
    """The partitions' parts as one and their pings: the cells in unit and day order, as the store
    keeps them; the trail as the partitions came (those who need it in unit and time order put it
    so: :func:`geo.trail.in_unit_time_order`; sorting a region's trail here would cost more than
    computing it)."""
    cells = pd.concat([parts.cells for parts, _ in results], ignore_index=True)
    trail = pd.concat([parts.trail for parts, _ in results], ignore_index=True)
    return PresenceParts(cells.sort_values(["unit_id", "day_utc"], kind="stable", ignore_index=True), trail), \
        sum(pings for _, pings in results)


def archive_presence(store: Store, directory: Path, zones: gpd.GeoDataFrame, year: int, rules: PresenceRules,
                     scheduler: str = LOCAL, progress: Progress | None = None,
                     task_pings: int = TASK_PINGS) -> YearPresence:
    """The :class:`service.presence.YearPresence` of ``year`` from the archive in ``directory``,
    computed on the dask scheduler at ``scheduler`` (``local``: a LocalCluster of this machine's
    cores); the presence logs are the store's, checked against the archive's pings."""
    plan = partitions(directory, year, task_pings)
    if not plan:
        raise ValidationError(Message("the archive has no pings for {year}", year=year), file=str(directory))
    with _client(scheduler) as client:
        parts, pings = cluster_parts(client, directory, plan, zones, year, rules, progress)
    return presence_of_parts(store, zones, year, rules, parts, pings,
                             lambda start, end, units: read_archive_pings(directory, start, end, units))


def cluster_parts(client: Client, directory: Path, plan: list[Partition], zones: gpd.GeoDataFrame, year: int,
                  rules: PresenceRules, progress: Progress | None = None) -> tuple[PresenceParts, int]:
    """The presence parts of ``year``'s UTC days from the archive, computed by ``client``'s workers
    a partition of ``plan`` (:func:`partitions`) each, and the year's pings."""
    from distributed import as_completed

    shared = client.scatter([zones, rules], broadcast=True)
    futures = [client.submit(partition_parts, str(directory), part, shared[0], shared[1], year, pure=False)
               for part in plan]
    results = []
    for done, future in enumerate(as_completed(futures), start=1):
        results.append(future.result())
        future.release()  # the worker may forget it now: results do not pile up in workers' memory
        if progress:
            progress(done, len(plan))
    del futures
    return combined(results)


@contextmanager
def _client(scheduler: str) -> Iterator[Client]:
    """A dask client of the scheduler at ``scheduler`` (``tcp://host:8786``), or of a LocalCluster
    with a worker per core (``local``); a clear error when it cannot be reached."""
    from distributed import Client

    if scheduler == LOCAL:
        with local_cluster() as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValidationError(Message("cannot reach the dask scheduler at {address}: {exc}", address=scheduler,
                                      exc=exc)) from None
    with client:
        yield client


def local_cluster(workers: int | None = None, **options: object) -> LocalCluster:
    """A LocalCluster of ``workers`` single-threaded workers (default: one per core) started with
    :data:`WORKER_ENVIRONMENT`; ``options`` go to LocalCluster."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({f"distributed.nanny.pre-spawn-environ.{name}": value
                          for name, value in WORKER_ENVIRONMENT.items()}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None, **options)

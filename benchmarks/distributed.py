"""Benchmark: patrol presence over an archive on dask.distributed, with 1 and 2 local workers.

Synthesises N SYNTHETIC pings (default 200 million: 40 units walking at 1 Hz in and around the
centre, spread over the twelve months of 2020), writes them as the archive does
(:func:`service.archive.write_ping_file`: GeoParquet 1.1 by UTC month), then computes the year's
presence parts on a LocalCluster of 1 and of 2 single-threaded workers
(:func:`service.distributed.cluster_parts`), measuring the time, the throughput, the scaling and
each worker's peak resident memory (sampled in the worker every 50 ms). The two runs must give the same cube to
the last bit.

    python benchmarks/distributed.py                      # 200 M pings (about 6 GB of archive in a temporary folder)
    python benchmarks/distributed.py --pings 20000000     # quick

The last line is JSON: pings, archive write time and size, per run workers / seconds / pings per
second / peak resident memory per worker, the scaling (the first run's time / the last's), whether
every run gave the same cube, and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

# run as a script, this folder comes first on the import path, and this file would hide dask's
# package of the same name: the project's root instead
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.patrol import CUBE_FIGURES, PresenceRules, cube_from_contributions  # noqa: E402
from geo.zones import read_zones  # noqa: E402
from service.archive import add_to_manifest, write_ping_file  # noqa: E402
from service.distributed import cluster_parts, local_cluster, partitions  # noqa: E402

ZONES = Path(__file__).resolve().parent.parent / "data" / "stadskarna.geojson"
YEAR = 2020


def synthetic_month(month: int, pings: int, units: int, bounds: np.ndarray, seed: int) -> pd.DataFrame:
    """SYNTHETIC: ``pings`` 1 Hz pings of ``units`` foot patrols in UTC ``month`` of 2020, random
    walks at walking pace in and a little around the zones' box, a 5-minute break every 2 hours."""
    rng = np.random.default_rng(seed)
    per_unit = pings // units
    minx, miny, maxx, maxy = bounds
    span_x, span_y = (maxx - minx) * 1.2, (maxy - miny) * 1.2
    walk = np.cumsum(rng.normal(0, 1.2e-5, size=(2, units, per_unit)), axis=2)
    lon = (minx - 0.1 * (maxx - minx)) + np.abs((walk[0] + rng.uniform(0, span_x, (units, 1))) % (2 * span_x) - span_x)
    lat = (miny - 0.1 * (maxy - miny)) + np.abs((walk[1] + rng.uniform(0, span_y, (units, 1))) % (2 * span_y) - span_y)
    seconds = np.arange(per_unit, dtype=np.int64)
    seconds += (seconds // 7200) * 300
    start = pd.Timestamp(f"{YEAR}-{month:02d}-01T00:00:00Z").value
    t = start + seconds[None, :] * 10**9 + (np.arange(units) * 3600 * 10**9)[:, None]
    names = pd.Categorical.from_codes(np.repeat(np.arange(units), per_unit), [f"unit-{u:03d}" for u in range(units)])
    return pd.DataFrame({"unit_id": names, "timestamp": pd.to_datetime(t.ravel(), utc=True),
                         "mode": pd.Categorical.from_codes(np.zeros(units * per_unit, dtype=np.int8), ["foot"]),
                         "crew": np.full(units * per_unit, 2, dtype=np.int64),
                         "source": pd.Categorical.from_codes(np.zeros(units * per_unit, dtype=np.int8), ["synthetic"]),
                         "lon": lon.ravel(), "lat": lat.ravel()})


def sample_memory(dask_worker) -> None:
    """On a worker: sample its resident memory every 50 ms from now on, keeping the peak. (The
    process's max RSS will not do: Linux carries it over from the parent that started the worker.)"""
    import threading

    import psutil

    process, peak = psutil.Process(), [0]

    def sample() -> None:
        while True:
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    dask_worker.peak_rss = peak


def run(directory: Path, zones, workers: int) -> tuple[float, list[int], object, int]:
    """The year's parts on a LocalCluster of ``workers`` single-threaded workers: seconds, each
    worker's peak resident memory (MB, sampled), the cube and the pings counted."""
    from distributed import Client

    with local_cluster(workers, memory_limit=None) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        client.run(sample_memory)
        plan = partitions(directory, YEAR)
        start = time.perf_counter()
        parts, pings = cluster_parts(client, directory, plan, zones, YEAR, PresenceRules())
        cube = cube_from_contributions(parts.cells, zones["zone_id"].tolist(), YEAR)
        seconds = time.perf_counter() - start
        peaks = client.run(lambda dask_worker: round(dask_worker.peak_rss[0] / 2**20))
    return seconds, sorted(peaks.values()), cube, pings


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=200_000_000, help="pings (default 200,000,000)")
    parser.add_argument("--units", type=int, default=40, help="patrol units (default 40)")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the archive (default: a temporary one)")
    parser.add_argument("--workers", default="1,2", help="cluster sizes to run, comma-separated (default 1,2)")
    args = parser.parse_args(argv)
    zones = read_zones(ZONES)
    folder = Path(tempfile.mkdtemp(prefix="stadskarna-archive-", dir=args.dir))
    try:
        start = time.perf_counter()
        written = 0
        for month in range(1, 13):
            frame = synthetic_month(month, args.pings // 12, args.units, zones.total_bounds, seed=month)
            written += write_ping_file(frame, folder / "patrols" / f"year={YEAR}" / f"month={month}")
            del frame
        add_to_manifest(folder, {"patrols": written}, "SYNTHETIC pings of benchmarks/distributed.py")
        write_seconds = time.perf_counter() - start
        size_mb = sum(f.stat().st_size for f in folder.rglob("*.parquet")) / 1e6
        runs, cubes = [], []
        for workers in (int(w) for w in args.workers.split(",")):
            seconds, peaks, cube, counted = run(folder, zones, workers)
            cubes.append(cube)
            runs.append({"workers": workers, "seconds": round(seconds, 1), "pings_per_s": round(counted / seconds),
                         "peak_rss_mb_per_worker": peaks})
            print(f"{workers} worker(s): {counted:,} pings in {seconds:.1f} s ({counted / seconds / 1e6:.2f} M/s); "
                  f"peak RSS per worker {peaks} MB")
        same = all(np.array_equal(getattr(cubes[0], name), getattr(other, name)) for other in cubes[1:]
                   for name in CUBE_FIGURES)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = {"benchmark": "distributed", "pings": written, "synthetic": True, "units": args.units,
              "archive_write_s": round(write_seconds, 1), "archive_write_per_s": round(written / write_seconds),
              "archive_mb": round(size_mb), "archive_bytes_per_ping": round(size_mb * 1e6 / written, 1),
              "runs": runs, "scaling": round(runs[0]["seconds"] / runs[-1]["seconds"], 2),
              "same_cube_every_run": bool(same), "presence_h": round(float(cubes[0].presence_s.sum()) / 3600, 1),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

"""Benchmark: patrol presence hours per zone for a fleet-year of 1 Hz pings already in memory.

Synthesises N SYNTHETIC pings (default 50 million: a fleet-year at 1 Hz) of units walking in and
around Halmstad's centre and computes the presence cube with the project's method
(:func:`geo.patrol.presence_cube`: compiled kernels on a thread per core), against fair
baselines measured in the same run:

- **NumPy + grid** — the method as it was written before its loops were compiled
  (``benchmarks/presence_reference.py``: vectorised NumPy, a pandas group-by for each track's
  median, searchsorted windows, the zone grid), at the same size;
- **NumPy + contains_xy** — the same with shapely's prepared ``contains_xy`` per zone for the
  midpoints (the usual vectorised way), at the same size;
- **pandas + sjoin** — the method written the usual way with pandas shifts and group-bys, pyproj
  and a geopandas ``sjoin`` of the midpoints (foot patrols' presence hours), at ``--sjoin-n``
  (it does not fit at 50 million), with the method measured again at that size.

The method's time is the median of three runs from the input arrays (``Tracks.of`` included),
after a warm-up on a sample (the compiled kernels loaded from numba's cache, the zone grid made
once per set of zones). Its memory is what it allocates above the input arrays (tracemalloc: the
kernels take every buffer from NumPy). The estimated limit is reading the input once at this
machine's memory bandwidth (measured here: summing a 1 GB array on every core): 30 bytes a ping.

    python benchmarks/patrol.py              # 50 M pings (about 2 minutes with the baselines)
    python benchmarks/patrol.py --n 5000000  # quick

The last line is JSON with every figure and ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.crs import SWEREF99TM, WGS84  # noqa: E402
from geo.patrol import CUBE_FIGURES, PresenceRules, Tracks, presence_cube  # noqa: E402
from geo.zones import read_zones  # noqa: E402


def _reference():
    """benchmarks/presence_reference.py, loaded by its path (this folder is not put on the import path:
    its distributed.py would hide dask's package of that name)."""
    spec = importlib.util.spec_from_file_location("presence_reference", Path(__file__).with_name("presence_reference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_REFERENCE = _reference()
reference_cube, reference_tracks = _REFERENCE.reference_cube, _REFERENCE.reference_tracks

ZONES = Path(__file__).resolve().parent.parent / "data" / "stadskarna.geojson"
BYTES_PER_PING = 8 + 8 + 8 + 4 + 1 + 1
"""What the method reads of each ping: time, lon, lat (8 bytes each), unit code (4), crew and mode (1 each)."""


def synthetic_pings(n: int, zones: gpd.GeoDataFrame, units: int = 20, seed: int = 7) -> dict[str, np.ndarray]:
    """SYNTHETIC: ``n`` pings of ``units`` units at 1 Hz, random walks at walking pace inside and a
    little around the zones' bounding box (WGS84), with a 5-minute gap every ~2 hours."""
    rng = np.random.default_rng(seed)
    per_unit = n // units
    minx, miny, maxx, maxy = zones.total_bounds
    steps = rng.normal(0, 1.2e-5, size=(2, units * per_unit)).astype(np.float64)
    walk_lon = np.cumsum(steps[0].reshape(units, per_unit), axis=1)
    walk_lat = np.cumsum(steps[1].reshape(units, per_unit), axis=1)
    del steps
    span_x, span_y = (maxx - minx) * 1.2, (maxy - miny) * 1.2
    lon = (minx - 0.1 * (maxx - minx)) + np.abs((walk_lon + rng.uniform(0, span_x, (units, 1))) % (2 * span_x) - span_x)
    lat = (miny - 0.1 * (maxy - miny)) + np.abs((walk_lat + rng.uniform(0, span_y, (units, 1))) % (2 * span_y) - span_y)
    seconds = np.arange(per_unit, dtype=np.int64)
    seconds += (seconds // 7200) * 300  # a break every two hours
    start = pd.Timestamp("2020-01-01T06:00:00Z").value
    t = start + (seconds[None, :] * 10**9) + (rng.integers(0, 300 * 86400, (units, 1)) * 10**9)
    return {"unit": np.repeat(np.arange(units, dtype=np.int32), per_unit), "t_ns": t.ravel(),
            "lon": lon.ravel(), "lat": lat.ravel(), "crew": np.full(units * per_unit, 2, dtype=np.uint8)}


def baseline_hours(pings: dict[str, np.ndarray], zones: gpd.GeoDataFrame, rules: PresenceRules = PresenceRules()
                   ) -> pd.Series:
    """The same method written the usual way (presence hours of foot patrols): pandas shifts and
    group-bys for the tracks (unit, UTC day), their median sampling interval and the runs between
    gaps; the speed window's ends by a searchsorted per run; pyproj for metres; a geopandas
    ``sjoin`` of the interval midpoints to the zones; a group-by."""
    frame = pd.DataFrame(pings).sort_values(["unit", "t_ns"], kind="stable").reset_index(drop=True)
    points = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs=WGS84).to_crs(SWEREF99TM)
    x, y = points.x.to_numpy(), points.y.to_numpy()
    frame["day"] = frame["t_ns"] // (86_400 * 10**9)
    following = frame.groupby("unit")[["t_ns", "day", "lon", "lat"]].shift(-1)
    dt = (following["t_ns"] - frame["t_ns"]) / 1e9
    sampling = dt.where((following["day"] == frame["day"]) & (dt > 0)).groupby([frame["unit"], frame["day"]]).transform("median")
    longest = (rules.gap_factor * sampling).fillna(0).clip(lower=rules.max_gap_s).clip(upper=rules.max_gap_cap_s)
    keep = ((dt > 0) & (dt <= longest)).to_numpy()
    new_run = ((frame["unit"] != frame["unit"].shift()) | (frame["day"] != frame["day"].shift())).to_numpy().copy()
    new_run[1:] |= ~keep[:-1]
    t, middle = frame["t_ns"].to_numpy() / 1e9, (frame["t_ns"].to_numpy() / 1e9 + dt.to_numpy() / 2)
    low, high = np.zeros(len(frame), dtype=np.int64), np.zeros(len(frame), dtype=np.int64)
    for index in pd.Series(np.arange(len(frame))).groupby(np.cumsum(new_run)).indices.values():
        low[index] = index[0] + np.searchsorted(t[index], middle[index] - rules.window_s / 2, side="left")
        high[index] = index[0] + np.searchsorted(t[index], middle[index] + rules.window_s / 2, side="right") - 1
    every = np.arange(len(frame))
    low, high = np.minimum(low, every), np.minimum(np.maximum(high, every + 1), len(frame) - 1)
    speed_kmh = np.hypot(x[high] - x[low], y[high] - y[low]) / np.maximum(t[high] - t[low], 1e-9) * 3.6
    visible = keep & (speed_kmh <= rules.foot_kmh)
    mid = gpd.GeoDataFrame({"seconds": dt[visible]}, geometry=gpd.points_from_xy(
        (frame["lon"] + following["lon"])[visible] / 2, (frame["lat"] + following["lat"])[visible] / 2), crs=WGS84)
    joined = gpd.sjoin(mid, zones[["zone_id", "geometry"]], predicate="within")
    return joined.groupby("zone_id")["seconds"].sum() / 3600


def method(pings: dict[str, np.ndarray], zones: gpd.GeoDataFrame):
    """The project's method from the input arrays."""
    return presence_cube(Tracks.of(**pings), zones, 2020)


def timed(function, *args, repeat: int = 1) -> tuple[float, object]:
    """The median seconds of ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def bandwidth_gb_s() -> float:
    """Memory read bandwidth of this machine on every core: a 1 GB array summed in a slice per core (best of 3)."""
    data = np.ones(2**27)  # 1 GiB of float64
    cores = os.cpu_count() or 1
    parts = np.array_split(data, cores)
    best = float("inf")
    with ThreadPoolExecutor(cores) as pool:
        for _ in range(3):
            start = time.perf_counter()
            list(pool.map(np.sum, parts))
            best = min(best, time.perf_counter() - start)
    return data.nbytes / best / 1e9


def zone_hours(cube) -> pd.Series:
    """Visible presence hours per zone of a cube."""
    return pd.Series(cube.presence_s[:-1].sum(axis=(1, 2)) / 3600, index=cube.zone_ids)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000_000, help="pings (default 50,000,000)")
    parser.add_argument("--sjoin-n", type=int, default=2_000_000, help="pings for the pandas + sjoin baseline (default 2,000,000)")
    args = parser.parse_args(argv)
    zones = read_zones(ZONES)
    pings = synthetic_pings(args.n, zones)
    n = len(pings["t_ns"])
    inputs_mb = sum(values.nbytes for values in pings.values()) / 1e6
    method({key: values[: min(n, 1_000_000)] for key, values in pings.items()}, zones)  # warm-up
    tracemalloc.start()  # NumPy reports its buffers to tracemalloc, and the kernels take theirs from NumPy
    method(pings, zones)
    method_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    seconds, cube = timed(method, pings, zones, repeat=3)
    per_s = n / seconds

    numpy_seconds, numpy_cube = timed(lambda: reference_cube(reference_tracks(**pings), zones, 2020))
    contains_seconds, contains_cube = timed(
        lambda: reference_cube(reference_tracks(**pings), zones, 2020, lookup="contains_xy"))
    agreement_s = max(float(np.abs(getattr(cube, name) - getattr(other, name)).sum(axis=(1, 2)).max())
                      for other in (numpy_cube, contains_cube) for name in CUBE_FIGURES)

    sample = {key: values[: min(args.sjoin_n, n)] for key, values in pings.items()}
    small = len(sample["t_ns"])
    sjoin_seconds, sjoin_hours = timed(baseline_hours, sample, zones)
    small_seconds, small_cube = timed(method, sample, zones, repeat=3)
    sjoin_difference_h = float((zone_hours(small_cube) - sjoin_hours.reindex(small_cube.zone_ids, fill_value=0)).abs().max())

    bandwidth = bandwidth_gb_s()
    limit = bandwidth * 1e9 / BYTES_PER_PING
    result = {"benchmark": "patrol", "n": n, "synthetic": True, "seconds": round(seconds, 3),
              "throughput_per_s": round(per_s), "inputs_mb": round(inputs_mb), "method_mb": round(method_mb),
              "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
              "baselines": {
                  "numpy_grid": {"n": n, "per_s": round(n / numpy_seconds), "ratio": round(numpy_seconds / seconds, 1)},
                  "numpy_contains_xy": {"n": n, "per_s": round(n / contains_seconds),
                                        "ratio": round(contains_seconds / seconds, 1)},
                  "pandas_sjoin": {"n": small, "per_s": round(small / sjoin_seconds),
                                   "method_per_s": round(small / small_seconds),
                                   "ratio": round(sjoin_seconds / small_seconds, 1)}},
              "max_zone_difference_vs_numpy_s": round(agreement_s, 6),
              "max_zone_difference_vs_sjoin_h": round(sjoin_difference_h, 4),
              "bandwidth_gb_s": round(bandwidth, 1), "bytes_per_ping": BYTES_PER_PING,
              "limit_per_s": round(limit), "share_of_limit": round(per_s / limit, 3),
              "presence_h": round(float(zone_hours(cube).sum()), 1), "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    print(f"{n:,} pings in {seconds:.2f} s ({per_s / 1e6:.1f} M/s, {method_mb:,.0f} MB above the inputs); "
          f"NumPy + grid {result['baselines']['numpy_grid']['ratio']}x, NumPy + contains_xy "
          f"{result['baselines']['numpy_contains_xy']['ratio']}x, pandas + sjoin {result['baselines']['pandas_sjoin']['ratio']}x "
          f"at {small:,}; limit {limit / 1e6:.0f} M/s at {bandwidth:.1f} GB/s")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

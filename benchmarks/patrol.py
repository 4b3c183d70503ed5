"""Benchmark: patrol presence hours per zone for a fleet-year of 1 Hz pings.

Synthesises N pings (default 50 million: a fleet-year at 1 Hz) of units walking in and around
Halmstad's centre, then computes hours per zone with the project's method
(:func:`geo.patrol.presence_cube`) and with the same method written the usual way, measured in the
same run: pandas shifts and group-bys for tracks, sampling and runs, a searchsorted per run for
the speed window, distances after a pyproj projection to SWEREF 99 TM and a geopandas ``sjoin``
of the interval midpoints to the zones, then a group-by. The baseline runs on a
subsample (``--baseline-n``, default 1 million) and its throughput is per ping.

    python benchmarks/patrol.py              # 50 M pings
    python benchmarks/patrol.py --n 5000000  # quick

Goal (issue 4): 50 M pings in under 5 s, >= 20x the baseline's throughput, peak memory under 4 GB.
The last line is JSON: n, seconds, throughput_per_s, baseline_per_s, ratio, peak_mem_mb (the
input arrays plus the method's own peak allocations, traced with tracemalloc; the process's
max RSS, which includes synthesising the data and the baseline, is given too).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.crs import SWEREF99TM, WGS84  # noqa: E402
from geo.patrol import PresenceRules, Tracks, presence_cube, zone_figures  # noqa: E402
from geo.zones import read_zones  # noqa: E402

ZONES = Path(__file__).resolve().parent.parent / "data" / "stadskarna.geojson"


def synthetic_pings(n: int, zones: gpd.GeoDataFrame, units: int = 20, seed: int = 7) -> dict[str, np.ndarray]:
    """``n`` pings of ``units`` units at 1 Hz, random walks at walking pace inside and a little
    around the zones' bounding box (WGS84), with a 5-minute gap every ~2 hours."""
    rng = np.random.default_rng(seed)
    per_unit = n // units
    minx, miny, maxx, maxy = zones.total_bounds
    steps = rng.normal(0, 1.2e-5, size=(2, units * per_unit)).astype(np.float64)
    walk_lon = np.cumsum(steps[0].reshape(units, per_unit), axis=1)
    walk_lat = np.cumsum(steps[1].reshape(units, per_unit), axis=1)
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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000_000, help="pings (default 50,000,000)")
    parser.add_argument("--baseline-n", type=int, default=1_000_000, help="pings for the baseline (default 1,000,000)")
    args = parser.parse_args(argv)
    zones = read_zones(ZONES)
    pings = synthetic_pings(args.n, zones)
    n = len(pings["t_ns"])
    inputs_mb = sum(values.nbytes for values in pings.values()) / 1e6
    tracemalloc.start()  # numpy reports its buffers to tracemalloc: this is the method's own peak
    start = time.perf_counter()
    cube = presence_cube(Tracks.of(**pings), zones, 2020)
    seconds = time.perf_counter() - start
    method_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    peak_mb = inputs_mb + method_mb
    hours = zone_figures(cube)["presence_h"]

    sample = {key: values[: min(args.baseline_n, n)] for key, values in pings.items()}
    start = time.perf_counter()
    reference = baseline_hours(sample, zones)
    baseline_seconds = time.perf_counter() - start
    check = zone_figures(presence_cube(Tracks.of(**sample), zones, 2020))["presence_h"]
    agreement = float((check - reference.reindex(check.index, fill_value=0)).abs().max())

    result = {"benchmark": "patrol", "n": n, "seconds": round(seconds, 2), "throughput_per_s": round(n / seconds),
              "baseline_n": len(sample["t_ns"]), "baseline_per_s": round(len(sample["t_ns"]) / baseline_seconds),
              "ratio": round((n / seconds) / (len(sample["t_ns"]) / baseline_seconds), 1),
              "peak_mem_mb": round(peak_mb), "inputs_mb": round(inputs_mb), "method_mb": round(method_mb),
              "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "presence_h": round(float(hours.sum()), 1),
              "max_zone_difference_vs_baseline_h": round(agreement, 4),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    print(f"{n:,} pings in {seconds:.2f} s ({n / seconds / 1e6:.1f} M/s); baseline "
          f"{len(sample['t_ns']) / baseline_seconds / 1e6:.2f} M/s; ratio {result['ratio']}x; peak {peak_mb:,.0f} MB")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

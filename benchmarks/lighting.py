"""Benchmark: modelled illuminance of the whole centre at 1 m from 2,000 lamps.

Compares the project's method (:func:`geo.lighting.illuminance`: one stamp per lamp over the
cells within 10 × its height) with a naive all-pairs numpy baseline measured in the same run
(every lamp against every cell, no cut-off, in blocks of cells), on a subset of the cells if the
whole grid would take too long (``--baseline-cells``), reported as throughput.

    python benchmarks/lighting.py [--lamps 2000] [--cell 1.0] [--baseline-cells 200000]

Goal (issue 5): the whole centre in under 0.2 s and >= 100x the naive baseline (time: the median
of 5 runs). The last line is
JSON with lamps, cells, seconds, baseline_cells_per_s, cells_per_s, ratio, peak_mem_mb and the
largest difference from the baseline (the cost of the cut-off), in lux.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.crs import SWEREF99TM, WGS84, to_metric  # noqa: E402
from geo.layers import LIGHTS, validate  # noqa: E402
from geo.lighting import MAINTENANCE_FACTOR, empty_grid, illuminance  # noqa: E402
from geo.zones import read_zones  # noqa: E402

ZONES = Path(__file__).resolve().parent.parent / "data" / "stadskarna.geojson"


def synthetic_lamps(zones: gpd.GeoDataFrame, n: int, seed: int = 5) -> gpd.GeoDataFrame:
    """``n`` working lamps spread uniformly over the zones' bounding box (4-8 m, 2,000-8,000 lm)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = to_metric(zones).total_bounds
    points = gpd.GeoSeries(gpd.points_from_xy(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)),
                           crs=SWEREF99TM).to_crs(WGS84)
    raw = pd.DataFrame({"id": [f"b{i}" for i in range(n)], "lumen": rng.uniform(2000, 8000, n),
                        "height_m": rng.uniform(4, 8, n), "status": "working", "lon": points.x, "lat": points.y})
    return validate(LIGHTS, raw, "benchmark")


def naive(lamps: gpd.GeoDataFrame, cx: np.ndarray, cy: np.ndarray, block: int = 20_000) -> np.ndarray:
    """Every lamp against every cell centre (metres), no cut-off."""
    metric = to_metric(lamps)
    lx, ly = metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy()
    h, i0 = lamps["height_m"].to_numpy(float), lamps["lumen"].to_numpy(float) * MAINTENANCE_FACTOR / np.pi
    out = np.empty(len(cx))
    for start in range(0, len(cx), block):
        d2 = (cx[start:start + block, None] - lx) ** 2 + (cy[start:start + block, None] - ly) ** 2
        out[start:start + block] = (i0 * h * h / (h * h + d2) ** 2).sum(axis=1)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lamps", type=int, default=2000)
    parser.add_argument("--cell", type=float, default=1.0, help="cell size in metres (default 1)")
    parser.add_argument("--baseline-cells", type=int, default=200_000, help="cells for the baseline")
    args = parser.parse_args(argv)
    zones = read_zones(ZONES)
    lamps = synthetic_lamps(zones, args.lamps)
    grid = empty_grid(zones, args.cell)
    illuminance(lamps, grid)  # warm-up (imports, first allocations)
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        lit = illuminance(lamps, grid)
        timings.append(time.perf_counter() - start)
    seconds = float(np.median(timings))
    tracemalloc.start()  # a separate run: tracing every allocation would slow the timed ones
    illuminance(lamps, grid)
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    cells = lit.lux.size

    rng = np.random.default_rng(1)
    sample = rng.choice(cells, size=min(args.baseline_cells, cells), replace=False)
    rows, cols = np.unravel_index(sample, lit.lux.shape)
    cx, cy = grid.x0 + (cols + 0.5) * grid.cell_m, grid.y0 + (rows + 0.5) * grid.cell_m
    start = time.perf_counter()
    reference = naive(lamps, cx, cy)
    baseline_seconds = time.perf_counter() - start
    difference = reference - lit.lux[rows, cols]

    result = {"benchmark": "lighting", "lamps": args.lamps, "cells": cells, "cell_m": args.cell,
              "seconds": round(seconds, 3), "cells_per_s": round(cells / seconds),
              "baseline_cells": len(sample), "baseline_cells_per_s": round(len(sample) / baseline_seconds),
              "ratio": round((cells / seconds) / (len(sample) / baseline_seconds), 1),
              "peak_mem_mb": round(peak_mb, 1), "max_cutoff_error_lx": round(float(difference.max()), 4),
              "max_relative_cutoff_error_where_1lx": round(float((difference / reference)[reference >= 1.0].max()), 5),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    print(f"{args.lamps} lamps, {cells:,} cells of {args.cell} m: {seconds:.3f} s; baseline "
          f"{result['baseline_cells_per_s']:,} cells/s; ratio {result['ratio']}x; cut-off error at most "
          f"{result['max_cutoff_error_lx']} lx")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

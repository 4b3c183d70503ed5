"""Benchmark: modelled illuminance of the whole centre at 1 m from 2,000 lamps.

Compares the project's method (:func:`geo.lighting.illuminance`: one stamp per lamp over the
cells within 10 × its height, lamps shared among one thread per core) with two fair baselines
measured in the same run, each what a skilled user would write, with the same threads:

* an exact all-pairs sum (every lamp against every cell, no cut-off) in cache-sized blocks of
  ``--block`` (500) cells, on a subset of the cells if the whole grid would take too long
  (``--baseline-cells``), as throughput; the largest difference from it is the cut-off's cost;
* a KD-tree (``scipy.spatial.cKDTree`` of the cell centres) giving each lamp the cells within its
  cut-off (the same square of 10 × its height), summed with ``np.bincount``: the same result.

    python benchmarks/lighting.py [--lamps 2000] [--cell 1.0] [--baseline-cells 200000] [--block 500]

Goal (issue 5): the whole centre in under 0.2 s (the median of 5 runs); the ratios say how far
ahead of the fair baselines that is (issue 15: blocks of 20,000 cells were memory-bound and
overstated the first ratio). The last line is JSON with lamps, cells, seconds, cells_per_s, the
baselines' throughputs and ratios, peak_mem_mb and the cut-off's largest error, in lux.
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

from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.crs import SWEREF99TM, WGS84, to_metric  # noqa: E402
from geo.layers import LIGHTS, validate  # noqa: E402
from geo.lighting import CUTOFF_FACTOR, MAINTENANCE_FACTOR, empty_grid, illuminance  # noqa: E402
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


def _lamp_arrays(lamps: gpd.GeoDataFrame) -> tuple[np.ndarray, ...]:
    """x, y (SWEREF 99 TM, m), height (m) and I0 = Φ·MF/π (cd) of each lamp."""
    metric = to_metric(lamps)
    return (metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy(), lamps["height_m"].to_numpy(float),
            lamps["lumen"].to_numpy(float) * MAINTENANCE_FACTOR / np.pi)


def all_pairs(lamps: gpd.GeoDataFrame, cx: np.ndarray, cy: np.ndarray, block: int = 500,
              workers: int | None = None) -> np.ndarray:
    """Every lamp against every cell centre (metres), no cut-off, by the method's Lambertian point
    formula E = I(γ)·cos³γ/h² with I(γ) = I0·cosγ, i.e. I0·h²/(h² + d²)²; blocks of ``block`` cells
    keep each block's pair arrays in the cache, and the blocks are shared among ``workers`` threads."""
    lx, ly, h, i0 = _lamp_arrays(lamps)
    out = np.empty(len(cx))

    def run(start: int) -> None:
        d2 = (cx[start:start + block, None] - lx) ** 2 + (cy[start:start + block, None] - ly) ** 2
        out[start:start + block] = (i0 * h * h / (h * h + d2) ** 2).sum(axis=1)

    with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        list(pool.map(run, range(0, len(cx), block)))
    return out


def kd_tree(lamps: gpd.GeoDataFrame, cx: np.ndarray, cy: np.ndarray, cutoff_factor: float = CUTOFF_FACTOR,
            workers: int | None = None) -> np.ndarray:
    """The same sum with the method's cut-off (cells within ``cutoff_factor`` × h of a lamp along
    each axis), the cells near each lamp found with a KD-tree of the cell centres (a ball of the
    square's half-diagonal, then the square), lamps shared among ``workers`` threads."""
    lx, ly, h, i0 = _lamp_arrays(lamps)
    tree = cKDTree(np.column_stack([cx, cy]))
    reach = cutoff_factor * h

    def run(share: np.ndarray) -> np.ndarray:
        part = np.zeros(len(cx))
        for lamp in share:  # one query at a time: the cells' index lists of all lamps at once take gigabytes
            cells = np.asarray(tree.query_ball_point((lx[lamp], ly[lamp]), reach[lamp] * np.sqrt(2)), dtype=np.int64)
            dx, dy = cx[cells] - lx[lamp], cy[cells] - ly[lamp]
            cells = cells[(np.abs(dx) <= reach[lamp]) & (np.abs(dy) <= reach[lamp])]
            d2 = (cx[cells] - lx[lamp]) ** 2 + (cy[cells] - ly[lamp]) ** 2
            part[cells] += i0[lamp] * h[lamp] ** 2 / (h[lamp] ** 2 + d2) ** 2
        return part

    shares = np.array_split(np.arange(len(lx)), workers or os.cpu_count() or 1)
    with ThreadPoolExecutor(len(shares)) as pool:
        return np.sum(list(pool.map(run, shares)), axis=0)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lamps", type=int, default=2000)
    parser.add_argument("--cell", type=float, default=1.0, help="cell size in metres (default 1)")
    parser.add_argument("--baseline-cells", type=int, default=200_000, help="cells for the all-pairs baseline")
    parser.add_argument("--block", type=int, default=500, help="cells per block of the all-pairs baseline")
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
    reference = all_pairs(lamps, cx, cy, args.block)
    baseline_seconds = time.perf_counter() - start
    difference = reference - lit.lux[rows, cols]
    all_x = grid.x0 + (np.arange(lit.lux.shape[1]) + 0.5) * grid.cell_m
    all_y = grid.y0 + (np.arange(lit.lux.shape[0]) + 0.5) * grid.cell_m
    gx, gy = (a.ravel() for a in np.meshgrid(all_x, all_y))
    start = time.perf_counter()
    tree_lux = kd_tree(lamps, gx, gy)
    tree_seconds = time.perf_counter() - start
    tree_agrees = float(np.abs(tree_lux - lit.lux.ravel()).max())

    result = {"benchmark": "lighting", "lamps": args.lamps, "cells": cells, "cell_m": args.cell,
              "seconds": round(seconds, 3), "cells_per_s": round(cells / seconds),
              "baseline_cells": len(sample), "baseline_block": args.block,
              "baseline_cells_per_s": round(len(sample) / baseline_seconds),
              "ratio": round((cells / seconds) / (len(sample) / baseline_seconds), 1),
              "kd_tree_seconds": round(tree_seconds, 3), "kd_tree_ratio": round(tree_seconds / seconds, 1),
              "kd_tree_max_difference_lx": round(tree_agrees, 6),
              "peak_mem_mb": round(peak_mb, 1), "max_cutoff_error_lx": round(float(difference.max()), 4),
              "max_relative_cutoff_error_where_1lx": round(float((difference / reference)[reference >= 1.0].max()), 5),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    print(f"{args.lamps} lamps, {cells:,} cells of {args.cell} m: {seconds:.3f} s; all-pairs in blocks of "
          f"{args.block}: {result['baseline_cells_per_s']:,} cells/s, ratio {result['ratio']}x; KD-tree "
          f"{tree_seconds:.3f} s, ratio {result['kd_tree_ratio']}x; cut-off error at most "
          f"{result['max_cutoff_error_lx']} lx")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

"""Benchmark: the EN 13201-3 fields of the whole centre from 2,000 lamps, shadows and semi-cylindrical on.

The centre's streets (``data/streets.geojson``) make the fields and their calculation points; the
demo's synthetic buildings and river are the obstacles (and the buildings cast shadows); 2,000
working lamps stand along the streets (4-8 m, 2,000-8,000 lm, facing the street, every other one
with an asymmetric C-plane photometry). The method: :func:`geo.lighting.field_light` (horizontal
illuminance with the buildings' shadows, semi-cylindrical on squares and pedestrian streets) and
:func:`geo.fields.field_figures` — what ``stadskarna coverage lighting`` computes for its fields.

Two fair baselines at the same size, measured in the same run with the same two threads, each
what a skilled user would write for the horizontal illuminance at the same points (no shadows,
Lambertian lamps):

* the exact all-pairs sum (every lamp against every point) in cache-sized blocks of ``--block``
  (500) points; the largest difference from the method's own sum without shadows is the cut-off's
  cost;
* a KD-tree of the points (``scipy.spatial.cKDTree``) giving each lamp the points within its
  cut-off (10 × its height), summed with ``np.bincount``.

    python benchmarks/lighting_fields.py [--lamps 2000] [--block 500]

Goal (issue 15): the whole centre's fields in under 1 s. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.lighting import _lamp_arrays, all_pairs  # noqa: E402
from geo.crs import SWEREF99TM, WGS84  # noqa: E402
from geo.demo import _surfaces, _World  # noqa: E402
from geo.fields import SEMICYLINDRICAL_KINDS, field_figures, lit_surface, street_pieces  # noqa: E402
from geo.layers import LIGHTS, validate  # noqa: E402
from geo.lighting import (CUTOFF_FACTOR, PEDESTRIAN_CLASSES, facing_streets,  # noqa: E402
                          field_light, illuminance_at)
from geo.photometry import Photometry  # noqa: E402
from geo.shadows import Obstructions  # noqa: E402
from geo.streets import read_streets  # noqa: E402
from geo.zones import read_zones  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "data"


def street_lamps(streets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, n: int, seed: int = 15) -> gpd.GeoDataFrame:
    """``n`` working lamps at random places along the streets, 1 m inside a corridor edge, facing the street."""
    rng = np.random.default_rng(seed)
    pieces = street_pieces(streets, zones)
    lines, width = pieces.geometry.to_numpy(), pieces["width_m"].to_numpy(float)
    length = shapely.length(lines)
    which = rng.choice(len(lines), size=n, p=length / length.sum())
    along = rng.uniform(0, length[which])
    side = rng.choice([-1.0, 1.0], n) * np.maximum(width[which] / 2 - 1.0, 0.5)
    here = shapely.line_interpolate_point(lines[which], along)
    ahead = shapely.line_interpolate_point(lines[which], np.minimum(along + 0.5, length[which]))
    behind = shapely.line_interpolate_point(lines[which], np.maximum(along - 0.5, 0))
    tx, ty = shapely.get_x(ahead) - shapely.get_x(behind), shapely.get_y(ahead) - shapely.get_y(behind)
    norm = np.hypot(tx, ty)
    x, y = shapely.get_x(here) - side * ty / norm, shapely.get_y(here) + side * tx / norm
    lonlat = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=SWEREF99TM).to_crs(WGS84)
    raw = pd.DataFrame({"id": [f"b{i}" for i in range(n)], "lumen": rng.uniform(2000, 8000, n).round(-1),
                        "height_m": rng.uniform(4, 8, n).round(1), "status": "working",
                        "luminaire": np.where(np.arange(n) % 2 == 0, "asymmetric", "lambert"),
                        "lon": lonlat.x, "lat": lonlat.y})
    return facing_streets(validate(LIGHTS, raw, "benchmark"), streets)


def asymmetric() -> Photometry:
    """A road luminaire's throw: Lambertian, twice as strong towards the street side (C90) as behind."""
    c, gamma = np.arange(0.0, 360.0, 10.0), np.arange(0.0, 91.0, 5.0)
    shape = (1 + 0.5 * np.sin(np.radians(c)))[:, None] * np.cos(np.radians(gamma))[None, :]
    return Photometry("asymmetric", c, gamma, 1000 / np.pi * shape / 1.0)


def method(lamps, surface, shadows, tables) -> gpd.GeoDataFrame:
    points = surface.points
    faces = surface.fields["kind"].isin(SEMICYLINDRICAL_KINDS).to_numpy()[points["field"].to_numpy()]
    lux, _ = field_light(lamps, points, faces, photometry=tables, obstructions=shadows)
    return field_figures(surface.fields, points, lux, PEDESTRIAN_CLASSES)


def kd_tree(lamps, px, py) -> np.ndarray:
    """A KD-tree of the points: each lamp's points within its cut-off, summed with bincount."""
    lx, ly, h, i0 = _lamp_arrays(lamps)
    near = cKDTree(np.column_stack([px, py])).query_ball_point(np.column_stack([lx, ly]), CUTOFF_FACTOR * h)
    sizes = np.array([len(n) for n in near])
    point = np.concatenate([np.asarray(n, dtype=np.int64) for n in near])
    lamp = np.repeat(np.arange(len(lx)), sizes)
    d2 = (px[point] - lx[lamp]) ** 2 + (py[point] - ly[lamp]) ** 2
    return np.bincount(point, weights=i0[lamp] * h[lamp] ** 2 / (h[lamp] ** 2 + d2) ** 2, minlength=len(px))


def median_seconds(run, repeat: int = 5) -> float:
    run()  # warm-up
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return float(np.median(timings))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lamps", type=int, default=2000)
    parser.add_argument("--block", type=int, default=500)
    args = parser.parse_args(argv)
    zones, streets = read_zones(DATA / "stadskarna.geojson"), read_streets(DATA / "streets.geojson")
    buildings, water = _surfaces(_World(zones, streets), np.random.default_rng(2020))
    obstacles = gpd.GeoDataFrame(pd.concat([buildings, water], ignore_index=True), crs=WGS84)
    lamps = street_lamps(streets, zones, args.lamps)
    tables = {"asymmetric": asymmetric()}
    start = time.perf_counter()
    surface = lit_surface(zones, streets, obstacles)
    shadows = Obstructions(buildings)
    prepare = time.perf_counter() - start
    points = surface.points
    px, py = points["x"].to_numpy(), points["y"].to_numpy()

    seconds = median_seconds(lambda: method(lamps, surface, shadows, tables))
    no_shadows = median_seconds(lambda: method(lamps, surface, None, tables))
    lambert = lamps.assign(luminaire="lambert")
    plain = illuminance_at(lambert, px, py)
    baseline = median_seconds(lambda: all_pairs(lambert, px, py, args.block), repeat=3)
    exact = all_pairs(lambert, px, py, args.block)  # benchmarks/lighting.py's, on points instead of cells
    tree = median_seconds(lambda: kd_tree(lambert, px, py))
    horizontal = median_seconds(lambda: illuminance_at(lambert, px, py))
    error = exact - plain
    shaded = float(np.mean(illuminance_at(lamps, px, py, photometry=tables, obstructions=shadows)
                           < illuminance_at(lamps, px, py, photometry=tables) - 1e-9))
    result = {"benchmark": "lighting_fields", "lamps": args.lamps, "fields": len(surface.fields), "points": len(points),
              "buildings": len(buildings), "prepare_s": round(prepare, 3), "seconds": round(seconds, 3),
              "seconds_without_shadows": round(no_shadows, 3), "shadow_cost_s": round(seconds - no_shadows, 3),
              "points_shaded_share": round(shaded, 3), "horizontal_only_s": round(horizontal, 3),
              "all_pairs_block": args.block, "all_pairs_s": round(baseline, 3),
              "all_pairs_ratio": round(baseline / seconds, 1), "kd_tree_s": round(tree, 3),
              "kd_tree_ratio": round(tree / seconds, 2), "max_cutoff_error_lx": round(float(error.max()), 4),
              "max_relative_cutoff_error_where_1lx": round(float((error / exact)[exact >= 1.0].max()), 5),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    print(f"{args.lamps} lamps, {len(surface.fields)} fields, {len(points):,} points: {seconds:.3f} s with shadows and "
          f"semi-cylindrical ({no_shadows:.3f} s without shadows; surface {prepare:.3f} s); all-pairs "
          f"{baseline:.3f} s ({result['all_pairs_ratio']}x), KD-tree {tree:.3f} s ({result['kd_tree_ratio']}x); "
          f"cut-off error at most {result['max_cutoff_error_lx']} lx")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

"""A tiny smoke run of each benchmark, so they keep working; real figures come from running them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ping_storage_benchmark_runs(capsys):
    result = load("ping_storage").main(["--pings", "20000"])
    assert result["pings"] == 20000 and result["chunked_mb"] > 0 and result["naive_mb"] > 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith('{"benchmark": "ping_storage"')


def test_patrol_benchmark_runs_and_agrees_with_its_baseline(capsys):
    result = load("patrol").main(["--n", "40000", "--baseline-n", "40000"])
    assert result["n"] == 40000 and result["throughput_per_s"] > 0 and result["baseline_per_s"] > 0
    assert result["max_zone_difference_vs_baseline_h"] < 0.01, "the method and the naive baseline agree"
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert {"n", "seconds", "throughput_per_s", "baseline_per_s", "ratio", "peak_mem_mb"} <= set(json.loads(last))


def test_lighting_benchmark_runs_and_bounds_the_cutoff_error(capsys):
    result = load("lighting").main(["--lamps", "50", "--cell", "4", "--baseline-cells", "2000"])
    assert result["lamps"] == 50 and result["cells"] > 0 and result["cells_per_s"] > 0
    assert 0 <= result["max_cutoff_error_lx"] < 0.5, "the cut-off loses little light"
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"lamps", "cells", "seconds", "baseline_cells_per_s", "cells_per_s", "ratio", "peak_mem_mb"} <= set(last)

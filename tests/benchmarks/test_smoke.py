"""A tiny smoke run of each benchmark, so they keep working; real figures come from running them."""

from __future__ import annotations

import importlib.util
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

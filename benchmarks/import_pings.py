"""Benchmark: importing a CSV file of patrol pings (``stadskarna import patrols FILE.csv``).

Generates a CSV file of 1 Hz pings (random walks of a few units around Stora Torg, written as
exports write them: ``2020-03-01T00:00:00.000Z``, 7 decimals) and imports it into a new database
twice, each in a child process of its own so that its peak memory is its own:

- streamed: :func:`service.imports.import_file` as it is now (batches read with Arrow, validated,
  gathered per unit-day, written in one transaction);
- whole file, the baseline: the path before streaming, measured in the same run —
  :func:`geo.io.csvfile.read_csv_records` of the whole file, :func:`geo.layers.validate` of all
  rows, then one ``write_pings`` of the whole frame.

Pings per second are of wall time from the file to the committed database; peak memory is the
child's own high-water mark of resident memory (``VmHWM``; ``ru_maxrss`` would include the parent's
at the fork), the Python process with its libraries included (about 200 MB before any ping is read).

    python benchmarks/import_pings.py                            # 5 million pings, baseline at 1 million
    python benchmarks/import_pings.py --pings 5000000 --baseline-pings 5000000

The last line printed is JSON with the measured figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

ROOT = Path(__file__).resolve().parent.parent
HEADER = b"unit_id,timestamp,lat,lon,mode,crew,source\n"


def write_pings_csv(path: Path, pings: int, units: int = 8, seed: int = 2020, part: int = 1_000_000) -> int:
    """Write ``pings`` 1 Hz pings of ``units`` units (each a random walk near Stora Torg), unit by
    unit, in parts of ``part`` rows (bounded memory); returns the file's size in bytes."""
    rng = np.random.default_rng(seed)
    per_unit = -(-pings // units)
    start = int(np.datetime64("2020-03-01T00:00:00", "s").astype(np.int64))
    with path.open("wb") as out:
        out.write(HEADER)
        written = 0
        for unit in range(units):
            lon, lat = 12.858, 56.674
            for first in range(0, per_unit, part):
                n = min(part, per_unit - first, pings - written)
                if n <= 0:
                    break
                steps = rng.normal(0, 1e-5, size=(2, n))
                lons = lon + np.cumsum(steps[0])
                lats = lat + np.cumsum(steps[1])
                lon, lat = float(lons[-1]), float(lats[-1])
                seconds = pa.array(start + first + np.arange(n, dtype=np.int64), pa.timestamp("s", "UTC"))
                table = pa.table({
                    "unit_id": pa.repeat(pa.scalar(f"fot-{unit + 1}"), n),
                    "timestamp": pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%S.000Z"),
                    "lat": np.round(lats, 7), "lon": np.round(lons, 7),
                    "mode": pa.repeat(pa.scalar("foot" if unit % 3 else "bike"), n),
                    "crew": pa.repeat(pa.scalar(2), n), "source": pa.repeat(pa.scalar("gps"), n)})
                pcsv.write_csv(table, out, pcsv.WriteOptions(include_header=False, quoting_style="none"))
                written += n
    return path.stat().st_size


CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})

def peak_mb():  # this process's own high-water mark (ru_maxrss would count the parent's at fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

from pathlib import Path
from geo.layers import PINGS
from service.store import SQLiteStore
path, db, how = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
store = SQLiteStore(db)
before = peak_mb()
cpu, wall = time.process_time(), time.perf_counter()
if how == "streamed":
    from service.imports import import_file
    summary = import_file(store, PINGS, path)
    imported = summary.imported
else:  # the whole-file path of before streaming
    from geo.io.csvfile import read_csv_records
    from geo.layers import validate
    records = read_csv_records(path)
    frame = validate(PINGS, records.raw, str(path))
    imported = store.write_pings(frame).inserted
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({{"seconds": wall, "cpu_seconds": cpu, "imported": imported, "stored": store.count(PINGS),
                  "rss_before_mb": before, "peak_rss_mb": peak_mb()}}))
"""


def run_import(csv: Path, folder: Path, how: str) -> dict:
    """Import ``csv`` into a new database in a child process; its figures."""
    db = folder / f"{how}.sqlite"
    done = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), str(csv), str(db), how],
                          capture_output=True, text=True, check=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=5_000_000, help="pings in the streamed file (default 5,000,000)")
    parser.add_argument("--baseline-pings", type=int, default=1_000_000,
                        help="pings in the file for the whole-file baseline (default 1,000,000; it takes about "
                             "350 bytes of memory a ping)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        csv = folder / "pings.csv"
        size = write_pings_csv(csv, args.pings)
        streamed = run_import(csv, folder, "streamed")
        if args.baseline_pings != args.pings:
            csv.unlink()
            base_csv = folder / "baseline.csv"
            base_size = write_pings_csv(base_csv, args.baseline_pings)
        else:
            base_csv, base_size = csv, size
        baseline = run_import(base_csv, folder, "whole-file")
    for figures, n in ((streamed, args.pings), (baseline, args.baseline_pings)):
        assert figures["imported"] == figures["stored"] == n, figures
    rate, base_rate = args.pings / streamed["seconds"], args.baseline_pings / baseline["seconds"]
    result = {
        "benchmark": "import_pings", "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "pings": args.pings, "file_mb": round(size / 1e6, 1),
        "seconds": round(streamed["seconds"], 2), "pings_per_s": round(rate),
        "cpu_us_per_ping": round(streamed["cpu_seconds"] / args.pings * 1e6, 3),
        "peak_rss_mb": round(streamed["peak_rss_mb"]), "rss_before_import_mb": round(streamed["rss_before_mb"]),
        "baseline_pings": args.baseline_pings, "baseline_file_mb": round(base_size / 1e6, 1),
        "baseline_seconds": round(baseline["seconds"], 2), "baseline_pings_per_s": round(base_rate),
        "baseline_cpu_us_per_ping": round(baseline["cpu_seconds"] / args.baseline_pings * 1e6, 3),
        "baseline_peak_rss_mb": round(baseline["peak_rss_mb"]),
        "baseline_bytes_per_ping": round((baseline["peak_rss_mb"] - baseline["rss_before_mb"]) * 2**20
                                         / args.baseline_pings),
        "speedup": round(rate / base_rate, 1),
    }
    print(f"{args.pings:,} pings ({size / 1e6:.0f} MB): streamed {streamed['seconds']:.1f} s, {rate / 1e6:.2f} M pings/s, "
          f"peak {streamed['peak_rss_mb']:.0f} MB; whole file ({args.baseline_pings:,} pings): "
          f"{baseline['seconds']:.1f} s, {base_rate / 1e6:.2f} M pings/s, peak {baseline['peak_rss_mb']:.0f} MB")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

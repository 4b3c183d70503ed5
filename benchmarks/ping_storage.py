"""Benchmark: storing and reading a fleet-year of patrol pings.

Compares the store's columnar chunks (one compressed blob per column, unit and UTC day) with the
naive layout measured in the same run: one SQLite row per ping (unit_id, t, lon, lat, mode, crew)
with an index on (unit_id, t), written with executemany and read back into a DataFrame.

    python benchmarks/ping_storage.py --pings 30000000   # a fleet-year (takes a few minutes)
    python benchmarks/ping_storage.py --pings 2000000    # quick
    python benchmarks/ping_storage.py --database-url postgresql://…   # the same in PostgreSQL + PostGIS

With ``--database-url`` (an empty scratch database with PostGIS) the two layouts are compared in
PostgreSQL: one row per ping (with a point geometry and an index on unit and time) written with
``COPY`` — the fast way in — against the store's chunks; sizes are the tables' with their indexes
and TOAST (``pg_total_relation_size``).

The last line printed is JSON with the measured figures and ratios (naive / chunked).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.layers import PINGS, validate  # noqa: E402
from service.store import SQLiteStore, Store  # noqa: E402


def synthetic_pings(n: int, units: int = 8, seed: int = 1) -> pd.DataFrame:
    """``n`` 1 Hz pings spread over ``units`` units and a year, near Stora Torg (WGS84)."""
    rng = np.random.default_rng(seed)
    per_unit = n // units
    start = pd.Timestamp("2020-01-01", tz="UTC").value
    t = start + (np.arange(per_unit, dtype=np.int64) * 10**9)[None, :] * (366 * 86400 // max(per_unit, 1) or 1)
    t = np.broadcast_to(t, (units, per_unit)).ravel()
    walk = np.cumsum(rng.normal(0, 1e-5, size=(2, units * per_unit)), axis=1)
    frame = pd.DataFrame({
        "unit_id": np.repeat([f"unit-{u}" for u in range(units)], per_unit),
        "timestamp": pd.to_datetime(t, utc=True), "mode": "foot", "crew": 2,
        "lon": 12.858 + walk[0] % 0.004, "lat": 56.674 + walk[1] % 0.004})
    return validate(PINGS, frame, "benchmark")


def naive(path: Path, pings: pd.DataFrame) -> tuple[float, float, int]:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE pings (unit_id TEXT, t INTEGER, lon REAL, lat REAL, mode TEXT, crew INTEGER)")
    con.execute("CREATE UNIQUE INDEX pings_unit_t ON pings (unit_id, t)")
    start = time.perf_counter()
    rows = zip(pings["unit_id"], pings["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64).tolist(),
               pings["lon"].tolist(), pings["lat"].tolist(), pings["mode"], pings["crew"].tolist())
    with con:
        con.executemany("INSERT INTO pings VALUES (?, ?, ?, ?, ?, ?)", rows)
    write = time.perf_counter() - start
    start = time.perf_counter()
    back = pd.read_sql_query("SELECT * FROM pings ORDER BY unit_id, t", con)
    read = time.perf_counter() - start
    assert len(back) == len(pings)
    con.close()
    return write, read, _size(path)


def chunked(path: Path, pings: pd.DataFrame) -> tuple[float, float, float, int]:
    return *write_and_read(SQLiteStore(path), pings), _size(path)


def write_and_read(store: Store, pings: pd.DataFrame) -> tuple[float, float, float]:
    """Seconds to write ``pings`` into the store's chunks, to read them all back as a frame, and to
    read the year 2020 as arrays for the figures (``read_tracks``: the median of five reads, and the
    first read on its own — PostgreSQL's first read after a bulk write also sets its hint bits)."""
    start = time.perf_counter()
    store.write_pings(pings)
    write = time.perf_counter() - start
    start = time.perf_counter()
    back = store.read_pings()
    read = time.perf_counter() - start
    assert len(back) == len(pings)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        tracks = store.read_tracks(pd.Timestamp("2020-01-01", tz="UTC"), pd.Timestamp("2021-01-01", tz="UTC"))
        times.append(time.perf_counter() - start)
    assert len(tracks) == len(pings)
    print(f"the year as arrays, five reads: {', '.join(f'{t:.2f}' for t in times)} s")
    return write, read, float(np.median(times))


def naive_postgis(url: str, pings: pd.DataFrame) -> tuple[float, float, int]:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
        con.execute("CREATE TABLE naive_pings (unit_id text, t timestamptz, geom geometry(Point, 4326), mode text, "
                    "crew integer)")
        con.execute("CREATE UNIQUE INDEX naive_pings_unit_t ON naive_pings (unit_id, t)")
        start = time.perf_counter()
        rows = zip(pings["unit_id"], pings["timestamp"], (f"SRID=4326;POINT({x} {y})" for x, y in
                                                          zip(pings["lon"].tolist(), pings["lat"].tolist())),
                   pings["mode"], pings["crew"].tolist())
        with con.cursor().copy("COPY naive_pings (unit_id, t, geom, mode, crew) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        con.commit()
        write = time.perf_counter() - start
        start = time.perf_counter()
        back = pd.DataFrame(con.execute("SELECT unit_id, t, ST_X(geom), ST_Y(geom), mode, crew FROM naive_pings "
                                        "ORDER BY unit_id, t").fetchall())
        read = time.perf_counter() - start
        assert len(back) == len(pings)
        size = con.execute("SELECT pg_total_relation_size('naive_pings')").fetchone()[0]
        con.execute("DROP TABLE naive_pings")
    return write, read, int(size)


def chunked_postgis(url: str, pings: pd.DataFrame) -> tuple[float, float, float, int]:
    from sqlalchemy import text

    from service.settings import StoreSettings
    from service.store import open_store

    store = open_store(StoreSettings(database_url=url))
    if store.count(PINGS):
        raise SystemExit("the database holds patrol pings already: give an empty scratch database")
    write, read, tracks = write_and_read(store, pings)
    with store.transaction() as con:
        size = con.execute(text("SELECT pg_total_relation_size('patrol_ping_chunks')")).scalar()
        con.execute(text("DELETE FROM patrol_ping_chunks"))
    return write, read, tracks, int(size)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=2_000_000, help="number of pings (default 2,000,000)")
    parser.add_argument("--database-url", help="an empty scratch PostgreSQL database with PostGIS (postgresql://…): "
                                                   "compare the layouts there instead of in SQLite files")
    args = parser.parse_args(argv)
    pings = synthetic_pings(args.pings)
    if args.database_url:
        chunk_write, chunk_read, tracks_read, chunk_bytes = chunked_postgis(args.database_url, pings)
        naive_write, naive_read, naive_bytes = naive_postgis(args.database_url, pings)
    else:
        with tempfile.TemporaryDirectory() as folder:
            naive_write, naive_read, naive_bytes = naive(Path(folder) / "naive.sqlite", pings)
            chunk_write, chunk_read, tracks_read, chunk_bytes = chunked(Path(folder) / "chunked.sqlite", pings)
    result = {
        "benchmark": "ping_storage", "store": "postgis" if args.database_url else "sqlite", "pings": len(pings),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "naive_write_s": round(naive_write, 2), "naive_read_s": round(naive_read, 2), "naive_mb": round(naive_bytes / 1e6, 1),
        "chunked_write_s": round(chunk_write, 2), "chunked_read_s": round(chunk_read, 2),
        "chunked_mb": round(chunk_bytes / 1e6, 1), "tracks_read_s": round(tracks_read, 3),
        "tracks_read_per_s": round(len(pings) / tracks_read),  # (the median of five reads)
        "write_speedup": round(naive_write / chunk_write, 1), "read_speedup": round(naive_read / chunk_read, 1),
        "size_ratio": round(naive_bytes / chunk_bytes, 1),
    }
    print(f"{len(pings):,} pings: naive row-per-ping {naive_write:.1f} s write, {naive_read:.1f} s read, "
          f"{naive_bytes / 1e6:.0f} MB; chunked {chunk_write:.1f} s write, {chunk_read:.1f} s read, "
          f"{chunk_bytes / 1e6:.0f} MB; the year as arrays for the figures in {tracks_read:.2f} s "
          f"({len(pings) / tracks_read / 1e6:.1f} M pings/s)")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

"""Storing the synthetic demo data set, labelled as such."""

from __future__ import annotations

from collections.abc import Callable

from geo.demo import DemoData
from geo.layers import INCIDENTS, LIGHTS, REPORTS
from service.store import SQLiteStore

DEMO_META_KEY = "demo_data"


def store_demo(store: SQLiteStore, data: DemoData, seed: int, year: int,
               progress: Callable[[str, float], None] | None = None) -> list[str]:
    """Write every demo layer (one transaction per layer) and record in the database that it holds
    synthetic data; returns a summary line per layer."""
    lines = []
    for schema, frame in ((INCIDENTS, data.incidents), (LIGHTS, data.lights), (REPORTS, data.reports)):
        result = store.write_features(schema, frame)
        lines.append(f"{schema.name}: {result.inserted} synthetic records stored, {result.updated} updated, "
                     f"{result.unchanged} already there")
        if progress:
            progress(f"storing {schema.name}", 0.1 * len(lines))
    result = store.write_pings(data.pings, (lambda d, t: progress("storing patrols", 0.3 + 0.7 * d / t))
                               if progress else None)
    hours = len(data.pings) / 3600
    lines.append(f"patrols: {result.inserted} synthetic 1 Hz pings stored ({hours:.0f} unit-hours)")
    store.set_meta(DEMO_META_KEY, f"synthetic demo data for {year}, seed {seed}")
    return lines

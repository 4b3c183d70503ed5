"""Benchmark: the planner map with 10,000 citizen reports and a year of incidents.

Loads the synthetic demo data for 2020, adds ``--reports`` synthetic open reports spread over the
centre, serves the app, and measures the planner page's HTML size and the time until it has
loaded in Debian's headless Chromium (navigation until Leaflet's layer control is drawn). The
server builds the page once per version of the data and serves it from a cache; patrol presence is
kept until pings are added. Reported: the cached load, the load right after a citizen's new
report (the common change), and the very first load.

    python benchmarks/maps.py [--reports 10000]

Goal (issue 7): under 3 s and 5 MB. The last line is JSON with reports, html_bytes, load_seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.demo import demo_data  # noqa: E402
from geo.layers import REPORTS, validate  # noqa: E402
from geo.streets import read_streets  # noqa: E402
from geo.zones import read_zones  # noqa: E402
from service.app import create_app  # noqa: E402
from service.demo import store_demo  # noqa: E402
from service.settings import MapSettings, Settings, StoreSettings  # noqa: E402
from service.store import SQLiteStore  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "data"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    args = parser.parse_args(argv)
    zones = read_zones(DATA / "stadskarna.geojson")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "maps.sqlite"
        store = SQLiteStore(db)
        store_demo(store, demo_data(zones, read_streets(DATA / "streets.geojson")), 2020, 2020, zones["zone_id"].tolist())
        rng = np.random.default_rng(7)
        minx, miny, maxx, maxy = zones.total_bounds
        n = args.reports
        store.write_features(REPORTS, validate(REPORTS, pd.DataFrame({
            "id": [f"bench-{i}" for i in range(n)],
            "category": rng.choice(["graffiti", "weeds", "litter", "broken_light", "other"], n),
            "created_at": "2020-10-01T12:00:00Z", "description": "Synthetic benchmark report",
            "source": "synthetic", "lon": rng.uniform(minx, maxx, n), "lat": rng.uniform(miny, maxy, n)}), "bench"))
        app = create_app(Settings(store=StoreSettings(db=db), maps=MapSettings(tiles="none")))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/maps/planner?year=2020"
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=["--headless", "--no-sandbox", "--disable-gpu",
                                                       "--disable-background-networking"])
            timings = []
            for _ in range(2):  # cold: the server builds the page; warm: it serves it from its cache
                if len(timings) == 1:  # a citizen's new report makes the next load rebuild the page
                    httpx.post(f"http://127.0.0.1:{port}/api/reports",
                               data={"category": "litter", "lat": "56.6740", "lon": "12.8572"})
                page = browser.new_page()
                start = time.perf_counter()
                response = page.goto(url)
                page.wait_for_selector(".leaflet-control-layers")
                timings.append(time.perf_counter() - start)
                html_bytes = len(response.body())
                page.close()
            first_seconds, after_report_seconds = timings
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_selector(".leaflet-control-layers")
            load_seconds = time.perf_counter() - start
            page.close()
            browser.close()
        server.should_exit = True
    result = {"benchmark": "maps", "reports": n, "html_bytes": html_bytes, "load_seconds": round(load_seconds, 2),
              "first_load_seconds": round(first_seconds, 2), "after_new_report_seconds": round(after_report_seconds, 2),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    print(f"planner map with {n:,} reports: {html_bytes / 1e6:.2f} MB, loaded in {load_seconds:.2f} s cached, "
          f"{after_report_seconds:.2f} s after a new report, {first_seconds:.2f} s the very first time")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

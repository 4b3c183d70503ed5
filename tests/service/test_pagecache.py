"""The page cache: a page is built once per version of the data it is built from."""

from __future__ import annotations

import pandas as pd

from geo.layers import PINGS, REPORTS, validate
from service.pagecache import PageCache
from service.store import SQLiteStore


def test_a_page_of_some_topics_outlives_changes_of_other_data(tmp_path):
    store = SQLiteStore(tmp_path / "db.gpkg")
    pages, builds = PageCache(store), []

    def build(name: str):
        return lambda: builds.append(name) or f"{name} {len(builds)}"

    assert pages.get("patrol", build("patrol"), topics=("patrols",)) == "patrol 1"
    assert pages.get("all", build("all")) == "all 2"
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame([{"id": "r", "category": "litter",
                                                                    "created_at": "2020-03-29T12:00:00Z",
                                                                    "lon": 12.857, "lat": 56.674}]), "t"))
    assert pages.get("patrol", build("patrol"), topics=("patrols",)) == "patrol 1", "a report is not a ping"
    assert pages.get("all", build("all")) == "all 3"
    store.write_pings(validate(PINGS, pd.DataFrame({"unit_id": "fot-1", "timestamp": ["2020-03-01T12:00:00Z"],
                                                    "mode": "foot", "lon": 12.857, "lat": 56.674}), "c"))
    assert pages.get("patrol", build("patrol"), topics=("patrols",)) == "patrol 4"
    assert builds == ["patrol", "all", "all", "patrol"]

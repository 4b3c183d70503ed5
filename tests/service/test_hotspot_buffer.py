"""The hot-spot buffer is a setting (STADSKARNA_HOTSPOT_BUFFER_M, a multiple of the trail's 5 m):
it reaches the visits and the report, and a value the trail cannot answer exactly is refused."""

from __future__ import annotations

import pydantic
import pytest

from service.coverage import patrol_coverage
from service.presence import presence_rules
from service.settings import HotspotSettings, PresenceSettings
from service.store import SQLiteStore


def test_a_wider_buffer_finds_more_visits_and_the_report_says_which(tmp_path, demo_year_db, zones):
    store = SQLiteStore(demo_year_db(tmp_path))
    rules = presence_rules(PresenceSettings())
    minutes = {}
    for buffer_m in (0.0, 10.0, 30.0):
        report = patrol_coverage(store, zones, 2020, None, rules, hotspot_buffer_m=buffer_m).report
        assert report["hotspot_method"]["buffer_m"] == buffer_m
        minutes[buffer_m] = sum(spot["presence_min"] for spot in report["hotspots"])
    assert minutes[0.0] < minutes[10.0] < minutes[30.0], minutes


def test_the_buffer_must_be_a_multiple_of_five_metres(monkeypatch):
    assert HotspotSettings().buffer_m == 10.0
    monkeypatch.setenv("STADSKARNA_HOTSPOT_BUFFER_M", "15")
    assert HotspotSettings().buffer_m == 15.0
    monkeypatch.setenv("STADSKARNA_HOTSPOT_BUFFER_M", "12")
    with pytest.raises(pydantic.ValidationError, match="multiple of 5"):
        HotspotSettings()

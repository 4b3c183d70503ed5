"""Patrol presence is kept per unit and UTC day, not recomputed: the kept cube equals the cube of
the pings, an import recomputes only the unit-days it touched (and the day before each), a new
report recomputes nothing, and other zones or presence rules recompute everything."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.layers import PINGS, validate
from geo.patrol import CUBE_FIGURES, PresenceRules, presence_cube, presence_parts
from service.presence import keep_up, kept_cube, kept_presence
from service.store import SQLiteStore
from tests.conftest import ZONES_FILE
from geo.zones import read_zones

ZONES = read_zones(ZONES_FILE)


def walk(unit: str, start: str, n: int, seed: int = 0, step_s: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.Timestamp(start).value + np.cumsum(rng.integers(1, step_s + 1, n)) * 10**9
    return validate(PINGS, pd.DataFrame({
        "unit_id": unit, "timestamp": pd.to_datetime(t, utc=True), "mode": "foot", "crew": 2,
        "lon": 12.857 + np.cumsum(rng.normal(0, 2e-5, n)), "lat": 56.674 + np.cumsum(rng.normal(0, 1e-5, n))}), "t")


@pytest.fixture
def store(tmp_path):
    store = SQLiteStore(tmp_path / "presence.gpkg")
    # across the spring daylight-saving change and several UTC days
    store.write_pings(pd.concat([walk("fot-1", "2020-03-28T20:00:00Z", 150_000), walk("cykel-2", "2020-03-29T00:30:00Z",
                                                                                      80_000, seed=1)]))
    return store


def assert_same(cube, reference) -> None:
    """The same cube to the last bit (time is summed as whole nanoseconds however it is split)."""
    for name in CUBE_FIGURES:
        np.testing.assert_array_equal(getattr(cube, name), getattr(reference, name))


def test_the_kept_cube_is_the_cube_of_the_pings(store):
    assert_same(kept_cube(store, ZONES, 2020, PresenceRules()), presence_cube(store.read_tracks(), ZONES, 2020))
    assert store.presence_missing(0, 10**6).empty


def test_the_kept_trail_is_the_trail_of_the_pings(store):
    kept = kept_presence(store, ZONES, 2020, PresenceRules())
    cube, trail = kept.cube, kept.trail
    computed = presence_parts(store.read_tracks(), ZONES).trail
    units = {"unit_id": object}  # the store's are categorical
    pd.testing.assert_frame_equal(trail.astype(units), computed.reset_index(drop=True).astype(units), check_dtype=False)
    assert trail["seconds"].sum() == pytest.approx(cube.presence_s.sum())
    assert kept_presence(store, ZONES, 2019, PresenceRules()).trail.empty


def test_an_import_recomputes_the_days_it_touches_and_nothing_else(store):
    kept_cube(store, ZONES, 2020, PresenceRules())
    days = store.presence_cells(0, 10**6)["day_utc"].unique()
    store.write_pings(walk("fot-1", "2020-03-30T12:00:00Z", 100, seed=7))  # more pings on one UTC day
    touched = sorted(store.presence_missing(0, 10**6)["day_utc"])
    assert touched == [int(pd.Timestamp("2020-03-30").value // 86_400e9) - 1, int(pd.Timestamp("2020-03-30").value // 86_400e9)]
    assert_same(kept_cube(store, ZONES, 2020, PresenceRules()), presence_cube(store.read_tracks(), ZONES, 2020))
    assert set(days) <= set(store.presence_cells(0, 10**6)["day_utc"].unique())


def test_a_report_recomputes_nothing(store):
    from geo.layers import REPORTS

    kept_cube(store, ZONES, 2020, PresenceRules())
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame([{"id": "r", "category": "litter",
                                                                    "created_at": "2020-03-29T12:00:00Z",
                                                                    "lon": 12.857, "lat": 56.674}]), "t"))
    assert store.presence_missing(0, 10**6).empty
    assert keep_up(store, ZONES, PresenceRules(), 0, 10**6) == 0


def test_other_zones_or_rules_recompute_everything(store):
    kept_cube(store, ZONES, 2020, PresenceRules())
    faster = PresenceRules(foot_kmh=20.0)
    assert_same(kept_cube(store, ZONES, 2020, faster), presence_cube(store.read_tracks(), ZONES, 2020, faster))
    fewer = ZONES.iloc[:5].reset_index(drop=True)
    assert_same(kept_cube(store, fewer, 2020, PresenceRules()), presence_cube(store.read_tracks(), fewer, 2020))


def test_the_police_map_opens_on_the_year_of_the_newest_ping(store, tmp_path):
    from service.context import Context
    from service.maps import build_map
    from service.settings import GeographySettings, Settings, StoreSettings

    assert store.latest_ping() == store.read_pings()["timestamp"].max()
    assert SQLiteStore(tmp_path / "empty.gpkg").latest_ping() is None
    context = Context.open(Settings(store=StoreSettings(db=store.path), geography=GeographySettings(zones=ZONES_FILE)))
    html = build_map("police", context).get_root().render()
    assert "Polisnärvaro 2020:" in html, "not the current year at 0 h"


def test_exclusion_areas_come_from_the_settings_and_change_what_is_kept(store, tmp_path):
    import json

    from geo.errors import ValidationError
    from service.presence import presence_rules
    from service.settings import PresenceSettings

    pings = store.read_pings()
    lon, lat = pings["lon"].median(), pings["lat"].median()
    yard = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "polisgården"},
            "geometry": {"type": "Polygon", "coordinates": [[[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01],
                                                             [lon + 0.01, lat + 0.01], [lon - 0.01, lat + 0.01],
                                                             [lon - 0.01, lat - 0.01]]]}}]}
    path = tmp_path / "exclusions.geojson"
    path.write_text(json.dumps(yard), encoding="utf-8")
    rules = presence_rules(PresenceSettings(exclusions=path))
    assert len(rules.exclusions) == 1 and presence_rules(PresenceSettings()) == PresenceRules()
    before = kept_cube(store, ZONES, 2020, PresenceRules()).presence_s.sum()
    after = kept_cube(store, ZONES, 2020, rules)
    assert 0 <= after.presence_s.sum() < before, "the walks near the yard no longer count"
    assert_same(after, presence_cube(store.read_tracks(), ZONES, 2020, rules))
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
                    '"geometry": {"type": "Point", "coordinates": [12.85, 56.67]}}]}', encoding="utf-8")
    with pytest.raises(ValidationError) as error:
        presence_rules(PresenceSettings(exclusions=path))
    assert error.value.file == str(path)


def test_every_presence_rule_is_a_setting_and_unset_ones_keep_the_methods_default(monkeypatch):
    from dataclasses import fields

    from service.presence import presence_rules
    from service.settings import PresenceSettings

    assert set(PresenceSettings.model_fields) == {f.name for f in fields(PresenceRules)}
    monkeypatch.setenv("STADSKARNA_PRESENCE_BIKE_KMH", "20")
    assert presence_rules(PresenceSettings()) == PresenceRules(bike_kmh=20.0)

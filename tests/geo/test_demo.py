"""Synthetic demo data: deterministic, valid layer frames, realistic for Halmstad's centre."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84, to_metric
from geo import demo
from geo.demo import DemoData, demo_data
from geo.layers import INCIDENTS, LIGHTS, PINGS, REPORTS, validate
from geo.timestamps import LOCAL_TZ
from geo.zones import zone_positions

GEO_LAYERS = {"incidents": INCIDENTS, "lights": LIGHTS, "reports": REPORTS}


@pytest.fixture(scope="module")
def data(demo_year) -> DemoData:
    """The demo year 2020 (seed 2020), made once per run (tests/conftest.py)."""
    return demo_year


@pytest.fixture(scope="module")
def again(zones, streets) -> tuple[DemoData, list[tuple[str, float]]]:
    """The same year made a second time, with the progress it reports."""
    steps = []
    return demo_data(zones, streets, progress=lambda step, fraction: steps.append((step, fraction))), steps


@pytest.fixture(scope="module")
def ping_xy(data):
    """Ping positions in SWEREF 99 TM (metres)."""
    to_3006 = Transformer.from_crs(WGS84, SWEREF99TM, always_xy=True)
    return np.column_stack(to_3006.transform(data.pings["lon"].to_numpy(), data.pings["lat"].to_numpy()))


def _raw(frame: pd.DataFrame) -> pd.DataFrame:
    """A typed frame back to a raw one: fields plus lon/lat."""
    if isinstance(frame, gpd.GeoDataFrame):
        return pd.DataFrame(frame.drop(columns="geometry")).assign(lon=frame.geometry.x, lat=frame.geometry.y)
    return pd.DataFrame(frame)


def _seconds(times: pd.Series) -> np.ndarray:
    return times.dt.tz_localize(None).to_numpy("datetime64[ns]").astype(np.int64) / 1e9


def test_same_seed_gives_identical_frames(data, again):
    for name in GEO_LAYERS:
        assert_geodataframe_equal(getattr(again[0], name), getattr(data, name))
    pd.testing.assert_frame_equal(again[0].pings, data.pings)


def test_another_seed_gives_other_data(zones, streets):
    # The layer generators demo_data uses, without a second year of pings (keeps the test quick).
    world = demo._World(zones, streets)

    def layers(seed: int) -> list[pd.DataFrame]:
        rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
        lights = demo._lights(world, 2020, rngs[1])
        patrol = np.column_stack(demo._patrol(world, rngs[3], "foot", 600))
        return [demo._incidents(world, 2020, rngs[0]), lights, demo._reports(world, 2020, lights, rngs[2]),
                pd.DataFrame(patrol)]

    for a, b in zip(layers(2020), layers(7)):
        assert len(a) != len(b) or not a.equals(b)
    for a, b in zip(layers(7), layers(7)):
        pd.testing.assert_frame_equal(a, b)


def test_progress_is_reported_a_handful_of_times(again):
    steps = again[1]
    fractions = [f for _, f in steps]
    assert 4 <= len(steps) <= 20
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {"incidents", "lights", "reports", "pings"} <= {s for s, _ in steps}


@pytest.mark.parametrize("name", GEO_LAYERS)
def test_point_layers_revalidate_and_are_synthetic(data, name):
    frame = getattr(data, name)
    assert isinstance(frame, gpd.GeoDataFrame) and frame.crs == WGS84
    assert_geodataframe_equal(validate(GEO_LAYERS[name], _raw(frame), "again"), frame)
    assert (frame["source"] == "synthetic").all()
    assert frame["id"].str.startswith("demo-").all() and frame["id"].is_unique


def test_pings_revalidate_and_are_synthetic(data):
    pings = data.pings
    assert not isinstance(pings, gpd.GeoDataFrame)
    part = pings.iloc[::40].reset_index(drop=True)  # a sample keeps the test quick
    pd.testing.assert_frame_equal(validate(PINGS, _raw(part), "again"), part)
    assert pings.attrs["duplicates"] == 0
    assert (pings["source"] == "synthetic").all()
    assert set(pings["mode"]) == {"foot", "bike", "car"}
    assert pings["unit_id"].str.match(r"^demo-(fot|cykel|bil)-\d$").all()
    assert set(pings.loc[pings["mode"] == "car", "unit_id"]) == {"demo-bil-1"}
    assert pings["crew"].dtype == np.int64 and (pings["crew"] == 2).all()


@pytest.mark.parametrize("name", GEO_LAYERS)
def test_points_lie_inside_the_zones(data, zones, name):
    frame = getattr(data, name)
    assert (zone_positions(zones, frame.geometry.x, frame.geometry.y) >= 0).all()


def test_incident_counts_categories_and_precision(data):
    incidents = data.incidents
    assert 1500 <= len(incidents) <= 3000
    shares = incidents["category"].value_counts(normalize=True)
    assert shares.index[0] in ("stöld", "ordningsstörning") and shares.index[1] in ("stöld", "ordningsstörning")
    assert shares["rån"] < 0.05
    street = (incidents["location_precision"] == "street").mean()
    assert 0.08 <= street <= 0.22 and set(incidents["location_precision"]) == {"exact", "street"}


def test_incidents_peak_in_the_evening_and_night(data):
    local = data.incidents["occurred_at"].dt.tz_convert(LOCAL_TZ)
    assert str(data.incidents["occurred_at"].dtype) == "datetime64[ns, UTC]"
    assert (local.dt.year == 2020).all()
    hour = local.dt.hour
    night = ((hour >= 18) | (hour < 3)).mean()
    day = ((hour >= 6) & (hour < 18)).mean()
    assert night > 0.55 and night > 2 * day
    weekday = local.dt.day_of_week
    friday_saturday_evenings = (weekday.isin([4, 5]) & (hour >= 18)).sum() / 2
    monday_thursday_evenings = (weekday.isin([0, 1, 2, 3]) & (hour >= 18)).sum() / 4
    assert friday_saturday_evenings > 1.5 * monday_thursday_evenings
    summer = local.dt.month.isin([6, 7, 8]).mean()
    assert summer > 3 / 12


def test_incidents_cluster_at_hot_spots(data):
    metric = to_metric(data.incidents).geometry
    xy = np.column_stack([metric.x, metric.y])
    torg = Transformer.from_crs(WGS84, SWEREF99TM, always_xy=True).transform(12.8572, 56.6740)
    near_torg = (np.hypot(*(xy - torg).T) < 100).mean()
    assert near_torg > 0.15  # Stora Torg: about 3 % of the zones' area


def test_lights_are_along_the_streets(data, streets):
    lights = data.lights
    assert 400 <= len(lights) <= 650
    metric = to_metric(streets)
    corridors = shapely.union_all(shapely.buffer(metric.geometry.to_numpy(), metric["width_m"].to_numpy() / 2 + 1.0,
                                                 cap_style="flat"))
    xy = to_metric(lights).geometry
    assert shapely.contains_xy(corridors, xy.x.to_numpy(), xy.y.to_numpy()).mean() > 0.97, "beside paths at most 1 m off"


def test_the_demo_lighting_is_plausible_with_real_dark_spots(data, zones, streets):
    """Most fields near their class, some well below: a programme has something to do."""
    import geopandas as gpd

    from geo.fields import field_figures, lit_surface, share_compliant
    from geo.lighting import PEDESTRIAN_CLASSES, illuminance_at

    obstacles = gpd.GeoDataFrame(pd.concat([data.buildings, data.water]), crs=data.water.crs)
    surface = lit_surface(zones, streets, obstacles)
    lux = illuminance_at(data.lights, surface.points["x"], surface.points["y"])
    fields = field_figures(surface.fields, surface.points, lux, PEDESTRIAN_CLASSES)
    assert 0.4 <= share_compliant(fields) <= 0.85
    ratio = fields["average_lx"] / fields["class_average_lx"]
    assert ratio.median() >= 0.9 and (fields["shortfall"] > 0.5).sum() >= 5
    lamp_xy = to_metric(data.lights).geometry
    assert not shapely.contains_xy(to_metric(data.buildings).union_all(), lamp_xy.x.to_numpy(), lamp_xy.y.to_numpy()).any()
    assert data.buildings["height_m"].between(9, 21).all() and data.water["height_m"].isna().all()
    nissan = to_metric(zones[zones["zone_id"] == "nissan"]).union_all()
    assert to_metric(data.water).union_all().within(nissan.buffer(0.01))


def test_light_attributes(data):
    lights = data.lights
    assert lights["lumen"].between(1000, 20000).all()
    assert lights["height_m"].between(4, 8).all()
    status = lights["status"].value_counts(normalize=True)
    assert 0.03 <= status.get("broken", 0) <= 0.12 and status["working"] > 0.8
    assert lights["luminaire"].str.len().gt(0).all()
    assert (lights["updated_at"].dt.tz_convert(LOCAL_TZ).dt.year == 2020).all()


def test_reports_categories_statuses_and_contacts(data):
    reports = data.reports
    assert 300 <= len(reports) <= 500
    assert reports["category"].value_counts().index[0] == "graffiti"
    assert 0.08 <= (reports["category"] == "unsafe_place").mean() <= 0.25
    closed = reports["closed_at"].notna()
    assert (reports.loc[closed, "closed_at"] > reports.loc[closed, "created_at"]).all()
    assert ((reports["status"] == "closed") == closed).all() and closed.mean() > 0.6
    assert reports.loc[closed, "close_reason"].notna().all() and reports.loc[~closed, "close_reason"].isna().all()
    assert set(reports["status"]) >= {"open", "closed"} and set(reports["status"]) & {"acknowledged", "scheduled"}
    assert reports["photo"].isna().all()
    contact = reports["contact"].dropna()
    assert 0.1 <= len(contact) / len(reports) <= 0.3 and contact.str.endswith("@example.org").all()
    assert reports["description"].str.len().gt(0).all()


def test_unsafe_places_say_when_and_why(data):
    reports = data.reports
    unsafe = reports["category"] == "unsafe_place"
    assert reports.loc[unsafe, ["when", "why"]].notna().all().all()
    assert reports.loc[~unsafe, ["when", "why"]].isna().all().all()
    assert set(reports.loc[unsafe, "when"]) <= {"day", "evening", "night"}
    assert len(set(reports.loc[unsafe, "why"])) >= 3


def test_graffiti_and_weeds_are_removed_in_rounds(data):
    reports = data.reports
    removed = reports[reports["category"].isin(["graffiti", "weeds"]) & reports["closed_at"].notna()]
    month = removed["closed_at"].dt.tz_convert(LOCAL_TZ).dt.month
    assert month.isin([5, 9]).mean() > 0.6


def test_broken_light_reports_are_near_broken_lights(data):
    reports, lights = to_metric(data.reports), to_metric(data.lights)
    broken = lights.geometry[lights["status"] == "broken"].union_all()
    near = shapely.distance(broken, reports.geometry[reports["category"] == "broken_light"].to_numpy())
    assert len(near) and near.max() <= 10.0


def test_pings_are_1_hz_per_unit_but_one_logger_a_minute_without_overlapping_shifts(data):
    pings = data.pings
    assert str(pings["timestamp"].dtype) == "datetime64[ns, UTC]"
    for unit, group in pings.groupby("unit_id"):
        every = 60 if unit == "demo-fot-4" else 1
        step = np.diff(_seconds(group["timestamp"]))
        assert (step > 0).all(), unit
        within = step < 3600
        assert (step[within] == every).all(), unit
        shift_length = np.diff(np.concatenate([[0], np.flatnonzero(~within) + 1, [len(group)]])) * every
        assert shift_length.min() >= 3600 - every and shift_length.max() <= 3 * 3600, unit
        assert group["mode"].nunique() == 1


def test_patrol_hours_total(data):
    hours = len(data.pings) / 3600
    assert 800 <= hours <= 1000
    assert data.pings["unit_id"].nunique() == 7


def test_the_presence_log_is_a_horse_patrol_and_shifts_gps_covers_too(data, zones):
    log = data.presence_log
    assert (log["source"] == "synthetic").all() and set(log["unit_id"]) == {"demo-hast-1", "demo-fot-1"}
    horse = log[log["unit_id"] == "demo-hast-1"]
    assert len(horse) == 25 and (horse["mode"] == "horse").all() and set(horse["zone_id"]) <= set(zones["zone_id"])
    assert ((horse["end"] - horse["start"]).between(pd.Timedelta(hours=1), pd.Timedelta(hours=2))).all()
    foot = log[log["unit_id"] == "demo-fot-1"]
    gps = data.pings[data.pings["unit_id"] == "demo-fot-1"]["timestamp"]
    covered = [((gps >= row.start) & (gps < row.end)).sum() for row in foot.itertuples()]
    assert len(foot) == 10 and min(covered) >= 3000, "each logged foot shift is one its GPS covers"


def test_patrols_move_at_walking_and_cycling_speeds(data, ping_xy):
    pings = data.pings
    seconds = _seconds(pings["timestamp"])
    same = (pings["unit_id"].to_numpy()[1:] == pings["unit_id"].to_numpy()[:-1]) & (np.diff(seconds) == 1)
    speed_kmh = np.hypot(*np.diff(ping_xy, axis=0).T) * 3.6
    mode = pings["mode"].to_numpy()[1:]
    foot = np.median(speed_kmh[same & (mode == "foot")])
    bike = np.median(speed_kmh[same & (mode == "bike")])
    assert 3 <= foot <= 6
    assert 6 <= bike <= 18 and bike > foot


def test_pings_stay_on_the_network_inside_the_zones(data, zones, streets, ping_xy):
    margin = to_metric(zones).geometry.union_all().buffer(20.0)
    shapely.prepare(margin)
    assert shapely.contains_xy(margin, ping_xy[:, 0], ping_xy[:, 1]).all()
    network = to_metric(streets).geometry.union_all().buffer(30.0)
    shapely.prepare(network)
    assert shapely.contains_xy(network, ping_xy[::20, 0], ping_xy[::20, 1]).mean() > 0.999


def test_patrols_are_mostly_in_the_afternoon_and_evening(data):
    local = data.pings["timestamp"].dt.tz_convert(LOCAL_TZ)
    hour = local.dt.hour
    assert ((hour >= 13) | (hour < 3)).all()
    weekday = local.dt.day_of_week
    assert (weekday.isin([4, 5])).mean() > 2 / 7


def test_the_demo_without_pings_is_the_same_demo_without_patrols(data, zones, streets):
    light = demo.demo_data(zones, streets, with_pings=False)
    assert light.pings.empty and light.presence_log.empty
    assert_geodataframe_equal(light.lights, data.lights)
    assert_geodataframe_equal(light.buildings, data.buildings)
    assert_geodataframe_equal(light.incidents, data.incidents)


def test_the_demo_years_and_one_year_chosen_with_its_seed():
    from geo.demo import DEMO_YEARS, demo_years

    assert [(y.year, y.seed) for y in demo_years()] == [(2020, 2020), (2021, 2021)]
    assert [(y.year, y.seed) for y in demo_years(seed=7)] == [(2020, 7), (2021, 8)]
    [only] = demo_years(2021, 5)
    assert (only.year, only.seed, only.layout, only.ping_every_s) == (2021, 5, (2020, 2020), 10)
    assert demo_years(2023)[0].fewer_incidents == {} and DEMO_YEARS[1].fewer_incidents


def test_the_second_year_keeps_the_first_years_lamps_and_buildings(zones, streets, demo_year):
    from geo.demo import DEMO_YEARS

    later = demo.demo_data(zones, streets, 2021, 2021, with_pings=False, options=DEMO_YEARS[1])
    pd.testing.assert_frame_equal(later.lights, demo_year.lights)
    assert later.buildings.geometry.equals(demo_year.buildings.geometry)
    assert later.incidents["id"].str.startswith("demo-2021-inc").all() and not later.incidents.empty

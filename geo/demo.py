"""Deterministic synthetic demo data for the four layers, realistic for Halmstad's centre.

:func:`demo_data` builds a year of incidents, street lights, citizen reports and 1 Hz patrol GPS
pings from the zones and the street network. Geometry is done in SWEREF 99 TM (EPSG:3006,
metres) and converted to WGS84 lon/lat (degrees) at the end; every frame is passed through
:func:`geo.layers.validate`, so it is exactly a typed layer frame with ``source = "synthetic"``.
Pure functions, no I/O; the same zones, streets, year and seed give identical frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.signal import lfilter
from scipy.spatial import cKDTree

from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.fields import street_pieces
from geo.layers import INCIDENT_CATEGORIES, INCIDENTS, LIGHTS, PINGS, REPORTS, validate
from geo.lighting import MAINTENANCE_FACTOR, PEDESTRIAN_CLASSES
from geo.presence_log import validate_log
from geo.timestamps import LOCAL_TZ
from geo.zones import zone_positions

SOURCE = "synthetic"

HOT_SPOTS = (
    # name, lon, lat (WGS84 degrees), share of clustered incidents, Gaussian spread (m)
    ("Stora Torg", 12.8572, 56.6740, 0.30, 45.0),
    ("Brogatan–Österbro", 12.8600, 56.6737, 0.22, 40.0),
    ("Resecentrum/Halmstad C", 12.8640, 56.6700, 0.20, 55.0),
    ("Norre Katts park", 12.8600, 56.6775, 0.14, 50.0),
    ("Storgatan norr", 12.8581, 56.6765, 0.14, 35.0),
)
"""Incident hot spots of the centre; those outside the given zones are ignored."""

_CATEGORY_SHARES = {  # base shares of INCIDENT_CATEGORIES
    "misshandel": 0.12, "rån": 0.02, "stöld": 0.30, "skadegörelse": 0.13,
    "ordningsstörning": 0.27, "narkotika": 0.08, "övrigt": 0.08}
_HOT_SPOT_CATEGORY_BIAS = {  # multipliers per hot spot (by position in HOT_SPOTS)
    0: {"misshandel": 1.4, "ordningsstörning": 1.3},
    1: {"misshandel": 1.6, "ordningsstörning": 1.4, "stöld": 0.8},
    2: {"stöld": 1.6, "rån": 1.5, "ordningsstörning": 0.8},
    3: {"narkotika": 3.0, "skadegörelse": 1.3, "stöld": 0.6},
    4: {"stöld": 1.2, "misshandel": 1.2},
}
_MONTH_WEIGHT = np.array([0.7, 0.7, 0.8, 0.9, 1.05, 1.3, 1.45, 1.3, 1.0, 0.9, 0.8, 0.9])
_NIGHT_OF_WEEKDAY = np.array([0.7, 0.7, 0.8, 1.0, 1.9, 2.0, 0.9])  # Monday..Sunday
_HOUR_WEIGHT = {  # local hour of day -> relative incident rate
    6: .15, 7: .25, 8: .3, 9: .35, 10: .4, 11: .5, 12: .6, 13: .6, 14: .6, 15: .7, 16: .8, 17: .9,
    18: 1.1, 19: 1.3, 20: 1.5, 21: 1.8, 22: 2.2, 23: 2.6, 0: 2.8, 1: 2.8, 2: 2.4, 3: 1.5, 4: .7, 5: .3}

_LIGHT_TYPES = {  # street kind -> (height range m, lumen range, luminaire names)
    "street": ((6.0, 8.0), (4000, 8000), ("LED 4000K stolpe", "LED 4000K stolpe", "Natrium 100W stolpe")),
    "bridge": ((5.0, 6.5), (3000, 5500), ("LED 4000K räcke", "LED 4000K stolpe")),
    "pedestrian": ((4.5, 6.0), (2500, 5000), ("LED 3000K stolpe", "Wallmount", "LED 3000K lina")),
    "square": ((5.0, 7.0), (3000, 6500), ("LED 3000K torg", "LED 3000K stolpe")),
    "path": ((4.0, 5.0), (2000, 3500), ("LED 3000K park", "LED 3000K park", "Pollare LED")),
}

_REPORT_SHARES = {"graffiti": 0.36, "weeds": 0.14, "litter": 0.14, "broken_light": 0.10,
                  "unsafe_place": 0.16, "other": 0.10}
_REPORT_TEXTS = {
    "graffiti": ("Klotter på fasaden", "Klotter på elskåpet", "Tags på bänken", "Klotter under bron",
                 "Klotter på papperskorgen", "Nytt klotter vid entrén", "Klotter på skylten"),
    "weeds": ("Ogräs mellan stenarna", "Ogräs längs husväggen", "Högt gräs vid gångvägen",
              "Ogräs i rabatten vid torget"),
    "litter": ("Nedskräpat vid bänken", "Full papperskorg", "Glassplitter på gångvägen",
               "Mycket skräp efter helgen", "Fimpar och burkar vid kajen"),
    "broken_light": ("Trasig lampa", "Lampan blinkar", "Gatlyktan är släckt", "Belysningen fungerar inte"),
    "other": ("Trasig bänk", "Nedfallen skylt", "Lös gatsten", "Övergiven cykel", "Trasigt staket"),
}
_UNSAFE_TEXTS = {
    "lighting": ("Mörkt här på kvällen", "Dålig belysning längs stigen", "Känns otryggt, för mörkt"),
    "people": ("Känns otryggt här på kvällen", "Folk samlas här på natten", "Stökigt på helgerna"),
    "hidden_view": ("Buskarna skymmer sikten", "Svårt att se vem som kommer", "Skymd passage"),
    "traffic": ("Bilar och cyklar kör fort här", "Svårt att korsa gatan"),
    "other": ("Känns otryggt här", "Obehagligt ställe"),
}
_CLOSE_REASONS = {"graffiti": "sanerat", "weeds": "rensat", "litter": "städat",
                  "broken_light": "felanmält till belysningsentreprenören", "unsafe_place": "åtgärdat",
                  "other": "åtgärdat"}
_GRAFFITI_WEIGHT = {"pedestrian": 3, "street": 1.5, "square": 2, "bridge": 2.5, "path": 1}
_WEEDS_WEIGHT = {"pedestrian": 2, "street": 1, "square": 3, "bridge": 1, "path": 1}
"""Report rates per metre of street, by street kind."""
REMOVAL_ROUNDS = ((5, 11, 22), (9, 14, 25))
"""Graffiti and weed removal rounds: (month, first day, last day)."""

_UNITS = (  # unit id, mode, crew, share of the patrol hours, seconds between pings
    ("demo-fot-1", "foot", 2, 0.19, 1), ("demo-fot-2", "foot", 2, 0.19, 1), ("demo-fot-3", "foot", 2, 0.18, 1),
    ("demo-fot-4", "foot", 2, 0.08, 60), ("demo-cykel-1", "bike", 2, 0.18, 1), ("demo-cykel-2", "bike", 2, 0.18, 1),
    ("demo-bil-1", "car", 2, 0.07, 1))
"""The demo's units. demo-fot-4's logger sends a ping a minute; demo-bil-1 is a marked car that
drives through the centre and parks at the hot spots (vehicle presence, not visible presence)."""
_GPS_SIGMA_M = 4.0
_GPS_CORRELATION_S = 120.0
"""GPS error: a smooth (AR(1)) offset per axis, 4 m standard deviation, ~2 min correlation time."""

_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class DemoYear:
    """One year of the demo: its seed; the share of incidents kept per zone (``fewer_incidents``,
    zone id → 0..1; the rest are left out, so a later year shows fewer where the earlier year's
    measures acted); how often the 1 Hz units ping (``ping_every_s``: a later year pings less, to
    keep loading the demo quick); and the year and seed whose lamps and buildings it keeps
    (``layout``: the lamps are the same lamps from year to year)."""

    year: int
    seed: int
    fewer_incidents: Mapping[str, float] = field(default_factory=dict)
    ping_every_s: int = 1
    layout: tuple[int, int] | None = None


DEMO_YEARS = (
    DemoYear(2020, 2020),
    DemoYear(2021, 2021, fewer_incidents={"storgatan-norre-port": 0.65, "stora-torg": 0.8,
                                          "brogatan-lilla-torg": 0.8},
             ping_every_s=10, layout=(2020, 2020)),
)
"""The demo's years (all SYNTHETIC). 2021 keeps 2020's lamps and buildings and has fewer incidents
where 2020's measures acted: northern Storgatan, whose broken lamps the (synthetic) lighting
programme mended in October 2020, and Stora Torg and Brogatan, the hot spots the patrols stopped at
most. Its 1 Hz units ping every 10 s (their hours are the same)."""


def demo_years(year: int | None = None, seed: int | None = None) -> tuple[DemoYear, ...]:
    """The demo years to load: every one of :data:`DEMO_YEARS` (``seed`` given: the first year
    gets it, each later one ``seed`` plus the years between), or ``year`` alone, with its own
    options when it is one of them, and ``seed`` (default: its own, or the year)."""
    if year is None:
        first = DEMO_YEARS[0].year
        return DEMO_YEARS if seed is None else tuple(replace(y, seed=seed + y.year - first) for y in DEMO_YEARS)
    known = next((y for y in DEMO_YEARS if y.year == year), DemoYear(year, year))
    return (known if seed is None else replace(known, seed=seed),)


@dataclass(frozen=True)
class DemoData:
    """The four typed layer frames (see :mod:`geo.layers`) and a presence log
    (:mod:`geo.presence_log`), all ``source == "synthetic"``; building footprints and water
    (:mod:`geo.surfaces`, WGS84) drawn from the streets and zones; a safety survey; the year's events
    and surveillance cameras."""

    incidents: gpd.GeoDataFrame
    lights: gpd.GeoDataFrame
    reports: gpd.GeoDataFrame
    pings: pd.DataFrame
    presence_log: pd.DataFrame
    buildings: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    survey: tuple[pd.DataFrame, gpd.GeoDataFrame]
    """The year's synthetic safety survey: results and marked places (:func:`geo.demo_survey.demo_survey`)."""
    events: gpd.GeoDataFrame
    """The year's events (:mod:`geo.demo_events`)."""
    cameras: gpd.GeoDataFrame
    """Two proposed surveillance cameras and one installed, at the hot spots (:mod:`geo.demo_cameras`)."""


def demo_data(zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, year: int = 2020, seed: int = 2020,
              progress: Callable[[str, float], None] | None = None, with_pings: bool = True,
              options: DemoYear | None = None) -> DemoData:
    """Synthetic incidents, lights, reports and patrol pings for ``year`` in the centre.

    ``zones`` and ``streets`` as read by :func:`geo.zones.read_zones` and
    :func:`geo.streets.read_streets` (any CRS set; used in EPSG:3006). Deterministic in ``seed``.
    ``progress(step, fraction)`` (fraction of the whole work, 0..1) is called a handful of times.
    Roughly 2,000 incidents, 350 lights, 400 reports, 900 patrol hours (3.3 million pings) and a
    presence log: a horse patrol known only from it, and shifts of a foot unit its GPS covers too.
    ``with_pings=False`` leaves out the pings and the presence log (the rest is the same), for
    work that does not look at patrols. ``options`` (:class:`DemoYear`, for ``year``) leaves out
    incidents per zone, pings less often and keeps another year's lamps and buildings.
    """
    from geo.demo_cameras import demo_cameras  # (it reads this module's hot spots)
    from geo.demo_events import demo_events  # (it takes this module's SOURCE)
    from geo.demo_survey import demo_survey  # (it reads this module's hot spots)

    report = progress or (lambda step, fraction: None)
    options = options or DemoYear(year, seed)
    world = _World(zones, streets)
    rng_incidents, rng_lights, rng_reports, rng_pings, rng_log = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5))
    layout_year, layout_seed = options.layout or (year, seed)
    rng_lights = np.random.default_rng(np.random.SeedSequence(layout_seed).spawn(5)[1])

    incidents = validate(INCIDENTS, _incidents(world, year, rng_incidents, options.fewer_incidents), "demo")
    report("incidents", 0.05)
    lights_raw = _lights(world, layout_year, rng_lights)
    lights = validate(LIGHTS, lights_raw, "demo")
    report("lights", 0.08)
    reports = validate(REPORTS, _reports(world, year, lights_raw, rng_reports), "demo")
    report("reports", 0.10)
    if with_pings:
        pings_raw = _pings(world, year, rng_pings, lambda f: report("pings", 0.10 + 0.65 * f), options.ping_every_s)
        report("validating pings", 0.75)
        pings = validate(PINGS, pings_raw, "demo")
        log = validate_log(_presence_log(world, year, pings, rng_log), world.zones["zone_id"].tolist(), SOURCE)
    else:
        pings = validate(PINGS, pd.DataFrame(columns=["unit_id", "timestamp", "mode", "lon", "lat"]), "demo")
        log = validate_log(pd.DataFrame(columns=["unit_id", "start", "end", "mode", "zone_id"]),
                           world.zones["zone_id"].tolist(), SOURCE)
    buildings, water = _surfaces(world, rng_lights)
    report("done", 1.0)
    return DemoData(incidents=incidents, lights=lights, reports=reports, pings=pings, presence_log=log,
                    buildings=buildings, water=water, survey=demo_survey(zones, lights, year, seed),
                    events=demo_events(zones, year), cameras=demo_cameras(zones, streets))


class _World:
    """Zones and streets in EPSG:3006 (metres), hot spots and the street graph."""

    def __init__(self, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame) -> None:
        self.zones = to_metric(zones).reset_index(drop=True)
        self.streets = to_metric(streets).reset_index(drop=True)
        self.to_wgs84 = Transformer.from_crs(SWEREF99TM, WGS84, always_xy=True)
        self.to_3006 = Transformer.from_crs(WGS84, SWEREF99TM, always_xy=True)
        inner = self.zones.copy()
        inner["geometry"] = self.zones.buffer(-1.0)  # 1 m margin so WGS84 rounding stays inside
        self._inner = inner
        self.bounds = self.zones.total_bounds
        lon, lat = np.array([h[1] for h in HOT_SPOTS]), np.array([h[2] for h in HOT_SPOTS])
        hx, hy = self.to_3006.transform(lon, lat)
        keep = np.flatnonzero(self.inside(hx, hy))
        if len(keep):
            self.hot_index = keep  # position in HOT_SPOTS
            self.hot_xy = np.column_stack([np.asarray(hx)[keep], np.asarray(hy)[keep]])
            weights = np.array([HOT_SPOTS[i][3] for i in keep])
            self.hot_sigma = np.array([HOT_SPOTS[i][4] for i in keep])
        else:  # zones elsewhere: the representative points of (up to) five zones are the hot spots
            self.hot_xy = shapely.get_coordinates(self.zones.representative_point().to_numpy())[:5]
            self.hot_index = np.full(len(self.hot_xy), -1)
            weights = np.ones(len(self.hot_xy))
            self.hot_sigma = np.full(len(self.hot_xy), 45.0)
        self.hot_weight = weights / weights.sum()
        self._graph(streets)

    @cached_property
    def pieces(self) -> gpd.GeoDataFrame:
        """The streets cut at the zone boundaries (:func:`geo.fields.street_pieces`), EPSG:3006."""
        return street_pieces(self.streets, self.zones)

    def inside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """True where the point (EPSG:3006 metres) lies at least 1 m inside a zone."""
        return zone_positions(self._inner, x, y) >= 0

    def lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """EPSG:3006 metres -> WGS84 lon, lat degrees."""
        lon, lat = self.to_wgs84.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon), np.asarray(lat)

    def _graph(self, streets: gpd.GeoDataFrame) -> None:
        # Node in WGS84, where touching lines share exact coordinates; measure in EPSG:3006.
        lines = shapely.get_parts(streets.to_crs(WGS84).geometry.to_numpy())
        segments = shapely.get_parts(shapely.node(shapely.multilinestrings(lines)))
        coords, owner = shapely.get_coordinates(segments, return_index=True)
        x, y = self.to_3006.transform(coords[:, 0], coords[:, 1])
        xy = np.column_stack([x, y])
        starts = np.searchsorted(owner, np.arange(len(segments)))
        ends = np.append(starts[1:], len(owner)) - 1
        _, node_of_end = np.unique(np.vstack([coords[starts], coords[ends]]), axis=0, return_inverse=True)
        node_of_end = node_of_end.ravel()
        self.edge_nodes = np.column_stack([node_of_end[:len(segments)], node_of_end[len(segments):]])
        self.edge_xy: list[np.ndarray] = []
        for s, e in zip(starts, ends):
            piece = xy[s:e + 1]
            step = np.hypot(*np.diff(piece, axis=0).T)
            self.edge_xy.append(np.vstack([piece[:1], piece[1:][step > 1e-6]]))
        self.edge_len = np.array([np.hypot(*np.diff(p, axis=0).T).sum() for p in self.edge_xy])
        usable = self.edge_len > 0.5
        metric_lines = np.array([shapely.LineString(p if len(p) > 1 else np.vstack([p, p])) for p in self.edge_xy])
        middle = shapely.line_interpolate_point(metric_lines, 0.5, normalized=True)
        found, nearest = shapely.STRtree(self.streets.geometry.to_numpy()).query_nearest(middle)
        _, first = np.unique(found, return_index=True)
        self.edge_kind = self.streets["kind"].to_numpy()[nearest[first]]
        n_nodes = int(self.edge_nodes.max()) + 1
        self.adjacency: list[list[tuple[int, bool]]] = [[] for _ in range(n_nodes)]
        for e in np.flatnonzero(usable):
            a, b = self.edge_nodes[e]
            self.adjacency[a].append((int(e), True))
            self.adjacency[b].append((int(e), False))
        node_xy = np.zeros((n_nodes, 2))
        node_xy[self.edge_nodes[:, 0]] = [p[0] for p in self.edge_xy]
        node_xy[self.edge_nodes[:, 1]] = [p[-1] for p in self.edge_xy]
        self.walk_nodes = np.array([n for n in range(n_nodes) if self.adjacency[n]])
        _, nearest_node = cKDTree(node_xy[self.walk_nodes]).query(self.hot_xy)
        self.hot_nodes = set(self.walk_nodes[np.atleast_1d(nearest_node)].tolist())


# ---------------------------------------------------------------- helpers

def _draw_inside(world: _World, rng: np.random.Generator, n: int,
                 draw: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points (EPSG:3006) from ``draw(indices)``, redrawing those outside the zones."""
    index = np.arange(n)
    x, y = (np.asarray(a, float) for a in draw(index))
    bad = ~world.inside(x, y)
    for _ in range(60):
        if not bad.any():
            return x, y
        x[bad], y[bad] = draw(index[bad])
        bad[bad] = ~world.inside(x[bad], y[bad])
    x[bad], y[bad] = _uniform_in_zones(world, rng, int(bad.sum()))  # hopeless draws: anywhere inside
    return x, y


def _uniform_in_zones(world: _World, rng: np.random.Generator, n: int,
                      accept: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform in the zones (EPSG:3006); ``accept(x, y)`` gives keep probabilities."""
    minx, miny, maxx, maxy = world.bounds
    xs, ys, have = [], [], 0
    while have < n:
        k = 2 * (n - have) + 16
        x, y = rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)
        keep = world.inside(x, y)
        if accept is not None:
            keep &= rng.random(k) < accept(x, y)
        xs.append(x[keep]), ys.append(y[keep])
        have += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _along_streets(world: _World, rng: np.random.Generator, n: int, kind_weight: dict[str, float],
                   offset: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points along the streets (per metre weighted by kind), offset sideways (m)."""
    lines = world.streets.geometry.to_numpy()
    length = shapely.length(lines)
    p = length * np.array([kind_weight.get(k, 0.0) for k in world.streets["kind"]])
    p = p / p.sum() if p.sum() > 0 else length / length.sum()
    which = rng.choice(len(lines), size=n, p=p)
    along = rng.random(n) * length[which]
    side = rng.choice([-1.0, 1.0], size=n) * rng.uniform(*offset, size=n)
    return _offset_points(lines[which], along, side)


def _offset_points(lines: np.ndarray, along: np.ndarray, side: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points ``along`` metres along ``lines`` moved ``side`` metres to the left (negative: right)."""
    length = shapely.length(lines)
    here = shapely.get_coordinates(shapely.line_interpolate_point(lines, along))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(lines, np.minimum(along + 1.0, length)))
    behind = shapely.get_coordinates(shapely.line_interpolate_point(lines, np.maximum(along - 1.0, 0.0)))
    tangent = ahead - behind
    tangent /= np.maximum(np.hypot(tangent[:, 0], tangent[:, 1]), 1e-9)[:, None]
    return here[:, 0] - tangent[:, 1] * side, here[:, 1] + tangent[:, 0] * side


def _local_to_utc(year: int, offset_s: np.ndarray) -> pd.Series:
    """Local Europe/Stockholm wall-clock times ``offset_s`` seconds after 1 January -> UTC Series."""
    naive = pd.DatetimeIndex(pd.Timestamp(year, 1, 1).to_datetime64() + (np.asarray(offset_s) * 1e9).astype(
        "timedelta64[ns]")).as_unit("ns")
    local = naive.tz_localize(LOCAL_TZ, ambiguous=np.zeros(len(naive), bool), nonexistent="shift_forward")
    return pd.Series(local.tz_convert("UTC"))


def _ns(times: pd.Series) -> np.ndarray:
    """UTC times as int64 nanoseconds since the epoch."""
    return times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]").astype(np.int64)


def _days_in(year: int) -> int:
    return int((pd.Timestamp(year + 1, 1, 1) - pd.Timestamp(year, 1, 1)).days)


def _day_weights(year: int, month_weight: np.ndarray, weekday_weight: np.ndarray | None = None) -> np.ndarray:
    days = pd.date_range(pd.Timestamp(year, 1, 1), periods=_days_in(year), freq="D")
    w = month_weight[days.month.to_numpy() - 1].astype(float)
    if weekday_weight is not None:
        w = w * weekday_weight[days.day_of_week.to_numpy()]
    return w / w.sum()


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.array([f"demo-{prefix}-{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


# ---------------------------------------------------------------- incidents

def _incidents(world: _World, year: int, rng: np.random.Generator,
               fewer: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Raw incidents: hot-spot clusters plus 25 % scattered, evening/night and weekend peaks; in
    the zones of ``fewer`` only that share of them (zone id → share kept)."""
    n = int(rng.integers(2000, 2400))
    clustered = rng.random(n) >= 0.25
    spot = np.where(clustered, rng.choice(len(world.hot_xy), size=n, p=world.hot_weight), -1)
    x, y = np.empty(n), np.empty(n)
    c = np.flatnonzero(clustered)

    def gaussian(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = spot[c[index]]
        sigma = world.hot_sigma[s]
        return (world.hot_xy[s, 0] + rng.normal(0, 1, len(s)) * sigma,
                world.hot_xy[s, 1] + rng.normal(0, 1, len(s)) * sigma)

    x[c], y[c] = _draw_inside(world, rng, len(c), gaussian)
    u = np.flatnonzero(~clustered)
    x[u], y[u] = _uniform_in_zones(world, rng, len(u))

    # Category: base shares, biased per hot spot.
    base = np.array([_CATEGORY_SHARES[k] for k in INCIDENT_CATEGORIES])
    category = np.empty(n, dtype=object)
    for s in range(-1, len(world.hot_xy)):
        rows = np.flatnonzero(spot == s)
        bias = _HOT_SPOT_CATEGORY_BIAS.get(int(world.hot_index[s]), {}) if s >= 0 else {}
        p = base * np.array([bias.get(k, 1.0) for k in INCIDENT_CATEGORIES])
        category[rows] = np.array(INCIDENT_CATEGORIES, dtype=object)[rng.choice(len(p), len(rows), p=p / p.sum())]

    # Time: the "night of" a day (weekday and month weighted), then an hour 06..05 the morning after.
    night_of = rng.choice(_days_in(year) + 1, size=n,
                          p=_day_weights_with_eve(year)) - 1  # -1: New Year's Eve before the year
    hours = np.arange(6, 30) % 24
    hour_p = np.array([_HOUR_WEIGHT[h] for h in hours])
    offset_h = 6 + rng.choice(24, size=n, p=hour_p / hour_p.sum())
    seconds = night_of * 86_400.0 + offset_h * 3600.0 + rng.integers(0, 60, n) * 60.0
    week = 7 * 86_400.0
    seconds = np.where(seconds < 0, seconds + week, seconds)
    seconds = np.where(seconds >= _days_in(year) * 86_400.0, seconds - week, seconds)
    occurred = _local_to_utc(year, seconds)

    precision = np.where(rng.random(n) < 0.15, "street", "exact").astype(object)
    street = np.flatnonzero(precision == "street")
    if len(street):  # street-level positions: the middle of the nearest street
        lines = world.streets.geometry.to_numpy()
        found, nearest = shapely.STRtree(lines).query_nearest(shapely.points(x[street], y[street]))
        _, first = np.unique(found, return_index=True)
        middle = shapely.get_coordinates(shapely.line_interpolate_point(lines[nearest[first]], 0.5, normalized=True))
        ok = world.inside(middle[:, 0], middle[:, 1])
        x[street[ok]], y[street[ok]] = middle[ok, 0], middle[ok, 1]
        precision[street[~ok]] = "exact"

    order = np.argsort(occurred.to_numpy(), kind="stable")
    if fewer:
        share = np.array([fewer.get(z, 1.0) for z in world.zones["zone_id"]] + [1.0])  # last: outside every zone
        kept = share[zone_positions(world.zones, x, y)] > rng.random(n)
        order = order[kept[order]]
    n = len(order)
    lon, lat = world.lonlat(x[order], y[order])
    return pd.DataFrame({"id": _ids(f"{year}-inc", n, 5), "occurred_at": occurred.iloc[order].reset_index(drop=True),
                         "category": category[order], "location_precision": precision[order],
                         "source": SOURCE, "lon": lon, "lat": lat})


def _day_weights_with_eve(year: int) -> np.ndarray:
    """Weights of the nights of 31 December of the year before and every day of ``year``."""
    days = pd.date_range(pd.Timestamp(year - 1, 12, 31), periods=_days_in(year) + 1, freq="D")
    w = _MONTH_WEIGHT[days.month.to_numpy() - 1] * _NIGHT_OF_WEEKDAY[days.day_of_week.to_numpy()]
    return w / w.sum()


# ---------------------------------------------------------------- lights

def _lights(world: _World, year: int, rng: np.random.Generator) -> pd.DataFrame:
    """Raw lights laid out per street piece (a street in one zone) for its lighting class, as a
    designer would: one luminaire type per piece, rows by kind (both sides of streets and bridges
    staggered, a wire over the middle of pedestrian streets, rows across squares, beside paths)
    spaced so the modelled average over the piece is its class average times a factor (most
    pieces 0.95-1.4; one in four under-lit, 0.45-0.9, as old installations are), at most 3.2 pole
    heights apart along a row."""
    pieces = world.pieces
    xs, ys, kinds, heights, lumens, names = [], [], [], [], [], []
    for line, kind, width, cls in zip(pieces.geometry.to_numpy(), pieces["kind"], pieces["width_m"],
                                      pieces["lighting_class"]):
        (h0, h1), (l0, l1), luminaires = _LIGHT_TYPES[kind]
        height, lumen = round(rng.uniform(h0, h1) * 2) / 2, round(rng.uniform(l0, l1), -2)
        rows = _light_rows(kind, width)
        factor = rng.uniform(1.05, 1.5) if rng.random() < 0.75 else rng.uniform(0.5, 0.9)
        target = PEDESTRIAN_CLASSES[cls][0] * factor
        share = sum(_row_flux_share(height, -width / 2 - o, width / 2 - o) for o in rows)  # of Φ·MF, per lamp and spacing
        spacing = MAINTENANCE_FACTOR * lumen * share / (target * width)
        limit = 2.6 * height * (2 if kind in ("street", "bridge") else 1)  # staggered rows: half of it between neighbours
        spacing = min(max(spacing, 8.0), limit)
        lumen = float(np.clip(round(target * width * spacing / (MAINTENANCE_FACTOR * share), -2), 1000, 20000))
        first = rng.uniform(0, spacing)
        for k, offset in enumerate(rows):
            at = np.arange((first + k * spacing / 2) % spacing, line.length, spacing)
            at = np.clip(at + rng.normal(0, 1.0, len(at)), 0, line.length)
            x, y = _offset_points(np.full(len(at), line, dtype=object), at, np.full(len(at), offset))
            xs.append(x), ys.append(y), kinds.append(np.full(len(at), kind, dtype=object))
            heights.append(np.full(len(at), height)), lumens.append(np.full(len(at), lumen))
            names.append(np.full(len(at), luminaires[int(rng.integers(len(luminaires)))], dtype=object))
    x, y, kind = np.concatenate(xs), np.concatenate(ys), np.concatenate(kinds)
    keep = shapely.contains_xy(shapely.buffer(shapely.union_all(world.zones.geometry.to_numpy()), 10.0), x, y)
    keep[list(_close_pairs_second(x, y, 6.0))] = False  # one light where two streets meet
    n = int(keep.sum())
    status = np.array(["working", "broken", "planned", "removed"], dtype=object)[
        rng.choice(4, size=n, p=[0.895, 0.07, 0.025, 0.01])]
    updated = _local_to_utc(year, rng.integers(0, _days_in(year), n) * 86_400.0
                            + rng.uniform(7, 16, n).round(2) * 3600.0).dt.floor("min")
    lon, lat = world.lonlat(x[keep], y[keep])
    return pd.DataFrame({"id": _ids("light", n, 4), "lumen": np.concatenate(lumens)[keep],
                         "height_m": np.concatenate(heights)[keep], "status": status,
                         "luminaire": np.concatenate(names)[keep], "updated_at": updated, "source": SOURCE,
                         "lon": lon, "lat": lat})


_PLOT_M = (35.0, 25.0)
"""A synthetic building plot, west-east by south-north (m); buildings leave 2 m to each neighbour."""


def _surfaces(world: _World, rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Synthetic water and building footprints (WGS84): the waterfront zones less the street
    corridors and 2 m quays are water; the other zones but parks, less the corridors and 1.5 m
    to them, are blocks, cut into plots of :data:`_PLOT_M` with 2 m between buildings (3-7
    storeys of 3 m; one plot in five and pieces under 60 m² left open)."""
    pieces = world.pieces
    corridors = shapely.buffer(pieces.geometry.to_numpy(), pieces["width_m"].to_numpy(float) / 2, cap_style="flat")
    kind = world.zones["kind"].to_numpy() if "kind" in world.zones else np.full(len(world.zones), "mixed")
    zones = world.zones.geometry.to_numpy()
    water = shapely.difference(shapely.union_all(zones[kind == "waterfront"]),
                               shapely.union_all(shapely.buffer(corridors, 2.0)))
    blocks = shapely.difference(shapely.union_all(zones[~np.isin(kind, ["park", "waterfront"])]),
                                shapely.union_all(shapely.buffer(corridors, 1.5)))
    minx, miny, maxx, maxy = world.bounds
    (w, h) = _PLOT_M
    xs, ys = np.meshgrid(np.arange(minx, maxx, w), np.arange(miny, maxy, h))
    plots = shapely.box(xs.ravel() + 1, ys.ravel() + 1, xs.ravel() + w - 1, ys.ravel() + h - 1)
    plots = plots[rng.random(len(plots)) >= 0.2]  # one plot in five open: yards, small squares, car parks
    footprints = shapely.get_parts(shapely.intersection(plots, blocks))
    footprints = footprints[(shapely.get_type_id(footprints) == 3) & (shapely.area(footprints) >= 60.0)]
    storeys = rng.integers(3, 8, len(footprints))

    def frame(geoms: np.ndarray, height: np.ndarray) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame({"height_m": height}, geometry=geoms, crs=SWEREF99TM).to_crs(WGS84)

    water_parts = shapely.get_parts(np.array([water]))
    water_parts = water_parts[shapely.area(water_parts) >= 1.0]
    return frame(footprints, 3.0 * storeys), frame(water_parts, np.full(len(water_parts), np.nan))


def _light_rows(kind: str, width: float) -> list[float]:
    """Lateral offsets (m, left of the centre line) of a piece's rows of lamps."""
    if kind in ("street", "bridge"):
        return [width / 2 - 1.0, -(width / 2 - 1.0)]
    if kind == "square":
        rows = int(np.ceil(width / 15.0))
        return [(k + 0.5) * width / rows - width / 2 for k in range(rows)]
    if kind == "path":
        return [width / 2 + 0.5]
    return [0.0]


def _row_flux_share(height: float, a: float, b: float) -> float:
    """Share of a Lambertian lamp's flux (I = Φ/π·cos γ) falling on a band from ``a`` to ``b`` metres
    across its row, integrated along an infinite row: (b/√(h²+b²) − a/√(h²+a²)) / 2."""
    return (b / np.hypot(height, b) - a / np.hypot(height, a)) / 2


def _close_pairs_second(x: np.ndarray, y: np.ndarray, radius: float) -> set[int]:
    """Indices of points within ``radius`` metres of an earlier point."""
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(radius, output_type="ndarray")
    return set(pairs.max(axis=1).tolist()) if len(pairs) else set()


# ---------------------------------------------------------------- reports

def _reports(world: _World, year: int, lights: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Raw citizen reports: placement, times and statuses by category; removal rounds in May and September."""
    n = int(rng.integers(350, 450))
    names = list(_REPORT_SHARES)
    category = np.array(names, dtype=object)[rng.choice(len(names), n, p=list(_REPORT_SHARES.values()))]
    x, y = np.empty(n), np.empty(n)
    light_xy = np.column_stack(world.to_3006.transform(lights["lon"].to_numpy(), lights["lat"].to_numpy()))
    broken = light_xy[(lights["status"] == "broken").to_numpy()]
    if len(broken) == 0:
        broken = light_xy
    kind_of_zone = world.zones["kind"].to_numpy() if "kind" in world.zones else None

    def zone_accept(px: np.ndarray, py: np.ndarray) -> np.ndarray:  # dark and park areas feel less safe
        if kind_of_zone is None:
            return np.ones(len(px))
        rate = {"park": 1.0, "waterfront": 0.7, "transport": 0.5}
        return np.array([rate.get(k, 0.25) for k in kind_of_zone])[zone_positions(world.zones, px, py)]

    for cat in names:
        rows = np.flatnonzero(category == cat)
        k = len(rows)
        if cat in ("graffiti", "weeds"):  # on facades and walls / between paving stones
            weight, offset = ((_GRAFFITI_WEIGHT, (5.0, 10.0)) if cat == "graffiti" else (_WEEDS_WEIGHT, (1.0, 6.0)))

            def draw(i: np.ndarray, weight: dict = weight, offset: tuple = offset) -> tuple[np.ndarray, np.ndarray]:
                return _along_streets(world, rng, len(i), weight, offset)
        elif cat == "litter":
            def draw(i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                s = rng.choice(len(world.hot_xy), len(i), p=world.hot_weight)
                return (world.hot_xy[s, 0] + rng.normal(0, 50, len(i)), world.hot_xy[s, 1] + rng.normal(0, 50, len(i)))
        elif cat == "broken_light":
            near = rng.integers(0, len(broken), k)

            def draw(i: np.ndarray, near: np.ndarray = near) -> tuple[np.ndarray, np.ndarray]:
                angle, r = rng.uniform(0, 2 * np.pi, len(i)), rng.uniform(1.0, 6.0, len(i))
                return broken[near[i], 0] + r * np.cos(angle), broken[near[i], 1] + r * np.sin(angle)
        elif cat == "unsafe_place":
            def draw(i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                on_path = rng.random(len(i)) < 0.5
                px, py = _along_streets(world, rng, len(i), {"path": 1.0}, (0.0, 10.0))
                ux, uy = _uniform_in_zones(world, rng, len(i), zone_accept)
                return np.where(on_path, px, ux), np.where(on_path, py, uy)
        else:
            def draw(i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                return _uniform_in_zones(world, rng, len(i))
        x[rows], y[rows] = _draw_inside(world, rng, k, draw)

    # Created: day weighted by season per category, local hour 07..23.
    months = {"graffiti": [0.8, 0.8, 1, 1.1, 1.1, 1, 1, 1, 1.1, 1.1, 1, 0.9],
              "weeds": [0, 0, 0.1, 0.6, 1.5, 1.8, 1.6, 1.5, 1.0, 0.4, 0, 0],
              "litter": [0.6, 0.6, 0.7, 0.9, 1.1, 1.5, 1.7, 1.5, 1, 0.8, 0.7, 0.9],
              "broken_light": [1.6, 1.4, 1.1, 0.8, 0.5, 0.3, 0.3, 0.5, 0.9, 1.3, 1.6, 1.7],
              "unsafe_place": [1.3, 1.2, 1, 0.9, 0.8, 0.7, 0.8, 0.9, 1, 1.2, 1.4, 1.4],
              "other": [1.0] * 12}
    day = np.empty(n)
    for cat in names:
        rows = np.flatnonzero(category == cat)
        day[rows] = rng.choice(_days_in(year), len(rows), p=_day_weights(year, np.array(months[cat], float)))
    hour = rng.uniform(7, 23, n)
    created = _local_to_utc(year, day * 86_400.0 + hour * 3600.0).dt.floor("s")
    created_ns = _ns(created)
    year_end_ns = _ns(_local_to_utc(year, np.array([_days_in(year) * 86_400.0])))[0]

    # Closed: most graffiti and weeds in the next removal round (working hours, at least a day after the
    # report; urgent ones like the rest), everything else 1-30 days after the report.
    closed_ns = created_ns + ((1 + rng.gamma(1.6, 4.5, n).clip(0, 29)) * _DAY_NS).astype(np.int64)
    in_rounds = np.isin(category, ["graffiti", "weeds"]) & (rng.random(n) >= 0.12)
    round_closed = np.full(n, np.iinfo(np.int64).max)
    for month, first, last in reversed(REMOVAL_ROUNDS):
        round_day = (pd.Timestamp(year, month, first) - pd.Timestamp(year, 1, 1)).days + rng.integers(
            0, last - first + 1, n)
        when = _ns(_local_to_utc(year, round_day * 86_400.0 + rng.uniform(7, 16, n) * 3600.0))
        round_closed = np.where(created_ns + _DAY_NS < when, when, round_closed)
    closed_ns = np.where(in_rounds, round_closed, closed_ns)
    closed = closed_ns < year_end_ns
    waiting_round = in_rounds & ~closed
    age_days = (year_end_ns - created_ns) / _DAY_NS
    status = np.where(closed, "closed",
                      np.where(waiting_round, np.where(rng.random(n) < 0.75, "scheduled", "acknowledged"),
                               np.where(age_days < 7, "open",
                                        np.where(rng.random(n) < 0.5, "acknowledged", "scheduled")))).astype(object)
    closed_at = pd.Series(pd.to_datetime(np.where(closed, closed_ns, 0), utc=True)).where(closed, pd.NaT)
    closed_at = closed_at.dt.floor("s")
    close_reason = np.array([_CLOSE_REASONS[c] for c in category], dtype=object)
    close_reason[~closed] = None

    # Unsafe places: when and why, dark and park areas more about lighting and hidden views.
    when = np.full(n, None, dtype=object)
    why = np.full(n, None, dtype=object)
    description = np.empty(n, dtype=object)
    unsafe = np.flatnonzero(category == "unsafe_place")
    when[unsafe] = np.array(["day", "evening", "night"], dtype=object)[rng.choice(3, len(unsafe), p=[0.1, 0.45, 0.45])]
    park = np.zeros(len(unsafe), bool)
    if kind_of_zone is not None:
        position = zone_positions(world.zones, x[unsafe], y[unsafe])
        park = np.isin(np.append(kind_of_zone, "none")[position], ["park", "waterfront"])
    reasons = np.array(["lighting", "people", "hidden_view", "traffic", "other"], dtype=object)
    why[unsafe] = np.where(park, reasons[rng.choice(5, len(unsafe), p=[0.45, 0.2, 0.28, 0.02, 0.05])],
                           reasons[rng.choice(5, len(unsafe), p=[0.22, 0.42, 0.14, 0.14, 0.08])])
    for i in range(n):  # a few hundred rows
        texts = _UNSAFE_TEXTS[why[i]] if category[i] == "unsafe_place" else _REPORT_TEXTS[category[i]]
        description[i] = texts[int(rng.integers(len(texts)))]
        if when[i] == "night":
            description[i] = description[i].replace("på kvällen", "på natten")
    contact = np.full(n, None, dtype=object)
    with_contact = np.flatnonzero(rng.random(n) < 0.2)
    contact[with_contact] = [f"boende{k}@example.org" for k in rng.integers(100, 1000, len(with_contact))]

    order = np.argsort(created_ns, kind="stable")
    lon, lat = world.lonlat(x[order], y[order])
    return pd.DataFrame({
        "id": _ids(f"{year}-rep", n, 4), "category": category[order], "description": description[order],
        "created_at": created.iloc[order].reset_index(drop=True), "status": status[order],
        "closed_at": closed_at.iloc[order].reset_index(drop=True), "close_reason": close_reason[order],
        "when": when[order], "why": why[order], "photo": None, "contact": contact[order], "source": SOURCE,
        "lon": lon, "lat": lat})


# ---------------------------------------------------------------- patrol pings

def _pings(world: _World, year: int, rng: np.random.Generator,
           progress: Callable[[float], None], ping_every_s: int = 1) -> pd.DataFrame:
    """Raw patrol pings (1 Hz, or every ``ping_every_s`` seconds): shifts of 1-3 h per unit
    walking/cycling the street graph, ~900 h in all."""
    total_hours = rng.uniform(870.0, 930.0)
    days = pd.date_range(pd.Timestamp(year, 1, 1), periods=_days_in(year), freq="D")
    weekday = days.day_of_week.to_numpy()
    day_p = _day_weights(year, np.array([0.8, 0.8, 0.9, 1, 1.1, 1.3, 1.4, 1.3, 1.1, 1, 0.9, 0.9]),
                         np.array([0.8, 0.8, 0.9, 1.0, 1.8, 1.8, 0.7]))
    frames = []
    for u, (unit, mode, crew, share, every_s) in enumerate(_UNITS):
        every_s = max(every_s, ping_every_s)
        durations: list[int] = []
        while sum(durations) < total_hours * share * 3600:
            durations.append(int(rng.integers(4, 13)) * 900)  # 1-3 h in quarter hours
        shift_days = np.sort(rng.choice(len(days), size=len(durations), replace=False, p=day_p))
        weekend_night = np.isin(weekday[shift_days], [4, 5]) & (rng.random(len(shift_days)) < 0.5)
        start_h = np.where(weekend_night, rng.uniform(21.0, 23.5, len(shift_days)),
                           rng.uniform(13.0, 20.5, len(shift_days)))
        start_s = shift_days * 86_400.0 + np.round(start_h * 12) * 300.0
        starts_ns = _ns(_local_to_utc(year, start_s))
        xs, ys, ts = [], [], []
        for start, duration in zip(starts_ns, durations):
            x, y = _patrol(world, rng, mode, duration)
            xs.append(x[::every_s]), ys.append(y[::every_s])
            ts.append(start + np.arange(0, duration, every_s, dtype=np.int64) * 1_000_000_000)
        x, y, t = np.concatenate(xs), np.concatenate(ys), np.concatenate(ts)
        x, y = x + _gps_error(rng, len(x)), y + _gps_error(rng, len(y))
        lon, lat = world.lonlat(x, y)
        frames.append(pd.DataFrame({"unit_id": unit, "timestamp": pd.to_datetime(t, utc=True), "mode": mode,
                                    "crew": np.full(len(t), crew, dtype=np.int64), "source": SOURCE,
                                    "lon": lon, "lat": lat}))
        progress((u + 1) / len(_UNITS))
    return pd.concat(frames, ignore_index=True)



_LOGGED_ZONES = {"stora-torg": 0.4, "norre-katts-park": 0.3, "ostra-stranden": 0.3}
"""Where the demo's horse patrol (known from the presence log only) is logged, and how often."""


def _presence_log(world: _World, year: int, pings: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A presence log as the police's system would export it (text columns): 25 evenings of a horse
    patrol (crew 2, 1-2 h, by zone id) that has no GPS, and 10 shifts of demo-fot-1 that its GPS
    covers too (by the point where the shift began), so the overlap is reported."""
    days = np.sort(rng.choice(_days_in(year), size=25, replace=False))
    start_s = days * 86_400.0 + np.round(rng.uniform(17.0, 21.0, len(days)) * 4) * 900.0
    starts = _local_to_utc(year, start_s)
    ends = starts + pd.to_timedelta(rng.integers(4, 9, len(days)) * 900, unit="s")
    horse = pd.DataFrame({"unit_id": "demo-hast-1", "start": starts.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "end": ends.dt.strftime("%Y-%m-%dT%H:%M:%SZ"), "mode": "horse", "crew": "2",
                          "zone_id": rng.choice(list(_LOGGED_ZONES), len(days), p=list(_LOGGED_ZONES.values())),
                          "lon": "", "lat": ""})
    foot = pings[pings["unit_id"] == "demo-fot-1"]
    shift = (foot["timestamp"].diff() > pd.Timedelta(minutes=30)).cumsum()
    shifts = foot.groupby(shift).agg(start=("timestamp", "first"), end=("timestamp", "last"), lon=("lon", "first"),
                                     lat=("lat", "first"))
    chosen = shifts.iloc[np.sort(rng.choice(len(shifts), size=min(10, len(shifts)), replace=False))]
    gps = pd.DataFrame({"unit_id": "demo-fot-1", "start": chosen["start"].dt.floor("15min").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "end": chosen["end"].dt.ceil("15min").dt.strftime("%Y-%m-%dT%H:%M:%SZ"), "mode": "foot",
                        "crew": "2", "zone_id": "", "lon": chosen["lon"].round(6).astype(str),
                        "lat": chosen["lat"].round(6).astype(str)})
    return pd.concat([horse, gps], ignore_index=True).astype(str)


def _gps_error(rng: np.random.Generator, n: int) -> np.ndarray:
    """Smooth GPS error along one axis (m): AR(1), sigma 4 m, correlation time ~2 min."""
    phi = np.exp(-1.0 / _GPS_CORRELATION_S)
    shocks = rng.normal(0.0, _GPS_SIGMA_M * np.sqrt(1 - phi * phi), n)
    shocks[0] = rng.normal(0.0, _GPS_SIGMA_M)
    return lfilter([1.0], [1.0, -phi], shocks)


def _patrol(world: _World, rng: np.random.Generator, mode: str, duration: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (EPSG:3006) at 1 Hz for ``duration`` seconds of a random walk over the street graph.

    Foot 3.5-5.5 km/h with short pauses; bike 6-14 km/h (mostly below 10) on streets and paths, 5-9 km/h on
    pedestrian streets and squares; a car 20-40 km/h; stops of 5-15 (foot), 10-15 (bike) or 10-25
    (a car parked) minutes at hot spots.
    """
    node = int(world.walk_nodes[rng.integers(len(world.walk_nodes))])
    foot = mode == "foot"
    base = rng.uniform(3.8, 5.0) / 3.6
    stops_left = int(rng.integers(1, 4)) if foot else int(rng.integers(2, 5))
    last_stop = -1e9
    pieces: list[np.ndarray] = []
    knot_t, knot_d = [0.0], [0.0]
    t = d = 0.0
    prev = -1
    u = rng.random((512, 6))
    i = 0
    while t < duration:
        if i == len(u):
            u, i = rng.random((512, 6)), 0
        r = u[i]
        i += 1
        options = world.adjacency[node]
        if len(options) > 1 and prev >= 0 and r[0] >= 0.05:
            options = [o for o in options if o[0] != prev] or options
        edge, forward = options[int(r[1] * len(options))]
        piece = world.edge_xy[edge] if forward else world.edge_xy[edge][::-1]
        pieces.append(piece if not pieces else piece[1:])
        length = world.edge_len[edge]
        if foot:
            speed = min(max(base * (0.85 + 0.3 * r[2]), 3.5 / 3.6), 5.5 / 3.6)
        elif mode == "car":
            speed = (20.0 + 20.0 * r[2]) / 3.6
        elif world.edge_kind[edge] in ("pedestrian", "square"):
            speed = (5.0 + 4.0 * r[2]) / 3.6
        else:
            speed = (6.0 + 8.0 * r[2] ** 2) / 3.6  # mostly patrol pace, now and then faster
        t += length / speed
        d += length
        knot_t.append(t), knot_d.append(d)
        node = int(world.edge_nodes[edge, 1 if forward else 0])
        prev = edge
        pause = 0.0
        if node in world.hot_nodes and stops_left > 0 and r[3] < 0.6 and t - last_stop > 900:
            pause = (300 + 600 * r[4]) if foot else (600 + 900 * r[4]) if mode == "car" else (600 + 300 * r[4])
            stops_left -= 1
            last_stop = t + pause
        elif r[3] < (0.25 if foot else 0.15):
            pause = 5 + 40 * r[4]
        if pause:
            t += pause
            knot_t.append(t), knot_d.append(d)
    path = np.concatenate(pieces)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
    dist = np.interp(np.arange(duration, dtype=float), knot_t, knot_d)
    return np.interp(dist, cum, path[:, 0]), np.interp(dist, cum, path[:, 1])

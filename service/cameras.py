"""Camera surveillance at the edges: the stored cameras' view polygons (kept per version of the
cameras and the buildings) and what they cover per camera and per status, and the what-if of
cameras not stored (:mod:`geo.cameras` computes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

import geopandas as gpd
import pandas as pd

from geo.cameras import covered_hotspots, sectors, seen, street_metres, union_view, view_polygons
from geo.crs import SWEREF99TM, WGS84, to_metric
from geo.errors import Message, ValidationError
from geo.hotspots import incident_hotspots
from geo.layers import CAMERA_STATUSES, CAMERAS, INCIDENTS, REPORTS, USABLE_PRECISION, validate
from geo.timestamps import LOCAL_TZ, local_year
from geo.zones import zone_of
from service.camera_drawing import drawing
from service.context import Context
from service.errors import NoSuchThing
from service.store import FeatureQuery, Store

CAMERA_TOPICS = ("cameras", "lights")
"""The data the view polygons are made of: the cameras, and the buildings (stored surfaces count
as the lights' topic)."""
FIGURE_TOPICS = (*CAMERA_TOPICS, "incidents", "reports")
WHAT_IF_MAX_CAMERAS = 50
"""The most cameras a what-if takes."""
WHAT_IF_REACH_M = 200.0
"""How far outside the zones a what-if camera may stand (metres)."""
NO_ENTRANCES = "no entrance data: entrances seen are not counted"
"""What the figures say of entrances while no entrance data exists (none is made up)."""


def views_of(cameras: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The view polygons of ``cameras`` (a cameras layer) among ``buildings``, WGS84, with each
    camera's ``id``, ``name``, ``status`` and ``area_m2``."""
    views = view_polygons(cameras, buildings)
    return gpd.GeoDataFrame({"id": cameras["id"].to_numpy(), "name": cameras["name"].to_numpy(),
                             "status": cameras["status"].to_numpy(), "area_m2": views.area.round(1).to_numpy()},
                            geometry=views.to_crs(WGS84).to_numpy(), crs=WGS84)


def camera_views(state: Context) -> gpd.GeoDataFrame:
    """The stored cameras' view polygons (:func:`views_of`), computed once per version of the
    cameras and buildings."""
    store = state.store
    return state.pages.get(("camera views",), lambda: views_of(store.read_features(CAMERAS),
                                                              store.read_surfaces("buildings")),
                           topics=CAMERA_TOPICS)


def latest_incident_year(store: Store) -> int:
    """The local year of the newest incident (this year when there is none)."""
    latest = store.query_features(INCIDENTS, FeatureQuery(newest_first=True), limit=1).frame["occurred_at"]
    return int(latest.dt.tz_convert(LOCAL_TZ).dt.year.iloc[0]) if len(latest) else pd.Timestamp.now(tz=LOCAL_TZ).year


@dataclass(frozen=True)
class Ground:
    """What views are measured against: the ``hotspots`` of the incidents located in the zones
    (WGS84, for maps and lists) and, reprojected once to SWEREF 99 TM for every view measured, the
    same hot spots (``metric_hotspots``), those ``incidents``, citizens' ``unsafe`` marks and the
    ``streets`` (none: empty)."""

    hotspots: gpd.GeoDataFrame
    metric_hotspots: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    unsafe: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame

    @classmethod
    def of(cls, incidents: gpd.GeoDataFrame, unsafe: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
           streets: gpd.GeoDataFrame | None) -> Ground:
        """The ground of ``incidents`` (any precision and place; those located in ``zones`` count)."""
        located = incidents[incidents["location_precision"].isin(USABLE_PRECISION)]
        inside = located[pd.notna(zone_of(zones, located.geometry.x.to_numpy(), located.geometry.y.to_numpy()))]
        hotspots = incident_hotspots(inside, zones)
        lines = streets if streets is not None else gpd.GeoDataFrame(
            {"name": []}, geometry=gpd.GeoSeries([], crs=SWEREF99TM), crs=SWEREF99TM)
        return cls(hotspots, to_metric(hotspots), to_metric(inside), to_metric(unsafe), to_metric(lines))

    def seen(self, views: gpd.GeoDataFrame, min_count: int | None) -> dict:
        """What ``views`` (WGS84 polygons) cover together (:func:`geo.cameras.seen`), with the hot
        spots they cover (``covered_hotspots``)."""
        figures = seen(union_view(to_metric(views).geometry), self.metric_hotspots, self.incidents, self.unsafe,
                       self.streets, min_count)
        return figures.as_dict() | {"covered_hotspots": covered_hotspots(figures)}

    def by_status(self, views: gpd.GeoDataFrame, min_count: int | None) -> dict[str, dict]:
        """:meth:`seen` of the views of each camera status, with the number of cameras."""
        return {status: {"cameras": int((views["status"] == status).sum())}
                | self.seen(views[views["status"] == status], min_count) for status in CAMERA_STATUSES}


def year_ground(state: Context, year: int) -> Ground:
    """The :class:`Ground` of ``year``'s incidents and unsafe-place marks, made once per version of
    the incidents and reports."""
    def build() -> Ground:
        start, end = local_year(year)
        incidents = state.store.read_features(INCIDENTS, query=FeatureQuery(start=start, end=end))
        unsafe = state.store.read_features(REPORTS, query=FeatureQuery(start=start, end=end,
                                                                       categories=("unsafe_place",)))
        return Ground.of(incidents, unsafe, state.zones, state.streets)

    return state.pages.get(("camera ground", year), build, topics=("incidents", "reports"))


def camera_figures(state: Context, year: int | None, min_count: int | None) -> dict:
    """What each stored camera, and the cameras of each status together, cover in ``year`` (None:
    the newest incident's): area seen, each hot spot's incidents inside, unsafe-place marks inside
    (None below ``min_count``, and a status's where its cameras' would give a small count away; ``min_count`` None for
    staff: exact), street metres by name and entrances (None, with :data:`NO_ENTRANCES`: no
    entrance data exists)."""
    year = latest_incident_year(state.store) if year is None else year

    def build() -> dict:
        ground = year_ground(state, year)
        views = camera_views(state)
        per_camera = [{"id": row.id, "name": None if pd.isna(row.name) else row.name, "status": row.status}
                      | ground.seen(views.iloc[[i]], min_count) for i, row in enumerate(views.itertuples())]
        by_status = _hide_derivable_counts(ground.by_status(views, min_count), per_camera, min_count is not None)
        return {"year": year, "hotspots": _hotspot_list(ground.metric_hotspots), "cameras": per_camera,
                "by_status": by_status, "suppressed_below": min_count, "entrances_note": NO_ENTRANCES}

    return state.pages.get(("camera figures", year, min_count), build, topics=FIGURE_TOPICS)


def _hide_derivable_counts(by_status: dict[str, dict], per_camera: list[dict], public: bool) -> dict[str, dict]:
    """``by_status`` as the public may see it: a status's ``unsafe_places`` suppressed (None) where
    one of its cameras' is (the status's count less the others' shown counts would give the hidden
    one), or where two or more of its cameras' are shown (their sum less the status's count would
    be the marks their views share, however few). Staff (``public`` False): unchanged."""
    if not public:
        return by_status
    shown = Counter(camera["status"] for camera in per_camera if camera["unsafe_places"] is not None)
    hidden = {camera["status"] for camera in per_camera if camera["unsafe_places"] is None}
    return {status: figures | {"unsafe_places": None} if status in hidden or shown[status] > 1 else figures
            for status, figures in by_status.items()}


def _hotspot_list(hotspots: gpd.GeoDataFrame) -> list[dict]:
    """Each hot spot (SWEREF 99 TM polygons) with its incidents and centre (WGS84 lon, lat)."""
    centre = hotspots.geometry.centroid.to_crs(WGS84)
    return [{"hotspot_id": h, "incidents": int(n), "lon": round(float(p.x), 6), "lat": round(float(p.y), 6)}
            for h, n, p in zip(hotspots["hotspot_id"], hotspots["incidents"], centre)]


def what_if(state: Context, cameras: gpd.GeoDataFrame, year: int | None) -> dict:
    """What ``cameras`` (a cameras layer: the stored ones of a status, or cameras given) would
    cover together in ``year`` (None: the newest incident's), for staff (exact counts): which hot
    spots and how many of their incidents, and the figures of :func:`camera_figures`."""
    year = latest_incident_year(state.store) if year is None else year
    ground = year_ground(state, year)
    views = views_of(cameras, state.store.read_surfaces("buildings")) if len(cameras) else gpd.GeoDataFrame(
        {"id": []}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    return {"year": year, "cameras": [{"id": i, "area_m2": float(a)} for i, a in zip(views["id"], views.get("area_m2", []))],
            **ground.seen(views, None), "entrances_note": NO_ENTRANCES}


def stored_cameras(store: Store, status: str) -> gpd.GeoDataFrame:
    """The stored cameras of ``status`` (one of :data:`geo.layers.CAMERA_STATUSES`)."""
    if status not in CAMERA_STATUSES:
        raise ValidationError(Message("status must be one of {statuses}", statuses=", ".join(CAMERA_STATUSES)),
                              field="status")
    return store.read_features(CAMERAS, query=FeatureQuery(statuses=(status,)))


def given_cameras(state: Context, body: list[Mapping]) -> gpd.GeoDataFrame:
    """Cameras given in a what-if's body: objects with ``lon``, ``lat``, ``direction_deg``,
    ``fov_deg``, ``range_m`` and optionally ``id``, ``name``, ``height_m`` (default 6) and
    ``status`` (default proposed), validated as the cameras layer; at most
    :data:`WHAT_IF_MAX_CAMERAS`, each within :data:`WHAT_IF_REACH_M` of the zones."""
    if not 1 <= len(body) <= WHAT_IF_MAX_CAMERAS:
        raise ValidationError(Message("give 1 to {most} cameras", most=WHAT_IF_MAX_CAMERAS), field="cameras")
    raw = pd.DataFrame([{"id": f"what-if-{i + 1}", "height_m": 6.0, "status": "proposed"} | dict(camera)
                        for i, camera in enumerate(body)])
    raw["_row"] = [f"camera {i + 1}" for i in range(len(raw))]
    cameras = validate(CAMERAS, raw, "cameras")
    reach = to_metric(state.zones).union_all().buffer(WHAT_IF_REACH_M)
    outside = ~to_metric(cameras).within(reach).to_numpy()
    if outside.any():
        raise ValidationError(Message("the camera stands more than {reach_m} m outside the centre's zones",
                                      reach_m=WHAT_IF_REACH_M),
                              row=f"camera {int(outside.argmax()) + 1}", field="lon/lat")
    return cameras


def camera_drawing(state: Context, camera_id: str, kind: Literal["png", "pdf"], day: date) -> bytes:
    """The printable drawing of the stored camera ``camera_id`` (:mod:`service.camera_drawing`);
    :class:`service.errors.NoSuchThing` for an unknown id."""
    found = state.store.read_features(CAMERAS, query=FeatureQuery(ids=(camera_id,)))
    if found.empty:
        raise NoSuchThing(Message("no camera {camera_id!r}", camera_id=camera_id))
    camera = found.iloc[0]
    buildings = state.store.read_surfaces("buildings")
    view = view_polygons(found, buildings).iloc[0]
    street_m = {} if state.streets is None else street_metres(view, state.streets)
    return drawing(camera, view, sectors(found).iloc[0], buildings, state.streets, street_m, day, kind)

"""The service's JSON answers as pydantic models — documentation only.

The routes attach them with ``responses={200: {"model": ..., "description": ...}}`` (201 for
creations), so ``/docs`` and ``/openapi.json`` show what each endpoint returns. They are never a
``response_model``: answers are not validated or filtered on the way out and stay exactly what the
code builds. Every model forbids members it does not list (GeoJSON foreign members of the zones
file excepted), so ``tests/service/test_response_models.py``, which validates real answers against
these models and the OpenAPI document, fails when an answer and its documentation part.

Conventions: ``*_at`` and ``timestamp`` times are ISO 8601 UTC with milliseconds and ``Z``
(``2020-03-14T20:30:00.000Z``); dates are local (Europe/Stockholm) ``YYYY-MM-DD``; ``*_h`` are
hours, ``*_min`` minutes, ``*_m`` metres, ``*_m2`` square metres, ``*_ha`` hectares, ``*_lx`` lux;
shares are 0–1; positions are WGS84 degrees. Citizens' counts below k (``suppressed_below``) are
null in the public answers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

Absent = SkipJsonSchema[None]
"""For a member some answers leave out (never null): not part of the documented type."""


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def sometimes(description: str) -> Any:
    """A member only some answers have: not required in the schema."""
    return Field(None, description=description, json_schema_extra=_no_default)


class Answer(BaseModel):
    """A documented answer: exactly the members listed, each of its JSON type."""

    model_config = ConfigDict(extra="forbid", strict=True)


ZONE_ID = "the zone's ``zone_id`` (from the zones file)"
ZONE_NAME = "the zone's name"
UTC = "ISO 8601 UTC, milliseconds, ``Z``"
K = "k: citizens' counts below it are null (public answers); null for staff tokens (exact counts)"


# -- GET /health -----------------------------------------------------------------------------------

class RecordCounts(Answer):
    """Records stored per layer."""

    incidents: int
    lights: int
    reports: int
    patrols: int = Field(description="patrol pings")
    events: int
    cameras: int


class Health(Answer):
    """Liveness and what the service is serving."""

    status: Literal["ok"]
    store: str = Field(description="the kind of store (``geopackage``, ``postgis``, …), never where it is")
    schema_version: int = Field(description="the store's schema version")
    zones: int = Field(description="zones served")
    records: RecordCounts
    demo_data: str | None = Field(description="what synthetic demo data the store holds; null for real data only")


# -- GeoJSON: GET /api/zones and /api/layers/{layer} ---------------------------------------------------

class PolygonGeometry(Answer):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]] = Field(description="rings of [longitude, latitude] (WGS84 degrees, "
                                                             "6 decimals), exterior counter-clockwise")


class MultiPolygonGeometry(Answer):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[list[float]]]] = Field(description="polygons of rings of [longitude, latitude]")


class PointGeometry(Answer):
    type: Literal["Point"]
    coordinates: list[float] = Field(description="[longitude, latitude], WGS84 degrees, 7 decimals")


class ZoneProperties(Answer):
    zone_id: str = Field(description="stable lowercase slug")
    name: str
    kind: str = Field(description="square, street, park, waterfront, transport or mixed")
    lighting_class: str = Field(description="the zone's target EN 13201-2 pedestrian class, P1–P6")
    area_m2: float = Field(description="area in m², computed in SWEREF 99 TM, 1 decimal")


class ZoneFeature(Answer):
    type: Literal["Feature"]
    properties: ZoneProperties
    geometry: Annotated[Union[PolygonGeometry, MultiPolygonGeometry], Field(discriminator="type")]


class ZoneCollection(Answer):
    """The zones as an RFC 7946 FeatureCollection, with the zones file's other top-level members
    (``source``, ``licence``, ``date``, ``approximate``, …) as foreign members."""

    model_config = ConfigDict(extra="allow")
    type: Literal["FeatureCollection"]
    features: list[ZoneFeature] = Field(description="the zones in file order")


class IncidentProperties(Answer):
    """An incident as police and planner tokens see it."""

    id: str
    occurred_at: str = Field(description=UTC)
    category: str = Field(description="misshandel, rån, stöld, skadegörelse, ordningsstörning, narkotika or "
                                      "övrigt")
    location_precision: str = Field(description="exact, street, town or county")
    source: str


class PublicIncidentProperties(Answer):
    """An incident as everyone else sees it: moved to the centre of its 50 m grid cell, date only."""

    category: str
    date: str = Field(description="local date, YYYY-MM-DD")
    location_precision: str = Field(description="exact, street, town or county")
    source: str


class LightProperties(Answer):
    id: str
    lumen: float = Field(description="luminous flux, lm")
    height_m: float = Field(description="mounting height, metres")
    status: str = Field(description="working, broken, planned or removed")
    luminaire: str
    updated_at: str | None = Field(description=UTC)
    azimuth_deg: float | None = Field(description="bearing the luminaire faces (its street side), degrees from north; "
                                                  "null: it faces the nearest street")
    tilt_deg: float = Field(description="tilt raising the street side, degrees")
    overhang_m: float = Field(description="the arm's reach from the pole, metres")
    watts: float | None = Field(description="power drawn, W; null when not recorded")
    installed_at: str | None = Field(description=UTC + "; null: there all along")
    removed_at: str | None = Field(description=UTC + "; null: not removed")
    source: str


class ReportProperties(Answer):
    """A citizen report (never its contact details; unsafe places only for staff tokens)."""

    id: str
    category: str = Field(description="graffiti, weeds, litter, broken_light, unsafe_place or other")
    description: str
    created_at: str = Field(description=UTC)
    status: str = Field(description="open, acknowledged, scheduled or closed")
    closed_at: str | None = Field(description=UTC)
    close_reason: str | None
    when: str | None = Field(description="unsafe places: day, evening or night")
    why: str | None = Field(description="unsafe places: lighting, people, hidden_view, traffic or other")
    photo: str | None = Field(description="the photo's address (staff only) or an Open311 media_url")
    attributes: str | None = Field(description="answers to the category's Open311 attributes: a JSON object from "
                                               "code to key")
    source: str


class LayerReportProperties(ReportProperties):
    """A citizen report in the layers API, with its support."""

    supporters: int = Field(description="citizens who have seen it too (\"Jag har också sett det\")")


class PatrolPingProperties(Answer):
    """A patrol ping (police tokens only)."""

    unit_id: str
    timestamp: str = Field(description=UTC)
    mode: str = Field(description="foot, bike, horse or car")
    crew: int = Field(description="officers in the unit")
    source: str


class EventProperties(Answer):
    """An event in the centre."""

    id: str
    name: str
    starts_at: str = Field(description=UTC)
    ends_at: str = Field(description=UTC + "; after starts_at")
    kind: str = Field(description="festival, market, nightlife, concert, sport, culture or other")
    expected_visitors: int | None
    organiser: str | None
    source: str


class LayerFeature(Answer):
    type: Literal["Feature"]
    properties: Union[IncidentProperties, PublicIncidentProperties, LightProperties, LayerReportProperties,
                      PatrolPingProperties, EventProperties] = Field(description="the layer's fields the caller may see")
    geometry: PointGeometry | PolygonGeometry | MultiPolygonGeometry | None = Field(
        description="a Point; an event held on an area is its Polygon or MultiPolygon; null in public answers for an "
                    "incident the police placed only at a town's or county's centroid")


class Link(Answer):
    rel: Literal["next"]
    href: str = Field(description="the same query's next page")


class LayerCollection(Answer):
    """A page of a layer as an RFC 7946 FeatureCollection."""

    type: Literal["FeatureCollection"]
    numberMatched: int = Field(description="features matching the filters, on every page")
    numberReturned: int = Field(description="features on this page")
    links: list[Link] = Field(description="the next page, when there is one")
    features: list[LayerFeature]


# -- citizen reports ---------------------------------------------------------------------------------

class ReportCreated(Answer):
    """The stored report."""

    id: str
    category: str
    status: str = Field(description="open")
    created_at: str = Field(description=UTC)
    zone_id: str = Field(description=ZONE_ID)
    lon: float = Field(description="WGS84 degrees")
    lat: float = Field(description="WGS84 degrees")
    photo: str | None = Field(description="the photo's address (for staff), null without a photo")
    possible_duplicates: list[str] = Field(description="ids of open reports of the same category within 15 m "
                                                       "(never for unsafe places)")
    page: str | None = Field(description="the report's public page, where its status can be followed (null for "
                                         "unsafe places, which have none)")
    text_held: bool = Field(description="the description waits for review before it is public (it holds a link "
                                        "or a word of the moderation list); the report itself is public")


class ModerationFlags(Answer):
    """A report's moderation after the change."""

    id: str
    text_hidden: bool = Field(description="staff hid the description: the public sees none")
    photo_hidden: bool = Field(description="staff hid the photo (or Open311 media_url): the public sees none")
    text_held: bool = Field(description="the description waits for review (a link or a listed word): the public "
                                        "sees none until staff release it")


class ModerationEvent(Answer):
    """A row of a report's moderation history."""

    action: str = Field(description="hold_text (on submission), hide_text, restore_text, hide_photo, restore_photo "
                                    "or release_text")
    reason: str
    actor_role: str = Field(description="the role of who did it (moderation: the automatic hold)")
    actor_label: str = Field(description="a token's label and id, or `NAME (inloggad)`")
    at: str = Field(description=UTC)


class ModerationState(Answer):
    """What staff see of a report's moderation: its text and photo as stored, also while withheld."""

    id: str
    category: str
    description: str = Field(description="as the citizen wrote it, also while hidden or held")
    photo: str | None = Field(description="the photo's address or media_url, also while hidden; null without one")
    text_hidden: bool
    photo_hidden: bool
    text_held: bool
    history: list[ModerationEvent] = Field(description="oldest first")


class ReportSupported(Answer):
    """A citizen's support counted."""

    id: str
    supporters: int = Field(description="citizens who have seen the report too, this one included")


class ReportUpdated(Answer):
    """The report after the move."""

    id: str
    category: str
    status: str = Field(description="acknowledged, scheduled or closed")
    close_reason: str | None
    closed_at: str | None = Field(description=UTC)


class ReportMerged(Answer):
    """The duplicate after the merge, and the report kept."""

    id: str = Field(description="the duplicate")
    status: str = Field(description="closed")
    close_reason: str = Field(description="'dubblett av ' and the kept report's id")
    into: str = Field(description="the report kept")
    supporters: int = Field(description="citizens who have seen the kept report too, now")


class UnsafeWhen(Answer):
    """Pins by time of day (null when suppressed, or when the zone's count is)."""

    day: int | None
    evening: int | None
    night: int | None


class UnsafeWhy(Answer):
    """Pins by reason (null when suppressed, or when the zone's count is)."""

    lighting: int | None
    people: int | None
    hidden_view: int | None
    traffic: int | None
    other: int | None


class UnsafeZone(Answer):
    zone_id: str = Field(description=ZONE_ID)
    name: str = Field(description=ZONE_NAME)
    count: int | None = Field(description="unsafe-place pins in the zone; null when suppressed")
    when: UnsafeWhen
    why: UnsafeWhy


class UnsafePlaces(Answer):
    """Unsafe-place pins per zone, never individual pins."""

    suppressed_below: int | None = Field(description=K)
    zones: list[UnsafeZone] = Field(description="every zone, in the zones' order")
    total: int = Field(description="all pins, exact (also those outside the zones)")


# -- POST /api/patrols --------------------------------------------------------------------------------

class PatrolImport(Answer):
    """What the upload stored."""

    file: str = Field(description="the uploaded file's name")
    read: int = Field(description="rows (pings) read")
    imported: int = Field(description="pings stored")
    skipped: dict[str, int] = Field(description="pings not stored, by reason (``already stored``: a re-upload)")
    summary: str = Field(description="the same as one line, as the command line prints it")


# -- the safety survey ----------------------------------------------------------------------------------

class SurveyImported(Answer):
    """What the import stored."""

    year: int = Field(description="the survey's year (from the file)")
    file: str = Field(description="the results file's name")
    results: int = Field(description="results stored (rows of year, area and question)")
    places: int = Field(description="marked places stored")
    replaced: int = Field(description="rows of the year's earlier survey replaced")
    summary: str = Field(description="the same as one line, as the command line prints it")


class SurveyResult(Answer):
    """One question in one area."""

    question: str = Field(description="the question's code")
    question_text: str = Field(description="the question in Swedish as it was asked")
    area: str = Field(description="a zone's ``zone_id``, or ``centrum`` for the whole centre")
    name: str = Field(description="the area's Swedish name")
    answers: int = Field(description="respondents who answered")
    share: float | None = Field(description="share who said yes, 0–1; null from fewer than k answers (public)")
    low: float | None = Field(description="Wilson 95 % interval's lower end, 0–1")
    high: float | None = Field(description="Wilson 95 % interval's upper end, 0–1")
    previous_year: int | None = Field(description="the previous survey of this area and question; null when none")
    previous_share: float | None = Field(description="its share, 0–1")
    change: float | None = Field(description="share − previous share (−1 to 1)")
    change_low: float | None = Field(description="Newcombe's 95 % interval of the change, lower end")
    change_high: float | None = Field(description="the interval's upper end")
    within_noise: bool | None = Field(description="the change's interval holds 0: it may be chance")
    source: str = Field(description="where the figures come from")


class SurveyCellProperties(Answer):
    count: int = Field(description="respondents' marks in the 50 m cell (at least k in public answers)")


class SurveyCell(Answer):
    type: Literal["Feature"]
    properties: SurveyCellProperties
    geometry: PolygonGeometry


class SurveyCells(Answer):
    type: Literal["FeatureCollection"]
    features: list[SurveyCell]


class SurveyFigures(Answer):
    """A year's safety survey."""

    year: int
    years: list[int] = Field(description="every year with a survey")
    confidence: float = Field(description="the intervals' confidence level (0.95)")
    suppressed_below: int | None = Field(description=K)
    results: list[SurveyResult] = Field(description="by question, then area: the whole centre, then the zones in file order")
    places: SurveyCells = Field(description="the places respondents marked, counted per 50 m cell (WGS84)")


# -- removal rounds -------------------------------------------------------------------------------------

class RemovalRoundRecorded(Answer):
    """The recorded round."""

    id: str
    date: str = Field(description="local date, YYYY-MM-DD")
    category: str = Field(description="graffiti or weeds")
    zones: list[str] = Field(description="zone ids the round covered")
    closed_reports: list[str] = Field(description="ids of the reports the round closed")


class HeldRound(Answer):
    id: str
    date: str = Field(description="local date, YYYY-MM-DD")
    zones: list[str] = Field(description="zone ids")
    closed_reports: int = Field(description="reports the round closed")


class RemovalCategory(Answer):
    """One category's rounds and reports in the year."""

    rounds: int = Field(description="rounds held (one a day at most)")
    promised_rounds: int | None = Field(description="rounds promised a year; null without a promise that year")
    promise_met: bool | None = Field(description="null without a promise that year")
    rounds_held: list[HeldRound]
    reports_closed: int = Field(description="reports closed in the year")
    median_days_to_removal: float | None = Field(description="days from report to closing, median; "
                                                             "null when none was closed")
    open_backlog: dict[str, int | None] = Field(description="open reports today per zone id; null when suppressed")


class RemovalFigures(Answer):
    """Rounds held against the promise, per category."""

    year: int
    suppressed_below: int | None = Field(description=K)
    categories: dict[str, RemovalCategory] = Field(description="per category: graffiti and weeds")


# -- coverage -------------------------------------------------------------------------------------------

class PresenceRulesUsed(Answer):
    max_gap_s: float = Field(description="longest gap between pings that counts for a unit sampling every few seconds, s")
    gap_factor: float = Field(description="a sparser unit's longest gap: this many of its sampling intervals")
    max_gap_cap_s: float = Field(description="no gap longer than this counts, s")
    window_s: float = Field(description="speed is the displacement over this window around an interval, s")
    foot_kmh: float = Field(description="highest speed of visible presence on foot, km/h")
    bike_kmh: float = Field(description="highest speed of visible presence on a bike, km/h")
    horse_kmh: float = Field(description="highest speed of visible presence on horseback, km/h")
    vehicle_kmh: float = Field(description="highest speed of vehicle presence (a car standing or at walking pace), km/h")
    exclusion_areas: int = Field(description="areas never counted (STADSKARNA_PRESENCE_EXCLUSIONS)")


class PresenceCounted(Answer):
    """Which presence the year's promise counts (its promises file; the defaults without a promise)."""

    hours: str = Field(description="unit (a patrol on the spot for an hour is an hour) or officer (× crew)")
    vehicles: bool = Field(description="whether vehicles standing or at walking pace count")
    reason: str = Field(description="why, as the promises file says")


class CentrePresence(Answer):
    """The whole centre (hours, 2 decimals)."""

    presence_h: float = Field(description="visible presence in the zones (foot, bike, horse), unit-hours")
    promise_h: float = Field(description="the hours the promise counts (see counts), in the zones")
    counts: PresenceCounted
    target_h: float | None = Field(description="hours promised for the year; null without a promise")
    expected_h_pro_rata: float | None = Field(description="the target's share for the time elapsed; null without one")
    projected_year_end_h: float = Field(description="the promise's hours at the year's end at the pace so far")
    share_of_year_elapsed: float
    status: str | None = Field(description="met, on track, behind or not met; null without a target")
    officer_h: float = Field(description="presence times crew, officer-hours")
    drive_through_h: float = Field(description="time moving faster than presence counts, hours")
    vehicle_h: float = Field(description="vehicle presence (a car standing or at walking pace) in the zones, hours")
    presence_log_h: float = Field(description="the part of the figures above from presence logs (the police's own "
                                              "logged hours, where no GPS of the unit covers them), hours")
    promise_log_h: float = Field(description="the part of promise_h from presence logs, hours")
    presence_log_overlap_h: float = Field(description="logged time GPS of the same unit covers too (counted from GPS), hours")
    outside_zones_presence_h: float


class ZonePresence(Answer):
    """One zone's presence (hours, 2 decimals; shares 4)."""

    zone_id: str = Field(description=ZONE_ID)
    name: str = Field(description=ZONE_NAME)
    presence_h: float = Field(description="visible presence (foot, bike, horse), unit-hours")
    promise_h: float = Field(description="the hours the promise counts (see centre.counts)")
    target_h: float | Absent = sometimes("the zone's share of the year's promised hours (see zone_targets); "
                                         "absent without a promise")
    officer_h: float
    drive_through_h: float
    vehicle_h: float
    presence_log_h: float = Field(description="the part of presence_h from presence logs, hours")
    promise_log_h: float = Field(description="the part of promise_h from presence logs, hours")
    days_with_presence: int
    longest_gap_days: int = Field(description="longest run of days without presence")
    night_17_20_h: float = Field(alias="night_17-20_h", description="presence 17–20 local time (Purple Flag band)")
    night_20_23_h: float = Field(alias="night_20-23_h", description="presence 20–23 local time")
    night_23_02_h: float = Field(alias="night_23-02_h", description="presence 23–02 local time")
    night_02_05_h: float = Field(alias="night_02-05_h", description="presence 02–05 local time")
    fri_sat_night_h: float = Field(description="presence on Friday and Saturday nights, 17–05")
    area_covered_share: float | None = Field(description="share of the zone's area presence reached")
    uncovered_area_m2: float
    street_covered_share: float | None | Absent = sometimes("share of the zone's street length presence reached "
                                                            "(with a streets file)")
    uncovered_street_m: float | Absent = sometimes("street length presence did not reach, metres "
                                                   "(with a streets file)")
    monthly_h: dict[str, float] = Field(description="presence hours per month, keyed YYYY-MM")


HOTSPOT_AREA = "m², the union of its 50 m grid cells (SWEREF 99 TM)"
HOTSPOT_Z = "the highest Getis-Ord Gi* z of its cells"
HOTSPOT_P = "the lowest p of its cells (one-sided, normal approximation; 3 significant digits)"


class PatrolHotspot(Answer):
    """An incident hot spot with the patrol presence it got (dosage)."""

    hotspot_id: str = Field(description="hs-1, hs-2, ... by incidents")
    incidents: int = Field(description="incidents in its grid cells")
    area_m2: float = Field(description=HOTSPOT_AREA)
    z: float = Field(description=HOTSPOT_Z)
    p: float = Field(description=HOTSPOT_P)
    zone_id: str | None = Field(description="the zone of its centre; null outside every zone")
    lon: float = Field(description="its centre, WGS84 degrees (6 decimals)")
    lat: float = Field(description="its centre, WGS84 degrees (6 decimals)")
    visits: int
    presence_min: float = Field(description="minutes")
    minutes_per_day: float
    minutes_per_week: float
    median_visit_min: float
    share_visits_under_10_min: float
    share_visits_10_15_min: float
    share_visits_over_15_min: float
    busy_windows_with_visit_share: float = Field(description="share of the busy 2-hour windows with a visit")


class HotspotMethod(Answer):
    """How the hot spots were found (Getis-Ord Gi* with a false-discovery-rate correction) and how visits count."""

    method: str = Field(description="getis-ord-gi*: each grid cell's incidents with its neighbours' against the grid's")
    cell_m: float = Field(description="side of a grid cell, metres (SWEREF 99 TM)")
    neighbours: str = Field(description="queen: a cell's eight neighbours and itself, a 3 × 3 block")
    p_values: str = Field(description="normal: one-sided, from Gi*'s z by the normal approximation")
    alpha: float = Field(description="the false discovery rate allowed among the hot cells")
    fdr: str = Field(description="benjamini-hochberg")
    p_threshold: float | None = Field(description="a cell is hot at or below this p (the FDR's threshold, 3 "
                                                  "significant digits); null without incidents")
    min_incidents: int = Field(description="hot spots holding fewer incidents are left out")
    grid_cells: int = Field(description="cells of the grid (those touching the zones)")
    buffer_m: float = Field(description="a unit this close to a hot spot's edge is in it (STADSKARNA_HOTSPOT_BUFFER_M), "
                                        "metres")
    min_visit_min: float = Field(description="shortest visit counted, minutes")
    koper_visit_min: list[float] = Field(description="the Koper window of a visit, minutes (shortest, longest)")
    koper_interval_h: float = Field(description="hours between visits, Koper")
    busy_windows: list[str] = Field(description="local hours, HH-HH")
    excluded_town_level_incidents: int = Field(description="incidents left out for a town-level position")


class NightHotspot(Answer):
    """A hot spot of one night band's or night type's incidents."""

    hotspot_id: str = Field(description="hs-1, hs-2, ... by incidents, within the band")
    zone_id: str | None = Field(description="the zone of its centre; null outside every zone")
    incidents: int = Field(description="the band's incidents in its grid cells")
    z: float = Field(description=HOTSPOT_Z)
    p: float = Field(description=HOTSPOT_P)
    lon: float = Field(description="its centre, WGS84 degrees (6 decimals)")
    lat: float = Field(description="its centre, WGS84 degrees (6 decimals)")
    area_m2: float = Field(description=HOTSPOT_AREA)


class PatrolCoverageReport(Answer):
    """Police presence against the year's promise, per zone and at the hot spots."""

    year: int
    as_of: str = Field(description="counted up to this local date, YYYY-MM-DD")
    year_over: bool
    rules: PresenceRulesUsed
    pings: int = Field(description="pings of the year read")
    centre: CentrePresence
    zone_targets: str | None = Field(description="how the promise shares its hours among the zones: area, incidents, "
                                                 "fixed (its file's table) or 'area (no incidents to share by)'; "
                                                 "null without a promise")
    zones: list[ZonePresence]
    hotspots: list[PatrolHotspot]
    hotspots_by_band: dict[str, list[NightHotspot]] = Field(
        description="hot spots of the incidents of each Purple Flag band (local hours HH-HH)")
    hotspots_by_night: dict[str, list[NightHotspot]] = Field(
        description="hot spots of the incidents of weekday and of weekend nights (Friday and Saturday, 17-05 local)")
    hotspot_method: HotspotMethod


class ZoneLighting(Answer):
    """One zone's modelled illuminance against its class."""

    zone_id: str = Field(description=ZONE_ID)
    name: str = Field(description=ZONE_NAME)
    lighting_class: str = Field(description="EN 13201-2 pedestrian class, P1–P6")
    class_average_lx: float = Field(description="the class's maintained average Ē, lux")
    class_minimum_lx: float = Field(description="the class's maintained minimum Emin, lux")
    average_lx: float = Field(description="over the zone's walkable surface (1 m grid), lux")
    minimum_lx: float = Field(description="over the zone's walkable surface (1 m grid), lux")
    uniformity: float = Field(description="minimum / average")
    share_below_class_minimum: float = Field(description="share of the walkable surface below Emin")
    walkable_m2: float = Field(description="the zone's part of the streets' surface less buildings and water, m²")
    broken_lamps: int | Absent = sometimes("lamps out in the zone (not in the what-if's figures)")
    fields: int = Field(description="EN 13201-3 calculation fields in the zone")
    fields_failing: int = Field(description="fields below their class (Ē or Emin)")
    fields_over_lit: int = Field(description="fields whose Ē exceeds 1.5 × the class average")
    field_m2: float | None = Field(description="walkable area of the zone's fields, m²; null without fields")
    share_compliant: float | None = Field(
        description="share of the fields' walkable area in fields meeting their class; null without fields")
    dark_spots: int
    dark_spot_m2: float = Field(description="m², 1 decimal")
    dark_spot_m2_removed: float | Absent = sometimes("what-if: dark-spot area the proposed lamps remove, m²")
    lamps: int | Absent = sometimes("working lamps lighting the zone (each counted in the zone of its nearest field)")
    lamps_estimated_w: int | Absent = sometimes("of them, lamps whose power is estimated from their flux")
    power_w: float | Absent = sometimes("their power, W")
    dp_w_per_lx_m2: float | None | Absent = sometimes("EN 13201-5 power density indicator D_P, W/(lx·m²)")
    de_kwh_per_m2_year: float | None | Absent = sometimes(
        "EN 13201-5 annual energy consumption indicator D_E, kWh/(m²·year), for the operating profile")


class FieldLighting(Answer):
    """One EN 13201-3 calculation field and its figures."""

    field_id: str = Field(description="the street's slug and the field's number along it")
    street: str
    zone_id: str = Field(description=ZONE_ID)
    lighting_class: str = Field(description="the field's P class: the street's own, else its zone's")
    length_m: float = Field(description="S, metres")
    width_m: float = Field(description="W, metres")
    walkable_m2: float = Field(description="S × W less the share of points on buildings or water, m²")
    average_lx: float = Field(description="Ē over the field's calculation points, lux")
    minimum_lx: float = Field(description="Emin over the field's calculation points, lux")
    uniformity: float = Field(description="Uo = Emin / Ē")
    class_average_lx: float
    class_minimum_lx: float
    meets_class: bool
    over_lit: bool = Field(description="Ē above 1.5 × the class average")
    shortfall: float = Field(description="the larger of 1 − Ē/Ē_class and 1 − Emin/Emin_class (0 when met)")
    sc_class: str | None = Field(description="the street's SC class; null: none set")
    sc_minimum_lx: float | None = Field(
        description="lowest semi-cylindrical illuminance at 1.5 m (squares and pedestrian streets), lux")
    meets_sc_class: bool | None = Field(description="null without an SC class")


class LowestSemicylindrical(Answer):
    field_id: str
    sc_class: str | None
    sc_minimum_lx: float


class Semicylindrical(Answer):
    """Semi-cylindrical illuminance (EN 13201-2 SC classes) where faces should be recognised."""

    height_m: float
    kinds: list[str] = Field(description="the street kinds it is computed on")
    fields: int
    fields_with_class: int
    fields_failing_class: int
    lowest: list[LowestSemicylindrical] = Field(description="the ten fields with the lowest minimum")


class ProfileStep(Answer):
    hours: float
    share: float = Field(description="share of full power")


class EnergyIndicators(Answer):
    """EN 13201-5 indicators of the whole centre's fields."""

    standard: str
    profile: list[ProfileStep]
    equivalent_full_hours: float
    power_w: float
    lamps_estimated_w: int = Field(description="lamps whose power is estimated from their flux")
    estimated_efficacy_lm_per_w: float
    dp_w_per_lx_m2: float | None
    de_kwh_per_m2_year: float | None


class FieldMethod(Answer):
    standard: str
    field_length_m: float = Field(description="nominal field length S; each street piece is cut into equal fields")
    points_along: str
    points_across: str
    over_lighting_factor: float


class ProposedLighting(Answer):
    """The figures with the proposed lamps added (command line what-if)."""

    lamps: int
    share_compliant: float | None
    fields_fixed: list[str] = Field(description="fields below their class today that the proposal lifts to it")
    fields_broken: list[str] = Field(description="fields meeting their class today that fail with the proposal")
    zones: list[ZoneLighting]


class IncidentsAfterDark(Answer):
    year: int | None = Field(description="the incidents' year; null for all stored incidents")
    after_dark_incidents: int
    in_dark_spots: int
    elsewhere: int = Field(description="after dark on the rest of the walkable surface in the zones")
    dark_spot_ha: float
    elsewhere_ha: float
    rate_in_dark_spots_per_ha: float | None = Field(description="incidents per hectare; null without dark spots")
    rate_elsewhere_per_ha: float | None = Field(description="incidents per hectare")
    excluded_town_level: int = Field(description="incidents left out for a town-level position")
    off_walkable_surface: int = Field(description="after dark in the zones but off the walkable surface (recorded "
                                                  "at an address in a block, say): in neither rate")


class WhatIfLamp(Answer):
    lon: float
    lat: float
    lumen: float
    height_m: float
    azimuth_deg: float | None = Field(description="the bearing it faces (given, or towards the nearest street)")
    luminaire: str = Field(description="its luminaire type ('unknown' when not given)")
    measured: bool = Field(description="lit by the type's photometric file (else Lambertian)")


class WhatIfField(Answer):
    field_id: str
    lighting_class: str
    average_lx_before: float
    average_lx_after: float
    minimum_lx_before: float
    minimum_lx_after: float
    meets_class_before: bool
    meets_class_after: bool


class LampWhatIf(Answer):
    """One more lamp against today's EN 13201-3 fields."""

    lamp: WhatIfLamp
    share_compliant_before: float | None
    share_compliant_after: float | None
    fields_fixed: list[str] = Field(description="fields it lifts to their class")
    fields_lit: list[WhatIfField] = Field(description="fields whose average it raises")


class LightingCoverageReport(Answer):
    """Modelled illuminance per zone, dark spots and incidents after dark."""

    cell_m: float = Field(description="grid cell side, metres")
    maintenance_factor: float
    cutoff_factor: float
    photometry: list[str] = Field(description="luminaires with measured photometry")
    surfaces: dict[str, int] = Field(description="street segments, building footprints and water polygons "
                                                 "that shape the walkable surface")
    lamps: dict[str, int] = Field(description="lamps by status (working, broken, planned, removed)")
    field_method: FieldMethod
    shadows: bool = Field(description="stored building footprints shade the fields")
    share_compliant: float | None = Field(description="the centre's share of field area meeting its class")
    fields: int
    fields_failing: int
    fields_over_lit: int
    zones: list[ZoneLighting]
    failing_fields: list[FieldLighting] = Field(description="up to 25 failing fields, the furthest below first")
    semicylindrical: Semicylindrical
    energy: EnergyIndicators
    incidents_after_dark: IncidentsAfterDark
    proposed: ProposedLighting | Absent = sometimes("command line what-if with proposed lamps")


# -- lägesbild ----------------------------------------------------------------------------------------

class WeekPeriod(Answer):
    start: str = Field(description="Monday 00:00 local time, ISO 8601 with offset")
    end: str = Field(description="the next Monday 00:00 local time, ISO 8601 with offset")
    time_zone: str = Field(description="Europe/Stockholm")
    complete: bool = Field(description="the week is over")


class AttentionScore(Answer):
    definition: str
    report_weight: float = Field(description="weight of a new report in the load")
    suppressed: str | Absent = sometimes("public answers: how suppressed counts enter the score")


class LagesbildZone(Answer):
    """One zone's week against the mean of the four weeks before (counts; presence in hours)."""

    zone_id: str = Field(description=ZONE_ID)
    name: str = Field(description=ZONE_NAME)
    incidents: float
    incidents_mean_4w: float
    incidents_change: float
    new_reports: float | None = Field(description="null when suppressed")
    new_reports_mean_4w: float | None
    new_reports_change: float | None
    unsafe_place_pins: float | None = Field(description="null when suppressed")
    unsafe_place_pins_mean_4w: float | None
    unsafe_place_pins_change: float | None
    presence_h: float = Field(description="police presence, hours")
    presence_h_mean_4w: float
    presence_h_change: float
    presence_log_h: float = Field(description="the part of the week's presence from presence logs, hours")
    load: float
    load_mean_4w: float
    attention_score: float
    attention_rank: int = Field(description="1 = most attention")


class Priority(Answer):
    rank: int
    zone_id: str = Field(description=ZONE_ID)
    name: str = Field(description=ZONE_NAME)
    attention_score: float
    reasons: list[str] = Field(description="why, in Swedish")


class LagesbildCentre(Answer):
    """The whole centre, exact."""

    town_level_incidents: float = Field(description="incidents placed only at town level")
    town_level_incidents_mean_4w: float
    town_level_incidents_change: float
    incidents: float
    new_reports: float
    unsafe_place_pins: float
    presence_h: float = Field(description="hours")
    presence_log_h: float = Field(description="the part of it from presence logs, hours")
    incidents_outside_zones: int
    reports_outside_zones: int | None = Field(description="null when suppressed")


class Lagesbild(Answer):
    """The week's lägesbild (EST)."""

    week: str = Field(description="ISO week, YYYY-Www")
    period: WeekPeriod
    previous_weeks: list[str] = Field(description="the four weeks compared with, oldest first")
    next_week: str | None = Field(description="null while it has not begun")
    synthetic: bool = Field(description="the store holds synthetic demo data")
    suppressed_below: int | None = Field(description=K)
    score: AttentionScore
    zones: list[LagesbildZone]
    priorities: list[Priority] = Field(description="up to three zones")
    centre: LagesbildCentre


# -- outcomes -----------------------------------------------------------------------------------------

class OutcomeRow(Answer):
    """One indicator's category in a zone (or the centre) and year, against the year before."""

    category: str = Field(description="the category's code, ``all`` for every category, a survey question's code")
    name: str = Field(description="the category in Swedish")
    value: float | None = Field(description="the year's count (a survey: the share, 0–1); null when suppressed")
    previous: float | None = Field(description="the year before's; null without one or when suppressed")
    change: float | None = Field(description="value − previous (records, or share points)")
    relative_change: float | None = Field(description="counts: the rate ratio per day counted − 1; shares: relative")
    ratio_low: float | None = Field(description="counts: the 95 % interval of the rate ratio (exact, conditional)")
    ratio_high: float | None = Field(description="null when unbounded (nothing the year before)")
    p_value: float | None = Field(description="counts: two-sided exact Poisson test; null for shares")
    beyond_noise: bool | None = Field(description="counts: p < 0.05; shares: Newcombe's 95 % interval of the change "
                                                  "excludes 0; null where it cannot be told")
    suppressed: bool = Field(description="the value is a citizens' count below k, left out (public answers); a "
                                         "null value that is not suppressed means no data that year")
    answers: int | None | Absent = sometimes("survey: the number of answers")
    low: float | None | Absent = sometimes("survey: the share's interval, low end")
    high: float | None | Absent = sometimes("survey: the share's interval, high end")


class OutcomeIndicators(Answer):
    """The indicators of a zone or the centre: rows per category, ``all`` first."""

    incidents: list[OutcomeRow] | Absent = sometimes("incidents per category, placed in a zone (exact or street)")
    reports: list[OutcomeRow] | Absent = sometimes("citizens' fault reports per category")
    unsafe_places: list[OutcomeRow] | Absent = sometimes("unsafe-place marks")
    survey: list[OutcomeRow] | Absent = sometimes("survey shares per question, when a survey is given")


class OutcomeZone(OutcomeIndicators):
    zone_id: str = Field(description=ZONE_ID)
    name: str = Field(description=ZONE_NAME)


class UnplacedIncidents(Answer):
    """Incidents the police placed only at a town's or county's centroid: counted apart, never in a zone."""

    town: int
    county: int
    previous_town: int
    previous_county: int


class Outcomes(Answer):
    """The year's outcome indicators per zone and for the whole centre."""

    year: int
    previous_year: int
    as_of: str = Field(description="the last local date counted (today in a year in progress)")
    synthetic: bool = Field(description="the store holds synthetic demo data")
    suppressed_below: int | None = Field(description=K)
    level: float = Field(description="the confidence level of intervals and tests")
    method: str
    indicators: dict[str, str] = Field(description="the indicators' codes and Swedish names")
    unplaced_incidents: UnplacedIncidents
    centre: OutcomeIndicators | None = Field(description="the whole centre (exact totals); null for one zone")
    zones: list[OutcomeZone]


class BeforeAfterPeriod(Answer):
    period: str = Field(description="before, after, before_year_earlier, after_year_earlier")
    start: str = Field(description="first local date")
    end: str = Field(description="last local date (included)")
    days: int


class BeforeAfterArea(Answer):
    zone: str | None
    buffer_m: float | None | Absent = sometimes("the buffer around points or lines, metres")
    rest_of_centre: bool | Absent = sometimes("the comparison is the rest of the centre")
    geometry: dict = Field(description="the area as counted (clipped to the centre), GeoJSON, WGS84")


class BeforeAfterAreas(Answer):
    affected: BeforeAfterArea
    comparison: BeforeAfterArea


class BeforeAfterCount(Answer):
    area: str = Field(description="affected or comparison")
    period: str
    count: int | None = Field(description="fault reports: null below k (public)")
    days: int
    rate_per_day: float | None = Field(description="null with its count")
    area_m2: float


class BeforeAfterEstimate(Answer):
    estimate: str = Field(description="rate (per day) or log_rate (natural log)")
    affected_change: float | None = Field(description="after − before (less the same a year earlier when seasonal); "
                                                      "null when computed from a count suppressed below k")
    comparison_change: float | None = Field(description="null likewise")
    did: float | None = Field(description="affected_change − comparison_change; null when any count is suppressed")
    low: float | None = Field(description="the 95 % interval (Poisson variances, normal quantile); null likewise")
    high: float | None


class BeforeAfterLayer(Answer):
    name: str = Field(description="the layer in Swedish")
    counts: list[BeforeAfterCount]
    did: list[BeforeAfterEstimate]
    caveats: list[str] = Field(description="what the table cannot tell, Swedish sentences")


class BeforeAfter(Answer):
    """A difference-in-differences around a measure: not a causal claim."""

    at: str = Field(description="the measure's local date")
    days: int
    seasonal: bool
    level: float
    suppressed_below: int | None = Field(description=K)
    synthetic: bool
    periods: list[BeforeAfterPeriod]
    areas: BeforeAfterAreas
    layers: dict[str, BeforeAfterLayer]


# -- promises -----------------------------------------------------------------------------------------

class PromiseYears(Answer):
    years: list[int] = Field(description="years with a promises file, ascending")


class PromiseStatusRecorded(Answer):
    """The recorded status."""

    year: int
    promise_id: str
    date: str = Field(description="local date, YYYY-MM-DD")
    status: str = Field(description="met, on track, behind or not met")
    note: str
    recorded_by: str = Field(description="the recording token's role")


class PresenceDetails(Answer):
    expected_h_pro_rata: float
    projected_year_end_h: float
    counts: PresenceCounted
    presence_h: float = Field(description="visible presence (foot, bike, horse) in the zones, unit-hours")
    officer_h: float
    vehicle_h: float = Field(description="vehicle presence (standing or at walking pace) in the zones, hours")
    presence_log_h: float = Field(description="the part of these hours from presence logs (the police's own "
                                              "logged hours where no GPS covers them)")
    drive_through_h: float
    patrol_h: float = Field(description="patrol time in the zones or not, hours")


class CategoryRounds(Answer):
    rounds: int
    dates: list[str] = Field(description="local dates, YYYY-MM-DD")
    closed_reports: int


class RoundsDetails(Answer):
    per_category: dict[str, CategoryRounds] = Field(description="per category (graffiti, weeds)")


class CleaningDetails(Answer):
    target_days: float = Field(description="days from report to closing")
    reports: int
    in_time: int
    late: int
    undecided: int = Field(description="open and younger than target_days")


class ProgrammeProgress(Answer):
    measures: int
    due: int = Field(description="measures planned by the day followed")
    done: int = Field(description="of them, done by it")
    done_on_time: int
    done_share: float | None = Field(description="done / due; null when none is due")
    overdue: list[str] = Field(description="ids of measures due and not done")
    cost_planned_sek: float
    cost_done_sek: float


class ProgrammeState(Answer):
    title: str
    synthetic: bool = Field(description="a synthetic example, not the municipality's programme")
    adopt_by: str = Field(description="local date the programme is to be adopted by")
    adopted: str | None = Field(description="local date it was adopted, when on or before the day followed")
    progress: ProgrammeProgress


class LightingCompliance(Answer):
    """The supporting trend: the modelled lighting of the calculation fields."""

    share: float = Field(description="share of the fields' area meeting their class on the day followed")
    share_at_start: float
    projected_year_end_share: float
    dark_spots: int
    dark_spot_m2: float
    below_class_minimum_m2: float


class LightingDetails(Answer):
    goal: str = Field(description="adopt: to produce the programme; carry_out: to do its measures")
    programme: ProgrammeState | None = Field(description="null: no programme file yet")
    compliance: LightingCompliance | None = Field(description="null without lamps or streets to model")


class EventBand(Answer):
    events: int = Field(description="events with time in the band's hours")
    event_hours: float = Field(description="hours of events in the band")


class HeldEvent(Answer):
    id: str
    name: str
    kind: str
    starts_at: str = Field(description=UTC)
    zones: list[str] = Field(description="the zones it touches")
    comparison_windows: int = Field(description="the same weekday and hours of the year's other weeks without an "
                                                "event there, up to the date followed")
    presence_h: float | None = Field(description="visible patrol presence during it in its zones, unit-hours")
    presence_h_mean: float | None = Field(description="the mean of the comparison windows")
    incidents: float | None = Field(description="incidents placed exactly or by street")
    incidents_mean: float | None
    reports: float | None = Field(description="citizens' fault reports; null below k")
    reports_mean: float | None = Field(description="null unless the comparison windows hold k or more together")


class EventsDetails(Answer):
    per_band: dict[str, EventBand] = Field(description="per Purple Flag band (local hours HH-HH)")
    events: list[HeldEvent] = Field(description="the events held, with their figures")
    date: str | Absent = sometimes("without a target: the latest staff status's local date")
    note: str | Absent = sometimes("without a target: the latest staff status's note, or that none is recorded")
    recorded_by: str | Absent = sometimes("without a target: who recorded the latest status")


class StaffDetails(Answer):
    date: str = Field(description="local date, YYYY-MM-DD")
    note: str
    recorded_by: str


class NoStatusDetails(Answer):
    note: str


class PresenceChart(Answer):
    kind: Literal["cumulative_presence"]
    days: list[str] = Field(description="local dates, YYYY-MM-DD")
    cumulative_h: list[float]
    pro_rata_h: list[float]


class ChartRound(Answer):
    date: str
    category: str


class OpenClosedChart(Answer):
    kind: Literal["open_closed"]
    categories: list[str]
    days: list[str] = Field(description="local dates, YYYY-MM-DD")
    open: list[int]
    closed_in_year: list[int]
    rounds: list[ChartRound]


class LightingChart(Answer):
    kind: Literal["lighting_trend"]
    moments: list[str] = Field(description="local dates, YYYY-MM-DD: each share holds at the end of its day")
    share: list[float] = Field(description="share of the fields' area meeting their class")


class StaffRecord(Answer):
    date: str = Field(description="local date, YYYY-MM-DD")
    status: str
    note: str
    recorded_by: str


class BandIncidents(Answer):
    by_category: dict[str, int] = Field(description="incidents placed in the zones (exact or street precision), "
                                                    "per category")
    total: int
    town_level: int = Field(description="incidents the police placed only at the town's or county's centroid: "
                                        "apart, never in the zones' counts")


class BandReports(Answer):
    by_category: dict[str, int | None] = Field(description="citizens' fault reports made in the band, per category; "
                                                         "null below k, or where a total less the shown counts "
                                                         "would give a count below k back")
    total: int | None = Field(description="citizens' fault reports made in the band, all categories; null likewise")
    unsafe_place: int | None = Field(description="unsafe-place marks made in the band; null below k")


class BandEvents(Answer):
    count: int = Field(description="events overlapping the band")
    by_kind: dict[str, int] = Field(description="per kind, the kinds held only")


class PurpleFlagBand(Answer):
    hours: float = Field(description="the band's real hours in the year up to the date (daylight-saving nights "
                                     "have 2 or 4 in 02-05)")
    dark_h: float = Field(description="of them after sunset or before sunrise at Stora Torg")
    dark_share: float | None
    presence_h: float = Field(description="visible police presence in the zones, unit-hours")
    incidents: BandIncidents
    reports: BandReports
    lighting_share_after_dark: float | None = Field(
        description="share of the calculation fields' walkable area meeting its class with the lamps that stood "
                    "and worked, weighted by the band's dark hours; null without lamps or fields")
    events: BandEvents | None = Field(description="null until the service has an events layer")


class PurpleFlagUnsafe(Answer):
    total: int | None = Field(description="the year's unsafe-place marks; null below k (public)")
    suppressed_below: int | None = Field(description=K)


class LightingSampling(Answer):
    sample_days: int = Field(description="the lamps are taken as they stood once per this many days")
    lamp_states: int = Field(description="lamp states sampled")


class PurpleFlagEvent(Answer):
    id: str
    name: str
    kind: str
    starts_at: str = Field(description="local time with offset")
    ends_at: str = Field(description="local time with offset")
    bands: list[str] = Field(description="the bands it overlaps")


class EveningSurveyAnswer(Answer):
    year: int
    area: str = Field(description="``centrum`` (the whole centre) or a zone id")
    name: str = Field(description="the area's Swedish name")
    question: str
    question_text: str
    share: float | None = Field(description="share of respondents, 0-1")
    answers: int
    low: float | None = Field(description="confidence interval, lower bound")
    high: float | None = Field(description="confidence interval, upper bound")


class PurpleFlagTheme(Answer):
    theme: str = Field(description="safety, access, offer, place or policy")
    name: str = Field(description="the theme's Swedish name")
    figures: list[str] = Field(description="the figures of each band that speak to it")
    cannot_show: str = Field(description="what the data cannot show of it, in Swedish")


class PurpleFlagEvidence(Answer):
    """The evidence of the evening and night per Purple Flag band."""

    year: int
    bands: dict[str, PurpleFlagBand] = Field(description="per band, local hours HH-HH")
    whole_night: PurpleFlagBand = Field(description="the four bands together, 17-05")
    unsafe_places: PurpleFlagUnsafe
    lighting_method: LightingSampling | None = Field(description="null without lamps or fields")
    events: list[PurpleFlagEvent] | None = Field(description="the year's events; null until the service has an "
                                                             "events layer")
    survey: list[EveningSurveyAnswer] | None = Field(
        description="the year's survey answers about the evening and night (shares from fewer than k answers null); "
                    "null without a survey of the year")
    themes: list[PurpleFlagTheme]


class PurpleFlagPage(PurpleFlagEvidence):
    """The Purple Flag evidence of a year (GET /api/purple-flag/{year})."""

    as_of: str = Field(description="followed up to this local date, YYYY-MM-DD")
    year_over: bool
    synthetic: bool = Field(description="the store holds synthetic demo data")


class TrackerHotspot(Answer):
    hotspot_id: str
    zone_id: str | None
    name: str | None
    incidents: int
    area_m2: float = Field(description=HOTSPOT_AREA)
    z: float = Field(description=HOTSPOT_Z)
    p: float = Field(description=HOTSPOT_P)
    lon: float = Field(description="WGS84 degrees, 6 decimals")
    lat: float = Field(description="WGS84 degrees, 6 decimals")


class IncidentHotspots(Answer):
    incidents: int = Field(description="the year's incidents with a usable position (exact or street) in the zones")
    town_level_incidents: int = Field(description="incidents the police placed only at the town's centroid: "
                                                  "not in any zone, hot spot or count by zone")
    county_level_incidents: int = Field(description="incidents placed only at the county's centroid: likewise")
    hotspots: list[TrackerHotspot]
    per_zone: dict[str, int] = Field(description="incidents per zone id")


class TrackerSurvey(Answer):
    """The year's safety survey (none: ``year`` null, no results)."""

    year: int | None = Field(description="the survey's year: the tracker's; null when that year has none")
    confidence: float = Field(description="the intervals' confidence level (0.95)")
    suppressed_below: int | None = Field(description=K)
    results: list[SurveyResult] = Field(description="by question, then area, as GET /api/survey")


class HotspotPlace(Answer):
    hotspot_id: str
    incidents: int = Field(description="its located incidents (exact or street) of the year")
    lon: float = Field(description="its centre, WGS84 degrees, 6 decimals")
    lat: float = Field(description="its centre, WGS84 degrees, 6 decimals")


class HotspotSeen(Answer):
    hotspot_id: str
    incidents: int = Field(description="its located incidents (exact or street) of the year")
    seen: int = Field(description="of them inside the views")
    share: float | None = Field(description="seen / incidents; null without incidents")


class CameraSeen(Answer):
    """What one camera's view, or several cameras' views together, cover."""

    area_m2: float = Field(description="ground seen, m² (SWEREF 99 TM; buildings taken into account)")
    hotspots: list[HotspotSeen]
    covered_hotspots: list[HotspotSeen] = Field(description="the hot spots with incidents inside, most seen first")
    unsafe_places: int | None = Field(description="citizens' unsafe-place marks of the year inside; null below "
                                                  "the privacy threshold (public answers)")
    streets_m: dict[str, float] = Field(description="metres of street centre line seen, by street name")
    entrances: None = Field(description="null: no entrance data exists, entrances are not counted")


class CameraSeenBy(CameraSeen):
    id: str
    name: str | None
    status: str = Field(description="proposed, permitted, installed or removed")


class StatusSeen(CameraSeen):
    cameras: int = Field(description="cameras of the status")
    unsafe_places: int | None = Field(description="citizens' unsafe-place marks of the year inside the views "
                                                  "together; null below the privacy threshold or when one of the "
                                                  "status's cameras' count is null (public answers)")


class CameraFigures(Answer):
    year: int = Field(description="the year of the hot spots and the unsafe-place marks")
    hotspots: list[HotspotPlace]
    cameras: list[CameraSeenBy]
    by_status: dict[str, StatusSeen] = Field(description="the cameras of each status together")
    suppressed_below: int | None = Field(description="k: counts of citizens' marks below it are null; null for staff")
    entrances_note: str


class WhatIfArea(Answer):
    id: str
    area_m2: float = Field(description="ground this camera sees, m²")


class CameraWhatIf(CameraSeen):
    year: int = Field(description="the year of the hot spots and the unsafe-place marks")
    cameras: list[WhatIfArea]
    entrances_note: str


class CamerasOfStatus(Answer):
    cameras: int
    area_m2: float = Field(description="ground the cameras of the status see together, m² (buildings taken into account)")
    hotspot_incidents_seen: int = Field(description="located incidents of the year's hot spots inside their views")
    covered_hotspots: list[str] = Field(description="the hot spots with incidents inside their views, most first")


class CameraViews(Answer):
    hotspot_incidents: int = Field(description="located incidents in the year's hot spots")
    by_status: dict[str, CamerasOfStatus] = Field(description="per camera status (proposed, permitted, installed, "
                                                              "removed)")


class Supporting(Answer):
    """The supporting figures the promise asks for."""

    purple_flag_bands: PurpleFlagEvidence | Absent = sometimes("the Purple Flag evidence (as GET /api/purple-flag/{year})")
    unsafe_places: UnsafePlaces | Absent = sometimes("unsafe-place pins of the year per zone (public: suppressed)")
    incident_hotspots: IncidentHotspots | Absent = sometimes("the year's incident hot spots")
    survey: TrackerSurvey | Absent = sometimes("the year's safety survey: shares with intervals and changes")
    camera_views: CameraViews | Absent = sometimes("the cameras by status: area seen, hot-spot incidents inside")


class PromiseBasis(Answer):
    kind: str = Field(description="public_source, carried_over or synthetic_example")
    note: str = Field(description="which source, or why (Swedish)")


_DETAILS = Union[PresenceDetails, RoundsDetails, CleaningDetails, LightingDetails, EventsDetails, StaffDetails,
                 NoStatusDetails]


class PreviousResult(Answer):
    """The result of the promise a carried-over promise carries on, in its year."""

    year: int
    id: str
    kind: str
    status: str
    value: float | None
    target: float | None
    unit: str | None
    details: _DETAILS


class TrackedPromise(Answer):
    id: str
    text: str
    promised_by: str = Field(description="police, municipality or both")
    promised_by_name: str
    how_measured: str
    kind: str = Field(description="patrol_presence, removal_rounds, cleaning, lighting, events or staff_status")
    status: str = Field(description="met, on track, behind, not met or not measurable yet")
    value: float | None
    target: float | None
    unit: str | None = Field(description="h, rundor, andel, antaget program, åtgärder klara or evenemang; null for "
                                         "staff statuses")
    details: _DETAILS = Field(description="by kind")
    chart: Annotated[Union[PresenceChart, OpenClosedChart, LightingChart], Field(discriminator="kind")] | Absent = (
        sometimes("chart data, by kind (none for staff statuses)"))
    history: list[StaffRecord] | Absent = sometimes("staff statuses: every record up to the date followed")
    supporting: Supporting
    basis: PromiseBasis | None = Field(description="what the promise rests on; null when its file does not say")
    carried_over_from: str | None = Field(description="the earlier promise it carries on, year/id")
    previous: PreviousResult | Absent = sometimes("a promise carried over: that promise's result the year before")


class YearLinks(Answer):
    previous: int | None = Field(description="the year before with promises")
    next: int | None = Field(description="the year after with promises that has begun")


class PromiseTracker(Answer):
    """Every promise of the year with its status."""

    year: int
    as_of: str = Field(description="followed up to this local date, YYYY-MM-DD")
    year_over: bool
    share_of_year_elapsed: float
    title: str
    parties: dict[str, str] = Field(description="names of the police and the municipality")
    source: str
    synthetic: bool = Field(description="the store holds synthetic demo data")
    status_counts: dict[str, int] = Field(description="promises per status")
    promises: list[TrackedPromise]
    years: YearLinks
    outcomes: Outcomes = Field(description="the outcomes beside the outputs: incidents, reports and unsafe-place "
                                           "marks per zone against the year before, up to the same day (public)")


class ComparedPromise(Answer):
    id: str
    text: str
    status: str
    value: float | None
    target: float | None
    unit: str | None
    carried_over_from: str | None
    summary: str = Field(description="the result in Swedish")


class ComparedYear(Answer):
    year: int
    promises: list[ComparedPromise] = Field(description="the year's promises of the kind (may be none)")


class PromiseChange(Answer):
    from_year: int
    from_id: str
    to_year: int
    to_id: str
    from_status: str
    to_status: str
    unit: str | None = Field(description="the values' unit when both are figures of it")
    difference: float | None = Field(description="later value less earlier, in unit")


class ComparedKind(Answer):
    kind: str = Field(description="patrol_presence, removal_rounds, cleaning, lighting or staff_status")
    name: str = Field(description="the kind's Swedish name")
    years: list[ComparedYear]
    changes: list[PromiseChange] = Field(description="the same promise (or the kind's only one) in neighbouring years")
    summary: list[str] = Field(description="the follow-up in Swedish: each year's promise and result, each change")


class ComparedOutcomeYear(Answer):
    """A year's outcomes for the whole centre against the year before (the tracker's ``outcomes``)."""

    year: int
    incidents: OutcomeRow | None = Field(description="incidents placed in a zone, all categories")
    reports: OutcomeRow | None = Field(description="citizens' fault reports, all categories")
    unsafe_places: OutcomeRow | None = Field(description="unsafe-place marks")
    survey: list[OutcomeRow] = Field(description="the safety survey's shares for the whole centre per question "
                                                 "(empty without a survey)")


class ComparedOutcomes(Answer):
    years: list[ComparedOutcomeYear]
    summary: list[str] = Field(description="the change in safety in Swedish, a sentence per indicator and year")


class PromiseComparison(Answer):
    """Each kind of promise across the years, and the outcomes beside them."""

    years: list[int]
    synthetic: bool = Field(description="the store holds synthetic demo data")
    kinds: list[ComparedKind]
    outcomes: ComparedOutcomes


# -- Open311 GeoReport v2 ------------------------------------------------------------------------------

class Open311Endpoint(Answer):
    specification: str = Field(description="http://wiki.open311.org/GeoReport_v2")
    url: str = Field(description="the endpoint's base address (relative when no public address is known)")
    changeset: str = Field(description="when the endpoint last changed; ISO 8601 UTC")
    type: Literal["production"]
    formats: list[str] = Field(description="media types: text/xml, application/json")


class Open311Discovery(Answer):
    changeset: str = Field(description="when the document last changed; ISO 8601 UTC")
    contact: str
    key_service: str = Field(description="how an app gets an api_key")
    endpoints: list[Open311Endpoint]


class Open311Service(Answer):
    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="true: the service has attributes (see its definition)")
    type: str = Field(description="realtime")
    keywords: str
    group: str


class Open311Value(Answer):
    key: str = Field(description="what a submission sends")
    name: str = Field(description="the value's Swedish name")


class Open311Attribute(Answer):
    variable: bool = Field(description="true: the requester answers it")
    code: str = Field(description="sent as attribute[code]=key")
    datatype: Literal["singlevaluelist"]
    required: bool
    datatype_description: str | None
    order: int = Field(description="the attribute's place, from 1")
    description: str = Field(description="the question, in Swedish")
    values: list[Open311Value]


class Open311ServiceDefinition(Answer):
    service_code: str
    attributes: list[Open311Attribute] = Field(description="empty for a service without attributes")


class Open311RequestCreated(Answer):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class Open311Answer(Answer):
    code: str = Field(description="the attribute's code")
    value: str = Field(description="the key answered")


class Open311Request(Answer):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None = Field(description="the close reason")
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str | None
    requested_datetime: str | None = Field(description="ISO 8601, local time with offset, seconds")
    updated_datetime: str | None = Field(description="the latest change; ISO 8601, local time with offset, seconds")
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float = Field(description="WGS84 degrees")
    long: float = Field(description="WGS84 degrees")
    media_url: str | None
    attributes: list[Open311Answer] | Absent = sometimes("with extensions=true: the answers to the service's "
                                                          "attributes")


# -- OGC API – Features (/ogc) ---------------------------------------------------------------------

class OGCLink(Answer):
    href: str
    rel: str = Field(description="self, alternate, service-desc, conformance, data, items, next, prev, collection, …")
    type: str = Field(description="the media type at the link")
    title: str


class OGCLanding(Answer):
    """The landing page."""

    title: str
    description: str
    links: list[OGCLink]


class OGCConformance(Answer):
    """The conformance classes implemented."""

    links: list[OGCLink]
    conformsTo: list[str]


class OGCSpatialExtent(Answer):
    bbox: list[list[float]] = Field(description="[[min lon, min lat, max lon, max lat]], CRS84")
    crs: str


class OGCTemporalExtent(Answer):
    interval: list[list[str | None]] = Field(description="[[first, last]], ISO 8601 UTC; null for none")
    trs: str


class OGCExtent(Answer):
    spatial: OGCSpatialExtent | None = Field(None, description="absent for an empty layer")
    temporal: OGCTemporalExtent | None = Field(None, description="for collections with times")


class OGCCollection(Answer):
    """One collection."""

    id: str
    title: str
    description: str
    links: list[OGCLink]
    extent: OGCExtent
    itemType: Literal["feature"]
    crs: list[str] = Field(description="the CRS it answers in (crs=…)")
    storageCrs: str


class OGCCollections(Answer):
    """The collections the caller may see."""

    links: list[OGCLink]
    collections: list[OGCCollection]
    crs: list[str]


class OGCQueryable(Answer):
    title: str
    type: Literal["string"]
    enum: list[str] | None = Field(None, description="the values it takes, when fixed")


class OGCQueryables(Answer):
    """The properties a collection's items can be filtered by (a JSON Schema)."""

    model_config = ConfigDict(populate_by_name=True)
    schema_uri: str = Field(alias="$schema")
    schema_id: str = Field(alias="$id")
    type: Literal["object"]
    title: str
    properties: dict[str, OGCQueryable]
    additionalProperties: bool


COORDINATES = "in the answer's CRS and its axis order (CRS84: longitude, latitude; SWEREF 99: northing, easting)"


class OGCPoint(Answer):
    type: Literal["Point"]
    coordinates: list[float] = Field(description=COORDINATES)


class OGCLineString(Answer):
    type: Literal["LineString"]
    coordinates: list[list[float]] = Field(description=COORDINATES)


class OGCMultiLineString(Answer):
    type: Literal["MultiLineString"]
    coordinates: list[list[list[float]]] = Field(description=COORDINATES)


class OGCPolygon(Answer):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]] = Field(description=COORDINATES)


class OGCMultiPolygon(Answer):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[list[float]]]] = Field(description=COORDINATES)


class OGCZoneProperties(Answer):
    zone_id: str
    name: str
    kind: str
    lighting_class: str


class OGCStreetProperties(Answer):
    name: str
    kind: str
    width_m: float | None
    lighting_class: str | None
    sc_class: str | None


class OGCUnitDayProperties(Answer):
    """A patrol unit's day (police tokens only)."""

    unit_id: str
    day: str = Field(description="local date, YYYY-MM-DD")
    start: str = Field(description="the first ping; " + UTC)
    end: str = Field(description="the last ping; " + UTC)
    pings: int
    modes: str = Field(description="foot, bike, car, horse: those of the day, comma-separated")
    crew: float = Field(description="the most officers of any ping")
    length_m: float = Field(description="along the line, metres (SWEREF 99 TM)")


class OGCFeature(Answer):
    """One feature."""

    type: Literal["Feature"]
    id: str | None = Field(None, description="absent for the public's generalised incidents")
    properties: Union[IncidentProperties, PublicIncidentProperties, LightProperties, ReportProperties,
                      OGCZoneProperties, OGCStreetProperties, OGCUnitDayProperties, EventProperties]
    geometry: Annotated[Union[OGCPoint, OGCLineString, OGCMultiLineString, OGCPolygon, OGCMultiPolygon],
                        Field(discriminator="type")] | None
    links: list[OGCLink] | None = Field(None, description="on a single feature: self and its collection")


class OGCFeatureCollection(Answer):
    """A page of a collection's features."""

    type: Literal["FeatureCollection"]
    features: list[OGCFeature]
    links: list[OGCLink]
    timeStamp: str = Field(description="when the answer was made, ISO 8601 UTC")
    numberMatched: int = Field(description="features matching the query, on every page")
    numberReturned: int


class EventCreated(Answer):
    """The event stored."""

    id: str
    name: str
    starts_at: str = Field(description="ISO 8601 UTC")
    ends_at: str = Field(description="ISO 8601 UTC")
    kind: str
    source: str = Field(description="staff")
    lon: float = Field(description="WGS84 degrees (a point inside its area, when it has one)")
    lat: float
    has_area: bool


class EventZone(Answer):
    zone_id: str = Field(description=ZONE_ID)
    name: str = Field(description=ZONE_NAME)


class EventFigure(Answer):
    event: float | None = Field(description="during the event, in its zones; null outside every zone and while "
                                            "the event is not over by ``until`` (not known yet); fault reports "
                                            "null below k")
    mean: float | None = Field(description="mean of the comparison windows; null without any; fault reports null "
                                           "unless the windows hold k or more together")
    min: float | None = Field(description="fault reports: null unless every window holds k or more")
    max: float | None = Field(description="fault reports: null unless every window holds k or more")


class EventWithFigures(Answer):
    id: str
    name: str
    kind: str
    kind_name: str = Field(description="the kind's Swedish name")
    starts_at: str = Field(description=UTC)
    ends_at: str = Field(description=UTC)
    expected_visitors: int | None
    organiser: str | None
    source: str
    lon: float = Field(description="WGS84 degrees")
    lat: float
    area: PolygonGeometry | MultiPolygonGeometry | None = Field(description="where it is held, when an area")
    zones: list[EventZone] = Field(description="the zones it touches: its area's, else its point's")
    comparison_windows: int = Field(description="the same weekday and local hours in the year's other weeks with no "
                                                "event in these zones, ended by ``until``")
    figures: dict[str, EventFigure] = Field(description="presence_h (visible patrol presence, unit-hours), incidents "
                                                        "(placed exactly or by street), reports (citizens' fault reports)")


class EventFigures(Answer):
    """The year's events with their figures against ordinary evenings."""

    year: int
    until: str = Field(description=UTC + ": the end of the data compared with")
    suppressed_below: int | None = Field(description=K)
    synthetic: bool = Field(description="the database holds synthetic demo data")
    events: list[EventWithFigures] = Field(description="in the order of their start")
    bands: dict[str, EventBand] = Field(description="per Purple Flag band (local hours HH-HH)")

"""The Store contract: everything the service and the command line ask of a backend (the embedded
GeoPackage file, PostGIS), the values it takes and gives, and its errors.

Frames in and out are the validated layer frames of :mod:`geo.layers` (WGS84, times UTC). Every
write is one transaction: it all lands or none of it does; a change that checks the stored state
checks it in the same transaction as it writes. Nothing outside ``service/store/`` knows which
database is behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.layers import LayerSchema, Record
from geo.moderation import Moderation
from geo.patrol import PresenceParts, Tracks


DATA_TOPICS = ("incidents", "lights", "reports", "patrols", "removal_rounds", "promise_statuses", "meta", "survey", "events",
               "cameras")
"""The parts of the data a cached page can depend on (:meth:`Store.topic_versions`): each layer,
the removal rounds, the promise statuses, the notes about the data (such as the demo marker) and
the safety survey."""


class StoreError(Exception):
    """The store cannot be opened or used; the message is meant for the person running it."""


class NotFound(StoreError):
    """The record asked for does not exist."""


class Conflict(StoreError):
    """The change conflicts with the stored state (checked in the same transaction as the write);
    ``current`` describes that state for the caller."""

    def __init__(self, message: str, current: dict | None = None) -> None:
        super().__init__(message)
        self.current = current or {}


class Unavailable(StoreError):
    """The store cannot take the request now (another program holds the write lock); try again
    after ``retry_after_s`` seconds."""

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Actor:
    """Who made a change: a role (municipality, police, planner, citizen, open311, import, demo,
    moderation — the automatic hold of a text on submission) and a label (a token's label, an Open311 client's name, a file name)."""

    role: str
    label: str = ""


@dataclass
class WriteResult:
    """What a write did: records inserted, updated (changed values), unchanged (already stored) and
    deleted (replaced by a new set)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


@dataclass(frozen=True)
class FeatureQuery:
    """Which records of a point layer: inside ``bbox`` (min lon, min lat, max lon, max lat, WGS84,
    edges included), with ``start <= time < end`` on the layer's time field (tz-aware), of the
    given ``categories`` (all when None) and not of ``exclude_categories``, in ``statuses`` (all
    when None), with the given ``ids`` (all when None), of the given ``kinds`` (events; all when None), with the point inside ``within`` (a
    polygon in WGS84, its boundary included; a zone). Records come in the order they were
    stored, or the newest (``newest_first``) or oldest (``oldest_first``) first by the time field."""

    bbox: tuple[float, float, float, float] | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    categories: tuple[str, ...] | None = None
    exclude_categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] | None = None
    ids: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    within: shapely.Geometry | None = None
    newest_first: bool = False
    oldest_first: bool = False

    def __post_init__(self) -> None:
        if self.newest_first and self.oldest_first:
            raise ValueError("a query is ordered newest first or oldest first, not both")


@dataclass(frozen=True)
class Extent:
    """Where and when records lie: ``bbox`` (min lon, min lat, max lon, max lat; WGS84) and the
    first and last time of the layer's time field (UTC); None where there are no records."""

    bbox: tuple[float, float, float, float] | None
    first: pd.Timestamp | None
    last: pd.Timestamp | None


@dataclass
class FeaturePage:
    """A page of a query: its records and how many records match the query in all."""

    frame: gpd.GeoDataFrame
    matched: int


@dataclass(frozen=True)
class PublishedPage:
    """A page of a query as published: each record's public fields (times as ISO 8601 UTC text with
    milliseconds, numbers, text; None when missing), their lon/lat (WGS84 degrees) and how many
    records match the query in all."""

    properties: list[dict]
    lon: list[float]
    lat: list[float]
    matched: int


@dataclass(frozen=True)
class TokenRecord:
    """An access token as stored (never the token itself): public id, role, label and times (UTC)."""

    token_id: str
    role: str
    label: str
    created_at: pd.Timestamp
    expires_at: pd.Timestamp | None
    revoked_at: pd.Timestamp | None
    last_used_at: pd.Timestamp | None

    def valid_at(self, at: pd.Timestamp) -> bool:
        """Neither revoked nor expired at ``at``."""
        return self.revoked_at is None and (self.expires_at is None or at < self.expires_at)


@dataclass(frozen=True)
class UserRecord:
    """A staff account as stored: name, role, Argon2 password hash, times (UTC), the failed
    sign-ins since the last success or lock-out, and for an account of single sign-on its
    provider's issuer (it has no password)."""

    name: str
    role: str
    password_hash: str
    created_at: pd.Timestamp
    disabled_at: pd.Timestamp | None
    failed_logins: int
    locked_until: pd.Timestamp | None
    sso_issuer: str | None = None


@dataclass(frozen=True)
class SessionRecord:
    """A signed-in session as stored (its id only as a hash), with its account's role and state."""

    name: str
    role: str
    created_at: pd.Timestamp
    last_seen_at: pd.Timestamp
    disabled_at: pd.Timestamp | None


@dataclass(frozen=True)
class SsoFlow:
    """A single sign-on started at the provider (:mod:`service.oidc`): the ID token's expected
    nonce, the PKCE code verifier, the local path to go to afterwards and when it expires (UTC)."""

    nonce: str
    code_verifier: str
    next_path: str
    expires_at: pd.Timestamp


@dataclass(frozen=True)
class AuditEvent:
    """A row of the staff audit: when (UTC), who (an account's name, or the command line), their
    role (None when unknown), what (``sign-in``, ``sign-in failed``, ``sign-out``, ``user add``, a
    request's method and path …), a detail and the client's address (None outside the web)."""

    at: pd.Timestamp
    actor: str
    role: str | None
    action: str
    detail: str = ""
    client: str | None = None


@dataclass(frozen=True)
class QueuedMail:
    """A mail to a citizen about their report, as queued: what it tells (``kind``: ``received`` or
    a status of :data:`geo.workflow.TOLD_STATUSES`), the report's id and category, the private
    address, the subscription's token (for the unsubscribe link) and the attempts made so far;
    ``about`` is the report the mail tells of when it is another than the citizen's own (a
    report theirs was merged into as a duplicate), else None."""

    mail_id: int
    report_id: str
    kind: str
    category: str
    address: str
    token: str
    attempts: int
    about: str | None = None


@dataclass(frozen=True)
class Listeners:
    """Who hears of a report's changes by mail: whether its own reporter does (a subscription that
    stands), and how many reporters of duplicates merged into it do."""

    reporter: bool
    carried: int


Progress = Callable[[int, int], None]
"""progress(done, total)."""


class Store(Protocol):
    """What the service and the command line use of a backend."""

    kind: str
    """The backend's name (``geopackage``, ``postgis``), safe to show anyone."""

    # -- the database -----------------------------------------------------------------------
    def describe(self) -> str:
        """Where the data lives, for logs and the person running the service (no secrets)."""
        ...

    def schema_version(self) -> int:
        """The schema version of the stored data."""
        ...

    def data_version(self) -> int:
        """A number that changes whenever the data that pages are built from changes (by any
        program), and only then; for caches."""
        ...

    def topic_versions(self, topics: tuple[str, ...]) -> tuple[int, ...]:
        """Numbers that change whenever the data of ``topics`` (of :data:`DATA_TOPICS`) change,
        and only then; for caches of pages built from part of the data."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A note stored about the data (for example that it is synthetic demo data)."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Store a note about the data."""
        ...

    def count(self, schema: LayerSchema) -> int:
        """Records (pings for the patrol layer) stored in a layer."""
        ...

    def is_empty(self) -> bool:
        """True when no layer holds any record."""
        ...

    def records_not_from(self, source: str) -> dict[str, int]:
        """Per layer, the records whose source is not ``source``."""
        ...

    # -- tokens and client applications -------------------------------------------------------
    def add_token(self, token_id: str, token_hash: str, role: str, label: str,
                  expires_at: pd.Timestamp | None = None) -> None:
        """Store a new access token's hash, public id, role, label and expiry."""
        ...

    def token(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash (revoked and expired ones too), or None."""
        ...

    def tokens(self) -> list[TokenRecord]:
        """Every token, oldest first."""
        ...

    def token_used(self, token_id: str, at: pd.Timestamp, resolution_s: float = 60.0) -> None:
        """Note a token's use (skipped, never waited for long, when another writer holds the lock)."""
        ...

    def revoke_token(self, token_id: str, at: pd.Timestamp) -> TokenRecord:
        """Revoke a token by its id (:class:`NotFound` when unknown)."""
        ...

    def add_open311_client(self, key_hash: str, name: str) -> None:
        """Register an Open311 client application (:class:`Conflict` when the name is taken)."""
        ...

    def open311_clients(self) -> list[tuple[str, str]]:
        """(key hash, name) of every registered Open311 client."""
        ...

    # -- staff accounts, sessions and their audit ------------------------------------------------
    def add_user(self, name: str, role: str, password_hash: str, event: AuditEvent) -> UserRecord:
        """Store a new staff account and audit it (:class:`Conflict` when the name is taken)."""
        ...

    def user(self, name: str) -> UserRecord | None:
        """The account named ``name`` (disabled ones too), or None."""
        ...

    def users(self) -> list[UserRecord]:
        """Every account, by name."""
        ...

    def set_user_role(self, name: str, role: str, event: AuditEvent) -> UserRecord:
        """Give an account another role, at once for its open sessions too (:class:`NotFound`)."""
        ...

    def disable_user(self, name: str, event: AuditEvent) -> UserRecord:
        """Disable an account at ``event.at`` and end its sessions (:class:`NotFound`); again: no change."""
        ...

    def login_failed(self, name: str, max_failures: int, locked_until: pd.Timestamp, event: AuditEvent) -> None:
        """Audit a failed sign-in; for an account, count it, and at ``max_failures`` lock the
        account until ``locked_until`` and start counting again (one transaction)."""
        ...

    def sso_account(self, issuer: str, subject: str, name: str, role: str, event: AuditEvent) -> UserRecord:
        """The account of a provider's identity, given ``role``: created (named ``name``, no password)
        at its first sign-in, :class:`Conflict` when another account has the name; its role set
        when it differs (not while disabled); a change audited as ``event`` with the action ``user add``
        or ``user set-role`` and a detail saying what, in the same transaction."""
        ...

    def begin_sso_flow(self, flow_hash: str, flow: SsoFlow, at: pd.Timestamp) -> None:
        """Store a started single sign-on (removing those expired at ``at``)."""
        ...

    def take_sso_flow(self, flow_hash: str, at: pd.Timestamp) -> SsoFlow | None:
        """Remove and return a started single sign-on, or None when unknown, taken or expired at ``at``."""
        ...

    def open_session(self, session_hash: str, name: str, event: AuditEvent) -> None:
        """Store a new session of ``name`` opened at ``event.at``, clear its failed sign-ins, audit it."""
        ...

    def session(self, session_hash: str) -> SessionRecord | None:
        """The session with this hash and its account, or None."""
        ...

    def session_seen(self, session_hash: str, at: pd.Timestamp, resolution_s: float = 60.0) -> None:
        """Note a session's use (skipped, never waited for long, when another writer holds the lock)."""
        ...

    def close_session(self, session_hash: str, event: AuditEvent | None = None) -> None:
        """Remove a session (nothing when it is gone already) and audit it when ``event`` is given."""
        ...

    def add_audit(self, event: AuditEvent) -> None:
        """Store a row of the staff audit."""
        ...

    def audit(self) -> pd.DataFrame:
        """The staff audit, oldest first: at, actor, role, action, detail, client."""
        ...

    # -- point layers ---------------------------------------------------------------------------
    def write_features(self, schema: LayerSchema, frame: gpd.GeoDataFrame, actor: Actor = Actor("import")) -> WriteResult:
        """Insert new records and update changed ones by id; a report's or lamp's history gets a
        row for each new one and each change of status."""
        ...

    def read_features(self, schema: LayerSchema, include_private: bool = False,
                      query: FeatureQuery | None = None) -> gpd.GeoDataFrame:
        """The records of a layer that match ``query`` (all when None); private fields — contacts, and
        a report's text and photo withheld by moderation — as the public sees them (None, no text)
        unless ``include_private``."""
        ...

    def query_features(self, schema: LayerSchema, query: FeatureQuery, limit: int, offset: int = 0) -> FeaturePage:
        """A page of the records that match ``query``, and how many match in all."""
        ...

    def published_page(self, schema: LayerSchema, query: FeatureQuery, limit: int, offset: int = 0) -> PublishedPage:
        """The page :meth:`query_features` gives, as published (public fields only), without frames."""
        ...

    def extent(self, schema: LayerSchema, query: FeatureQuery) -> Extent:
        """The box and time span of the records that match ``query``."""
        ...

    def positions(self, schema: LayerSchema, query: FeatureQuery) -> tuple[list[str], NDArray[np.float64],
                                                                          NDArray[np.float64]]:
        """The ids and lon/lat (WGS84 degrees) of the records that match ``query``, nothing else."""
        ...

    # -- events ---------------------------------------------------------------------------------
    def event_areas(self, event_ids: list[str]) -> dict[str, shapely.Geometry]:
        """The areas (WGS84 Polygons or MultiPolygons) of those of these events that have one, by id."""
        ...

    def add_event(self, event: gpd.GeoDataFrame, actor: Actor) -> None:
        """Store one new event (a validated one-row events frame, with its area), checked and
        written in one transaction; an id stored already raises :class:`Conflict`."""
        ...

    def remove_event(self, event_id: str) -> None:
        """Remove an event and its area; :class:`NotFound` for an unknown id."""
        ...

    # -- citizens' reports ----------------------------------------------------------------------
    def add_report(self, report: Record, photo: tuple[str, bytes] | None, duplicate_of: list[str],
                   actor: Actor, mail_token: str | None = None, held: str | None = None) -> None:
        """Store a new report (a validated record), its photo, its duplicate links and the first row
        of its history; with ``mail_token``, its contact's subscription and the queued receipt
        mail; with ``held`` (why), its text held for review and the hold in its moderation history.
        :class:`Conflict` when its id is stored already."""
        ...

    def change_report(self, report_id: str, decide: Callable[[pd.Series], dict], actor: Actor, at: pd.Timestamp,
                      note: str | None = None) -> gpd.GeoDataFrame:
        """Change a report, checked and written in one transaction (``decide`` raises to refuse)."""
        ...

    def record_removal_round(self, round_id: str, day: str, category: str, zone_ids: list[str],
                             close: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame], actor: Actor,
                             at: pd.Timestamp) -> gpd.GeoDataFrame:
        """Record a removal round and close the reports it covers, in one transaction."""
        ...

    def removal_rounds(self) -> pd.DataFrame:
        """Every removal round: id, day, category, zones, closed."""
        ...

    def merge_reports(self, duplicate_id: str, into_id: str, decide: Callable[[pd.Series, pd.Series], dict],
                      actor: Actor, at: pd.Timestamp, notes: tuple[str, str]) -> gpd.GeoDataFrame:
        """Merge a duplicate into the report kept, in one transaction: ``decide(duplicate, kept)``
        returns the duplicate's field changes (it is closed) or raises (nothing is written); the
        subscriptions that heard of the duplicate hear of the kept report from now on, and its
        supporters and its reporter count as the kept report's supporters; each report gets a
        history row by ``actor`` at ``at`` with its note (``notes``: the duplicate's, the kept
        report's; the kept one keeps its status). Returns the duplicate's stored one-row frame;
        :class:`NotFound` when either id is unknown."""
        ...

    def listeners(self, report_ids: list[str]) -> dict[str, Listeners]:
        """Who hears of each of these reports' changes by mail (reports nobody hears of left out)."""
        ...

    def report_history(self, report_ids: list[str] | None = None) -> pd.DataFrame:
        """The status changes of reports, oldest first."""
        ...

    def light_history(self, light_ids: list[str] | None = None) -> pd.DataFrame:
        """The status changes of lamps in the order they were recorded (:mod:`geo.lamp_history`)."""
        ...

    def photo(self, report_id: str) -> tuple[str, bytes] | None:
        """(media type, bytes) of a report's photo, or None."""
        ...

    # -- moderation of reports (geo.moderation); withheld text and photos read as private fields ---
    def moderate_report(self, report_id: str, action: str, decide: Callable[[Moderation, bool], Moderation],
                        reason: str, actor: Actor, at: pd.Timestamp) -> Moderation:
        """Change a report's moderation, checked and written in one transaction (``decide(current
        flags, has a photo)`` raises to refuse) with a row of its moderation history; the new flags.
        :class:`NotFound` for an unknown id."""
        ...

    def moderation(self, report_id: str) -> Moderation:
        """A report's moderation flags (:class:`NotFound` for an unknown id)."""
        ...

    def moderation_history(self, report_ids: list[str]) -> pd.DataFrame:
        """The moderation rows of these reports, oldest first: report_id, action, reason,
        actor_role, actor_label, at (UTC)."""
        ...

    def held_reports(self) -> list[str]:
        """The ids of the reports whose text is held for review, the oldest first."""
        ...

    # -- mail to citizens about their reports (queued with the change they tell of) ---------------
    def claim_mail(self, at: pd.Timestamp, lease_s: float, limit: int = 20) -> list[QueuedMail]:
        """Up to ``limit`` unsent mails due at ``at`` whose subscription still stands, each put
        out of others' reach for ``lease_s`` seconds in the same transaction (so two senders
        never take the same mail); mails of unsubscribed reports are dropped."""
        ...

    def mail_sent(self, mail_id: int, at: pd.Timestamp) -> None:
        """Mark a claimed mail sent."""
        ...

    def mail_failed(self, mail_id: int, error: str, retry_at: pd.Timestamp) -> None:
        """Count a failed attempt of a claimed mail and keep it queued until ``retry_at``."""
        ...

    def support_report(self, report_id: str) -> int:
        """Count one more citizen who has seen an open, published report too (checked and counted
        in one transaction); the new count. :class:`NotFound` for an unknown id or an unsafe
        place, :class:`Conflict` (with the status) for a closed report."""
        ...

    def supporters(self, report_ids: list[str]) -> dict[str, int]:
        """How many citizens have seen each of these reports too (reports without any left out)."""
        ...

    def unsubscribe(self, token: str, at: pd.Timestamp) -> str:
        """End the subscription with ``token`` (again: no change); returns its report's id,
        :class:`NotFound` for an unknown token."""
        ...

    # -- promises ---------------------------------------------------------------------------------
    def add_promise_status(self, year: int, promise_id: str, day: str, status: str, note: str, actor: Actor) -> None:
        """Record a staff status for a promise (earlier records stay)."""
        ...

    def promise_statuses(self, year: int) -> pd.DataFrame:
        """Every staff status recorded for the promises of ``year``, oldest first."""
        ...

    # -- patrol pings -----------------------------------------------------------------------------
    def write_pings(self, pings: pd.DataFrame | Iterable[pd.DataFrame], progress: Progress | None = None) -> WriteResult:
        """Add validated patrol pings (one frame, or frames one after another) in one transaction."""
        ...

    def read_pings(self, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                   unit_ids: list[str] | None = None) -> pd.DataFrame:
        """Patrol pings in a time range, sorted by unit and time."""
        ...

    def latest_ping(self) -> pd.Timestamp | None:
        """The time (UTC) of the newest patrol ping, or None when there is none."""
        ...

    def read_tracks(self, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                    unit_ids: list[str] | None = None) -> Tracks:
        """The pings of :meth:`read_pings` as arrays (the fast path for figures)."""
        ...

    def ping_spans(self, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> pd.DataFrame:
        """Per unit and stored day: ``unit_id``, first and last ping (``t_min``/``t_max``, UTC ns)."""
        ...

    def count_pings(self, start: pd.Timestamp, end: pd.Timestamp) -> int:
        """The number of patrol pings with ``start <= timestamp < end``, without reading them."""
        ...

    # -- surfaces: building footprints and water (see geo.surfaces) --------------------------------
    def replace_surfaces(self, kind: str, surfaces: gpd.GeoDataFrame, source: str) -> WriteResult:
        """Replace all stored surfaces of ``kind`` by validated ``surfaces`` (:func:`geo.surfaces.validate_surfaces`)
        in one transaction: a new file of footprints is the whole set, not an addition."""
        ...

    def read_surfaces(self, kind: str) -> gpd.GeoDataFrame:
        """The stored surfaces of ``kind``: ``height_m``, ``source``, ``geometry`` (WGS84); empty when none."""
        ...

    # -- the safety survey (see geo.survey) -----------------------------------------------------
    def replace_survey(self, year: int, results: pd.DataFrame, places: gpd.GeoDataFrame, source: str) -> WriteResult:
        """Replace ``year``'s survey by validated ``results`` (:func:`geo.survey.validate_results`,
        all of ``year``) and marked ``places`` (:func:`geo.survey.validate_places`) in one
        transaction; other years are kept. ``source``: of a result or place without its own.
        ``deleted`` counts the year's rows replaced, ``inserted`` the results and places stored."""
        ...

    def survey_results(self, years: Iterable[int] | None = None) -> pd.DataFrame:
        """The stored results (of ``years``; all when None) as :data:`geo.survey.RESULT_COLUMNS`
        with the Wilson interval, by year, question and area."""
        ...

    def survey_places(self, year: int) -> gpd.GeoDataFrame:
        """``year``'s marked places: :data:`geo.survey.PLACE_COLUMNS` and the geometry (WGS84);
        empty when none."""
        ...

    # -- presence logs: the police's own logged hours (see geo.presence_log) -----------------------
    def write_presence_log(self, log: pd.DataFrame) -> WriteResult:
        """Store a validated presence log (:func:`geo.presence_log.validate_log`) in one
        transaction: a row is identified by its unit and start (the same again is unchanged, with
        other values updated); a row that overlaps another stored row of its unit raises
        :class:`Conflict` and nothing is stored."""
        ...

    def read_presence_log(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """The stored presence log rows (:data:`geo.presence_log.LOG_COLUMNS`) that overlap
        ``start <= t < end``, by unit and start."""
        ...

    # -- patrol presence kept per unit and UTC day (see service.presence) ------------------------
    def presence_inputs(self) -> str | None:
        """The fingerprint of what the kept presence was computed with, or None."""
        ...

    def reset_presence(self, inputs: str) -> None:
        """Forget the kept presence; it is computed with ``inputs`` from now on (not a data change)."""
        ...

    def presence_missing(self, first_day: int, last_day: int) -> pd.DataFrame:
        """The unit-days in the range (UTC days since 1970) with pings but no kept presence:
        unit_id, day_utc and the signature of their pings."""
        ...

    def put_presence(self, inputs: str, unit_id: str, day_utc: int, signature: str, parts: PresenceParts) -> bool:
        """Keep a unit-day's presence parts, unless the inputs or its pings changed meanwhile (False)."""
        ...

    def presence_cells(self, first_day: int, last_day: int) -> pd.DataFrame:
        """The kept cells of the unit-days in the range (:func:`geo.patrol.presence_parts`)."""
        ...

    def presence_trail(self, first_day: int, last_day: int) -> pd.DataFrame:
        """The kept trail of the unit-days in the range (:mod:`geo.trail`), in unit and time order."""
        ...

    # -- copies -------------------------------------------------------------------------------------
    def backup_to(self, path: str | Path) -> Path:
        """A consistent, checked copy of the database in the new file ``path``."""
        ...


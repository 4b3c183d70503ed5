"""Settings, one class per concern, read from STADSKARNA_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.energy import DEFAULT_PROFILE, OperatingProfile
from geo.hotspots import DENSITY_BANDWIDTH_M, GPS_BUFFER_M
from geo.io.police import PoliceArea
from geo.trail import TRAIL_CELL_M

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
"""The repository's data folder (the project is installed editable from its checkout)."""


def _default_db() -> Path:
    """``stadskarna.gpkg`` in the working folder, or the ``stadskarna.sqlite`` an earlier version
    made there (it keeps working)."""
    earlier = Path("stadskarna.sqlite")
    return earlier if earlier.exists() and not Path("stadskarna.gpkg").exists() else Path("stadskarna.gpkg")


class StoreSettings(BaseSettings):
    """Where data is kept. ``STADSKARNA_DB``: the embedded GeoPackage file (the default store);
    ``STADSKARNA_DATABASE_URL``: a PostgreSQL database with PostGIS (``postgresql://…``) instead."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_")
    db: Path = Field(default_factory=_default_db)
    database_url: str | None = None
    busy_timeout_s: float = Field(5.0, gt=0)
    """How long a write waits for another program's write lock before answering 503."""


class GeographySettings(BaseSettings):
    """The centre's geography. ``STADSKARNA_ZONES``: zones GeoJSON; ``STADSKARNA_STREETS``:
    streets GeoJSON (default: ``streets.geojson`` beside the zones file, when it exists)."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_")
    zones: Path = DATA_DIR / "stadskarna.geojson"
    streets: Path | None = None
    town: str = "Halmstad"
    """The municipality the centre lies in, as the police name it (``STADSKARNA_TOWN``)."""
    county: str = "Hallands län"
    """Its county, as the police name it (``STADSKARNA_COUNTY``)."""

    def police_area(self) -> PoliceArea:
        """Which police events are the town's (:mod:`geo.io.police`)."""
        return PoliceArea(self.town, self.county)

    def streets_path(self) -> Path | None:
        """The streets file to use, or None when there is none."""
        if self.streets is not None:
            return self.streets
        beside = self.zones.with_name("streets.geojson")
        return beside if beside.exists() else None


class MapSettings(BaseSettings):
    """Maps. ``STADSKARNA_MAP_TILES``: basemap tile URL template or folium name ("OpenStreetMap"),
    or "none" for no basemap (the data layers still show); ``STADSKARNA_MAP_ATTRIBUTION`` for a URL."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_MAP_")
    tiles: str = "OpenStreetMap"
    attribution: str | None = None

    def folium_tiles(self) -> str | None:
        return None if self.tiles.strip().lower() == "none" else self.tiles

    def tile_url(self) -> tuple[str | None, str]:
        """(URL template or None, attribution) for pages that use Leaflet directly."""
        if self.folium_tiles() is None:
            return None, ""
        if self.tiles == "OpenStreetMap":
            return "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"
        return self.tiles, self.attribution or ""


class ReportSettings(BaseSettings):
    """Citizen reports. ``STADSKARNA_REPORTS_RATE_LIMIT``: submissions per client and minute."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_REPORTS_")
    rate_limit: int = 10
    rate_limit_file: Path | None = None
    """Where the processes of one service count submissions, sign-ins and what-ifs together
    (:mod:`service.ratelimit`); ``stadskarna serve`` sets it for its workers. None: this process
    counts alone."""
    max_photo_mb: float = 5.0
    max_description: int = 1000
    duplicate_radius_m: float = 15.0
    max_upload_mb: float = 200.0
    """Largest patrol track upload (POST /api/patrols)."""
    max_form_kb: float = 64.0
    """Largest request body without a file (JSON and forms; Open311 submissions)."""


class ModerationSettings(BaseSettings):
    """Pre-moderation of citizens' reports (:mod:`service.moderation`). ``STADSKARNA_MODERATION_WORDS``:
    a UTF-8 file of words and phrases, one a line, that hold a description for review (whole
    words, any case); none by default (links are held all the same)."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_MODERATION_")
    words: Path | None = None


class Open311Settings(BaseSettings):
    """Open311 GeoReport v2's discovery document: ``STADSKARNA_OPEN311_CONTACT``, whom an app's
    developers contact; ``STADSKARNA_OPEN311_KEY_SERVICE``, how they get an ``api_key``."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_OPEN311_")
    contact: str = "Halmstads kommun"
    key_service: str = ("Halmstads kommun registers an app and gives it an api_key (stadskarna token open311-client "
                        "NAME); a citizen's own submission needs none.")


class MailSettings(BaseSettings):
    """E-mail to citizens about their reports (:mod:`service.mail`). ``STADSKARNA_MAIL_HOST``: the
    SMTP server (unset: nothing is sent; mails stay queued); ``_PORT`` (587), ``_STARTTLS``
    (true), ``_USER`` and ``_PASSWORD`` (log in when a user is given), ``_FROM_ADDRESS`` (the
    sender). Links in mails are built from ``STADSKARNA_PUBLIC_URL``, which sending needs."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_MAIL_")
    host: str | None = None
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    user: str | None = None
    password: SecretStr | None = None
    from_address: str = "trygg-stadskarna@localhost"
    timeout_s: float = Field(20.0, gt=0)
    """How long one talk with the server may wait for an answer."""
    poll_s: float = Field(30.0, gt=0)
    """How often the background worker looks for mails due."""
    retry_s: float = Field(60.0, gt=0)
    """The wait after a first failed attempt; it doubles with each failure, up to ``max_retry_s``."""
    max_retry_s: float = Field(3600.0, gt=0)


class ServiceSettings(BaseSettings):
    """How the service is reached.

    ``STADSKARNA_PUBLIC_URL``: the address users reach the service at (for example
    ``https://trygghet.halmstad.se``); links in answers are built from it. Without it, links use
    the request's host only when it is one of ``STADSKARNA_ALLOWED_HOSTS`` (JSON list; default
    the local machine's names), and are relative otherwise: a client's ``Host`` header is never
    echoed. ``STADSKARNA_TRUSTED_PROXIES`` (JSON list of addresses or networks, default none):
    reverse proxies whose ``X-Forwarded-For`` is believed for the client's address (rate limits).
    ``STADSKARNA_MAX_IN_FLIGHT`` (default 4) and ``STADSKARNA_MAX_READS_IN_FLIGHT`` (default 8):
    requests that may write, and reads, one service process works on at once (health checks
    aside); more are answered 503 with ``Retry-After`` at once instead of queueing.
    ``STADSKARNA_WHAT_IF_RATE_LIMIT`` (default 30): what-ifs per client and minute.
    """

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_")
    public_url: str | None = None
    allowed_hosts: list[str] = ["localhost", "127.0.0.1", "[::1]"]
    trusted_proxies: list[str] = []
    max_in_flight: int = Field(4, ge=1)
    """Requests that may write (POST, PATCH, …) one process works on at once: their work is
    CPU-bound Python under one GIL and one write lock, so more threads add latency to all."""
    max_reads_in_flight: int = Field(8, ge=1)
    """Reads (GET, HEAD) one process works on at once: a read spends much of its time in the
    database, outside the GIL, so twice as many overlap (measured: 316 bbox pages a second with
    8, 181 with 4, 307 with 16; two processes)."""
    max_wait_ms: float = Field(50, ge=0)
    """How long a request waits for a free place before it is refused with 503."""
    what_if_rate_limit: int = Field(30, ge=1)
    """What-ifs (one more lamp, cameras' views) one client may ask for per minute: each is computed
    anew, so a client asking for them in a loop would keep a core busy (counted with the
    submissions' rate limit's file across processes)."""


class StaffSettings(BaseSettings):
    """Staff sign-in (:mod:`service.staff`). ``STADSKARNA_STAFF_SECURE_COOKIES`` (default true):
    cookies only over HTTPS — set it to false only to sign in over plain HTTP on your own machine
    (``make run``, tests). Sessions end after ``IDLE_MINUTES`` without a request and
    ``ABSOLUTE_HOURS`` after sign-in; ``LOGIN_RATE_LIMIT`` sign-in attempts per client and minute;
    ``MAX_FAILURES`` failed sign-ins in a row lock an account for ``LOCKOUT_MINUTES``;
    ``MIN_PASSWORD`` characters at least in a new password."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_STAFF_")
    secure_cookies: bool = True
    idle_minutes: float = Field(30, gt=0)
    absolute_hours: float = Field(10, gt=0)
    login_rate_limit: int = Field(10, ge=1)
    max_failures: int = Field(5, ge=1)
    lockout_minutes: float = Field(15, gt=0)
    min_password: int = Field(12, ge=8)


class OidcSettings(BaseSettings):
    """Staff sign-in with an OpenID Connect provider (:mod:`service.oidc`; Microsoft Entra ID and
    others). ``STADSKARNA_OIDC_ISSUER``: the provider's issuer URL (unset: no single sign-on and no
    call to any provider); ``CLIENT_ID`` and ``CLIENT_SECRET``: the service's registration there;
    ``ROLE_CLAIM`` (``roles``): the ID token's claim (a list or a string) whose values ``ROLES``
    maps to the service's roles as ``value=role`` pairs (``polis=police,kommun=municipality``; the
    first pair that matches wins); ``NAME_CLAIM`` (``preferred_username``, else ``email``, else
    ``sub``): the account's name; ``LABEL``: the provider's name on the button."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_OIDC_")
    issuer: str | None = None
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    role_claim: str = "roles"
    roles: str = ""
    name_claim: str = "preferred_username"
    label: str = "organisationens konto"
    scope: str = "openid profile email"
    timeout_s: float = Field(10.0, gt=0)
    """How long one call to the provider (discovery, keys, token) may wait."""
    flow_minutes: float = Field(10, gt=0)
    """How long a started sign-in may take at the provider before it has to start again."""

    def role_map(self) -> dict[str, str]:
        """``ROLES`` as {claim value: role}, in the order given; ValueError for a pair that is not ``value=role``."""
        pairs = [[side.strip() for side in part.split("=", 1)] for part in self.roles.split(",") if part.strip()]
        wrong = [pair[0] for pair in pairs if len(pair) != 2 or not all(pair)]
        if wrong:
            raise ValueError(f"not a value=role pair: {wrong[0]!r}")
        return dict(pairs)


class PresenceSettings(BaseSettings):
    """How patrol presence is counted (:class:`geo.patrol.PresenceRules`): any threshold of the
    rules by its name (``STADSKARNA_PRESENCE_BIKE_KMH=20``, …; unset: the method's default), and
    ``STADSKARNA_PRESENCE_EXCLUSIONS``, a GeoJSON file of areas never counted (the police
    station's yard, a garage)."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_PRESENCE_")
    max_gap_s: float | None = Field(None, gt=0)
    gap_factor: float | None = Field(None, ge=1)
    max_gap_cap_s: float | None = Field(None, gt=0)
    window_s: float | None = Field(None, gt=0)
    foot_kmh: float | None = Field(None, gt=0)
    bike_kmh: float | None = Field(None, gt=0)
    horse_kmh: float | None = Field(None, gt=0)
    vehicle_kmh: float | None = Field(None, gt=0)
    exclusions: Path | None = None


class HotspotSettings(BaseSettings):
    """Hot-spot dosage. ``STADSKARNA_HOTSPOT_BUFFER_M`` (default 10): a unit this close to a hot
    spot's edge is in it — the accuracy of its GPS; a whole multiple of 5 m, the presence trail's
    squares, so visits stay exact (:func:`geo.hotspots.hotspot_visits`).
    ``STADSKARNA_HOTSPOT_DENSITY_BANDWIDTH_M`` (default 150): the radius of the quartic kernel of
    the incidents' density (:func:`geo.hotspots.incident_density`), metres."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_HOTSPOT_")
    buffer_m: float = Field(GPS_BUFFER_M, ge=0, le=100, multiple_of=TRAIL_CELL_M)
    density_bandwidth_m: float = Field(DENSITY_BANDWIDTH_M, ge=20, le=2000)


class LightingSettings(BaseSettings):
    """How lamps are modelled. ``STADSKARNA_LIGHTING_PHOTOMETRY``: a folder of photometric files
    named after luminaire types (``<luminaire>.ldt`` or ``.ies``); lamps of other types are
    Lambertian. ``STADSKARNA_LIGHTING_PROFILE`` (default ``4100:1``): the operating profile of a
    year for the energy figures as ``hours:share`` pairs, for example ``1800:1,2300:0.5`` (full
    power in the evening, half at night); the hours of darkness in Halmstad are about 4,100 a year."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_LIGHTING_")
    photometry: Path | None = None
    profile: str = Field(",".join(f"{hours:g}:{share:g}" for hours, share in DEFAULT_PROFILE), pattern=r"^\s*\d+(\.\d+)?:\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?:\d+(\.\d+)?)*\s*$")

    def operating_profile(self) -> OperatingProfile:
        """The profile as (hours, share of full power) pairs."""
        pairs = tuple(tuple(float(v) for v in part.split(":")) for part in self.profile.split(","))
        return tuple((hours, share) for hours, share in pairs)


class PrivacySettings(BaseSettings):
    """What the public sees of citizens' data. ``STADSKARNA_PRIVACY_MIN_COUNT``: every public
    aggregate of citizen reports and unsafe-place pins (map grid cells, counts per zone, the
    yearly report) leaves out counts below this (k-anonymity)."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_PRIVACY_")
    min_count: int = Field(3, ge=1)


class PromiseSettings(BaseSettings):
    """The medborgarlöften. ``STADSKARNA_PROMISES_DIR``: folder of one promises file per year
    (``2020.yaml``, ``2021.yaml`` …)."""

    model_config = SettingsConfigDict(env_prefix="STADSKARNA_PROMISES_")
    dir: Path = DATA_DIR / "medborgarloften"


class Settings(BaseModel):
    """All settings of the service."""

    store: StoreSettings = Field(default_factory=StoreSettings)
    geography: GeographySettings = Field(default_factory=GeographySettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    moderation: ModerationSettings = Field(default_factory=ModerationSettings)
    maps: MapSettings = Field(default_factory=MapSettings)
    promises: PromiseSettings = Field(default_factory=PromiseSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    presence: PresenceSettings = Field(default_factory=PresenceSettings)
    hotspots: HotspotSettings = Field(default_factory=HotspotSettings)
    lighting: LightingSettings = Field(default_factory=LightingSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    open311: Open311Settings = Field(default_factory=Open311Settings)
    staff: StaffSettings = Field(default_factory=StaffSettings)
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    mail: MailSettings = Field(default_factory=MailSettings)


def settings_problem(exc: ValidationError) -> str | None:
    """A setting the environment got wrong, for people: each variable at fault by its name
    (``STADSKARNA_PRIVACY_MIN_COUNT``) and what is wrong with it — never the value (it may be a
    secret); None when ``exc`` is not about this module's settings."""
    prefix = next((cls.model_config.get("env_prefix", "") for cls in BaseSettings.__subclasses__()
                   if cls.__name__ == exc.title and cls.__module__ == __name__), None)
    if prefix is None:
        return None
    return "; ".join(f"setting {prefix.upper()}{'_'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
                     for error in exc.errors())

"""The application context: everything a use case needs from the running service — the settings,
the centre's zones and streets, the store, the page cache, the rate limiters and the single sign-on
provider — in one typed object, made once (by the app or a command) and passed to the use cases."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
from fastapi import Request

from geo.io.geojson import to_feature_collection
from geo.moderation import HoldRules
from geo.patrol import PresenceRules
from geo.streets import read_streets
from geo.zones import published_zones, read_zones
from service.coverage import LightingModel, lighting_model
from service.moderation import hold_rules
from service.oidc import Provider
from service.pagecache import PageCache
from service.presence import presence_rules
from service.ratelimit import RateLimiter
from service.settings import Settings
from service.store import Store, open_store


@dataclass
class Context:
    """The service's settings, zones (WGS84), streets (WGS84, or None), store, page cache and the
    rate limiter of citizens' submissions."""

    settings: Settings
    zones: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame | None
    store: Store
    pages: PageCache
    report_limiter: RateLimiter
    zones_geojson: bytes
    """The zones as the GeoJSON document /api/zones answers (they do not change while the service runs)."""
    rules: PresenceRules
    """How patrol presence is counted (:func:`service.presence.presence_rules`)."""
    lighting: LightingModel
    """How lamps are modelled (measured photometry, the energy's operating profile)."""
    login_limiter: RateLimiter
    """The rate limiter of staff sign-in attempts (per client and minute)."""
    what_if_limiter: RateLimiter
    """The rate limiter of what-ifs (per client and minute; :data:`service.limits.WHAT_IFS`)."""
    oidc: Provider | None = None
    """The OpenID Connect provider staff may sign in with, when one is configured."""
    clock: Callable[[], pd.Timestamp] = field(default=lambda: pd.Timestamp.now(tz="UTC"))
    """The time now (UTC) for sessions and sign-in; tests move it."""
    hold: HoldRules = field(default_factory=HoldRules)
    """What holds a report's description for review (links, the settings' word list)."""

    @classmethod
    def open(cls, settings: Settings) -> Context:
        """Read and check the zones (and streets, and the promises files' zone tables) and open the
        store, or fail with a :class:`geo.errors.ValidationError` / :class:`service.store.StoreError`
        that says why."""
        from service.auth import ROLES  # (service.auth needs this)
        from service.promises import check_promise_folder  # (service.promises needs the web errors, which need this)

        provider = Provider.configured(settings.oidc, ROLES)
        zones = read_zones(settings.geography.zones)
        hold = hold_rules(settings.moderation.words)
        check_promise_folder(settings.promises.dir, zones)
        lighting = lighting_model(settings.lighting)
        streets_path = settings.geography.streets_path()
        streets = read_streets(streets_path) if streets_path else None
        store = open_store(settings.store)
        shown = published_zones(zones)
        document = json.dumps(to_feature_collection(shown, metadata=zones.attrs.get("metadata")), ensure_ascii=False)
        limiter = RateLimiter(settings.reports.rate_limit, path=settings.reports.rate_limit_file)
        # sign-in attempts and what-ifs are counted in the same file as submissions, under keys of their own
        logins = RateLimiter(settings.staff.login_rate_limit, path=settings.reports.rate_limit_file, kind="sign-in")
        what_ifs = RateLimiter(settings.service.what_if_rate_limit, path=settings.reports.rate_limit_file,
                               kind="what-if")
        return cls(settings, zones, streets, store, PageCache(store), limiter, document.encode("utf-8"),
                   presence_rules(settings.presence), lighting, logins, what_ifs, provider, hold=hold)

    def close(self) -> None:
        """Close the store and the rate limiters' files."""
        self.store.close()
        for limiter in (self.report_limiter, self.login_limiter, self.what_if_limiter):
            limiter.close()


def context(request: Request) -> Context:
    """The context of the app serving ``request``."""
    return request.app.state.context

"""Persistence behind one contract (:class:`Store`): the embedded GeoPackage file by default,
PostgreSQL with PostGIS when a database URL is given (:func:`open_store`)."""

from __future__ import annotations

from pathlib import Path

from service.store.base import (DATA_TOPICS, Actor, AuditEvent, Conflict, Extent, FeaturePage, FeatureQuery, Listeners,
                                NotFound, PublishedPage, QueuedMail, SessionRecord, SsoFlow, Store, StoreError,
                                TokenRecord, Unavailable, UserRecord, WriteResult)
from service.store.embedded import GeoPackageDialect
from service.store.sql import SQLStore
from service.settings import StoreSettings


class SQLiteStore(SQLStore):
    """The embedded store: one SQLite file at ``path`` that is also a GeoPackage (created on first
    open). A write waits at most ``busy_timeout_s`` for another program's write lock."""

    def __init__(self, path: str | Path, busy_timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        super().__init__(GeoPackageDialect(self.path, busy_timeout_s))

    @property
    def busy_timeout_s(self) -> float:
        """How long a write waits for another program's write lock (s)."""
        return self.dialect.busy_timeout_s

    @busy_timeout_s.setter
    def busy_timeout_s(self, seconds: float) -> None:
        self.dialect.busy_timeout_s = seconds


def open_store(settings: StoreSettings) -> Store:
    """The store the settings name: PostGIS at ``database_url`` when given, else the embedded file ``db``."""
    if settings.database_url:
        from service.store.postgis import PostGISDialect

        return SQLStore(PostGISDialect(settings.database_url, settings.busy_timeout_s))
    return SQLiteStore(settings.db, settings.busy_timeout_s)


__all__ = ["DATA_TOPICS", "Actor", "AuditEvent", "Conflict", "Extent", "FeaturePage", "FeatureQuery", "NotFound",
           "Listeners", "PublishedPage", "QueuedMail", "SQLStore", "SQLiteStore", "SessionRecord", "SsoFlow", "Store",
           "StoreError", "TokenRecord", "Unavailable", "UserRecord", "WriteResult", "open_store"]

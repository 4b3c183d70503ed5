"""The Store interface that the CLI and the service use, whatever the backend, and its errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import geopandas as gpd
import pandas as pd

from geo.layers import LayerSchema


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
    """Who made a change: a role (municipality, police, planner, citizen, open311, import, demo)
    and a label (a token's label, an Open311 client's name, a file name)."""

    role: str
    label: str = ""


class Store(Protocol):
    """Where the service keeps its layers (SQLite/GeoPackage by default, PostGIS later).

    Frames in and out are the validated layer frames of :mod:`geo.layers` (WGS84). Every write is
    one transaction: it all lands or none of it does.
    """

    def schema_version(self) -> int:
        """The schema version of the stored data."""
        ...

    kind: str
    """The backend's name (``sqlite``, ``postgis``), safe to show anyone."""

    def describe(self) -> str:
        """Where the data lives, for logs and the person running the service (no secrets)."""
        ...

    def write_features(self, schema: LayerSchema, frame: gpd.GeoDataFrame) -> object:
        """Insert or update records of incidents, lights or reports by id."""
        ...

    def read_features(self, schema: LayerSchema, include_private: bool = False) -> gpd.GeoDataFrame:
        """All records of a point layer."""
        ...

    def write_pings(self, pings: pd.DataFrame, progress: Callable[[int, int], None] | None = None) -> object:
        """Add patrol pings; pings already stored for the unit and time are left alone."""
        ...

    def read_pings(self, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                   unit_ids: list[str] | None = None) -> pd.DataFrame:
        """Patrol pings in a time range, sorted by unit and time."""
        ...

    def count(self, schema: LayerSchema) -> int:
        """Records (pings) stored in a layer."""
        ...

    def is_empty(self) -> bool:
        """True when no layer holds any record."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A note stored about the data (for example that it is synthetic demo data)."""
        ...

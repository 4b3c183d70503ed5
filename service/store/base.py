"""The Store interface that the CLI and the service use, whatever the backend."""

from __future__ import annotations

from typing import Protocol


class StoreError(Exception):
    """The store cannot be opened or used; the message is meant for the person running it."""


class Store(Protocol):
    """A place where the service keeps its data (SQLite by default, PostGIS later)."""

    def schema_version(self) -> int:
        """The schema version of the stored data."""
        ...

    def describe(self) -> str:
        """Where the data lives, for logs and the health check (no secrets)."""
        ...

"""What differs between the databases behind :class:`service.store.sql.SQLStore`: how a
connection is set up and a transaction begun, the versioned schema, how a point is written and
read, the spatial filter, and which errors mean "busy". Everything else is one SQL for both."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import TextClause
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from geo.layers import UNPUBLISHED_CATEGORIES, LayerSchema
from service.store.base import StoreError, Unavailable

FEATURE_TABLES = ("incidents", "lights", "reports", "events", "cameras")
"""The point layers' tables (each with ``fid``, ``geom`` and the layer's fields); the first three
are schema 2's, ``events`` came with schema 25 and ``cameras`` with 26."""


def published_condition(row: str = "") -> str:
    """SQL that holds for a report the public sees one by one (its category is not one of
    :data:`geo.layers.UNPUBLISHED_CATEGORIES`); ``row`` prefixes the column (``"NEW."``, ``"t."``)."""
    return f"{row}category NOT IN (" + ", ".join(f"'{c}'" for c in UNPUBLISHED_CATEGORIES) + ")"


class Dialect:
    """The database-specific part of the store; subclasses fill it in."""

    kind: str
    """The backend's name, safe to show anyone."""
    busy_timeout_s: float
    """How long a write waits for the database's write lock (s)."""
    geom_param: str = ":geom"
    """SQL that turns the bound ``geom`` value (from :meth:`encode_points`) into a stored point."""

    def engine(self) -> Engine:
        """The SQLAlchemy engine (a pool of connections; a write transaction takes the database's
        write lock at once, waiting at most the busy timeout)."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where the data lives (no secrets)."""
        raise NotImplementedError

    def migrate(self, con: Connection, version: int, target: int) -> None:
        """Bring the schema from ``version`` (0: empty) to ``target`` inside the transaction."""
        raise NotImplementedError

    def current_version(self, con: Connection) -> int:
        """The stored schema version (0 for an empty database); :class:`StoreError` for a
        database that holds other data."""
        raise NotImplementedError

    def migrated(self, engine: Engine) -> None:
        """Anything to do once the schema was brought up to date (outside any transaction)."""

    def writing(self, timeout_s: float) -> AbstractContextManager[None]:
        """Held around every write transaction, from before it begins until after it ends (a
        finer wait for the write lock where the database's own is coarse); :class:`Unavailable`
        after ``timeout_s``."""
        return nullcontext()

    def lock_table(self, con: Connection, table: str) -> None:
        """In a write transaction: keep other writers of ``table`` out until it ends, so a check
        over several of its rows and the write that follows are one step. The embedded file has
        one writer at a time already."""

    def encode_points(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list:
        """The bound values of points (WGS84 degrees) for :attr:`geom_param`."""
        raise NotImplementedError

    def geom_select(self, column: str) -> str:
        """SQL that reads a stored point for :meth:`decode_points`."""
        return column

    def decode_points(self, values: Sequence) -> NDArray[np.object_]:
        """Shapely points from what :meth:`geom_select` read."""
        raise NotImplementedError

    def time_select(self, column: str) -> str:
        """SQL that reads a stored time as the store writes it
        (:func:`geo.timestamps.format_utc`'s text), so a page's times need no parsing."""
        return column

    def bbox_filter(self, table: str, alias: str) -> str:
        """SQL that keeps the rows of ``alias`` (a ``table``) whose point lies in the box bound as
        ``:bx0, :by0, :bx1, :by1`` (WGS84, edges included), using the spatial index."""
        raise NotImplementedError

    def area_filter(self, alias: str) -> str:
        """SQL that keeps the rows of ``alias`` whose point lies in the polygon bound as ``:area``
        (WKB, WGS84), its boundary included: the exact test after :meth:`bbox_filter` of its box."""
        raise NotImplementedError

    def extent_columns(self, alias: str) -> str:
        """SQL of four aggregate columns over the rows of ``alias``: the min lon, min lat, max lon
        and max lat of their points (NULL for none)."""
        raise NotImplementedError

    def published_matches(self, schema: LayerSchema) -> str | None:
        """A SELECT of the ``fid`` of every record of ``schema`` the public sees one by one (not
        of :data:`geo.layers.UNPUBLISHED_CATEGORIES`) with its point in the box bound as
        ``:bx0, :by0, :bx1, :by1``, answered from an index of those records alone; None where the
        database has none (:meth:`bbox_filter` and the category's test serve instead)."""
        return None

    def fetch_blobs(self, con: Connection, statement: TextClause, params: dict) -> list:
        """The rows of a query that reads large binary columns (the patrol ping chunks)."""
        return con.execute(statement, params).all()

    def after_features_written(self, con: Connection, table: str, bounds: tuple[float, float, float, float]) -> None:
        """Bookkeeping after points were written in ``table`` (the GeoPackage's extent)."""

    def open_error(self, exc: DBAPIError) -> StoreError:
        """What to tell the person opening the database when the database refused."""
        return StoreError(f"cannot open {self.describe()}: {exc.orig}")

    def busy(self, exc: BaseException, waited_s: float) -> Unavailable | None:
        """:class:`Unavailable` when ``exc`` means another program holds a lock we waited for."""
        return None

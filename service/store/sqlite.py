"""Embedded backend: one SQLite file, WAL mode, every write in a transaction, versioned schema."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service.store.base import StoreError

SCHEMA_VERSION = 1
"""Version of the schema this code writes. Older files are migrated; newer ones refused."""

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("CREATE TABLE stadskarna_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",),
}
"""SQL statements that bring a file from the previous version to each version."""


class SQLiteStore:
    """The embedded store: a single SQLite file at ``path``, created on first open."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise StoreError(f"database path {self.path} is a directory; give a file path")
        if not self.path.parent.exists():
            raise StoreError(f"cannot create database {self.path}: folder {self.path.parent} does not exist")
        try:
            con = self._connect()
            try:
                con.execute("PRAGMA journal_mode=WAL")
            finally:
                con.close()
            with self.transaction() as con:
                self._migrate(con)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a Trygg stadskärna database ({exc})") from None

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.execute("PRAGMA foreign_keys=ON")
        return con

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A connection whose work is committed together on success and rolled back on any error."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def _migrate(self, con: sqlite3.Connection) -> None:
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "stadskarna_meta" in tables:
            version = int(con.execute("SELECT value FROM stadskarna_meta WHERE key='schema_version'").fetchone()[0])
        elif tables - {"sqlite_sequence"}:
            raise StoreError(f"{self.path} holds other data (tables {', '.join(sorted(tables))}); "
                             "give a new file or an existing Trygg stadskärna database")
        else:
            version = 0
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} has schema version {version}, newer than this program's "
                             f"{SCHEMA_VERSION}; upgrade stadskarna to open it")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[target]:
                con.execute(statement)
            con.execute("INSERT OR REPLACE INTO stadskarna_meta VALUES ('schema_version', ?)", (str(target),))

    def schema_version(self) -> int:
        """The schema version stored in the file."""
        with self.transaction() as con:
            return int(con.execute("SELECT value FROM stadskarna_meta WHERE key='schema_version'").fetchone()[0])

    def describe(self) -> str:
        """``sqlite:`` and the file's path."""
        return f"sqlite:{self.path}"

"""A per-client sliding-window rate limit that every process of one service shares.

The events are rows of a small SQLite database: a file that the worker processes of
``stadskarna serve --workers N`` open together (so a client gets one limit, not N), or a private
in-memory database for a single process. Checking and counting is one write transaction, so two
processes cannot both let the last allowed event through. Clients are kept only for the window
and as keyed hashes (the key is random, made by the first process and kept in the same file, so
this keeps addresses out of sight, not from someone who can read the file: it is made readable by
its owner only); at most ``max_events`` events are kept, the oldest forgotten first, so a flood of
addresses can neither fill the disk nor make a check slow.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import sqlite3
import threading
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from geo.errors import Message
from service.store.base import StoreError, Unavailable

T = TypeVar("T")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS secret (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL)",
    "INSERT OR IGNORE INTO secret VALUES (1, randomblob(32))",
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, client BLOB NOT NULL, t REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS events_client ON events (client, t)",
    "CREATE INDEX IF NOT EXISTS events_t ON events (t)",
)


class RateLimiter:
    """At most ``limit`` events per ``window_s`` seconds per client, counted in the database at
    ``path`` (shared by every process that opens it; None: this process alone). Limiters of other
    ``kind`` sharing the file count apart (a client's keys are of its kind)."""

    def __init__(self, limit: int, window_s: float = 60.0, path: Path | None = None,
                 max_events: int = 100_000, kind: str = "") -> None:
        self.limit, self.window_s, self.max_events, self.kind = limit, window_s, max_events, kind
        self._lock = threading.Lock()
        try:
            if path is not None:  # made readable by its owner only (SQLite gives its log the same mode)
                os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            self._con = sqlite3.connect(":memory:" if path is None else str(path), timeout=5.0,
                                        isolation_level=None, check_same_thread=False)
            if path is not None:
                self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA synchronous=OFF")  # the counts need not outlive a crash of the machine
            self._transaction(lambda con: [con.execute(statement) for statement in _SCHEMA])
            self._key = self._con.execute("SELECT key FROM secret").fetchone()[0]
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the rate limit's file {path} "
                             f"(STADSKARNA_REPORTS_RATE_LIMIT_FILE): {exc}") from None

    def retry_after(self, client: str, now: float | None = None) -> int | None:
        """Record an event for ``client``; None when allowed, else the seconds to wait.
        ``now``: seconds since the epoch (the processes share the wall clock)."""
        now = time.time() if now is None else now
        name = f"{self.kind} {client}" if self.kind else client
        key = hmac.new(self._key, name.encode("utf-8"), hashlib.sha256).digest()[:16]

        def check(con: sqlite3.Connection) -> int | None:
            # expired events go, and any from the future (the clock was set back)
            con.execute("DELETE FROM events WHERE t <= ? OR t > ?", (now - self.window_s, now + self.window_s))
            count, first = con.execute("SELECT count(*), min(t) FROM events WHERE client = ?", (key,)).fetchone()
            if count >= self.limit:
                return max(1, math.ceil(first + self.window_s - now))
            last = con.execute("INSERT INTO events (client, t) VALUES (?, ?)", (key, now)).lastrowid
            con.execute("DELETE FROM events WHERE id <= ?", (last - self.max_events,))
            return None

        try:
            return self._transaction(check)
        except sqlite3.Error:  # busy for seconds, or the disk failed: refuse for now, count nothing
            raise Unavailable(Message("requests cannot be counted for the rate limit just now; try again shortly"),
                              1) from None

    def _transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` in one write transaction (rolled back when it fails), one thread at a time."""
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._con)
                self._con.execute("COMMIT")
            except BaseException:
                if self._con.in_transaction:
                    self._con.execute("ROLLBACK")
                raise
            return result

    def __len__(self) -> int:
        """How many clients have events kept (expired ones go at the next check)."""
        with self._lock:
            return self._con.execute("SELECT count(DISTINCT client) FROM events").fetchone()[0]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._con.close()

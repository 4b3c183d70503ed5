"""Group commit: writes that arrive together share one transaction and one flush to disk.

A durable commit waits for the disk (an fsync, milliseconds) while it holds the database's write
lock, so one transaction per citizen's report caps the reports a second however fast the rest is.
Here each writer hands its work to :meth:`GroupCommit.run`; one of the waiting writers (the
leader) writes everything waiting in one transaction, each piece in a savepoint of its own (a
piece that fails is rolled back alone and its writer gets its error), commits once, and wakes the
others. Whoever arrives while a commit runs waits for the next one, whose leader is the first of
them: a writer never waits for more than the commit in progress and its own. Nobody is answered
before the transaction holding their write is committed, so nothing answered is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection


class _Work:
    __slots__ = ("write", "result", "error", "done", "lead", "wake")

    def __init__(self, write: Callable[[Connection], Any]) -> None:
        self.write, self.result, self.error = write, None, None
        self.done = self.lead = False
        self.wake = threading.Event()


class GroupCommit:
    """Runs ``write(connection)`` callables in shared transactions from ``transaction()``."""

    def __init__(self, transaction: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._transaction = transaction
        self._lock = threading.Lock()
        self._waiting: list[_Work] = []
        self._leading = False

    def run(self, write: Callable[[Connection], Any]) -> Any:
        """``write(connection)``'s result once the transaction it ran in is committed; its
        exception (nothing of it written) when it raised, or when the transaction failed."""
        work = _Work(write)
        with self._lock:
            self._waiting.append(work)
            if not self._leading:
                self._leading = work.lead = True
        if not work.lead:
            work.wake.wait()  # done, or asked to lead the next commit
        if not work.done:
            self._lead()
        if work.error is not None:
            raise work.error
        return work.result

    def _lead(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting, []
        try:
            with self._transaction() as con:
                for work in batch:
                    try:
                        with con.begin_nested():
                            work.result = work.write(con)
                    except Exception as exc:  # this writer's own failure: its savepoint is rolled back
                        work.error = exc
        except BaseException as exc:  # the transaction failed (busy, disk): nothing of the batch is written
            for work in batch:
                if work.error is None:
                    work.error, work.result = exc, None
        finally:
            for work in batch:
                work.done = True
                work.wake.set()
            with self._lock:
                if self._waiting:
                    following = self._waiting[0]
                    following.lead = True
                    following.wake.set()
                else:
                    self._leading = False

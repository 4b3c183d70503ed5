"""A per-client sliding-window rate limit (in memory, per process), with bounded memory."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque


class RateLimiter:
    """At most ``limit`` events per ``window_s`` seconds per client. At most ``max_clients``
    clients are tracked: when more arrive, the least recently seen are forgotten (so a flood of
    addresses can neither exhaust memory nor make each new client cost a scan)."""

    def __init__(self, limit: int, window_s: float = 60.0, max_clients: int = 100_000) -> None:
        self.limit, self.window_s, self.max_clients = limit, window_s, max_clients
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str, now: float | None = None) -> int | None:
        """Record an event for ``client``; None when allowed, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.get(client)
            if events is None:
                self._make_room(now)
                events = self._events[client] = deque()
            self._events.move_to_end(client)
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                return max(1, math.ceil(events[0] + self.window_s - now))
            events.append(now)
            return None

    def _make_room(self, now: float) -> None:
        """Forget the least recently seen clients until there is room for one more (O(1) each)."""
        while len(self._events) >= self.max_clients:
            self._events.popitem(last=False)

    def __len__(self) -> int:
        return len(self._events)

"""Pages and figures built once per version of the stored data they are built from (any change of
that data makes a new version), and built once even when many ask at the same time."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from service.store import Store

T = TypeVar("T")


class PageCache:
    """At most ``size`` results of :meth:`get`, each kept while the version of the data it is built
    from stays the same (all the data, or the topics it names). A result being built is built once: whoever asks for the same key meanwhile waits
    for it instead of building it again (so memory does not grow with concurrent requests)."""

    def __init__(self, store: Store, size: int = 32) -> None:
        self.store, self.size = store, size
        self._entries: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()  # key: ((topics, version), value)
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T], topics: tuple[str, ...] | None = None) -> T:
        """``build()``'s result for ``key`` at the current version of the data, or of the data
        ``topics`` (of :data:`service.store.DATA_TOPICS`) when ``build`` reads only those."""
        # read before building: a write during the build makes a new version
        version = (topics, self.store.data_version() if topics is None else self.store.topic_versions(topics))
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] == version:
                self._entries.move_to_end(key)
                return hit[1]
            building = self._building.setdefault((key, version), threading.Lock())
        with building:
            with self._lock:
                hit = self._entries.get(key)
                if hit is not None and hit[0] == version:  # built by whoever held the lock before
                    return hit[1]
            try:
                value = build()
            finally:
                with self._lock:
                    self._building.pop((key, version), None)
            with self._lock:
                for old in [k for k, (v, _) in self._entries.items() if v[0] == topics and v != version]:
                    del self._entries[old]  # built from data of the same topics that has changed since
                self._entries[key] = (version, value)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return value

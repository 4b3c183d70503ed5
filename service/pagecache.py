"""Pages and figures built once per version of the stored data (any write makes a new version)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")
MAX_ENTRIES = 32
_LOCK = threading.Lock()  # routes run in a thread pool; the dict is changed under the lock (builds are not)


def cached(state, key: Hashable, build: Callable[[], T]) -> T:
    """``build()``'s result for ``key``, kept while the store's data stay the same. Entries of older
    data versions are dropped when a new one is stored, so nothing stale is ever served."""
    version = state.store.data_version()  # read before building: a write during the build makes a new version
    with _LOCK:
        cache: dict = state.__dict__.setdefault("page_cache", {})
        hit = cache.get(key)
    if hit is not None and hit[0] == version:
        return hit[1]
    value = build()
    with _LOCK:
        for old in [k for k, (v, _) in cache.items() if v != version]:
            cache.pop(old, None)
        while len(cache) >= MAX_ENTRIES:
            cache.pop(next(iter(cache)))
        cache[key] = (version, value)
    return value

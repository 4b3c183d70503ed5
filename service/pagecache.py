"""Pages and figures built once per version of the stored data (any write makes a new version)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")
MAX_ENTRIES = 32


def cached(state, key: Hashable, build: Callable[[], T]) -> T:
    """``build()``'s result for ``key``, kept while the store's data stay the same. Entries of older
    data versions are dropped when a new one is stored, so nothing stale is ever served."""
    cache: dict = state.__dict__.setdefault("page_cache", {})
    version = state.store.data_version()
    hit = cache.get(key)
    if hit is not None and hit[0] == version:
        return hit[1]
    value = build()
    for old in [k for k, (v, _) in cache.items() if v != version]:
        del cache[old]
    while len(cache) >= MAX_ENTRIES:
        del cache[next(iter(cache))]
    cache[key] = (version, value)
    return value

"""Persistence behind one interface; the embedded SQLite backend is the default."""

from service.store.base import Store, StoreError
from service.store.sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store", "StoreError"]

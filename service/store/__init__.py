"""Persistence behind one interface; the embedded SQLite backend is the default."""

from service.store.base import Actor, Conflict, NotFound, Store, StoreError, Unavailable
from service.store.sqlite import SQLiteStore

__all__ = ["Actor", "Conflict", "NotFound", "SQLiteStore", "Store", "StoreError", "Unavailable"]

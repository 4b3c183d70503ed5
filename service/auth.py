"""Access tokens and roles: bearer tokens stored as SHA-256 hashes, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request

from service.store import SQLiteStore

ROLES = ("police", "municipality", "planner")
"""police: patrol tracks and exact incidents; planner: exact incidents; municipality: staff workflow."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(store: SQLiteStore, role: str, label: str = "") -> str:
    """A new random token for ``role``; only its hash is stored, so show it once."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    token = secrets.token_urlsafe(32)
    store.add_token(_hash(token), role, label)
    return token


def _lookup(pairs: list[tuple[str, str]], secret: str) -> str | None:
    """The value paired with the hash of ``secret``; every hash is compared in constant time."""
    wanted = _hash(secret)
    found = None
    for stored, value in pairs:
        if hmac.compare_digest(stored, wanted):
            found = value
    return found


def role_of(store: SQLiteStore, token: str) -> str | None:
    """The role of ``token``, or None."""
    return _lookup(store.token_hashes(), token)


def create_open311_key(store: SQLiteStore, name: str) -> str:
    """A new api_key for the Open311 client application ``name``; only its hash is stored."""
    if not name.strip():
        raise ValueError("give the client application a name")
    key = secrets.token_urlsafe(24)
    store.add_open311_client(_hash(key), name.strip())
    return key


def open311_client(store: SQLiteStore, api_key: str) -> str | None:
    """The name of the client application with this api_key, or None."""
    return _lookup(store.open311_clients(), api_key)


def request_role(request: Request) -> str | None:
    """FastAPI dependency: the caller's role from ``Authorization: Bearer <token>``, None when
    anonymous; 401 for a malformed header or an unknown token."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "the Authorization header must be 'Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})
    role = role_of(request.app.state.store, token.strip())
    if role is None:
        raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
    return role


def require(role: str | None, allowed: tuple[str, ...], what: str) -> None:
    """401 when anonymous, 403 when the role may not do ``what``."""
    if role is None:
        raise HTTPException(401, f"{what} needs a token (roles: {', '.join(allowed)})",
                            headers={"WWW-Authenticate": "Bearer"})
    if role not in allowed:
        raise HTTPException(403, f"{what} is for the roles {', '.join(allowed)}, not {role}")

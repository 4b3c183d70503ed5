"""Access tokens and roles: bearer tokens stored as SHA-256 hashes, with a public id, a label,
an optional expiry, revocation and the time of last use; and who calls — a token, or a signed-in
staff member's session (:mod:`service.staff`), whose changes must carry its CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pandas as pd
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from geo.text import clean_value
from service import staff
from geo.errors import Message
from service.errors import CsrfRefused, Forbidden, Unauthorized
from service.forms import FORM, MULTIPART
from service.security import client_address
from service.store import Actor, Store
from service.context import context

ROLE_NAMES = {"police": "polisen", "municipality": "kommunen", "planner": "planerare"}
"""The roles and their Swedish names. police: patrol tracks and exact incidents; planner: exact
incidents; municipality: staff workflow."""
ROLES = tuple(ROLE_NAMES)
LAST_USED_RESOLUTION = pd.Timedelta(minutes=1)
"""A token's last use is kept to the minute: at most one write per token and minute."""
STAFF = ROLES
"""Every role is staff: they see unsafe-place pins, report photos and exact aggregates of citizens' data."""
EXACT_INCIDENT_ROLES = ("police", "planner")
"""The roles that see incidents exact; everyone else sees them generalised (geo.publish)."""
PATROL_ROLES = ("police",)
"""The roles that see patrol tracks."""
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
"""Methods that change nothing: all others, made with a session, need its CSRF token."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Caller:
    """A caller with a valid token — its role, and the token's public id and label (who, in
    history rows) — or a signed-in staff member: the account's role and ``user``, its name."""

    role: str
    token_id: str
    label: str
    user: str | None = None

    @property
    def actor(self) -> Actor:
        if self.user is not None:
            return Actor(self.role, f"{self.user} (inloggad)")
        return Actor(self.role, f"{self.label} ({self.token_id})" if self.label else self.token_id)


def token_id_of(token: str) -> str:
    """A token's public id (to list and revoke it): ``tok-`` and the first 10 hex digits of its hash."""
    return f"tok-{_hash(token)[:10]}"


def create_token(store: Store, role: str, label: str = "", expires_at: pd.Timestamp | None = None) -> str:
    """A new random token for ``role``, valid until ``expires_at`` (UTC; None: until revoked);
    only its hash is stored, so show it once (its id: :func:`token_id_of`)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    if expires_at is not None and expires_at <= pd.Timestamp.now(tz="UTC"):
        raise ValueError(f"the expiry {expires_at} has passed already")
    token = secrets.token_urlsafe(32)
    store.add_token(token_id_of(token), _hash(token), role, clean_value(label, "label").strip(), expires_at)
    return token


def caller_of(store: Store, token: str, at: pd.Timestamp | None = None) -> Caller | None:
    """The caller a token stands for, or None when it is unknown, revoked or expired; notes its use."""
    at = at or pd.Timestamp.now(tz="UTC")
    record = store.token(_hash(token))
    if record is None or not record.valid_at(at):
        return None
    if record.last_used_at is None or at - record.last_used_at > LAST_USED_RESOLUTION:
        store.token_used(record.token_id, at, LAST_USED_RESOLUTION.total_seconds())
    return Caller(record.role, record.token_id, record.label)


def create_open311_key(store: Store, name: str) -> str:
    """A new api_key for the Open311 client application ``name``; only its hash is stored."""
    if not name.strip():
        raise ValueError("give the client application a name")
    key = secrets.token_urlsafe(24)
    store.add_open311_client(_hash(key), name.strip())
    return key


def open311_client(store: Store, api_key: str) -> str | None:
    """The name of the client application with this api_key, or None (hashes compared in constant time)."""
    wanted, found = _hash(api_key), None
    for stored, name in store.open311_clients():
        if hmac.compare_digest(stored, wanted):
            found = name
    return found


def bearer_caller(request: Request) -> Caller | None:
    """FastAPI dependency of every route: the caller from ``Authorization: Bearer <token>``, None
    without the header; 401 for a malformed header or an unknown, revoked or expired token."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(Message("the Authorization header must be 'Bearer <token>'"))
    caller = caller_of(context(request).store, token.strip())
    if caller is None:
        raise Unauthorized(Message("unknown, expired or revoked token"))
    return caller


def session_caller(request: Request) -> Caller | None:
    """The signed-in staff member of the request's session cookie, or None (no cookie; an
    unknown, ended or expired session; a disabled account)."""
    session_id = request.cookies.get(staff.SESSION_COOKIE)
    if not session_id:
        return None
    state = context(request)
    record = staff.session_user(state.store, session_id, state.clock(), state.settings.staff)
    return None if record is None else Caller(record.role, "", record.name, user=record.name)


def identify(request: Request) -> Caller | None:
    """The caller from a token, else from a session — before the body is read, so without the
    CSRF check (:func:`request_caller` makes it)."""
    return bearer_caller(request) or session_caller(request)


async def request_caller(request: Request, token: Caller | None = Depends(bearer_caller)) -> Caller | None:
    """FastAPI dependency: who calls — a token's caller; else the signed-in staff member, whose
    every request that may change something must carry the session's CSRF token (the
    ``X-CSRF-Token`` header or the ``csrf_token`` form field: 403 otherwise); else None."""
    if token is not None:
        return token
    caller = await run_in_threadpool(session_caller, request)  # a session lookup reads the store
    if caller is None:
        return None
    if request.method not in SAFE_METHODS:
        await _check_csrf(request)
    request.state.staff = caller  # the staff audit records what the session did (service.audit)
    return caller


async def _check_csrf(request: Request) -> None:
    """403 unless the request carries its session's CSRF token (compared in constant time)."""
    given = request.headers.get(staff.CSRF_HEADER)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if given is None and kind in (FORM, MULTIPART):
        value = (await request.form()).get(staff.CSRF_FIELD)
        given = value if isinstance(value, str) else None
    expected = staff.csrf_token(request.cookies[staff.SESSION_COOKIE])
    if given is None or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise CsrfRefused(Message("a change made while signed in needs the session's CSRF token (the page's csrf_token "
                                  "field or the X-CSRF-Token header); reload the page and try again"))


def client_of(request: Request) -> str:
    """The client's address (:func:`service.security.client_address`), for rate limits and the audit."""
    return client_address(request, context(request).settings.service.trusted_proxies)


def request_role(caller: Caller | None = Depends(request_caller)) -> str | None:
    """FastAPI dependency: the caller's role, None when anonymous."""
    return caller.role if caller else None


def require(role: str | None, allowed: tuple[str, ...], what: str) -> None:
    """401 when anonymous, 403 when the role may not do ``what``."""
    if role is None:
        raise Unauthorized(Message("{what} needs a token (roles: {allowed})", what=what, allowed=', '.join(allowed)))
    if role not in allowed:
        raise Forbidden(Message("{what} is for the roles {allowed}, not {role}", what=what, allowed=', '.join(allowed),
                                role=role))

"""Staff accounts and sign-in for people (machines keep their bearer tokens, :mod:`service.auth`):
Argon2 password hashes, lock-out after repeated failed sign-ins, accounts of single sign-on (no
password; their provider vouches for them, :mod:`service.oidc`), and server-side sessions whose
random id only the browser keeps (in a cookie); the store keeps its SHA-256 hash. Every sign-in,
failed sign-in, sign-out and account change is a row of the staff audit."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.settings import StaffSettings
from service.store import AuditEvent, Conflict, SessionRecord, Store, UserRecord

SESSION_COOKIE = "stadskarna_session"
"""The cookie that holds a signed-in browser's session id."""
LOGIN_COOKIE = "stadskarna_login"
"""The cookie that holds the sign-in form's own CSRF token (before there is a session)."""
CSRF_FIELD = "csrf_token"
"""The hidden form field of the CSRF token."""
CSRF_HEADER = "X-CSRF-Token"
"""The header of the CSRF token, for scripts."""
COMMAND_LINE = "command line"
"""Who changes accounts from ``stadskarna user`` (the audit's actor)."""
SINGLE_SIGN_ON = "single sign-on"
"""Who creates accounts and changes their roles at a sign-in through the provider (the audit's actor)."""
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
"""An account name: 2–64 lower-case letters a–z, digits, ``.``, ``_`` and ``-``."""
SSO_NAME_PATTERN = re.compile(r"\w[\w.@+-]{1,127}")
"""The name of an account of single sign-on: the provider's user name (trimmed, lower case), 2–128
letters, digits, ``.``, ``_``, ``@``, ``+`` and ``-`` — a user name or an e-mail address. Every
name of :data:`NAME_PATTERN` is one too."""
SEEN_RESOLUTION = pd.Timedelta(minutes=1)
"""A session's last use is kept to the minute (at most one write per session and minute), so
the idle timeout is exact to the minute."""
_MAX_SESSION_ID = 100
"""A session id is 43 characters; a longer cookie is nobody's (and is not hashed)."""

_hasher = PasswordHasher()


class SignInRefused(Exception):
    """A sign-in that did not succeed. The message is the same whatever the reason (unknown
    name, wrong password, disabled or locked account): it does not tell who has an account."""

    def __init__(self) -> None:
        super().__init__("fel namn eller lösenord, eller kontot är spärrat")


def account_name(name: str) -> str:
    """``name`` as an account's name (trimmed, lower case), or ValueError saying what is allowed."""
    cleaned = name.strip().lower()
    if not NAME_PATTERN.fullmatch(cleaned):
        raise ValueError(f"the account name {name!r} is not allowed: use 2–64 of a–z, 0–9, '.', '_' and '-', "
                         "starting with a letter or digit")
    return cleaned


def add_user(store: Store, name: str, role: str, password: str, settings: StaffSettings,
             at: pd.Timestamp) -> UserRecord:
    """A new account (its role checked by the caller against :data:`service.auth.ROLES`) with the
    Argon2 hash of ``password``; ValueError for a bad name or a too short password, the store's
    :class:`~service.store.Conflict` for a name that is taken."""
    name = account_name(name)
    if len(password) < settings.min_password:
        raise ValueError(f"the password is too short: at least {settings.min_password} characters "
                         "(STADSKARNA_STAFF_MIN_PASSWORD)")
    return store.add_user(name, role, _hasher.hash(password),
                          AuditEvent(at, COMMAND_LINE, None, "user add", f"{name} as {role}"))


def sign_in(store: Store, name: str, password: str, at: pd.Timestamp, settings: StaffSettings,
            client: str) -> str:
    """A new session's id for the account ``name`` with ``password``, or :class:`SignInRefused`.
    A locked or disabled account is refused without looking at the password; a wrong password
    counts towards the account's lock-out (``settings.max_failures`` in a row lock it for
    ``settings.lockout_minutes``). Audited either way."""
    cleaned = name.strip().lower()
    if SSO_NAME_PATTERN.fullmatch(cleaned):  # any account's name: a password account's or single sign-on's
        name, record = cleaned, store.user(cleaned)
    else:
        name, record = name.strip()[:64] or "-", None

    def refuse(reason: str) -> SignInRefused:
        event = AuditEvent(at, name, record.role if record else None, "sign-in failed", reason, client)
        if reason == "wrong password":
            store.login_failed(name, settings.max_failures,
                               at + pd.Timedelta(minutes=settings.lockout_minutes), event)
        else:
            store.add_audit(event)
        return SignInRefused()

    if record is None:
        _verify(_dummy_hash(), password)  # as long as for an account: the time tells nobody who has one
        raise refuse("unknown account")
    if record.disabled_at is not None:
        raise refuse("account disabled")
    if record.sso_issuer is not None:
        _verify(_dummy_hash(), password)
        raise refuse("single sign-on account")
    if record.locked_until is not None and at < record.locked_until:
        raise refuse("account locked")
    if not _verify(record.password_hash, password):
        raise refuse("wrong password")
    session_id = secrets.token_urlsafe(32)
    store.open_session(session_hash(session_id), name, AuditEvent(at, name, record.role, "sign-in", "", client))
    return session_id


class SsoRefused(Exception):
    """A single sign-on the service refuses after the provider vouched for the person: ``reason``
    is ``disabled`` (the account is disabled here) or ``taken`` (a password account has the name)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sign_in_sso(store: Store, issuer: str, subject: str, name: str, role: str, at: pd.Timestamp,
                client: str) -> str:
    """A new session's id for the provider's person (``issuer``, ``subject``) with the role its
    claims map to: the account is created at the first sign-in and takes ``role`` at each one
    (audited as a change by :data:`SINGLE_SIGN_ON`); or :class:`SsoRefused`. Audited either way."""
    try:
        record = store.sso_account(issuer, subject, name, role, AuditEvent(at, SINGLE_SIGN_ON, None, "", "", client))
    except Conflict:
        store.add_audit(AuditEvent(at, name, role, "sign-in failed", "single sign-on: the name is another account's",
                                   client))
        raise SsoRefused("taken") from None
    if record.disabled_at is not None:
        store.add_audit(AuditEvent(at, record.name, record.role, "sign-in failed", "account disabled", client))
        raise SsoRefused("disabled")
    session_id = secrets.token_urlsafe(32)
    store.open_session(session_hash(session_id), record.name,
                       AuditEvent(at, record.name, record.role, "sign-in", "single sign-on", client))
    return session_id


def session_user(store: Store, session_id: str, at: pd.Timestamp, settings: StaffSettings) -> SessionRecord | None:
    """The signed-in account of a session id, or None when the session is unknown, ended, idle
    for ``settings.idle_minutes``, older than ``settings.absolute_hours`` or its account is
    disabled. An expired session is removed (and audited); a live one's use is noted."""
    if len(session_id) > _MAX_SESSION_ID:
        return None
    hashed = session_hash(session_id)
    record = store.session(hashed)
    if record is None or record.disabled_at is not None:
        return None
    idle = at - record.last_seen_at >= pd.Timedelta(minutes=settings.idle_minutes)
    if idle or at - record.created_at >= pd.Timedelta(hours=settings.absolute_hours):
        store.close_session(hashed, AuditEvent(at, record.name, record.role, "session expired",
                                               "idle timeout" if idle else "absolute timeout"))
        return None
    if at - record.last_seen_at > SEEN_RESOLUTION:
        store.session_seen(hashed, at, SEEN_RESOLUTION.total_seconds())
    return record


def sign_out(store: Store, session_id: str, at: pd.Timestamp, client: str) -> None:
    """End a session (nothing when it has ended already); audited when it was a live one."""
    if len(session_id) > _MAX_SESSION_ID:
        return
    hashed = session_hash(session_id)
    record = store.session(hashed)
    store.close_session(hashed, None if record is None else AuditEvent(at, record.name, record.role, "sign-out",
                                                                       "", client))


def session_hash(session_id: str) -> str:
    """What the store keeps of a session id."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def csrf_token(session_id: str) -> str:
    """The session's CSRF token: derived from its id (which only the browser has), so forms and
    scripts of the session carry it and another site cannot know it."""
    return hashlib.sha256(f"csrf:{session_id}".encode("utf-8")).hexdigest()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))

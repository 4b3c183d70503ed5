"""The staff audit of what signed-in staff do: a row for every request that may change something
made with a session (who, when, what: the request's method and path, and the answer's status),
written before the answer leaves, so a member never sees a change succeed that the audit lacks.
Sign-in, failed sign-in, sign-out and account changes write their own rows (:mod:`service.staff`)."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth import SAFE_METHODS, client_of
from service.context import context
from service.store import AuditEvent


class StaffAudit:
    """ASGI middleware: before the answer to a request that may change something, a row of the
    staff audit when :func:`service.auth.request_caller` found a session for it
    (``request.state.staff``) and the route did not audit it itself (``request.state.audited``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # the request's state, shared with the route
        written = False

        async def audit(status: int) -> None:
            nonlocal written
            caller = state.get("staff")
            if written or caller is None or state.get("audited"):
                return
            written = True
            request = Request(scope)
            service = context(request)
            event = AuditEvent(service.clock(), caller.user, caller.role, f"{scope['method']} {scope['path']}",
                               f"answered {status}", client_of(request))
            await run_in_threadpool(service.store.add_audit, event)

        async def audit_first(message: Message) -> None:
            if message["type"] == "http.response.start":
                await audit(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, audit_first)
        except Exception:
            await audit(500)  # the error answer is written outside this middleware
            raise

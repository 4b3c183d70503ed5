"""Request body caps, enforced before a body is read: a declared ``Content-Length`` over the
route's cap is answered 413 at once, and a body without one (chunked) is cut off with 413 as
soon as it passes the cap. Nothing is read into memory beyond the cap."""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import CODES_BY_STATUS, error_response


def _too_large(limit: int) -> str:
    return f"the request body is larger than the {limit / 1e6:.3g} MB this address accepts"


class BodyLimit:
    """ASGI middleware: at most ``limit_of(method, path)`` bytes of request body."""

    def __init__(self, app: ASGIApp, limit_of: Callable[[str, str], int]) -> None:
        self.app, self.limit_of = app, limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope["method"], scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            response = error_response(Request(scope), 413, CODES_BY_STATUS[413], _too_large(limit))
            await response(scope, receive, send)
            return
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, capped, send)

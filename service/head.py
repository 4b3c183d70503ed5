"""HEAD answered like GET without the body (RFC 9110 §9.3.2), for every GET address: uptime
checks and link checkers use it."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: a HEAD request is routed as GET; its answer keeps the status and headers
    (``Content-Length`` too) and drops the body. Paths under ``own_head`` (the static files,
    which answer HEAD themselves without reading the file) are left alone."""

    def __init__(self, app: ASGIApp, own_head: tuple[str, ...] = ("/static/",)) -> None:
        self.app, self.own_head = app, own_head

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or scope["path"].startswith(self.own_head):
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)

"""What is checked before a request's body is read: the body cap of its address, the rate limits of
citizens' submissions and of what-ifs, and the token of an upload — so nobody can make the service
read or spool a large body it would refuse anyway.

A declared ``Content-Length`` over the cap is answered 413 at once, and a body without one
(chunked) is cut off with 413 as soon as it passes the cap. Only a caller with a token of an
upload's role gets the upload's cap; anyone else is refused (401/403) before a byte is read.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from geo.errors import Message
from service.auth import identify, require
from service.errors import CODES_BY_STATUS, Overloaded, RateLimited, error_response, listed_response, status_of
from service.georeport import FORMATS
from service.security import client_address
from service.context import context

UPLOADS = {("POST", "/api/patrols"): (("police",), "uploading patrol tracks"),
           ("POST", "/staff/patrols"): (("police",), "uploading patrol tracks"),
           ("POST", "/api/survey"): (("municipality",), "importing a survey")}
"""Addresses that take large bodies, with the roles that may send them."""
RATE_LIMITED = {("POST", "/api/reports"), *(("POST", f"/open311/v2/requests.{fmt}") for fmt in FORMATS)}
"""Citizens' submissions: at most ``STADSKARNA_REPORTS_RATE_LIMIT`` per client and minute."""
RATE_LIMITED_PATHS = re.compile(r"/(api/)?reports/[^/]+/support")
"""Citizens' support of a report ("Jag har också sett det"), counted with their submissions."""
WHAT_IFS = {("GET", "/api/coverage/lighting/what-if"), ("GET", "/api/cameras/what-if"),
            ("POST", "/api/cameras/what-if")}
"""What-ifs, each computed anew (a lamp's light on the fields around it, cameras' rays): at most
``STADSKARNA_WHAT_IF_RATE_LIMIT`` per client and minute."""


def _too_large(limit: int) -> str:
    return f"the request body is larger than the {limit / 1e6:.3g} MB this address accepts"


def check_rate(request: Request, what_if: bool = False) -> None:
    """:class:`RateLimited` when this client (:func:`service.security.client_address`) has
    submitted too many reports (``what_if``: asked for too many what-ifs) in the last minute;
    otherwise this one is counted."""
    state = context(request)
    limiter = state.what_if_limiter if what_if else state.report_limiter
    wait = limiter.retry_after(client_address(request, state.settings.service.trusted_proxies))
    if wait is None:
        return
    raise RateLimited(Message("too many what-ifs from this address; try again in {wait} s", wait=wait) if what_if
                      else Message("too many reports from this address; try again in {wait} s", wait=wait), wait)


class LoadShedder:
    """ASGI middleware: at most ``max_in_flight`` requests that may write (POST, PATCH, …) and
    ``max_reads_in_flight`` reads (GET, HEAD) at work in this process, each kind on places of its
    own; one more waits up to ``max_wait_s`` for a free place of its kind (first come, first
    served: a page's few requests at once wait milliseconds) and is then answered 503
    (``overloaded``, ``Retry-After: 1``): under overload the service answers what it can in time
    and says so to the rest, instead of queueing requests until their clients have given up.
    Health checks and the static files (Leaflet, Swagger UI) are let through, so a probe sees a
    live service and a page gets its scripts."""

    def __init__(self, app: ASGIApp, max_in_flight: int, max_reads_in_flight: int, max_wait_s: float) -> None:
        self.app, self.max_wait_s = app, max_wait_s
        self.sizes = {False: max_in_flight, True: max_reads_in_flight}
        self._places: tuple[asyncio.AbstractEventLoop, dict[bool, asyncio.Semaphore]] | None = None  # per event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/health" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if self._places is None or self._places[0] is not loop:  # a semaphore belongs to one event loop
            self._places = loop, {read: asyncio.Semaphore(size) for read, size in self.sizes.items()}
        read = scope["method"] in ("GET", "HEAD")
        places = self._places[1][read]
        try:
            await asyncio.wait_for(places.acquire(), self.max_wait_s)
        except TimeoutError:
            busy = Overloaded(f"the service is working on {self.sizes[read]} {'reads' if read else 'requests'}, "
                              "as many as it takes at once; try again in a second")
            await listed_response(Request(scope), busy)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            places.release()


class RequestGuard:
    """ASGI middleware: rate limits, upload tokens and body caps (at most ``limit_of(method,
    path)`` bytes), before the body is read."""

    def __init__(self, app: ASGIApp, limit_of: Callable[[str, str], int]) -> None:
        self.app, self.limit_of = app, limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        key = (scope["method"], scope["path"].rstrip("/") or "/")
        try:
            if key in RATE_LIMITED or (key[0] == "POST" and RATE_LIMITED_PATHS.fullmatch(key[1])):
                await run_in_threadpool(check_rate, request)  # it may wait for another process's count
            if key in WHAT_IFS:
                await run_in_threadpool(check_rate, request, True)
            if key in UPLOADS:
                roles, what = UPLOADS[key]
                caller = await run_in_threadpool(identify, request)  # a token or session lookup reads the store
                require(caller.role if caller else None, roles, what)
        except Exception as exc:
            if status_of(exc)[0] == 500:
                raise  # a fault of the service: the error handlers log and answer it
            await listed_response(request, exc)(scope, receive, send)
            return
        limit = self.limit_of(*key)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await error_response(request, 413, CODES_BY_STATUS[413], _too_large(limit))(scope, receive, send)
            return
        seen = 0

        async def capped() -> AsgiMessage:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, capped, send)

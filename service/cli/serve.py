"""``stadskarna serve``: run the web service."""

from __future__ import annotations

import os
import socket
import tempfile
from asyncio import BaseTransport
from pathlib import Path
from typing import Annotated

import typer
from uvicorn.protocols.http.h11_impl import H11Protocol

from geo.errors import Message, ValidationError
from service.cli.common import DbOption, StreetsOption, ZonesOption, _fail, build_settings, say, text
from service.ratelimit import RateLimiter
from service.store import StoreError


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with Nagle's algorithm off on every connection. The worker
    processes of ``--workers`` get their listening socket without its protocol number, so asyncio
    does not turn Nagle off itself, and every answer of more than one packet would wait for the
    client's delayed ACK (40 ms)."""

    def connection_made(self, transport: BaseTransport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


WORKER_HEALTHCHECK_S = 60
"""Seconds a worker process may take to answer the supervisor's health check before it is restarted."""


def serve(host: Annotated[str, typer.Option(help=text(Message("Interface to listen on.")))] = "127.0.0.1",
          port: Annotated[int, typer.Option(help=text(Message("TCP port.")))] = 8000,
          workers: Annotated[int, typer.Option(help=text(Message("Service processes (one per core; they share the database).")),
                                               min=1, max=64)] = 1,
          db: DbOption = None, zones: ZonesOption = None, streets: StreetsOption = None) -> None:
    """Run the web service (maps and API) until interrupted."""
    import uvicorn

    from service.app import create_app

    settings = build_settings(db, zones, streets)
    try:
        application = create_app(settings)  # checks the zones and opens (and migrates) the store once, here
    except (ValidationError, StoreError) as exc:
        raise _fail(exc) from None
    serving = dict(url=f"http://{host}:{port}", store=application.state.context.store.describe(),
                   zones=str(settings.geography.zones), workers=workers)
    say(Message("Serving Trygg stadskärna at {url} (database {store}, zones {zones}, {workers} process)", **serving)
        if workers == 1 else
        Message("Serving Trygg stadskärna at {url} (database {store}, zones {zones}, {workers} processes)", **serving))
    # forwarded headers are believed only from STADSKARNA_TRUSTED_PROXIES (service.security.client_address)
    if workers == 1:
        uvicorn.run(application, host=host, port=port, proxy_headers=False, server_header=False, http=NoDelayH11Protocol)
        return
    application.state.context.close()
    for name, value in (("STADSKARNA_DB", db), ("STADSKARNA_ZONES", zones), ("STADSKARNA_STREETS", streets)):
        if value is not None:  # the worker processes read their settings from the environment
            os.environ[name] = str(value)
    with tempfile.TemporaryDirectory(prefix="stadskarna-") as shared:  # readable by this user only
        counts = settings.reports.rate_limit_file or Path(shared) / "ratelimit.sqlite"
        try:  # made here, before the workers open it together
            RateLimiter(settings.reports.rate_limit, path=counts).close()
        except StoreError as exc:
            raise _fail(exc) from None
        given = os.environ.get("STADSKARNA_REPORTS_RATE_LIMIT_FILE")
        os.environ["STADSKARNA_REPORTS_RATE_LIMIT_FILE"] = str(counts)  # the workers count together
        try:
            # a worker busy starting (imports, the zones, the store) on a loaded machine is not hung:
            # uvicorn's 5 s health check would kill and restart it again and again
            uvicorn.run("service.app:create_app", factory=True, workers=workers, host=host, port=port,
                        proxy_headers=False, server_header=False, http=NoDelayH11Protocol,
                        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S)
        finally:  # the folder is gone after this
            if given is None:
                del os.environ["STADSKARNA_REPORTS_RATE_LIMIT_FILE"]

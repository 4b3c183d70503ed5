"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import swagger_ui
from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from xstatic.pkg import leaflet

from service import errors
from service.audit import StaffAudit
from service.auth import bearer_caller
from service.context import Context
from service.head import HeadAsGet
from service.limits import UPLOADS, LoadShedder, RequestGuard
from service.mail import mail_worker
from service.openapi import openapi_schema
from service.routes import (coverage, health, hearback, lagesbild, layers, maps, moderation, ogc, open311, outcomes,
                            patrols, promises, removal, reports, signin, sso, staff_moderation, staff_patrols,
                            staff_promises, staff_removal, staff_reports, survey, zones)
from service.routes import purple_flag
from service.routes import cameras, events, staff_events
from service.security import SecurityHeaders, html_page, inline_scripts
from service.settings import ReportSettings, Settings

SWAGGER_UI = Path(swagger_ui.__file__).resolve().parent / "static"
"""Swagger UI's files (the swagger-ui-py package), served by the service instead of a CDN."""


def body_limit(settings: ReportSettings):
    """The request body cap (bytes) of a method and path: patrol uploads and report photos take
    their files' caps, everything else a small form or JSON document."""
    form = int(settings.max_form_kb * 1024)
    caps = {**{key: int(settings.max_upload_mb * 1024 * 1024) + form for key in UPLOADS},
            ("POST", "/api/reports"): int(settings.max_photo_mb * 1024 * 1024) + form}
    return lambda method, path: caps.get((method, path.rstrip("/") or "/"), form)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the app runs: the background sender of citizens' mails, when mail is configured."""
    worker = mail_worker(app.state.context.settings, app.state.context.store)
    if worker is not None:
        worker.start()
    try:
        yield
    finally:
        if worker is not None:
            worker.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service: validate the zones (and streets) and open the store, or fail with a
    :class:`geo.errors.ValidationError` / :class:`service.store.StoreError` that says why."""
    settings = settings or Settings()
    app = FastAPI(title="Trygg stadskärna", version="0.1.0",
                  description="Halmstad's city-centre citizen promise (medborgarlöfte), measured and mapped.",
                  dependencies=[Depends(bearer_caller)],  # a bad token is refused everywhere, not ignored
                  docs_url=None, redoc_url=None, redirect_slashes=False, lifespan=lifespan)
    app.state.context = Context.open(settings)
    for module in (health, zones, layers, coverage, lagesbild, reports, moderation, hearback, removal, patrols, promises,
                   open311, ogc, maps, signin, staff_moderation, staff_removal, staff_promises, staff_reports,
                   staff_patrols, survey, outcomes, cameras):
        app.include_router(module.router)
    app.include_router(purple_flag.router)
    app.include_router(events.router)
    app.include_router(staff_events.router)
    if app.state.context.oidc is not None:  # single sign-on only when a provider is configured
        app.include_router(sso.router)
    app.mount("/static/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    app.mount("/static/swagger-ui", StaticFiles(directory=SWAGGER_UI), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        """The OpenAPI documentation (Swagger UI from the service itself)."""
        page = get_swagger_ui_html(openapi_url="/openapi.json", title="Trygg stadskärna – API",
                                   swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger-ui/swagger-ui.css",
                                   swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
                                   swagger_ui_parameters={"validatorUrl": None})
        # FastAPI's page: our own script, no data; the API's documentation is written in English
        html = page.body.decode("utf-8").replace("<html>", '<html lang="en">', 1)
        return html_page(request, html, inline_scripts(html))

    errors.register(app)
    app.openapi = lambda: openapi_schema(app)
    app.add_middleware(StaffAudit)
    app.add_middleware(RequestGuard, limit_of=body_limit(settings.reports))
    app.add_middleware(LoadShedder, max_in_flight=settings.service.max_in_flight,
                       max_reads_in_flight=settings.service.max_reads_in_flight,
                       max_wait_s=settings.service.max_wait_ms / 1000)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)
    return app

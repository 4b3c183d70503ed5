"""The FastAPI application factory."""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from xstatic.pkg import leaflet

from geo.errors import ValidationError
from geo.streets import read_streets
from geo.zones import read_zones
from service.auth import request_role
from service.ratelimit import RateLimiter
from service.routes import coverage, health, lagesbild, layers, maps, open311, patrols, promises, removal, reports, zones
from service.settings import Settings
from service.store import SQLiteStore

log = logging.getLogger("stadskarna")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service: validate the zones (and streets) and open the store, or fail with a
    :class:`geo.errors.ValidationError` / :class:`service.store.StoreError` that says why."""
    settings = settings or Settings()
    app = FastAPI(title="Trygg stadskärna", version="0.1.0",
                  description="Halmstad's city-centre citizen promise (medborgarlöfte), measured and mapped.",
                  dependencies=[Depends(request_role)])  # a bad token is refused everywhere, not ignored
    app.state.settings = settings
    app.state.zones = read_zones(settings.geography.zones)
    streets_path = settings.geography.streets_path()
    app.state.streets = read_streets(streets_path) if streets_path else None
    app.state.store = SQLiteStore(settings.store.db)
    app.state.report_limiter = RateLimiter(settings.reports.rate_limit)
    for module in (health, zones, layers, coverage, lagesbild, reports, removal, patrols, promises, open311, maps):
        app.include_router(module.router)
    app.mount("/static/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")

    @app.exception_handler(open311.Open311Error)
    async def open311_error(request: Request, exc: open311.Open311Error) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{' '.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors())
        if request.url.path.startswith("/open311/"):
            return open311.Open311Error(400, problems).response()
        return JSONResponse({"detail": problems}, status_code=422)

    @app.exception_handler(ValidationError)
    async def invalid_input(request: Request, exc: ValidationError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; the service log has the details"}, status_code=500)

    return app

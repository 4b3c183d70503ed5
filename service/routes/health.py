"""GET /health: is the service up, and what is it serving."""

import anyio
from fastapi import APIRouter, Request

from geo.layers import LAYERS
from service.context import Context, context
from service.demo import DEMO_META_KEY
from service.responses import Health

router = APIRouter(tags=["health"])
HEALTH_THREADS = anyio.CapacityLimiter(2)
"""Threads of their own for health checks: they answer while every request thread is busy."""


@router.get("/health", responses={200: {"model": Health, "description": "The service is up."}})
async def health(request: Request) -> dict:
    """Liveness, the kind of store (never where it is), zone count, records per layer, and whether
    the data is synthetic demo data."""
    return await anyio.to_thread.run_sync(_health, context(request), limiter=HEALTH_THREADS)


def _health(state: Context) -> dict:
    store = state.store
    return {"status": "ok", "store": store.kind, "schema_version": store.schema_version(),
            "zones": len(state.zones), "records": {name: store.count(schema) for name, schema in LAYERS.items()},
            "demo_data": store.get_meta(DEMO_META_KEY)}

"""GET /health: is the service up, and what is it serving."""

from fastapi import APIRouter, Request

from geo.layers import LAYERS
from service.demo import DEMO_META_KEY

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> dict:
    """Liveness, the kind of store (never where it is), zone count, records per layer, and whether
    the data is synthetic demo data."""
    state = request.app.state
    store = state.store
    return {"status": "ok", "store": store.kind, "schema_version": store.schema_version(),
            "zones": len(state.zones), "records": {name: store.count(schema) for name, schema in LAYERS.items()},
            "demo_data": store.get_meta(DEMO_META_KEY)}

"""GET /health: is the service up, and what is it serving."""

from fastapi import APIRouter, Request

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> dict:
    """Liveness, store and zone count."""
    state = request.app.state
    return {"status": "ok", "store": state.store.describe(), "schema_version": state.store.schema_version(),
            "zones": len(state.zones)}

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..probes import check_all

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """200 when every peer service, the database and the broker answer; 503 otherwise (for probes)."""
    state = request.app.state
    results = await check_all(state.channels, state.db, state.settings.amqp_uri)
    ok = all(results.values())
    body = {"status": "ok" if ok else "degraded",
            "checks": {name: {"status": "ok" if up else "down"} for name, up in results.items()}}
    return JSONResponse(body, status_code=200 if ok else 503)

"""Health for probes and people. Liveness says the process answers (restart it if not); readiness says
whether it can serve (route traffic to it only if so); /health is the overall report.

Readiness depends on what a request cannot do without: every peer service and the database. The broker
is not one of them: services keep their events in the outbox until it returns, so a broker outage makes
readiness `degraded` (still 200, still in rotation), never takes the API out."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..probes import check_all

router = APIRouter(prefix="/health", tags=["health"])

# Down, these leave the gateway able to serve; every other check is required.
OPTIONAL = frozenset({"broker"})


def _checks(results: dict[str, bool]) -> dict[str, dict[str, str]]:
    return {name: {"status": "ok" if up else "down"} for name, up in results.items()}


@router.get("")
async def health(request: Request) -> JSONResponse:
    """200 when every peer service, the database and the broker answer; 503 otherwise."""
    state = request.app.state
    results = await check_all(state.channels, state.db, state.settings.amqp_uri)
    ok = all(results.values())
    return JSONResponse({"status": "ok" if ok else "degraded", "checks": _checks(results)},
                        status_code=200 if ok else 503)


@router.get("/live")
async def live() -> dict[str, str]:
    """200 while the process answers; it checks nothing else, so a peer's outage never restarts it."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """200 `ok`, 200 `degraded` (only the broker is down), or 503 `not-ready` (a peer or the database)."""
    state = request.app.state
    results = await check_all(state.channels, state.db, state.settings.amqp_uri)
    if not all(up for name, up in results.items() if name not in OPTIONAL):
        status, code = "not-ready", 503
    else:
        status, code = ("ok" if all(results.values()) else "degraded"), 200
    return JSONResponse({"status": status, "checks": _checks(results)}, status_code=code)

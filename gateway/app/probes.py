"""Is each dependency of the gateway up? Every peer's gRPC health, the database, the broker."""
from __future__ import annotations

import asyncio
from typing import Awaitable

from services.common.broker import broker_reachable
from services.common.db import Database

from .grpc_clients import PEERS, Channels

PROBE_TIMEOUT_SECONDS = 3.0


async def _within_timeout(check: Awaitable[bool]) -> bool:
    try:
        return await asyncio.wait_for(check, PROBE_TIMEOUT_SECONDS)
    except asyncio.TimeoutError:
        return False


async def check_all(channels: Channels, db: Database, amqp_uri: str) -> dict[str, bool]:
    checks = {peer.name: channels.health(peer) for peer in PEERS}
    checks["database"] = asyncio.to_thread(db.ping)
    checks["broker"] = asyncio.to_thread(broker_reachable, amqp_uri)
    results = await asyncio.gather(*(_within_timeout(c) for c in checks.values()))
    return dict(zip(checks, results))

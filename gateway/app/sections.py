"""Screens composed from several services (the 360 view): each other service is asked in parallel with a
short deadline, and a section whose service is down or slow is left out and named as unavailable, so the
rest of the screen still answers."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, TypeVar

import grpc

log = logging.getLogger(__name__)

SECTION_TIMEOUT_SECONDS = 1.5
T = TypeVar("T")


async def section(name: str, call: Callable[[], Awaitable[T]]) -> T | None:
    """The section's answer, or None when its service failed or missed the deadline (logged)."""
    try:
        return await asyncio.wait_for(call(), SECTION_TIMEOUT_SECONDS)
    except (grpc.RpcError, asyncio.TimeoutError) as exc:
        code = exc.code() if isinstance(exc, grpc.aio.AioRpcError) else "deadline"
        log.warning("section unavailable", extra={"section": name, "code": str(code)})
        return None

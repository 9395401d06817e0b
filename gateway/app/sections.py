"""Screens composed from several services (the 360 view): each other service is asked in parallel with a
short deadline, and a section whose service is down or slow is left out and named as unavailable, so the
rest of the screen still answers."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, TypeVar

import grpc

log = logging.getLogger(__name__)

SECTION_TIMEOUT_SECONDS = 1.5
T = TypeVar("T")


async def section(name: str, method: Callable[..., Awaitable[T]], request: Any) -> T | None:
    """`method(request)`'s answer, or None when its service failed or missed the deadline (logged). The
    deadline is the call's own, which gRPC enforces at both ends, rather than a timer task around it."""
    try:
        return await method(request, timeout=SECTION_TIMEOUT_SECONDS)
    except grpc.RpcError as exc:
        log.warning("section unavailable", extra={"section": name, "code": str(exc.code())})
        return None

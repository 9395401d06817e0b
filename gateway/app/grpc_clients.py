"""One gRPC channel per peer service, opened at start-up; every call carries a deadline and the
request's correlation id, so a slow peer cannot hold a request forever and its logs join ours."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bss.billing.v1 import billing_pb2, billing_pb2_grpc
from bss.customer.v1 import customer_pb2, customer_pb2_grpc
from bss.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc

from .settings import GatewaySettings

CALL_TIMEOUT_SECONDS = 5.0
HEALTH_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Peer:
    name: str
    address: Callable[[GatewaySettings], str]
    stub: type
    service: str  # the full gRPC service name its health check reports on


PEERS: tuple[Peer, ...] = (
    Peer("customer", lambda s: s.customer_grpc, customer_pb2_grpc.CustomerServiceStub,
         customer_pb2.DESCRIPTOR.services_by_name["CustomerService"].full_name),
    Peer("billing", lambda s: s.billing_grpc, billing_pb2_grpc.BillingServiceStub,
         billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name),
    Peer("dispatch", lambda s: s.dispatch_grpc, dispatch_pb2_grpc.WorkOrderServiceStub,
         dispatch_pb2.DESCRIPTOR.services_by_name["WorkOrderService"].full_name),
)


# gRPC refuses a call whose metadata passes 8 KiB (its default limit): a batch carries the ids that fit in half.
CORRELATION_BUDGET = 4096


def _within_budget(ids: Sequence[str]) -> list[str]:
    kept, size = [], 0
    for cid in ids:
        size += len(cid) + 48  # the key and HPACK's per-entry overhead
        if size > CORRELATION_BUDGET:
            break
        kept.append(cid)
    return kept


class Client:
    """A peer's stub whose methods add the deadline and correlation id: `await client.GetCustomer(req)`.
    A call made for several requests at once (sections.py) carries each request's id."""

    def __init__(self, stub: Any, correlation_ids: str | Sequence[str], timeout: float):
        self._stub = stub
        ids = (correlation_ids,) if isinstance(correlation_ids, str) else correlation_ids
        self._metadata = tuple(("x-correlation-id", cid) for cid in _within_budget(ids))
        self._timeout = timeout

    def __getattr__(self, method: str) -> Callable[..., Any]:
        return functools.partial(getattr(self._stub, method), timeout=self._timeout, metadata=self._metadata)


class Channels:
    def __init__(self, settings: GatewaySettings, timeout: float = CALL_TIMEOUT_SECONDS):
        self.timeout = timeout
        self._channels = {peer.name: grpc.aio.insecure_channel(peer.address(settings)) for peer in PEERS}
        self._stubs: dict = {peer.name: peer.stub(self._channels[peer.name]) for peer in PEERS}

    def client(self, peer: str, correlation_ids: str | Sequence[str], stub: type | None = None,
               timeout: float | None = None) -> Client:
        """The peer's main service, or another service it serves (`stub`, e.g. billing's PaymentServiceStub)
        on the same channel; `timeout` instead of the usual deadline."""
        if stub is not None and (peer, stub) not in self._stubs:
            self._stubs[(peer, stub)] = stub(self._channels[peer])
        return Client(self._stubs[peer if stub is None else (peer, stub)], correlation_ids, timeout or self.timeout)

    async def health(self, peer: Peer) -> bool:
        stub = health_pb2_grpc.HealthStub(self._channels[peer.name])
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=peer.service),
                                     timeout=HEALTH_TIMEOUT_SECONDS)
        except grpc.RpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()

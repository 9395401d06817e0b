"""Screens composed from several services (the 360 view): each other service is asked in parallel with a
short deadline, and a section whose service is down or slow is left out and named as unavailable, so the
rest of the screen still answers.

The view's three reads go through coalescers (coalesce.py): views asked while a call is in flight go
to each service together in its next call, one statement there for all of them.
"""
from __future__ import annotations

import logging
from typing import Awaitable, TypeVar

import grpc

from bss.billing.v1 import billing_pb2 as bpb
from bss.customer.v1 import customer_pb2 as pb
from bss.dispatch.v1 import dispatch_pb2 as dpb

from .coalesce import Coalescer
from .grpc_clients import Channels

log = logging.getLogger(__name__)

SECTION_TIMEOUT_SECONDS = 1.5
T = TypeVar("T")
# Work orders are narrowed by who asks: (customer number, limit, actor's username, role, scope).
WorkOrderKey = tuple[str, int, str, str, str]


async def section(name: str, answer: Awaitable[T]) -> T | None:
    """The section's answer, or None when its service failed or missed the deadline (logged). The deadline
    is the call's own, which gRPC enforces at both ends, rather than a timer task around it; a batch's call
    gets what remains of its oldest request's (coalesce.py)."""
    try:
        return await answer
    except grpc.RpcError as exc:
        log.warning("section unavailable", extra={"section": name, "code": str(exc.code())})
        return None


class ViewReads:
    """The 360 view's reads of the customer, billing and dispatch services, coalesced."""

    def __init__(self, channels: Channels):
        self._channels = channels
        self.customer = Coalescer(self._customers, channels.timeout)
        self.billing = Coalescer(self._billing, SECTION_TIMEOUT_SECONDS)
        self.work_orders = Coalescer(self._work_orders, SECTION_TIMEOUT_SECONDS)

    async def _customers(self, numbers: list[str], ids: list[str], timeout: float) -> dict[str, pb.CustomerView]:
        reply = await self._channels.client("customer", ids, timeout=timeout).GetCustomers(
            pb.GetCustomersRequest(customer_nos=numbers))
        return {c.customer_no: c for c in reply.customers}

    async def _billing(self, numbers: list[str], ids: list[str], timeout: float) -> dict[str, bpb.CustomerBilling]:
        reply = await self._channels.client("billing", ids, timeout=timeout).GetCustomersBilling(
            bpb.GetCustomersBillingRequest(customer_nos=numbers))
        return dict(zip(numbers, reply.customers))

    async def _work_orders(self, keys: list[WorkOrderKey], ids: list[str],
                           timeout: float) -> dict[WorkOrderKey, dpb.ListOpenWorkOrdersResponse]:
        reply = await self._channels.client("dispatch", ids, timeout=timeout)\
            .ListOpenWorkOrdersOfCustomers(dpb.ListOpenWorkOrdersOfCustomersRequest(requests=[
                dpb.ListOpenWorkOrdersRequest(customer_no=no, limit=limit,
                                              actor=dpb.Actor(username=username, role=role, scope=scope))
                for no, limit, username, role, scope in keys]))
        return dict(zip(keys, reply.answers))

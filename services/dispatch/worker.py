"""Nameko worker of the dispatch service: turns the customer service's product orders into work orders, and
runs the SLA clock.

Run: python -m services.common.worker dispatch
"""
from __future__ import annotations

import logging

from nameko.timer import timer

from services.common.consumer import subscribed
from services.common.dependencies import ServiceDatabase
from services.common.errors import InvalidArgument
from services.common.inbox import AlreadyDelivered, InboxRecording

from .handlers import DispatchHandlers
from .service import NAME
from .settings import dispatch_settings
from .sla_clock.handlers import tick
from .subscriptions import CUSTOMER

log = logging.getLogger(__name__)


class DispatchWorker:
    name = NAME
    db = ServiceDatabase(NAME)

    @subscribed(CUSTOMER, "service_ordered")
    def on_service_ordered(self, event):
        handlers = DispatchHandlers(InboxRecording(self.db, event), dispatch_settings().timezone)
        where = {"eventId": event.get("eventId"), "data": event.get("data")}
        try:
            order = handlers.from_product_order(event.get("data"))
        except AlreadyDelivered:
            return
        except InvalidArgument as exc:
            log.warning("product order not dispatched", extra={**where, "detail": exc.message})
            return
        if order is None:
            log.info("product order already dispatched", extra=where)
        else:
            log.info("work order created", extra={**where, "workOrderNo": order["work_order_no"]})

    @timer(interval=dispatch_settings().sla_seconds)
    def sla_clock(self):
        counts = tick(self.db, dispatch_settings())
        if any(counts.values()):
            log.info("SLA clock", extra=counts)

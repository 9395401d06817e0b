"""Dispatch's work order events, as far as they concern a product order: `work_order_created` records the
work order on the order (inProgress), `work_order_completed` carries the order out (handlers.py).

Payload contract: services/dispatch/events.py (dispatch -> everyone). This service reads productOrderNo
and workOrderNo of both, and devicesInstalled and devicesRemoved of a completion. A completed conversion
of no product order is a conversion campaign's visit: the order is placed then, on the operator's
conversion package (CustomerSettings.conversion_product), and carried out. Any other work order of no
product order (a repair) is none of its business.

Every outcome is final and the event acknowledged: done; already handled (the inbox has it, nothing
happens again); the legacy system refused (the order failed, with the detail); the order unknown, no
longer open, or the event malformed (logged). Only a database or legacy system out of reach sends the
event back to wait (consumer.py).
"""
from __future__ import annotations

import logging

from services.common.errors import DomainError, InvalidArgument, Unavailable
from services.common.inbox import AlreadyDelivered

from .handlers import OrderHandlers

log = logging.getLogger(__name__)


def _numbers(event: dict) -> tuple[str, str] | None:
    """(product order, work order) numbers, None for a work order of no product order."""
    data = event.get("data")
    if not isinstance(data, dict):
        raise InvalidArgument("the event has no data", reason="invalid-event")
    order_no, work_order_no = data.get("productOrderNo"), data.get("workOrderNo")
    if order_no is None:
        return None
    if not (isinstance(order_no, str) and order_no and isinstance(work_order_no, str) and work_order_no):
        raise InvalidArgument("productOrderNo and workOrderNo are text", reason="invalid-event")
    return order_no, work_order_no


def _campaign_conversion(event: dict) -> tuple[str, str, str] | None:
    """(customer, service, work order) of a campaign's completed conversion, else None."""
    data = event["data"]
    if event.get("type") != "work_order_completed" or data.get("type") != "digital_conversion":
        return None
    fields = tuple(data.get(k) for k in ("customerNo", "serviceNo", "workOrderNo"))
    if not all(isinstance(v, str) and v for v in fields):
        raise InvalidArgument("customerNo, serviceNo and workOrderNo are required text", reason="invalid-event")
    return fields


def handle(handlers: OrderHandlers, event: dict, conversion_product: str) -> None:
    where = {"eventId": event.get("eventId"), "eventType": event.get("type"), "data": event.get("data")}
    try:
        numbers, data = _numbers(event), event["data"]
        if numbers is not None and event.get("type") == "work_order_created":
            handlers.work_order_created(*numbers)
            order = None
        elif numbers is not None:
            order = handlers.work_order_completed(*numbers, data.get("devicesInstalled"), data.get("devicesRemoved"))
        elif (campaign := _campaign_conversion(event)) is not None:
            order = handlers.campaign_conversion_completed(*campaign, data.get("devicesInstalled"),
                                                           data.get("devicesRemoved"), conversion_product)
        else:
            return
        if order is not None and order["state"] == "failed":
            log.warning("product order failed", extra={**where, "detail": order["state_detail"]})
            return
    except AlreadyDelivered:
        log.info("work order event already handled", extra=where)
    except Unavailable:
        raise  # out of reach: the event goes back to wait
    except DomainError as exc:
        log.warning("work order event not applied to its product order",
                    extra={**where, "reason": exc.reason, "detail": exc.message})
    else:
        log.info("work order event applied to its product order", extra=where)

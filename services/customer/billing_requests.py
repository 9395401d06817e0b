"""Billing's requests to suspend or restore a service: billing asks, the customer service suspends or
restores it and writes the change back to the legacy system that controls the network.

Payload contract, the envelope's "data" (services/common/outbox.py) of billing's `suspension_requested`
and `restoration_requested`:

    {"customerNo": "C10000001", "serviceNo": "S30000001",
     "reason": "unpaid since 2026-10-01", "requestId": "R2026110001"}

customerNo and serviceNo are required; reason (at most 500 characters with the request id) and requestId
(billing's own reference, kept in the audit trail with the reason) are optional.

Every outcome is final and the event acknowledged: done; already handled (the inbox has it, nothing
happens again); the legacy system refused (recorded as a failed write-back with the event, logged for a
person to act on); the service is already in the asked state, unknown, or the request malformed
(logged). Only a database or legacy system out of reach sends the event back to wait (consumer.py).
"""
from __future__ import annotations

import logging

from services.common.errors import DomainError, IllegalTransition, InvalidArgument, Unavailable
from services.common.inbox import AlreadyDelivered

from .handlers import Actor, ChangeServiceState, CustomerHandlers

log = logging.getLogger(__name__)

BILLING = Actor(username="billing", role="service")


def command(event: dict, action: str) -> ChangeServiceState:
    data = event.get("data")
    if not isinstance(data, dict):
        raise InvalidArgument("the event has no data", reason="invalid-event")
    fields = {k: data.get(k, "") for k in ("customerNo", "serviceNo", "reason", "requestId")}
    if not all(isinstance(v, str) for v in fields.values()) or not (fields["customerNo"] and fields["serviceNo"]):
        raise InvalidArgument("customerNo and serviceNo are required, and every field is text",
                              reason="invalid-event")
    asked_by = f"billing request {fields['requestId']}" if fields["requestId"] else "billing"
    return ChangeServiceState(customer_no=fields["customerNo"],
                              service_no=fields["serviceNo"], action=action, actor=BILLING,
                              reason=f"{asked_by}: {fields['reason']}" if fields["reason"] else asked_by)


def handle(handlers: CustomerHandlers, event: dict, action: str) -> None:
    where = {"eventId": event.get("eventId"), "eventType": event.get("type"), "data": event.get("data")}
    try:
        handlers.change_service_state(command(event, action))
    except AlreadyDelivered:
        log.info("billing request already handled", extra=where)
    except IllegalTransition as exc:
        level = logging.WARNING if exc.reason == "legacy-refused" else logging.INFO
        log.log(level, "billing request not carried out",
                extra={**where, "reason": exc.reason, "detail": exc.message})
    except Unavailable:
        raise  # out of reach: the event goes back to wait
    except DomainError as exc:
        log.warning("billing request refused", extra={**where, "reason": exc.reason, "detail": exc.message})
    else:
        log.info("billing request carried out", extra=where)

"""Nameko worker of the billing service: follows the customer service's events (who pays for what, and
the day charging starts or stops) and keeps its copy of them current; turns dispatch's completed work
orders into one-time fees for the next bill; runs the dunning ladder on a timer.

Run: python -m services.common.worker billing
"""
from __future__ import annotations

import logging
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from eventlet import tpool
from nameko.timer import timer

from services.common.child_job import run_child
from services.common.consumer import subscribed
from services.common.dependencies import ServiceDatabase
from services.common.errors import InvalidArgument
from services.common.inbox import first_delivery

from . import one_time_fees, store
from .dunning.handlers import SYSTEM as DUNNING, DunningHandlers
from .service import NAME
from .settings import billing_settings
from .subscriptions import CUSTOMER, DISPATCH

log = logging.getLogger(__name__)

# grpcio (the customer service's client) does not run under eventlet: the copier is a child process
# (child_job.py).
COPY_COMMAND = [sys.executable, "-m", "services.billing.customer_copy"]
COPY_TIMEOUT_S = 300
STATE_OF_EVENT = {"service_activated": "active", "service_suspended": "suspended",
                  "service_restored": "active", "service_disconnected": "disconnected"}


def effective_on(event: dict, tz: ZoneInfo):
    """The operator's day the event happened (a suspension at 23:30 in Beijing stops that day's charge)."""
    return datetime.fromisoformat(event["occurredAt"]).astimezone(tz).date()


class BillingWorker:
    name = NAME
    db = ServiceDatabase(NAME)

    def _customer_changed(self, event: dict) -> None:
        data = event.get("data") or {}
        customer_no = data.get("customerNo")
        if not isinstance(customer_no, str) or not customer_no:
            log.error("customer event without a customer number", extra={"eventId": event.get("eventId")})
            return
        tz = ZoneInfo(billing_settings().timezone)
        with self.db.transaction() as cur:
            if not first_delivery(cur, event):
                return
            state = STATE_OF_EVENT.get(event["type"])
            if state and isinstance(data.get("serviceNo"), str):
                store.record_state(cur, data["serviceNo"], effective_on(event, tz), state)
            store.mark_stale(cur, customer_no)
            if isinstance(data.get("mergedCustomerNo"), str):  # its accounts moved to the survivor
                store.mark_stale(cur, data["mergedCustomerNo"])

    @subscribed(CUSTOMER, "customer_created")
    def on_customer_created(self, event):
        self._customer_changed(event)

    @subscribed(CUSTOMER, "customer_updated")
    def on_customer_updated(self, event):
        self._customer_changed(event)

    @subscribed(CUSTOMER, "customer_merged")
    def on_customer_merged(self, event):
        self._customer_changed(event)

    @subscribed(CUSTOMER, "service_activated")
    def on_service_activated(self, event):
        self._customer_changed(event)

    @subscribed(CUSTOMER, "service_suspended")
    def on_service_suspended(self, event):
        self._customer_changed(event)

    @subscribed(CUSTOMER, "service_restored")
    def on_service_restored(self, event):
        self._customer_changed(event)

    @subscribed(CUSTOMER, "service_disconnected")
    def on_service_disconnected(self, event):
        self._customer_changed(event)

    @subscribed(DISPATCH, "work_order_completed")
    def on_work_order_completed(self, event):
        try:
            fee = one_time_fees.fees_of(event.get("data"), ZoneInfo(billing_settings().timezone))
        except InvalidArgument as exc:
            log.warning("work order event not charged", extra={"eventId": event.get("eventId"), "detail": exc.message})
            return
        with self.db.transaction() as cur:
            if first_delivery(cur, event):
                one_time_fees.record(cur, fee)

    @timer(interval=billing_settings().customer_copy_seconds)
    def copy_stale_customers(self):
        counts = run_child(COPY_COMMAND, COPY_TIMEOUT_S, "customer copy")
        if counts and counts.get("customerServiceUnavailable"):
            log.warning("customer copy waits for the customer service", extra={"counts": counts})
        elif counts and counts.get("refreshed"):
            log.info("customer copy brought up to date", extra={"counts": counts})

    @timer(interval=billing_settings().dunning_seconds)
    def run_dunning(self):
        # Over every overdue service at once: a real thread, so the hub keeps serving events meanwhile.
        counts = tpool.execute(DunningHandlers(self.db, billing_settings()).run, None, DUNNING)
        if any(counts[k] for k in ("reminder", "notice", "suspend", "write_off", "restorations")):
            log.info("dunning steps taken", extra={"counts": counts})

"""Nameko worker of the customer service: follows the legacy systems' changes on a timer, carries out
billing's requests to suspend or restore a service (billing_requests.py), and moves product orders on
with dispatch's work orders (orders/events.py), each from its provisioned queue.

Run: python -m services.common.worker customer   (or ... services.customer.worker:CustomerWorker)
"""
from __future__ import annotations

import logging
import sys

from nameko.timer import timer

from services.common.child_job import run_child
from services.common.consumer import subscribed
from services.common.inbox import InboxRecording
from services.common.dependencies import ServiceDatabase

from . import billing_requests
from .handlers import CustomerHandlers
from .legacy.cms import CmsAdapter
from .legacy.sms import SmsAdapter
from .orders import events as work_orders
from .orders.handlers import OrderHandlers
from .service import NAME
from .settings import customer_settings
from .subscriptions import BILLING, DISPATCH

log = logging.getLogger(__name__)

# The sync is a batch job with processes and threads of its own: a child process (child_job.py).
SYNC_COMMAND = [sys.executable, "-m", "services.customer.importer.sync"]
SYNC_TIMEOUT_S = 600
# The counts that mean the sync changed something (the rest describe what it read).
CHANGE_COUNTS = ("customers_created", "services", "services_updated", "devices", "review_pairs", "quarantined")


class EventUseCases(ServiceDatabase):
    """The customer use cases, run on behalf of an event: each records the event in the inbox in the
    transaction of its effect (InboxRecording)."""

    def __init__(self):
        super().__init__(NAME)
        self.cms = self.sms = None

    def setup(self):
        super().setup()
        settings = customer_settings()
        self.cms, self.sms = CmsAdapter(settings.legacy_cms_url), SmsAdapter(settings.legacy_sms_url)

    def get_dependency(self, worker_ctx):
        return UseCasesOf(self.db, self.cms, self.sms)


class UseCasesOf:
    """The use cases of the customer service and of its product orders, for one event."""

    def __init__(self, db, cms, sms):
        self.db, self.cms, self.sms = db, cms, sms

    def customers(self, event: dict) -> CustomerHandlers:
        return CustomerHandlers(InboxRecording(self.db, event), self.cms, self.sms)

    def orders(self, event: dict) -> OrderHandlers:
        return OrderHandlers(InboxRecording(self.db, event), self.cms, self.sms)


class CustomerWorker:
    name = NAME
    use_cases = EventUseCases()

    @subscribed(BILLING, "suspension_requested")
    def on_suspension_requested(self, event):
        billing_requests.handle(self.use_cases.customers(event), event, "suspend")

    @subscribed(BILLING, "restoration_requested")
    def on_restoration_requested(self, event):
        billing_requests.handle(self.use_cases.customers(event), event, "restore")

    @subscribed(DISPATCH, "work_order_created")
    def on_work_order_created(self, event):
        work_orders.handle(self.use_cases.orders(event), event, customer_settings().conversion_product)

    @subscribed(DISPATCH, "work_order_completed")
    def on_work_order_completed(self, event):
        work_orders.handle(self.use_cases.orders(event), event, customer_settings().conversion_product)

    @timer(interval=customer_settings().legacy_sync_seconds)
    def follow_legacy_changes(self):
        counts = run_child(SYNC_COMMAND, SYNC_TIMEOUT_S, "legacy sync")
        if counts and any(counts.get(k) for k in CHANGE_COUNTS):
            log.info("legacy changes synchronised", extra={"counts": counts})

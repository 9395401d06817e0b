"""Nameko worker of the customer service: follows the legacy systems' changes on a timer.

Run: python -m services.common.worker services.customer.worker:CustomerWorker
"""
from __future__ import annotations

import logging

from nameko.timer import timer

from services.common.settings import get_settings

from .importer.sync import run_sync

log = logging.getLogger(__name__)


class CustomerWorker:
    name = "customer"

    @timer(interval=get_settings().legacy_sync_seconds)
    def follow_legacy_changes(self):
        counts = run_sync(get_settings())
        if any(v for k, v in counts.items() if k not in ("run_id", "elapsed_s")):
            log.info("legacy changes synchronised", extra={"counts": counts})

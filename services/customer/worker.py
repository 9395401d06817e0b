"""Nameko worker of the customer service: follows the legacy systems' changes on a timer.

Run: python -m services.common.worker customer   (or ... services.customer.worker:CustomerWorker)
"""
from __future__ import annotations

import json
import logging
import sys

from eventlet.green import subprocess
from nameko.timer import timer

from .service import NAME
from .settings import customer_settings

log = logging.getLogger(__name__)

# The sync is a batch job with processes and threads of its own; as a child process it never meets
# eventlet's patched standard library, and a crash in it cannot take the worker down.
SYNC_COMMAND = [sys.executable, "-m", "services.customer.importer.sync"]
SYNC_TIMEOUT_S = 600
# The counts that mean the sync changed something (the rest describe what it read).
CHANGE_COUNTS = ("customers_created", "services", "services_updated", "devices", "review_pairs", "quarantined")


class CustomerWorker:
    name = NAME

    @timer(interval=customer_settings().legacy_sync_seconds)
    def follow_legacy_changes(self):
        done = subprocess.run(SYNC_COMMAND, capture_output=True, timeout=SYNC_TIMEOUT_S)
        if done.returncode != 0:
            log.error("legacy sync failed", extra={"exitCode": done.returncode,
                                                   "stderr": done.stderr.decode("utf-8", "replace")[-2000:]})
            return
        lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
        counts = json.loads(lines[-1]) if lines else {}
        if any(counts.get(k) for k in CHANGE_COUNTS):
            log.info("legacy changes synchronised", extra={"counts": counts})

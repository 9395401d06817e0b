"""Incremental sync: follow the legacy systems' changes since the last watermark.

    python -m services.customer.importer.sync
"""
from __future__ import annotations

import json
import sys

from services.common.errors import DomainError
from services.common.logs import setup_logging
from services.customer.settings import CustomerSettings, customer_settings

from .run import run_import


def run_sync(settings: CustomerSettings) -> dict:
    """Apply legacy changes since the watermark; refuses (IllegalTransition) before a bulk import."""
    return run_import(settings, "sync")


def main() -> int:
    settings = customer_settings()
    setup_logging("customer-sync", settings.log_level)
    try:
        counts = run_sync(settings)
    except DomainError as e:
        print(json.dumps({"skipped": e.reason, "detail": e.message}, ensure_ascii=False))
        # Another run holding the lock is normal on a timer; anything else is worth a non-zero exit.
        return 0 if e.reason == "import-running" else 1
    print(json.dumps(counts, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

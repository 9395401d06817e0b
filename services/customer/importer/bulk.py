"""Bulk import of both legacy systems into golden customers.

Safe to run again: a record already in legacy_link is left as it is (the incremental sync follows its
changes); only records not yet linked are matched (also against existing customers) and added.

    python -m services.customer.importer.bulk
"""
from __future__ import annotations

import json
import logging

from services.customer.settings import CustomerSettings, customer_settings

from .run import customer_connection, run_import


def run_bulk_import(settings: CustomerSettings) -> dict:
    """Import every legacy record not yet linked; returns the run's counts (also in import_run)."""
    return run_import(settings, "bulk")


def bulk_import_done(settings: CustomerSettings) -> bool:
    """Whether a bulk import has completed: after that, starting up only needs the incremental sync."""
    conn = customer_connection(settings.service_db_url("customer"))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT EXISTS (SELECT 1 FROM import_run WHERE kind = 'bulk' AND status = 'completed')")
            return cur.fetchone()[0]
    finally:
        conn.close()


def main() -> None:
    settings = customer_settings()
    logging.basicConfig(level=settings.log_level)
    print(json.dumps(run_bulk_import(settings), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

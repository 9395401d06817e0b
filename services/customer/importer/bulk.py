"""Bulk import of both legacy systems into golden customers.

Safe to run again: a record already in legacy_link is left as it is (the incremental sync follows its
changes); only records not yet linked are matched (also against existing customers) and added.

    python -m services.customer.importer.bulk
"""
from __future__ import annotations

import json
import logging
from contextlib import closing

from services.common.bulkjob import analyze, job_connection
from services.common.outbox import emit
from services.customer.legacy.sms import SmsAdapter
from services.customer.service import LOAD_SCHEMA, NAME
from services.customer.settings import CustomerSettings, customer_settings

from .apply import DROP_LINKED, after_golden, apply, first_load_steps
from .first_load import GOLDEN_TABLES, is_first_load, load_first
from .run import JOB, advance_watermarks, legacy_run, match_staged, stage

ACTOR = "legacy-import"


def run_bulk_import(settings: CustomerSettings) -> dict:
    """Import every legacy record not yet linked; returns the run's counts (also in import_run)."""
    live_vip = SmsAdapter(settings.legacy_sms_url).vip_subscribers
    second = job_connection(settings.service_db_url(NAME), NAME, f"{JOB}-second")
    with closing(second), second.cursor() as second_cur, legacy_run(settings, "bulk") as (cur, run):
        seen = stage(cur, run, settings, {})
        cur.execute(DROP_LINKED)
        run.counts["already_linked"] = cur.fetchone()[0]
        cur.connection.commit()  # staging rows, which the second connection reads too
        match_staged(cur, run, second_cur)
        if is_first_load(cur):
            with run.phase("load"):
                load_first(cur, second_cur, NAME, LOAD_SCHEMA, first_load_steps(run.id, ACTOR, run.counts, live_vip))
            after_golden(cur, run.id, ACTOR, run.counts)
        else:
            with run.phase("apply"):
                apply(cur, run.id, ACTOR, run.counts, None, live_vip)
            with run.phase("analyze"):
                # Fresh statistics, or the request path plans its lookups for what it saw before the run.
                analyze(cur, *GOLDEN_TABLES)
        # A re-run must not move a watermark past changes of linked records it did not apply.
        advance_watermarks(cur, seen, "DO NOTHING")
        emit(cur, NAME, "legacy_import_completed", {"runId": run.id, "counts": run.report()})
    return {**run.report(), "run_id": run.id}


def bulk_import_done(settings: CustomerSettings) -> bool:
    """Whether a bulk import has completed: after that, starting up only needs the incremental sync."""
    conn = job_connection(settings.service_db_url("customer"), "customer", JOB)
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

"""What the bulk import (bulk.py) and the sync (sync.py) share: the job, and the steps both take.

Both write the same staging tables, so they are one job under one lock, each run recorded in
import_run. Staging is scratch work committed on its own; matching, applying and the run's record
are one transaction, so a reader sees all of a run or none of it.
"""
from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Iterator

from services.common.bulkjob import Run, analyze, bulk_job, job_connection
from services.customer.settings import CustomerSettings
from services.customer.legacy.sms import SmsAdapter

from .match import match
from .stage import stage_both

JOB = "legacy-import"
STAGING = ("imp_record", "imp_phone", "imp_service", "imp_device", "imp_quarantine", "imp_pair", "imp_match",
           "imp_review", "imp_head", "imp_owner", "imp_tier_input", "imp_tier_rule", "imp_tier", "imp_account",
           "imp_resolved")


@contextlib.contextmanager
def legacy_run(settings: CustomerSettings, kind: str) -> Iterator[tuple[object, Run]]:
    """A cursor in the run's transaction, and the run; see services.common.bulkjob.bulk_job."""
    conn = job_connection(settings.service_db_url("customer"), "customer", JOB)
    try:
        with bulk_job(conn, JOB, "import_run", kind) as run, conn.cursor() as cur:
            yield cur, run
    finally:
        conn.close()  # also releases the advisory lock


def stage(cur, run: Run, settings: CustomerSettings, since: dict[str, datetime]) -> dict[str, datetime]:
    """Stage what changed in each system since `since` (everything for a system it lacks); returns the
    latest change time seen per system."""
    with run.phase("stage"):
        cur.execute("TRUNCATE " + ", ".join(STAGING))
        cur.connection.commit()  # the CMS is staged on a connection of its own, which TRUNCATE's lock would block
        counts, seen = stage_both(cur, settings.service_db_url("customer"), settings.legacy_cms_url,
                                  SmsAdapter(settings.legacy_sms_url), since)
        run.counts.update(counts)
        cur.connection.commit()
        analyze(cur, "imp_record", "imp_phone", "imp_service", "imp_device")
    return seen


def match_staged(cur, run: Run, second=None) -> None:
    """Match the staged records; `second`: see match.match."""
    with run.phase("match"):
        # Every match query leaves out the records imp_owner already places; planned without its
        # statistics, that anti-join sorts a million records even when imp_owner is empty.
        analyze(cur, "imp_owner")
        match(cur, run.counts, second)
        analyze(cur, "imp_match", "imp_review")


def advance_watermarks(cur, seen: dict[str, datetime], conflict: str) -> None:
    for system, mark in seen.items():
        cur.execute(f"INSERT INTO sync_watermark (system, watermark) VALUES (%s, %s) ON CONFLICT (system) {conflict}",
                    (system, mark))

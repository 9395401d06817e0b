"""One legacy import run, bulk or sync: stage, match, apply, record, in one transaction.

Bulk reads everything and adds only records no earlier run linked; it emits one batch event. Sync
reads what changed since the watermark (minus an overlap, the upserts are idempotent), refreshes
linked records as well, and writes an audit row and an event per change.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

import psycopg2.extensions
from psycopg2.extras import Json, execute_values

from services.common.db import connect
from services.common.errors import AlreadyExists, IllegalTransition
from services.common.outbox import emit
from services.common.settings import Settings
from services.customer.domain.states import EVENTS as SERVICE_EVENTS
from services.customer.legacy.sms import SmsAdapter

from .apply import DROP_LINKED, GOLDEN_TABLES, LINKED_BEFORE, apply, built_after_first_load
from .match import match
from .stage import stage_both

log = logging.getLogger(__name__)

ACTORS = {"bulk": "legacy-import", "sync": "legacy-sync"}
# Rows committed in the legacy database a little after a later-stamped row would be missed by a strict
# "newer than the watermark"; reading this much again costs only idempotent upserts.
SYNC_OVERLAP = timedelta(seconds=5)
STAGING = ("imp_record", "imp_phone", "imp_service", "imp_device", "imp_quarantine", "imp_pair", "imp_match",
           "imp_review", "imp_head", "imp_owner", "imp_tier", "imp_account", "imp_resolved")
RUN_LOCK = "SELECT pg_try_advisory_lock(hashtext('customer-legacy-import'))"


class TimedCursor(psycopg2.extensions.cursor):
    """Logs each statement's duration at DEBUG: where a run spends its time, statement by statement."""

    def execute(self, query, vars=None):
        started = time.monotonic()
        try:
            return super().execute(query, vars)
        finally:
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%6.1fs %s", time.monotonic() - started, " ".join(str(query).split())[:90])


def customer_connection(url: str):
    conn = connect(url, options="-c search_path=customer,public", cursor_factory=TimedCursor)
    with conn.cursor() as cur:
        # Whole-table hash joins, sorts and index builds over a million rows want more than the defaults.
        cur.execute("SET work_mem = '256MB'; SET maintenance_work_mem = '512MB'")
    conn.commit()
    return conn


def run_import(settings: Settings, kind: str) -> dict:
    actor = ACTORS[kind]
    sms = SmsAdapter(settings.legacy_sms_url)
    customer_url = settings.service_db_url("customer")
    conn = customer_connection(customer_url)
    started = time.monotonic()
    try:
        with conn.cursor() as cur:
            cur.execute(RUN_LOCK)
            if not cur.fetchone()[0]:
                raise AlreadyExists("a legacy import or sync is already running", reason="import-running")
            cur.execute("INSERT INTO import_run (kind) VALUES (%s) RETURNING id", (kind,))
            run_id = cur.fetchone()[0]
            conn.commit()
        try:
            with conn.cursor() as cur:
                since = _since(cur, kind)
                cur.execute("TRUNCATE " + ", ".join(STAGING))
                conn.commit()
                counts, seen = stage_both(cur, customer_url, settings.legacy_cms_url, sms, since)
                conn.commit()
                _step("staged", started, counts)
                _run(cur, kind, run_id, actor, counts, seen, sms, started)
            conn.commit()
        except BaseException as e:
            conn.rollback()
            with conn.cursor() as cur:
                cur.execute("UPDATE import_run SET status = 'failed', finished_at = now(), error = %s WHERE id = %s",
                            (f"{type(e).__name__}: {e}"[:2000], run_id))
            conn.commit()
            raise
        if kind == "bulk":
            # Fresh statistics, or the request path plans its lookups for the empty tables it saw last.
            with conn.cursor() as cur:
                cur.execute("ANALYZE " + ", ".join(GOLDEN_TABLES))
            conn.commit()
        return counts
    finally:
        conn.close()  # also releases the advisory lock


def _run(cur, kind: str, run_id: int, actor: str, counts: dict, seen: dict, sms: SmsAdapter,
         started: float) -> None:
    """Match and apply what is staged, and record the run; the caller commits."""
    for table in ("imp_record", "imp_phone", "imp_service", "imp_device"):
        cur.execute(f"ANALYZE {table}")
    if kind == "bulk":
        cur.execute(DROP_LINKED)
        counts["already_linked"] = cur.fetchone()[0]
    else:
        cur.execute(LINKED_BEFORE)
        counts["already_linked"] = cur.rowcount
    match(cur, counts)
    cur.execute("ANALYZE imp_match; ANALYZE imp_review")
    _step("matched", started, counts)
    changes = [] if kind == "sync" else None
    with built_after_first_load(cur):
        apply(cur, run_id, actor, counts, changes, sms.vip_subscribers)
    _step("applied", started, counts)
    if kind == "sync":
        _report_changes(cur, actor, changes)
    _advance_watermarks(cur, kind, seen)
    counts["elapsed_s"] = round(time.monotonic() - started, 1)
    cur.execute("UPDATE import_run SET status = 'completed', finished_at = now(), counts = %s WHERE id = %s",
                (Json(counts), run_id))
    if kind == "bulk":
        emit(cur, "customer", "legacy_import_completed", {"runId": run_id, "counts": counts})
    counts["run_id"] = run_id


def _since(cur, kind: str) -> dict:
    if kind == "bulk":
        return {}
    cur.execute("SELECT system, watermark FROM sync_watermark")
    marks = dict(cur.fetchall())
    missing = {"cms", "sms"} - marks.keys()
    if missing:
        raise IllegalTransition(f"no watermark for {', '.join(sorted(missing))}: run the bulk import first",
                                reason="bulk-import-missing")
    return {system: mark - SYNC_OVERLAP for system, mark in marks.items()}


def _advance_watermarks(cur, kind: str, seen: dict) -> None:
    # A bulk re-run must not move the watermark past changes of linked records it did not apply.
    conflict = ("DO NOTHING" if kind == "bulk"
                else "DO UPDATE SET watermark = greatest(sync_watermark.watermark, EXCLUDED.watermark)")
    for system, mark in seen.items():
        cur.execute(f"INSERT INTO sync_watermark (system, watermark) VALUES (%s, %s) ON CONFLICT (system) {conflict}",
                    (system, mark))


def _step(name: str, started: float, counts: dict) -> None:
    log.info("legacy import %s after %.1fs", name, time.monotonic() - started, extra={"counts": dict(counts)})


def _report_changes(cur, actor: str, changes: list) -> None:
    """An audit row and an event per change: new customers, changed customers, service states."""
    cur.execute("SELECT c.id, c.customer_no FROM imp_head h JOIN customer c ON c.id = h.customer_id")
    created = dict(cur.fetchall())
    customer_ids = list(created.keys() | {c for c, _, _, _ in changes})
    cur.execute("SELECT id, customer_no FROM customer WHERE id = ANY(%s)", (customer_ids,))
    customer_no = dict(cur.fetchall())
    cur.execute("SELECT id, service_no FROM service WHERE id = ANY(%s)", ([s for _, s, _, _ in changes if s],))
    service_no = dict(cur.fetchall())

    audit, updated = [], {}
    for customer_id, number in created.items():
        audit.append(("customer", number, "created_from_legacy", Json({})))
        emit(cur, "customer", "customer_created", {"customerNo": number})
    for customer_id, service_id, what, value in changes:
        if service_id is None:
            updated.setdefault(customer_id, []).append({"field": what, "value": value})
            continue
        old, new = value
        event = ("service_activated" if old is None and new == "active"
                 else None if old is None or old == new else SERVICE_EVENTS[new])
        audit.append(("service", service_no[service_id], "created_from_legacy" if old is None else "updated_from_legacy",
                      Json({"state": new, "previousState": old})))
        if event:
            emit(cur, "customer", event, {"customerNo": customer_no[customer_id],
                                          "serviceNo": service_no[service_id], "state": new, "previousState": old})
    for customer_id, fields in updated.items():
        audit.append(("customer", customer_no[customer_id], "updated_from_legacy", Json({"changes": fields})))
        emit(cur, "customer", "customer_updated", {"customerNo": customer_no[customer_id], "changes": fields})
    if audit:
        execute_values(cur, "INSERT INTO audit_log (entity, entity_key, action, changes, actor) VALUES %s",
                       [row + (actor,) for row in audit])

"""Incremental sync: follow the legacy systems' changes since the last watermark.

It reads what changed since the watermark (minus an overlap: the upserts are idempotent), refreshes
linked records as well as adding new ones, and writes an audit row and an event per change.

    python -m services.customer.importer.sync
"""
from __future__ import annotations

import json
import sys
from datetime import timedelta

from services.common.audit import audit_many
from services.common.errors import DomainError, IllegalTransition
from services.common.logs import setup_logging
from services.common.outbox import emit_many
from services.customer.domain.states import EVENTS
from services.customer.legacy.sms import SmsAdapter
from services.customer.service import NAME
from services.customer.settings import CustomerSettings, customer_settings

from .apply import LINKED_BEFORE, apply
from .run import JOB, advance_watermarks, legacy_run, match_staged, stage

ACTOR = "legacy-sync"
# Rows committed in the legacy database a little after a later-stamped row would be missed by a strict
# "newer than the watermark"; reading this much again costs only idempotent upserts.
SYNC_OVERLAP = timedelta(seconds=5)


def run_sync(settings: CustomerSettings) -> dict:
    """Apply legacy changes since the watermark; refuses (IllegalTransition) before a bulk import."""
    with legacy_run(settings, "sync") as (cur, run):
        seen = stage(cur, run, settings, _since(cur))
        cur.execute(LINKED_BEFORE)
        run.counts["already_linked"] = cur.rowcount
        match_staged(cur, run)
        changes: list = []
        with run.phase("apply"):
            apply(cur, run.id, ACTOR, run.counts, changes, SmsAdapter(settings.legacy_sms_url).vip_subscribers)
            _report_changes(cur, changes)
        advance_watermarks(cur, seen,
                           "DO UPDATE SET watermark = greatest(sync_watermark.watermark, EXCLUDED.watermark)")
    return {**run.report(), "run_id": run.id}


def _since(cur) -> dict:
    cur.execute("SELECT system, watermark FROM sync_watermark")
    marks = dict(cur.fetchall())
    missing = {"cms", "sms"} - marks.keys()
    if missing:
        raise IllegalTransition(f"no watermark for {', '.join(sorted(missing))}: run the bulk import first",
                                reason="bulk-import-missing")
    return {system: mark - SYNC_OVERLAP for system, mark in marks.items()}


def _report_changes(cur, changes: list) -> None:
    """An audit row and an event per change (new customers, changed customers, service states), each
    kind written in one statement."""
    cur.execute("SELECT customer_id FROM imp_head")
    created = [row[0] for row in cur.fetchall()]
    cur.execute("SELECT id, customer_no FROM customer WHERE id = ANY(%s)",
                (list(set(created) | {c for c, _, _, _ in changes}),))
    customer_no = dict(cur.fetchall())
    cur.execute("SELECT id, service_no FROM service WHERE id = ANY(%s)", ([s for _, s, _, _ in changes if s],))
    service_no = dict(cur.fetchall())

    audit, events, updated = [], [], {}
    for customer_id in created:
        audit.append(("customer", customer_no[customer_id], "created_from_legacy", {}))
        events.append(("customer_created", {"customerNo": customer_no[customer_id]}))
    for customer_id, service_id, what, value in changes:
        if service_id is None:
            updated.setdefault(customer_id, []).append({"field": what, "value": value})
            continue
        old, new = value
        event = ("service_activated" if old is None and new == "active"
                 else None if old is None or old == new else EVENTS[new])
        audit.append(("service", service_no[service_id], "created_from_legacy" if old is None else "updated_from_legacy",
                      {"state": new, "previousState": old}))
        if event:
            events.append((event, {"customerNo": customer_no[customer_id], "serviceNo": service_no[service_id],
                                   "state": new, "previousState": old}))
    for customer_id, fields in updated.items():
        audit.append(("customer", customer_no[customer_id], "updated_from_legacy", {"changes": fields}))
        events.append(("customer_updated", {"customerNo": customer_no[customer_id], "changes": fields}))
    audit_many(cur, audit, ACTOR)
    emit_many(cur, NAME, events)


def main() -> int:
    settings = customer_settings()
    setup_logging("customer-sync", settings.log_level)
    try:
        counts = run_sync(settings)
    except DomainError as e:
        print(json.dumps({"skipped": e.reason, "detail": e.message}, ensure_ascii=False))
        # Another run holding the lock is normal on a timer; anything else is worth a non-zero exit.
        return 0 if e.reason == f"{JOB}-running" else 1
    print(json.dumps(counts, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

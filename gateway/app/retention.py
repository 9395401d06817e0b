"""How long the gateway keeps its traces of people, and their purge: the personal data access log (pi_access)
and the sign-in trail (auth_event) are deleted once older than their retention (settings), an hour at most
after they expire. PIPL art. 19 asks that personal information be kept no longer than its purpose needs;
the Cybersecurity Law (art. 21) that network logs be kept at least six months, the least a setting takes.

Each replica of the gateway runs the purge; an advisory lock lets one at a time do it. Rows go in batches,
each its own short transaction, so a first purge of years of views never holds a long one; what was purged
is recorded in the audit trail."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from starlette.concurrency import run_in_threadpool

from services.common.audit import audit
from services.common.db import Database, session_lock

from . import store

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 3600
BATCH = 10_000
ACTOR = "gateway-retention"
LOCK = "gateway-retention"


def purge(db: Database, retention_days: dict[str, int], now: datetime | None = None) -> dict[str, int]:
    """Delete each table's rows older than its days of retention; the rows deleted per table."""
    now = now or datetime.now(timezone.utc)
    purged: dict[str, int] = {}
    with db.connection() as conn, session_lock(conn, LOCK) as taken:
        if not taken:
            return purged
        for table, days in retention_days.items():
            before = now - timedelta(days=days)
            purged[table] = 0
            while True:
                with conn.cursor() as cur:
                    deleted = store.delete_older(cur, table, before, BATCH)
                    purged[table] += deleted
                    conn.commit()
                if deleted < BATCH:
                    break
            if purged[table]:
                with conn.cursor() as cur:
                    audit(cur, "retention", table, "purged",
                          {"before": before.isoformat(), "rows": purged[table], "retentionDays": days}, ACTOR)
                conn.commit()
    return purged


async def run(db: Database, retention_days: dict[str, int]) -> None:
    """Purge at start and then every INTERVAL_SECONDS, until cancelled."""
    while True:
        try:
            purged = await run_in_threadpool(purge, db, retention_days)
            if any(purged.values()):
                log.info("expired traces purged", extra={"purged": purged})
        except Exception:  # noqa: BLE001 - the database is away: the next round purges what this one left
            log.warning("expired traces not purged yet", exc_info=True)
        await asyncio.sleep(INTERVAL_SECONDS)

"""The SLA clock's tick (run by the dispatch worker's nameko timer): orders about to breach are escalated to
their station's supervisor (GET /workOrders?escalated=true), and those whose due time has passed with no
technician on site are marked breached, each with a work_order_breached event."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.common.db import Database
from services.common.outbox import emit_many

from .. import events
from ..domain import sla
from ..service import NAME
from ..settings import DispatchSettings
from . import store

ACTOR = "dispatch:sla-clock"


def tick(db: Database, settings: DispatchSettings, now: datetime | None = None) -> dict:
    """One tick at `now` (the current time by default); returns how many orders it escalated and breached.
    A few orders a minute breach, so their events are written in one statement, not one each."""
    clock = sla.clock_tick(now or datetime.now(timezone.utc), timedelta(minutes=settings.escalate_before_minutes))
    with db.transaction() as cur:
        escalated = store.escalate(cur, clock.now, clock.escalate_due_by, ACTOR)
        breached = store.breach(cur, clock.now, ACTOR)
        emit_many(cur, NAME, [("work_order_breached", events.breached(o)) for o in breached])
    return {"escalated": escalated, "breached": len(breached)}

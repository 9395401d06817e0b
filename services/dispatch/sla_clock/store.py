"""The SLA clock's SQL: each tick is two statements over every waiting order (domain/sla.ClockTick is the
rule they follow), each order escalated once and breached once, however often the clock runs. The index
work_order_open_due (migration 0001) holds only waiting orders with a due time, so a tick reads the few
that are due soon, not the months of campaign orders booked ahead."""
from __future__ import annotations

from datetime import datetime

from ..domain.sla import WAITING

# Escalation changes no state: the order's history records it as an action of its own.
ESCALATE = """
WITH escalated AS (
    UPDATE work_order SET escalated_at = %(now)s, updated_at = %(now)s, updated_by = %(actor)s
     WHERE state = ANY(%(waiting)s) AND due_at IS NOT NULL AND due_at <= %(due_by)s AND escalated_at IS NULL
    RETURNING id, state, due_at)
INSERT INTO work_order_transition (work_order_id, action, from_state, to_state, actor, detail, at)
SELECT id, 'escalate', state, state, %(actor)s, jsonb_build_object('dueAt', due_at), %(now)s FROM escalated"""

BREACH = """
WITH breached AS (
    UPDATE work_order SET breached_at = %(now)s, updated_at = %(now)s, updated_by = %(actor)s
     WHERE state = ANY(%(waiting)s) AND due_at IS NOT NULL AND due_at < %(now)s AND breached_at IS NULL
    RETURNING id, work_order_no, type, state, station_code, due_at, technician),
recorded AS (
    INSERT INTO work_order_transition (work_order_id, action, from_state, to_state, actor, detail, at)
    SELECT id, 'breach', state, state, %(actor)s, jsonb_build_object('dueAt', due_at), %(now)s FROM breached)
SELECT work_order_no, type, station_code, due_at, technician FROM breached ORDER BY due_at, work_order_no"""


def escalate(cur, now: datetime, due_by: datetime, actor: str) -> int:
    """Escalate the waiting orders due by `due_by`, not escalated yet; returns how many."""
    cur.execute(ESCALATE, {"now": now, "due_by": due_by, "actor": actor, "waiting": list(WAITING)})
    return cur.rowcount


def breach(cur, now: datetime, actor: str) -> list[dict]:
    """Mark the waiting orders past their due time, not marked yet, as breached; returns them."""
    cur.execute(BREACH, {"now": now, "actor": actor, "waiting": list(WAITING)})
    return cur.fetchall()

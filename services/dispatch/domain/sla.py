"""Service-level targets per work order type: by when the technician must be on site, and the clock
that watches them.

A repair is due within 24 hours of the fault call, whatever the calendar (a customer without a picture
waits through weekends too); every other type is due by the end of the slot the customer booked, and
has no due time until it is booked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .slots import window

REPAIR_ON_SITE_WITHIN = timedelta(hours=24)
# The states of an order whose technician is not on site yet: the only ones the clock watches.
WAITING = ("open", "scheduled", "assigned", "accepted")


def due_at(work_order_type: str, created_at: datetime, slot_day: date | None, slot: str | None,
           tz: ZoneInfo) -> datetime | None:
    if work_order_type == "repair":
        return created_at + REPAIR_ON_SITE_WITHIN
    if slot_day is None or slot is None:
        return None
    return window(slot_day, slot, tz)[1]


def on_time(due: datetime | None, arrived_at: datetime | None) -> bool | None:
    """Whether the technician was on site by the due time; None when there was none to keep."""
    if due is None or arrived_at is None:
        return None
    return arrived_at <= due


@dataclass(frozen=True)
class ClockTick:
    """One tick of the SLA clock at `now`. It is the specification the clock's SQL (sla_clock/store.py)
    follows for all orders at once: a waiting order (WAITING) is escalated to its station's supervisor,
    once, when it is due at or before `escalate_due_by` (already overdue included: an order made late is
    escalated too), and breached, once, when its due time has passed."""
    now: datetime
    escalate_due_by: datetime

    def escalates(self, due: datetime | None) -> bool:
        return due is not None and due <= self.escalate_due_by

    def breached(self, due: datetime | None) -> bool:
        return due is not None and due < self.now


def clock_tick(now: datetime, escalate_before: timedelta) -> ClockTick:
    if escalate_before < timedelta(0):
        raise ValueError("orders are escalated before they are due, not after")
    return ClockTick(now, now + escalate_before)

"""Service-level targets per work order type: by when the technician must be on site.

A repair is due within 24 hours of the fault call, whatever the calendar (a customer without a picture
waits through weekends too); every other type is due by the end of the slot the customer booked, and
has no due time until it is booked.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .slots import window

REPAIR_ON_SITE_WITHIN = timedelta(hours=24)


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

"""An order's place in its station's appointment slots: taken when it is booked, given back when it is
rescheduled or cancelled. Used by the appointment routes and by the core (a product order that comes
with an appointment, a cancelled order)."""
from __future__ import annotations

from datetime import date, datetime

from services.common import workcalendar_store
from services.common.errors import IllegalTransition

from .. import store
from ..domain import sla
from ..domain.timeslots import check_bookable


def take_place(cur, order: dict, day: date, slot: str, now: datetime) -> dict:
    """Take a place for the locked `order` in (day, slot) of its station and answer the fields of its
    schedule transition. Raises, having changed nothing, when the slot cannot be booked or is full."""
    check_bookable(day, slot, workcalendar_store.load(cur), now)
    if not store.book_slot(cur, order["station_code"], day, slot):
        raise IllegalTransition(f"the {slot} slot of {day} at station {order['station_code']} is full",
                                reason="slot-full")
    # A booked visit is due by the end of its slot; the booking also frees the order from a technician
    # who may not work the new day (domain/states.py).
    return {"slot_day": day, "slot": slot, "technician": None,
            "due_at": sla.due_at(order["type"], order["created_at"], day, slot, now.tzinfo)}


def release_place(cur, order: dict) -> None:
    """Give back the place the order holds, if it holds one."""
    if order["slot_day"] is not None:
        store.release_slot(cur, order["station_code"], order["slot_day"], order["slot"])

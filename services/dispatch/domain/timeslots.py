"""Which appointment slots a customer may book: a slot of a working day (the shared working-day
calendar) that has not ended and still has a place, within a year ahead. Free slots are what TMF646's
searchTimeSlot answers; booking checks the same rules.

A day in a year the calendar does not know yet is counted Monday-to-Friday and marked unconfirmed, so
the clerk can tell the customer it may move once the State Council announces the year's holidays.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Mapping
from zoneinfo import ZoneInfo

from services.common.errors import InvalidArgument
from services.common.workcalendar import WorkingCalendar

from .slots import SLOTS, window

MAX_SEARCH_DAYS = 31
# Nobody books a visit further ahead; it also keeps absurd dates out of the bookings table.
HORIZON = timedelta(days=366)


@dataclass(frozen=True)
class FreeSlot:
    day: date
    slot: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    confirmed: bool  # False: the day's year is not in the calendar yet (weekends-only guess)

    @property
    def free(self) -> int:
        return self.capacity - self.booked


def parse_day(field: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidArgument(f"{field} must be a date (YYYY-MM-DD), not {value!r}", reason="invalid-day") from None


def check_bookable(day: date, slot: str, calendar: WorkingCalendar, now: datetime) -> None:
    """InvalidArgument unless the customer may book `slot` of `day` now (the slot's capacity aside)."""
    _, end = window(day, slot, now.tzinfo)  # an unknown slot name is refused here
    if end <= now:
        raise InvalidArgument(f"the {slot} slot of {day} is over", reason="slot-in-past")
    if day > now.date() + HORIZON:
        raise InvalidArgument(f"{day} is more than a year ahead", reason="too-far-ahead")
    if not calendar.is_working_day(day):
        raise InvalidArgument(f"{day} is not a working day", reason="non-working-day")


def search_window(first_day: date, days: int, now: datetime) -> tuple[date, date]:
    """The first and last day of a search over `days` calendar days from `first_day`."""
    if not 1 <= days <= MAX_SEARCH_DAYS:
        raise InvalidArgument(f"days must be 1 to {MAX_SEARCH_DAYS}", reason="invalid-days")
    if first_day > now.date() + HORIZON:
        raise InvalidArgument(f"{first_day} is more than a year ahead", reason="too-far-ahead")
    return first_day, first_day + timedelta(days=days - 1)


def free_slots(first: date, last: date, capacity: int, booked: Mapping[tuple[date, str], int],
               calendar: WorkingCalendar, now: datetime, tz: ZoneInfo) -> list[FreeSlot]:
    """The slots from day `first` to `last` that can still be booked, soonest first; `booked` counts the
    places taken per (day, slot)."""
    found = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        if not calendar.is_working_day(day):
            continue
        for slot in SLOTS:
            start, end = window(day, slot, tz)
            taken = booked.get((day, slot), 0)
            if end > now and taken < capacity:
                found.append(FreeSlot(day, slot, start, end, capacity, taken, calendar.is_known(day)))
    return found

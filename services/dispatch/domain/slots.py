"""Appointment slots: the parts of a working day a station books visits in, in the operator's time zone."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from services.common.errors import InvalidArgument

# slot -> (start, end) on the day
SLOTS: dict[str, tuple[time, time]] = {"AM": (time(9), time(12)), "PM": (time(13), time(17))}


def window(day: date, slot: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """When a slot starts and ends."""
    try:
        start, end = SLOTS[slot]
    except KeyError:
        raise InvalidArgument(f"slot must be one of {', '.join(SLOTS)}", reason="invalid-slot") from None
    return datetime.combine(day, start, tz), datetime.combine(day, end, tz)

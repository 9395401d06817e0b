"""A conversion campaign's rules: what a campaign may ask for, and how one station's homes fill its slots.

Fill rule: the station's homes, in address order (neighbours on the same day, one street after another),
take the campaign's share of each slot (AM, then PM) of successive working days from the start day. A slot
never holds more than the station's capacity: where appointments already booked part of it, the campaign
gets only what is left, and a day the calendar says is not a working day gets nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Mapping

from services.common.errors import InvalidArgument
from services.common.workcalendar import WorkingCalendar

from .slots import SLOTS

NAME_MAX = 100
MAX_AREAS = 100
MAX_VISITS_PER_SLOT = 10_000
AREA_CODE = re.compile(r"[0-9A-Za-z]{1,16}")
# A campaign whose homes do not fit within this many days of its start is a mistake (a share of 1, a station
# without capacity), not a plan: it is refused rather than booked years ahead.
HORIZON = timedelta(days=2 * 366)
# How far ahead a campaign may start.
MAX_LEAD = timedelta(days=366)


@dataclass(frozen=True)
class Placement:
    """Homes first..first+count-1 (ranks in address order, from 1) visit on `day` in `slot`."""
    day: date
    slot: str
    first: int
    count: int


def validate(name: str, area_codes: list[str], start_day: date, visits_per_slot: int, today: date) -> tuple[str, list[str]]:
    """The campaign's name and its area codes (deduplicated, sorted), or InvalidArgument naming what is wrong."""
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise InvalidArgument(f"a campaign needs a name of 1 to {NAME_MAX} characters", reason="invalid-name")
    areas = sorted({code.strip() for code in area_codes})
    if not 1 <= len(areas) <= MAX_AREAS or not all(AREA_CODE.fullmatch(code) for code in areas):
        raise InvalidArgument(f"give 1 to {MAX_AREAS} area codes of letters and digits", reason="invalid-area-codes")
    if not today <= start_day <= today + MAX_LEAD:
        raise InvalidArgument(f"the start day must be between today ({today}) and a year ahead",
                              reason="invalid-start-day")
    if not 1 <= visits_per_slot <= MAX_VISITS_PER_SLOT:
        raise InvalidArgument(f"visitsPerSlot must be between 1 and {MAX_VISITS_PER_SLOT}",
                              reason="invalid-visits-per-slot")
    return name, areas


def fill(homes: int, start: date, share: int, capacity: int, booked: Mapping[tuple[date, str], int],
         calendar: WorkingCalendar, station: str = "") -> list[Placement]:
    """Where one station's `homes` visit: per slot of each working day from `start`, as many as
    min(share, capacity - booked[(day, slot)]) of them, in order, until every home has a place."""
    placements: list[Placement] = []
    placed = 0
    day = calendar.next_working_day(start)
    while placed < homes:
        if day - start > HORIZON:
            raise InvalidArgument(f"station {station}'s {homes} homes do not fit in its free slots within "
                                  f"{HORIZON.days} days of {start}: raise visitsPerSlot or the station's capacity",
                                  reason="campaign-does-not-fit")
        for slot in SLOTS:
            count = min(share, capacity - booked.get((day, slot), 0), homes - placed)
            if count > 0:
                placements.append(Placement(day, slot, placed + 1, count))
                placed += count
        day = calendar.add_working_days(day, 1)
    return placements

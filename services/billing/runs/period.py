"""What a billing run is asked for, checked: the period ("2026-11", a calendar month) and the cycle."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from services.common.errors import InvalidArgument

PERIOD = re.compile(r"^([0-9]{4})-([0-9]{2})$")
CYCLES = range(1, 29)  # account.cycle's range


@dataclass(frozen=True)
class RunKey:
    start: date
    end: date  # exclusive
    cycle: int

    @property
    def period(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def lock_name(self) -> str:
        return f"bill-run:{self.period}:{self.cycle}"


def run_key(period: str, cycle: int) -> RunKey:
    match = PERIOD.match(period.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2999:
        raise InvalidArgument(f"period {period!r} is not a month like 2026-11", reason="invalid-period")
    if cycle not in CYCLES:
        raise InvalidArgument(f"cycle {cycle} is not between {CYCLES.start} and {CYCLES.stop - 1}",
                              reason="invalid-cycle")
    year, month = int(match.group(1)), int(match.group(2))
    start = date(year, month, 1)
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return RunKey(start, end, cycle)


def billable_yet(key: RunKey, today: date) -> bool:
    """Whether the period can be billed today: up to next month (billing ahead, as prepaid television is
    billed), never a month further out (a mistyped year would post a year's charges nobody owes)."""
    next_month = date(today.year + 1, 1, 1) if today.month == 12 else date(today.year, today.month + 1, 1)
    return key.start <= next_month

"""The dunning ladder: which overdue step is due now for one service.

Dunning is per service, never per account: the ladder runs on the oldest unpaid due date of the
service's own charges, so a service whose charges are paid (a package paid in advance) is never cut
for another service's arrears.

The steps, in order, each at least one working day after the previous one was taken:
    reminder    on the first working day on or after due + reminder_after_days
    notice      on the first working day on or after due + notice_after_days: the "care before
                cut-off" call or letter announcing the suspension
    suspend     suspension_grace_working_days working days after the notice was actually given, so a
                late notice still leaves the customer the whole grace
    write_off   on the first working day on or after suspension + write_off_after_days: a write-off
                proposal for a supervisor
Dates are counted on the shared WorkingCalendar (holidays and 调休 weekends included). An exempt
account (tier or tag, e.g. VIP or a public institution) gets the steps before its first exempt one and
no further: by default only reminders.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping

from services.common.errors import InvalidArgument
from services.common.workcalendar import WorkingCalendar

STEPS = ("reminder", "notice", "suspend", "write_off")


@dataclass(frozen=True)
class Ladder:
    reminder_after_days: int = 7
    notice_after_days: int = 20
    suspension_grace_working_days: int = 3
    write_off_after_days: int = 180
    exempt_tiers: frozenset[str] = frozenset({"VIP"})
    exempt_tags: frozenset[str] = frozenset({"public_institution"})
    exempt_steps: frozenset[str] = frozenset({"notice", "suspend", "write_off"})

    def __post_init__(self):
        counts = (self.reminder_after_days, self.notice_after_days, self.suspension_grace_working_days,
                  self.write_off_after_days)
        if any(not isinstance(n, int) or n < 0 for n in counts):
            raise InvalidArgument("a dunning ladder's day counts are whole numbers, 0 or more", reason="invalid-ladder")
        if self.notice_after_days < self.reminder_after_days:
            raise InvalidArgument("the notice cannot come before the reminder", reason="invalid-ladder")
        if not self.exempt_steps <= set(STEPS):
            raise InvalidArgument(f"exempt steps must be among {', '.join(STEPS)}", reason="invalid-ladder")


@dataclass(frozen=True)
class DueStep:
    step: str
    since: date  # the day it fell due; before today when the runs fell behind


def exempt(ladder: Ladder, tier: str, tags: Iterable[str]) -> bool:
    return tier in ladder.exempt_tiers or bool(ladder.exempt_tags & set(tags))


def due_step(ladder: Ladder, oldest_unpaid_due: date | None, taken: Mapping[str, date], today: date,
             calendar: WorkingCalendar, tier: str = "regular", tags: Iterable[str] = ()) -> DueStep | None:
    """The next step of the ladder due on `today` for one service, or None.

    `oldest_unpaid_due` is the due date of the service's oldest unpaid charge (None when nothing is
    unpaid); `taken` maps the steps already taken for these arrears to the day each was taken (the
    caller starts afresh once arrears are cleared). One step at a time: a run that fell behind catches
    up one step per working day, never a reminder and a suspension on the same day.
    """
    unknown = set(taken) - set(STEPS)
    if unknown:
        raise InvalidArgument(f"unknown dunning steps {', '.join(sorted(unknown))}", reason="unknown-step")
    if oldest_unpaid_due is None or today <= oldest_unpaid_due:
        return None
    is_exempt = exempt(ladder, tier, tags)
    previous: date | None = None
    for step in STEPS:
        if step in taken:
            previous = taken[step]
            continue
        if is_exempt and step in ladder.exempt_steps:
            return None
        when = _earliest(ladder, step, oldest_unpaid_due, taken, calendar)
        if previous is not None:
            when = max(when, calendar.add_working_days(previous, 1))
        return DueStep(step, when) if when <= today else None
    return None


def restoration_due(suspended_by_dunning: bool, oldest_unpaid_due: date | None, today: date) -> bool:
    """A service suspended by dunning is restored once none of its own charges is overdue."""
    return suspended_by_dunning and (oldest_unpaid_due is None or oldest_unpaid_due >= today)


def _earliest(ladder: Ladder, step: str, due: date, taken: Mapping[str, date], calendar: WorkingCalendar) -> date:
    if step == "reminder":
        return calendar.next_working_day(due + timedelta(days=ladder.reminder_after_days))
    if step == "notice":
        return calendar.next_working_day(due + timedelta(days=ladder.notice_after_days))
    if step == "suspend":
        return calendar.add_working_days(taken["notice"], ladder.suspension_grace_working_days)
    return calendar.next_working_day(taken["suspend"] + timedelta(days=ladder.write_off_after_days))

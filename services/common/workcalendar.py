"""Working days as data (DESIGN.md "Working days are data"): the calendar every clock counts on
(complaint SLAs, due dates, dunning steps, debit retries, appointment slots).

China moves working days every year (调休: a weekend becomes a working day when a holiday is bridged),
announced by the State Council each November, so no rule computes them. The days that differ from the
Monday-to-Friday default are rows in a table (workcalendar_store.py), seeded from the `holidays` library
and editable by an admin; this module is the pure part: the calendar built from those rows, and the
rows the libraries give.

A date in a year nobody has announced (no row in work_calendar_year) falls back to weekends only: the
answer is flagged and a warning logged once per year, and a request never fails for it.
"""
from __future__ import annotations

import logging
import threading
from datetime import date, timedelta
from typing import Iterable, Mapping

import chinese_calendar
import holidays
from holidays.countries.china import ChinaStaticHolidays

from .errors import InvalidArgument

log = logging.getLogger(__name__)

MAKE_UP_WORKDAY = "调休上班"
DISPUTED = "（holidays 与 chinese_calendar 不一致，按休息日）"
_DAY = timedelta(days=1)


class WorkingCalendar:
    """Working days from `days` (date -> working, only the dates that differ from Monday-to-Friday)
    for the `known_years`; weekends only, flagged, for any other year.

    Counting convention, shared by every clock: `add_working_days(d, n)` is the n-th working day after
    d, and `working_days_between(a, b)` counts the working days in (a, b], so
    working_days_between(d, add_working_days(d, n)) == n.
    """

    def __init__(self, days: Mapping[date, bool], known_years: Iterable[int]):
        self._days = dict(days)
        self.known_years = frozenset(known_years)
        # Once per year per calendar: a service loads its calendar once and reloads it on a change, so
        # this is once per process and year, not once per request.
        self._warned: set[int] = set()
        self._lock = threading.Lock()

    def is_known(self, d: date) -> bool:
        return d.year in self.known_years

    def flagged(self, d: date) -> bool:
        """True when the answer for d is the weekends-only guess, not an announced calendar."""
        return not self.is_known(d)

    def is_working_day(self, d: date) -> bool:
        if d.year not in self.known_years:
            self._warn_unknown(d.year)
        working = self._days.get(d)
        return d.weekday() < 5 if working is None else working

    def next_working_day(self, d: date) -> date:
        """d itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += _DAY
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after d (d itself for n == 0)."""
        if n < 0:
            raise InvalidArgument(f"cannot add {n} working days: the count must be 0 or more",
                                  reason="negative-working-days")
        while n:
            d += _DAY
            if self.is_working_day(d):
                n -= 1
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """The working days d with a < d <= b; negative when b is before a."""
        if b < a:
            return -self.working_days_between(b, a)
        return sum(1 for k in range(1, (b - a).days + 1) if self.is_working_day(a + k * _DAY))

    def _warn_unknown(self, year: int) -> None:
        with self._lock:
            if year in self._warned:
                return
            self._warned.add(year)
        log.warning("working-day calendar has no data for this year; counting weekends only",
                    extra={"year": year})


def library_years(years: Iterable[int]) -> list[int]:
    """Those of `years` whose schedule the `holidays` library has from an official notice. For any
    other year it computes the statutory holidays by rule but knows no 调休, which would be wrong in
    a way nobody notices; such a year stays unknown until an admin enters it."""
    announced = ChinaStaticHolidays.special_public_holidays
    return sorted(y for y in set(years) if y in announced)


def seed_days(years: Iterable[int]) -> list[tuple[date, bool, str]]:
    """(day, working, name) for each day of the announced `years` that differs from Monday-to-Friday:
    the holidays that fall on a weekday and the weekends made working days (调休).

    Cross-check: where chinese_calendar also knows the year and the two disagree on a day, the day is
    seeded as a day off and its name says so. A day off is the safe side for what the calendar drives
    (no suspension or debit file on a day one source says banks and counters are closed), and the name
    shows an admin which day to check against the State Council notice. Up to holidays 0.109 and
    chinesecalendar 1.11 they disagree only on 2005-12-31.
    """
    wanted = library_years(years)
    if not wanted:
        return []
    cn = holidays.CN(years=wanted, language="zh_CN")
    library: dict[date, tuple[bool, str]] = {
        d: (False, name) for d, name in cn.items() if d.year in wanted and d.weekday() < 5}
    library.update({d: (True, MAKE_UP_WORKDAY) for d in cn.weekend_workdays if d.year in wanted})
    rows = []
    for year in wanted:
        d = date(year, 1, 1)
        while d.year == year:
            working, name = library.get(d, (d.weekday() < 5, ""))
            other = _chinese_calendar_says(d)
            if other is not None and other != working:
                # Seeding runs at every start: the day's name marks the dispute for an admin to settle.
                log.info("holiday libraries disagree; seeding a day off",
                            extra={"day": d.isoformat(), "holidays": working, "chinese_calendar": other})
                working, name = False, (name or "") + DISPUTED
            if working != (d.weekday() < 5):
                rows.append((d, working, name))
            d += _DAY
    return rows


def _chinese_calendar_says(d: date) -> bool | None:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:  # it raises for any year it has no notice for
        return None

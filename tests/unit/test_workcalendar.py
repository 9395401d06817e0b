import logging
from datetime import date, timedelta

import pytest

from services.common.errors import InvalidArgument
from services.common.workcalendar import MAKE_UP_WORKDAY, WorkingCalendar, library_years, seed_days


@pytest.fixture(scope="module")
def cal2026():
    return WorkingCalendar({d: w for d, w, _ in seed_days([2026])}, {2026})


def test_seed_2026_has_spring_festival_and_make_up_weekends():
    rows = {d: (w, name) for d, w, name in seed_days([2026])}
    assert rows[date(2026, 2, 16)] == (False, "农历除夕")
    assert rows[date(2026, 2, 14)] == (True, MAKE_UP_WORKDAY)  # a Saturday
    assert rows[date(2026, 2, 28)] == (True, MAKE_UP_WORKDAY)
    assert date(2026, 5, 2) not in rows  # a holiday on a Saturday is already a day off
    assert all(w != (d.weekday() < 5) for d, (w, _) in rows.items())


def test_unannounced_year_is_not_seeded():
    assert library_years([2025, 2026, 2099]) == [2025, 2026]
    assert seed_days([2099]) == []


def test_working_days_across_spring_festival(cal2026):
    assert not cal2026.is_working_day(date(2026, 2, 17))
    assert cal2026.is_working_day(date(2026, 2, 14))  # Saturday, 调休
    # Friday 13th + 1 working day is the make-up Saturday; then the festival until Tuesday 24th.
    assert cal2026.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal2026.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert cal2026.next_working_day(date(2026, 2, 15)) == date(2026, 2, 24)
    assert cal2026.next_working_day(date(2026, 2, 24)) == date(2026, 2, 24)
    assert cal2026.add_working_days(date(2026, 2, 16), 0) == date(2026, 2, 16)
    assert not cal2026.flagged(date(2026, 2, 17))


def test_between_is_the_inverse_of_add(cal2026):
    start = date(2026, 9, 20)
    for n in range(0, 30):
        end = cal2026.add_working_days(start, n)
        assert cal2026.working_days_between(start, end) == n
    assert cal2026.working_days_between(date(2026, 10, 9), date(2026, 9, 30)) == \
        -cal2026.working_days_between(date(2026, 9, 30), date(2026, 10, 9))
    # National Day holidays to the 7th: only the 8th and the 9th count.
    assert cal2026.working_days_between(date(2026, 9, 30), date(2026, 10, 9)) == 2


def test_negative_count_is_invalid(cal2026):
    with pytest.raises(InvalidArgument):
        cal2026.add_working_days(date(2026, 1, 5), -1)


def test_unknown_year_falls_back_to_weekends_flagged_and_warns_once(cal2026, caplog):
    cal = WorkingCalendar({date(2026, 10, 1): False}, {2026})
    with caplog.at_level(logging.WARNING, logger="services.common.workcalendar"):
        assert cal.flagged(date(2030, 10, 1)) and cal.is_known(date(2026, 1, 1))
        assert cal.is_working_day(date(2030, 10, 1))  # National Day, but nobody announced 2030
        assert not cal.is_working_day(date(2030, 10, 5))  # a Saturday
        assert cal.add_working_days(date(2030, 10, 4), 1) == date(2030, 10, 7)
        cal.is_working_day(date(2031, 1, 1))
    warned = [r for r in caplog.records if "no data" in r.getMessage()]
    assert sorted(r.year for r in warned) == [2030, 2031]


def test_admin_rows_in_an_unknown_year_still_count():
    cal = WorkingCalendar({date(2030, 10, 1): False}, set())
    assert not cal.is_working_day(date(2030, 10, 1)) and cal.flagged(date(2030, 10, 1))


def test_long_spans_stay_fast(cal2026):
    start = date(2026, 1, 1)
    assert cal2026.working_days_between(start, start + timedelta(days=364)) == \
        sum(cal2026.is_working_day(start + timedelta(days=k)) for k in range(1, 365))

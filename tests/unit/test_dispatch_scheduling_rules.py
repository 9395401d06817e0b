"""Scheduling's pure rules: which slots are free (capacity, bookings, the working-day calendar, the clock)
and who gets an order automatically (skill, least load, capacity)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.common.errors import InvalidArgument
from services.common.workcalendar import WorkingCalendar
from services.dispatch.domain.assignment import Candidate, pick, plan
from services.dispatch.domain.timeslots import check_bookable, free_slots, parse_day, search_window

TZ = ZoneInfo("Asia/Shanghai")
MON = date(2026, 12, 7)
# Tuesday the 8th a holiday, Saturday the 12th a make-up working day; 2027 not announced.
CALENDAR = WorkingCalendar({date(2026, 12, 8): False, date(2026, 12, 12): True}, {2026})


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def slots(first: date, days: int, now: datetime, capacity: int = 2, booked=None):
    return free_slots(*search_window(first, days, now), capacity, booked or {}, CALENDAR, now, TZ)


def test_only_working_days_are_offered():
    found = slots(MON, 7, at(MON, 8))
    days = sorted({s.day for s in found})
    assert days == [MON, date(2026, 12, 9), date(2026, 12, 10), date(2026, 12, 11), date(2026, 12, 12)]
    assert [s.slot for s in found[:2]] == ["AM", "PM"]
    assert found[0].starts_at == at(MON, 9) and found[0].ends_at == at(MON, 12)
    assert all(s.confirmed for s in found)


def test_a_full_slot_is_not_offered_and_free_places_are_counted():
    found = slots(MON, 1, at(MON, 8), capacity=3, booked={(MON, "AM"): 3, (MON, "PM"): 1})
    assert [(s.slot, s.booked, s.free) for s in found] == [("PM", 1, 2)]


def test_a_slot_that_is_over_is_not_offered():
    assert [s.slot for s in slots(MON, 1, at(MON, 11, 59))] == ["AM", "PM"]
    assert [s.slot for s in slots(MON, 1, at(MON, 12))] == ["PM"]  # today's AM after 12:00
    assert slots(MON, 1, at(MON, 17)) == []
    assert slots(date(2026, 12, 1), 3, at(MON, 8)) == []  # days gone by


def test_a_year_not_in_the_calendar_counts_weekends_only_and_says_so():
    found = slots(date(2026, 12, 31), 4, at(MON, 8))
    assert sorted({(s.day, s.confirmed) for s in found}) == [(date(2026, 12, 31), True), (date(2027, 1, 1), False)]


def test_the_search_window_is_bounded():
    with pytest.raises(InvalidArgument, match="days must be"):
        search_window(MON, 0, at(MON, 8))
    with pytest.raises(InvalidArgument, match="days must be"):
        search_window(MON, 32, at(MON, 8))
    with pytest.raises(InvalidArgument) as e:
        search_window(date(9999, 12, 31), 31, at(MON, 8))
    assert e.value.reason == "too-far-ahead"


@pytest.mark.parametrize("day, slot, now, reason", [
    (date(2026, 12, 8), "AM", at(MON, 8), "non-working-day"),
    (date(2026, 12, 13), "PM", at(MON, 8), "non-working-day"),   # a Sunday
    (MON, "AM", at(MON, 12), "slot-in-past"),
    (date(2026, 12, 4), "PM", at(MON, 8), "slot-in-past"),
    (MON, "EVENING", at(MON, 8), "invalid-slot"),
    (date(2028, 1, 3), "AM", at(MON, 8), "too-far-ahead"),
])
def test_what_cannot_be_booked(day, slot, now, reason):
    with pytest.raises(InvalidArgument) as e:
        check_bookable(day, slot, CALENDAR, now)
    assert e.value.reason == reason


def test_bookable_slots_pass():
    check_bookable(MON, "PM", CALENDAR, at(MON, 12, 30))
    check_bookable(date(2026, 12, 12), "AM", CALENDAR, at(MON, 8))  # the make-up Saturday
    check_bookable(date(2027, 1, 4), "AM", CALENDAR, at(MON, 8))  # unannounced year: a Monday


def test_a_day_must_be_a_date():
    assert parse_day("day", " 2026-12-07 ") == MON
    with pytest.raises(InvalidArgument) as e:
        parse_day("day", "07.12.2026")
    assert e.value.reason == "invalid-day"


ANN = Candidate("ann", frozenset({"install", "repair"}), capacity=3, load=2)
BOB = Candidate("bob", frozenset({"install"}), capacity=4, load=1)
CAT = Candidate("cat", frozenset({"repair"}), capacity=1, load=1)


def test_the_least_loaded_technician_with_the_skill_and_room_is_picked():
    assert pick([ANN, BOB, CAT], "install") == BOB
    assert pick([ANN, BOB, CAT], "repair") == ANN  # cat is at capacity
    assert pick([ANN, BOB, CAT], "disconnect") is None
    assert pick([], "install") is None


def test_ties_go_to_more_room_then_by_name():
    a = Candidate("a", frozenset({"install"}), 2, 1)
    b = Candidate("b", frozenset({"install"}), 5, 1)
    c = Candidate("c", frozenset({"install"}), 5, 1)
    assert pick([c, a, b], "install") == b


def test_a_plan_spreads_orders_by_load_and_places_rare_skills_first():
    orders = [("W1", "install"), ("W2", "install"), ("W3", "repair"), ("W4", "install"), ("W5", "disconnect")]
    ann = Candidate("ann", frozenset({"install", "repair"}), capacity=2, load=0)
    bob = Candidate("bob", frozenset({"install"}), capacity=2, load=0)
    planned = dict(plan(orders, [ann, bob]))
    # Only ann repairs, so W3 is hers before the installs fill her day; W5 nobody can do.
    assert planned["W3"] == "ann"
    assert sorted(planned) == ["W1", "W2", "W3", "W4"]
    assert sorted(planned.values()) == ["ann", "ann", "bob", "bob"]
    assert planned["W1"] == "bob"  # ann had the repair already: bob was the less loaded


def test_a_plan_never_goes_over_capacity():
    full = Candidate("full", frozenset({"install"}), capacity=1, load=1)
    assert plan([("W1", "install")], [full]) == []

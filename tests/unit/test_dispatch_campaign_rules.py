"""A conversion campaign's fill rule: a station's homes in address order take the campaign's share of each
slot (AM, then PM) of successive working days, never more than the slot's free places; and what a campaign
may ask for."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.common.errors import InvalidArgument
from services.common.workcalendar import WorkingCalendar
from services.dispatch.domain.campaign import HORIZON, Placement, fill, validate

# 2027-02-05 is a Friday; the Monday after (02-08) is a holiday, the Sunday (02-07) a make-up working day.
CALENDAR = WorkingCalendar({date(2027, 2, 8): False, date(2027, 2, 7): True}, known_years=[2027])
FRIDAY = date(2027, 2, 5)


def days(placements: list[Placement]) -> list[tuple[str, str, int]]:
    return [(p.day.isoformat(), p.slot, p.count) for p in placements]


def test_homes_fill_the_share_of_each_slot_on_working_days_only():
    placements = fill(25, FRIDAY, share=5, capacity=40, booked={}, calendar=CALENDAR)
    assert days(placements) == [("2027-02-05", "AM", 5), ("2027-02-05", "PM", 5),   # Friday
                                ("2027-02-07", "AM", 5), ("2027-02-07", "PM", 5),   # the make-up Sunday
                                ("2027-02-09", "AM", 5)]                            # Monday 8th is a holiday
    # Ranks run on without gaps: home k has exactly one place.
    assert [(p.first, p.first + p.count - 1) for p in placements] == [(1, 5), (6, 10), (11, 15), (16, 20), (21, 25)]


def test_a_start_on_a_day_off_begins_on_the_next_working_day():
    assert fill(3, date(2027, 2, 6), share=5, capacity=40, booked={}, calendar=CALENDAR)[0].day == date(2027, 2, 7)


def test_booked_places_leave_the_campaign_only_what_is_free():
    booked = {(FRIDAY, "AM"): 38, (FRIDAY, "PM"): 40, (date(2027, 2, 7), "AM"): 36}
    placements = fill(12, FRIDAY, share=5, capacity=40, booked=booked, calendar=CALENDAR)
    assert days(placements) == [("2027-02-05", "AM", 2),      # 2 free of 40
                                ("2027-02-07", "AM", 4),      # Friday PM full; 4 free
                                ("2027-02-07", "PM", 5),      # the share
                                ("2027-02-09", "AM", 1)]
    for p in placements:
        assert booked.get((p.day, p.slot), 0) + p.count <= 40


def test_a_station_over_its_capacity_gets_nothing_more():
    # Capacity lowered below what was booked: the slot is not negative, just full.
    placements = fill(2, FRIDAY, share=5, capacity=10, booked={(FRIDAY, "AM"): 12}, calendar=CALENDAR)
    assert days(placements) == [("2027-02-05", "PM", 2)]


def test_the_share_is_capped_by_the_capacity():
    assert days(fill(7, FRIDAY, share=100, capacity=4, booked={}, calendar=CALENDAR)) == [
        ("2027-02-05", "AM", 4), ("2027-02-05", "PM", 3)]


def test_no_homes_no_places():
    assert fill(0, FRIDAY, share=5, capacity=40, booked={}, calendar=CALENDAR) == []


def test_days_past_the_known_years_fall_back_to_weekends():
    # 2031 is not in the calendar: Monday to Friday work.
    placements = fill(4, date(2031, 1, 3), share=1, capacity=40, booked={}, calendar=CALENDAR)  # a Friday
    assert [p.day.isoformat() for p in placements] == ["2031-01-03", "2031-01-03", "2031-01-06", "2031-01-06"]


def test_homes_that_do_not_fit_within_the_horizon_are_refused():
    with pytest.raises(InvalidArgument) as refused:
        fill(10, FRIDAY, share=5, capacity=0, booked={}, calendar=CALENDAR, station="ST01")
    assert refused.value.reason == "campaign-does-not-fit" and "ST01" in refused.value.message
    # Just inside the horizon is fine: one home a working day for two years.
    homes = 400
    assert sum(p.count for p in fill(homes, FRIDAY, 1, 1, {(d, "PM"): 1 for d in
                                                           (FRIDAY + timedelta(n) for n in range(HORIZON.days))},
                                     CALENDAR)) == homes


TODAY = date(2027, 2, 1)


@pytest.mark.parametrize("name, areas, start, share, reason", [
    ("", ["0101"], TODAY, 5, "invalid-name"),
    ("x" * 101, ["0101"], TODAY, 5, "invalid-name"),
    ("ok", [], TODAY, 5, "invalid-area-codes"),
    ("ok", ["01 01"], TODAY, 5, "invalid-area-codes"),
    ("ok", ["0" * 17], TODAY, 5, "invalid-area-codes"),
    ("ok", [str(n) for n in range(101)], TODAY, 5, "invalid-area-codes"),
    ("ok", ["0101"], TODAY - timedelta(days=1), 5, "invalid-start-day"),
    ("ok", ["0101"], TODAY + timedelta(days=367), 5, "invalid-start-day"),
    ("ok", ["0101"], TODAY, 0, "invalid-visits-per-slot"),
    ("ok", ["0101"], TODAY, 10_001, "invalid-visits-per-slot"),
])
def test_bad_requests_are_refused(name, areas, start, share, reason):
    with pytest.raises(InvalidArgument) as refused:
        validate(name, areas, start, share, TODAY)
    assert refused.value.reason == reason


def test_a_good_request_is_tidied():
    assert validate("  城东整转 ", ["0102", " 0101", "0102"], TODAY, 5, TODAY) == ("城东整转", ["0101", "0102"])

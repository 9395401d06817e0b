from datetime import date

import pytest

from services.billing.domain.dunning import DueStep
from services.billing.domain.states import transition
from services.billing.dunning.rules import (bill_state, checked_ladders, checked_tags, ladder_of, plan,
                                            release_event)
from services.common.errors import IllegalTransition, InvalidArgument
from services.common.workcalendar import WorkingCalendar

D = date
CAL = WorkingCalendar({}, {2026})
DEFAULT = {"applies_to": "default", "reminder_after_days": 7, "notice_after_days": 20,
           "suspension_grace_working_days": 3, "write_off_after_days": 180, "exempt_tiers": ["VIP"],
           "exempt_tags": ["public_institution"], "exempt_steps": ["write_off", "notice", "suspend"]}


def service(ladder="default", taken=None, tier="regular", tags=()):
    return {"service_no": "S1", "ladder": ladder, "oldest_due_on": D(2026, 3, 2), "taken": taken or {},
            "tier": tier, "tags": list(tags)}


def test_a_configuration_is_normalised_and_needs_a_default():
    out = checked_ladders([DEFAULT, dict(DEFAULT, applies_to="broadband", exempt_tags=["b", "a"])])
    assert out[0]["exempt_steps"] == ["notice", "suspend", "write_off"]  # in ladder order
    assert out[1]["exempt_tags"] == ["a", "b"]
    with pytest.raises(InvalidArgument, match="default"):
        checked_ladders([dict(DEFAULT, applies_to="broadband")])


@pytest.mark.parametrize("change", [{"applies_to": "gold"}, {"exempt_tiers": ["gold"]}, {"exempt_tags": ["A B"]},
                                    {"exempt_tags": "VIP"}, {"notice_after_days": 1}, {"write_off_after_days": -1},
                                    {"exempt_steps": ["nap"]}])
def test_a_ladder_that_makes_no_sense_is_refused(change):
    with pytest.raises(InvalidArgument):
        checked_ladders([dict(DEFAULT, **change)])


def test_duplicate_ladders_are_refused():
    with pytest.raises(InvalidArgument):
        checked_ladders([DEFAULT, DEFAULT])


def test_plan_uses_the_named_ladder_or_the_default_and_takes_iso_dates():
    ladders = {"default": ladder_of(DEFAULT), "broadband": ladder_of(dict(DEFAULT, reminder_after_days=1))}
    assert [p.step for p in plan([service("broadband")], ladders, D(2026, 3, 3), CAL)] == [
        DueStep("reminder", D(2026, 3, 3))]
    assert plan([service("premium")], ladders, D(2026, 3, 3), CAL) == []  # no ladder of its own: default
    taken = {"reminder": "2026-03-09"}
    assert [p.step.step for p in plan([service(taken=taken)], ladders, D(2026, 3, 23), CAL)] == ["notice"]
    assert plan([service(taken=taken, tier="VIP")], ladders, D(2026, 3, 23), CAL) == []


def bill(**kw):
    return {"state": "issued", "hold_reason": None, "open_minor": 100, "amount_minor": 100,
            "due_on": D(2026, 3, 2), **kw}


@pytest.mark.parametrize("row, state", [
    (bill(), "issued"), (bill(open_minor=40), "partially_paid"), (bill(open_minor=0, state="paid"), "paid"),
    (bill(hold_reason="dispute"), "on_hold"), (bill(state="written_off", open_minor=0), "written_off"),
])
def test_a_bill_state_before_its_due_date(row, state):
    assert bill_state(row, D(2026, 3, 2)) == state


def test_a_bill_past_its_due_date_is_overdue_and_a_paid_one_cannot_be_held():
    assert bill_state(bill(open_minor=40), D(2026, 3, 3)) == "overdue"
    with pytest.raises(IllegalTransition):
        transition("bill", bill_state(bill(open_minor=0, state="paid"), D(2026, 3, 3)), "hold")


@pytest.mark.parametrize("row, today, event, state", [
    (bill(hold_reason="x"), D(2026, 3, 1), "release", "issued"),
    (bill(hold_reason="x", open_minor=40), D(2026, 3, 1), "release_part_paid", "partially_paid"),
    (bill(hold_reason="x", open_minor=40), D(2026, 3, 3), "release_overdue", "overdue"),
    (bill(hold_reason="x", open_minor=0), D(2026, 3, 3), "release", "issued"),
])
def test_a_release_goes_where_payments_and_the_due_date_say(row, today, event, state):
    assert release_event(row, today) == event
    assert transition("bill", bill_state(row, today), event) == state


def test_tags_are_lowercase_names_deduplicated_and_few():
    assert checked_tags([" school", "school", "public_institution"]) == ["public_institution", "school"]
    assert checked_tags([]) == []
    for bad in (["School"], ["a b"], [""], [1], [f"t{i}" for i in range(21)], ["x" * 41]):
        with pytest.raises(InvalidArgument):
            checked_tags(bad)

from datetime import date

import pytest

from services.common.errors import InvalidArgument
from services.common.workcalendar import WorkingCalendar, seed_days
from services.billing.domain.dunning import DueStep, Ladder, due_step, restoration_due

D = date
CAL = WorkingCalendar({d: w for d, w, _ in seed_days([2026])}, {2026})
LADDER = Ladder(reminder_after_days=7, notice_after_days=20, suspension_grace_working_days=2,
                write_off_after_days=30)
DUE = D(2026, 1, 24)  # a Saturday


def step(today, taken=None, due=DUE, ladder=LADDER, cal=CAL, **kw):
    return due_step(ladder, due, taken or {}, today, cal, **kw)


def test_nothing_before_or_on_the_due_date_or_when_nothing_is_unpaid():
    assert step(D(2026, 1, 24)) is None
    assert step(D(2026, 3, 1), due=None) is None


def test_reminder_waits_for_a_working_day():
    assert step(D(2026, 1, 31)) is None  # due + 7 is a Saturday
    assert step(D(2026, 2, 2)) == DueStep("reminder", D(2026, 2, 2))


def test_notice_then_suspension_after_a_grace_across_spring_festival_and_a_make_up_saturday():
    taken = {"reminder": D(2026, 2, 2)}
    assert step(D(2026, 2, 12), taken) is None
    assert step(D(2026, 2, 13), taken) == DueStep("notice", D(2026, 2, 13))
    taken["notice"] = D(2026, 2, 13)
    # Grace of 2 working days: Saturday 14th (调休 working day), then the festival to the 23rd: the 24th.
    for today in (D(2026, 2, 14), D(2026, 2, 17), D(2026, 2, 23)):
        assert step(today, taken) is None
    assert step(D(2026, 2, 24), taken) == DueStep("suspend", D(2026, 2, 24))
    weekends_only = WorkingCalendar({}, {2026})
    assert step(D(2026, 2, 17), taken, cal=weekends_only) == DueStep("suspend", D(2026, 2, 17))


def test_write_off_proposal_ends_the_ladder():
    taken = {"reminder": D(2026, 2, 2), "notice": D(2026, 2, 13), "suspend": D(2026, 2, 24)}
    assert step(D(2026, 3, 25), taken) is None
    assert step(D(2026, 3, 26), taken) == DueStep("write_off", D(2026, 3, 26))
    taken["write_off"] = D(2026, 3, 26)
    assert step(D(2026, 12, 31), taken) is None


def test_a_run_that_fell_behind_catches_up_one_step_per_working_day():
    assert step(D(2026, 3, 2)) == DueStep("reminder", D(2026, 2, 2))
    taken = {"reminder": D(2026, 3, 2)}
    assert step(D(2026, 3, 2), taken) is None
    assert step(D(2026, 3, 3), taken) == DueStep("notice", D(2026, 3, 3))


@pytest.mark.parametrize("kw", [{"tier": "VIP"}, {"tags": ["public_institution", "x"]}])
def test_exempt_accounts_get_reminders_only(kw):
    assert step(D(2026, 2, 2), **kw) == DueStep("reminder", D(2026, 2, 2))
    assert step(D(2026, 6, 1), {"reminder": D(2026, 2, 2)}, **kw) is None


def test_exemptions_are_configured():
    nothing = Ladder(exempt_steps=frozenset({"reminder", "notice", "suspend", "write_off"}),
                     exempt_tags=frozenset({"hospital"}), exempt_tiers=frozenset())
    assert due_step(nothing, DUE, {}, D(2026, 6, 1), CAL, tags=["hospital"]) is None
    assert due_step(nothing, DUE, {}, D(2026, 6, 1), CAL, tier="VIP").step == "reminder"


def test_restoration_once_the_service_has_no_overdue_charge():
    assert restoration_due(True, None, D(2026, 3, 1))
    assert restoration_due(True, D(2026, 3, 10), D(2026, 3, 1))  # next bill not yet due
    assert not restoration_due(True, D(2026, 1, 24), D(2026, 3, 1))
    assert not restoration_due(False, None, D(2026, 3, 1))  # suspended for another reason: not ours to lift


def test_unknown_year_still_answers():
    assert step(D(2031, 2, 3), due=D(2031, 1, 24)) == DueStep("reminder", D(2031, 1, 31))


@pytest.mark.parametrize("bad", [
    lambda: Ladder(reminder_after_days=-1),
    lambda: Ladder(reminder_after_days=10, notice_after_days=5),
    lambda: Ladder(exempt_steps=frozenset({"jail"})),
    lambda: step(D(2026, 3, 1), {"warning": D(2026, 2, 1)}),
])
def test_bad_configuration_or_input_is_invalid(bad):
    with pytest.raises(InvalidArgument):
        bad()

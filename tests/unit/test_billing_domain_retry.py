from datetime import date

import pytest

from services.common.errors import InvalidArgument
from services.common.workcalendar import WorkingCalendar, seed_days
from services.billing.domain.retry import REASONS, Retry, RetryPolicy, Stop, decide

CAL = WorkingCalendar({d: w for d, w, _ in seed_days([2026])}, {2026})
POLICY = RetryPolicy(window_working_days=3, max_attempts=3)
FRI = date(2026, 2, 13)


@pytest.mark.parametrize("reason", ["insufficient_funds", "account_frozen", "bank_error"])
def test_retry_in_the_next_window_on_working_days(reason):
    # Saturday 14th is a 调休 working day, then Spring Festival until the 23rd.
    assert decide(reason, 1, FRI, CAL, POLICY) == Retry(date(2026, 2, 25))
    assert decide(reason, 2, date(2026, 3, 2), CAL, POLICY) == Retry(date(2026, 3, 5))


def test_retries_stop_at_the_configured_count():
    got = decide("insufficient_funds", 3, FRI, CAL, POLICY)
    assert got == Stop(False, got.why) and "3 attempts" in got.why
    assert isinstance(decide("insufficient_funds", 4, FRI, CAL, RetryPolicy(max_attempts=5)), Retry)


@pytest.mark.parametrize("reason", ["account_closed", "mandate_invalid", "invalid_account", "holder_mismatch",
                                    "amount_limit_exceeded", "debtor_refused"])
def test_a_dead_mandate_stops_and_is_flagged(reason):
    assert decide(reason, 1, FRI, CAL, POLICY).flag_mandate is True


def test_an_unknown_reason_stops_without_flagging():
    assert decide("other", 1, FRI, CAL, POLICY).flag_mandate is False


def test_a_policy_can_stop_retrying_a_reason_the_vocabulary_retries():
    policy = RetryPolicy(retry_reasons=frozenset({"insufficient_funds"}))
    assert decide("account_frozen", 1, FRI, CAL, policy) == Stop(False, "account_frozen: not retried")


def test_every_reason_has_a_decision():
    assert {type(decide(r, 1, FRI, CAL)).__name__ for r in REASONS} == {"Retry", "Stop"}


def test_an_unknown_year_falls_back_to_weekends():
    assert decide("insufficient_funds", 1, date(2031, 1, 31), CAL, POLICY) == Retry(date(2031, 2, 5))


@pytest.mark.parametrize("bad", [
    lambda: decide("no_money", 1, FRI, CAL, POLICY),
    lambda: decide("insufficient_funds", 0, FRI, CAL, POLICY),
    lambda: RetryPolicy(window_working_days=0),
    lambda: RetryPolicy(retry_reasons=frozenset({"moon_phase"})),
    lambda: RetryPolicy(retry_reasons=frozenset({"account_closed"})),
])
def test_bad_input_is_invalid(bad):
    with pytest.raises(InvalidArgument):
        bad()

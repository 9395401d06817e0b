"""What to do after a bank debit failed, by the reason it failed for (the one vocabulary every bank's
codes are mapped to, collection/reasons.py, which also says by default which reasons are retried and
which need the mandate renewed):

    retryable (insufficient funds,      retry in the next collection window, window_working_days
    a freeze, the bank's own error)     working days after the failure, until max_attempts were made
    flags_mandate (account closed,      stop, and flag the mandate for the counter to renew: retrying
    mandate invalid, holder mismatch..) cannot succeed until the customer signs again
    other                               stop without flagging: an unknown reason needs a person; the
                                        bill goes on to dunning either way
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.common.errors import InvalidArgument
from services.common.workcalendar import WorkingCalendar

from ..collection.reasons import REASONS as VOCABULARY

REASONS = tuple(VOCABULARY)


@dataclass(frozen=True)
class RetryPolicy:
    window_working_days: int = 5
    max_attempts: int = 3
    retry_reasons: frozenset[str] = frozenset(r.code for r in VOCABULARY.values() if r.retryable)
    renew_mandate_reasons: frozenset[str] = frozenset(r.code for r in VOCABULARY.values() if r.flags_mandate)

    def __post_init__(self):
        if self.window_working_days < 1 or self.max_attempts < 1:
            raise InvalidArgument("a retry window and attempt count are 1 or more", reason="invalid-retry-policy")
        if not (self.retry_reasons | self.renew_mandate_reasons) <= set(REASONS):
            raise InvalidArgument(f"retry policy reasons must be among {', '.join(REASONS)}",
                                  reason="invalid-retry-policy")
        if self.retry_reasons & self.renew_mandate_reasons:
            raise InvalidArgument("a reason cannot both retry and flag the mandate", reason="invalid-retry-policy")


@dataclass(frozen=True)
class Retry:
    on: date


@dataclass(frozen=True)
class Stop:
    flag_mandate: bool
    why: str


def decide(reason: str, attempts: int, failed_on: date, calendar: WorkingCalendar,
           policy: RetryPolicy = RetryPolicy()) -> Retry | Stop:
    """`attempts` counts the debits of this bill already made, the failed one included."""
    if reason not in REASONS:
        raise InvalidArgument(f"unknown debit failure reason {reason!r}; expected one of {', '.join(REASONS)}",
                              reason="unknown-failure-reason")
    if attempts < 1:
        raise InvalidArgument("a failed debit has made at least one attempt", reason="invalid-attempts")
    if reason in policy.retry_reasons:
        if attempts < policy.max_attempts:
            return Retry(calendar.add_working_days(failed_on, policy.window_working_days))
        return Stop(False, f"{reason}: {attempts} attempts made, the most the policy allows")
    if reason in policy.renew_mandate_reasons:
        return Stop(True, f"{reason}: the mandate must be renewed at the counter")
    return Stop(False, f"{reason}: not retried")

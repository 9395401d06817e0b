"""What a counter payment, a correction and a closing must satisfy: pure checks and arithmetic, no I/O."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from services.common.errors import IllegalTransition, InvalidArgument
from services.common.inputrules import REASON_MAX, STATION_CODE_PATTERN, prose

METHODS = ("cash", "card")  # what a counter takes; debits and agency files come through collection
# No counter takes ¥1,000,000 in one go: a bigger figure is a typo (an extra zero or two), refused
# before it reaches the ledger, where it could only be corrected by another entry.
MAX_AMOUNT_MINOR = 100_000_000
COUNTER = re.compile(f"^{STATION_CODE_PATTERN}$")
REFERENCE_MAX = 64


def amount(amount_minor: int, currency: str, expected: str, *, field: str = "amount", signed: bool = False) -> int:
    """A positive amount (with `signed`, any non-zero one) in the account's currency, within reason."""
    if currency.strip().upper() != expected:
        raise InvalidArgument(f"{field} must be in {expected}, not {currency or 'no currency'}",
                              reason="currency-mismatch")
    if amount_minor == 0 or (amount_minor < 0 and not signed):
        raise InvalidArgument(f"{field} must be {'non-zero' if signed else 'positive'}", reason="invalid-amount")
    if abs(amount_minor) > MAX_AMOUNT_MINOR:
        raise InvalidArgument(f"{field} is over the limit of {MAX_AMOUNT_MINOR // 100} {expected}",
                              reason="invalid-amount")
    return amount_minor


def declared(amount_minor: int, currency: str, expected: str, field: str) -> int:
    """What a clerk counted: nothing (no currency needed) or a positive amount in the counter's currency."""
    return 0 if amount_minor == 0 else amount(amount_minor, currency, expected, field=field)


def method(value: str) -> str:
    if value not in METHODS:
        raise InvalidArgument(f"method must be one of {', '.join(METHODS)}", reason="invalid-method")
    return value


def counter(value: str) -> str:
    value = value.strip().upper()
    if not COUNTER.match(value):
        raise InvalidArgument("counter must be a counter code of 1 to 16 letters, digits, _ or -",
                              reason="invalid-counter")
    return value


def text(value: str, field: str, limit: int = REASON_MAX) -> str:
    """Optional free text (a reference, a note): as typed, within its limit."""
    return prose(field, value, limit).strip()


def reason(value: str) -> str:
    if not (value := text(value, "reason")):
        raise InvalidArgument("give the reason for the correction", reason="reason-required")
    return value


def closing_day(raw: str, today: date) -> date:
    """The day a clerk closes: a real date, not one still to come."""
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidArgument(f"day must be a date YYYY-MM-DD, not {raw!r}", reason="invalid-day") from None
    if day > today:
        raise InvalidArgument(f"{day} has not come yet (today is {today})", reason="invalid-day")
    return day


def refund_amount(requested: int | None, paid: int, refunded: int) -> int:
    """What a refund returns: `requested`, or all that is left; never more than the payment less what was
    already refunded."""
    left = paid - refunded
    if left <= 0:
        raise IllegalTransition("this payment was refunded in full already", reason="payment-already-refunded")
    if requested is None:
        return left
    if requested > left:
        raise InvalidArgument(f"only {left} of the payment is left to refund", reason="refund-exceeds-payment")
    return requested


@dataclass(frozen=True)
class Tally:
    """One method's takings at a counter-day: from the ledger, and as the clerk counted."""
    count: int
    ledger_minor: int
    declared_minor: int

    @property
    def difference(self) -> int:
        """Declared less ledger: negative, the drawer is short; positive, it holds too much."""
        return self.declared_minor - self.ledger_minor


def balanced(*tallies: Tally) -> bool:
    return all(t.difference == 0 for t in tallies)

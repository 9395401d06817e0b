"""What every billing servicer writes the same way into its messages: money and dates."""
from __future__ import annotations

from datetime import date, datetime

from bss.billing.v1 import billing_pb2 as pb


def text(value) -> str:
    """A date or time as ISO text; proto3 has no null, so nothing is the empty string."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


def money(amount_minor: int, currency: str = "CNY") -> pb.Money:
    return pb.Money(amount_minor=amount_minor, currency=currency)

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


def bill_pb(b: dict) -> pb.Bill:
    return pb.Bill(
        bill_no=b["bill_no"], account_no=b["account_no"], customer_no=b["customer_no"],
        account_name=b["account_name"], period_start=text(b["period_start"]), period_end=text(b["period_end"]),
        issued_on=text(b["issued_on"]), due_on=text(b["due_on"]), amount=money(b["amount_minor"], b["currency"]),
        open=money(b["open_minor"], b["currency"]), state=b["state"], hold_reason=b["hold_reason"] or "",
        lines=[pb.BillLine(service_no=x["service_no"] or "", product_code=x["product_code"] or "", kind=x["kind"],
                           description=x["description"], days=x["days"] or 0,
                           amount=money(x["amount_minor"], b["currency"])) for x in b.get("lines", ())])

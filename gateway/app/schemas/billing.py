"""Billing's resources as the API shows them (TMF678 customerBill, a ledger, an account's balance)."""
from __future__ import annotations

from bss.billing.v1 import billing_pb2 as pb

from .base import ApiModel, Money, Page, opt


def money(m: pb.Money) -> Money:
    return Money(amount_minor=m.amount_minor, currency=m.currency or "CNY")


class BillLinePublic(ApiModel):
    service_no: str | None
    product_code: str | None
    kind: str
    description: str
    days: int | None
    amount: Money


class CustomerBillPublic(ApiModel):
    id: str  # the bill number, B...
    account_no: str
    customer_no: str
    account_name: str
    period_start: str
    period_end: str
    issued_on: str
    due_on: str
    amount: Money
    open: Money
    state: str
    on_hold: bool
    hold_reason: str | None
    lines: list[BillLinePublic] | None = None

    @classmethod
    def from_proto(cls, b: pb.Bill, with_lines: bool = False) -> "CustomerBillPublic":
        return cls(id=b.bill_no, account_no=b.account_no, customer_no=b.customer_no, account_name=b.account_name,
                   period_start=b.period_start, period_end=b.period_end, issued_on=b.issued_on, due_on=b.due_on,
                   amount=money(b.amount), open=money(b.open), state=b.state, on_hold=bool(b.hold_reason),
                   hold_reason=opt(b.hold_reason),
                   lines=[BillLinePublic(service_no=opt(x.service_no), product_code=opt(x.product_code), kind=x.kind,
                                         description=x.description, days=x.days or None, amount=money(x.amount))
                          for x in b.lines] if with_lines else None)


class CustomerBillsPublic(Page[CustomerBillPublic]):
    @classmethod
    def from_proto(cls, reply: pb.ListBillsResponse) -> "CustomerBillsPublic":
        return cls(data=[CustomerBillPublic.from_proto(b) for b in reply.bills], count=reply.count)


class FailedDebitPublic(ApiModel):
    bill_no: str
    batch_no: str
    bank_code: str
    amount: Money
    reason: str
    failed_on: str
    next_attempt_on: str | None


class AccountBillingPublic(ApiModel):
    account_no: str
    balance: Money
    overdue: Money
    last_bills: list[CustomerBillPublic]
    failed_debits: list[FailedDebitPublic]
    mandate_state: str | None


class CustomerBillingPublic(ApiModel):
    """The billing section of the customer 360 view."""
    accounts: list[AccountBillingPublic]

    @classmethod
    def from_proto(cls, reply: pb.CustomerBilling) -> "CustomerBillingPublic":
        return cls(accounts=[AccountBillingPublic(
            account_no=a.account_no, balance=money(a.balance), overdue=money(a.overdue),
            last_bills=[CustomerBillPublic.from_proto(b) for b in a.last_bills],
            failed_debits=[FailedDebitPublic(bill_no=f.bill_no, batch_no=f.batch_no, bank_code=f.bank_code,
                                             amount=money(f.amount), reason=f.reason, failed_on=f.failed_on,
                                             next_attempt_on=opt(f.next_attempt_on)) for f in a.failed_debits],
            mandate_state=opt(a.mandate_state)) for a in reply.accounts])


class LedgerEntryPublic(ApiModel):
    id: int
    kind: str
    amount: Money
    bill_no: str | None
    payment_no: str | None
    note: str | None
    created_at: str
    created_by: str


class LedgerPublic(Page[LedgerEntryPublic]):
    balance: Money

    @classmethod
    def from_proto(cls, reply: pb.ListLedgerResponse) -> "LedgerPublic":
        return cls(balance=money(reply.balance), count=reply.count, data=[LedgerEntryPublic(
            id=e.id, kind=e.kind, amount=money(e.amount), bill_no=opt(e.bill_no), payment_no=opt(e.payment_no),
            note=opt(e.note), created_at=e.created_at, created_by=e.created_by) for e in reply.entries])

"""Counter payments (TMF676 payment), refunds, adjustments and counter closings on the wire."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from bss.billing.v1 import billing_pb2 as billing_pb
from bss.billing.v1 import payments_pb2 as pb
from services.common.inputrules import REASON_MAX

from ..auth import User
from ..keys import CURRENCY, STATION_CODE, RecordKey
from .base import ApiModel, InputModel, Money, Page, opt
from .billing import money

INT64_MAX = 2**63 - 1
# Whole fen only: a JSON 12.5 or "1250" is refused, not rounded or read. The bounds only keep the number
# inside the wire's int64; the billing service refuses an absurd amount with its own reason.
Minor = Annotated[int, Field(strict=True, ge=-INT64_MAX, le=INT64_MAX)]
Counter = Annotated[str, Field(pattern=STATION_CODE, description="the counter (window) code")]
Reason = Annotated[str, Field(min_length=1, max_length=REASON_MAX)]


class MoneyIn(InputModel):
    amount_minor: Minor
    currency: Annotated[str, Field(pattern=CURRENCY)]

    def to_proto(self) -> billing_pb.Money:
        return billing_pb.Money(amount_minor=self.amount_minor, currency=self.currency.upper())


def actor(user: User) -> billing_pb.Actor:
    return billing_pb.Actor(username=user.username, role=user.role.value)


class PaymentCreate(InputModel):
    account_no: RecordKey
    amount: MoneyIn
    method: Literal["cash", "card"]
    counter: Counter
    reference: Annotated[str, Field(max_length=64)] | None = None

    def to_proto(self, user: User, request_id: str) -> pb.RecordPaymentRequest:
        return pb.RecordPaymentRequest(account_no=self.account_no, amount=self.amount.to_proto(), method=self.method,
                                       counter=self.counter, reference=self.reference or "", request_id=request_id,
                                       actor=actor(user))


class RefundCreate(InputModel):
    amount: MoneyIn | None = Field(None, description="absent: all of the payment not yet refunded")
    reason: Reason

    def to_proto(self, payment_no: str, user: User) -> pb.RefundPaymentRequest:
        return pb.RefundPaymentRequest(payment_no=payment_no, reason=self.reason, actor=actor(user),
                                       amount=self.amount.to_proto() if self.amount else None)


class AdjustmentCreate(InputModel):
    amount: MoneyIn = Field(description="positive: the customer owes more; negative: a credit")
    reason: Reason

    def to_proto(self, account_no: str, user: User) -> pb.AdjustAccountRequest:
        return pb.AdjustAccountRequest(account_no=account_no, amount=self.amount.to_proto(), reason=self.reason,
                                       actor=actor(user))


class Declared(InputModel):
    cash: MoneyIn | None = None
    card: MoneyIn | None = None


class ClosingCreate(InputModel):
    counter: Counter
    day: date = Field(description="the operator's day, YYYY-MM-DD")
    clerk: Annotated[str, Field(min_length=1, max_length=50)] | None = Field(
        None, description="whose takings; absent: your own (a supervisor may close for a clerk)")
    declared: Declared = Field(description="what was counted, by method; a method left out counted nothing")
    note: Annotated[str, Field(max_length=REASON_MAX)] | None = None

    def to_proto(self, user: User) -> pb.CloseCounterDayRequest:
        return pb.CloseCounterDayRequest(
            counter=self.counter, day=self.day.isoformat(), clerk=self.clerk or user.username,
            declared_cash=self.declared.cash.to_proto() if self.declared.cash else None,
            declared_card=self.declared.card.to_proto() if self.declared.card else None,
            note=self.note or "", actor=actor(user))


# --- output --------------------------------------------------------------------------------------

class PaymentPublic(ApiModel):
    id: str  # the payment number, P...
    account_no: str
    customer_no: str
    account_name: str
    amount: Money
    method: str
    counter: str | None
    counter_day: str | None
    reference: str | None
    received_at: str
    received_by: str
    refunded: Money
    balance_after: Money  # the account's balance right after it (negative: credit)

    @classmethod
    def from_proto(cls, p: pb.Payment) -> "PaymentPublic":
        return cls(id=p.payment_no, account_no=p.account_no, customer_no=p.customer_no, account_name=p.account_name,
                   amount=money(p.amount), method=p.method, counter=opt(p.counter), counter_day=opt(p.counter_day),
                   reference=opt(p.reference), received_at=p.received_at, received_by=p.received_by,
                   refunded=money(p.refunded), balance_after=money(p.balance_after))


class PaymentsPublic(Page[PaymentPublic]):
    @classmethod
    def from_proto(cls, reply: pb.ListPaymentsResponse) -> "PaymentsPublic":
        return cls(data=[PaymentPublic.from_proto(p) for p in reply.payments], count=reply.count)


class AdjustmentPublic(ApiModel):
    id: int  # the ledger entry
    account_no: str
    amount: Money
    reason: str
    created_at: str
    created_by: str
    balance: Money

    @classmethod
    def from_proto(cls, a: pb.Adjustment) -> "AdjustmentPublic":
        return cls(id=a.entry_id, account_no=a.account_no, amount=money(a.amount), reason=a.reason,
                   created_at=a.created_at, created_by=a.created_by, balance=money(a.balance))


class MethodTotalPublic(ApiModel):
    count: int
    amount: Money


class ByMethod(ApiModel):
    cash: Money
    card: Money


class ClosingPublic(ApiModel):
    counter: str
    day: str
    clerk: str
    cash: MethodTotalPublic  # from the ledger
    card: MethodTotalPublic
    declared: ByMethod
    difference: ByMethod  # declared less ledger: negative, short
    balanced: bool
    note: str | None
    closed_by: str
    closed_at: str

    @classmethod
    def from_proto(cls, k: pb.CounterClosing) -> "ClosingPublic":
        return cls(counter=k.counter, day=k.day, clerk=k.clerk,
                   cash=MethodTotalPublic(count=k.cash.count, amount=money(k.cash.amount)),
                   card=MethodTotalPublic(count=k.card.count, amount=money(k.card.amount)),
                   declared=ByMethod(cash=money(k.declared_cash), card=money(k.declared_card)),
                   difference=ByMethod(cash=money(k.cash_difference), card=money(k.card_difference)),
                   balanced=k.balanced, note=opt(k.note), closed_by=k.closed_by, closed_at=k.closed_at)


class ClosingsPublic(Page[ClosingPublic]):
    @classmethod
    def from_proto(cls, reply: pb.ListCounterClosingsResponse) -> "ClosingsPublic":
        return cls(data=[ClosingPublic.from_proto(k) for k in reply.closings], count=reply.count)

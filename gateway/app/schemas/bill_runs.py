"""Billing runs on the wire: what a supervisor asks for, and the run's counts (and a dry run's bill)."""
from __future__ import annotations

from pydantic import Field

from bss.billing.v1 import billing_pb2 as pb
from bss.billing.v1 import runs_pb2 as rpb

from ..auth import User
from ..keys import RecordKey
from .base import ApiModel, InputModel, Money, opt
from .billing import CustomerBillPublic, money

INT32 = 2**31 - 1


def actor(user: User) -> pb.Actor:
    return pb.Actor(username=user.username, role=user.role.value)


class BillRunCreate(InputModel):
    # The billing service names what is wrong with a period or cycle (invalid-period, invalid-cycle).
    period: str = Field(max_length=20, description="The month billed, e.g. 2026-11", examples=["2026-11"])
    cycle: int = Field(1, ge=-INT32, le=INT32, description="The billing cycle, 1-28")
    dry_run: bool = False
    account_no: RecordKey | None = Field(None, description="A dry run shows the bill this account would get")

    def to_proto(self, user: User) -> rpb.StartBillRunRequest:
        return rpb.StartBillRunRequest(period=self.period, cycle=self.cycle, dry_run=self.dry_run,
                                       account_no=self.account_no or "", actor=actor(user))


class BillRunCounts(ApiModel):
    accounts: int
    bills: int
    lines: int
    amount: Money
    discounts: Money
    one_time_fees: int


class BillRunPublic(ApiModel):
    id: str | None  # the run number, R...; none for a dry run
    period: str
    cycle: int
    dry_run: bool
    state: str
    # started | resumed | already-billed (a rerun: nothing added) | running | dry-run
    outcome: str
    already_billed: bool
    counts: BillRunCounts
    requested_by: str | None
    started_at: str | None
    finished_at: str | None
    phases: dict[str, float]
    error: str | None
    preview: CustomerBillPublic | None = None

    @classmethod
    def from_proto(cls, r: rpb.BillRun) -> "BillRunPublic":
        c = r.counts
        return cls(id=opt(r.run_no), period=r.period, cycle=r.cycle, dry_run=r.dry_run, state=r.state,
                   outcome=r.outcome, already_billed=r.outcome == "already-billed",
                   counts=BillRunCounts(accounts=c.accounts, bills=c.bills, lines=c.lines, amount=money(c.amount),
                                        discounts=money(c.discounts), one_time_fees=c.one_time_fees),
                   requested_by=opt(r.requested_by), started_at=opt(r.started_at), finished_at=opt(r.finished_at),
                   phases=dict(r.phases), error=opt(r.error),
                   preview=CustomerBillPublic.from_proto(r.preview, with_lines=True) if r.HasField("preview") else None)

"""Dunning as the API shows it: ladders, runs, the steps an account took, holds, tags, write-offs."""
from __future__ import annotations

import datetime
from typing import Annotated, Literal

from pydantic import Field

from bss.billing.v1 import billing_pb2
from bss.billing.v1 import dunning_pb2 as pb

from ..auth import User
from .base import ApiModel, InputModel, Money, Page, opt
from .billing import money

Step = Literal["reminder", "notice", "suspend", "write_off"]
Days = Annotated[int, Field(ge=0, le=3650)]
Name = Annotated[str, Field(min_length=1, max_length=40)]


def actor(user: User) -> billing_pb2.Actor:
    return billing_pb2.Actor(username=user.username, role=user.role.value)


class LadderIn(InputModel):
    applies_to: Name = Field(description="default, a product category (analog_basic, digital_basic, premium, "
                                         "broadband, ...) or a kind of service (analog_tv, digital_tv, broadband)")
    reminder_after_days: Days
    notice_after_days: Days
    suspension_grace_working_days: Days
    write_off_after_days: Days
    exempt_tiers: Annotated[list[Name], Field(max_length=10)] = []
    exempt_tags: Annotated[list[Name], Field(max_length=50)] = []
    exempt_steps: Annotated[list[Step], Field(max_length=4)] = ["notice", "suspend", "write_off"]

    def to_proto(self) -> pb.Ladder:
        return pb.Ladder(**self.model_dump())


class LaddersUpdate(InputModel):
    """The whole configuration: ladders left out are removed; a default ladder is required."""
    data: Annotated[list[LadderIn], Field(min_length=1, max_length=50)]

    def to_proto(self, user: User) -> pb.ReplaceLaddersRequest:
        return pb.ReplaceLaddersRequest(ladders=[x.to_proto() for x in self.data], actor=actor(user))


class LadderPublic(ApiModel):
    applies_to: str
    reminder_after_days: int
    notice_after_days: int
    suspension_grace_working_days: int
    write_off_after_days: int
    exempt_tiers: list[str]
    exempt_tags: list[str]
    exempt_steps: list[str]
    updated_by: str
    updated_at: str


class LaddersPublic(Page[LadderPublic]):
    @classmethod
    def from_proto(cls, reply: pb.Ladders) -> "LaddersPublic":
        return cls(count=len(reply.ladders), data=[LadderPublic(
            applies_to=x.applies_to, reminder_after_days=x.reminder_after_days, notice_after_days=x.notice_after_days,
            suspension_grace_working_days=x.suspension_grace_working_days,
            write_off_after_days=x.write_off_after_days, exempt_tiers=list(x.exempt_tiers),
            exempt_tags=list(x.exempt_tags), exempt_steps=list(x.exempt_steps), updated_by=x.updated_by,
            updated_at=x.updated_at) for x in reply.ladders])


class DunningRunCreate(InputModel):
    as_of: datetime.date | None = Field(None, description="The day to run as (tests, a demo); default today")

    def to_proto(self, user: User) -> pb.RunDunningRequest:
        return pb.RunDunningRequest(as_of=self.as_of.isoformat() if self.as_of else "", actor=actor(user))


class DunningRunPublic(ApiModel):
    as_of: str
    overdue_services: int
    reminders: int
    notices: int
    suspensions: int
    write_off_proposals: int
    restorations: int
    write_offs_withdrawn: int

    @classmethod
    def from_proto(cls, r: pb.DunningRun) -> "DunningRunPublic":
        return cls(as_of=r.as_of, overdue_services=r.overdue_services, reminders=r.reminders, notices=r.notices,
                   suspensions=r.suspensions, write_off_proposals=r.write_off_proposals,
                   restorations=r.restorations, write_offs_withdrawn=r.write_offs_withdrawn)


class DunningStepPublic(ApiModel):
    service_no: str
    step: str
    taken_on: str
    request_no: str
    overdue: Money
    oldest_due_on: str
    bill_nos: list[str]
    closed_on: str | None  # null: the arrears are still open
    taken_by: str


class DunningStepsPublic(Page[DunningStepPublic]):
    @classmethod
    def from_proto(cls, reply: pb.ListDunningStepsResponse) -> "DunningStepsPublic":
        return cls(count=reply.count, data=[DunningStepPublic(
            service_no=s.service_no, step=s.step, taken_on=s.taken_on, request_no=s.request_no,
            overdue=money(s.overdue), oldest_due_on=s.oldest_due_on, bill_nos=list(s.bill_nos),
            closed_on=opt(s.closed_on), taken_by=s.taken_by) for s in reply.steps])


class BillHold(InputModel):
    reason: str = Field(min_length=1, max_length=500, description="Why, e.g. the complaint disputing it")


class AccountTagsUpdate(InputModel):
    tags: Annotated[list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]], Field(max_length=20)]


class AccountTagsPublic(ApiModel):
    account_no: str
    tags: list[str]


class WriteOffDecision(InputModel):
    note: str = Field("", max_length=500)


class WriteOffPublic(ApiModel):
    id: str  # WO...
    account_no: str
    customer_no: str
    service_nos: list[str]
    proposed_on: str
    proposed: Money
    state: str
    written_off: Money | None
    decided_by: str | None
    decided_at: str | None
    note: str | None

    @classmethod
    def from_proto(cls, w: pb.WriteOff) -> "WriteOffPublic":
        return cls(id=w.write_off_no, account_no=w.account_no, customer_no=w.customer_no,
                   service_nos=list(w.service_nos), proposed_on=w.proposed_on, proposed=money(w.proposed),
                   state=w.state, written_off=money(w.written_off) if w.HasField("written_off") else None,
                   decided_by=opt(w.decided_by), decided_at=opt(w.decided_at), note=opt(w.note))


class WriteOffsPublic(Page[WriteOffPublic]):
    @classmethod
    def from_proto(cls, reply: pb.ListWriteOffsResponse) -> "WriteOffsPublic":
        return cls(count=reply.count, data=[WriteOffPublic.from_proto(w) for w in reply.write_offs])

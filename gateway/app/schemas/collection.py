"""Bank collection on the wire: mandates, collection runs and debit batches, bank files and their import
reports, the exception queue and the success report."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from bss.billing.v1 import collection_pb2 as pb
from services.common.inputrules import NAME_MAX, REASON_MAX

from ..auth import User
from ..keys import RecordKey
from ..masking import mask
from .base import ApiModel, InputModel, Money, Page, opt
from .billing import money
from .payments import actor

BankCode = Annotated[str, Field(pattern=r"^[A-Za-z]{2,10}$", description="a shipped bank's code: ICBC, CCB, BOC")]
Note = Annotated[str, Field(max_length=REASON_MAX)]


class MandateCreate(InputModel):
    account_no: RecordKey
    bank_code: BankCode
    holder_name: Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
    bank_account_no: Annotated[str, Field(min_length=1, max_length=40)]
    signed_on: date
    state: Literal["pending", "active"] = "active"

    def to_proto(self, user: User) -> pb.CreateMandateRequest:
        return pb.CreateMandateRequest(account_no=self.account_no, bank_code=self.bank_code,
                                       holder_name=self.holder_name, bank_account_no=self.bank_account_no,
                                       signed_on=self.signed_on.isoformat(), state=self.state, actor=actor(user))


class MandateChange(InputModel):
    note: Note | None = None
    # A renewal may move the mandate to a new bank account: all four, or none.
    bank_code: BankCode | None = None
    holder_name: Annotated[str, Field(min_length=1, max_length=NAME_MAX)] | None = None
    bank_account_no: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    signed_on: date | None = None

    def to_proto(self, mandate_no: str, event: str, user: User) -> pb.ChangeMandateRequest:
        return pb.ChangeMandateRequest(
            mandate_no=mandate_no, event=event, note=self.note or "", bank_code=self.bank_code or "",
            holder_name=self.holder_name or "", bank_account_no=self.bank_account_no or "",
            signed_on=self.signed_on.isoformat() if self.signed_on else "", actor=actor(user))


class MandatePublic(ApiModel):
    id: str  # the mandate number, M...
    account_no: str
    customer_no: str
    bank_code: str
    holder_name: str
    bank_account_no: str
    signed_on: str
    state: str
    state_note: str | None
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str

    @classmethod
    def from_proto(cls, m: pb.Mandate, role: str) -> "MandatePublic":
        return cls(id=m.mandate_no, account_no=m.account_no, customer_no=m.customer_no, bank_code=m.bank_code,
                   holder_name=m.holder_name, bank_account_no=mask("bank_account_no", m.bank_account_no, role),
                   signed_on=m.signed_on,
                   state=m.state, state_note=opt(m.state_note), created_by=m.created_by, created_at=m.created_at,
                   updated_by=m.updated_by, updated_at=m.updated_at)


class MandatesPublic(Page[MandatePublic]):
    @classmethod
    def from_proto(cls, reply: pb.ListMandatesResponse, role: str) -> "MandatesPublic":
        return cls(data=[MandatePublic.from_proto(m, role) for m in reply.mandates], count=reply.count)


class CollectionRunCreate(InputModel):
    collection_date: date | None = Field(None, description="the day the banks debit; absent: today")
    banks: list[BankCode] | None = Field(None, max_length=20, description="absent: every shipped bank")

    def to_proto(self, user: User) -> pb.RunCollectionRequest:
        return pb.RunCollectionRequest(collection_date=self.collection_date.isoformat() if self.collection_date else "",
                                       banks=[b.upper() for b in self.banks or ()], actor=actor(user))


class DebitBatchPublic(ApiModel):
    id: str  # the batch number, D...
    run_no: str
    bank_code: str
    collection_date: str
    created_on: str
    created_at: str
    state: str
    debit_count: int
    amount: Money
    downloads: int
    last_download_at: str | None
    formats: list[str]

    @classmethod
    def from_proto(cls, b: pb.DebitBatch) -> "DebitBatchPublic":
        return cls(id=b.batch_no, run_no=b.run_no, bank_code=b.bank_code, collection_date=b.collection_date,
                   created_on=b.created_on, created_at=b.created_at, state=b.state, debit_count=b.debit_count,
                   amount=money(b.amount), downloads=b.downloads, last_download_at=opt(b.last_download_at),
                   formats=list(b.formats))


class DebitBatchesPublic(Page[DebitBatchPublic]):
    @classmethod
    def from_proto(cls, reply: pb.ListDebitBatchesResponse) -> "DebitBatchesPublic":
        return cls(data=[DebitBatchPublic.from_proto(b) for b in reply.batches], count=reply.count)


class CollectionRunPublic(ApiModel):
    id: str
    collection_date: str
    banks: list[str]
    batches: list[DebitBatchPublic]
    created_at: str

    @classmethod
    def from_proto(cls, r: pb.CollectionRun) -> "CollectionRunPublic":
        return cls(id=r.run_no, collection_date=r.collection_date, banks=list(r.banks), created_at=r.created_at,
                   batches=[DebitBatchPublic.from_proto(b) for b in r.batches])


class FileErrorPublic(ApiModel):
    where: str
    message: str


class BankFilePublic(ApiModel):
    id: str  # F...
    bank_code: str
    kind: str
    format: str | None
    file_name: str | None
    content_sha256: str
    bank_file_id: str | None
    batch_no: str | None
    state: str
    lines: int
    applied: int
    succeeded: int
    failed: int
    duplicates: int
    exceptions: int
    pending: int
    amount: Money
    errors: list[FileErrorPublic]
    uploaded_by: str
    uploaded_at: str

    @classmethod
    def from_proto(cls, f: pb.BankFile) -> "BankFilePublic":
        return cls(id=f.file_no, bank_code=f.bank_code, kind=f.kind, format=opt(f.format), file_name=opt(f.file_name),
                   content_sha256=f.content_sha256, bank_file_id=opt(f.bank_file_id), batch_no=opt(f.batch_no),
                   state=f.state, lines=f.lines, applied=f.applied, succeeded=f.succeeded, failed=f.failed,
                   duplicates=f.duplicates, exceptions=f.exceptions, pending=f.pending, amount=money(f.amount),
                   errors=[FileErrorPublic(where=e.where, message=e.message) for e in f.errors],
                   uploaded_by=f.uploaded_by, uploaded_at=f.uploaded_at)


class ExceptionPublic(ApiModel):
    id: int
    file_no: str
    bank_code: str
    kind: str
    line_no: int
    reference: str
    account_number: str
    amount: Money
    paid: bool
    problem: str
    state: str
    action: str | None
    account_no: str | None
    payment_no: str | None
    note: str | None
    resolved_by: str | None
    resolved_at: str | None

    @classmethod
    def from_proto(cls, x: pb.CollectionException) -> "ExceptionPublic":
        return cls(id=x.id, file_no=x.file_no, bank_code=x.bank_code, kind=x.kind, line_no=x.line_no,
                   reference=x.reference, account_number=x.account_number, amount=money(x.amount), paid=x.paid,
                   problem=x.problem, state=x.state, action=opt(x.action), account_no=opt(x.account_no),
                   payment_no=opt(x.payment_no), note=opt(x.note), resolved_by=opt(x.resolved_by),
                   resolved_at=opt(x.resolved_at))


class ExceptionsPublic(Page[ExceptionPublic]):
    @classmethod
    def from_proto(cls, reply: pb.ListExceptionsResponse) -> "ExceptionsPublic":
        return cls(data=[ExceptionPublic.from_proto(x) for x in reply.exceptions], count=reply.count)


class ExceptionResolve(InputModel):
    action: Literal["apply-to-account", "refund", "ignore"]
    account_no: RecordKey | None = None
    note: Note

    def to_proto(self, exception_id: int, user: User) -> pb.ResolveExceptionRequest:
        return pb.ResolveExceptionRequest(id=exception_id, action=self.action, account_no=self.account_no or "",
                                          note=self.note, actor=actor(user))


class ReasonCountPublic(ApiModel):
    reason: str
    count: int
    amount: Money


class ReportLinePublic(ApiModel):
    batch_no: str | None  # absent on a bank's total
    bank_code: str
    collection_date: str | None
    state: str | None
    debits: int
    amount: Money
    succeeded: int
    succeeded_amount: Money
    failed: int
    failed_amount: Money
    awaiting: int
    failed_by_reason: list[ReasonCountPublic]
    success_rate: float | None  # of the debits the bank answered
    meets_target: bool

    @classmethod
    def from_proto(cls, r: pb.ReportLine) -> "ReportLinePublic":
        return cls(batch_no=opt(r.batch_no), bank_code=r.bank_code, collection_date=opt(r.collection_date),
                   state=opt(r.state), debits=r.debits, amount=money(r.amount), succeeded=r.succeeded,
                   succeeded_amount=money(r.succeeded_amount), failed=r.failed, failed_amount=money(r.failed_amount),
                   awaiting=r.awaiting, failed_by_reason=[ReasonCountPublic(reason=x.reason, count=x.count,
                                                                            amount=money(x.amount))
                                                          for x in r.failed_by_reason],
                   success_rate=r.success_rate if r.has_rate else None, meets_target=r.meets_target)


class CollectionReportPublic(ApiModel):
    target: float
    batches: list[ReportLinePublic]
    banks: list[ReportLinePublic]

    @classmethod
    def from_proto(cls, r: pb.CollectionReport) -> "CollectionReportPublic":
        return cls(target=r.target, batches=[ReportLinePublic.from_proto(x) for x in r.batches],
                   banks=[ReportLinePublic.from_proto(x) for x in r.banks])


class DebitBatchCancel(InputModel):
    note: Annotated[str, Field(min_length=1, max_length=REASON_MAX, description="Why it is withdrawn")]

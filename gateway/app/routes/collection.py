"""Bank batch collection (代收): mandates, collection runs, the banks' debit batches and files, the exception
queue and the success report. A bank user acts only for its own bank (its token's scope): another bank's
batch or file is as unknown to it as a missing one."""
from __future__ import annotations

from enum import StrEnum
from typing import Annotated, AsyncIterator

import grpc
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from bss.billing.v1 import collection_pb2 as pb

from .. import access_log
from ..auth import Role, User
from ..deps import (BankFileReader, BankFileUploader, CollectionClient, CollectionRunner, DebitBatchReader,
                    ExceptionReader, ExceptionResolver, Limit, MandateReader, MandateWriter, Offset, ReportReader)
from ..fields import created, page, selected
from ..keys import BatchNo, FileNo, MandateNo, key_query
from ..problems import MEDIA_TYPE, Problem, problem_body
from ..schemas.collection import (BankCode, BankFilePublic, CollectionReportPublic, CollectionRunCreate,
                                  CollectionRunPublic, DebitBatchCancel, DebitBatchesPublic, DebitBatchPublic,
                                  ExceptionPublic, ExceptionResolve, ExceptionsPublic, MandateChange, MandateCreate,
                                  MandatePublic, MandatesPublic)
from ..schemas.payments import actor

router = APIRouter(tags=["collection"])

# A run, a million-line file in or out: far longer than a screen's call.
BULK_TIMEOUT_SECONDS = 600.0
UPLOAD_CHUNK = 1 << 20
# What the access log says was opened when a mandate (holder and bank account) is read.
MANDATES_PURPOSE = "GET /api/v1/mandates"
MANDATE_PURPOSE = "GET /api/v1/mandates/{mandateNo}"


class MandateEvent(StrEnum):
    ACTIVATE = "activate"
    RENEW = "renew"
    REVOKE = "revoke"
    FLAG_RENEWAL = "flagRenewal"


class FileFormat(StrEnum):
    BANK_LAYOUT = "bankLayout"
    PAIN_008 = "pain.008"


class FileKind(StrEnum):
    RESULT = "result"
    AGENCY = "agency"


def scope(user: User) -> str:
    """The bank a user acts for: a bank user's own; everyone else sees every bank."""
    if user.role is not Role.BANK:
        return ""
    if not user.scope:
        raise Problem(403, "forbidden", "this bank user has no bank")
    return user.scope.upper()


# --- mandates -------------------------------------------------------------------------------------------

@router.post("/mandates", status_code=201, response_model=MandatePublic)
async def create_mandate(body: MandateCreate, user: MandateWriter, client: CollectionClient,
                         request: Request) -> JSONResponse:
    """An account's direct-debit authorisation (代扣授权) at a bank; the account number is checked by that
    bank's rule. An account has one mandate at a time (409 mandate-exists)."""
    reply = await client.CreateMandate(body.to_proto(user))
    return created(MandatePublic.from_proto(reply, user.role),
                   request.app.url_path_for("get_mandate", mandateNo=reply.mandate_no))


@router.get("/mandates", response_model=MandatesPublic)
async def list_mandates(user: MandateReader, client: CollectionClient, request: Request,
                        account_no: Annotated[str | None, key_query("accountNo")] = None,
                        bank: Annotated[BankCode | None, Query()] = None,
                        state: Annotated[str | None, Query(max_length=20, pattern=r"^[a-z_]+$")] = None,
                        offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    reply = await client.ListMandates(pb.ListMandatesRequest(account_no=account_no or "", bank_code=bank or "",
                                                             state=state or "", offset=offset, limit=limit))
    access_log.opened(request, user, (m.customer_no for m in reply.mandates), MANDATES_PURPOSE)
    return page(MandatesPublic.from_proto(reply, user.role))


@router.get("/mandates/{mandateNo}", response_model=MandatePublic)
async def get_mandate(mandate_no: MandateNo, user: MandateReader, client: CollectionClient,
                      request: Request) -> JSONResponse:
    reply = await client.GetMandate(pb.GetMandateRequest(mandate_no=mandate_no))
    access_log.opened(request, user, [reply.customer_no], MANDATE_PURPOSE)
    return selected(MandatePublic.from_proto(reply, user.role))


@router.post("/mandates/{mandateNo}/{event}", response_model=MandatePublic)
async def change_mandate(mandate_no: MandateNo, event: MandateEvent, user: MandateWriter, client: CollectionClient,
                         body: Annotated[MandateChange | None, Body()] = None) -> JSONResponse:
    """activate (a pending mandate the bank confirmed), renew (one flagged after a failed debit, optionally to
    a new bank account), revoke, flagRenewal. An event the state does not allow is 409."""
    wire = "flag_renewal" if event is MandateEvent.FLAG_RENEWAL else event.value
    reply = await client.ChangeMandate((body or MandateChange()).to_proto(mandate_no, wire, user))
    return selected(MandatePublic.from_proto(reply, user.role))


# --- runs and batches -------------------------------------------------------------------------------------

@router.post("/collectionRuns", status_code=201, response_model=CollectionRunPublic)
async def run_collection(body: CollectionRunCreate, user: CollectionRunner, client: CollectionClient) -> JSONResponse:
    """Debit the due bills of accounts with an active mandate: one batch per bank, whose offer file the
    bank downloads. Bills on hold, awaiting a bank's answer, or whose retry is not due are left out."""
    reply = await client.RunCollection(body.to_proto(user), timeout=BULK_TIMEOUT_SECONDS)
    return created(CollectionRunPublic.from_proto(reply))


@router.get("/debitBatches", response_model=DebitBatchesPublic)
async def list_debit_batches(user: DebitBatchReader, client: CollectionClient, offset: Offset = 0,
                             limit: Limit = 20) -> JSONResponse:
    """Newest first; a bank sees its own batches only."""
    reply = await client.ListDebitBatches(pb.ListDebitBatchesRequest(bank_code=scope(user), offset=offset,
                                                                     limit=limit))
    return page(DebitBatchesPublic.from_proto(reply))


@router.get("/debitBatches/{batchNo}", response_model=DebitBatchPublic)
async def get_debit_batch(batch_no: BatchNo, user: DebitBatchReader, client: CollectionClient) -> JSONResponse:
    reply = await client.GetDebitBatch(pb.GetDebitBatchRequest(batch_no=batch_no, bank_code=scope(user)))
    return selected(DebitBatchPublic.from_proto(reply))


@router.post("/debitBatches/{batchNo}/cancel", response_model=DebitBatchPublic)
async def cancel_debit_batch(batch_no: BatchNo, body: DebitBatchCancel, user: CollectionRunner,
                             client: CollectionClient) -> JSONResponse:
    """Withdraw a batch its bank never answered: the debits still awaiting an answer are cancelled, so
    their bills can be collected again or paid at a counter. A batch with an answer cannot be cancelled."""
    reply = await client.CancelDebitBatch(pb.CancelDebitBatchRequest(batch_no=batch_no, note=body.note,
                                                                     actor=actor(user)))
    return selected(DebitBatchPublic.from_proto(reply))


@router.get("/debitBatches/{batchNo}/file", response_class=StreamingResponse,
            responses={200: {"content": {"text/plain": {}, "application/xml": {}}}})
async def debit_batch_file(batch_no: BatchNo, user: DebitBatchReader, client: CollectionClient,
                           format: FileFormat = FileFormat.BANK_LAYOUT) -> StreamingResponse:
    """The batch's offer file (报盘) in the bank's own layout (its encoding, e.g. GBK), or as ISO 20022
    pain.008 for a bank that takes it (validated against the XSD first), streamed."""
    call = client.DownloadBatchFile(pb.DownloadBatchFileRequest(batch_no=batch_no, bank_code=scope(user),
                                                                format=format.value, actor=actor(user)),
                                    timeout=BULK_TIMEOUT_SECONDS)
    first = await call.read()  # a refusal (404, 422) surfaces here, before any byte is sent

    async def body() -> AsyncIterator[bytes]:
        yield first.content
        while (chunk := await call.read()) is not grpc.aio.EOF:
            yield chunk.content
    return StreamingResponse(body(), media_type=first.media_type,
                             headers={"Content-Disposition": f'attachment; filename="{first.file_name}"'})


# --- files in ---------------------------------------------------------------------------------------------

@router.post("/bankFiles", status_code=201, response_model=BankFilePublic,
             openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {}}}})
async def upload_bank_file(request: Request, user: BankFileUploader, client: CollectionClient,
                           kind: FileKind = FileKind.RESULT,
                           file_name: Annotated[str | None, Query(alias="fileName", max_length=200)] = None
                           ) -> JSONResponse:
    """A bank's file as the raw body: a result file (its own return layout, pain.002 or camt.054, told
    apart by content) or, with kind=agency, the payments taken at its counters. 201 with the import
    report; the same file again is 409 bank-file-duplicate with the earlier report, nothing changed; a
    malformed file is 422 bank-file-rejected naming each error, nothing applied."""
    bank = scope(user)

    async def chunks() -> AsyncIterator[pb.UploadChunk]:
        yield pb.UploadChunk(bank_code=bank, kind=kind.value, file_name=file_name or "", actor=actor(user))
        buffer = bytearray()
        async for part in request.stream():
            buffer += part
            if len(buffer) >= UPLOAD_CHUNK:
                yield pb.UploadChunk(content=bytes(buffer))
                buffer.clear()
        if buffer:
            yield pb.UploadChunk(content=bytes(buffer))

    reply = await client.UploadBankFile(chunks(), timeout=BULK_TIMEOUT_SECONDS)
    report = BankFilePublic.from_proto(reply.file)
    location = request.app.url_path_for("get_bank_file", fileNo=report.id)
    if reply.duplicate:
        done = "is being applied" if report.state == "applying" else "was imported before"
        return _problem(request, 409, "bank-file-duplicate", f"this file {done} as {report.id}; nothing was changed",
                        report, location)
    if report.state == "rejected":
        return _problem(request, 422, "bank-file-rejected",
                        f"the file was rejected whole ({len(report.errors)} error(s)); nothing was applied",
                        report, location)
    return created(report, location)


@router.get("/bankFiles/{fileNo}", response_model=BankFilePublic)
async def get_bank_file(file_no: FileNo, user: BankFileReader, client: CollectionClient) -> JSONResponse:
    """A file's import report: lines applied, duplicates, exceptions, and each error of a rejected file."""
    reply = await client.GetBankFile(pb.GetBankFileRequest(file_no=file_no, bank_code=scope(user)))
    return selected(BankFilePublic.from_proto(reply))


# --- exceptions and report --------------------------------------------------------------------------------

@router.get("/collectionExceptions", response_model=ExceptionsPublic)
async def list_exceptions(user: ExceptionReader, client: CollectionClient,
                          state: Annotated[str | None, Query(pattern=r"^(open|resolved)$")] = "open",
                          bank: Annotated[BankCode | None, Query()] = None,
                          offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    """Lines of banks' files that matched no debit or account, oldest first (open ones by default)."""
    reply = await client.ListExceptions(pb.ListExceptionsRequest(state=state or "", bank_code=bank or "",
                                                                 offset=offset, limit=limit))
    return page(ExceptionsPublic.from_proto(reply))


@router.post("/collectionExceptions/{exceptionId}/resolve", response_model=ExceptionPublic)
async def resolve_exception(exception_id: Annotated[int, Path(alias="exceptionId", ge=1, le=2**63 - 1)],
                            body: ExceptionResolve, user: ExceptionResolver, client: CollectionClient) -> JSONResponse:
    """apply-to-account posts the line's amount to accountNo as a payment; refund (the money goes back to
    the bank) and ignore only close it. Each is audited; a resolved exception is 409."""
    return selected(ExceptionPublic.from_proto(await client.ResolveException(body.to_proto(exception_id, user))))


@router.get("/collectionReports", response_model=CollectionReportPublic)
async def collection_report(user: ReportReader, client: CollectionClient,
                            batch: Annotated[str | None, key_query()] = None,
                            bank: Annotated[BankCode | None, Query()] = None) -> JSONResponse:
    """Per batch and per bank: debits, succeeded, failed by reason, amounts and the success rate against
    the 95% target; without `batch`, the latest 60 batches (of `bank` when given)."""
    reply = await client.GetReport(pb.GetReportRequest(batch_no=batch or "", bank_code=bank or ""))
    return selected(CollectionReportPublic.from_proto(reply))


def _problem(request: Request, status: int, reason: str, detail: str, report: BankFilePublic,
             location: str) -> JSONResponse:
    body = problem_body(status, reason, detail, request.url.path,
                        bankFile=report.model_dump(mode="json", by_alias=True))
    if correlation := getattr(request.state, "correlation_id", None):
        body["correlationId"] = correlation
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers={"Location": location})

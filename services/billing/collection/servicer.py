"""gRPC CollectionService: translates messages to CollectionHandlers calls and back, nothing more."""
from __future__ import annotations

from bss.billing.v1 import collection_pb2 as pb
from bss.billing.v1 import collection_pb2_grpc as pb_grpc

from ..handlers import Actor
from ..messages import money, text
from .handlers import CollectionHandlers, chunks_of
from .rules import SUCCESS_TARGET, bank

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["CollectionService"].full_name


def actor(m) -> Actor:
    return Actor(m.username, m.role)


def mandate_pb(m: dict) -> pb.Mandate:
    return pb.Mandate(
        mandate_no=m["mandate_no"], account_no=m["account_no"], customer_no=m["customer_no"], bank_code=m["bank_code"],
        holder_name=m["holder_name"], bank_account_no=m["bank_account_no"], signed_on=text(m["signed_on"]),
        state=m["state"], state_note=m["state_note"] or "", created_by=m["created_by"],
        created_at=text(m["created_at"]), updated_by=m["updated_by"], updated_at=text(m["updated_at"]))


def batch_pb(b: dict) -> pb.DebitBatch:
    return pb.DebitBatch(
        batch_no=b["batch_no"], run_no=b["run_no"], bank_code=b["bank_code"],
        collection_date=text(b["collection_date"]), created_on=text(b["created_on"]), state=b["state"],
        debit_count=b["debit_count"], amount=money(b["amount_minor"], b["currency"]), downloads=b["downloads"],
        last_download_at=text(b["last_download_at"]), formats=list(bank(b["bank_code"]).formats),
        created_at=text(b["created_at"]))


def file_pb(f: dict) -> pb.BankFile:
    return pb.BankFile(
        file_no=f["file_no"], bank_code=f["bank_code"], kind=f["kind"], format=f["format"] or "",
        file_name=f["file_name"] or "", content_sha256=f["content_sha256"], bank_file_id=f["bank_file_id"] or "",
        batch_no=f["batch_no"] or "", state=f["state"], lines=f["lines"], applied=f["applied"],
        succeeded=f["succeeded"], failed=f["failed"], duplicates=f["duplicates"], exceptions=f["exceptions"],
        pending=f["pending"], amount=money(f["amount_minor"]),
        errors=[pb.FileError(where=e["where"], message=e["message"]) for e in f["errors"]],
        uploaded_by=f["uploaded_by"], uploaded_at=text(f["uploaded_at"]))


def exception_pb(x: dict) -> pb.CollectionException:
    return pb.CollectionException(
        id=x["id"], file_no=x["file_no"], bank_code=x["bank_code"], kind=x["kind"], line_no=x["line_no"],
        reference=x["reference"], account_number=x["account_number"], amount=money(x["amount_minor"] or 0),
        paid=x["ok"], problem=x["problem"], state=x["state"], action=x["action"] or "",
        account_no=x["account_no"] or "", payment_no=x["payment_no"] or "", note=x["note"] or "",
        resolved_by=x["resolved_by"] or "", resolved_at=text(x["resolved_at"]))


def report_line_pb(r: dict) -> pb.ReportLine:
    c = r["currency"]
    rate = r["success_rate"]
    return pb.ReportLine(
        batch_no=r["batch_no"], bank_code=r["bank_code"], collection_date=text(r["collection_date"]),
        state=r["state"], debits=r["debit_count"], amount=money(r["amount_minor"], c), succeeded=r["succeeded"],
        succeeded_amount=money(r["succeeded_minor"], c), failed=r["failed"], failed_amount=money(r["failed_minor"], c),
        awaiting=r["awaiting"], failed_by_reason=[pb.ReasonCount(reason=x["reason"], count=x["count"],
                                                                 amount=money(x["amount_minor"], c))
                                                  for x in r["failed_by_reason"]],
        success_rate=rate or 0.0, has_rate=rate is not None, meets_target=rate is not None and rate >= SUCCESS_TARGET)


class CollectionServicer(pb_grpc.CollectionServiceServicer):
    def __init__(self, handlers: CollectionHandlers):
        self.h = handlers

    def CreateMandate(self, request, context):
        return mandate_pb(self.h.create_mandate(
            account_no=request.account_no, bank_code=request.bank_code, holder_name=request.holder_name,
            bank_account_no=request.bank_account_no, signed_on=request.signed_on, state=request.state,
            actor=actor(request.actor)))

    def GetMandate(self, request, context):
        return mandate_pb(self.h.mandate(request.mandate_no))

    def ListMandates(self, request, context):
        rows, total = self.h.mandates(request.account_no, request.bank_code, request.state, request.offset,
                                      request.limit)
        return pb.ListMandatesResponse(mandates=[mandate_pb(m) for m in rows], count=total)

    def ChangeMandate(self, request, context):
        return mandate_pb(self.h.change_mandate(
            mandate_no=request.mandate_no, event=request.event, note=request.note, bank_code=request.bank_code,
            holder_name=request.holder_name, bank_account_no=request.bank_account_no, signed_on=request.signed_on,
            actor=actor(request.actor)))

    def RunCollection(self, request, context):
        run = self.h.run(collection_date=request.collection_date, banks=list(request.banks),
                         actor=actor(request.actor))
        return pb.CollectionRun(run_no=run["run_no"], collection_date=text(run["collection_date"]),
                                banks=run["banks"], batches=[batch_pb(b) for b in run["batches"]],
                                created_at=text(run["created_at"]))

    def ListDebitBatches(self, request, context):
        rows, total = self.h.batches(request.bank_code, request.offset, request.limit)
        return pb.ListDebitBatchesResponse(batches=[batch_pb(b) for b in rows], count=total)

    def GetDebitBatch(self, request, context):
        return batch_pb(self.h.batch(request.batch_no, request.bank_code))

    def CancelDebitBatch(self, request, context):
        return batch_pb(self.h.cancel_batch(request.batch_no, request.note, actor(request.actor)))

    def DownloadBatchFile(self, request, context):
        name, media, file = self.h.batch_file(request.batch_no, request.format, request.bank_code,
                                              actor(request.actor))
        first = True
        for block in chunks_of(file):
            yield pb.FileChunk(content=block, file_name=name if first else "", media_type=media if first else "")
            first = False
        if first:
            yield pb.FileChunk(file_name=name, media_type=media)

    def UploadBankFile(self, request_iterator, context):
        head = next(request_iterator, None) or pb.UploadChunk()

        def contents():
            yield head.content
            for chunk in request_iterator:
                yield chunk.content
        report, duplicate = self.h.import_file(bank_code=head.bank_code, kind=head.kind, file_name=head.file_name,
                                               chunks=contents(), actor=actor(head.actor))
        return pb.ImportResult(file=file_pb(report), duplicate=duplicate)

    def GetBankFile(self, request, context):
        return file_pb(self.h.bank_file(request.file_no, request.bank_code))

    def ListExceptions(self, request, context):
        rows, total = self.h.exceptions(request.state, request.bank_code, request.offset, request.limit)
        return pb.ListExceptionsResponse(exceptions=[exception_pb(x) for x in rows], count=total)

    def ResolveException(self, request, context):
        return exception_pb(self.h.resolve_exception(exception_id=request.id, action=request.action,
                                                     account_no=request.account_no, note=request.note,
                                                     actor=actor(request.actor)))

    def GetReport(self, request, context):
        r = self.h.report(request.batch_no, request.bank_code)
        return pb.CollectionReport(target=r["target"], batches=[report_line_pb(x) for x in r["batches"]],
                                   banks=[report_line_pb(x) for x in r["banks"]])


def register(server, settings, db) -> list[str]:
    pb_grpc.add_CollectionServiceServicer_to_server(CollectionServicer(CollectionHandlers(db, settings)), server)
    return [SERVICE_NAME]

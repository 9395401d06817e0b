"""gRPC entry points of the billing run and of bill documents: messages to handler calls and back."""
from __future__ import annotations

from bss.billing.v1 import bill_document_pb2 as dpb
from bss.billing.v1 import bill_document_pb2_grpc as dpb_grpc
from bss.billing.v1 import billing_pb2 as pb
from bss.billing.v1 import runs_pb2 as rpb
from bss.billing.v1 import runs_pb2_grpc as rpb_grpc

from services.common.errors import InvalidArgument

from ..documents.bill import bill_document
from ..documents.render import to_html, to_pdf
from ..messages import money, text
from ..handlers import Actor, BillingHandlers
from .handlers import BillRunHandlers, RunReport, StartBillRun

RUN_SERVICE = rpb.DESCRIPTOR.services_by_name["BillRunService"].full_name
DOCUMENT_SERVICE = dpb.DESCRIPTOR.services_by_name["BillDocumentService"].full_name


def run_pb(report: RunReport, currency: str) -> rpb.BillRun:
    run, counts = report.run, report.counts or {}
    preview = None
    if report.preview is not None:
        p = report.preview
        preview = pb.Bill(account_no=p["account_no"], period_start=text(p["period_start"]),
                          period_end=text(p["period_end"]), issued_on=text(p["issued_on"]), due_on=text(p["due_on"]),
                          amount=money(p["amount_minor"], currency), open=money(p["amount_minor"], currency),
                          lines=[pb.BillLine(service_no=x["service_no"] or "", product_code=x["product_code"] or "",
                                             kind=x["kind"], description=x["description"], days=x["days"] or 0,
                                             amount=money(x["amount_minor"], currency)) for x in p["lines"]])
    return rpb.BillRun(
        run_no=run["run_no"], period=f"{run['period_start']:%Y-%m}", cycle=run["cycle"], dry_run=run["dry_run"],
        state=run["state"], outcome=report.outcome, requested_by=run["requested_by"],
        started_at=text(run["started_at"]), finished_at=text(run["finished_at"]),
        phases={k: float(v) for k, v in (run["phases"] or {}).items()}, error=str(counts.get("error", "")),
        counts=rpb.BillRunCounts(accounts=counts.get("accounts", 0), bills=counts.get("bills", 0),
                                 lines=counts.get("lines", 0), amount=money(counts.get("amount_minor", 0), currency),
                                 discounts=money(counts.get("discounts_minor", 0), currency),
                                 one_time_fees=counts.get("one_time_fees", 0)),
        preview=preview)


class BillRunServicer(rpb_grpc.BillRunServiceServicer):
    def __init__(self, handlers: BillRunHandlers):
        self.h = handlers

    def StartBillRun(self, request, context):
        report = self.h.start(StartBillRun(
            period=request.period, cycle=request.cycle, dry_run=request.dry_run, account_no=request.account_no,
            actor=Actor(request.actor.username or "unknown", request.actor.role)))
        return run_pb(report, self.h.settings.currency)

    def GetBillRun(self, request, context):
        return run_pb(self.h.get(request.run_no), self.h.settings.currency)


FORMATS = {"html": ("text/html; charset=utf-8", lambda doc: to_html(doc).encode()),
           "pdf": ("application/pdf", to_pdf)}


class BillDocumentServicer(dpb_grpc.BillDocumentServiceServicer):
    def __init__(self, bills: BillingHandlers, issuer: str):
        self.bills = bills
        self.issuer = issuer

    def RenderBill(self, request, context):
        if request.format not in FORMATS:
            raise InvalidArgument(f"format {request.format!r} is not html or pdf", reason="invalid-format")
        bill = self.bills.bill(request.bill_no)
        content_type, render = FORMATS[request.format]
        return dpb.RenderedDocument(content_type=content_type, content=render(bill_document(bill, self.issuer)),
                                    filename=f"{bill['bill_no']}.{request.format}")


def register(server, settings, db) -> list[str]:
    rpb_grpc.add_BillRunServiceServicer_to_server(BillRunServicer(BillRunHandlers(db, settings)), server)
    dpb_grpc.add_BillDocumentServiceServicer_to_server(
        BillDocumentServicer(BillingHandlers(db, settings.timezone), settings.operator_name), server)
    return [RUN_SERVICE, DOCUMENT_SERVICE]

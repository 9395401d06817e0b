"""gRPC entry point of the billing service: translates messages to handler calls and back, nothing more.

Run: python -m services.common.grpc_main billing   (listens on BSS_BILLING_GRPC, default 127.0.0.1:50052)
"""
from __future__ import annotations

from bss.billing.v1 import billing_pb2 as pb
from bss.billing.v1 import billing_pb2_grpc as pb_grpc

from services.common.db import Database

from .collection.servicer import register as register_collection
from .handlers import BillingHandlers
from .messages import bill_pb, money, text
from .catalog.servicer import register as register_catalog
from .dunning.servicer import register as register_dunning
from .payments.servicer import register as register_payments
from .runs.servicer import register as register_runs
from .settings import BillingSettings

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["BillingService"].full_name


class BillingServicer(pb_grpc.BillingServiceServicer):
    def __init__(self, handlers: BillingHandlers):
        self.h = handlers

    def GetCustomerBilling(self, request, context):
        return customer_billing_pb(request.customer_no, self.h.customer_billing(request.customer_no,
                                                                                request.last_bills))

    def GetCustomersBilling(self, request, context):
        numbers = list(request.customer_nos)
        return pb.CustomersBilling(customers=[
            customer_billing_pb(n, accounts) for n, accounts in zip(numbers, self.h.customers_billing(
                numbers, request.last_bills))])

    def ListBills(self, request, context):
        rows, total = self.h.bills(request.customer_no, request.account_no, request.offset, request.limit)
        return pb.ListBillsResponse(bills=[bill_pb(b) for b in rows], count=total)

    def GetBill(self, request, context):
        return bill_pb(self.h.bill(request.bill_no))

    def ListLedger(self, request, context):
        rows, total, balance = self.h.ledger(request.account_no, request.offset, request.limit)
        return pb.ListLedgerResponse(count=total, balance=money(balance), entries=[pb.LedgerEntry(
            id=e["id"], kind=e["kind"], amount=money(e["amount_minor"], e["currency"]), bill_no=e["bill_no"] or "",
            payment_no=e["payment_no"] or "", note=e["note"] or "", created_at=text(e["created_at"]),
            created_by=e["created_by"]) for e in rows])


def customer_billing_pb(customer_no: str, accounts: list[dict]) -> pb.CustomerBilling:
    return pb.CustomerBilling(customer_no=customer_no, accounts=[pb.AccountBilling(
        account_no=a["account_no"], balance=money(a["balance_minor"], a["currency"]),
        overdue=money(a["overdue_minor"], a["currency"]),
        last_bills=[bill_pb(b) for b in a["last_bills"]], mandate_state=a["mandate_state"] or "",
        failed_debits=[pb.FailedDebit(
            bill_no=f["bill_no"], batch_no=f["batch_no"], bank_code=f["bank_code"],
            amount=money(f["amount_minor"], f["currency"]), reason=f["reason"] or "", failed_on=text(f["failed_on"]),
            next_attempt_on=text(f["next_attempt_on"])) for f in a["failed_debits"]]) for a in accounts])


def register(server, settings: BillingSettings, db: Database) -> list[str]:
    """Billing's services on the server: its core, and each part's (a part's servicer module has a
    `register` of its own)."""
    pb_grpc.add_BillingServiceServicer_to_server(BillingServicer(BillingHandlers(db, settings.timezone)), server)
    return [SERVICE_NAME, *register_payments(server, settings, db), *register_runs(server, settings, db),
            *register_catalog(server, settings, db), *register_dunning(server, settings, db),
            *register_collection(server, settings, db)]

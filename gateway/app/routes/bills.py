"""Customer bills (TMF678 customerBill) and an account's ledger and balance."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from bss.billing.v1 import bill_document_pb2 as dpb
from bss.billing.v1 import billing_pb2 as pb

from ..deps import BillDocumentClient, BillingClient, BillReader, Limit, Offset
from ..fields import page, selected
from ..keys import AccountNo, BillNo, CustomerNo
from ..schemas.billing import CustomerBillingPublic, CustomerBillPublic, CustomerBillsPublic, LedgerPublic

router = APIRouter(tags=["billing"])


@router.get("/customers/{customerNo}/customerBills", response_model=CustomerBillsPublic)
async def list_customer_bills(customer_no: CustomerNo, user: BillReader, client: BillingClient,
                              offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    """A customer's bills over all its accounts, newest period first."""
    reply = await client.ListBills(pb.ListBillsRequest(customer_no=customer_no, offset=offset, limit=limit))
    return page(CustomerBillsPublic.from_proto(reply))


@router.get("/customers/{customerNo}/billing", response_model=CustomerBillingPublic)
async def customer_billing(customer_no: CustomerNo, user: BillReader, client: BillingClient) -> JSONResponse:
    """Each account's balance, overdue amount, last bills and failed debits (the 360 view's billing part)."""
    reply = await client.GetCustomerBilling(pb.GetCustomerBillingRequest(customer_no=customer_no))
    return selected(CustomerBillingPublic.from_proto(reply))


# Before /customerBills/{billNo}, which would take "B1.pdf" for a (malformed) bill number.
@router.get("/customerBills/{billNo}.{format}", response_class=Response,
            responses={200: {"content": {"text/html": {}, "application/pdf": {}}}})
async def customer_bill_document(bill_no: BillNo, format: Literal["html", "pdf"], user: BillReader,
                                 client: BillDocumentClient) -> Response:
    """The bill to print or download, in Chinese (the PDF embeds its font)."""
    doc = await client.RenderBill(dpb.RenderBillRequest(bill_no=bill_no, format=format))
    disposition = "inline" if format == "html" else "attachment"
    return Response(doc.content, media_type=doc.content_type,
                    headers={"Content-Disposition": f'{disposition}; filename="{doc.filename}"'})


@router.get("/customerBills/{billNo}", response_model=CustomerBillPublic)
async def get_customer_bill(bill_no: BillNo, user: BillReader, client: BillingClient) -> JSONResponse:
    return selected(CustomerBillPublic.from_proto(await client.GetBill(pb.GetBillRequest(bill_no=bill_no)),
                                                  with_lines=True))


@router.get("/accounts/{accountNo}/ledger", response_model=LedgerPublic)
async def account_ledger(account_no: AccountNo, user: BillReader, client: BillingClient,
                         offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    """The account's ledger entries, newest first, and its balance (positive: owed)."""
    reply = await client.ListLedger(pb.ListLedgerRequest(account_no=account_no, offset=offset, limit=limit))
    return page(LedgerPublic.from_proto(reply))

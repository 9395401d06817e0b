"""Counter payments (TMF676 payment) and their receipts, a supervisor's refunds and adjustments, and the
clerks' daily counter closings."""
from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from bss.billing.v1 import payments_pb2 as pb

from ..auth import Role
from ..deps import ClosingReader, Limit, Offset, PaymentClient, PaymentCorrector, PaymentReader, PaymentTaker
from ..fields import created, page, selected
from ..idempotency import Idempotent
from ..keys import AccountNo, PaymentNo, key_query
from ..problems import Problem
from ..schemas.payments import (AdjustmentCreate, AdjustmentPublic, ClosingCreate, ClosingPublic, ClosingsPublic,
                                PaymentCreate, PaymentPublic, PaymentsPublic, RefundCreate)
from ..schemas.payments import Counter as CounterCode

router = APIRouter(tags=["payments"])


class PrintFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"


@router.post("/payments", status_code=201, response_model=PaymentPublic)
async def take_payment(body: PaymentCreate, user: PaymentTaker, client: PaymentClient, request: Request,
                       once: Idempotent) -> JSONResponse:
    """Cash or card taken at a counter. `Idempotency-Key` is required: the same key again answers the
    first payment, and billing posts a key once even when two gateways race (it is the payment's request
    id). Overpayment stays on the account as credit that later bills consume."""
    key = once.required("a payment moves money")

    async def take() -> JSONResponse:
        reply = await client.RecordPayment(body.to_proto(user, f"{user.username}:{key}"))
        location = request.app.url_path_for("get_payment", paymentNo=reply.payment_no)
        return created(PaymentPublic.from_proto(reply), location)
    return await once(take)


@router.get("/payments", response_model=PaymentsPublic)
async def list_payments(user: PaymentReader, client: PaymentClient,
                        account_no: Annotated[str, key_query("accountNo")],
                        offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    """An account's payments, newest first, whatever the channel."""
    reply = await client.ListPayments(pb.ListPaymentsRequest(account_no=account_no, offset=offset, limit=limit))
    return page(PaymentsPublic.from_proto(reply))


@router.get("/payments/{paymentNo}", response_model=PaymentPublic)
async def get_payment(payment_no: PaymentNo, user: PaymentReader, client: PaymentClient) -> JSONResponse:
    return selected(PaymentPublic.from_proto(await client.GetPayment(pb.GetPaymentRequest(payment_no=payment_no))))


@router.get("/payments/{paymentNo}/receipt.{format}", response_class=Response,
            responses={200: {"content": {"text/html": {}, "application/pdf": {}}}})
async def payment_receipt(payment_no: PaymentNo, format: PrintFormat, user: PaymentReader,
                          client: PaymentClient) -> Response:
    """The printable receipt (收款收据), as HTML for the browser's print or as PDF."""
    reply = await client.GetReceipt(pb.GetReceiptRequest(payment_no=payment_no, format=format.value))
    return Response(reply.content, media_type=reply.media_type,
                    headers={"Content-Disposition": f'inline; filename="{reply.filename}"'})


@router.post("/payments/{paymentNo}/refund", response_model=PaymentPublic)
async def refund_payment(payment_no: PaymentNo, body: RefundCreate, user: PaymentCorrector, client: PaymentClient,
                         once: Idempotent) -> JSONResponse:
    """Give back all or part of a payment: a new ledger entry, never a change of the payment.
    `Idempotency-Key` is required."""
    once.required("a refund moves money")

    async def refund() -> JSONResponse:
        return selected(PaymentPublic.from_proto(await client.RefundPayment(body.to_proto(payment_no, user))))
    return await once(refund)


@router.post("/accounts/{accountNo}/adjustments", status_code=201, response_model=AdjustmentPublic)
async def adjust_account(account_no: AccountNo, body: AdjustmentCreate, user: PaymentCorrector,
                         client: PaymentClient, once: Idempotent) -> JSONResponse:
    """Correct what an account owes with a new ledger entry (positive: owes more; negative: a credit).
    `Idempotency-Key` is required."""
    once.required("an adjustment moves money")

    async def adjust() -> JSONResponse:
        return created(AdjustmentPublic.from_proto(await client.AdjustAccount(body.to_proto(account_no, user))))
    return await once(adjust)


@router.post("/counterClosings", status_code=201, response_model=ClosingPublic)
async def close_counter_day(body: ClosingCreate, user: PaymentTaker, client: PaymentClient,
                            once: Idempotent) -> JSONResponse:
    """Close a clerk's day at a counter: the ledger's takings by method beside the declared ones. A
    mismatch is recorded (`balanced: false`, `difference`), not refused; either way that counter-day
    takes no more payments from the clerk, and a second closing is 409 counter-day-already-closed."""
    if body.clerk and body.clerk != user.username and user.role is not Role.SUPERVISOR:
        raise Problem(403, "forbidden", "a clerk closes their own day; a supervisor may close another's")

    async def close() -> JSONResponse:
        return created(ClosingPublic.from_proto(await client.CloseCounterDay(body.to_proto(user))))
    return await once(close)


@router.get("/counterClosings", response_model=ClosingsPublic)
async def list_counter_closings(user: ClosingReader, client: PaymentClient, day: date,
                                counter: Annotated[CounterCode | None, Query()] = None,
                                offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    """The closings of a day, by counter and clerk."""
    reply = await client.ListCounterClosings(pb.ListCounterClosingsRequest(
        day=day.isoformat(), counter=counter or "", offset=offset, limit=limit))
    return page(ClosingsPublic.from_proto(reply))

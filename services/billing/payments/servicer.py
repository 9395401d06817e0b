"""gRPC PaymentService: translates messages to PaymentHandlers calls and back, nothing more."""
from __future__ import annotations

from bss.billing.v1 import payments_pb2 as pb
from bss.billing.v1 import payments_pb2_grpc as pb_grpc

from ..messages import money, text
from ..handlers import Actor
from .handlers import PaymentHandlers

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["PaymentService"].full_name


def actor(m) -> Actor:
    return Actor(m.username, m.role)


def payment_pb(p: dict) -> pb.Payment:
    c = p["currency"]
    return pb.Payment(
        payment_no=p["payment_no"], account_no=p["account_no"], customer_no=p["customer_no"],
        account_name=p["account_name"], amount=money(p["amount_minor"], c), method=p["method"],
        counter=p["counter"] or "", counter_day=text(p["counter_day"]), reference=p["reference"] or "",
        received_at=text(p["received_at"]), received_by=p["received_by"], refunded=money(p["refunded_minor"], c),
        balance_after=money(p["balance_after_minor"] or 0, c))


def closing_pb(k: dict) -> pb.CounterClosing:
    c = k["currency"]
    return pb.CounterClosing(
        counter=k["counter"], day=text(k["day"]), clerk=k["clerk"],
        cash=pb.MethodTotal(count=k["cash_count"], amount=money(k["cash_minor"], c)),
        card=pb.MethodTotal(count=k["card_count"], amount=money(k["card_minor"], c)),
        declared_cash=money(k["declared_cash_minor"], c), declared_card=money(k["declared_card_minor"], c),
        cash_difference=money(k["declared_cash_minor"] - k["cash_minor"], c),
        card_difference=money(k["declared_card_minor"] - k["card_minor"], c),
        balanced=k["balanced"], note=k["note"] or "", closed_by=k["closed_by"], closed_at=text(k["closed_at"]))


class PaymentServicer(pb_grpc.PaymentServiceServicer):
    def __init__(self, handlers: PaymentHandlers):
        self.h = handlers

    def RecordPayment(self, request, context):
        return payment_pb(self.h.record_payment(
            account_no=request.account_no, amount_minor=request.amount.amount_minor,
            currency=request.amount.currency, method=request.method, counter=request.counter,
            reference=request.reference, request_id=request.request_id, actor=actor(request.actor)))

    def GetPayment(self, request, context):
        return payment_pb(self.h.payment(request.payment_no))

    def ListPayments(self, request, context):
        rows, total = self.h.payments(request.account_no, request.offset, request.limit)
        return pb.ListPaymentsResponse(payments=[payment_pb(p) for p in rows], count=total)

    def GetReceipt(self, request, context):
        content, media_type, filename = self.h.receipt(request.payment_no, request.format)
        return pb.Printout(content=content, media_type=media_type, filename=filename)

    def RefundPayment(self, request, context):
        given = request.HasField("amount")
        return payment_pb(self.h.refund(
            payment_no=request.payment_no, amount_minor=request.amount.amount_minor if given else None,
            currency=request.amount.currency, reason=request.reason, actor=actor(request.actor)))

    def AdjustAccount(self, request, context):
        e = self.h.adjust(account_no=request.account_no, amount_minor=request.amount.amount_minor,
                          currency=request.amount.currency, reason=request.reason, actor=actor(request.actor))
        return pb.Adjustment(entry_id=e["id"], account_no=e["account_no"],
                             amount=money(e["amount_minor"], e["currency"]),
                             reason=e["note"], created_at=text(e["created_at"]), created_by=e["created_by"],
                             balance=money(e["balance_minor"], e["currency"]))

    def CloseCounterDay(self, request, context):
        return closing_pb(self.h.close_counter_day(
            counter=request.counter, day=request.day, clerk=request.clerk,
            declared_cash=(request.declared_cash.amount_minor, request.declared_cash.currency),
            declared_card=(request.declared_card.amount_minor, request.declared_card.currency),
            note=request.note, actor=actor(request.actor)))

    def ListCounterClosings(self, request, context):
        rows, total = self.h.closings(request.day, request.counter, request.offset, request.limit)
        return pb.ListCounterClosingsResponse(closings=[closing_pb(k) for k in rows], count=total)


def register(server, settings, db) -> list[str]:
    pb_grpc.add_PaymentServiceServicer_to_server(PaymentServicer(PaymentHandlers(db, settings)), server)
    return [SERVICE_NAME]

"""Counter payments, corrections and closings as use cases: arguments in, one transaction, rows out.

Every change posts to the append-only ledger, settles the account's bills in the same transaction, and
is audited; a payment also emits `payment_received`. A payment or credit that clears a service's arrears
asks back, in the same transaction, the service dunning suspended (restoration_requested).
"""
from __future__ import annotations

from datetime import date

from services.common.audit import audit
from services.common.db import Database
from services.common.errors import AlreadyExists, IllegalTransition, InvalidArgument
from services.common.outbox import emit
from services.common.paging import page_bounds

from .. import store as ledger
from ..dunning.handlers import request_restorations
from ..handlers import Actor
from ..service import NAME
from ..settings import BillingSettings
from . import receipt, rules, store

REQUEST_ID_MAX = 300


class PaymentHandlers:
    def __init__(self, db: Database, settings: BillingSettings):
        self.db = db
        self.timezone = settings.timezone
        self.currency = settings.currency

    def record_payment(self, *, account_no: str, amount_minor: int, currency: str, method: str, counter: str,
                       reference: str, request_id: str, actor: Actor) -> dict:
        """Post a counter payment once per request id; the same id again answers the payment it posted."""
        account_no = account_no.strip().upper()
        method, counter = rules.method(method), rules.counter(counter)
        reference = rules.text(reference, "reference", rules.REFERENCE_MAX)
        if not request_id or len(request_id) > REQUEST_ID_MAX:
            raise InvalidArgument(f"a request id of 1 to {REQUEST_ID_MAX} characters is required",
                                  reason="request-id-required")
        with self.db.transaction() as cur:
            if (existing := store.payment_id_by_request(cur, request_id)) is not None:
                return _same_request(store.payment_by_id(cur, existing), account_no, amount_minor, method)
            account = ledger.account(cur, account_no)
            rules.amount(amount_minor, currency, account["currency"])
            day = store.counter_day(cur, self.timezone)
            store.lock_counter_day(cur, counter, day, actor.username, exclusive=False)
            if store.is_closed(cur, counter, day, actor.username):
                raise IllegalTransition(f"counter {counter} was closed for {day} by {actor.username}'s closing",
                                        reason="counter-day-closed")
            payment_id = store.insert_payment(
                cur, account_no=account_no, amount_minor=amount_minor, currency=account["currency"], method=method,
                counter=counter, day=day, reference=reference or None, request_id=request_id, actor=actor.username)
            if payment_id is None:
                existing = store.payment_id_by_request(cur, request_id)
                return _same_request(store.payment_by_id(cur, existing), account_no, amount_minor, method)
            ledger.post(cur, account_no, "payment", -amount_minor, actor.username, payment_id=payment_id,
                        currency=account["currency"])
            ledger.settle(cur, [account_no])
            request_restorations(cur, [account_no], actor.username)
            payment = store.payment_by_id(cur, payment_id)
            emit(cur, NAME, "payment_received", {
                "paymentNo": payment["payment_no"], "accountNo": account_no, "customerNo": account["customer_no"],
                "amountMinor": amount_minor, "currency": account["currency"], "method": method})
            audit(cur, "payment", payment["payment_no"], "receive",
                  {"accountNo": account_no, "amountMinor": amount_minor, "currency": account["currency"],
                   "method": method, "counter": counter, "reference": reference or None}, actor.username)
            return payment

    def payment(self, payment_no: str) -> dict:
        with self.db.transaction() as cur:
            return store.payment(cur, payment_no.strip().upper())

    def payments(self, account_no: str, offset: int, limit: int) -> tuple[list[dict], int]:
        offset, limit = page_bounds(offset, limit)
        account_no = account_no.strip().upper()
        with self.db.transaction() as cur:
            ledger.account(cur, account_no)
            return store.payments(cur, account_no, offset, limit)

    def receipt(self, payment_no: str, fmt: str) -> tuple[bytes, str, str]:
        """(content, media type, file name) of the payment's printable receipt, `fmt` html or pdf."""
        if fmt not in receipt.FORMATS:
            raise InvalidArgument(f"format must be one of {', '.join(receipt.FORMATS)}", reason="invalid-format")
        return receipt.render(self.payment(payment_no), fmt, self.timezone)

    def refund(self, *, payment_no: str, amount_minor: int | None, currency: str, reason: str,
               actor: Actor) -> dict:
        """Return money of a payment (all that is left when no amount is given): a new ledger entry that
        the customer owes again, never a change of the payment."""
        reason = rules.reason(reason)
        with self.db.transaction() as cur:
            payment = store.payment(cur, payment_no.strip().upper(), lock=True)
            if amount_minor is not None:
                rules.amount(amount_minor, currency, payment["currency"])
            refund = rules.refund_amount(amount_minor, payment["amount_minor"], payment["refunded_minor"])
            ledger.post(cur, payment["account_no"], "refund", refund, actor.username, payment_id=payment["id"],
                        note=reason, currency=payment["currency"])
            ledger.settle(cur, [payment["account_no"]])
            audit(cur, "payment", payment["payment_no"], "refund",
                  {"amountMinor": refund, "currency": payment["currency"], "reason": reason}, actor.username)
            return store.payment_by_id(cur, payment["id"])

    def adjust(self, *, account_no: str, amount_minor: int, currency: str, reason: str, actor: Actor) -> dict:
        """A supervisor's correction of what an account owes (positive: more; negative: a credit)."""
        account_no, reason = account_no.strip().upper(), rules.reason(reason)
        with self.db.transaction() as cur:
            account = ledger.account(cur, account_no)
            rules.amount(amount_minor, currency, account["currency"], signed=True)
            entry_id = ledger.post(cur, account_no, "adjustment", amount_minor, actor.username, note=reason,
                                   currency=account["currency"])
            ledger.settle(cur, [account_no])
            request_restorations(cur, [account_no], actor.username)
            audit(cur, "account", account_no, "adjustment",
                  {"amountMinor": amount_minor, "currency": account["currency"], "reason": reason, "entryId": entry_id},
                  actor.username)
            return {**store.entry(cur, entry_id), "balance_minor": ledger.balance(cur, account_no)}

    def close_counter_day(self, *, counter: str, day: str, clerk: str, declared_cash: tuple[int, str],
                          declared_card: tuple[int, str], note: str, actor: Actor) -> dict:
        """Close a clerk's day at a counter: the ledger's takings by method beside what the clerk counted.
        A mismatch is recorded (balanced false, with the differences), not refused; either way the day
        takes no more payments from that clerk at that counter."""
        counter, clerk = rules.counter(counter), (clerk.strip() or actor.username)
        cash = rules.declared(*declared_cash, self.currency, "declared cash")
        card = rules.declared(*declared_card, self.currency, "declared card")
        note = rules.text(note, "note")
        with self.db.transaction() as cur:
            the_day = rules.closing_day(day, store.counter_day(cur, self.timezone))
            store.lock_counter_day(cur, counter, the_day, clerk, exclusive=True)
            if store.is_closed(cur, counter, the_day, clerk):
                raise AlreadyExists(f"counter {counter} is already closed for {the_day} ({clerk})",
                                    reason="counter-day-already-closed")
            takings = store.counter_takings(cur, counter, the_day, clerk)
            cash_taken, card_taken = takings.get("cash", (0, 0)), takings.get("card", (0, 0))
            tallies = (rules.Tally(*cash_taken, cash), rules.Tally(*card_taken, card))
            closing = store.insert_closing(
                cur, counter=counter, day=the_day, clerk=clerk, currency=self.currency, cash=cash_taken,
                card=card_taken, declared_cash=cash, declared_card=card, balanced=rules.balanced(*tallies),
                note=note or None, actor=actor.username)
            audit(cur, "counter_closing", f"{counter}/{the_day}/{clerk}", "close",
                  {"cash": {"count": cash_taken[0], "amountMinor": cash_taken[1], "declaredMinor": cash},
                   "card": {"count": card_taken[0], "amountMinor": card_taken[1], "declaredMinor": card},
                   "balanced": closing["balanced"]}, actor.username)
            return closing

    def closings(self, day: str, counter: str, offset: int, limit: int) -> tuple[list[dict], int]:
        offset, limit = page_bounds(offset, limit)
        try:
            the_day = date.fromisoformat(day.strip())
        except ValueError:
            raise InvalidArgument(f"day must be a date YYYY-MM-DD, not {day!r}", reason="invalid-day") from None
        with self.db.transaction() as cur:
            return store.closings(cur, the_day, rules.counter(counter) if counter.strip() else None, offset, limit)


def _same_request(payment: dict, account_no: str, amount_minor: int, method: str) -> dict:
    """A request id names one operation: reused for another one, it is refused rather than answered."""
    if (payment["account_no"], payment["amount_minor"], payment["method"]) != (account_no, amount_minor, method):
        raise InvalidArgument(f"this request id already posted payment {payment['payment_no']}, of another "
                              "account, amount or method; use a new one", reason="idempotency-key-reused")
    return payment

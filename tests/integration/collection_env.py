"""What the collection tests share: accounts with due bills and mandates, bank account numbers each bank's
rule accepts, and a bank's answer to its offer file written with the format package (as the bank would)."""
from __future__ import annotations

import io
import random
import uuid
from datetime import date

from gateway.app.users import demo_users
from services.billing.collection import (OfferBatch, ReturnLine, load_layout, write_camt054, write_pain002,
                                         write_return)
from services.billing.collection.accounts import luhn_ok
from tests.integration.billing_env import insert_bill

# The demo's bank users, one per shipped bank: bank code -> user name.
BANK_USERS = {scope: name for name, role, scope in demo_users() if role == "bank"}
# A success code and a code per reason, in each bank's own codes (banks/*.toml) and in ISO 20022.
CODES = {
    "ICBC": {"insufficient_funds": "3008", "account_closed": "3010"},
    "CCB": {"insufficient_funds": "51", "account_closed": "43"},
    "BOC": {"insufficient_funds": "E10051", "account_closed": "E10043"},
    "iso": {"insufficient_funds": "AM04", "account_closed": "AC04"},
}


def bank_account_no(bank: str) -> str:
    """A number the bank's rule accepts: 19 digits starting 62 with a Luhn check digit passes all three."""
    body = "62" + "".join(random.choice("0123456789") for _ in range(16))
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def new_account(db, name: str = "张三") -> tuple[str, str]:
    account_no = f"A{uuid.uuid4().int % 10**12:012d}"
    customer_no = f"C{uuid.uuid4().int % 10**12:012d}"
    with db.transaction() as cur:
        cur.execute("INSERT INTO account (account_no, customer_no, name) VALUES (%s, %s, %s)",
                    (account_no, customer_no, name))
    return account_no, customer_no


def due_bill(db, account_no: str, amount_minor: int, due_on: date, hold: str | None = None) -> str:
    """An issued bill of one service share, charged to the ledger, due on `due_on`."""
    start = date(2100 + uuid.uuid4().int % 800, 1 + uuid.uuid4().int % 12, 1)
    with db.transaction() as cur:
        row = insert_bill(cur, account_no, start, due_on, {"S1": amount_minor}, hold=hold)
        cur.execute("""INSERT INTO ledger_entry (account_no, kind, amount_minor, bill_id, created_by)
                       VALUES (%s, 'charge', %s, %s, 'test')""", (account_no, amount_minor, row["id"]))
    return row["bill_no"]


def debit_of(db, bill_no: str) -> dict:
    """The bill's latest debit with its batch."""
    with db.transaction() as cur:
        cur.execute("""SELECT d.*, k.batch_no, k.collection_date, k.created_on FROM debit d
                       JOIN bill b ON b.id = d.bill_id JOIN debit_batch k ON k.id = d.batch_id
                       WHERE b.bill_no = %s ORDER BY d.id DESC LIMIT 1""", (bill_no,))
        return cur.fetchone()


def outcome(debit: dict, ok: bool, code: str = "", message: str = "", amount_minor: int | None = None,
            reference: str | None = None) -> ReturnLine:
    return ReturnLine(line_no=0, reference=reference or debit["debit_no"], account_number=debit["bank_account_no"],
                      amount_minor=debit["amount_minor"] if amount_minor is None else amount_minor, ok=ok,
                      bank_code=code, reason=None, message=message, holder_name=debit["holder_name"],
                      user_number=debit["account_no"])


def offer_batch(debit: dict) -> OfferBatch:
    return OfferBatch(batch_no=debit["batch_no"], created_on=debit["created_on"],
                      collection_date=debit["collection_date"], creditor_name="广电网络有线电视")


def bank_answer(bank: str, fmt: str, batch: OfferBatch, lines: list[ReturnLine], message_id: str | None = None
                ) -> bytes:
    """The bank's result file in `fmt` (bankLayout, pain.002 or camt.054)."""
    layout = load_layout(bank)
    if fmt == "pain.002":
        return write_pain002(batch, lines, message_id=message_id)
    if fmt == "camt.054":
        return write_camt054(batch, lines, layout.creditor_account, message_id=message_id)
    out = io.BytesIO()
    write_return(layout, batch, lines, out)
    return out.getvalue()

"""Billing's core use cases: what an account owes and why (balance, bills, ledger). A command or query
in, one transaction, rows out; the gRPC servicer only translates."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from services.common.db import Database
from services.common.errors import InvalidArgument
from services.common.paging import batch_keys, page_bounds

from . import store
from .collection import store as collection_store

LAST_BILLS_DEFAULT = 3


@dataclass(frozen=True)
class Actor:
    username: str
    role: str = ""


class BillingHandlers:
    def __init__(self, db: Database, timezone: str):
        self.db = db
        self.tz = ZoneInfo(timezone)

    def customer_billing(self, customer_no: str, last_bills: int) -> list[dict]:
        """Each of a customer's accounts with its balance, overdue amount and last bills."""
        return self.customers_billing([customer_no], last_bills)[0]

    def customers_billing(self, customer_nos: list[str], last_bills: int) -> list[list[dict]]:
        """customer_billing() of each customer, in the order given, in four statements whatever their number;
        none for an unknown or malformed number (paging.batch_keys)."""
        numbers = batch_keys("customer_no", customer_nos)
        known = [n for n in numbers if n]
        per_account = last_bills if 0 < last_bills <= 12 else LAST_BILLS_DEFAULT
        with self.db.transaction() as cur:
            # Overdue by the operator's day, not the database server's (UTC lags Beijing by eight hours).
            accounts = store.customer_accounts(cur, known, datetime.now(self.tz).date()) if known else []
            account_nos = [a["account_no"] for a in accounts]
            bills = store.last_bills(cur, account_nos, per_account) if accounts else []
            mandates = collection_store.mandate_states(cur, account_nos) if accounts else {}
            failed = collection_store.failed_debits(cur, account_nos) if accounts else []
        by_account = {a["account_no"]: {**a, "last_bills": [], "failed_debits": [],
                                        "mandate_state": mandates.get(a["account_no"])} for a in accounts}
        for b in bills:
            by_account[b["account_no"]]["last_bills"].append(b)
        for f in failed:
            by_account[f["account_no"]]["failed_debits"].append(f)
        by_customer: dict[str, list[dict]] = {}
        for a in by_account.values():
            by_customer.setdefault(a["customer_no"], []).append(a)
        return [by_customer.get(n, []) for n in numbers]

    def bills(self, customer_no: str, account_no: str, offset: int, limit: int) -> tuple[list[dict], int]:
        if bool(customer_no) == bool(account_no):
            raise InvalidArgument("give a customer number or an account number", reason="invalid-query")
        offset, limit = page_bounds(offset, limit)
        with self.db.transaction() as cur:
            return store.bills(cur, customer_no=customer_no.strip().upper(), account_no=account_no.strip().upper(),
                               offset=offset, limit=limit)

    def bill(self, bill_no: str) -> dict:
        with self.db.transaction() as cur:
            return store.bill(cur, bill_no.strip().upper())

    def ledger(self, account_no: str, offset: int, limit: int) -> tuple[list[dict], int, int]:
        offset, limit = page_bounds(offset, limit)
        account_no = account_no.strip().upper()
        with self.db.transaction() as cur:
            store.account(cur, account_no)
            rows, total = store.ledger(cur, account_no, offset, limit)
            return rows, total, store.balance(cur, account_no)

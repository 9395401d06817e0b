"""Billing's core use cases: what an account owes and why (balance, bills, ledger). A command or query
in, one transaction, rows out; the gRPC servicer only translates."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from services.common.db import Database
from services.common.errors import InvalidArgument
from services.common.paging import page_bounds

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
        per_account = last_bills if 0 < last_bills <= 12 else LAST_BILLS_DEFAULT
        with self.db.transaction() as cur:
            # Overdue by the operator's day, not the database server's (UTC lags Beijing by eight hours).
            accounts = store.customer_accounts(cur, customer_no.strip().upper(), datetime.now(self.tz).date())
            account_nos = [a["account_no"] for a in accounts]
            bills = store.last_bills(cur, account_nos, per_account) if accounts else []
            mandates = collection_store.mandate_states(cur, account_nos) if accounts else {}
            failed = collection_store.failed_debits(cur, account_nos) if accounts else []
        for a in accounts:
            a["last_bills"] = [b for b in bills if b["account_no"] == a["account_no"]]
            a["mandate_state"] = mandates.get(a["account_no"])
            a["failed_debits"] = [f for f in failed if f["account_no"] == a["account_no"]]
        return accounts

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

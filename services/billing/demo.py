"""Billing's demo data, once the suite answers (`python -m deploy.suite demo`), each step idempotent so
every start runs it: the copy of the demo customers from the customer service's export, last month
billed, direct-debit mandates for most accounts across the shipped banks, and a collection run on the
bills' due date, so each bank user finds a batch of its own to download."""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.common.db import Database
from services.common.errors import InvalidArgument

from . import customer_copy
from .collection.accounts import luhn_ok
from .collection import store as collection_store
from .collection.handlers import CollectionHandlers
from .collection.layouts import all_layouts
from .handlers import Actor
from .runs.handlers import BillRunHandlers
from .runs.period import run_key
from .service import NAME
from .settings import BillingSettings

ACTOR = Actor("demo", "system")
MANDATE_SHARE = 80  # percent of accounts that pay by direct debit


def last_month(today: date) -> str:
    return f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"


def _draw(account_no: str) -> int:
    """The same number for an account at every start, so a rerun signs the same mandates."""
    return int.from_bytes(hashlib.sha256(account_no.encode()).digest()[:8], "big")


def bank_account_number(draw: int) -> str:
    """A 19-digit card number starting 62 with its Luhn check digit, as every shipped bank accepts."""
    body = f"62{draw % 10**16:016d}"
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def sign_mandates(db: Database, collection: CollectionHandlers, today: date) -> int:
    banks = sorted(all_layouts())
    with db.transaction() as cur:
        unsigned = collection_store.accounts_without_mandate(cur)
    signed = 0
    for a in unsigned:
        draw = _draw(a["account_no"])
        if draw % 100 >= MANDATE_SHARE:
            continue
        try:
            collection.create_mandate(account_no=a["account_no"], bank_code=banks[draw % len(banks)],
                                      holder_name=a["name"], bank_account_no=bank_account_number(draw // 7),
                                      signed_on=today.isoformat(), state="active", actor=ACTOR)
        except InvalidArgument:
            continue  # a name the bank's files cannot carry: this household pays at the counter
        signed += 1
    return signed


def collect_once(db: Database, collection: CollectionHandlers) -> dict | None:
    """One collection run on the latest bills' due date, unless one was made before."""
    with db.transaction() as cur:
        due = collection_store.first_collection_date(cur)
    if due is None:
        return None
    run = collection.run(collection_date=due.isoformat(), banks=[], actor=ACTOR)
    return {b["bank_code"]: b["debit_count"] for b in run["batches"]}


def demo(settings: BillingSettings) -> None:
    print(f"billing: customer copy {customer_copy.run(settings, full=False)}", flush=True)
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    db = Database(settings.service_db_url(NAME), schema=NAME, maxconn=2)
    try:
        run = BillRunHandlers(db, settings).execute(run_key(last_month(today), 1), ACTOR.username)
        print(f"billing: {run.run['period_start']:%Y-%m} cycle 1 {run.outcome} {run.counts}", flush=True)
        collection = CollectionHandlers(db, settings)
        print(f"billing: {sign_mandates(db, collection, today)} direct-debit mandates signed", flush=True)
        if (batches := collect_once(db, collection)) is not None:
            print(f"billing: debit batches per bank {batches}", flush=True)
    finally:
        db.close()

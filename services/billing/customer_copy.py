"""Billing's copy of who pays for what, built from the customer service and kept up to date.

Bootstrap: the customer service's export stream (every customer, account and service, with the position
it reflects), written page by page. Then events: the worker marks a customer stale when one of its events
arrives (and dates a service's state change, for proration); this module asks the customer service for
each stale customer's current state and writes it. It runs as a child process of the worker, like the
customer service's legacy sync, because grpcio and eventlet do not share a process.

Run: python -m services.billing.customer_copy [--bootstrap]
"""
from __future__ import annotations

import argparse
import json
import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import grpc
from bss.customer.v1 import customer_pb2 as cpb
from bss.customer.v1 import customer_pb2_grpc as cpb_grpc

from services.common.db import Database
from services.common.logs import setup_logging

from . import store
from .service import NAME
from .settings import BillingSettings, billing_settings

log = logging.getLogger(__name__)

STALE_BATCH = 200
EXPORT_PAGE = 2000


def _started_on(value: str, tz: ZoneInfo) -> date | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment.astimezone(tz).date() if moment.tzinfo else moment.date()


def rows_of(customers, position: int, tz: ZoneInfo) -> tuple[list[tuple], list[tuple]]:
    """Account and subscription rows of customer views (GetCustomer's or the export's). A merged
    customer's accounts live on under the survivor, which brings them when it is copied."""
    accounts, subscriptions = [], []
    for c in customers:
        if c.status == "merged":
            continue
        for a in c.accounts:
            accounts.append((a.account_no, c.customer_no, a.name or c.name, c.tier, position))
        for s in c.services:
            if s.account_no:
                subscriptions.append((s.service_no, s.account_no, c.customer_no, s.kind, s.origin, s.product_code,
                                      s.state, position, _started_on(s.started_at, tz)))
    return accounts, subscriptions


def write(cur, customers, position: int, tz: ZoneInfo) -> None:
    accounts, subscriptions = rows_of(customers, position, tz)
    if accounts:
        store.upsert_accounts(cur, accounts)
    if subscriptions:
        store.upsert_subscriptions(cur, subscriptions, datetime.now(tz).date())


def bootstrap(db: Database, stub, tz: ZoneInfo) -> dict:
    """Copy every customer from one export; events after its position then keep the copy."""
    position, count = 0, 0
    for page in stub.ExportCustomers(cpb.ExportCustomersRequest(page_size=EXPORT_PAGE)):
        position = page.position
        with db.transaction() as cur:
            write(cur, page.customers, position, tz)
        count += len(page.customers)
    with db.transaction() as cur:
        store.record_copy(cur, position, count)
    return {"customers": count, "position": position}


def refresh_stale(db: Database, stub, tz: ZoneInfo, batch: int = STALE_BATCH) -> dict:
    """Bring every stale customer's copy up to date; a customer whose event comes meanwhile is stale
    again and taken in a later pass. A customer the customer service cannot answer for goes to the back
    of the queue, so it never holds up the others; with the customer service out of reach, nothing is
    taken and everything waits for the next pass."""
    done, failed = 0, []
    while True:
        with db.transaction() as cur:
            stale = store.take_stale(cur, batch)
            if not stale:
                for customer_no in failed:
                    store.mark_stale(cur, customer_no)
                return {"refreshed": done, **({"failed": len(failed)} if failed else {})}
            views = []
            for customer_no in stale:
                try:
                    views.append(stub.GetCustomer(cpb.GetCustomerRequest(customer_no=customer_no), timeout=10))
                except grpc.RpcError as exc:
                    if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                        raise  # the transaction rolls back: they stay stale for the next pass
                    level = logging.INFO if exc.code() == grpc.StatusCode.NOT_FOUND else logging.WARNING
                    log.log(level, "stale customer not copied", extra={"customerNo": customer_no,
                                                                       "code": exc.code().name})
                    if exc.code() != grpc.StatusCode.NOT_FOUND:
                        failed.append(customer_no)
            # A copy made now reflects at least every event received so far.
            position = (store.copy_position(cur) or 0)
            write(cur, views, position + 1, tz)
            done += len(views)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", action="store_true", help="copy every customer from the export")
    args = parser.parse_args(argv)
    settings = billing_settings()
    setup_logging("billing-customer-copy", settings.log_level)
    try:
        counts = run(settings, args.bootstrap)
    except grpc.RpcError as exc:
        if exc.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise
        # Starting before the customer service, or while it restarts: what is stale stays stale until
        # the next pass.
        counts = {"customerServiceUnavailable": exc.code().name}
    print(json.dumps(counts))
    return 0


def run(settings: BillingSettings, full: bool) -> dict:
    tz = ZoneInfo(settings.timezone)
    db = Database(settings.service_db_url(NAME), schema=NAME, maxconn=1)
    try:
        with grpc.insecure_channel(settings.customer_grpc) as channel:
            stub = cpb_grpc.CustomerServiceStub(channel)
            with db.transaction() as cur:
                copied = store.copy_position(cur) is not None
            # The first run copies everything; the stale customers it leaves are then caught up.
            counts = {} if copied and not full else bootstrap(db, stub, tz)
            return {**counts, **refresh_stale(db, stub, tz)}
    finally:
        db.close()


if __name__ == "__main__":
    raise SystemExit(main())

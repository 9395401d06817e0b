"""Billing's demo data, once the suite answers (`python -m deploy.suite demo`), each step idempotent so
every start runs it: the copy of the demo customers from the customer service's export, and last month
billed."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from services.common.db import Database

from . import customer_copy
from .runs.handlers import BillRunHandlers
from .runs.period import run_key
from .service import NAME
from .settings import BillingSettings

ACTOR = "demo"


def last_month(settings: BillingSettings) -> str:
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    return f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"


def demo(settings: BillingSettings) -> None:
    print(f"billing: customer copy {customer_copy.run(settings, full=False)}", flush=True)
    db = Database(settings.service_db_url(NAME), schema=NAME, maxconn=2)
    try:
        run = BillRunHandlers(db, settings).execute(run_key(last_month(settings), 1), ACTOR)
        print(f"billing: {run.run['period_start']:%Y-%m} cycle 1 {run.outcome} {run.counts}", flush=True)
    finally:
        db.close()

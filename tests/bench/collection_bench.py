"""Bank collection benchmark: 1,000,000 due bills with mandates over the three shipped banks.

    .venv/bin/python -m tests.bench.collection_bench

Times (1) the collection run and writing every bank's offer file (target 30 s), and (2) importing and
reconciling the banks' return files, 1,000,000 lines in all with about 4% failures (target 30 s). The
billing schema of the bench database (BSS_BENCH_DB, default bss_bench) is dropped and migrated again,
then filled directly by SQL; the return files are written as the banks would (format package), untimed.

BSS_BENCH_EXPLAIN=<ms> prints to stderr the plan (EXPLAIN ANALYZE, BUFFERS) of every statement that took
longer, through auto_explain loaded for the bench database's sessions (it slows what it measures).
BSS_BENCH_HISTORY_MONTHS=<n> puts n paid months of bills, debits and ledger entries behind them (history.py).
"""
from __future__ import annotations

import io
import json
import os
import random
import sys
import time
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from services.billing.collection import OfferBatch, ReturnLine, load_layout, write_return
from services.billing.collection.accounts import luhn_ok
from services.billing.collection.handlers import CollectionHandlers
from services.billing.handlers import Actor
from services.billing.service import SPEC
from services.billing.settings import BillingSettings
from services.common.db import Database, connect
from services.common.gc_tuning import tune_for_serving
from services.common.migrate import migrate_service
from services.common.provision import ensure_database
from tests.bench.history import fill_history, months_wanted
from tests.bench.server_cost import server_cost

BILLS = 1_000_000
TARGET_S = 30
FAILURE_RATE = 0.04
# The due bills' month: far ahead, so that no bill the history adds (history.py) comes after it.
PERIOD_START = date(2100, 1, 1)
BANKS = ("ICBC", "CCB", "BOC")
# Each bank's codes for the failures the bench's banks answer with (mostly insufficient funds).
FAILURES = {"ICBC": ("3008", "3010"), "CCB": ("51", "43"), "BOC": ("E10051", "E10043")}


def bench_settings() -> BillingSettings:
    base = os.environ.get("BSS_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
    return BillingSettings(db_url=f"{base}/{os.environ.get('BSS_BENCH_DB', 'bss_bench')}")


def explain_threshold() -> int | None:
    ms = os.environ.get("BSS_BENCH_EXPLAIN", "")
    return int(ms) if ms else None


def set_explain(conn, database: str, ms: int | None) -> None:
    """auto_explain for the bench database's new sessions, its plans sent to the client as notices."""
    with conn.cursor() as cur:
        cur.execute(f'ALTER DATABASE "{database}" RESET ALL')
        if ms is None:
            return
        for name, value in (("session_preload_libraries", "auto_explain"), ("auto_explain.log_min_duration", ms),
                            ("auto_explain.log_analyze", "on"), ("auto_explain.log_buffers", "on"),
                            ("auto_explain.log_level", "notice")):
            cur.execute(f'ALTER DATABASE "{database}" SET {name} = %s', (str(value),))


class Notices:
    """Stands in for a connection's notice list: each plan goes to stderr as it comes."""

    def append(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)


class ExplainedDatabase(Database):
    def _open(self):
        conn = super()._open()
        conn.notices = Notices()
        return conn


def valid_numbers(n: int) -> list[str]:
    """Bank account numbers every shipped bank's rule accepts (19 digits, 62..., Luhn)."""
    rng, out = random.Random(7), []
    while len(out) < n:
        body = "62" + "".join(rng.choice("0123456789") for _ in range(16))
        out.append(next(body + d for d in "0123456789" if luhn_ok(body + d)))
    return out


def fill(settings: BillingSettings, bills: int, months: int = 0) -> dict:
    """The bench's accounts, mandates and due bills, behind `months` paid months (history.py); returns what
    the history added."""
    ensure_database(settings.db_url)
    with connect(settings.db_url) as conn, conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS billing CASCADE")
        set_explain(conn, conn.info.dbname, explain_threshold())
    migrate_service(settings, SPEC)
    due = date.today() - timedelta(days=1)
    with connect(settings.service_db_url("billing")) as conn, conn.cursor() as cur:
        cur.execute("SET search_path TO billing")
        cur.execute("""INSERT INTO account (account_no, customer_no, name)
                       SELECT 'A' || lpad(i::text, 12, '0'), 'C' || lpad(i::text, 12, '0'), '用户' || i
                       FROM generate_series(1, %s) i""", (bills,))
        cur.execute("""INSERT INTO mandate (account_no, bank_code, holder_name, bank_account_no, signed_on, state,
                                            activated_at, created_by, updated_by)
                       SELECT 'A' || lpad(i::text, 12, '0'), (%s::text[])[1 + i %% 3], '用户' || i,
                              (%s::text[])[1 + i %% 1000], date '2024-01-01', 'active', now(), 'bench', 'bench'
                       FROM generate_series(1, %s) i""", (list(BANKS), valid_numbers(1000), bills))
    history = {}
    if months:
        conn = connect(settings.service_db_url("billing"), options="-c search_path=billing")
        try:
            history = fill_history(conn, PERIOD_START, months)
        finally:
            conn.close()
    with connect(settings.service_db_url("billing")) as conn, conn.cursor() as cur:
        cur.execute("SET search_path TO billing")
        cur.execute("""INSERT INTO bill (account_no, period_start, period_end, issued_on, due_on, amount_minor, open_minor,
                                         lines)
                       SELECT 'A' || lpad(i::text, 12, '0'), %s, %s, %s, %s, amount, amount,
                              ARRAY[ROW('S1', 'DTV-BASIC', 'charge', '数字电视 基本包', 30, amount)::bill_line]
                       FROM generate_series(1, %s) i CROSS JOIN LATERAL (SELECT 2000 + i %% 10000 AS amount) x""",
                    (PERIOD_START, PERIOD_START + relativedelta(months=1), due - timedelta(days=14), due, bills))
        cur.execute("""CREATE TEMP TABLE month_bill ON COMMIT DROP AS
                       SELECT id, account_no, amount_minor FROM bill WHERE period_start = %s""", (PERIOD_START,))
        cur.execute("""INSERT INTO ledger_entry (account_no, kind, amount_minor, bill_id, created_by)
                       SELECT account_no, 'charge', amount_minor, id, 'bench' FROM month_bill ORDER BY id""")
        cur.execute("ANALYZE")
    return history


def answers(db: Database, bank: str, batch: dict, rng: random.Random) -> bytes:
    """The bank's return file for its whole batch, about FAILURE_RATE of it failed."""
    layout = load_layout(bank)
    insufficient, closed = FAILURES[bank]
    with db.connection() as conn, conn.cursor() as cur:
        cur.execute("""SELECT debit_no, bank_account_no, holder_name, amount_minor, account_no FROM debit
                       WHERE batch_id = (SELECT id FROM debit_batch WHERE batch_no = %s) ORDER BY id""",
                    (batch["batch_no"],))
        rows = cur.fetchall()
        conn.rollback()
    lines = []
    for no, number, name, amount, account in rows:
        failed = rng.random() < FAILURE_RATE
        code = (closed if rng.random() < 0.2 else insufficient) if failed else ""
        lines.append(ReturnLine(0, no, number, amount, not failed, code, None, "", name, account))
    out = io.BytesIO()
    write_return(layout, OfferBatch(batch["batch_no"], batch["created_on"], batch["collection_date"], "bench"),
                 lines, out)
    return out.getvalue()


def run(settings: BillingSettings | None = None, bills: int = BILLS, months: int | None = None) -> dict:
    settings = settings or bench_settings()
    started = time.perf_counter()
    history = fill(settings, bills, months_wanted() if months is None else months)
    filled = time.perf_counter() - started
    db = (Database if explain_threshold() is None else ExplainedDatabase)(
        settings.service_db_url("billing"), schema="billing", maxconn=2)
    handlers = CollectionHandlers(db, settings)
    actor = Actor("bench", "supervisor")
    tune_for_serving()  # the garbage collector as the billing server runs it (grpc_server.py)
    try:
        with server_cost(settings.db_url) as run_cost:
            started = time.perf_counter()
            result = handlers.run(collection_date="", banks=[], actor=actor)
            ran = time.perf_counter() - started
            files = {}
            for b in result["batches"]:
                t = time.perf_counter()
                name, _, file = handlers.batch_file(b["batch_no"], "bankLayout", "", actor)
                size = len(file.read())
                file.close()
                files[b["bank_code"]] = {"debits": b["debit_count"], "bytes": size,
                                         "seconds": round(time.perf_counter() - t, 2)}
            offered = time.perf_counter() - started
        rng = random.Random(11)
        returns = {b["bank_code"]: answers(db, b["bank_code"], b, rng) for b in result["batches"]}
        imported: dict = {}
        with server_cost(settings.db_url) as reconcile_cost:
            started = time.perf_counter()
            for bank, content in returns.items():
                t = time.perf_counter()
                report, duplicate = handlers.import_file(bank_code=bank, kind="result", file_name="",
                                                         chunks=[content], actor=Actor(bank.lower(), "bank"))
                assert report["state"] == "applied" and not duplicate, report["errors"][:3]
                imported[bank] = {k: report[k] for k in ("lines", "succeeded", "failed", "exceptions")} | {
                    "seconds": round(time.perf_counter() - t, 2)}
            reconciled = time.perf_counter() - started
    finally:
        db.close()
    lines = sum(x["lines"] for x in imported.values())
    return {"bills": bills, "fillSeconds": round(filled, 1), **({"history": history} if history else {}),
            "run": {"seconds": round(ran, 2), "withOfferFiles": round(offered, 2), "files": files,
                    "target": TARGET_S, "met": offered < TARGET_S, **run_cost},
            "reconcile": {"lines": lines, "seconds": round(reconciled, 2), "files": imported, "target": TARGET_S,
                          "met": reconciled < TARGET_S, **reconcile_cost}}


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))

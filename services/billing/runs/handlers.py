"""Billing runs as use cases: start (or resume, or answer the finished) run of a period and cycle, preview
it as a dry run, read a run. The work is set-based SQL (store.py); this module orders its phases, holds
the run's lock and records what happened."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg2.extras

from services.common.background import awaited
from services.common.bulkjob import in_parts
from services.common.db import Database
from services.common.errors import AlreadyExists, InvalidArgument, NotFound
from services.common import workcalendar_store
from services.common.outbox import emit

from ..handlers import Actor
from ..service import NAME
from ..settings import BillingSettings
from . import store
from .period import RunKey, billable_yet, run_key

log = logging.getLogger(__name__)

# Whole-cycle hash joins and sorts want more memory than a request's default (the lines of a million
# subscriptions sort in 300MB).
JOB_WORK_MEM = "512MB"
# A run rates and issues this many ranges of the cycle's accounts at once, each on a connection of its
# own: one backend does each statement on one core (its parallel workers only scan), and the ranges share
# nothing but the tables they write to. Each range is rated and issued in a transaction of its own; a run
# that stopped between them is resumed like any other, billing what has no bill yet.
PARTS = 2


@dataclass(frozen=True)
class StartBillRun:
    period: str
    cycle: int
    actor: Actor
    dry_run: bool = False
    account_no: str = ""  # a dry run shows the bill this account would get


@dataclass
class RunReport:
    run: dict
    # started | resumed | already-billed | running | dry-run
    outcome: str
    counts: dict = field(default_factory=dict)
    preview: dict | None = None


class BillRunHandlers:
    def __init__(self, db: Database, settings: BillingSettings):
        self.db = db
        self.settings = settings
        self.tz = ZoneInfo(settings.timezone)

    def today(self) -> date:
        return datetime.now(self.tz).date()

    def due_on(self, cur, issued_on: date) -> date:
        """A bill is due `due_working_days` working days after it is issued (the working-day calendar)."""
        return workcalendar_store.load(cur).add_working_days(issued_on, self.settings.due_working_days)

    def start(self, cmd: StartBillRun, wait_seconds: float | None = None) -> RunReport:
        """A dry run answers its report. A real run is started (or a crashed one resumed) on its own thread,
        and answered when it ends or after `wait_seconds`, still running; a finished one is answered as it is."""
        key = run_key(cmd.period, cmd.cycle)
        # Outside production a far period is allowed: tests bill months of their own in years far ahead.
        if not billable_yet(key, self.today()) and not self.settings.demo:
            raise InvalidArgument(f"{key.period} is more than a month ahead; bill it when it comes",
                                  reason="invalid-period")
        if cmd.dry_run:
            return self.dry_run(key, cmd.account_no.strip().upper())
        report = awaited(lambda claimed: self.execute(key, cmd.actor.username, claimed),
                         self.settings.bill_run_wait_seconds if wait_seconds is None else wait_seconds,
                         f"bill run {key.period} cycle {key.cycle}")
        if report is not None:
            return report
        return RunReport(self.get_run_row(key), "running")

    def execute(self, key: RunKey, actor: str, claimed: threading.Event | None = None) -> RunReport:
        """Run the period and cycle to completion on this thread, under its lock."""
        with self.db.connection() as conn:
            cur = conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
            locked = store.try_lock(cur, key.lock_name)
            conn.commit()
            if not locked:
                run = store.find_run(cur, key.start, key.cycle)
                conn.commit()
                if run is None:
                    raise AlreadyExists(f"the billing run of {key.period} cycle {key.cycle} is starting",
                                        reason="bill-run-running")
                return RunReport(run, "already-billed" if run["state"] == "completed" else "running", run["counts"])
            try:
                return self._locked(conn, cur, key, actor, claimed)
            finally:
                conn.rollback()
                cur.execute("RESET work_mem")
                store.unlock(cur, key.lock_name)
                conn.commit()

    def _locked(self, conn, cur, key: RunKey, actor: str, claimed: threading.Event | None) -> RunReport:
        run = store.find_run(cur, key.start, key.cycle)
        if run is not None and run["state"] == "completed":
            conn.commit()
            return RunReport(run, "already-billed", run["counts"])
        # Holding the lock, a run still marked running or failed is one whose process ended: finish it.
        outcome = "resumed" if run is not None else "started"
        if run is None:
            run = store.create_run(cur, key.start, key.end, key.cycle, actor)
        conn.commit()
        if claimed is not None:
            claimed.set()
        try:
            cur.execute(f"SET work_mem = '{JOB_WORK_MEM}'")
            ranges = store.account_ranges(cur, key.cycle, PARTS)
            tables = [store.line_table(run["id"], part) for part in range(len(ranges))]
            issued_on = self.today()
            due_on = self.due_on(cur, issued_on)
            conn.commit()
            # Each part rates and then issues its range in one transaction: a part that has rated issues at
            # once instead of waiting for the slower part's rating, so neither core idles between them.
            started = time.monotonic()

            def rate_and_issue(c, part: int) -> tuple[float, dict]:
                store.rate(c, tables[part], key.start, key.end, key.cycle, ranges[part])
                rated = time.monotonic() - started
                return rated, store.issue(c, run, tables[part], issued_on, due_on, actor)
            parts = in_parts(self.db, cur, len(ranges), rate_and_issue, JOB_WORK_MEM)
            rated = max(seconds for seconds, _ in parts)
            store.record_phase(cur, run["id"], "rate", round(rated, 2))
            store.record_phase(cur, run["id"], "issue", round(time.monotonic() - started - rated, 2))
            conn.commit()

            started = time.monotonic()
            # A run started now issued all its bills in these parts; a resumed one counts what every attempt
            # added, from its bills.
            added = [part_counts for _, part_counts in parts]
            counts = ({name: sum(c[name] for c in added) for name in added[0]} if outcome == "started"
                      else store.run_counts(cur, run["id"]))
            counts["accounts"] = store.cycle_accounts(cur, key.cycle)
            store.record_phase(cur, run["id"], "complete", round(time.monotonic() - started, 2))
            run = store.complete_run(cur, run["id"], counts)
            emit(cur, NAME, "bill_run_completed", {"runNo": run["run_no"], "period": key.period, "cycle": key.cycle,
                                                   "counts": counts})
            for table in tables:
                store.drop_line_table(cur, table)
            conn.commit()
            log.info("bill run %s: %s bills added (%s)", run["run_no"], sum(c["bills"] for c in added), counts,
                     extra={"phases": run["phases"]})
            return RunReport(run, outcome, counts)
        except BaseException as exc:
            conn.rollback()
            store.fail_run(cur, run["id"], f"{type(exc).__name__}: {exc}")
            conn.commit()
            raise

    def dry_run(self, key: RunKey, account_no: str) -> RunReport:
        """The same rating into a temporary table, reported and rolled back: nothing is written."""
        with self.db.connection() as conn:
            cur = conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
            try:
                cur.execute(f"SET LOCAL work_mem = '{JOB_WORK_MEM}'")
                lines = store.line_table(0, 0)
                store.rate(cur, lines, key.start, key.end, key.cycle, temporary=True)
                counts = {**store.summary(cur, lines), "accounts": store.cycle_accounts(cur, key.cycle)}
                preview = None
                if account_no:
                    issued_on = self.today()
                    rows = store.account_lines(cur, lines, account_no)
                    preview = {"account_no": account_no, "period_start": key.start, "period_end": key.end,
                               "issued_on": issued_on, "due_on": self.due_on(cur, issued_on),
                               "amount_minor": sum(r["amount_minor"] for r in rows), "lines": rows}
            finally:
                conn.rollback()
        run = {"run_no": "", "period_start": key.start, "period_end": key.end, "cycle": key.cycle, "dry_run": True,
               "state": "completed", "counts": counts, "phases": {}, "requested_by": "", "started_at": None,
               "finished_at": None}
        return RunReport(run, "dry-run", counts, preview)

    def get_run_row(self, key: RunKey) -> dict:
        with self.db.transaction() as cur:
            run = store.find_run(cur, key.start, key.cycle)
        if run is None:
            raise NotFound(f"no billing run of {key.period} cycle {key.cycle}", reason="bill-run-not-found")
        return run

    def get(self, run_no: str) -> RunReport:
        with self.db.transaction() as cur:
            run = store.run_by_no(cur, run_no.strip().upper())
        if run is None:
            raise NotFound(f"no billing run {run_no}", reason="bill-run-not-found")
        return RunReport(run, run["state"], run["counts"])

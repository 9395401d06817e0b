"""The pattern every bulk job follows (a legacy import, a billing run, a bank file): one run at a time
under an advisory lock, a row in the service's run table with its status, counts and phase timings,
and each statement's duration in the log.

A run table has the columns (id, kind, status, started_at, finished_at, counts, error), status one of
running / completed / failed, as customer.import_run does.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator, TypeVar

import psycopg2
import psycopg2.extensions
from psycopg2 import sql
from psycopg2.extras import Json

from .db import connect, session_lock, session_options
from .errors import AlreadyExists

log = logging.getLogger(__name__)
T = TypeVar("T")
ABANDONED = "abandoned: its process ended before the run did; nothing of it was committed"


class TimedCursor(psycopg2.extensions.cursor):
    """Logs each statement's duration at DEBUG: where a run spends its time, statement by statement."""

    def execute(self, query, vars=None):
        started = time.monotonic()
        try:
            return super().execute(query, vars)
        finally:
            _timed(started, query, self)

    def copy_expert(self, sql, file, size=8192):
        started = time.monotonic()
        try:
            return super().copy_expert(sql, file, size)
        finally:
            _timed(started, sql, self)


def _timed(started: float, query, cursor) -> None:
    if log.isEnabledFor(logging.DEBUG):
        text = query.as_string(cursor) if isinstance(query, sql.Composable) else str(query)
        log.debug("%6.1fs %s", time.monotonic() - started, " ".join(text.split())[:100])


def job_connection(url: str, schema: str, name: str) -> psycopg2.extensions.connection:
    """A connection for set-based work over millions of rows, statements timed (and, as every connection,
    without JIT: db.session_options)."""
    conn = connect(url, options=session_options(schema), cursor_factory=TimedCursor,
                   application_name=f"bss-{name}")
    with conn.cursor() as cur:
        # Whole-table hash joins, sorts and index builds over a million rows want more than the defaults.
        cur.execute("SET work_mem = '256MB'; SET maintenance_work_mem = '512MB'")
    conn.commit()
    return conn


class Run:
    """One run of a job: its id, the counts it reports, and how long each phase took."""

    def __init__(self, run_id: int, name: str):
        self.id = run_id
        self.name = name
        self.counts: dict = {}
        self.phases: dict[str, float] = {}
        self._started = time.monotonic()

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        yield
        self.phases[name] = round(self.phases.get(name, 0.0) + time.monotonic() - started, 1)
        log.info("%s: %s in %.1fs (%.1fs in all)", self.name, name, time.monotonic() - started,
                 time.monotonic() - self._started, extra={"run": self.id, "counts": dict(self.counts)})

    def report(self) -> dict:
        return {**self.counts, "phases": dict(self.phases), "elapsed_s": round(time.monotonic() - self._started, 1)}


@contextlib.contextmanager
def bulk_job(conn, name: str, run_table: str, kind: str, record: dict | None = None) -> Iterator[Run]:
    """Run job `name` of `kind` on `conn`, recorded in `run_table` (with the columns of `record` too, when
    the run row is also what the job made, as a campaign is).

    Refuses with AlreadyExists (reason "<name>-running") while another session holds the job's
    lock. The body works in the connection's open transaction: on a normal exit the run is marked
    completed with its report in that same transaction, and committed, so the work and its record
    appear together or not at all (what the body commits itself, such as scratch tables, stays). On
    an exception the transaction is rolled back and the run is recorded as failed with the error.
    A run whose process died is rolled back by PostgreSQL, and marked failed by the next run."""
    with session_lock(conn, name) as taken, conn.cursor() as cur:
        if not taken:
            raise AlreadyExists(f"a {name} is already running", reason=f"{name}-running")
        # Holding the lock proves no run is going on: a run still marked running ended with its
        # process (killed, or the machine went down), and its transaction was rolled back.
        cur.execute(f"UPDATE {run_table} SET status = 'failed', finished_at = now(), error = %s"
                    " WHERE status = 'running'", (ABANDONED,))
        values = {**(record or {}), "kind": kind}
        cur.execute(f"INSERT INTO {run_table} ({', '.join(values)}) VALUES ({', '.join(['%s'] * len(values))})"
                    " RETURNING id", list(values.values()))
        run = Run(cur.fetchone()[0], name)
        conn.commit()
        try:
            yield run
            cur.execute(f"UPDATE {run_table} SET status = 'completed', finished_at = now(), counts = %s"
                        " WHERE id = %s", (Json(run.report()), run.id))
            conn.commit()
        except BaseException as e:
            _record_failure(conn, run_table, run, e)
            raise


def _record_failure(conn, run_table: str, run: Run, error: BaseException) -> None:
    try:
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute(f"UPDATE {run_table} SET status = 'failed', finished_at = now(), counts = %s, error = %s"
                        " WHERE id = %s", (Json(run.report()), f"{type(error).__name__}: {error}"[:2000], run.id))
        conn.commit()
    except psycopg2.Error:  # the connection itself is gone: the run stays 'running', the error is raised
        log.exception("%s run %s failed and could not be recorded as failed", run.name, run.id)


def analyze(cur, *tables: str) -> None:
    """Statistics of tables a job just filled, or its next joins are planned for empty tables (nested loops
    and sorts over a million rows) and the request path for what it saw before."""
    for table in tables:
        cur.execute(f"ANALYZE {table}")


def in_parts(db, cur, parts: int, work: Callable[[object, int], T], work_mem: str | None = None) -> list[T]:
    """work(cursor, part) for every part at once, each committed on its own (in_steps): part 0 on `cur`'s
    connection, every other on a connection of `db`'s pool. One backend runs a statement on one
    core (its parallel workers only scan), so a job whose parts share no rows uses every core this way.
    `work_mem` is set for each part's transaction. Waits for all, then raises the first failure."""
    results: list = [None] * parts

    def part_step(part: int) -> Step:
        def run(part_cur) -> None:
            if work_mem:
                part_cur.execute("SELECT set_config('work_mem', %s, true)", (work_mem,))
            results[part] = work(part_cur, part)
        return Step(f"part {part}", run)

    with contextlib.ExitStack() as pooled:
        cursors = [cur, *(pooled.enter_context(db.transaction()) for _ in range(1, parts))]
        in_steps(cursors, [part_step(part) for part in range(parts)])
    return results


@dataclass(frozen=True)
class Step:
    """One statement (or a few) of a job run as a graph: `work(cursor)` once every step named in `needs` is done,
    and while no running step holds what it `holds` or `shares`, nor shares what it holds (the tables it
    locks against others for its whole run, and those it locks only against such holders)."""
    name: str
    work: Callable[[object], None]
    needs: frozenset[str] = frozenset()
    holds: frozenset[str] = frozenset()
    shares: frozenset[str] = frozenset()

    def contends(self, other: Step) -> bool:
        """Whether one of the two would wait for the other's locks if both ran at once."""
        return bool(self.holds & (other.holds | other.shares) or self.shares & other.holds)


def in_steps(cursors: list, steps: list[Step]) -> None:
    """Every step, each committed on its own, on as many connections as `cursors` at once: each connection
    takes the first step in the list whose needs are done and whose locks are free, so the list's order is the
    priority (the longest chain first). Steps that would wait for one another's locks must need one another or
    say what they hold and share: a connection waiting for a lock does nothing while other steps could run.
    After a failure no step starts; the running ones finish, then the first failure is raised."""
    names = {step.name for step in steps}
    unknown = {need for step in steps for need in step.needs} - names
    if unknown:
        raise ValueError(f"steps need steps that do not exist: {sorted(unknown)}")
    todo, done, failures = list(steps), set(), []
    running: list[Step] = []
    changed = threading.Condition()

    def next_step() -> Step | None:
        with changed:
            while todo and not failures:
                for step in todo:
                    if step.needs <= done and not any(step.contends(other) for other in running):
                        todo.remove(step)
                        running.append(step)
                        return step
                if not running:
                    failures.append(ValueError(f"steps need one another: {[step.name for step in todo]}"))
                    changed.notify_all()
                    return None
                changed.wait()
            return None

    def worker(cur) -> None:
        while (step := next_step()) is not None:
            try:
                step.work(cur)
                cur.connection.commit()
            except BaseException as exc:  # noqa: BLE001 - raised on the caller's thread below
                cur.connection.rollback()
                failures.append(exc)
            with changed:
                done.add(step.name)
                running.remove(step)
                changed.notify_all()

    threads = [threading.Thread(target=worker, args=(cur,), name=f"{threading.current_thread().name}-steps-{n}")
               for n, cur in enumerate(cursors[1:], 1)]
    for thread in threads:
        thread.start()
    try:
        worker(cursors[0])
    finally:
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]

"""PostgreSQL access: a thread-safe connection pool, a transaction context manager, and statements
prepared once per session."""
from __future__ import annotations

import contextlib
import threading
from typing import Iterator, Mapping, Sequence

import psycopg2
import psycopg2.extras
import psycopg2.pool
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_UNKNOWN

psycopg2.extras.register_uuid()


class PooledConnection(psycopg2.extensions.connection):
    """A pool's connection, which remembers the statements its session has prepared."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared: set[str] = set()


class Prepared:
    """A statement that PostgreSQL plans once per session instead of on every call: for a statement
    whose planning costs more than running it (the 360 view's eight subqueries plan in about 1 ms and
    run in 0.3). `sql` takes named parameters, `%(name)s`, listed in `params`.

    Prepared statements outlive a rolled-back transaction, so a connection prepares each name once. On a
    plain connection (tools, tests) the statement simply runs.
    """

    def __init__(self, name: str, sql: str, params: Sequence[str]):
        self.name = name
        self.sql = sql
        self._prepare = f"PREPARE {name} AS " + sql % {p: f"${n}" for n, p in enumerate(params, 1)}
        self._execute = f"EXECUTE {name} ({', '.join(f'%({p})s' for p in params)})"

    def execute(self, cur, values: Mapping) -> None:
        prepared = getattr(cur.connection, "prepared", None)
        if prepared is None:
            cur.execute(self.sql, values)
            return
        if self.name not in prepared:
            cur.execute(self._prepare)
            prepared.add(self.name)
        cur.execute(self._execute, values)


def session_options(schema: str | None) -> str:
    """A connection's settings: the service's schema first, and no JIT compilation. Request paths run short
    indexed queries, which JIT compiling costs more than it saves; bulk statements over a million rows are
    estimated past every JIT threshold (one steered by planner_settings by ten billion more), so each was
    compiled with full optimisation: the legacy import took about 5% longer with it (159.5 and 163.2 s
    against 149.0 and 158.8 s without, the server's CPU 146.7 and 150.2 s against 136.2 and 145.6 s)."""
    return f"-c search_path={schema},public -c jit=off" if schema else "-c jit=off"


@contextlib.contextmanager
def session_lock(conn, name: str) -> Iterator[bool]:
    """The advisory lock `name` for this session, when no other session holds it: yields whether it was
    taken, and releases it on the way out, after rolling back what the body left open (an aborted
    transaction must not hide its error behind the unlock)."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (name,))
        taken = cur.fetchone()[0]
        conn.commit()
        if not taken:
            yield False
            return
        try:
            yield True
        finally:
            if not conn.closed:
                conn.rollback()
                cur.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))
                conn.commit()


class Database:
    """A pool of connections for one role, with `search_path` set to the service's schema.

    Up to `maxconn` connections are opened as needed and kept open once returned: psycopg2's pools close
    every connection returned beyond `minconn`, so a busy server opened a PostgreSQL session (a new
    backend process, 2-5 ms) for nearly every request.
    """

    def __init__(self, url: str, schema: str | None = None, maxconn: int = 10, minconn: int = 1):
        options = session_options(schema)
        self.url = url
        self.schema = schema
        self.maxconn = maxconn
        self._connect_kwargs = dict(options=options, connect_timeout=5,
                                    application_name=f"bss-{schema or 'client'}")
        # The semaphore makes callers wait for a free connection instead of failing when all are in use.
        self._slots = threading.BoundedSemaphore(maxconn)
        self._lock = threading.Lock()
        self._idle: list[psycopg2.extensions.connection] = []
        self._closed = False
        # Opened now so that a wrong URL or password stops start-up instead of the first request.
        self._idle.extend(self._open() for _ in range(minconn))

    def _open(self) -> psycopg2.extensions.connection:
        return psycopg2.connect(self.url, connection_factory=PooledConnection, **self._connect_kwargs)

    def _take(self) -> psycopg2.extensions.connection:
        with self._lock:
            if self._closed:
                raise psycopg2.pool.PoolError("connection pool is closed")
            # The most recently returned connection: its backend is the one whose caches are warm.
            conn = self._idle.pop() if self._idle else None
        return conn if conn is not None and not conn.closed else self._open()

    def _give_back(self, conn: psycopg2.extensions.connection) -> None:
        if conn.get_transaction_status() not in (TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_UNKNOWN):
            try:
                conn.rollback()
            except psycopg2.Error:
                conn.close()
        with self._lock:
            if self._closed:
                stale = [conn]
            elif conn.get_transaction_status() == TRANSACTION_STATUS_IDLE:
                self._idle.append(conn)
                return
            else:
                # A connection lost under us mostly means the server restarted: its idle siblings are
                # gone too, and each would fail one request before being replaced.
                stale, self._idle = [conn, *self._idle], []
        for dead in stale:
            dead.close()

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg2.extensions.connection]:
        with self._slots:
            conn = self._take()
            try:
                yield conn
            finally:
                self._give_back(conn)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg2.extras.RealDictCursor]:
        """One transaction: commit on success, roll back on any exception."""
        with self.connection() as conn:
            try:
                with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                    yield cur
                conn.commit()
            except BaseException:
                if not conn.closed:  # a lost connection has nothing to roll back; its error is the news
                    conn.rollback()
                raise

    @contextlib.contextmanager
    def statement(self) -> Iterator[psycopg2.extras.RealDictCursor]:
        """A cursor whose statements each commit on their own (autocommit). A read that is one statement
        sees one snapshot either way; this spares it the BEGIN and COMMIT round trips."""
        with self.connection() as conn:
            conn.autocommit = True
            try:
                with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                    yield cur
            finally:
                if not conn.closed:
                    conn.autocommit = False

    def ping(self) -> bool:
        try:
            with self.transaction() as cur:
                cur.execute("SELECT 1")
            return True
        except psycopg2.Error:
            return False

    def close(self) -> None:
        """Close the idle connections; one still in use is closed when it comes back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


@contextlib.contextmanager
def planner_settings(cur, **settings: str) -> Iterator[None]:
    """Settings (`enable_seqscan="off"`, ...) for the statements run inside only, as SET LOCAL sets them for
    the transaction; then each is what it was before, not the server's default (which RESET would give).
    A bulk statement the planner misjudges is steered without steering the rest of the transaction. After
    an error there is nothing to restore: the transaction is rolled back, and its settings with it."""
    previous = {}
    for name, value in settings.items():
        cur.execute("SELECT current_setting(%s) AS was, set_config(%s, %s, true)", (name, name, value))
        row = cur.fetchone()
        previous[name] = row["was"] if isinstance(row, dict) else row[0]
    yield
    for name, value in previous.items():
        cur.execute("SELECT set_config(%s, %s, true)", (name, value))


def connect(url: str, **kwargs) -> psycopg2.extensions.connection:
    """A single plain connection (tools, bulk jobs, tests)."""
    return psycopg2.connect(url, connect_timeout=5, **kwargs)

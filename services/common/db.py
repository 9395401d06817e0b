"""PostgreSQL access: a thread-safe connection pool and a transaction context manager."""
from __future__ import annotations

import contextlib
import threading
from typing import Iterator

import psycopg2
import psycopg2.extras
import psycopg2.pool

psycopg2.extras.register_uuid()


class Database:
    """A pool of connections for one role, with `search_path` set to the service's schema."""

    def __init__(self, url: str, schema: str | None = None, maxconn: int = 10, minconn: int = 1):
        # Request paths run short indexed queries; JIT compiling them costs more than it saves.
        options = f"-c search_path={schema},public -c jit=off" if schema else "-c jit=off"
        self.url = url
        self.schema = schema
        self._pool = psycopg2.pool.ThreadedConnectionPool(
            minconn, maxconn, url, options=options, connect_timeout=5,
            application_name=f"bss-{schema or 'client'}",
        )
        self._slots = threading.BoundedSemaphore(maxconn)

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg2.extensions.connection]:
        # The semaphore makes callers wait for a free connection instead of failing when the pool is busy.
        with self._slots:
            conn = self._pool.getconn()
            try:
                yield conn
            finally:
                broken = conn.closed or conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_UNKNOWN
                if not broken and conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                    conn.rollback()
                self._pool.putconn(conn, close=broken)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg2.extras.RealDictCursor]:
        """One transaction: commit on success, roll back on any exception."""
        with self.connection() as conn:
            try:
                with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                    yield cur
                conn.commit()
            except BaseException:
                conn.rollback()
                raise

    def ping(self) -> bool:
        try:
            with self.transaction() as cur:
                cur.execute("SELECT 1")
            return True
        except psycopg2.Error:
            return False

    def close(self) -> None:
        self._pool.closeall()


def connect(url: str, **kwargs) -> psycopg2.extensions.connection:
    """A single plain connection (tools, bulk jobs, tests)."""
    return psycopg2.connect(url, connect_timeout=5, **kwargs)

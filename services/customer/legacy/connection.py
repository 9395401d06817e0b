"""What both legacy adapters share: connecting, reading a consistent snapshot, and the error they raise."""
from __future__ import annotations

import contextlib
from typing import IO, Iterator

import psycopg2
import psycopg2.extensions

from services.common.db import connect
from services.common.errors import Unavailable

STREAM_BATCH = 20000


@contextlib.contextmanager
def legacy_connection(url: str, system: str) -> Iterator[psycopg2.extensions.connection]:
    """A connection to a legacy database; a network or server failure becomes Unavailable."""
    try:
        conn = connect(url, application_name="bss-customer-legacy")
    except psycopg2.OperationalError as e:
        raise Unavailable(f"legacy {system} unreachable: {e}".strip()) from e
    try:
        yield conn
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as e:
        raise Unavailable(f"legacy {system} connection lost: {e}".strip()) from e
    finally:
        conn.close()


@contextlib.contextmanager
def snapshot(url: str, system: str, shared: str | None = None) -> Iterator[psycopg2.extensions.connection]:
    """One read-only repeatable-read transaction: every read in it sees the same moment, so a row
    committed between two reads cannot be half seen (an entitlement without its subscriber). `shared`
    is a moment another connection exported (exported()), for reading parts of one moment at once."""
    with legacy_connection(url, system) as conn:
        conn.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
        if shared:
            with conn.cursor() as cur:
                cur.execute("SET TRANSACTION SNAPSHOT %s", (shared,))
        yield conn


def exported(conn) -> str:
    """The moment a snapshot() connection reads, for other connections to read too while it stays open."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_export_snapshot()")
        return cur.fetchone()[0]


def stream(conn, query: str, params: dict) -> Iterator[tuple]:
    """Rows of a query through a server-side cursor, a batch at a time, never the whole table."""
    with conn.cursor(name="bss_legacy_stream") as cur:
        cur.itersize = STREAM_BATCH
        cur.execute(query, params)
        yield from cur


def copy_out(conn, query: str, params: dict, sink: IO[bytes]) -> None:
    """The rows of a query as COPY text into sink, for rows that need no Python on the way."""
    with conn.cursor() as cur:
        cur.copy_expert(cur.mogrify(f"COPY ({query}) TO STDOUT", params).decode(), sink)

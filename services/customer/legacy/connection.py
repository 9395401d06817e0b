"""What both legacy adapters share: connecting, streaming a query, and the error they raise."""
from __future__ import annotations

import contextlib
from typing import Iterator

import psycopg2

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


def stream(url: str, system: str, query: str, params: dict) -> Iterator[tuple]:
    """Rows of a query through a server-side cursor, a batch at a time, never the whole table."""
    with legacy_connection(url, system) as conn:
        conn.set_session(readonly=True)
        with conn.cursor(name=f"bss_{system}_stream") as cur:
            cur.itersize = STREAM_BATCH
            cur.execute(query, params)
            yield from cur

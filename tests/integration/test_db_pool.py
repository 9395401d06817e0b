"""The connection pool against the real PostgreSQL: connections are kept open and reused, up to the
pool's size, and lost ones are replaced; prepared statements are prepared once per session. A session is
a backend process, named by pg_backend_pid()."""
from __future__ import annotations

import threading
import uuid

import psycopg2
import psycopg2.extras
import pytest

from services.common.db import Database, Prepared, connect, planner_settings
from services.common.provision import ensure_database
from tests.databases import execute

pytestmark = pytest.mark.integration
CLIENTS = 4


@pytest.fixture
def pool(settings):
    ensure_database(settings.db_url)
    database = Database(settings.db_url, maxconn=CLIENTS)
    yield database
    database.close()


def backend(db: Database) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT pg_backend_pid() AS pid")
        return cur.fetchone()["pid"]


def backends_at_once(db: Database, clients: int) -> set[int]:
    """The sessions of `clients` transactions that are all open at the same moment."""
    together = threading.Barrier(clients, timeout=10)
    pids: list[int] = []

    def hold() -> None:
        with db.transaction() as cur:
            cur.execute("SELECT pg_backend_pid() AS pid")
            pids.append(cur.fetchone()["pid"])
            together.wait()

    threads = [threading.Thread(target=hold) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(pids) == clients
    return set(pids)


def test_sequential_transactions_share_one_session(pool):
    assert len({backend(pool) for _ in range(20)}) == 1


def test_connections_used_at_once_stay_open_for_the_next_burst(pool):
    first = backends_at_once(pool, CLIENTS)
    assert len(first) == CLIENTS
    # psycopg2's own pools closed every connection returned beyond the first: a new session per request.
    assert backends_at_once(pool, CLIENTS) == first


def test_a_session_lost_under_the_pool_is_replaced(settings, pool):
    before = backends_at_once(pool, CLIENTS)
    execute(settings.db_url, "SELECT pg_terminate_backend(pid) FROM unnest(%s) pid", (list(before),))
    with pytest.raises(psycopg2.OperationalError):
        backend(pool)
    # The first failure drops the idle connections that died with it: the next call works.
    assert backend(pool) not in before


def test_a_transaction_left_failed_is_rolled_back_before_reuse(pool):
    marker = f"t_{uuid.uuid4().hex[:8]}"
    with pytest.raises(psycopg2.errors.UndefinedTable):
        with pool.transaction() as cur:
            cur.execute(f"SELECT * FROM {marker}")
    assert backend(pool)


SQUARE = Prepared("test_square", "SELECT %(n)s::int * %(n)s::int AS square, %(tag)s::text AS tag", ("n", "tag"))


def prepared_in_session(cur) -> list[str]:
    cur.execute("SELECT name FROM pg_prepared_statements")
    return [row["name"] for row in cur.fetchall()]


def test_a_prepared_statement_is_prepared_once_per_session_and_survives_a_rollback(pool):
    with pytest.raises(ZeroDivisionError):
        with pool.transaction() as cur:
            SQUARE.execute(cur, {"n": 3, "tag": "100%"})
            assert cur.fetchone() == {"square": 9, "tag": "100%"}
            raise ZeroDivisionError  # rolls the transaction back; the statement stays prepared
    for n in range(4, 8):
        with pool.transaction() as cur:
            SQUARE.execute(cur, {"n": n, "tag": "x"})
            assert cur.fetchone()["square"] == n * n
            assert prepared_in_session(cur) == ["test_square"]


def test_a_prepared_statement_on_a_plain_connection_just_runs(settings):
    conn = connect(settings.db_url)
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            SQUARE.execute(cur, {"n": 5, "tag": "y"})
            assert cur.fetchone() == {"square": 25, "tag": "y"}
            assert prepared_in_session(cur) == []
    finally:
        conn.close()


def transaction_ids(cur) -> set[int]:
    ids = set()
    for _ in range(2):
        cur.execute("SELECT pg_current_xact_id()::text::bigint AS id")
        ids.add(cur.fetchone()["id"])
    return ids


def test_statements_commit_one_by_one_and_the_connection_goes_back_to_transactions(pool):
    with pool.statement() as cur:
        assert len(transaction_ids(cur)) == 2
    with pool.transaction() as cur:
        assert len(transaction_ids(cur)) == 1


def test_planner_settings_hold_inside_only_and_give_back_what_was_set_before(pool):
    def setting(cur, name: str) -> str:
        cur.execute("SELECT current_setting(%s) AS value", (name,))
        return cur.fetchone()["value"]

    with pool.transaction() as cur:
        cur.execute("SET LOCAL random_page_cost = 1.5")  # a value of the caller's, not the server's default
        with planner_settings(cur, enable_seqscan="off", random_page_cost="1.1"):
            assert (setting(cur, "enable_seqscan"), setting(cur, "random_page_cost")) == ("off", "1.1")
        assert (setting(cur, "enable_seqscan"), setting(cur, "random_page_cost")) == ("on", "1.5")
    with pytest.raises(psycopg2.errors.DivisionByZero):
        with pool.transaction() as cur:
            with planner_settings(cur, enable_seqscan="off"):
                cur.execute("SELECT 1 / 0")
    with pool.transaction() as cur:  # the failed transaction took its setting with it
        assert setting(cur, "enable_seqscan") == "on"

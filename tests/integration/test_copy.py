"""The one COPY writer against the real PostgreSQL: what goes in comes out the same, in batches,
from a background thread, and a failure in the background reaches the producer."""
from __future__ import annotations

from datetime import date, datetime

import psycopg2
import pytest

from services.common.copy import CopyWriter, InBackground, column_lines, pipe_copy
from tests.databases import execute, scratch_schema

COLUMNS = ("n", "t", "b", "d", "ts", "tags")
AWKWARD = ["tab\there", "new\nline", "back\\slash", "cr\rlf", "\\N", "", "unit\x1fsep", "rec\x1esep",
           "引号\"和,逗号", "{braces}"]


@pytest.fixture
def table(settings):
    with scratch_schema(settings, "copy") as schema:
        name = f"{schema}.rows"
        execute(settings.db_url, f"CREATE TABLE {name} (n INT, t TEXT, b BOOLEAN, d DATE, ts TIMESTAMP, tags TEXT[])")
        yield name


@pytest.fixture
def conn(settings):
    conn = psycopg2.connect(settings.db_url)
    yield conn
    conn.close()


def rows_of(settings, table: str) -> list[tuple]:
    return execute(settings.db_url, f"SELECT {', '.join(COLUMNS)} FROM {table} ORDER BY n")


AWKWARD_ROWS = [(i, text, i % 2 == 0, date(2020, 1, i + 1), datetime(2020, 1, 1, 8, i), [text, "x"])
                for i, text in enumerate(AWKWARD)] + [(len(AWKWARD), None, None, None, None, None)]
# Columns whose values repeat are converted once per value: states, days, flags, NULLs among them.
REPEATED_ROWS = [(i, ("a", "b\tc", None, "\\N")[i % 4], (True, False, None)[i % 3], date(2020, 1, 1 + i % 2),
                  None if i % 5 else datetime(2020, 1, 1, 8, i % 2), ["x", "y"] if i % 2 else None)
                 for i in range(200)]


@pytest.mark.parametrize("rows", [AWKWARD_ROWS, REPEATED_ROWS], ids=["awkward text", "repeated values"])
def test_text_nulls_and_types_come_back_as_they_went_in(settings, table, conn, rows):
    with conn.cursor() as cur:
        writer = CopyWriter(cur, table, COLUMNS)
        for row in rows:
            writer.add(row)
        writer.flush()
    conn.commit()
    assert rows_of(settings, table) == rows


def test_equal_values_of_two_kinds_in_one_column_keep_their_own_text(settings, table, conn):
    values = [1, True, 2, 2.0] * 10  # 1 == True and 2 == 2.0, but each is written as itself
    with conn.cursor() as cur:
        writer = CopyWriter(cur, table, ("n", "t"))
        for n, value in enumerate(values):
            writer.add((n, value))
        writer.flush()
    conn.commit()
    assert [t for _, t, *_ in rows_of(settings, table)] == ["1", "t", "2", "2.0"] * 10


def test_a_row_with_more_or_fewer_values_than_columns_is_refused_before_anything_is_sent(table, conn):
    with conn.cursor() as cur:
        writer = CopyWriter(cur, table, ("n", "t"))
        writer.add((1, "one"))
        writer.add((2, "two", "extra"))
        with pytest.raises(ValueError, match="every row must have 2 values"):
            writer.flush()
    conn.rollback()


def test_columns_of_awkward_text_and_nulls_come_back_as_they_went_in(settings, table, conn):
    numbers = [str(i) for i in range(len(AWKWARD) + 1)]
    texts = [*AWKWARD, None]
    flags = [None if i == 3 else "t" for i in range(len(numbers))]
    with conn.cursor() as cur:
        writer = CopyWriter(cur, table, ("n", "t", "b"))
        writer.add_block(column_lines([numbers, texts, flags]), len(numbers))
        writer.flush()
    conn.commit()
    assert [(n, t, b) for n, t, b, *_ in rows_of(settings, table)] == [
        (i, text, None if i == 3 else True) for i, text in enumerate(texts)]


def test_rows_go_in_batches_and_ready_lines_mix_with_rows(settings, table, conn):
    sent = []
    with conn.cursor() as cur:
        class Counting:
            def copy_expert(self, sql, file, size):
                sent.append(file.getvalue().count("\n"))
                cur.copy_expert(sql, file, size)

        writer = CopyWriter(Counting(), table, ("n", "t"), batch=4)
        for n in range(10):
            writer.add((n, f"row {n}"))
        writer.add_lines([f"{n}\tline {n}\n" for n in range(10, 13)])
        writer.flush()
    conn.commit()
    assert sent == [4, 4, 5] and writer.count == 13
    assert [t for _, t, *_ in rows_of(settings, table)] == [f"row {n}" for n in range(10)] + \
        [f"line {n}" for n in range(10, 13)]


def test_in_background_keeps_the_order_and_freezes_rows_of_a_table_truncated_in_the_transaction(
        settings, table, conn):
    reader = psycopg2.connect(settings.db_url)
    reader.set_session(isolation_level="REPEATABLE READ")
    with reader.cursor() as early:
        early.execute("SELECT 1")  # the snapshot is taken here, without a lock on the table
    with conn.cursor() as cur:
        cur.execute(f"TRUNCATE {table}")
    sender = InBackground(conn)
    writer = CopyWriter(sender, table, ("n", "t"), batch=100, freeze=True)
    for n in range(1000):
        writer.add((n, str(n)))
    writer.flush()
    sender.close()
    conn.commit()
    assert [(n, t) for n, t, *_ in rows_of(settings, table)] == [(n, str(n)) for n in range(1000)]
    with reader.cursor() as early:  # frozen rows are visible even to a snapshot older than their commit
        early.execute(f"SELECT count(*) FROM {table}")
        assert early.fetchone() == (1000,)
    reader.close()


def test_a_background_failure_reaches_the_producer_which_never_blocks(table, conn):
    sender = InBackground(conn, depth=1)
    writer = CopyWriter(sender, table, ("n",), batch=1)
    writer.add(("not a number",))
    with pytest.raises(psycopg2.errors.InvalidTextRepresentation):
        for n in range(100):  # far more batches than the queue holds: the thread drains them
            writer.add((n,))
        sender.close()
    conn.rollback()


def test_pipe_copy_streams_copy_text_into_a_table(settings, table, conn):
    def produce(sink):
        for n in range(3):
            sink.write(f"{n}\tpiped {n}\n".encode())

    with conn.cursor() as cur:
        pipe_copy(produce, cur, table, ("n", "t"))
    conn.commit()
    assert [t for _, t, *_ in rows_of(settings, table)] == ["piped 0", "piped 1", "piped 2"]


def test_pipe_copy_raises_what_the_producer_raised(table, conn):
    def produce(sink):
        sink.write(b"0\tfine\n")
        raise ConnectionError("legacy database went away")

    with conn.cursor() as cur, pytest.raises(ConnectionError, match="went away"):
        pipe_copy(produce, cur, table, ("n", "t"))
    conn.rollback()

"""COPY FROM STDIN: how bulk rows get into PostgreSQL without a round trip per row.

A CopyWriter buffers rows (tuples it converts and escapes a column at a time) or ready COPY text lines
and sends each batch as one COPY. It sends through a cursor, or through an InBackground sender: a thread
with the connection to itself, so PostgreSQL parses one batch while Python builds the next (psycopg2
releases the GIL while it waits). pipe_copy streams another database's COPY TO STDOUT straight into a table.
"""
from __future__ import annotations

import io
import os
import queue
import threading
from datetime import date, datetime
from operator import itemgetter
from typing import IO, Callable, Iterable, Sequence

_NONE = type(None)


def _text(value) -> str:
    """A value of a column that is not all text, as COPY text before escaping."""
    cls = value.__class__
    if cls is bool:
        return "t" if value else "f"
    if cls is datetime or cls is date:
        return value.isoformat()
    if cls is list or cls is tuple:  # a text[] column; its own quoting comes before COPY's
        return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value) + "}"
    return str(value)


def _as_text(column: Sequence, kinds: set, has_null: bool) -> Sequence[str | None]:
    """A column of values as text, None kept: converted once per distinct value where values repeat (a
    state, a day, a flag), since a conversion costs more than looking its result up."""
    if kinds == {int} and not has_null:  # mostly keys and amounts, rarely repeated
        return list(map(str, column))
    distinct = None
    if len(kinds) == 1:  # of two kinds, equal values (1 and True, 1 and 1.0) would share one text
        try:
            distinct = set(column)
        except TypeError:  # a text[] column's lists, which cannot be hashed
            pass
    if distinct is not None and len(distinct) * 4 < len(column):
        text = {v: None if v is None else _text(v) for v in distinct}
        return list(map(text.__getitem__, column))
    return [None if v is None else _text(v) for v in column]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _escaped(column: Sequence[str | None], has_null: bool) -> Sequence[str]:
    """A column of text with COPY's escapes and NULLs; checked once as a whole, since most text has
    nothing to escape."""
    text = "".join(filter(None, column)) if has_null else "".join(column)
    escape = "\\" in text or "\t" in text or "\n" in text or "\r" in text
    if has_null:
        return ["\\N" if v is None else _escape(v) if escape else v for v in column]
    return list(map(_escape, column)) if escape else column


def _lines(fields: list[Sequence[str]]) -> str:
    return "\n".join(map("\t".join, zip(*fields))) + "\n" if fields and len(fields[0]) else ""


def column_lines(columns: Sequence[Sequence[str | None]]) -> str:
    """Rows given as columns of text (None for NULL; e.g. a gRPC page of columns) as COPY text lines, each
    ending in a newline: a column is escaped only when it holds a character to escape, and a row costs one
    join."""
    return _lines([_escaped(column, None in column) for column in columns])


def row_lines(rows: Sequence[tuple]) -> str:
    """Rows of Python values (text, numbers, booleans, dates, text arrays, None) as COPY text lines,
    converted and escaped a column at a time: half of what row by row cost (1.5 against 3.2 µs a staged
    legacy record), where each field took a call."""
    fields = []
    # A column at a time by itemgetter: zip(*rows) would make an iterator a row, and with them collections
    # of the whole heap, which a staged import held large.
    for column in (list(map(itemgetter(i), rows)) for i in range(len(rows[0]) if rows else 0)):
        kinds = set(map(type, column))
        has_null = _NONE in kinds
        kinds.discard(_NONE)
        fields.append(_escaped(column if kinds <= {str} else _as_text(column, kinds, has_null), has_null))
    return _lines(fields)


class CopyWriter:
    """Rows buffered up to `batch` lines, then sent as one COPY to `target` (a cursor, or an
    InBackground). `freeze` writes the rows frozen (COPY FREEZE), for a table created or truncated
    in the same transaction. Call flush() at the end."""

    def __init__(self, target, table: str, columns: tuple[str, ...], batch: int = 50000, freeze: bool = False):
        self.target = target
        self.table, self.width = table, len(columns)
        self.sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN" + (" (FREEZE)" if freeze else "")
        self.batch = batch
        self.lines: list[str] = []
        self.rows: list[tuple] = []  # added since the last lines, written as lines together (row_lines)
        self.pending = 0  # rows in self.lines and self.rows (a block of lines holds many)
        self.count = 0

    def add(self, row: tuple) -> None:
        """One row of values; kept as it is until the batch is written, so it must not change meanwhile."""
        self.rows.append(row)
        self._added(1)

    def add_lines(self, lines: Iterable[str]) -> None:
        """Lines already in COPY text format, each ending with a newline."""
        self._rows_as_lines()
        before = len(self.lines)
        self.lines.extend(lines)
        self._added(len(self.lines) - before)

    def add_block(self, text: str, rows: int) -> None:
        """`rows` lines already in COPY text format as one string (column_lines)."""
        self._rows_as_lines()
        self.lines.append(text)
        self._added(rows)

    def _added(self, rows: int) -> None:
        self.pending += rows
        if self.pending >= self.batch:
            self.flush()

    def _rows_as_lines(self) -> None:
        if self.rows:
            if set(map(len, self.rows)) != {self.width}:  # row_lines reads as many values as the first row has
                raise ValueError(f"COPY {self.table}: every row must have {self.width} values, one per column")
            self.lines.append(row_lines(self.rows))
            self.rows = []

    def flush(self) -> None:
        self._rows_as_lines()
        if self.lines:
            self.target.copy_expert(self.sql, io.StringIO("".join(self.lines)), size=1 << 20)
            self.count += self.pending
            self.lines, self.pending = [], 0


class InBackground:
    """Stands in for a cursor: each COPY is queued and run, in order, by a thread of its own on
    `conn`. An error is raised by the next copy_expert() or by close(); the thread keeps draining
    the queue after one, so a producer never blocks on a dead writer."""

    def __init__(self, conn, depth: int = 3):
        self._conn = conn
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copy-in-background", daemon=True)
        self._thread.start()

    def copy_expert(self, sql: str, file: IO[str], size: int = 1 << 20) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((sql, file, size))

    def close(self) -> None:
        """Wait until every queued COPY is in; raise what went wrong on the way."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        cur = None
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:  # any error is raised in the producer's thread
                    cur = cur or self._conn.cursor()
                    cur.copy_expert(*item)
                except BaseException as exc:
                    self._error = exc
        if cur is not None and not self._conn.closed:
            cur.close()


def pipe_copy(produce: Callable[[IO[bytes]], None], cur, table: str, columns: tuple[str, ...]) -> None:
    """COPY rows that `produce` writes as COPY text (a legacy COPY TO STDOUT) into a table, streaming
    through an OS pipe: both ends run at once and nothing is held in memory."""
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def producer():
        try:
            with os.fdopen(write_fd, "wb") as sink:
                produce(sink)
        except BaseException as e:  # re-raised in the caller's thread below
            failure.append(e)

    thread = threading.Thread(target=producer, name=f"copy-{table}")
    thread.start()
    try:
        with os.fdopen(read_fd, "rb") as source:
            cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", source)
    finally:
        thread.join()
    if failure:
        raise failure[0]

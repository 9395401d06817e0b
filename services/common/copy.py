"""COPY FROM STDIN: how bulk rows get into PostgreSQL without a round trip per row.

A CopyWriter buffers rows (tuples it escapes) or ready COPY text lines and sends each batch as one
COPY. It sends through a cursor, or through an InBackground sender: a thread with the connection to
itself, so PostgreSQL parses one batch while Python builds the next (psycopg2 releases the GIL while
it waits). pipe_copy streams another database's COPY TO STDOUT straight into a table.
"""
from __future__ import annotations

import io
import os
import queue
import re
import threading
from datetime import date, datetime
from typing import IO, Callable, Iterable, Sequence

# A row is joined with these and escaped for COPY text format once, as one string: far cheaper than
# escaping field by field. A field that itself holds one of them takes the slow path.
_SEP, _NULL = "\x1f", "\x1e"


def _field(value) -> str:
    cls = value.__class__
    if cls is str:
        return value
    if value is None:
        return _NULL
    if cls is bool:
        return "t" if value else "f"
    if cls is datetime or cls is date:
        return value.isoformat()
    if cls is list or cls is tuple:  # a text[] column; its own quoting comes before COPY's
        return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value) + "}"
    return str(value)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


_SPECIAL = re.compile(r"[\\\t\n\r]")


def column_lines(columns: Sequence[Sequence[str | None]]) -> str:
    """Rows given as columns of text (None for NULL; e.g. a gRPC page of columns) as COPY text lines, each
    ending in a newline: a column is escaped only when it holds a character to escape, and a row costs one
    join, a sixth of what copy_line's per-row work costs."""
    fields = []
    for column in columns:
        has_null = None in column
        escape = _SPECIAL.search(_SEP.join([v for v in column if v is not None] if has_null else column))
        if has_null or escape:
            column = ["\\N" if v is None else _escape(v) if escape else v for v in column]
        fields.append(column)
    return "".join(line + "\n" for line in map("\t".join, zip(*fields)))


def copy_line(row: tuple) -> str:
    """One row as a line of COPY text format, newline included."""
    fields = list(map(_field, row))
    line = _SEP.join(fields)
    if line.count(_SEP) == len(fields) - 1 and line.count(_NULL) == fields.count(_NULL):
        return _escape(line).replace(_SEP, "\t").replace(_NULL, "\\N") + "\n"
    return "\t".join("\\N" if f is _NULL else _escape(f) for f in fields) + "\n"


class CopyWriter:
    """Rows buffered up to `batch` lines, then sent as one COPY to `target` (a cursor, or an
    InBackground). `freeze` writes the rows frozen (COPY FREEZE), for a table created or truncated
    in the same transaction. Call flush() at the end."""

    def __init__(self, target, table: str, columns: tuple[str, ...], batch: int = 50000, freeze: bool = False):
        self.target = target
        self.sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN" + (" (FREEZE)" if freeze else "")
        self.batch = batch
        self.lines: list[str] = []
        self.pending = 0  # rows in self.lines (a block of lines holds many)
        self.count = 0

    def add(self, row: tuple) -> None:
        self.lines.append(copy_line(row))
        self._added(1)

    def add_lines(self, lines: Iterable[str]) -> None:
        """Lines already in COPY text format, each ending with a newline."""
        before = len(self.lines)
        self.lines.extend(lines)
        self._added(len(self.lines) - before)

    def add_block(self, text: str, rows: int) -> None:
        """`rows` lines already in COPY text format as one string (column_lines)."""
        self.lines.append(text)
        self._added(rows)

    def _added(self, rows: int) -> None:
        self.pending += rows
        if self.pending >= self.batch:
            self.flush()

    def flush(self) -> None:
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

"""COPY FROM STDIN in batches, and legacy-to-staging COPY pipes: the ways rows get into PostgreSQL
fast, without a round trip per row."""
from __future__ import annotations

import io
import os
import threading
from datetime import date, datetime
from typing import IO, Callable

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


def copy_line(row: tuple) -> str:
    fields = list(map(_field, row))
    line = _SEP.join(fields)
    if line.count(_SEP) == len(fields) - 1 and line.count(_NULL) == fields.count(_NULL):
        return _escape(line).replace(_SEP, "\t").replace(_NULL, "\\N")
    return "\t".join("\\N" if f is _NULL else _escape(f) for f in fields)


class CopyWriter:
    """Rows buffered in memory up to `batch`, then sent as one COPY; call flush() at the end."""

    def __init__(self, cur, table: str, columns: tuple[str, ...], batch: int = 50000):
        self.cur = cur
        self.sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        self.batch = batch
        self.lines: list[str] = []
        self.count = 0

    def add(self, row: tuple) -> None:
        self.lines.append(copy_line(row))
        if len(self.lines) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.cur.copy_expert(self.sql, io.StringIO("\n".join(self.lines) + "\n"))
            self.count += len(self.lines)
            self.lines = []


def pipe_copy(produce: Callable[[IO[bytes]], None], cur, table: str, columns: tuple[str, ...]) -> None:
    """COPY rows that `produce` writes as COPY text (a legacy COPY TO STDOUT) into a staging table,
    streaming through an OS pipe: both ends run at once and nothing is held in memory."""
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

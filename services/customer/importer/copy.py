"""COPY FROM STDIN in batches: the way rows get into PostgreSQL fast, without a round trip per row."""
from __future__ import annotations

import io
from datetime import date, datetime

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _field(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):  # a text[] column
        return "{" + ",".join('"' + v.replace("\\", "\\\\\\\\").replace('"', '\\\\"') + '"' for v in value) + "}"
    return str(value).translate(_ESCAPES)


class CopyWriter:
    """Rows buffered in memory up to `batch`, then sent as one COPY; call flush() at the end."""

    def __init__(self, cur, table: str, columns: tuple[str, ...], batch: int = 50000):
        self.cur = cur
        self.sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        self.batch = batch
        self.lines: list[str] = []
        self.count = 0

    def add(self, row: tuple) -> None:
        self.lines.append("\t".join(map(_field, row)))
        if len(self.lines) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.cur.copy_expert(self.sql, io.StringIO("\n".join(self.lines) + "\n"))
            self.count += len(self.lines)
            self.lines = []

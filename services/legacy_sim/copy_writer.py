"""COPY ... FROM STDIN fed from a thread of its own, so PostgreSQL parses one chunk while Python
builds the next (psycopg2 releases the GIL while it sends)."""
from __future__ import annotations

import io
import queue
import threading


class CopyWriter:
    def __init__(self, conn, columns: dict[str, str], freeze: bool = False):
        """`columns` maps each table to the column list its lines carry."""
        self._conn = conn
        self._columns = columns
        self._options = "(FREEZE)" if freeze else ""
        self._queue: queue.Queue = queue.Queue(maxsize=3)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copy-writer", daemon=True)
        self._thread.start()

    def write(self, table: str, lines: list[str]) -> None:
        if self._error is not None:
            raise self._error
        if lines:
            self._queue.put((table, lines))

    def close(self) -> None:
        """Wait until every chunk is in; raise what went wrong on the way."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        with self._conn.cursor() as cur:
            while (item := self._queue.get()) is not None:
                if self._error is not None:
                    continue  # drain, so the producer never blocks on a dead writer
                table, lines = item
                try:
                    cur.copy_expert(f"COPY {table} ({self._columns[table]}) FROM STDIN {self._options}",
                                    io.StringIO("".join(lines)), size=1 << 20)
                except BaseException as exc:
                    self._error = exc

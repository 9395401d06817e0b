"""What a block of bulk work cost the PostgreSQL server: the CPU seconds of the whole server (every backend,
its parallel workers, the WAL writer and checkpointer) and the WAL bytes written. On a shared, noisy
machine these say what a change to the SQL moved better than the wall clock, which other work stretches.

The CPU is read from /proc: the postmaster's own time and that of the children it has reaped (a parallel
worker is gone by the end of its query), plus that of its live children. A server on another machine
(BSS_TEST_PG pointing at a container) has no such figures; WAL is reported either way."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from services.common.db import connect

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def server_cpu(postmaster: int) -> float | None:
    """Seconds of CPU the server has used since it started (None when it is not a process here)."""
    # After ")": state is field 0, ppid 1, utime 11, stime 12, cutime 13, cstime 14. A child reaped while
    # the children are read would be in neither sum (a session the bench just closed, its whole CPU
    # then counted inside the block): read again until no child was reaped meanwhile.
    while True:
        own = _stat(postmaster)
        if own is None:
            return None
        children = 0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                child = _stat(int(entry.name))
                if child is not None and int(child[1]) == postmaster:
                    children += int(child[11]) + int(child[12])
        again = _stat(postmaster)
        if again is not None and again[13:15] == own[13:15]:
            return (sum(int(own[i]) for i in (11, 12, 13, 14)) + children) / CLOCK_TICKS


def _postmaster_and_wal(url: str) -> tuple[int | None, int]:
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")
            wal = int(cur.fetchone()[0])
            try:
                cur.execute("SELECT current_setting('data_directory')")
                pid_file = Path(cur.fetchone()[0]) / "postmaster.pid"
                return int(pid_file.read_text().split()[0]), wal
            except Exception:  # noqa: BLE001 - not a superuser, or the server is elsewhere: no CPU figure
                conn.rollback()
                return None, wal
    finally:
        conn.close()


@contextmanager
def server_cost(url: str) -> Iterator[dict]:
    """Fills the yielded dict, after the block, with `postgres_cpu_s` (None when unknown) and `wal_mb`."""
    postmaster, wal_before = _postmaster_and_wal(url)
    cpu_before = server_cpu(postmaster) if postmaster else None
    figures: dict = {}
    yield figures
    cpu_after = server_cpu(postmaster) if postmaster else None
    _, wal_after = _postmaster_and_wal(url)
    figures["postgres_cpu_s"] = (round(cpu_after - cpu_before, 1)
                                 if cpu_before is not None and cpu_after is not None else None)
    figures["wal_mb"] = round((wal_after - wal_before) / 2**20)

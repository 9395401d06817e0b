"""Who opened which customer's personal data (table pi_access): kept in memory as the views are answered and
written in batches once a second, so that a 360 view costs an append, not a round trip to the database.

A batch the database refuses stays in memory and is tried again; past MAX_PENDING entries the oldest are
dropped, and counted in the log, rather than the gateway's memory growing while PostgreSQL is away."""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from datetime import datetime, timedelta, timezone

from typing import Iterable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from services.common.db import Database

from . import store
from .auth import User
from .deps import client_address

log = logging.getLogger(__name__)
FLUSH_SECONDS = 1.0
MAX_PENDING = 200_000  # a few minutes of views at full load


def opened(request: Request, user: User, customer_nos: Iterable[str], purpose: str) -> None:
    """These customers' personal data, answered to `user` by the route `purpose` names: in the access log."""
    log, address = request.app.state.access_log, client_address(request)
    for customer_no in customer_nos:
        log.record(user, customer_no, purpose, address)


class AccessLog:
    def __init__(self, db: Database):
        self.db = db
        self.pending: deque[tuple] = deque()
        self.dropped = 0
        self.last = datetime.min.replace(tzinfo=timezone.utc)

    def record(self, user: User, customer_no: str, purpose: str, address: str) -> None:
        if len(self.pending) >= MAX_PENDING:
            self.pending.popleft()
            self.dropped += 1
        self.pending.append((self._stamp(), user.username, user.role.value, customer_no, purpose, address))

    def _stamp(self) -> datetime:
        """Now, and later than every entry recorded before: the clock advances in steps coarser than the
        microsecond it is read in (three readings in four equal the one before), so views recorded one after
        another tied and were read back in any order."""
        now = datetime.now(timezone.utc)
        self.last = now if now > self.last else self.last + timedelta(microseconds=1)
        return self.last

    def flush(self) -> int:
        """Write what is pending; returns how many rows were written. Called where `record` is (the event
        loop's thread), so that no entry is recorded into a batch already taken."""
        batch = self._take()
        try:
            self._write(batch)
        except BaseException:
            self._put_back(batch)
            raise
        return len(batch)

    async def run(self) -> None:
        """Flush every FLUSH_SECONDS until cancelled, then once more."""
        try:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                await self._flush_quietly()
        finally:
            await self._flush_quietly()

    async def _flush_quietly(self) -> None:
        # Taken and put back here, in the event loop's thread as `record` is; only the write leaves it.
        batch = self._take()
        try:
            await run_in_threadpool(self._write, batch)
        except Exception:  # noqa: BLE001 - the database is away: the entries wait for the next flush
            self._put_back(batch)
            log.warning("personal data accesses not written yet", exc_info=True, extra={"pending": len(self.pending)})

    def _take(self) -> deque:
        batch, self.pending = self.pending, deque()
        return batch

    def _write(self, batch: deque) -> None:
        if batch:
            with self.db.transaction() as cur:
                store.insert_accesses(cur, list(batch))
        if self.dropped:
            log.warning("personal data accesses dropped while the database was away", extra={"count": self.dropped})
            self.dropped = 0

    def _put_back(self, batch: deque) -> None:
        """In front of what came since; past MAX_PENDING the oldest go."""
        batch.extend(self.pending)
        while len(batch) > MAX_PENDING:
            batch.popleft()
            self.dropped += 1
        self.pending = batch


def accesses(db: Database, customer_no: str, offset: int, limit: int) -> tuple[list[dict], int]:
    """Who opened the customer's personal data, newest first, and how many times in all."""
    with db.transaction() as cur:
        return store.accesses(cur, customer_no, offset, limit)

"""Requests for the same kind of answer, made while a call for it is in flight, wait and go to the peer
together in the next call (natural batching, as a DataLoader or Nagle's algorithm does it).

At a few hundred 360 views a second, each view's three gRPC calls cost more in fixed per-call work (the
call's set-up at both ends, a statement's round trip) than in the rows they read. An idle gateway still
sends each request's call at once, alone; under load a call carries every request that came meanwhile,
so the fixed cost is shared as the load grows, and nothing waits on a timer.
"""
from __future__ import annotations

import asyncio
import itertools
from typing import Awaitable, Callable, Generic, Hashable, Mapping, NamedTuple, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
# (keys, the correlation ids of the requests asking for them, seconds the call may take) -> answers by key
Fetch = Callable[[list[K], list[str], float], Awaitable[Mapping[K, V]]]
# A call whose oldest request has used up its time while it waited still goes, with this long to answer.
LAST_CHANCE_SECONDS = 0.05


class Waiter(NamedTuple):
    future: asyncio.Future
    correlation_id: str
    asked_at: float


class Coalescer(Generic[K, V]):
    """`await coalescer.get(key, correlation_id)`: the peer's answer for `key`, or None when it has none.

    At most `in_flight` calls run at once, each with at most `max_batch` keys; a key asked twice while it
    waits is fetched once. A request waits at most `timeout` in all: a call's deadline is what remains of
    its oldest request's, so time spent waiting for the call in flight is not given again. A failed call
    fails every request in it with the call's error, as it would have failed each of them alone."""

    def __init__(self, fetch: Fetch, timeout: float, in_flight: int = 1, max_batch: int = 64):
        if in_flight < 1 or max_batch < 1 or timeout <= 0:
            raise ValueError("in_flight and max_batch must be at least 1, and timeout positive")
        self._fetch = fetch
        self._timeout = timeout
        self._in_flight = in_flight
        self._max_batch = max_batch
        self._waiting: dict[K, list[Waiter]] = {}
        self._running: set[asyncio.Task] = set()

    async def get(self, key: K, correlation_id: str = "") -> V | None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.setdefault(key, []).append(Waiter(future, correlation_id, loop.time()))
        if len(self._running) < self._in_flight:
            self._launch()
        return await future

    def _launch(self) -> None:
        batch = {k: self._waiting.pop(k) for k in list(itertools.islice(self._waiting, self._max_batch))}
        task = asyncio.create_task(self._call(batch))
        self._running.add(task)

    async def _call(self, batch: dict[K, list[Waiter]]) -> None:
        waiters = [w for ws in batch.values() for w in ws]
        try:
            ids = list(dict.fromkeys(w.correlation_id for w in waiters if w.correlation_id))
            oldest = min(w.asked_at for w in waiters)
            left = self._timeout - (asyncio.get_running_loop().time() - oldest)
            answers = await self._fetch(list(batch), ids, max(left, LAST_CHANCE_SECONDS))
        except asyncio.CancelledError:  # the gateway is stopping
            for w in waiters:
                w.future.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - every waiter gets the call's outcome, whatever it is
            for w in waiters:
                if not w.future.done():
                    w.future.set_exception(exc)
        else:
            for k, ws in batch.items():
                answer = answers.get(k)
                for w in ws:
                    if not w.future.done():  # its request was cancelled (the client went away)
                        w.future.set_result(answer)
        finally:
            self._running.discard(asyncio.current_task())
            if self._waiting and len(self._running) < self._in_flight:
                self._launch()

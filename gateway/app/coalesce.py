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
from typing import Awaitable, Callable, Generic, Hashable, Mapping, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
# (keys, the correlation ids of the requests asking for them) -> the answers found, by key
Fetch = Callable[[list[K], list[str]], Awaitable[Mapping[K, V]]]


class Coalescer(Generic[K, V]):
    """`await coalescer.get(key, correlation_id)`: the peer's answer for `key`, or None when it has none.

    At most `in_flight` calls run at once, each with at most `max_batch` keys; a key asked twice while it
    waits is fetched once. A failed call fails every request in it with the call's error, as it would
    have failed each of them alone."""

    def __init__(self, fetch: Fetch, in_flight: int = 1, max_batch: int = 64):
        if in_flight < 1 or max_batch < 1:
            raise ValueError("in_flight and max_batch must be at least 1")
        self._fetch = fetch
        self._in_flight = in_flight
        self._max_batch = max_batch
        self._waiting: dict[K, list[tuple[asyncio.Future, str]]] = {}
        self._running: set[asyncio.Task] = set()

    async def get(self, key: K, correlation_id: str = "") -> V | None:
        future = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append((future, correlation_id))
        if len(self._running) < self._in_flight:
            self._launch()
        return await future

    def _launch(self) -> None:
        batch = {k: self._waiting.pop(k) for k in list(itertools.islice(self._waiting, self._max_batch))}
        task = asyncio.create_task(self._call(batch))
        self._running.add(task)

    async def _call(self, batch: dict[K, list[tuple[asyncio.Future, str]]]) -> None:
        try:
            ids = list(dict.fromkeys(cid for waiters in batch.values() for _, cid in waiters if cid))
            answers = await self._fetch(list(batch), ids)
        except asyncio.CancelledError:  # the gateway is stopping
            for waiters in batch.values():
                for future, _ in waiters:
                    future.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - every waiter gets the call's outcome, whatever it is
            for waiters in batch.values():
                for future, _ in waiters:
                    if not future.done():
                        future.set_exception(exc)
        else:
            for k, waiters in batch.items():
                answer = answers.get(k)
                for future, _ in waiters:
                    if not future.done():  # its request was cancelled (the client went away)
                        future.set_result(answer)
        finally:
            self._running.discard(asyncio.current_task())
            if self._waiting and len(self._running) < self._in_flight:
                self._launch()

"""The gateway's coalescer: requests made while a call is in flight go together in the next call."""
import asyncio

import pytest

from gateway.app.coalesce import LAST_CHANCE_SECONDS, Coalescer
from gateway.app.grpc_clients import CORRELATION_BUDGET, Client


class Peer:
    """Answers each key with its upper case, except keys starting with "x" (unknown); records every call.
    A call waits for `release` when one is given, so a test decides when it comes back."""

    def __init__(self, release: asyncio.Event | None = None, fail: Exception | None = None):
        self.calls: list[tuple[list[str], list[str]]] = []
        self.timeouts: list[float] = []
        self.release = release
        self.fail = fail

    async def fetch(self, keys: list[str], ids: list[str], timeout: float) -> dict[str, str]:
        self.calls.append((keys, ids))
        self.timeouts.append(timeout)
        if self.release is not None:
            await self.release.wait()
        else:
            await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail
        return {k: k.upper() for k in keys if not k.startswith("x")}


TIMEOUT = 5.0


def run(coro):
    return asyncio.run(coro)


def test_an_idle_coalescer_calls_at_once_for_one_key():
    async def scenario():
        peer = Peer()
        answer = await Coalescer(peer.fetch, TIMEOUT).get("a", "req-1")
        return answer, peer.calls, peer.timeouts
    answer, calls, timeouts = run(scenario())
    assert (answer, calls) == ("A", [(["a"], ["req-1"])]) and 4.9 < timeouts[0] <= TIMEOUT


def test_keys_asked_while_a_call_is_in_flight_go_together_in_the_next():
    async def scenario():
        release = asyncio.Event()
        peer = Peer(release)
        coalescer = Coalescer(peer.fetch, TIMEOUT)
        first = asyncio.create_task(coalescer.get("a", "r1"))
        await asyncio.sleep(0)
        rest = [asyncio.create_task(coalescer.get(k, f"r-{k}")) for k in ("b", "c", "b", "x1")]
        await asyncio.sleep(0)
        assert len(peer.calls) == 1  # the others wait for the call in flight
        release.set()
        return await first, await asyncio.gather(*rest), peer.calls
    first, rest, calls = run(scenario())
    assert first == "A" and rest == ["B", "C", "B", None]
    # One call for the waiting keys, each once, with every request's correlation id.
    assert calls == [(["a"], ["r1"]), (["b", "c", "x1"], ["r-b", "r-c", "r-x1"])]


def test_in_flight_and_batch_size_are_bounded():
    async def scenario():
        release = asyncio.Event()
        peer = Peer(release)
        coalescer = Coalescer(peer.fetch, TIMEOUT, in_flight=2, max_batch=2)
        tasks = [asyncio.create_task(coalescer.get(k)) for k in "abcdef"]
        for _ in range(3):  # the requests ask, then the calls they launched start
            await asyncio.sleep(0)
        in_flight = len(peer.calls)
        release.set()
        return in_flight, await asyncio.gather(*tasks), peer.calls
    in_flight, answers, calls = run(scenario())
    assert in_flight == 2 and answers == list("ABCDEF")
    assert [keys for keys, _ in calls] == [["a"], ["b"], ["c", "d"], ["e", "f"]]


def test_a_failed_call_fails_each_request_in_it_and_the_next_call_still_goes():
    async def scenario():
        release = asyncio.Event()
        peer = Peer(release, fail=RuntimeError("peer down"))
        coalescer = Coalescer(peer.fetch, TIMEOUT)
        tasks = [asyncio.create_task(coalescer.get(k)) for k in "ab"]
        await asyncio.sleep(0)
        release.set()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        peer.fail = None
        return outcomes, await coalescer.get("c")
    outcomes, after = run(scenario())
    assert [str(o) for o in outcomes] == ["peer down", "peer down"] and after == "C"


def test_a_request_that_goes_away_leaves_the_others_their_answers():
    async def scenario():
        release = asyncio.Event()
        peer = Peer(release)
        coalescer = Coalescer(peer.fetch, TIMEOUT)
        blocker = asyncio.create_task(coalescer.get("a"))
        await asyncio.sleep(0)
        gone, kept = asyncio.create_task(coalescer.get("b")), asyncio.create_task(coalescer.get("b"))
        await asyncio.sleep(0)
        gone.cancel()
        release.set()
        return await blocker, await kept, gone.cancelled()
    assert run(scenario()) == ("A", "B", True)


def test_sizes_below_one_are_refused():
    for bad in ({"in_flight": 0}, {"max_batch": 0}, {"timeout": 0}):
        with pytest.raises(ValueError):
            Coalescer(Peer().fetch, **{"timeout": TIMEOUT, **bad})


def test_a_call_gets_what_remains_of_its_oldest_requests_time():
    async def scenario():
        release = asyncio.Event()
        peer = Peer(release)
        coalescer = Coalescer(peer.fetch, 0.5)
        first = asyncio.create_task(coalescer.get("a"))
        await asyncio.sleep(0)
        late = asyncio.create_task(coalescer.get("b"))
        await asyncio.sleep(0.3)  # "b" waits this long for the call in flight
        release.set()
        await asyncio.gather(first, late)
        release.clear()
        starved = asyncio.create_task(coalescer.get("c"))
        await asyncio.sleep(0)
        overdue = asyncio.create_task(coalescer.get("d"))
        await asyncio.sleep(0.6)  # longer than "d" may wait at all: its call still goes, briefly
        release.set()
        await asyncio.gather(starved, overdue)
        return peer.timeouts
    first, late, starved, overdue = run(scenario())
    assert 0.45 < first <= 0.5 and 0.45 < starved <= 0.5 and 0.1 < late < 0.25 and overdue == LAST_CHANCE_SECONDS


def test_a_batched_call_carries_the_correlation_ids_that_fit_grpcs_metadata_limit():
    short = Client(stub=None, correlation_ids=["a", "b"], timeout=1)._metadata
    assert short == (("x-correlation-id", "a"), ("x-correlation-id", "b"))
    long_ids = [f"{n:03d}" + "x" * 125 for n in range(64)]  # the longest id a client may send, 64 of them
    carried = [cid for _, cid in Client(stub=None, correlation_ids=long_ids, timeout=1)._metadata]
    assert carried == long_ids[:len(carried)] and sum(len(c) + 48 for c in carried) <= CORRELATION_BUDGET < 8192

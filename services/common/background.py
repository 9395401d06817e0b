"""A long job started by a request that must answer within the caller's deadline (a billing run, a
conversion campaign): the job runs on a thread of its own, and the request answers with its result when it
ends within a few seconds, or else with the job's record, still running, for the caller to follow."""
from __future__ import annotations

import logging
import threading
from typing import Callable, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def awaited(work: Callable[[threading.Event], T], wait_seconds: float, name: str) -> T | None:
    """Run `work(claimed)` on its own thread and wait until it sets `claimed` (its record exists, so a
    caller answered "running" can read it) or ends, then up to `wait_seconds` for it to end. Answers its
    result, raises its error, or answers None while it still runs; an error after that is logged."""
    claimed, finished = threading.Event(), threading.Event()
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = work(claimed)
        except BaseException as exc:  # noqa: BLE001 -- handed to the caller, or logged when it left
            outcome["error"] = exc
            log.exception("%s failed", name)
        finally:
            claimed.set()
            finished.set()

    threading.Thread(target=run, name=name, daemon=True).start()
    claimed.wait()
    finished.wait(wait_seconds)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")

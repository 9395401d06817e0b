"""`Idempotency-Key` for every POST that creates something or moves money: a retried request (a timeout,
a double click, a flaky counter network) returns the first answer instead of acting twice.

A route takes `once: Idempotent` and wraps its work: `return await once(make_response)`. Then, per user
and key (keys are per user: nobody can collide with or replay another's):
- a new key runs the work and remembers its answer (status, body, headers) for TTL;
- the same key with the same request (method, path and body) answers the remembered one, marked
  `Idempotent-Replayed: true`, without calling any service;
- the same key with another request is 422 idempotency-key-reused;
- the same key while its first request still runs is 409 idempotency-key-in-flight.
Only a success is remembered. A failure releases the key, so the retry runs again: a refusal by the
domain (a duplicate customer, an invalid number) comes out the same, and a back-end that was down may
have come back. Without the header a request runs as always.
"""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Annotated, Awaitable, Callable

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from services.common.db import Database

from . import store
from .deps import CurrentUser, DbDep
from .problems import Problem

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = timedelta(hours=24)
# A request runs within the gRPC deadline; a key held longer than this was left by a gateway that died.
ABANDONED = timedelta(minutes=1)
# Headers that belong to one transmission, not to the answer.
_NOT_REPLAYED = frozenset({"content-length", "content-type", "x-request-id"})


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests the same one: JSON bodies compare by content, not by key order or spacing."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), canonical])).hexdigest()


class Once:
    def __init__(self, db: Database, username: str, key: str | None, method: str, path: str, request_hash: str):
        self.db, self.username, self.key = db, username, key
        self.method, self.path, self.request_hash = method, path, request_hash

    def required(self, what: str) -> str:
        """The key, which a route that moves money cannot do without (a retried refund would refund twice)."""
        if self.key is None:
            raise Problem(400, "idempotency-key-required",
                          f"{what}: send an {HEADER} header (a new UUID per operation, resent on a retry)")
        return self.key

    async def __call__(self, make: Callable[[], Awaitable[Response]]) -> Response:
        if self.key is None:
            return await make()
        if (remembered := await run_in_threadpool(self._claim)) is not None:
            return remembered
        try:
            response = await make()
        except BaseException:
            await run_in_threadpool(self._release)
            raise
        await run_in_threadpool(self._finish, response)
        return response

    def _claim(self) -> Response | None:
        """None when this request now holds the key; else the remembered answer (or a Problem)."""
        with self.db.transaction() as cur:
            if store.claim_idempotency_key(cur, self.username, self.key, self.method, self.path,
                                           self.request_hash, TTL.total_seconds(), ABANDONED.total_seconds()):
                store.forget_expired_idempotency_keys(cur, TTL.total_seconds())
                return None
            row = store.idempotency_key(cur, self.username, self.key)
        if row is not None and row["request_hash"] != self.request_hash:
            raise Problem(422, "idempotency-key-reused",
                          f"this {HEADER} was used for another request; send a new key for a new request")
        if row is None or row["status_code"] is None:
            raise Problem(409, "idempotency-key-in-flight",
                          f"the first request with this {HEADER} is still running; retry shortly",
                          {"Retry-After": "1"})
        return JSONResponse(row["response_body"], status_code=row["status_code"],
                            headers={**(row["response_headers"] or {}), REPLAYED_HEADER: "true"})

    def _finish(self, response: Response) -> None:
        headers = {name: value for name, value in response.headers.items() if name not in _NOT_REPLAYED}
        with self.db.transaction() as cur:
            store.finish_idempotency_key(cur, self.username, self.key, response.status_code,
                                         json.loads(response.body), headers)

    def _release(self) -> None:
        with self.db.transaction() as cur:
            store.release_idempotency_key(cur, self.username, self.key)


async def _once(request: Request, user: CurrentUser, db: DbDep,
                key: Annotated[str | None, Header(
                    alias=HEADER, min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
                    description="A new random key (e.g. a UUID) per operation; resend it on a retry")] = None,
                ) -> Once:
    body = await request.body()
    return Once(db, user.username, key, request.method, request.url.path,
                fingerprint(request.method, request.url.path, body))


Idempotent = Annotated[Once, Depends(_once)]

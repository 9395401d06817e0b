"""A correlation id per request: the caller's X-Request-ID when it is sane, else a new one. It is echoed
in the response, set for our logs and passed to every peer call, so one id follows a request everywhere."""
from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.logs import correlation_id

HEADER = "X-Request-ID"
# A client's id ends up in our logs and headers; anything longer or stranger is replaced, not trusted.
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def pick(header_value: str | None) -> str:
    if header_value and _SANE.fullmatch(header_value):
        return header_value
    return str(uuid.uuid4())


class CorrelationMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw = headers.get(HEADER.lower().encode())
        cid = pick(raw.decode("latin-1") if raw else None)
        scope.setdefault("state", {})["correlation_id"] = cid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = cid
            await send(message)

        token = correlation_id.set(cid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            correlation_id.reset(token)

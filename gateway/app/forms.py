"""Form bodies (application/x-www-form-urlencoded, the sign-in's) read as the URL standard reads them: bytes,
percent-encoded or not, make UTF-8 text. Starlette decodes a byte that was not percent-encoded as Latin-1,
so `curl -d 'username=zhang&password=新密码…'` (curl sends the UTF-8 bytes as they are) failed to sign in
with the right password. Such bytes are percent-encoded here before the form is parsed, which gives the
same text a browser's encoded form gives.

Only a body up to MAX_BYTES is rewritten; a longer one (no form of this API is) passes as it came."""
from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BYTES = 64 * 1024
_RAW = re.compile(rb"[\x80-\xff]")


def percent_encoded(body: bytes) -> bytes:
    """The body with every byte outside ASCII percent-encoded."""
    return _RAW.sub(lambda m: b"%%%02X" % m.group()[0], body)


def _is_form(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";")[0].strip().lower() == b"application/x-www-form-urlencoded"
    return False


class Utf8FormMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_form(scope):
            await self.app(scope, receive, send)
            return
        # The body is read ahead (up to MAX_BYTES), then handed on, rewritten when it is whole.
        read: list[Message] = []
        size, whole = 0, False
        while size <= MAX_BYTES:
            message = await receive()
            read.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                whole = True
                break
        if whole and size <= MAX_BYTES:
            body = b"".join(m.get("body", b"") for m in read)
            read = [{"type": "http.request", "body": percent_encoded(body) if not body.isascii() else body,
                     "more_body": False}]

        async def replay() -> Message:
            return read.pop(0) if read else await receive()

        await self.app(scope, replay, send)

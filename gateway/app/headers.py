"""Headers every answer needs, set in one place: `X-Content-Type-Options: nosniff` on all of them,
`Cache-Control: no-store` on the API's (they carry personal data and tokens, which no browser or proxy
cache may keep), and an `Allow` that lists every method of the path, for OPTIONS and for 405.

Starlette answers 405 with the methods of the first route whose path matched, but GET and POST of one
path are two routes, so its Allow names only one of them; the union is computed here from the app's
route table instead."""
from __future__ import annotations

from typing import Iterable

from fastapi.routing import iter_route_contexts
from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A mounted app (the docs' static files) answers reads only.
MOUNT_METHODS = frozenset({"GET", "HEAD"})
NOSNIFF = {"X-Content-Type-Options": "nosniff"}


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> set[str]:
    """Every method some route answers at this path; empty when no route has the path."""
    methods: set[str] = set()
    # FastAPI keeps included routers as nested groups; these are the routes as the app really serves them.
    for route in iter_route_contexts(routes):
        match, _ = route.matches(scope)
        if match is Match.NONE:
            continue
        methods |= MOUNT_METHODS if isinstance(route.original_route, Mount) else set(route.methods or ())
    if methods:
        methods.add("OPTIONS")
    return methods


def allow_header(methods: set[str]) -> str:
    return ", ".join(sorted(methods))


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, private_prefix: str):
        self.app = app
        self.private_prefix = private_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        routes = scope["app"].router.routes
        private = scope["path"].startswith(self.private_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(NOSNIFF)
                if private:
                    headers["Cache-Control"] = "no-store"
                if message["status"] == 405:
                    headers["Allow"] = allow_header(allowed_methods(routes, scope))
            await send(message)

        if scope["method"] == "OPTIONS" and (methods := allowed_methods(routes, scope)):
            await send_with_headers({"type": "http.response.start", "status": 204,
                                     "headers": [(b"allow", allow_header(methods).encode())]})
            await send_with_headers({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send_with_headers)

"""The gateway's requests in the process's metrics (services/common/metrics.py): by method, route template and
status, and how long each took. Plain ASGI, as the correlation and headers middleware are: a few microseconds
a request."""
from __future__ import annotations

import time

from services.common.metrics import HTTP_REQUESTS, HTTP_SECONDS


class MetricsMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500

        async def sending(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = template(scope["path"], getattr(scope.get("route"), "path", None))
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_SECONDS.labels(scope["method"], route).observe(time.perf_counter() - started)


def template(path: str, route: str | None) -> str:
    """The matched route's template with the prefix it was included under (/api/v1), never the path itself,
    whose customer and order numbers would make a series per record. The router names the route without the
    prefix; its segments are the path's last ones (no parameter here spans a slash)."""
    if not route:
        return "unmatched"
    parts = path.split("/")
    return "/".join(parts[:len(parts) - route.count("/")]) + route

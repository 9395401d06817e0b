"""Every error the gateway answers is RFC 9457 problem+json with a stable `type`, built here and only here.

Errors from peers arrive as gRPC status codes with the domain's reason slug in the `bss-reason` trailing
metadata; the slug becomes the problem type, so clients can branch on it without parsing prose.
"""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, Iterable

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.errors import REASON_METADATA_KEY

from .headers import NOSNIFF

PROBLEM_BASE = "https://bss.example/problems/"
MEDIA_TYPE = "application/problem+json"

GRPC_TO_HTTP: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
    grpc.StatusCode.PERMISSION_DENIED: 403,
}
PEER_FAILURE_STATUS = 502

# What an API route may answer besides success, declared in the OpenAPI document so that clients (and
# contract tests) know errors come as problem+json, not as FastAPI's default application/json 422.
API_PROBLEM_STATUSES = (400, 401, 403, 404, 409, 422, 502, 503)
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem", "type": "object", "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "description": "stable URI of the problem kind; branch on this"},
        "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
        "instance": {"type": "string"}, "correlationId": {"type": "string"},
        "errors": {"type": "array", "description": "what did not match the API (validation errors only)",
                   "items": {"type": "object", "properties": {
                       "loc": {"type": "string"}, "msg": {"type": "string"}, "type": {"type": "string"}}}},
    },
}

log = logging.getLogger(__name__)


class Problem(Exception):
    """An error the gateway itself detects (authentication, roles, a bad `fields=`)."""

    def __init__(self, status: int, reason: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail
        self.headers = headers


def title_of(reason: str) -> str:
    # Derived from the slug, so a type always has the same title whatever the occurrence.
    return reason.replace("-", " ").capitalize()


def reason_of_status(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")


def problem_body(status: int, reason: str, detail: str, instance: str, **extensions: Any) -> dict[str, Any]:
    return {"type": PROBLEM_BASE + reason, "title": title_of(reason), "status": status,
            "detail": detail, "instance": instance, **extensions}


def grpc_problem(code: grpc.StatusCode | None, details: str | None,
                 trailing: Iterable[tuple[str, str]] | None) -> tuple[int, str, str]:
    """(http status, reason slug, detail) for a failed gRPC call."""
    code = code or grpc.StatusCode.UNKNOWN
    status = GRPC_TO_HTTP.get(code, PEER_FAILURE_STATUS)
    reason = dict(trailing or ()).get(REASON_METADATA_KEY) or code.name.lower().replace("_", "-")
    if status >= 500:
        # A transport or server failure says nothing a client can act on and may name internal hosts.
        detail = "a back-end service is unavailable" if status == 503 else "a back-end service failed"
    else:
        detail = details or title_of(reason)
    return status, reason, detail


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    # Only location, message and type: pydantic's `input` and `ctx` may echo a password or a huge body.
    return [{"loc": ".".join(str(p) for p in err.get("loc", ())), "msg": str(err.get("msg", "")),
             "type": str(err.get("type", ""))} for err in exc.errors()]


def _respond(request: Request, status: int, reason: str, detail: str,
             headers: dict[str, str] | None = None, **extensions: Any) -> JSONResponse:
    body = problem_body(status, reason, detail, request.url.path, **extensions)
    if correlation := getattr(request.state, "correlation_id", None):
        body["correlationId"] = correlation
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


async def _on_problem(request: Request, exc: Problem) -> JSONResponse:
    return _respond(request, exc.status, exc.reason, exc.detail, exc.headers)


async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return _respond(request, exc.status_code, reason_of_status(exc.status_code), str(exc.detail), exc.headers)


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    return _respond(request, 422, "validation-error", "the request does not match the API",
                    errors=validation_errors(exc))


async def _on_grpc(request: Request, exc: grpc.RpcError) -> JSONResponse:
    code, details = exc.code(), exc.details()
    status, reason, detail = grpc_problem(code, details, exc.trailing_metadata())
    if status >= 500:
        log.warning("peer call failed", extra={"code": code.name if code else None, "details": details,
                                               "path": request.url.path})
    return _respond(request, status, reason, detail)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", extra={"path": request.url.path})
    # Answered outside every middleware (Starlette's last resort), so it sets its own headers.
    return _respond(request, 500, "internal-error", "an unexpected error occurred",
                    {**NOSNIFF, "Cache-Control": "no-store"})


def documented(statuses: Iterable[int] = API_PROBLEM_STATUSES) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these statuses, each an RFC 9457 problem."""
    return {status: {"description": HTTPStatus(status).phrase, "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}}
            for status in statuses}


def install(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(grpc.RpcError, _on_grpc)
    app.add_exception_handler(Exception, _on_unexpected)

"""One error vocabulary for every service. Each error knows its gRPC status and a stable reason slug,
which the gateway turns into a problem+json `type`. Domain code raises these and nothing else."""
from __future__ import annotations

import grpc


class DomainError(Exception):
    status = grpc.StatusCode.UNKNOWN
    reason = "error"

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.message = message
        if reason:
            self.reason = reason


class NotFound(DomainError):
    status = grpc.StatusCode.NOT_FOUND
    reason = "not-found"


class AlreadyExists(DomainError):
    status = grpc.StatusCode.ALREADY_EXISTS
    reason = "already-exists"


class InvalidArgument(DomainError):
    status = grpc.StatusCode.INVALID_ARGUMENT
    reason = "invalid-argument"


class IllegalTransition(DomainError):
    status = grpc.StatusCode.FAILED_PRECONDITION
    reason = "illegal-transition"


class PermissionDenied(DomainError):
    """The caller's role or scope does not allow this on this record (a technician on another's order)."""
    status = grpc.StatusCode.PERMISSION_DENIED
    reason = "forbidden"


class Unavailable(DomainError):
    status = grpc.StatusCode.UNAVAILABLE
    reason = "unavailable"


REASON_METADATA_KEY = "bss-reason"

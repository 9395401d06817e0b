"""The audit trail's gRPC service, which every service's server offers on its own schema (the platform
registers it in grpc_server.build, as the calendar's): the entries of a record, or of a person."""
from __future__ import annotations

import json
from datetime import datetime

from bss.common.v1 import audit_pb2 as pb
from bss.common.v1 import audit_pb2_grpc as pb_grpc

from . import audit
from .db import Database
from .errors import InvalidArgument

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AuditTrailService"].full_name


def _moment(field: str, value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        raise InvalidArgument(f"{field} {value[:40]!r} is not a time like 2026-12-01T08:00:00+08:00",
                              reason="invalid-time") from None


class AuditTrailServicer(pb_grpc.AuditTrailServiceServicer):
    def __init__(self, db: Database):
        self.db = db

    def ListAuditEntries(self, request, context):
        since, until = _moment("since", request.since), _moment("until", request.until)
        entity, key, actor = audit.query(request.entity, request.entity_key, request.actor, since, until)
        if not 1 <= request.limit <= audit.LIMIT_MAX:
            raise InvalidArgument(f"limit is 1 to {audit.LIMIT_MAX}", reason="invalid-audit-query")
        with self.db.transaction() as cur:
            rows, total = audit.entries(cur, entity, key, actor, since, until, request.limit)
        return pb.AuditEntries(count=total, entries=[pb.AuditEntry(
            id=r["id"], entity=r["entity"], entity_key=r["entity_key"], action=r["action"],
            changes_json=json.dumps(r["changes"], ensure_ascii=False), actor=r["actor"], at=r["at"].isoformat())
            for r in rows])


def register(server, db: Database) -> list[str]:
    pb_grpc.add_AuditTrailServiceServicer_to_server(AuditTrailServicer(db), server)
    return [SERVICE_NAME]

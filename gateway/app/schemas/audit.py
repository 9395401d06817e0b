"""The audit trail as the API shows it: every service's entries of a record or a person, merged."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bss.common.v1 import audit_pb2 as pb

from .base import ApiModel, Page


class AuditEntryPublic(ApiModel):
    service: str  # where the change was made and recorded: customer, billing, dispatch, gateway
    id: int
    entity: str
    entity_key: str
    action: str
    changes: dict[str, Any]
    actor: str
    at: datetime

    @classmethod
    def from_proto(cls, service: str, m: pb.AuditEntry) -> "AuditEntryPublic":
        return cls(service=service, id=m.id, entity=m.entity, entity_key=m.entity_key, action=m.action,
                   changes=json.loads(m.changes_json or "{}"), actor=m.actor, at=datetime.fromisoformat(m.at))

    @classmethod
    def from_row(cls, service: str, row: dict) -> "AuditEntryPublic":
        return cls(service=service, id=row["id"], entity=row["entity"], entity_key=row["entity_key"],
                   action=row["action"], changes=row["changes"], actor=row["actor"], at=row["at"])


class AuditEntriesPublic(Page[AuditEntryPublic]):
    # Services that did not answer: their entries are missing from this page (the count too).
    unavailable: list[str] = []


class AccessPublic(ApiModel):
    """One opening of a customer's personal data (gateway/app/access_log.py)."""
    at: datetime
    username: str
    role: str
    purpose: str  # what was opened, as its route
    address: str


class AccessPage(Page[AccessPublic]):
    pass

"""Who changed what, when: the audit trail of a record (a customer, a service, a mandate, a staff account...)
or of one person, from every service that keeps one, merged newest first. A service that does not answer is
named, not allowed to hide the others' entries."""
from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import grpc
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bss.common.v1 import audit_pb2 as pb
from bss.common.v1 import audit_pb2_grpc as pb_grpc
from services.common import audit
from services.common.db import Database
from services.common.errors import InvalidArgument
from services.common.inputrules import LABEL_MAX, SEARCH_MAX

from ..deps import AuditReader, DbDep, Limit, Offset
from ..fields import page
from ..grpc_clients import PEERS
from ..problems import Problem
from ..schemas.audit import AuditEntriesPublic, AuditEntryPublic

router = APIRouter(prefix="/auditEntries", tags=["audit"])
GATEWAY = "gateway"  # the gateway's own trail: staff accounts


def _own(db: Database, query: dict, wanted: int) -> tuple[list[AuditEntryPublic], int]:
    with db.transaction() as cur:
        rows, total = audit.entries(cur, query["entity"], query["entity_key"], query["actor"], query["since"],
                                    query["until"], wanted)
    return [AuditEntryPublic.from_row(GATEWAY, r) for r in rows], total


async def _peer(request: Request, peer: str, message: pb.ListAuditEntriesRequest) -> tuple[list[AuditEntryPublic], int]:
    client = request.app.state.channels.client(peer, request.state.correlation_id, pb_grpc.AuditTrailServiceStub)
    reply = await client.ListAuditEntries(message)
    return [AuditEntryPublic.from_proto(peer, e) for e in reply.entries], reply.count


@router.get("", response_model=AuditEntriesPublic)
async def list_entries(request: Request, user: AuditReader, db: DbDep,
                       entity: Annotated[str | None, Query(max_length=LABEL_MAX, pattern=r"^[a-z_]+$")] = None,
                       entity_key: Annotated[str | None, Query(alias="entityKey", max_length=SEARCH_MAX)] = None,
                       actor: Annotated[str | None, Query(max_length=LABEL_MAX)] = None,
                       since: datetime | None = None, until: datetime | None = None,
                       offset: Offset = 0, limit: Limit = 50) -> JSONResponse:
    """The entries of a record (`entity` and `entityKey`, e.g. service and S30000001) or of a person
    (`actor`), or both, in [since, until), newest first. Times need their offset (+08:00 or Z)."""
    # Asked here before the fan-out, or each service would refuse it and be reported as unavailable.
    try:
        entity, entity_key, actor = audit.query(entity, entity_key, actor, since, until)
    except InvalidArgument as exc:
        raise Problem(422, exc.reason, exc.message) from None
    if offset + limit > audit.LIMIT_MAX:
        raise Problem(422, "invalid-audit-query", f"offset and limit reach at most {audit.LIMIT_MAX} entries: narrow "
                                                  "the time instead")
    query = {"entity": entity, "entity_key": entity_key, "actor": actor, "since": since, "until": until}
    # Each keeps its newest offset + limit: enough for the merged page, whatever the others hold.
    wanted = offset + limit
    message = pb.ListAuditEntriesRequest(entity=entity or "", entity_key=entity_key or "", actor=actor or "",
                                         since=since.isoformat() if since else "",
                                         until=until.isoformat() if until else "", limit=wanted)
    answers = await asyncio.gather(run_in_threadpool(_own, db, query, wanted),
                                   *(_peer(request, peer.name, message) for peer in PEERS), return_exceptions=True)
    merged, total, unavailable = [], 0, []
    for name, answer in zip([GATEWAY, *(peer.name for peer in PEERS)], answers):
        if isinstance(answer, grpc.RpcError):
            unavailable.append(name)
        elif isinstance(answer, BaseException):
            raise answer
        else:
            merged.extend(answer[0])
            total += answer[1]
    merged.sort(key=lambda e: (e.at, e.service, e.id), reverse=True)
    return page(AuditEntriesPublic(data=merged[offset:offset + limit], count=total, unavailable=unavailable))

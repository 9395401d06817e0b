from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from bss.customer.v1 import customer_pb2 as pb

from ..deps import CustomerClient, ImportViewer
from ..schemas.matches import ImportRunPublic

router = APIRouter(prefix="/importRuns", tags=["importRuns"])

LATEST = 0  # the customer service's way of asking for the most recent run


@router.get("/latest")
async def latest_import_run(user: ImportViewer, client: CustomerClient) -> ImportRunPublic:
    return ImportRunPublic.from_proto(await client.GetImportRun(pb.GetImportRunRequest(run_id=LATEST)))


@router.get("/{runId}")
async def get_import_run(run_id: Annotated[int, Path(alias="runId", ge=1, le=2**63 - 1)], user: ImportViewer,
                         client: CustomerClient) -> ImportRunPublic:
    return ImportRunPublic.from_proto(await client.GetImportRun(pb.GetImportRunRequest(run_id=run_id)))

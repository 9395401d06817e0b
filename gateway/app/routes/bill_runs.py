"""Billing runs: start one for a period and cycle (or preview it as a dry run), and follow it."""
from __future__ import annotations

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from typing import Annotated

from bss.billing.v1 import runs_pb2 as rpb

from ..deps import BillRunClient, BillRunner
from ..fields import selected
from ..schemas.bill_runs import BillRunCreate, BillRunPublic

router = APIRouter(prefix="/billRuns", tags=["billing"])
RunNo = Annotated[str, Path(alias="runNo", min_length=2, max_length=20, pattern=r"^[Rr][0-9]+$")]
# A run that ended in this request was created; a rerun answers the run that billed the period; a run
# still going (a big cycle) is accepted and followed with GET.
STATUS_OF_OUTCOME = {"started": 201, "resumed": 201, "already-billed": 200, "dry-run": 200, "running": 202}


@router.post("", response_model=BillRunPublic, status_code=201,
             responses={200: {"description": "A dry run, or the period was billed already (alreadyBilled)"},
                        202: {"description": "Still running: follow it at Location"}})
async def start_bill_run(body: BillRunCreate, user: BillRunner, client: BillRunClient) -> JSONResponse:
    """Bill every account of the cycle for the period; idempotent, resumable after a crash."""
    run = BillRunPublic.from_proto(await client.StartBillRun(body.to_proto(user)))
    response = selected(run)
    response.status_code = STATUS_OF_OUTCOME.get(run.outcome, 200)
    if run.id:
        response.headers["Location"] = f"/api/v1/billRuns/{run.id}"
    return response


@router.get("/{runNo}", response_model=BillRunPublic)
async def get_bill_run(run_no: RunNo, user: BillRunner, client: BillRunClient) -> JSONResponse:
    return selected(BillRunPublic.from_proto(await client.GetBillRun(rpb.GetBillRunRequest(run_no=run_no))))

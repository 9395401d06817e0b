"""Dunning: the ladders (admin), a run now (supervisor), the steps an account took (front line), holds on
disputed bills (agent, supervisor), account tags that exempt, write-off decisions (supervisor)."""
from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from bss.billing.v1 import dunning_pb2 as pb

from ..deps import (AccountTagger, BillHolder, BillReader, DunningClient, DunningConfigurer, DunningReader,
                    DunningRunner, Limit, Offset, WriteOffDecider)
from ..fields import page, selected
from ..keys import AccountNo, BillNo, key
from ..schemas.billing import CustomerBillPublic
from ..schemas.dunning import (AccountTagsPublic, AccountTagsUpdate, BillHold, DunningRunCreate, DunningRunPublic,
                               DunningStepsPublic, LaddersPublic, LaddersUpdate, WriteOffDecision, WriteOffPublic,
                               WriteOffsPublic, actor)

router = APIRouter(tags=["dunning"])
WriteOffNo = Annotated[str, key("writeOffNo")]


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


@router.get("/dunningLadders", response_model=LaddersPublic)
async def list_ladders(user: DunningReader, client: DunningClient) -> JSONResponse:
    """The ladder per product category or kind of service, and the default."""
    return page(LaddersPublic.from_proto(await client.ListLadders(pb.ListLaddersRequest())))


@router.put("/dunningLadders", response_model=LaddersPublic)
async def replace_ladders(body: LaddersUpdate, user: DunningConfigurer, client: DunningClient) -> JSONResponse:
    """Replace the whole configuration (audited)."""
    return page(LaddersPublic.from_proto(await client.ReplaceLadders(body.to_proto(user))))


@router.post("/dunningRuns", response_model=DunningRunPublic)
async def run_dunning(user: DunningRunner, client: DunningClient, body: DunningRunCreate | None = None) -> JSONResponse:
    """Run the ladder now (the billing worker runs it on its own every minute); each step is taken once."""
    body = body or DunningRunCreate()
    return selected(DunningRunPublic.from_proto(await client.RunDunning(body.to_proto(user))))


@router.get("/accounts/{accountNo}/dunningSteps", response_model=DunningStepsPublic)
async def dunning_steps(account_no: AccountNo, user: BillReader, client: DunningClient,
                        offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    """Reminders, notices before suspension, suspensions and write-off proposals of the account's services,
    newest first: what an agent tells the customer who calls about them."""
    return page(DunningStepsPublic.from_proto(await client.ListDunningSteps(
        pb.ListDunningStepsRequest(account_no=account_no, offset=offset, limit=limit))))


@router.post("/customerBills/{billNo}/hold", response_model=CustomerBillPublic)
async def hold_bill(bill_no: BillNo, body: BillHold, user: BillHolder, client: DunningClient) -> JSONResponse:
    """Hold a disputed bill: neither collected nor dunned until released."""
    reply = await client.HoldBill(pb.HoldBillRequest(bill_no=bill_no, reason=body.reason, actor=actor(user)))
    return selected(CustomerBillPublic.from_proto(reply))


@router.post("/customerBills/{billNo}/release", response_model=CustomerBillPublic)
async def release_bill(bill_no: BillNo, user: BillHolder, client: DunningClient) -> JSONResponse:
    reply = await client.ReleaseBill(pb.ReleaseBillRequest(bill_no=bill_no, actor=actor(user)))
    return selected(CustomerBillPublic.from_proto(reply))


@router.put("/accounts/{accountNo}/tags", response_model=AccountTagsPublic)
async def set_account_tags(account_no: AccountNo, body: AccountTagsUpdate, user: AccountTagger,
                           client: DunningClient) -> JSONResponse:
    """Replace the account's tags (e.g. public_institution, which a ladder may exempt); audited."""
    reply = await client.SetAccountTags(pb.SetAccountTagsRequest(account_no=account_no, tags=body.tags,
                                                                 actor=actor(user)))
    return selected(AccountTagsPublic(account_no=reply.account_no, tags=list(reply.tags)))


@router.get("/writeOffs", response_model=WriteOffsPublic)
async def list_write_offs(user: WriteOffDecider, client: DunningClient,
                          state: Annotated[Literal["proposed", "approved", "rejected", "withdrawn"] | None,
                                           Query()] = None,
                          offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    return page(WriteOffsPublic.from_proto(await client.ListWriteOffs(
        pb.ListWriteOffsRequest(state=state or "", offset=offset, limit=limit))))


@router.post("/writeOffs/{writeOffNo}/{decision}", response_model=WriteOffPublic)
async def decide_write_off(write_off_no: WriteOffNo, decision: Decision, user: WriteOffDecider,
                           client: DunningClient, body: WriteOffDecision | None = None) -> JSONResponse:
    """Approve (the open overdue amount is written off in the ledger) or reject a proposal."""
    body = body or WriteOffDecision()
    reply = await client.DecideWriteOff(pb.DecideWriteOffRequest(
        write_off_no=write_off_no, decision=decision.value, note=body.note, actor=actor(user)))
    return selected(WriteOffPublic.from_proto(reply))

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from bss.customer.v1 import customer_pb2 as pb

from ..deps import CustomerClient, Limit, MatchReviewer, Offset
from ..fields import page
from ..schemas.customers import actor
from ..schemas.matches import MatchesPublic, MatchPublic

router = APIRouter(prefix="/customerMatches", tags=["customerMatches"])

MatchId = Annotated[int, Path(alias="matchId", ge=1, le=2**63 - 1)]


class Decision(StrEnum):
    ACCEPT = "accept"  # the two are one person: merge them
    REJECT = "reject"  # keep them apart


@router.get("", response_model=MatchesPublic)
async def list_matches(user: MatchReviewer, client: CustomerClient,
                       status: Annotated[Literal["pending", "accepted", "rejected"], Query()] = "pending",
                       offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    reply = await client.ListMatches(pb.ListMatchesRequest(status=status, offset=offset, limit=limit))
    return page(MatchesPublic.from_proto(reply, user.role))


@router.post("/{matchId}/{decision}")
async def decide_match(match_id: MatchId, decision: Decision, user: MatchReviewer,
                       client: CustomerClient) -> MatchPublic:
    decide = client.AcceptMatch if decision is Decision.ACCEPT else client.RejectMatch
    match = await decide(pb.DecideMatchRequest(match_id=match_id, actor=actor(user)))
    return MatchPublic.from_proto(match, user.role)

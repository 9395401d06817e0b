"""Conversion campaigns: a supervisor converts the analog homes of some areas in one request (one work order
per home, booked into the stations' slots), and follows it; its orders are GET /workOrders?campaignNo=."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from bss.dispatch.v1 import campaigns_pb2 as cpb

from ..deps import CampaignClient, CampaignReader, CampaignRunner
from ..fields import selected
from ..idempotency import Idempotent
from ..schemas.campaigns import CampaignCreate, CampaignPublic

router = APIRouter(prefix="/conversionCampaigns", tags=["work orders"])
CampaignNo = Annotated[str, Path(alias="campaignNo", min_length=2, max_length=20, pattern=r"^[Kk][0-9]+$")]
# Done within the request: created; still going (600,000 homes take longer than a request may): accepted,
# followed at Location; the same request again: the campaign it started.
STATUS_OF_OUTCOME = {"started": 201, "running": 202, "existing": 200}


@router.post("", response_model=CampaignPublic, status_code=201,
             responses={200: {"description": "This Idempotency-Key started the campaign before"},
                        202: {"description": "Still running: follow it at Location"}})
async def start_campaign(body: CampaignCreate, user: CampaignRunner, client: CampaignClient, request: Request,
                         once: Idempotent) -> JSONResponse:
    """One digital_conversion work order per analog home of the areas, each booked at once into the
    campaign's share of its station's slots on working days from startDay, in address order. Homes whose
    service already has an open work order are skipped and counted. `Idempotency-Key` is required."""
    key = once.required("it creates a work order per home")

    async def start() -> JSONResponse:
        campaign = CampaignPublic.from_proto(await client.StartCampaign(body.to_proto(user, f"{user.username}:{key}")))
        return JSONResponse(campaign.model_dump(mode="json", by_alias=True),
                            status_code=STATUS_OF_OUTCOME.get(campaign.outcome, 200),
                            headers={"Location": request.app.url_path_for("get_campaign", campaignNo=campaign.id)})
    return await once(start)


@router.get("/{campaignNo}", response_model=CampaignPublic)
async def get_campaign(campaign_no: CampaignNo, user: CampaignReader, client: CampaignClient) -> JSONResponse:
    """The campaign: its state, what it made per station (orders, first and last day) and its timings."""
    return selected(CampaignPublic.from_proto(await client.GetCampaign(cpb.GetCampaignRequest(campaign_no=campaign_no))))

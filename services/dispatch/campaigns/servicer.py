"""gRPC entry points of conversion campaigns: messages to handler calls and back."""
from __future__ import annotations

from bss.dispatch.v1 import campaigns_pb2 as cpb
from bss.dispatch.v1 import campaigns_pb2_grpc as cpb_grpc

from ..customer_lookup import CustomerLookup
from ..messages import actor, text
from ..settings import DispatchSettings
from .handlers import CampaignHandlers, CampaignReport, StartCampaign

SERVICE_NAME = cpb.DESCRIPTOR.services_by_name["CampaignService"].full_name


def campaign_pb(report: CampaignReport) -> cpb.Campaign:
    c, counts = report.campaign, report.campaign["counts"] or {}
    return cpb.Campaign(
        campaign_no=c["campaign_no"], name=c["name"], area_codes=c["area_codes"], start_day=text(c["start_day"]),
        visits_per_slot=c["visits_per_slot"], state=c["status"], outcome=report.outcome,
        requested_by=c["requested_by"], started_at=text(c["started_at"]), finished_at=text(c["finished_at"]),
        orders=counts.get("orders", 0), skipped=counts.get("skipped", 0), unrouted=counts.get("unrouted", 0),
        stations=[cpb.StationSchedule(station_code=s["stationCode"], station_name=s["stationName"], orders=s["orders"],
                                      first_day=s["firstDay"], last_day=s["lastDay"])
                  for s in counts.get("stations", [])],
        first_day=counts.get("firstDay") or "", last_day=counts.get("lastDay") or "",
        phases={k: float(v) for k, v in counts.get("phases", {}).items()}, error=c["error"] or "")


class CampaignServicer(cpb_grpc.CampaignServiceServicer):
    def __init__(self, handlers: CampaignHandlers):
        self.h = handlers

    def StartCampaign(self, request, context):
        return campaign_pb(self.h.start(StartCampaign(
            name=request.name, area_codes=list(request.area_codes), start_day=request.start_day,
            visits_per_slot=request.visits_per_slot, request_id=request.request_id, actor=actor(request.actor))))

    def GetCampaign(self, request, context):
        return campaign_pb(self.h.get(request.campaign_no))


def register(server, settings: DispatchSettings, db, customers: CustomerLookup) -> list[str]:
    cpb_grpc.add_CampaignServiceServicer_to_server(CampaignServicer(CampaignHandlers(db, settings, customers)), server)
    return [SERVICE_NAME]

"""Conversion campaigns on the wire: what a supervisor asks for, and what the campaign made, per station."""
from __future__ import annotations

from datetime import date

from pydantic import Field

from bss.dispatch.v1 import campaigns_pb2 as cpb

from ..auth import User
from .base import ApiModel, InputModel, opt
from .customers import AreaCode
from .work_orders import actor



class CampaignCreate(InputModel):
    """One digital_conversion visit per analog home of the areas, booked from `startDay` on."""
    name: str = Field(min_length=1, max_length=100, examples=["城东数字化整转 2027"])
    area_codes: list[AreaCode] = Field(min_length=1, max_length=100, examples=[["0101", "0102"]])
    start_day: date = Field(description="The first day visits are booked on (working days only)")
    visits_per_slot: int = Field(ge=1, le=10_000, description=(
        "The campaign's share of each station slot (AM, PM); a slot never holds more than the station's "
        "capacity, so where appointments are booked the campaign gets what is left"))

    def to_proto(self, user: User, request_id: str) -> cpb.StartCampaignRequest:
        return cpb.StartCampaignRequest(name=self.name, area_codes=self.area_codes,
                                        start_day=self.start_day.isoformat(), visits_per_slot=self.visits_per_slot,
                                        request_id=request_id, actor=actor(user))


class StationSchedulePublic(ApiModel):
    station_code: str
    station_name: str
    orders: int
    first_day: str
    last_day: str


class CampaignPublic(ApiModel):
    id: str  # the campaign number, K...
    name: str
    area_codes: list[str]
    start_day: str
    visits_per_slot: int
    # running | completed | failed
    state: str
    # started (done within this request) | running | existing (this request started it before)
    outcome: str
    requested_by: str
    started_at: str
    finished_at: str | None
    orders: int
    skipped: int  # homes whose service already has an open work order
    unrouted: int  # homes in an area no station covers
    stations: list[StationSchedulePublic]
    first_day: str | None
    last_day: str | None
    phases: dict[str, float]  # seconds: stream, load, schedule, orders, commit
    error: str | None

    @classmethod
    def from_proto(cls, c: cpb.Campaign) -> "CampaignPublic":
        return cls(id=c.campaign_no, name=c.name, area_codes=list(c.area_codes), start_day=c.start_day,
                   visits_per_slot=c.visits_per_slot, state=c.state, outcome=c.outcome, requested_by=c.requested_by,
                   started_at=c.started_at, finished_at=opt(c.finished_at), orders=c.orders, skipped=c.skipped,
                   unrouted=c.unrouted,
                   stations=[StationSchedulePublic(station_code=s.station_code, station_name=s.station_name,
                                                   orders=s.orders, first_day=s.first_day, last_day=s.last_day)
                             for s in c.stations],
                   first_day=opt(c.first_day), last_day=opt(c.last_day), phases=dict(c.phases), error=opt(c.error))

"""Product orders (TMF622 productOrder) on the wire."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, model_validator

from bss.customer.v1 import orders_pb2 as pb
from services.common.inputrules import APPOINTMENT_SLOTS, ORDER_TYPES, SERVICE_KINDS, TEXT_MAX

from ..auth import User
from ..keys import ProductCode, RecordKey
from .base import ApiModel, InputModel, Page, opt
from .customers import Address, AreaCode, PremisesPublic, actor

INT64_MAX = 2**63 - 1


class PremisesIn(InputModel):
    address: Address
    area_code: AreaCode


class Appointment(ApiModel):
    day: date = Field(description="YYYY-MM-DD")
    slot: Literal[APPOINTMENT_SLOTS] = Field(description="AM 09:00-12:00, PM 13:00-17:00")


class AppointmentIn(InputModel, Appointment):
    pass


class ProductOrderCreate(InputModel):
    customer_no: RecordKey
    order_type: Literal[ORDER_TYPES]
    kind: Literal[SERVICE_KINDS] | None = Field(None, description="install only")
    product_code: ProductCode | None = Field(None, description="install and conversion: an SMS product (BASIC, "
                                                          "BB50) or, for analog, a CMS fee type (01)")
    service_no: RecordKey | None = Field(None, description="the existing service (all but install)")
    premises: PremisesIn | None = Field(None, description="a new address (install, relocation target)")
    premises_id: Annotated[int, Field(ge=1, le=INT64_MAX)] | None = Field(
        None, description="one of the customer's premises; neither: the service's or the customer's")
    account_no: RecordKey | None = None
    note: Annotated[str, Field(max_length=TEXT_MAX)] | None = None
    appointment: AppointmentIn | None = None

    @model_validator(mode="after")
    def _one_place(self) -> "ProductOrderCreate":
        if self.premises is not None and self.premises_id is not None:
            raise ValueError("give premises or premisesId, not both")
        return self

    def to_proto(self, user: User, request_id: str) -> pb.PlaceOrderRequest:
        return pb.PlaceOrderRequest(
            customer_no=self.customer_no, order_type=self.order_type, kind=self.kind or "",
            product_code=self.product_code or "", service_no=self.service_no or "",
            premises_id=self.premises_id or 0, address=self.premises.address if self.premises else "",
            area_code=self.premises.area_code if self.premises else "", account_no=self.account_no or "",
            note=self.note or "",
            appointment_day=self.appointment.day.isoformat() if self.appointment else "",
            appointment_slot=self.appointment.slot if self.appointment else "",
            request_id=request_id, actor=actor(user))


class ProductOrderPublic(ApiModel):
    id: str  # the order number, O...
    order_type: str
    state: str
    state_detail: str | None
    customer_no: str
    service_no: str
    from_service_no: str | None
    kind: str
    product_code: str
    product_name: str
    account_no: str | None
    premises: PremisesPublic
    note: str | None
    appointment: Appointment | None
    work_order_no: str | None
    ordered_at: str
    ordered_by: str
    updated_at: str
    completed_at: str | None

    @classmethod
    def from_proto(cls, o: pb.ProductOrder) -> "ProductOrderPublic":
        return cls(id=o.order_no, order_type=o.order_type, state=o.state, state_detail=opt(o.state_detail),
                   customer_no=o.customer_no, service_no=o.service_no, from_service_no=opt(o.from_service_no),
                   kind=o.kind, product_code=o.product_code, product_name=o.product_name,
                   account_no=opt(o.account_no), premises=PremisesPublic.from_proto(o.premises), note=opt(o.note),
                   appointment=(Appointment(day=date.fromisoformat(o.appointment_day), slot=o.appointment_slot)
                                if o.appointment_day else None),
                   work_order_no=opt(o.work_order_no), ordered_at=o.ordered_at, ordered_by=o.ordered_by,
                   updated_at=o.updated_at, completed_at=opt(o.completed_at))


class ProductOrdersPublic(Page[ProductOrderPublic]):
    @classmethod
    def from_proto(cls, reply: pb.ListOrdersResponse) -> "ProductOrdersPublic":
        return cls(data=[ProductOrderPublic.from_proto(o) for o in reply.orders], count=reply.count)

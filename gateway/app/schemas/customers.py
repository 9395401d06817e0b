"""Customer resources on the wire, and their translation to and from the customer service's messages.

Personal data is masked here, on the way out, by the role of the reader (see masking.py).
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, model_validator

from bss.customer.v1 import customer_pb2 as pb
from services.common.inputrules import (ADDRESS_MAX, CONTACT_CHANNELS, EMAIL_MAX, EMAIL_PATTERN, LABEL_MAX,
                                        NAME_MAX, REASON_MAX, TEXT_MAX, TIERS, fold)

from ..auth import User
from ..keys import ProductCode
from ..masking import mask
from .billing import CustomerBillingPublic
from .work_orders import WorkOrderSummary
from .base import ApiModel, InputModel, Money, Page, opt

# The limits are the customer service's own (services/common/inputrules.py); text is folded to the form the
# service compares first, so a full-width ID number or phone passes these patterns as the service accepts it.
Folded = BeforeValidator(fold)
Tier = Literal[TIERS]
Name = Annotated[str, Folded, Field(min_length=1, max_length=NAME_MAX)]
IdNo = Annotated[str, Folded, Field(pattern=r"^([0-9]{15}|[0-9]{17}[0-9Xx])$", description="Mainland ID card number")]
Phone = Annotated[str, Folded, Field(pattern=r"^\+?[0-9][0-9 -]{4,19}$")]
Email = Annotated[str, Folded, Field(pattern=EMAIL_PATTERN, max_length=EMAIL_MAX)]
Address = Annotated[str, Folded, Field(min_length=1, max_length=ADDRESS_MAX)]
AreaCode = Annotated[str, Folded, Field(pattern=r"^[0-9A-Za-z]{1,16}$")]


def actor(user: User) -> pb.Actor:
    return pb.Actor(username=user.username, role=user.role.value)


# --- input ---------------------------------------------------------------------------------------

class CustomerCreate(InputModel):
    name: Name
    id_no: IdNo | None = None
    phone: Phone
    email: Email | None = None
    address: Address
    area_code: AreaCode | None = None
    tier: Tier = "regular"

    def to_proto(self, user: User) -> pb.CreateCustomerRequest:
        return pb.CreateCustomerRequest(
            name=self.name, id_no=self.id_no or "", phone=self.phone, email=self.email or "",
            address=self.address, area_code=self.area_code or "", tier=self.tier, actor=actor(user))


class ContactUpdate(InputModel):
    """Only the fields sent are changed; a field sent as null is left as it is."""
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})  # the docs say what the validator does
    phone: Phone | None = None
    email: Email | None = None
    address: Address | None = None
    area_code: AreaCode | None = None
    tier: Tier | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> "ContactUpdate":
        if not self.model_dump(exclude_none=True):
            raise ValueError("send at least one of phone, email, address, areaCode, tier")
        return self

    def to_proto(self, customer_no: str, user: User) -> pb.UpdateContactRequest:
        return pb.UpdateContactRequest(customer_no=customer_no, actor=actor(user),
                                       **self.model_dump(exclude_none=True))


class ServiceStateChange(InputModel):
    reason: str = Field("", max_length=REASON_MAX)

    def to_proto(self, customer_no: str, service_no: str, action: str, user: User) -> pb.ChangeServiceStateRequest:
        return pb.ChangeServiceStateRequest(customer_no=customer_no, service_no=service_no, action=action,
                                            reason=self.reason, actor=actor(user))


class EntitlementCreate(InputModel):
    product_code: ProductCode

    def to_proto(self, customer_no: str, card_no: str, user: User) -> pb.EntitleSmartCardRequest:
        return pb.EntitleSmartCardRequest(customer_no=customer_no, card_no=card_no,
                                          product_code=self.product_code, actor=actor(user))


class ContactCreate(InputModel):
    channel: Literal[CONTACT_CHANNELS]
    kind: str = Field(min_length=1, max_length=LABEL_MAX)
    summary: str = Field(min_length=1, max_length=TEXT_MAX)

    def to_proto(self, customer_no: str, user: User) -> pb.RecordContactRequest:
        return pb.RecordContactRequest(customer_no=customer_no, channel=self.channel, kind=self.kind,
                                       summary=self.summary, actor=actor(user))


# --- output --------------------------------------------------------------------------------------

class CustomerSummaryPublic(ApiModel):
    customer_no: str
    name: str
    id_no: str | None
    primary_phone: str | None
    address: str | None
    tier: str
    status: str
    origins: list[str]
    matched_on: str | None

    @classmethod
    def from_proto(cls, m: pb.CustomerSummary, role: str) -> "CustomerSummaryPublic":
        return cls(customer_no=m.customer_no, name=m.name, id_no=opt(mask("id_no", m.id_no, role)),
                   primary_phone=opt(mask("phone", m.primary_phone, role)), address=opt(m.address),
                   tier=m.tier, status=m.status, origins=list(m.origins), matched_on=opt(m.matched_on))


class CustomersPublic(Page[CustomerSummaryPublic]):
    # A search or browse counts a bounded number of matches past the offset: true means more match than
    # `count`.
    count_capped: bool = False

    @classmethod
    def from_proto(cls, m: pb.SearchCustomersResponse | pb.BrowseCustomersResponse,
                   role: str) -> "CustomersPublic":
        return cls(data=[CustomerSummaryPublic.from_proto(c, role) for c in m.customers], count=m.total,
                   count_capped=m.total_capped)


class PhonePublic(ApiModel):
    number: str
    kind: str
    primary: bool
    source: str

    @classmethod
    def from_proto(cls, m: pb.Phone, role: str) -> "PhonePublic":
        return cls(number=mask("phone", m.number, role), kind=m.kind, primary=m.primary, source=m.source)


class AccountPublic(ApiModel):
    account_no: str
    name: str
    status: str
    service_nos: list[str]
    premises_id: str | None

    @classmethod
    def from_proto(cls, m: pb.Account) -> "AccountPublic":
        return cls(account_no=m.account_no, name=m.name, status=m.status, service_nos=list(m.service_nos),
                   premises_id=m.premises_id or None)


class StationPublic(ApiModel):
    code: str
    name: str


class PremisesPublic(ApiModel):
    premises_id: str
    address: str
    area_code: str | None
    station: StationPublic | None

    @classmethod
    def from_proto(cls, m: pb.Premises) -> "PremisesPublic":
        station = StationPublic(code=m.station_code, name=m.station_name) if m.station_code else None
        return cls(premises_id=m.premises_id, address=m.address, area_code=opt(m.area_code), station=station)


class ServicePublic(ApiModel):
    service_no: str
    kind: str
    origin: str
    legacy_ref: str | None
    product_code: str
    product_name: str
    monthly_fee: Money
    state: str
    started_at: str | None
    ended_at: str | None
    account_no: str | None
    premises_id: str | None
    device_serial: str | None

    @classmethod
    def from_proto(cls, m: pb.Service) -> "ServicePublic":
        return cls(service_no=m.service_no, kind=m.kind, origin=m.origin, legacy_ref=opt(m.legacy_ref),
                   product_code=m.product_code, product_name=m.product_name,
                   monthly_fee=Money(amount_minor=m.monthly_fee_minor, currency=m.currency), state=m.state,
                   started_at=opt(m.started_at), ended_at=opt(m.ended_at), account_no=opt(m.account_no),
                   premises_id=opt(m.premises_id), device_serial=opt(m.device_serial))


class ServicesPublic(Page[ServicePublic]):
    @classmethod
    def from_proto(cls, m: pb.ListServicesResponse) -> "ServicesPublic":
        return cls(data=[ServicePublic.from_proto(s) for s in m.services], count=len(m.services))


class DevicePublic(ApiModel):
    kind: str
    serial: str
    paired_serial: str | None
    status: str
    origin: str
    model: str | None

    @classmethod
    def from_proto(cls, m: pb.Device) -> "DevicePublic":
        return cls(kind=m.kind, serial=m.serial, paired_serial=opt(m.paired_serial), status=m.status,
                   origin=m.origin, model=opt(m.model))


class LegacyLinkPublic(ApiModel):
    system: str
    legacy_key: str
    method: str
    score: float

    @classmethod
    def from_proto(cls, m: pb.LegacyLink) -> "LegacyLinkPublic":
        return cls(system=m.system, legacy_key=m.legacy_key, method=m.method, score=m.score)


class ContactPublic(ApiModel):
    id: int
    channel: str
    kind: str
    summary: str
    actor: str
    at: str

    @classmethod
    def from_proto(cls, m: pb.Contact) -> "ContactPublic":
        return cls(id=m.id, channel=m.channel, kind=m.kind, summary=m.summary, actor=m.actor, at=m.at)


class CustomerPublic(ApiModel):
    """The 360 view: everything a clerk needs to serve the customer in one window."""
    customer_no: str
    name: str
    id_type: str
    id_no: str | None
    tier: str
    status: str
    merged_into: str | None
    phones: list[PhonePublic]
    email: str | None
    accounts: list[AccountPublic]
    premises: list[PremisesPublic]
    services: list[ServicePublic]
    devices: list[DevicePublic]
    links: list[LegacyLinkPublic]
    recent_contacts: list[ContactPublic]
    created_at: str | None
    updated_at: str | None
    updated_by: str | None
    # Balance, last bills and failed debits per account; absent for a role that does not see bills.
    billing: CustomerBillingPublic | None = None
    # The customer's open work orders, the most urgent first; absent for a role that does not see them.
    open_work_orders: list[WorkOrderSummary] | None = None
    # Sections whose service did not answer in time (e.g. ["billing"]); the rest of the view stands.
    unavailable: list[str] = []

    @classmethod
    def from_proto(cls, m: pb.CustomerView, role: str) -> "CustomerPublic":
        return cls(
            customer_no=m.customer_no, name=m.name, id_type=m.id_type, id_no=opt(mask("id_no", m.id_no, role)),
            tier=m.tier, status=m.status, merged_into=opt(m.merged_into),
            phones=[PhonePublic.from_proto(p, role) for p in m.phones], email=opt(m.email),
            accounts=[AccountPublic.from_proto(a) for a in m.accounts],
            premises=[PremisesPublic.from_proto(p) for p in m.premises],
            services=[ServicePublic.from_proto(s) for s in m.services],
            devices=[DevicePublic.from_proto(d) for d in m.devices],
            links=[LegacyLinkPublic.from_proto(link) for link in m.links],
            recent_contacts=[ContactPublic.from_proto(c) for c in m.recent_contacts],
            created_at=opt(m.created_at), updated_at=opt(m.updated_at), updated_by=opt(m.updated_by))


class WriteBackPublic(ApiModel):
    system: str
    outcome: str
    detail: str | None
    at: str | None


class ServiceChangePublic(ApiModel):
    """The service after the change, and what the legacy system that controls the network answered."""
    service: ServicePublic
    write_back: WriteBackPublic | None

    @classmethod
    def from_proto(cls, m: pb.ChangeServiceStateResponse) -> "ServiceChangePublic":
        wb = m.write_back
        write_back = (WriteBackPublic(system=wb.system, outcome=wb.outcome, detail=opt(wb.detail), at=opt(wb.at))
                      if m.HasField("write_back") else None)
        return cls(service=ServicePublic.from_proto(m.service), write_back=write_back)

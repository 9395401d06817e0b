from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from bss.customer.v1 import customer_pb2 as pb
from services.common.inputrules import CUSTOMER_STATUSES, ORIGINS, key

from .. import access_log
from ..deps import (AuditReader, CustomerBrowser, CustomerClient, CustomerReader, CustomerWriter, DbDep, Limit, Offset,
                    ViewReadsDep)
from ..fields import Selection, created, page, selected, selector
from ..idempotency import Idempotent
from ..keys import STATION_CODE, CardNo, CustomerNo, ServiceNo
from ..schemas.audit import AccessPage, AccessPublic
from ..schemas.billing import CustomerBillingPublic
from ..schemas.work_orders import WorkOrderSummary
from ..schemas.work_orders import actor as work_order_actor
from ..sections import section
from ..problems import Problem
from ..schemas.customers import (ContactCreate, ContactPublic, ContactUpdate, CustomerCreate, CustomerPublic,
                                 CustomersPublic, CustomerSummaryPublic, EntitlementCreate, ServiceChangePublic,
                                 ServicesPublic, ServiceStateChange, Tier)

router = APIRouter(prefix="/customers", tags=["customers"])
# The 360 view shows at most this many open work orders (the most urgent first).
OPEN_WORK_ORDERS = 10
# What the access log (access_log.py) says was opened: a 360 view, or a customer's line (name, masked ID
# number and phone, address) on a page of search results or of a browse. The search text itself is not
# kept: it is often a phone or ID number, personal data of its own.
VIEW_PURPOSE = "GET /api/v1/customers/{customerNo}"
SEARCH_PURPOSE = "GET /api/v1/customers?q (search)"
BROWSE_PURPOSE = "GET /api/v1/customers (browse)"


class ServiceAction(StrEnum):
    SUSPEND = "suspend"
    RESTORE = "restore"
    DISCONNECT = "disconnect"


@router.get("", response_model=CustomersPublic)
async def list_customers(
        user: CustomerReader, browser: CustomerBrowser, client: CustomerClient, request: Request,
        fields: Annotated[Selection, Depends(selector(CustomerSummaryPublic))],
        q: Annotated[str | None, Query(min_length=1, max_length=200, description=(
            "Search: phone, ID number, name, customer or smart card number, address. Without q, browse "
            "every customer in customer order (supervisor and admin), with the filters below"))] = None,
        station: Annotated[str | None, Query(pattern=STATION_CODE, description="station code")] = None,
        status: Annotated[Literal[CUSTOMER_STATUSES] | None, Query()] = None,
        tier: Annotated[Tier | None, Query()] = None,
        origin: Annotated[Literal[ORIGINS] | None, Query(description="cms, sms, or bss (in neither)")] = None,
        offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    """Search with q, or browse without it. Either counts at most a few pages of matches past offset:
    `countCapped: true` says more match than `count`."""
    if q is None:
        reply = await client.BrowseCustomers(pb.BrowseCustomersRequest(
            station_code=station or "", status=status or "", tier=tier or "", origin=origin or "",
            offset=offset, limit=limit))
    elif station or status or tier or origin:
        raise Problem(422, "filter-with-search", "station, status, tier and origin filter a browse; "
                                                 "leave them out when searching with q")
    else:
        reply = await client.SearchCustomers(pb.SearchCustomersRequest(q=q, offset=offset, limit=limit))
    access_log.opened(request, user, (c.customer_no for c in reply.customers),
                      BROWSE_PURPOSE if q is None else SEARCH_PURPOSE)
    return page(CustomersPublic.from_proto(reply, user.role), fields)


@router.post("", status_code=201, response_model=CustomerPublic)
async def create_customer(body: CustomerCreate, user: CustomerWriter, client: CustomerClient,
                          request: Request, once: Idempotent) -> JSONResponse:
    async def create() -> JSONResponse:
        view = await client.CreateCustomer(body.to_proto(user))
        location = request.app.url_path_for("get_customer", customerNo=view.customer_no)
        return created(CustomerPublic.from_proto(view, user.role), location)
    return await once(create)


@router.get("/{customerNo}", response_model=CustomerPublic)
async def get_customer(customer_no: CustomerNo, user: CustomerReader, reads: ViewReadsDep, request: Request,
                       fields: Annotated[Selection, Depends(selector(CustomerPublic))]) -> JSONResponse:
    """The 360 view: profile, phones, accounts, premises, services, devices, legacy links, recent contacts;
    for the roles that see bills, each account's balance, last bills and failed debits; for those that see
    work orders, the open ones. Billing and dispatch are asked at the same time as the customer service;
    `unavailable` names a section whose service did not answer in time."""
    customer_no = key("customerNo", customer_no)
    cid = request.state.correlation_id
    sections = {}
    if user.may("bills:read"):
        sections["billing"] = section("billing", reads.billing.get(customer_no, cid))
    if user.may("workOrders:read"):
        actor = work_order_actor(user)
        sections["workOrders"] = section("workOrders", reads.work_orders.get(
            (customer_no, OPEN_WORK_ORDERS, actor.username, actor.role, actor.scope), cid))
    view, *answers = await asyncio.gather(reads.customer.get(customer_no, cid), *sections.values())
    if view is None:
        raise Problem(404, "customer-not-found", f"customer {customer_no} not found")
    access_log.opened(request, user, [customer_no], VIEW_PURPOSE)
    public = CustomerPublic.from_proto(view, user.role)
    for name, answer in zip(sections, answers):
        if answer is None:
            public.unavailable.append(name)
        elif name == "billing":
            public.billing = CustomerBillingPublic.from_proto(answer)
        else:
            public.open_work_orders = [WorkOrderSummary.from_proto(w) for w in answer.work_orders]
    return selected(public, fields)


@router.patch("/{customerNo}")
async def update_contact(customer_no: CustomerNo, body: ContactUpdate, user: CustomerWriter,
                         client: CustomerClient) -> CustomerPublic:
    view = await client.UpdateContact(body.to_proto(customer_no, user))
    return CustomerPublic.from_proto(view, user.role)


@router.get("/{customerNo}/accessLog", response_model=AccessPage)
def list_accesses(customer_no: CustomerNo, user: AuditReader, db: DbDep, offset: Offset = 0,
                  limit: Limit = 50) -> JSONResponse:
    """Who opened this customer's personal data (the 360 view, or their line among search or browse results),
    when and from where, newest first. Entries reach the table about a second after the view."""
    rows, total = access_log.accesses(db, key("customerNo", customer_no), offset, limit)
    return page(AccessPage(data=[AccessPublic(**r) for r in rows], count=total))


@router.get("/{customerNo}/services", response_model=ServicesPublic)
async def list_services(customer_no: CustomerNo, user: CustomerReader, client: CustomerClient) -> JSONResponse:
    reply = await client.ListServices(pb.ListServicesRequest(customer_no=customer_no))
    return page(ServicesPublic.from_proto(reply))


@router.post("/{customerNo}/services/{serviceNo}/{action}")
async def change_service_state(customer_no: CustomerNo, service_no: ServiceNo, action: ServiceAction,
                               user: CustomerWriter, client: CustomerClient,
                               body: ServiceStateChange | None = None) -> ServiceChangePublic:
    """Suspend, restore or disconnect; the answer includes what the legacy network system said."""
    command = (body or ServiceStateChange()).to_proto(customer_no, service_no, action.value, user)
    return ServiceChangePublic.from_proto(await client.ChangeServiceState(command))


@router.post("/{customerNo}/smartCards/{cardNo}/entitlements", status_code=201,
             response_model=ServiceChangePublic)
async def entitle_smart_card(customer_no: CustomerNo, card_no: CardNo, body: EntitlementCreate,
                             user: CustomerWriter, client: CustomerClient, once: Idempotent) -> JSONResponse:
    async def entitle() -> JSONResponse:
        reply = await client.EntitleSmartCard(body.to_proto(customer_no, card_no, user))
        return created(ServiceChangePublic.from_proto(reply))
    return await once(entitle)


@router.post("/{customerNo}/contacts", status_code=201, response_model=ContactPublic)
async def record_contact(customer_no: CustomerNo, body: ContactCreate, user: CustomerWriter,
                         client: CustomerClient, once: Idempotent) -> JSONResponse:
    async def record() -> JSONResponse:
        return created(ContactPublic.from_proto(await client.RecordContact(body.to_proto(customer_no, user))))
    return await once(record)

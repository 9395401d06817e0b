"""Annotated dependencies for routes: settings, database, the signed-in user and role checks, gRPC
clients, paging. A route states what it needs in its signature; nothing here knows a route."""
from __future__ import annotations

from typing import Annotated, Any, Awaitable, Callable

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer

from bss.billing.v1 import bill_document_pb2_grpc, catalog_pb2_grpc, runs_pb2_grpc
from bss.billing.v1.dunning_pb2_grpc import DunningServiceStub
from bss.billing.v1.collection_pb2_grpc import CollectionServiceStub
from bss.billing.v1.payments_pb2_grpc import PaymentServiceStub
from bss.customer.v1.orders_pb2_grpc import ProductOrderServiceStub
from bss.dispatch.v1.scheduling_pb2_grpc import SchedulingServiceStub
from bss.dispatch.v1.field_pb2_grpc import FieldServiceStub
from bss.dispatch.v1.stock_pb2_grpc import StockServiceStub
from bss.dispatch.v1 import campaigns_pb2_grpc
from services.common.db import Database

from .auth import User, decode_token, issued_at
from .grpc_clients import Client
from .problems import Problem
from .sections import ViewReads
from .settings import GatewaySettings
from .users import AccountCheck

API_PREFIX = "/api/v1"
TOKEN_URL = f"{API_PREFIX}/auth/token"
INT32_MAX = 2**31 - 1
MAX_PAGE = 100

_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def client_address(request: Request) -> str:
    """The address a request came from, as sign-ins and the access log record it."""
    return request.client.host if request.client else "unknown"


async def _settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


async def _db(request: Request) -> Database:
    return request.app.state.db


SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
DbDep = Annotated[Database, Depends(_db)]


async def _account_check(request: Request) -> AccountCheck:
    return request.app.state.account_check


async def _current_user(token: Annotated[str | None, Depends(_bearer)], settings: SettingsDep,
                        still_current: Annotated[AccountCheck, Depends(_account_check)]) -> User:
    if not token:
        raise Problem(401, "missing-token", "sign in and send the access token as a Bearer token",
                      {"WWW-Authenticate": "Bearer"})
    user = decode_token(token, settings.jwt_secret)
    # A token outlives the account's state: a clerk deactivated, given another role or a new password is
    # refused within AccountCheck's few seconds.
    if not await still_current(user, issued_at(token, settings.jwt_secret)):
        raise Problem(401, "token-revoked", "this account was deactivated, its role changed or its password "
                      "replaced; sign in again", {"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[User, Depends(_current_user)]


def _query_names(dependant) -> set[str]:
    """The query parameters a route's handler and its dependencies (paging, fields=, ...) declare."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def known_query_parameters(request: Request) -> None:
    """Refuses (422) a query parameter the route does not take, instead of answering as if it were not
    there: a filter misspelt (`bankCode` where the route takes `bank`) would otherwise return every row."""
    route = request.scope["route"]
    known = getattr(route, "query_names", None)
    if known is None:  # worked out once per route, and kept on it
        known = route.query_names = frozenset(_query_names(route.dependant))
    unknown = request.query_params.keys() - known
    if unknown:
        raise Problem(422, "unknown-parameter",
                      f"unknown query parameter(s) {', '.join(sorted(unknown))}; this route takes "
                      f"{', '.join(sorted(known)) or 'none'}")


def require(permission: str, unless_query: str | None = None) -> Callable[..., Awaitable[User]]:
    """A dependency refusing (403) a user without `permission`; with `unless_query`, only when the request
    has no query parameter of that name (browsing customers needs more than searching them). Both are
    kept on the dependency, so the route x role test reads each route's roles from the route itself."""
    async def check(request: Request, user: CurrentUser) -> User:
        if unless_query and unless_query in request.query_params:
            return user
        if not user.may(permission):
            raise Problem(403, "forbidden", f"the role {user.role.value} may not do this ({permission})")
        return user
    check.permission, check.unless_query = permission, unless_query  # type: ignore[attr-defined]
    return check


CustomerReader = Annotated[User, Depends(require("customers:read"))]
# Without q, GET /customers browses everyone: supervisors and admins only.
CustomerBrowser = Annotated[User, Depends(require("customers:browse", unless_query="q"))]
CustomerWriter = Annotated[User, Depends(require("customers:write"))]
MatchReviewer = Annotated[User, Depends(require("matches:review"))]
ImportViewer = Annotated[User, Depends(require("imports:read"))]
BillReader = Annotated[User, Depends(require("bills:read"))]
CalendarReader = Annotated[User, Depends(require("calendar:read"))]
CalendarAdmin = Annotated[User, Depends(require("calendar:admin"))]
PaymentTaker = Annotated[User, Depends(require("payments:take"))]
PaymentReader = Annotated[User, Depends(require("payments:read"))]
ClosingReader = Annotated[User, Depends(require("closings:read"))]
PaymentCorrector = Annotated[User, Depends(require("payments:correct"))]
BillRunner = Annotated[User, Depends(require("billruns:run"))]
CatalogReader = Annotated[User, Depends(require("catalog:read"))]
CatalogAdmin = Annotated[User, Depends(require("catalog:write"))]
PromotionGranter = Annotated[User, Depends(require("promotions:grant"))]
DunningReader = Annotated[User, Depends(require("dunning:read"))]
DunningConfigurer = Annotated[User, Depends(require("dunning:configure"))]
DunningRunner = Annotated[User, Depends(require("dunning:run"))]
BillHolder = Annotated[User, Depends(require("bills:hold"))]
AccountTagger = Annotated[User, Depends(require("accounts:tag"))]
WriteOffDecider = Annotated[User, Depends(require("writeoffs:decide"))]
MandateReader = Annotated[User, Depends(require("mandates:read"))]
MandateWriter = Annotated[User, Depends(require("mandates:write"))]
CollectionRunner = Annotated[User, Depends(require("collection:run"))]
DebitBatchReader = Annotated[User, Depends(require("debitBatches:read"))]
BankFileUploader = Annotated[User, Depends(require("bankFiles:upload"))]
BankFileReader = Annotated[User, Depends(require("bankFiles:read"))]
ExceptionReader = Annotated[User, Depends(require("collectionExceptions:read"))]
ExceptionResolver = Annotated[User, Depends(require("collectionExceptions:resolve"))]
ReportReader = Annotated[User, Depends(require("collectionReports:read"))]
WorkOrderReader = Annotated[User, Depends(require("workOrders:read"))]
WorkOrderCreator = Annotated[User, Depends(require("workOrders:create"))]
WorkOrderChanger = Annotated[User, Depends(require("workOrders:change"))]
OrderWriter = Annotated[User, Depends(require("productOrders:write"))]
OrderReader = Annotated[User, Depends(require("productOrders:read"))]
AppointmentBooker = Annotated[User, Depends(require("appointments:book"))]
WorkOrderAssigner = Annotated[User, Depends(require("workOrders:assign"))]
WorkOrderClaimer = Annotated[User, Depends(require("workOrders:claim"))]
TechnicianReader = Annotated[User, Depends(require("technicians:read"))]
TechnicianWriter = Annotated[User, Depends(require("technicians:write"))]
StaffAdmin = Annotated[User, Depends(require("staff:admin"))]
AuditReader = Annotated[User, Depends(require("audit:read"))]
FieldWorker = Annotated[User, Depends(require("workOrders:field"))]
ConfirmationCodeReader = Annotated[User, Depends(require("workOrders:confirmationCode"))]
StockReader = Annotated[User, Depends(require("stock:read"))]
StockWriter = Annotated[User, Depends(require("stock:write"))]
StockReturner = Annotated[User, Depends(require("stock:return"))]
CampaignRunner = Annotated[User, Depends(require("campaigns:run"))]
CampaignReader = Annotated[User, Depends(require("campaigns:read"))]


def client_of(peer: str, stub: type | None = None) -> Any:
    """A route parameter type: the peer's main service, or another service it serves (`stub`), with the
    request's deadline and correlation id."""
    async def client(request: Request) -> Client:
        return request.app.state.channels.client(peer, request.state.correlation_id, stub)
    return Annotated[Client, Depends(client)]


async def _view_reads(request: Request) -> ViewReads:
    return request.app.state.view_reads


# The 360 view's coalesced reads (sections.py).
ViewReadsDep = Annotated[ViewReads, Depends(_view_reads)]

CustomerClient = client_of("customer")
BillingClient = client_of("billing")
PaymentClient = client_of("billing", PaymentServiceStub)
BillRunClient = client_of("billing", runs_pb2_grpc.BillRunServiceStub)
CatalogClient = client_of("billing", catalog_pb2_grpc.CatalogServiceStub)
BillDocumentClient = client_of("billing", bill_document_pb2_grpc.BillDocumentServiceStub)
DunningClient = client_of("billing", DunningServiceStub)
CollectionClient = client_of("billing", CollectionServiceStub)
WorkOrderClient = client_of("dispatch")
SchedulingClient = client_of("dispatch", SchedulingServiceStub)

OrderClient = client_of("customer", ProductOrderServiceStub)
FieldClient = client_of("dispatch", FieldServiceStub)
StockClient = client_of("dispatch", StockServiceStub)
CampaignClient = client_of("dispatch", campaigns_pb2_grpc.CampaignServiceStub)

Offset = Annotated[int, Query(ge=0, le=INT32_MAX, description="How many items to skip")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Items per page, at most {MAX_PAGE}")]
